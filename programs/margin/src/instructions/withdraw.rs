use anchor_lang::prelude::*;

use super::token_flow::*;
use crate::errors::MarginError;
use crate::events::action;
use crate::health::require_initial_health;

/// Withdraw collateral, as long as the account still meets its initial
/// requirement afterwards. An account with no debt never reads a price: a
/// stale or halted oracle must not lock funds that back nothing.
pub fn handle_withdraw<'info>(
    ctx: Context<'_, '_, 'info, 'info, TokenFlow<'info>>,
    amount: u64,
) -> Result<()> {
    require!(amount > 0, MarginError::ZeroAmount);
    let bank_key = ctx.accounts.bank.key();
    let position = ctx.accounts.account.position_mut(&bank_key)?;
    require!(
        amount <= position.deposits,
        MarginError::InsufficientDeposit
    );
    position.deposits -= amount;
    let margin = if ctx.accounts.account.has_debt() {
        require_initial_health(
            &ctx.accounts.account,
            ctx.remaining_accounts,
            &Clock::get()?,
        )?
    } else {
        0
    };
    ctx.accounts.push(amount)?;
    ctx.accounts.bank.total_deposits = ctx.accounts.bank.total_deposits.saturating_sub(amount);
    ctx.accounts.emit_change(action::WITHDRAW, amount, margin);
    Ok(())
}
