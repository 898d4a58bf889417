use anchor_lang::prelude::*;

use super::stake_flow::*;
use crate::errors::BackstopError;

/// An LP adds quote to its band (and collects the collateral its stake
/// bought so far). Allowed during a withdrawal lock: it only adds liquidity.
pub fn handle_deposit(ctx: Context<StakeFlow>, amount: u64) -> Result<()> {
    require!(amount > 0, BackstopError::ZeroAmount);
    ctx.accounts.touch(amount, 0)
}
