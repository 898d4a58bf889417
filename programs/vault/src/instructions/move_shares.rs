use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::errors::VaultError;
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
    pub fn convert_earlier_deposit(&mut self) -> Result<()> {
        let round = self.vault.round;
        let record = self.round_record.as_deref().map(|r| &**r);
        self.receipt.convert_deposit(round, record)?;
        Ok(())
    }
}
