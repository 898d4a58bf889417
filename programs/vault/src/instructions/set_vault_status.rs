use anchor_lang::prelude::*;

use super::governance::*;
use crate::state::VaultStatus;

/// Pause or shut down a vault, or resume it.
pub fn handle_set_vault_status(ctx: Context<GovernVault>, status: VaultStatus) -> Result<()> {
    ctx.accounts.vault.status = status;
    Ok(())
}
