use anchor_lang::prelude::*;

use super::token_flow::*;
use crate::errors::MarginError;
use crate::events::action;

/// Repay a borrow, up to the debt with interest accrued to now (all of
/// it for `u64::MAX`). Always
/// allowed: stale or halted prices, reduce-only and shutdown never stop a
/// user from reducing debt.
pub fn handle_repay(ctx: Context<TokenFlow>, amount: u64) -> Result<()> {
    require!(amount > 0, MarginError::ZeroAmount);
    ctx.accounts.accrue(Clock::get()?.unix_timestamp)?;
    let a = &mut *ctx.accounts;
    let bank_key = a.bank.key();
    let position = a
        .account
        .existing_mut(&bank_key)
        .ok_or(MarginError::RepayExceedsDebt)?;
    // u64::MAX repays everything owed now: a wallet cannot know the
    // interest of the second its transaction lands.
    let amount = if amount == u64::MAX {
        a.bank.debt_tokens(position.borrow_scaled)?
    } else {
        amount
    };
    require!(amount > 0, MarginError::RepayExceedsDebt);
    a.bank.repay_from(position, amount)?;
    a.pull(amount)?;
    a.emit_change(action::REPAY, amount, 0)
}
