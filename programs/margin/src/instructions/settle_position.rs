use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};
use risk_math::margin::settlement_size;

use super::token_flow::pay_from_bank;
use crate::errors::MarginError;
use crate::events::PositionSettled;
use crate::state::{Bank, MarginAccount, MarginConfig};

#[derive(Accounts)]
pub struct SettlePosition<'info> {
    #[account(seeds = [MarginConfig::SEED], bump = config.bump)]
    pub config: Box<Account<'info, MarginConfig>>,
    pub settler: Signer<'info>,
    #[account(mut)]
    pub account: Box<Account<'info, MarginAccount>>,
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
    #[account(mut, constraint = settler_liability_token.mint == liability_bank.mint @ MarginError::WrongMint)]
    pub settler_liability_token: Box<Account<'info, TokenAccount>>,
    #[account(mut, constraint = settler_collateral_token.mint == collateral_bank.mint @ MarginError::WrongMint)]
    pub settler_collateral_token: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

impl SettlePosition<'_> {
    pub fn validate(&self) -> Result<()> {
        self.config.require_shutdown(Clock::get()?.unix_timestamp)
    }
}

/// Permissionless under Shutdown: the settler repays the account's debt in
/// one bank and receives collateral from another worth exactly that at the
/// two banks' fixed settlement prices (the last valid TWAPs; no fee,
/// rounding against the account). Lenders are repaid in their own token;
/// the owner keeps the rest of the collateral. When the collateral does not
/// cover the debt all of it goes, and what is left is bad debt for
/// `write_off_bad_debt`.
#[access_control(ctx.accounts.validate())]
pub fn handle_settle_position(ctx: Context<SettlePosition>) -> Result<()> {
    let a = ctx.accounts;
    let since = a.config.shutdown_since;
    let liability_price = a.liability_bank.current_settlement_price(since)?;
    let collateral_price = a.collateral_bank.current_settlement_price(since)?;
    let (liability_key, collateral_key) = (a.liability_bank.key(), a.collateral_bank.key());
    let debt = a
        .account
        .existing_mut(&liability_key)
        .map_or(0, |p| p.borrows);
    let shares = a
        .account
        .existing_mut(&collateral_key)
        .map_or(0, |p| p.deposit_shares);
    let held = a.collateral_bank.deposit_tokens(shares)?;
    require!(debt > 0 && held > 0, MarginError::NothingToLiquidate);
    let size = settlement_size(
        debt,
        a.liability_bank.decimals,
        liability_price,
        held,
        a.collateral_bank.decimals,
        collateral_price,
    )
    .map_err(MarginError::from)?;

    if let Some(pos) = a.account.existing_mut(&liability_key) {
        pos.borrows -= size.repay;
    }
    if let Some(pos) = a.account.existing_mut(&collateral_key) {
        pos.deposit_shares -= a
            .collateral_bank
            .remove_deposit(size.seize, pos.deposit_shares)?;
    }
    a.liability_bank.total_borrows = a
        .liability_bank
        .total_borrows
        .checked_sub(size.repay)
        .ok_or(MarginError::MathOverflow)?;

    let repay = Transfer {
        from: a.settler_liability_token.to_account_info(),
        to: a.liability_vault.to_account_info(),
        authority: a.settler.to_account_info(),
    };
    token::transfer(
        CpiContext::new(a.token_program.to_account_info(), repay),
        size.repay,
    )?;
    pay_from_bank(
        &a.token_program,
        &a.collateral_bank,
        a.collateral_vault.to_account_info(),
        a.settler_collateral_token.to_account_info(),
        size.seize,
    )?;
    emit!(PositionSettled {
        account: a.account.key(),
        settler: a.settler.key(),
        liability_bank: liability_key,
        collateral_bank: collateral_key,
        repaid: size.repay,
        seized: size.seize,
        debt_left: debt - size.repay,
    });
    Ok(())
}
