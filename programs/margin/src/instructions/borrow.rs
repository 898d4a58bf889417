use anchor_lang::prelude::*;

use super::token_flow::*;
use crate::errors::MarginError;
use crate::events::action;
use crate::health::require_initial_health;
use crate::liquidation::clear_if_healthy;
use crate::state::MarginStatus;

/// Borrow from a bank's vault: risk-increasing, so only while margin is
/// Active, under the bank's cap, and with fresh, unhalted prices showing
/// the initial requirement met afterwards.
///
/// A position never holds deposits and debt in one bank: a borrow first
/// comes out of the account's own deposit there, and only the rest becomes
/// debt. A position holding both could not be wound down under Shutdown
/// (settlement pairs two different banks, and the bank's borrows would
/// never reach 0, so none of its lenders could withdraw).
pub fn handle_borrow<'info>(
    ctx: Context<'_, '_, 'info, 'info, TokenFlow<'info>>,
    amount: u64,
) -> Result<()> {
    require!(amount > 0, MarginError::ZeroAmount);
    let clock = Clock::get()?;
    let a = ctx.accounts;
    let status = a.config.effective_status(clock.unix_timestamp);
    require!(
        status == MarginStatus::Active,
        MarginError::ProtocolStatusForbids
    );
    require!(!a.bank.is_share_bank(), MarginError::SharesNotBorrowable);
    a.accrue(clock.unix_timestamp)?;
    let bank_key = a.bank.key();
    let position = a.account.position_mut(&bank_key)?;
    a.bank.borrow_netted(position, amount)?;
    // Health reads the bank from the remaining accounts: write the new
    // pool totals through first so shares are valued as they now are.
    a.bank.exit(&crate::ID)?;
    let margin = require_initial_health(&a.account, ctx.remaining_accounts, &clock)?;
    // Healthy again: the fee ramp of an earlier dip starts over.
    clear_if_healthy(&mut a.account, ctx.remaining_accounts, &clock)?;
    a.push(amount)?;
    a.emit_change(action::BORROW, amount, margin)
}
