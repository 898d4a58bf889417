use anchor_lang::prelude::*;
use anchor_spl::token::{self, Transfer};

use super::queue_deposit::*;
use crate::errors::VaultError;

/// Queue a deposit for the next processing, at that round's price per
/// share. Refused while the vault is paused or shut down, over the caps,
/// and while the feed's breaker has halted it.
pub fn handle_deposit(ctx: Context<QueueDeposit>, amount: u64) -> Result<()> {
    require!(amount > 0, VaultError::ZeroAmount);
    let a = ctx.accounts;
    a.vault.require_active()?;
    require!(
        a.feed.load()?.status() != risk_math::breaker::Status::Halted,
        VaultError::FeedHalted
    );
    a.convert_earlier_deposit()?;
    let vault = &mut a.vault;
    let under_management = vault
        .active_assets
        .checked_add(vault.pending_deposits)
        .and_then(|v| v.checked_add(amount))
        .ok_or(VaultError::MathOverflow)?;
    require!(
        under_management <= vault.params.deposit_cap,
        VaultError::DepositCapExceeded
    );
    let queued = a
        .receipt
        .deposit_amount
        .checked_add(amount)
        .ok_or(VaultError::MathOverflow)?;
    require!(
        queued <= vault.params.user_deposit_cap,
        VaultError::UserCapExceeded
    );
    let transfer = Transfer {
        from: a.owner_token.to_account_info(),
        to: a.asset_vault.to_account_info(),
        authority: a.owner.to_account_info(),
    };
    token::transfer(
        CpiContext::new(a.token_program.to_account_info(), transfer),
        amount,
    )?;
    // Cannot overflow: the cap check above summed it with checked adds.
    vault.pending_deposits += amount;
    a.receipt.deposit_round = vault.round;
    a.receipt.deposit_amount = queued;
    a.emit(amount as i64);
    Ok(())
}
