use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token};
use pricing::state::PriceFeed;
use risk_math::options::{strike_for_delta, years_from_secs, BsInputs};
use risk_math::vault::{bound_strike, Series};

use crate::errors::VaultError;
use crate::events::EpochStarted;
use crate::market::{cache, model, read_market};
use crate::state::{OptionSeries, Phase, Vault};

#[derive(Accounts)]
pub struct StartEpoch<'info> {
    #[account(mut, has_one = feed)]
    pub vault: Box<Account<'info, Vault>>,
    /// Owner and type checked by the loader.
    pub feed: AccountLoader<'info, PriceFeed>,
    #[account(
        init,
        payer = keeper,
        space = OptionSeries::SPACE,
        seeds = [OptionSeries::SEED, vault.key().as_ref(), &vault.round.to_le_bytes()],
        bump,
    )]
    pub series: Box<Account<'info, OptionSeries>>,
    /// One SPL mint per epoch and strike: the options, tradeable anywhere.
    #[account(
        init,
        payer = keeper,
        seeds = [OptionSeries::MINT_SEED, series.key().as_ref()],
        bump,
        mint::decimals = vault.underlying_decimals,
        mint::authority = vault,
    )]
    pub option_mint: Box<Account<'info, Mint>>,
    #[account(mut)]
    pub keeper: Signer<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

/// Permissionless keeper step after processing: choose the strike at the
/// target delta from the feed's spot and realized volatility times the
/// premium multiplier (bounded to at most `max_otm` out of the money, or
/// governance's audited override), issue the epoch's option mint, and open
/// the sale window. Needs a fresh, unhalted feed.
pub fn handle_start_epoch(ctx: Context<StartEpoch>) -> Result<()> {
    let a = ctx.accounts;
    a.vault.require_phase(Phase::Processed)?;
    a.vault.require_active()?;
    let clock = Clock::get()?;
    let market = read_market(&*a.feed.load()?, &clock, &a.vault.params, true)?;
    let vault = &mut a.vault;
    let kind = vault.strategy.option_kind();
    let params = vault.params;
    let inputs = BsInputs {
        spot: market.spot,
        strike: 0,
        vol: market.vol,
        years: years_from_secs(params.epoch_secs as u64),
        rate: 0,
    };
    let model_strike =
        strike_for_delta(kind, params.target_delta as u128, &inputs).map_err(VaultError::from)?;
    let strike = if vault.strike_override > 0 {
        vault.strike_override
    } else {
        bound_strike(kind, model_strike, market.spot, params.max_otm as u128)
            .map_err(VaultError::from)?
    };
    vault.strike_override = 0;
    let terms = Series {
        kind,
        strike,
        underlying_decimals: vault.underlying_decimals,
        quote_decimals: vault.quote_decimals,
    };
    let capacity = terms
        .capacity(vault.active_assets)
        .map_err(VaultError::from)?;
    let now = clock.unix_timestamp;
    let expiry = now + params.epoch_secs as i64;
    let round = vault.round;
    a.series.set_inner(OptionSeries {
        vault: vault.key(),
        round,
        option_mint: a.option_mint.key(),
        strategy: vault.strategy,
        strike,
        start_ts: now,
        sale_end_ts: now + params.sale_window_secs as i64,
        expiry_ts: expiry,
        capacity,
        sold: 0,
        premium_collected: 0,
        start_spot: market.spot,
        start_vol: market.vol,
        settled: false,
        settlement_price: 0,
        settled_by_governance: false,
        bump: ctx.bumps.series,
        mint_bump: ctx.bumps.option_mint,
    });
    vault.greeks = cache(&model(kind, &market, strike, expiry - now)?, &market, now);
    vault.series = a.series.key();
    vault.phase = Phase::Trading;
    emit!(EpochStarted {
        vault: vault.key(),
        round,
        series: a.series.key(),
        option_mint: a.option_mint.key(),
        strike,
        model_strike,
        spot: market.spot,
        vol: market.vol,
        expiry_ts: expiry,
        capacity,
    });
    Ok(())
}
