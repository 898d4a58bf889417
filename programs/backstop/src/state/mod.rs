pub mod band;
pub mod consumer;
pub mod pool;
pub mod stake;

pub use band::*;
pub use consumer::*;
pub use pool::*;
pub use stake::*;
