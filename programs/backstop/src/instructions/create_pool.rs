use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};
use pricing::state::PriceFeed;
use risk_math::backstop::Band;

use super::governance::*;
use crate::events::PoolCreated;
use crate::state::{validate_discounts, Pool, PoolParams};

#[derive(Accounts)]
pub struct CreatePool<'info> {
    pub gov: BackstopGovernance<'info>,
    pub collateral_mint: Box<Account<'info, Mint>>,
    pub quote_mint: Box<Account<'info, Mint>>,
    #[account(
        init,
        payer = payer,
        space = Pool::SPACE,
        seeds = [Pool::SEED, collateral_mint.key().as_ref(), quote_mint.key().as_ref()],
        bump,
    )]
    pub pool: Box<Account<'info, Pool>>,
    #[account(
        init,
        payer = payer,
        seeds = [Pool::COLLATERAL_SEED, pool.key().as_ref()],
        bump,
        token::mint = collateral_mint,
        token::authority = pool,
    )]
    pub collateral_vault: Box<Account<'info, TokenAccount>>,
    #[account(
        init,
        payer = payer,
        seeds = [Pool::QUOTE_SEED, pool.key().as_ref()],
        bump,
        token::mint = quote_mint,
        token::authority = pool,
    )]
    pub quote_vault: Box<Account<'info, TokenAccount>>,
    /// The pricing feed of the collateral in the quote token (owner and type checked).
    pub feed: AccountLoader<'info, PriceFeed>,
    #[account(mut)]
    pub payer: Signer<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

/// Governance creates the backstop of one (collateral, quote) pair with
/// its discount bands (bps below the feed price, strictly rising).
pub fn handle_create_pool(
    ctx: Context<CreatePool>,
    discounts_bps: Vec<u16>,
    params: PoolParams,
) -> Result<()> {
    validate_discounts(&discounts_bps)?;
    params.validate()?;
    let a = ctx.accounts;
    a.pool.set_inner(Pool {
        protocol: a.gov.protocol.key(),
        feed: a.feed.key(),
        collateral_mint: a.collateral_mint.key(),
        quote_mint: a.quote_mint.key(),
        collateral_vault: a.collateral_vault.key(),
        quote_vault: a.quote_vault.key(),
        collateral_decimals: a.collateral_mint.decimals,
        quote_decimals: a.quote_mint.decimals,
        params,
        limit_slot: 0,
        quote_in_slot: 0,
        withdrawals_locked_until: 0,
        bands: discounts_bps.iter().map(|d| Band::new(*d).into()).collect(),
        bump: ctx.bumps.pool,
    });
    emit!(PoolCreated {
        pool: a.pool.key(),
        feed: a.pool.feed,
        collateral_mint: a.pool.collateral_mint,
        quote_mint: a.pool.quote_mint,
        discounts_bps,
    });
    Ok(())
}
