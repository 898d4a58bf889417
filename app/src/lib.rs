//! Rampart client library: PDAs, typed instruction builders, event
//! decoding, and the embedded in-process chain used by the CLI, the
//! simulator and every test.

pub mod backstop_ix;
pub mod backstop_market;
pub mod backstop_report;
pub mod bench;
pub mod embedded;
pub mod events;
pub mod fixtures;
pub mod fmt;
pub mod idl;
pub mod margin_ix;
pub mod market;
mod native_stubs;
pub mod pda;
pub mod pricing_ix;
pub mod replay;
pub mod setup;
pub mod spl;
pub mod stress;
pub mod vault_ix;
pub mod vault_market;
