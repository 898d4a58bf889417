//! Rampart's embedded chain: the four programs in an in-process bank
//! (`solana-program-test`, native syscall stubs), the ledger a directory
//! persists between commands, the shadow probe that replays variants of
//! each transaction, and `serve`, a local JSON-RPC node over that ledger.

pub mod account_json;
mod chain;
pub mod ledger;
mod native_stubs;
pub mod serve;
pub mod shadow;
pub mod spl;
pub mod transport;

pub use chain::*;
pub use transport::SharedChain;
