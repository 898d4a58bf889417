use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};
use pricing::state::PriceFeed;

use crate::errors::VaultError;
use crate::events::DepositQueued;
use crate::state::{DepositReceipt, RoundRecord, Vault};

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
    pub fn convert_earlier_deposit(&mut self) -> Result<()> {
        let round = self.vault.round;
        let record = self.round_record.as_deref().map(|r| &**r);
        self.receipt.convert_deposit(round, record)?;
        Ok(())
    }

    pub fn emit(&self, amount: i64) {
        emit!(DepositQueued {
            vault: self.vault.key(),
            owner: self.owner.key(),
            round: self.vault.round,
            amount,
            pending_after: self.receipt.deposit_amount,
        });
    }
}
