pub mod account;
pub mod bank;
pub mod config;

pub use account::*;
pub use bank::*;
pub use config::*;
