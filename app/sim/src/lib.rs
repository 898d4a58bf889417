//! Rampart's simulator: stress scenarios and their resilience report, the
//! Q1 2023 replay, the backstop capital study, the market fixtures the
//! tests build on, and throughput benches. Runs the programs in the
//! embedded chain (it warps the clock and writes oracle accounts, which no
//! cluster allows).

pub mod backstop_market;
pub mod backstop_report;
pub mod bench;
pub mod fixtures;
pub mod market;
pub mod price_files;
pub mod replay;
pub mod setup;
pub mod stress;
pub mod vault_market;
