use anchor_lang::prelude::*;

use super::stake_flow::*;
use crate::errors::BackstopError;

/// An LP takes out `amount` of the quote its stake still owns (0 collects
/// only the collateral bought). Refused while a consumer has locked
/// withdrawals ahead of a large liquidation, so LPs cannot leave just
/// before a known absorption.
pub fn handle_withdraw(ctx: Context<StakeFlow>, amount: u64) -> Result<()> {
    let slot = Clock::get()?.slot;
    require!(
        slot > ctx.accounts.pool.withdrawals_locked_until,
        BackstopError::WithdrawalsLocked
    );
    ctx.accounts.touch(0, amount)
}
