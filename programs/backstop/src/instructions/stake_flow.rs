use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};
use risk_math::backstop::{Band, Stake};

use super::pay_from_pool;
use crate::errors::BackstopError;
use crate::events::StakeChanged;
use crate::state::{Pool, StakeAccount};

/// Accounts of an LP's deposit or withdrawal in one band: the pool with
/// both vaults, the LP's stake, and the LP's token account of each mint
/// (collateral bought since the last touch is paid out on every touch).
#[derive(Accounts)]
pub struct StakeFlow<'info> {
    #[account(mut, has_one = quote_vault, has_one = collateral_vault)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(mut, has_one = pool, has_one = owner)]
    pub stake: Box<Account<'info, StakeAccount>>,
    pub owner: Signer<'info>,
    #[account(mut)]
    pub quote_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut)]
    pub collateral_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, constraint = owner_quote.mint == pool.quote_mint @ BackstopError::WrongMint)]
    pub owner_quote: Box<Account<'info, TokenAccount>>,
    #[account(mut, constraint = owner_collateral.mint == pool.collateral_mint @ BackstopError::WrongMint)]
    pub owner_collateral: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

impl<'info> StakeFlow<'info> {
    /// Apply one touch to the stake's band: add `deposit`, take out
    /// `withdraw` quote, pay out all bought collateral; move the tokens.
    pub fn touch(&mut self, deposit: u64, withdraw: u64) -> Result<()> {
        let index = self.stake.band;
        let mut band: Band = (*self.pool.band_mut(index)?).into();
        let mut stake: Stake = self.stake.snapshot.into();
        let collateral_paid = band
            .touch(&mut stake, deposit, withdraw)
            .map_err(|e| match e {
                risk_math::MathError::OutOfDomain => BackstopError::InsufficientStake,
                _ => BackstopError::MathOverflow,
            })?;
        *self.pool.band_mut(index)? = band.into();
        self.stake.snapshot = stake.into();

        if deposit > 0 {
            let accounts = Transfer {
                from: self.owner_quote.to_account_info(),
                to: self.quote_vault.to_account_info(),
                authority: self.owner.to_account_info(),
            };
            token::transfer(
                CpiContext::new(self.token_program.to_account_info(), accounts),
                deposit,
            )?;
        }
        pay_from_pool(
            &self.pool,
            &self.token_program,
            self.quote_vault.to_account_info(),
            self.owner_quote.to_account_info(),
            withdraw,
        )?;
        pay_from_pool(
            &self.pool,
            &self.token_program,
            self.collateral_vault.to_account_info(),
            self.owner_collateral.to_account_info(),
            collateral_paid,
        )?;
        emit!(StakeChanged {
            pool: self.pool.key(),
            band: index,
            owner: self.owner.key(),
            deposited: deposit,
            withdrawn: withdraw,
            collateral_paid,
            quote_after: stake.deposit,
            band_quote_after: band.quote,
        });
        Ok(())
    }
}
