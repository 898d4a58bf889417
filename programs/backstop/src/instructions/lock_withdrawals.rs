use anchor_lang::prelude::*;

use crate::errors::BackstopError;
use crate::events::WithdrawalsLocked;
use crate::state::{Consumer, Pool};

#[derive(Accounts)]
pub struct LockWithdrawals<'info> {
    #[account(mut)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(
        seeds = [Consumer::SEED, pool.key().as_ref(), authority.key().as_ref()],
        bump = consumer.bump,
        constraint = consumer.active @ BackstopError::ConsumerNotRegistered,
    )]
    pub consumer: Box<Account<'info, Consumer>>,
    pub authority: Signer<'info>,
}

/// A consumer about to absorb a large, M-of-N approved liquidation locks
/// withdrawals until `until_slot` (at most the pool's `max_lock_slots`
/// ahead), so LPs who see it coming cannot leave the others to absorb it.
/// A lock is only ever extended, never shortened.
pub fn handle_lock_withdrawals(ctx: Context<LockWithdrawals>, until_slot: u64) -> Result<()> {
    let slot = Clock::get()?.slot;
    let pool = &mut ctx.accounts.pool;
    let until = until_slot.min(slot.saturating_add(pool.params.max_lock_slots));
    pool.withdrawals_locked_until = pool.withdrawals_locked_until.max(until);
    emit!(WithdrawalsLocked {
        pool: pool.key(),
        consumer: ctx.accounts.consumer.key(),
        until_slot: pool.withdrawals_locked_until,
    });
    Ok(())
}
