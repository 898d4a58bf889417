//! Rampart client library: PDAs, typed instruction builders, event
//! decoding, and the embedded in-process chain used by the CLI, the
//! simulator and every test.

pub mod backstop_ix;
pub mod backstop_market;
pub mod backstop_report;
pub mod bench;
pub mod client;
pub mod demo;
pub mod deploy;
pub mod embedded;
pub mod errors;
pub mod events;
pub mod fixtures;
pub mod fmt;
pub mod idl;
pub mod idl_events;
pub mod keeper;
pub mod margin_ix;
pub mod market;
pub mod monitor;
mod native_stubs;
pub mod pda;
pub mod pricing_ix;
pub mod replay;
pub mod serve;
pub mod setup;
pub mod shadow;
pub mod spl;
pub mod stress;
pub mod tokens;
pub mod transport;
pub mod vault_ix;
pub mod vault_market;
