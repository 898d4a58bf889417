use anchor_lang::prelude::*;

use super::token_flow::*;
use crate::errors::MarginError;
use crate::events::{action, BalanceChanged};

/// Repay a borrow. Always allowed: stale or halted prices, reduce-only and
/// shutdown never stop a user from reducing debt.
pub fn handle_repay(ctx: Context<TokenFlow>, amount: u64) -> Result<()> {
    require!(amount > 0, MarginError::ZeroAmount);
    let bank_key = ctx.accounts.bank.key();
    let position = ctx.accounts.account.position_mut(&bank_key)?;
    require!(amount <= position.borrows, MarginError::RepayExceedsDebt);
    position.borrows -= amount;
    let (deposits_after, borrows_after) = (position.deposits, position.borrows);
    ctx.accounts.pull(amount)?;
    ctx.accounts.bank.total_borrows = ctx.accounts.bank.total_borrows.saturating_sub(amount);
    emit!(BalanceChanged {
        account: ctx.accounts.account.key(),
        bank: bank_key,
        action: action::REPAY,
        amount,
        deposits_after,
        borrows_after,
        initial_margin_after: 0,
    });
    Ok(())
}
