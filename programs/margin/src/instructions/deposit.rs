use anchor_lang::prelude::*;

use super::token_flow::*;
use crate::errors::MarginError;
use crate::events::action;
use crate::state::MarginStatus;

/// Deposit collateral. Allowed whatever the oracles say (it only reduces
/// risk), but not once margin is shut down.
pub fn handle_deposit(ctx: Context<TokenFlow>, amount: u64) -> Result<()> {
    require!(amount > 0, MarginError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;
    let status = ctx.accounts.config.effective_status(now);
    require!(
        status != MarginStatus::Shutdown,
        MarginError::ProtocolStatusForbids
    );
    let bank_key = ctx.accounts.bank.key();
    let total = ctx
        .accounts
        .bank
        .total_deposits
        .checked_add(amount)
        .ok_or(MarginError::MathOverflow)?;
    require!(
        total <= ctx.accounts.bank.params.deposit_cap,
        MarginError::DepositCapExceeded
    );
    ctx.accounts.pull(amount)?;
    ctx.accounts.bank.total_deposits = total;
    let position = ctx.accounts.account.position_mut(&bank_key)?;
    position.deposits = position
        .deposits
        .checked_add(amount)
        .ok_or(MarginError::MathOverflow)?;
    ctx.accounts.emit_change(action::DEPOSIT, amount, 0);
    Ok(())
}
