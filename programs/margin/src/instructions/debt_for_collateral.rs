use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};

use super::accrue::accrue_bank;
use super::token_flow::pay_from_bank;
use crate::errors::MarginError;
use crate::liquidation::debt_and_collateral;
use crate::state::{Bank, MarginAccount};

/// The two banks of an exchange of one bank's debt for another bank's
/// collateral (liquidation, backstop absorption, shutdown settlement),
/// with their vaults.
#[derive(Accounts)]
pub struct BankPair<'info> {
    #[account(
        mut,
        seeds = [Bank::SEED, liability_bank.mint.as_ref()],
        bump = liability_bank.bump,
        constraint = liability_bank.key() != collateral_bank.key() @ MarginError::NothingToLiquidate,
    )]
    pub liability_bank: Box<Account<'info, Bank>>,
    #[account(mut, address = liability_bank.vault)]
    pub liability_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, seeds = [Bank::SEED, collateral_bank.mint.as_ref()], bump = collateral_bank.bump)]
    pub collateral_bank: Box<Account<'info, Bank>>,
    #[account(mut, address = collateral_bank.vault)]
    pub collateral_vault: Box<Account<'info, TokenAccount>>,
}

impl<'info> BankPair<'info> {
    /// Accrue both banks' interest to now: first, before any balance is
    /// read. Written through at once, so health (which reads the banks
    /// from the remaining accounts) finds them accrued instead of
    /// projecting them again.
    pub fn accrue(&mut self, now: i64) -> Result<()> {
        for bank in [&mut self.liability_bank, &mut self.collateral_bank] {
            // With nothing to accrue only the clock moves: no write needed.
            let changed = bank.accrues_at(now);
            accrue_bank(bank, now)?;
            if changed {
                bank.exit(&crate::ID)?;
            }
        }
        Ok(())
    }

    pub fn keys(&self) -> (Pubkey, Pubkey) {
        (self.liability_bank.key(), self.collateral_bank.key())
    }

    /// `account`'s debt in the liability bank and the collateral tokens
    /// its deposit in the collateral bank is worth.
    pub fn balances(&self, account: &mut MarginAccount) -> Result<(u64, u64)> {
        debt_and_collateral(
            account,
            (&self.liability_bank.key(), &self.liability_bank),
            (&self.collateral_bank.key(), &self.collateral_bank),
        )
    }

    /// Book the exchange on `account` and the banks: `repay` of its debt
    /// is gone, `seize` tokens of its collateral leave the pool.
    pub fn book(&mut self, account: &mut MarginAccount, repay: u64, seize: u64) -> Result<()> {
        let (liability, collateral) = self.keys();
        if repay > 0 {
            let pos = account
                .existing_mut(&liability)
                .ok_or(MarginError::NothingToLiquidate)?;
            self.liability_bank.repay_from(pos, repay)?;
        }
        if seize > 0 {
            let pos = account
                .existing_mut(&collateral)
                .ok_or(MarginError::NothingToLiquidate)?;
            self.collateral_bank.withdraw_from(pos, seize)?;
        }
        Ok(())
    }

    /// Pay `amount` of collateral out of the collateral vault to `to`.
    pub fn pay_collateral(
        &self,
        token_program: &Program<'info, Token>,
        to: AccountInfo<'info>,
        amount: u64,
    ) -> Result<()> {
        pay_from_bank(
            token_program,
            &self.collateral_bank,
            self.collateral_vault.to_account_info(),
            to,
            amount,
        )
    }
}

/// A bank pair and the repayer's token account of each mint: a liquidator
/// or settler pays the debt and receives the collateral.
#[derive(Accounts)]
pub struct DebtForCollateral<'info> {
    pub banks: BankPair<'info>,
    /// The repayer's account of the liability mint: pays the debt.
    #[account(mut, constraint = liability_token.mint == banks.liability_bank.mint @ MarginError::WrongMint)]
    pub liability_token: Box<Account<'info, TokenAccount>>,
    /// The repayer's account of the collateral mint: receives collateral.
    #[account(mut, constraint = collateral_token.mint == banks.collateral_bank.mint @ MarginError::WrongMint)]
    pub collateral_token: Box<Account<'info, TokenAccount>>,
}

impl<'info> DebtForCollateral<'info> {
    /// Move the tokens: `repay` from the repayer into the liability vault,
    /// `to_repayer` collateral out to the repayer.
    pub fn transfer(
        &self,
        repayer: &Signer<'info>,
        token_program: &Program<'info, Token>,
        repay: u64,
        to_repayer: u64,
    ) -> Result<()> {
        let accounts = Transfer {
            from: self.liability_token.to_account_info(),
            to: self.banks.liability_vault.to_account_info(),
            authority: repayer.to_account_info(),
        };
        token::transfer(
            CpiContext::new(token_program.to_account_info(), accounts),
            repay,
        )?;
        self.banks.pay_collateral(
            token_program,
            self.collateral_token.to_account_info(),
            to_repayer,
        )
    }
}
