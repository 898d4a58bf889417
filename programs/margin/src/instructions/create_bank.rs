use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};
use pricing::state::PriceFeed;

use super::governance::*;
use vault::state::Vault;

use crate::errors::MarginError;
use crate::events::BankCreated;
use crate::state::{Bank, BankParams};

#[derive(Accounts)]
pub struct CreateBank<'info> {
    pub gov: MarginGovernance<'info>,
    pub mint: Account<'info, Mint>,
    #[account(init, payer = payer, space = Bank::SPACE, seeds = [Bank::SEED, mint.key().as_ref()], bump)]
    pub bank: Account<'info, Bank>,
    #[account(
        init,
        payer = payer,
        seeds = [Bank::VAULT_SEED, bank.key().as_ref()],
        bump,
        token::mint = mint,
        token::authority = bank,
    )]
    pub vault: Account<'info, TokenAccount>,
    #[account(
        init,
        payer = payer,
        seeds = [Bank::INSURANCE_SEED, bank.key().as_ref()],
        bump,
        token::mint = mint,
        token::authority = bank,
    )]
    pub insurance_vault: Account<'info, TokenAccount>,
    /// A pricing feed (owner and type checked by the loader): for a bank of
    /// vault shares, the feed of the vault's asset.
    pub feed: AccountLoader<'info, PriceFeed>,
    /// For a bank of option-vault shares: the vault whose share mint `mint` is.
    #[account(constraint = share_vault.share_mint == mint.key() @ MarginError::WrongMint)]
    pub share_vault: Option<Box<Account<'info, Vault>>>,
    #[account(mut)]
    pub payer: Signer<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
    pub rent: Sysvar<'info, Rent>,
}

#[access_control(params.validate())]
#[access_control(params.validate_liquidable(&ctx.accounts.gov.config.liquidation))]
pub fn handle_create_bank(ctx: Context<CreateBank>, params: BankParams) -> Result<()> {
    let bank = &mut ctx.accounts.bank;
    bank.mint = ctx.accounts.mint.key();
    bank.vault = ctx.accounts.vault.key();
    bank.feed = ctx.accounts.feed.key();
    bank.share_vault = ctx
        .accounts
        .share_vault
        .as_ref()
        .map_or(Pubkey::default(), |v| v.key());
    bank.params = params;
    bank.insurance_vault = ctx.accounts.insurance_vault.key();
    bank.effective_maint_ratio = params.maint.base;
    let clock = Clock::get()?;
    bank.ratio_slot = clock.slot;
    bank.borrow_index = risk_math::WAD;
    bank.last_accrual = clock.unix_timestamp;
    bank.decimals = ctx.accounts.mint.decimals;
    bank.bump = ctx.bumps.bank;
    bank.vault_bump = ctx.bumps.vault;
    emit!(BankCreated {
        bank: bank.key(),
        mint: bank.mint,
        feed: bank.feed
    });
    Ok(())
}
