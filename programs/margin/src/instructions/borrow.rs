use anchor_lang::prelude::*;

use super::token_flow::*;
use crate::errors::MarginError;
use crate::events::action;
use crate::health::require_initial_health;
use crate::state::MarginStatus;

/// Borrow from a bank's vault: risk-increasing, so only while margin is
/// Active, under the bank's cap, and with fresh, unhalted prices showing
/// the initial requirement met afterwards.
pub fn handle_borrow<'info>(
    ctx: Context<'_, '_, 'info, 'info, TokenFlow<'info>>,
    amount: u64,
) -> Result<()> {
    require!(amount > 0, MarginError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;
    let status = ctx.accounts.config.effective_status(now);
    require!(
        status == MarginStatus::Active,
        MarginError::ProtocolStatusForbids
    );
    require!(
        !ctx.accounts.bank.is_share_bank(),
        MarginError::SharesNotBorrowable
    );
    let bank_key = ctx.accounts.bank.key();
    let total = ctx
        .accounts
        .bank
        .total_borrows
        .checked_add(amount)
        .ok_or(MarginError::MathOverflow)?;
    require!(
        total <= ctx.accounts.bank.params.borrow_cap,
        MarginError::BorrowCapExceeded
    );
    let position = ctx.accounts.account.position_mut(&bank_key)?;
    position.borrows = position
        .borrows
        .checked_add(amount)
        .ok_or(MarginError::MathOverflow)?;
    let margin = require_initial_health(
        &ctx.accounts.account,
        ctx.remaining_accounts,
        &Clock::get()?,
    )?;
    ctx.accounts.push(amount)?;
    ctx.accounts.bank.total_borrows = total;
    ctx.accounts.emit_change(action::BORROW, amount, margin)
}
