//! Token balances read through a transport.

use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use solana_sdk::program_pack::Pack;

use crate::transport::Transport;

/// Tokens in `account` (0 when it does not exist).
pub async fn balance(t: &mut dyn Transport, account: &Pubkey) -> anyhow::Result<u64> {
    Ok(match t.account(*account).await? {
        Some(a) => {
            spl_token::state::Account::unpack(&a.data)
                .map_err(|e| anyhow::anyhow!("{account} is not a token account: {e}"))?
                .amount
        }
        None => 0,
    })
}
