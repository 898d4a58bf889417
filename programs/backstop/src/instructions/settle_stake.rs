use anchor_lang::prelude::*;
use risk_math::backstop::{Band, Stake};

use crate::errors::BackstopError;
use crate::events::StakeSettled;
use crate::state::{Pool, StakeAccount};

#[derive(Accounts)]
pub struct SettleStake<'info> {
    #[account(mut)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(mut, has_one = pool)]
    pub stake: Box<Account<'info, StakeAccount>>,
}

/// Permissionless: settle a stake its owner has not touched since its
/// band's epoch ended or moved to a new scale. The collateral it bought is
/// kept for it in the stake (`owed`, paid on the owner's next deposit or
/// withdrawal, tokens staying in the pool's vault) and its quote is
/// re-snapshotted at the band's current epoch and scale; nothing it owns
/// changes. Without this, stakes left untouched (four 1-unit stakes placed
/// before four drains) would hold every frozen-history slot, and the band
/// would take only ever-smaller partial fills for good.
pub fn handle_settle_stake(ctx: Context<SettleStake>) -> Result<()> {
    let a = ctx.accounts;
    let index = a.stake.band;
    let mut band: Band = (*a.pool.band_mut(index)?).into();
    let mut stake: Stake = a.stake.snapshot.into();
    require!(band.is_stale(&stake), BackstopError::StakeCurrent);
    band.settle(&mut stake).map_err(BackstopError::from)?;
    *a.pool.band_mut(index)? = band.into();
    a.stake.snapshot = stake.into();
    emit!(StakeSettled {
        pool: a.pool.key(),
        band: index,
        owner: a.stake.owner,
        quote: stake.deposit,
        collateral_owed: stake.owed,
    });
    Ok(())
}
