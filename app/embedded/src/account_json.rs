//! Accounts in the Solana CLI's JSON (`solana account --output json`):
//! the persisted ledger's format and `serve`'s `getAccountInfo` body.

use anchor_lang::prelude::Pubkey;
use anyhow::Context;
use base64::Engine;
use serde::{Deserialize, Serialize};
use solana_sdk::account::Account;

/// One account as `solana account --output json` prints it.
#[derive(Serialize, Deserialize)]
pub struct KeyedAccountJson {
    pub pubkey: String,
    pub account: AccountJson,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountJson {
    pub lamports: u64,
    /// `[base64, "base64"]`.
    pub data: (String, String),
    pub owner: String,
    pub executable: bool,
    pub rent_epoch: u64,
    #[serde(default)]
    pub space: Option<u64>,
}

impl KeyedAccountJson {
    pub fn new(address: &Pubkey, a: &Account) -> Self {
        KeyedAccountJson {
            pubkey: address.to_string(),
            account: AccountJson {
                lamports: a.lamports,
                data: (
                    base64::engine::general_purpose::STANDARD.encode(&a.data),
                    "base64".into(),
                ),
                owner: a.owner.to_string(),
                executable: a.executable,
                rent_epoch: a.rent_epoch,
                space: Some(a.data.len() as u64),
            },
        }
    }

    pub fn decode(&self) -> anyhow::Result<(Pubkey, Account)> {
        let address: Pubkey = self.pubkey.parse().context("pubkey")?;
        let a = &self.account;
        anyhow::ensure!(
            a.data.1 == "base64",
            "account {address}: data encoding {} (only base64 is read)",
            a.data.1
        );
        let data = base64::engine::general_purpose::STANDARD
            .decode(&a.data.0)
            .with_context(|| format!("account {address}: data is not base64"))?;
        Ok((
            address,
            Account {
                lamports: a.lamports,
                data,
                owner: a.owner.parse().context("owner")?,
                executable: a.executable,
                rent_epoch: a.rent_epoch,
            },
        ))
    }
}
