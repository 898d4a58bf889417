use anchor_lang::prelude::*;

use super::token_flow::*;
use crate::errors::MarginError;
use crate::events::action;

/// Repay a borrow. Always allowed: stale or halted prices, reduce-only and
/// shutdown never stop a user from reducing debt.
pub fn handle_repay(ctx: Context<TokenFlow>, amount: u64) -> Result<()> {
    require!(amount > 0, MarginError::ZeroAmount);
    let bank_key = ctx.accounts.bank.key();
    let position = ctx
        .accounts
        .account
        .existing_mut(&bank_key)
        .ok_or(MarginError::RepayExceedsDebt)?;
    require!(amount <= position.borrows, MarginError::RepayExceedsDebt);
    position.borrows -= amount;
    ctx.accounts.pull(amount)?;
    ctx.accounts.bank.total_borrows = ctx.accounts.bank.total_borrows.saturating_sub(amount);
    ctx.accounts.emit_change(action::REPAY, amount, 0)
}
