use anchor_lang::prelude::*;

use super::token_flow::*;
use crate::errors::MarginError;
use crate::events::action;
use crate::state::MarginStatus;

/// Deposit collateral. Allowed whatever the oracles say (it only reduces
/// risk), but not once margin is shut down. Into a bank the account owes,
/// the deposit repays the debt first (a position never holds both, see
/// `handle_borrow`); the rest receives shares of the bank's deposit pool
/// at the current share price.
pub fn handle_deposit(ctx: Context<TokenFlow>, amount: u64) -> Result<()> {
    require!(amount > 0, MarginError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;
    let status = ctx.accounts.config.effective_status(now);
    require!(
        status != MarginStatus::Shutdown,
        MarginError::ProtocolStatusForbids
    );
    ctx.accounts.accrue(now)?;
    let bank = &mut ctx.accounts.bank;
    let bank_key = bank.key();
    let position = ctx.accounts.account.position_mut(&bank_key)?;
    let repaid = bank.debt_tokens(position.borrow_scaled)?.min(amount);
    if repaid > 0 {
        bank.repay_from(position, repaid)?;
    }
    let rest = amount - repaid;
    if rest > 0 {
        let total = bank
            .total_deposits
            .checked_add(rest)
            .ok_or(MarginError::MathOverflow)?;
        require!(total <= bank.deposit_cap(), MarginError::DepositCapExceeded);
        bank.deposit_to(position, rest)?;
    }
    ctx.accounts.pull(amount)?;
    ctx.accounts.emit_change(action::DEPOSIT, amount, 0)
}
