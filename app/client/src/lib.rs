//! Rampart client: the one `Transport` trait every tool talks through,
//! the transaction result types, the RPC transport with wallet and Solana
//! CLI config loading, and a deployment read through any transport. The
//! embedded in-process bank implements the same trait in
//! `rampart-embedded`.

pub mod deployment;
pub mod failure;
pub mod ledger_log;
pub mod tokens;
pub mod transport;

pub use deployment::Deployment;
pub use transport::Transport;
