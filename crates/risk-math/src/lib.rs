//! Pure fixed-point math shared by Rampart's programs, client and simulator.
//!
//! No Solana types and no floating point, so every function here runs
//! unchanged inside an SBF program and gives bit-identical results off-chain.
//! All arithmetic is checked; a failure is a [`MathError`], never a panic.
#![forbid(unsafe_code)]
#![deny(clippy::float_arithmetic)]

pub mod backstop;
pub mod breaker;
pub mod consensus;
pub mod fixed;
pub mod interest;
pub mod margin;
pub mod options;
pub mod price;
pub mod shares;
pub mod twap;
pub mod vault;
pub mod volatility;

pub use fixed::{MathError, MathResult, Rounding, WAD};
