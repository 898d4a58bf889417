//! What the CLI's commands do, over any [`Transport`]: find the deployment
//! on chain (`rampart_client::Deployment`), build and send the
//! instructions, and say what happened as text and as JSON.
//!
//! [`Transport`]: rampart_client::Transport

pub mod backstop;
pub mod faucet;
pub mod gov;
pub mod margin;
pub mod pricing;
pub mod vault;
pub mod wallet;

use anchor_lang::prelude::Pubkey;
use rampart_client::transport::Transport;
use serde_json::Value;

/// `owner`, or else the wallet's own address (read-only, with no wallet,
/// the owner must be named).
pub fn owner_or_wallet(t: &dyn Transport, owner: Option<Pubkey>) -> anyhow::Result<Pubkey> {
    match owner {
        Some(o) => Ok(o),
        None => t
            .wallet()
            .map_err(|e| anyhow::anyhow!("{e}; or name the owner with --owner")),
    }
}

/// What a command prints: text for people, JSON for `--json`.
#[derive(Debug)]
pub struct Output {
    pub text: String,
    pub json: Value,
}

impl Output {
    pub fn new(text: impl Into<String>, json: Value) -> Output {
        Output {
            text: text.into(),
            json,
        }
    }
}
