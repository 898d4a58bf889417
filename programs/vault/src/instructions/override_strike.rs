use anchor_lang::prelude::*;

use super::governance::*;
use crate::errors::VaultError;
use crate::events::StrikeOverridden;
use crate::state::Phase;

/// Governance picks the next epoch's strike instead of the model (before
/// the epoch starts); the start event and this one record it.
pub fn handle_override_strike(ctx: Context<GovernVault>, strike: u128) -> Result<()> {
    let vault = &mut ctx.accounts.vault;
    require!(vault.phase != Phase::Trading, VaultError::StepOutOfOrder);
    vault.strike_override = strike;
    emit!(StrikeOverridden {
        vault: vault.key(),
        round: vault.round,
        strike,
    });
    Ok(())
}
