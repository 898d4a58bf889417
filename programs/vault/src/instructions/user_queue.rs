use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};
use pricing::state::PriceFeed;

use crate::errors::VaultError;
use crate::events::DepositQueued;
use crate::signer::VaultAuthority;
use crate::state::{DepositReceipt, RoundRecord, Vault};

#[derive(Accounts)]
pub struct OpenReceipt<'info> {
    pub vault: Box<Account<'info, Vault>>,
    #[account(
        init,
        payer = owner,
        space = DepositReceipt::SPACE,
        seeds = [DepositReceipt::SEED, vault.key().as_ref(), owner.key().as_ref()],
        bump,
    )]
    pub receipt: Box<Account<'info, DepositReceipt>>,
    #[account(mut)]
    pub owner: Signer<'info>,
    pub system_program: Program<'info, System>,
}

/// A user's queue in a vault, opened once.
pub fn handle_open_receipt(ctx: Context<OpenReceipt>) -> Result<()> {
    let vault = &ctx.accounts.vault;
    ctx.accounts.receipt.set_inner(DepositReceipt {
        vault: vault.key(),
        owner: ctx.accounts.owner.key(),
        deposit_round: vault.round,
        deposit_amount: 0,
        unredeemed_shares: 0,
        withdraw_round: 0,
        withdraw_shares: 0,
        bump: ctx.bumps.receipt,
    });
    Ok(())
}

/// The accounts of queueing and cancelling deposits: the owner's receipt,
/// the vault's asset account and the owner's token account of the asset.
/// `round_record` is the record of the round of a deposit still on the
/// receipt from an earlier, processed round (it becomes shares first).
#[derive(Accounts)]
pub struct QueueDeposit<'info> {
    #[account(mut, has_one = asset_vault, has_one = feed)]
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
    /// Read for its circuit breaker only.
    pub feed: AccountLoader<'info, PriceFeed>,
    pub round_record: Option<Box<Account<'info, RoundRecord>>>,
    pub token_program: Program<'info, Token>,
}

impl QueueDeposit<'_> {
    fn convert_earlier_deposit(&mut self) -> Result<()> {
        let round = self.vault.round;
        let record = self.round_record.as_deref().map(|r| &**r);
        self.receipt.convert_deposit(round, record)?;
        Ok(())
    }

    fn emit(&self, amount: i64) {
        emit!(DepositQueued {
            vault: self.vault.key(),
            owner: self.owner.key(),
            round: self.vault.round,
            amount,
            pending_after: self.receipt.deposit_amount,
        });
    }
}

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
    vault.pending_deposits += amount;
    a.receipt.deposit_round = vault.round;
    a.receipt.deposit_amount = queued;
    a.emit(amount as i64);
    Ok(())
}

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
    a.vault.pending_deposits = a
        .vault
        .pending_deposits
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
    a.emit(-(amount as i64));
    Ok(())
}
