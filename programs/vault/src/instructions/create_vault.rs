use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};
use pricing::state::PriceFeed;

use super::governance::*;
use crate::events::VaultCreated;
use crate::state::{GreeksCache, Phase, Strategy, Vault, VaultParams, VaultStatus};

#[derive(Accounts)]
#[instruction(strategy: Strategy, params: VaultParams)]
pub struct CreateVault<'info> {
    pub gov: VaultGovernance<'info>,
    pub underlying_mint: Box<Account<'info, Mint>>,
    pub quote_mint: Box<Account<'info, Mint>>,
    #[account(
        init,
        payer = payer,
        space = Vault::SPACE,
        seeds = [
            Vault::SEED,
            underlying_mint.key().as_ref(),
            quote_mint.key().as_ref(),
            strategy.seed().as_ref(),
            &params.epoch_secs.to_le_bytes(),
        ],
        bump,
    )]
    pub vault: Box<Account<'info, Vault>>,
    /// The underlying for covered calls, the quote token for puts.
    #[account(
        constraint = asset_mint.key() == match strategy {
            Strategy::CoveredCall => underlying_mint.key(),
            Strategy::CashSecuredPut => quote_mint.key(),
        } @ crate::errors::VaultError::WrongVaultAccount
    )]
    pub asset_mint: Box<Account<'info, Mint>>,
    #[account(
        init,
        payer = payer,
        seeds = [Vault::ASSETS_SEED, vault.key().as_ref()],
        bump,
        token::mint = asset_mint,
        token::authority = vault,
    )]
    pub asset_vault: Box<Account<'info, TokenAccount>>,
    #[account(
        init,
        payer = payer,
        seeds = [Vault::SHARES_SEED, vault.key().as_ref()],
        bump,
        mint::decimals = asset_mint.decimals,
        mint::authority = vault,
    )]
    pub share_mint: Box<Account<'info, Mint>>,
    #[account(
        init,
        payer = payer,
        seeds = [Vault::ESCROW_SEED, vault.key().as_ref()],
        bump,
        token::mint = share_mint,
        token::authority = vault,
    )]
    pub share_escrow: Box<Account<'info, TokenAccount>>,
    /// A pricing feed (owner and type checked by the loader).
    pub feed: AccountLoader<'info, PriceFeed>,
    #[account(mut)]
    pub payer: Signer<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

/// Governance creates a vault per (underlying, quote, strategy, epoch
/// length), with its share mint, asset vault and share escrow as PDAs.
#[access_control(params.validate())]
pub fn handle_create_vault(
    ctx: Context<CreateVault>,
    strategy: Strategy,
    params: VaultParams,
) -> Result<()> {
    let a = ctx.accounts;
    let vault = &mut a.vault;
    vault.set_inner(Vault {
        protocol: a.gov.protocol.key(),
        underlying_mint: a.underlying_mint.key(),
        quote_mint: a.quote_mint.key(),
        asset_mint: a.asset_mint.key(),
        asset_vault: a.asset_vault.key(),
        share_mint: a.share_mint.key(),
        share_escrow: a.share_escrow.key(),
        feed: a.feed.key(),
        strategy,
        params,
        status: VaultStatus::Active,
        underlying_decimals: a.underlying_mint.decimals,
        quote_decimals: a.quote_mint.decimals,
        round: 1,
        phase: Phase::Settled,
        active_assets: 0,
        epoch_start_assets: 0,
        pending_deposits: 0,
        queued_withdraw_shares: 0,
        withdrawal_reserve: 0,
        payoff_reserve: 0,
        fees_accrued: 0,
        unredeemed_shares: 0,
        share_supply: 0,
        options_sold: 0,
        max_option_liability: 0,
        series: Pubkey::default(),
        strike_override: 0,
        greeks: GreeksCache::default(),
        bump: ctx.bumps.vault,
    });
    emit!(VaultCreated {
        vault: vault.key(),
        strategy: strategy as u8,
        asset_mint: vault.asset_mint,
        feed: vault.feed,
    });
    Ok(())
}
