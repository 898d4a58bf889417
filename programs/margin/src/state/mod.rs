pub mod account;
pub mod agent;
pub mod bank;
pub mod config;
pub mod proposal;

pub use account::*;
pub use agent::*;
pub use bank::*;
pub use config::*;
pub use proposal::*;
