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

use serde_json::Value;

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
