use anchor_lang::prelude::*;
use anchor_spl::token::{self, Transfer};

use super::move_shares::*;
use crate::errors::VaultError;
use crate::events::WithdrawalRequested;

/// Queue `shares` for withdrawal at this round's price per share (fixed
/// when the round is processed, before the next epoch's options are sold,
/// so the withdrawn value bears no later epoch's risk). Unredeemed shares
/// are used first, then the user's share account. Always allowed.
pub fn handle_request_withdrawal(ctx: Context<MoveShares>, shares: u64) -> Result<()> {
    require!(shares > 0, VaultError::ZeroAmount);
    let a = ctx.accounts;
    a.convert_earlier_deposit()?;
    let round = a.vault.round;
    require!(
        a.receipt.withdraw_shares == 0 || a.receipt.withdraw_round == round,
        VaultError::WithdrawalPending
    );
    let from_escrow = shares.min(a.receipt.unredeemed_shares);
    let from_wallet = shares - from_escrow;
    require!(
        from_wallet <= a.owner_shares.amount,
        VaultError::InsufficientShares
    );
    // The supply left after every queued withdrawal is either zero or at
    // least the minimum, so nobody can shrink it to a dust share whose price
    // a donation could move.
    let queued = a
        .vault
        .queued_withdraw_shares
        .checked_add(shares)
        .ok_or(VaultError::MathOverflow)?;
    let remaining = a.share_mint.supply.saturating_sub(queued);
    require!(
        remaining == 0 || remaining >= a.vault.params.min_supply,
        VaultError::BelowMinSupply
    );
    if from_wallet > 0 {
        let transfer = Transfer {
            from: a.owner_shares.to_account_info(),
            to: a.share_escrow.to_account_info(),
            authority: a.owner.to_account_info(),
        };
        token::transfer(
            CpiContext::new(a.token_program.to_account_info(), transfer),
            from_wallet,
        )?;
    }
    a.receipt.unredeemed_shares -= from_escrow;
    a.vault.unredeemed_shares -= from_escrow;
    a.vault.queued_withdraw_shares = queued;
    a.receipt.withdraw_round = round;
    a.receipt.withdraw_shares = a
        .receipt
        .withdraw_shares
        .checked_add(shares)
        .ok_or(VaultError::MathOverflow)?;
    emit!(WithdrawalRequested {
        vault: a.vault.key(),
        owner: a.owner.key(),
        round,
        shares,
    });
    Ok(())
}
