use anchor_lang::prelude::*;

use super::queue_deposit::*;
use crate::errors::VaultError;
use crate::signer::pay_out;

/// Take back (part of) a deposit queued in the current round, before it
/// becomes shares. Always allowed, whatever the vault's status.
pub fn handle_cancel_deposit(ctx: Context<QueueDeposit>, amount: u64) -> Result<()> {
    require!(amount > 0, VaultError::ZeroAmount);
    let a = ctx.accounts;
    require!(
        !a.receipt.processed_deposit(a.vault.round),
        VaultError::DepositAlreadyProcessed
    );
    require!(
        amount <= a.receipt.deposit_amount,
        VaultError::CancelExceedsDeposit
    );
    a.receipt.deposit_amount -= amount;
    pay_out(
        &mut a.vault,
        |v| &mut v.pending_deposits,
        &a.token_program,
        a.asset_vault.to_account_info(),
        a.owner_token.to_account_info(),
        amount,
    )?;
    a.emit(-(amount as i64));
    Ok(())
}
