pub mod account;
pub mod bank;
pub mod config;
pub mod proposal;

pub use account::*;
pub use bank::*;
pub use config::*;
pub use proposal::*;
