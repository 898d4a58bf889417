use anchor_lang::prelude::*;
use anchor_spl::token::{self, Mint, Token, TokenAccount, Transfer};
use risk_math::vault::withdrawal_payout;

use crate::errors::VaultError;
use crate::events::{WithdrawalPaid, WithdrawalRequested};
use crate::signer::VaultAuthority;
use crate::state::{DepositReceipt, RoundRecord, Vault};

/// The accounts of a user's share movements: receipt, the vault's escrow
/// and the user's share token account. `round_record` converts a deposit
/// left from an earlier, processed round into shares first.
#[derive(Accounts)]
pub struct MoveShares<'info> {
    #[account(mut, has_one = share_escrow, has_one = share_mint)]
    pub vault: Box<Account<'info, Vault>>,
    #[account(
        mut,
        seeds = [DepositReceipt::SEED, vault.key().as_ref(), owner.key().as_ref()],
        bump = receipt.bump,
    )]
    pub receipt: Box<Account<'info, DepositReceipt>>,
    pub owner: Signer<'info>,
    pub share_mint: Box<Account<'info, Mint>>,
    #[account(mut)]
    pub share_escrow: Box<Account<'info, TokenAccount>>,
    #[account(mut, constraint = owner_shares.mint == vault.share_mint @ VaultError::WrongVaultAccount)]
    pub owner_shares: Box<Account<'info, TokenAccount>>,
    pub round_record: Option<Box<Account<'info, RoundRecord>>>,
    pub token_program: Program<'info, Token>,
}

impl MoveShares<'_> {
    fn convert_earlier_deposit(&mut self) -> Result<()> {
        let round = self.vault.round;
        let record = self.round_record.as_deref().map(|r| &**r);
        self.receipt.convert_deposit(round, record)?;
        Ok(())
    }
}

/// Move the shares minted for the user's processed deposits from the
/// escrow to the user's share account, where they can be traded or posted
/// as collateral.
pub fn handle_redeem_shares(ctx: Context<MoveShares>) -> Result<()> {
    let a = ctx.accounts;
    a.convert_earlier_deposit()?;
    let shares = a.receipt.unredeemed_shares;
    a.receipt.unredeemed_shares = 0;
    a.vault.unredeemed_shares = a
        .vault
        .unredeemed_shares
        .checked_sub(shares)
        .ok_or(VaultError::MathOverflow)?;
    VaultAuthority {
        vault: &a.vault,
        token_program: &a.token_program,
    }
    .transfer(
        a.share_escrow.to_account_info(),
        a.owner_shares.to_account_info(),
        shares,
    )
}

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
    a.receipt.withdraw_shares += shares;
    emit!(WithdrawalRequested {
        vault: a.vault.key(),
        owner: a.owner.key(),
        round,
        shares,
    });
    Ok(())
}

#[derive(Accounts)]
pub struct CompleteWithdrawal<'info> {
    #[account(mut, has_one = asset_vault)]
    pub vault: Box<Account<'info, Vault>>,
    #[account(
        mut,
        seeds = [DepositReceipt::SEED, vault.key().as_ref(), owner.key().as_ref()],
        bump = receipt.bump,
    )]
    pub receipt: Box<Account<'info, DepositReceipt>>,
    pub owner: Signer<'info>,
    #[account(mut)]
    pub asset_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, constraint = owner_token.mint == vault.asset_mint @ VaultError::WrongVaultAccount)]
    pub owner_token: Box<Account<'info, TokenAccount>>,
    /// The record of the round the withdrawal was requested in.
    pub round_record: Box<Account<'info, RoundRecord>>,
    pub token_program: Program<'info, Token>,
}

/// Pay a processed withdrawal at its round's price per share, less the
/// withdrawal fee. Never blocked by pauses, breakers or shutdown.
pub fn handle_complete_withdrawal(ctx: Context<CompleteWithdrawal>) -> Result<()> {
    let a = ctx.accounts;
    let shares = a.receipt.withdraw_shares;
    require!(
        shares > 0 && a.receipt.withdraw_round < a.vault.round,
        VaultError::NothingToWithdraw
    );
    require!(
        a.round_record.vault == a.vault.key() && a.round_record.round == a.receipt.withdraw_round,
        VaultError::RoundRecordMissing
    );
    let amount = withdrawal_payout(
        shares,
        a.round_record.price_per_share,
        a.vault.params.withdrawal_fee_bps,
    )
    .map_err(VaultError::from)?;
    a.receipt.withdraw_shares = 0;
    a.vault.withdrawal_reserve = a
        .vault
        .withdrawal_reserve
        .checked_sub(amount)
        .ok_or(VaultError::MathOverflow)?;
    VaultAuthority {
        vault: &a.vault,
        token_program: &a.token_program,
    }
    .transfer(
        a.asset_vault.to_account_info(),
        a.owner_token.to_account_info(),
        amount,
    )?;
    emit!(WithdrawalPaid {
        vault: a.vault.key(),
        owner: a.owner.key(),
        shares,
        amount,
    });
    Ok(())
}
