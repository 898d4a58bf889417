//! Rampart SDK: what a frontend or integrator needs to talk to the
//! programs from Rust, and nothing that talks to a network. Instruction
//! builders, PDAs, account and event decoding (from the committed IDLs),
//! program error names, deployment presets and the health valuation the
//! margin program itself runs. Synchronous: no tokio, no RPC client, no
//! in-process bank.

pub mod backstop_ix;
pub mod errors;
pub mod event_units;
pub mod events;
pub mod fmt;
pub mod health;
pub mod idl;
pub mod idl_events;
pub mod margin_ix;
pub mod pda;
pub mod presets;
pub mod pricing_ix;
pub mod rng;
pub mod tokens;
pub mod vault_ix;
