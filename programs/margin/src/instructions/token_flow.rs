use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};

use crate::errors::MarginError;
use crate::events::BalanceChanged;
use crate::state::{Bank, MarginAccount, MarginConfig};

/// Accounts of every balance action (deposit, withdraw, borrow, repay):
/// the owner's margin account, one bank with its vault, and the owner's
/// token account of the bank's mint. Health checks take `[bank, feed]`
/// pairs for all active positions as remaining accounts.
#[derive(Accounts)]
pub struct TokenFlow<'info> {
    #[account(seeds = [MarginConfig::SEED], bump = config.bump)]
    pub config: Account<'info, MarginConfig>,
    /// Type and program checked by `Account`; the signer must be its owner.
    #[account(mut, has_one = owner @ MarginError::NotAccountOwner)]
    pub account: Account<'info, MarginAccount>,
    pub owner: Signer<'info>,
    #[account(mut, seeds = [Bank::SEED, bank.mint.as_ref()], bump = bank.bump, has_one = vault)]
    pub bank: Account<'info, Bank>,
    #[account(mut)]
    pub vault: Account<'info, TokenAccount>,
    #[account(mut, constraint = user_token.mint == bank.mint @ MarginError::WrongMint)]
    pub user_token: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
}

impl<'info> TokenFlow<'info> {
    /// Accrue the bank's interest to now: first, before any balance is read.
    pub fn accrue(&mut self, now: i64) -> Result<()> {
        super::accrue::accrue_bank(&mut self.bank, now)
    }

    /// Emit the balance change of this account in `bank` after an action.
    pub fn emit_change(&self, action: u8, amount: u64, initial_margin_after: i128) -> Result<()> {
        let bank = self.bank.key();
        let (shares, borrows_after) = self
            .account
            .positions
            .iter()
            .find(|p| p.bank == bank && !p.is_empty())
            .map_or((0, 0), |p| (p.deposit_shares, p.borrow_scaled));
        let deposits_after = self.bank.deposit_tokens(shares)?;
        let borrows_after = self.bank.debt_tokens(borrows_after)?;
        emit!(BalanceChanged {
            account: self.account.key(),
            bank,
            action,
            amount,
            deposits_after,
            borrows_after,
            initial_margin_after,
        });
        Ok(())
    }

    /// Move `amount` from the owner's token account into the vault.
    pub fn pull(&self, amount: u64) -> Result<()> {
        let accounts = Transfer {
            from: self.user_token.to_account_info(),
            to: self.vault.to_account_info(),
            authority: self.owner.to_account_info(),
        };
        token::transfer(
            CpiContext::new(self.token_program.to_account_info(), accounts),
            amount,
        )
    }

    /// Move `amount` from the vault to the owner's token account, signed by the bank PDA.
    pub fn push(&self, amount: u64) -> Result<()> {
        require!(
            self.vault.amount >= amount,
            MarginError::InsufficientLiquidity
        );
        pay_from_bank(
            &self.token_program,
            &self.bank,
            self.vault.to_account_info(),
            self.user_token.to_account_info(),
            amount,
        )
    }
}

/// Move `amount` out of one of `bank`'s token accounts (vault or insurance
/// vault, both owned by the bank PDA), signed by the bank. Nothing for 0.
pub fn pay_from_bank<'info>(
    token_program: &Program<'info, Token>,
    bank: &Account<'info, Bank>,
    from: AccountInfo<'info>,
    to: AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    if amount == 0 {
        return Ok(());
    }
    let mint = bank.mint;
    let seeds: &[&[u8]] = &[Bank::SEED, mint.as_ref(), &[bank.bump]];
    let accounts = Transfer {
        from,
        to,
        authority: bank.to_account_info(),
    };
    token::transfer(
        CpiContext::new_with_signer(token_program.to_account_info(), accounts, &[seeds]),
        amount,
    )
}
