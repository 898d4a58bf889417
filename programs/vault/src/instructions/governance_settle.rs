use anchor_lang::prelude::*;

use super::governance::*;
use super::settle_epoch::settle;
use crate::errors::VaultError;
use crate::state::{OptionSeries, Phase, Vault};

#[derive(Accounts)]
pub struct GovernanceSettle<'info> {
    pub gov: VaultGovernance<'info>,
    #[account(
        mut,
        constraint = vault.protocol == gov.protocol.key() @ VaultError::Unauthorized,
        has_one = series,
    )]
    pub vault: Box<Account<'info, Vault>>,
    #[account(mut)]
    pub series: Box<Account<'info, OptionSeries>>,
}

/// The fallback when no valid TWAP settles an expired epoch within the
/// grace period: governance sets the price, and the event says so.
pub fn handle_governance_settle(ctx: Context<GovernanceSettle>, price: u128) -> Result<()> {
    let a = ctx.accounts;
    a.vault.require_phase(Phase::Trading)?;
    let now = Clock::get()?.unix_timestamp;
    let grace_over = a.series.expiry_ts + a.vault.params.settle_grace_secs as i64;
    require!(now >= grace_over, VaultError::GracePeriodNotOver);
    require!(price > 0, VaultError::ParamOutOfBounds);
    settle(&mut a.vault, &mut a.series, price, true)
}
