use anchor_lang::prelude::*;

use super::token_flow::*;
use crate::errors::MarginError;
use crate::events::action;
use crate::health::require_initial_health;
use crate::liquidation::clear_if_healthy;
use crate::state::MarginStatus;

/// Withdraw collateral (all of it for `u64::MAX`), as long as the account
/// still meets its initial requirement afterwards. An account with no debt never reads a price: a
/// stale or halted oracle must not lock funds that back nothing.
///
/// Under Shutdown a bank pays depositors only once none of its loans is
/// outstanding (each settled at the fixed TWAP or written off): until then
/// the bad debt a lender shares is unknown, and early leavers would escape it.
pub fn handle_withdraw<'info>(
    ctx: Context<'_, '_, 'info, 'info, TokenFlow<'info>>,
    amount: u64,
) -> Result<()> {
    require!(amount > 0, MarginError::ZeroAmount);
    let clock = Clock::get()?;
    let a = ctx.accounts;
    a.accrue(clock.unix_timestamp)?;
    if a.config.effective_status(clock.unix_timestamp) == MarginStatus::Shutdown {
        require!(a.bank.borrow_scaled == 0, MarginError::SettlementPending);
    }
    let bank_key = a.bank.key();
    let position = a
        .account
        .existing_mut(&bank_key)
        .ok_or(MarginError::InsufficientDeposit)?;
    // u64::MAX withdraws the whole deposit as worth now, like repay's: a
    // wallet cannot know the interest of the second its transaction lands.
    let amount = if amount == u64::MAX {
        a.bank.deposit_tokens(position.deposit_shares)?
    } else {
        amount
    };
    require!(amount > 0, MarginError::InsufficientDeposit);
    a.bank.withdraw_from(position, amount)?;
    let margin = if a.account.has_debt() {
        // Health reads the bank from the remaining accounts: write the new
        // pool totals through first so shares are valued as they now are.
        a.bank.exit(&crate::ID)?;
        let margin = require_initial_health(&a.account, ctx.remaining_accounts, &clock)?;
        // Healthy again: an earlier dip's fee ramp starts over.
        clear_if_healthy(&mut a.account, ctx.remaining_accounts, &clock)?;
        margin
    } else {
        0
    };
    a.push(amount)?;
    a.emit_change(action::WITHDRAW, amount, margin)
}
