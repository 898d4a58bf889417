use anchor_lang::prelude::*;
use pricing::state::PriceFeed;

use risk_math::fixed::{mul_div, pow10};
use risk_math::Rounding;

use crate::errors::VaultError;
use crate::events::GreeksUpdated;
use crate::market::{cache, model, read_market};
use crate::state::{OptionSeries, Phase, Vault};

#[derive(Accounts)]
pub struct UpdateGreeks<'info> {
    #[account(mut, has_one = feed, has_one = series)]
    pub vault: Box<Account<'info, Vault>>,
    pub series: Box<Account<'info, OptionSeries>>,
    pub feed: AccountLoader<'info, PriceFeed>,
}

/// Permissionless: recompute the epoch's option Greeks at the current spot
/// and volatility and cache them with the time and spot, for hedgers and
/// for the freshness check on sales.
pub fn handle_update_greeks(ctx: Context<UpdateGreeks>) -> Result<()> {
    let a = ctx.accounts;
    a.vault.require_phase(Phase::Trading)?;
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    require!(now < a.series.expiry_ts, VaultError::StepOutOfOrder);
    let market = read_market(&*a.feed.load()?, &clock, &a.vault.params, false)?;
    let kind = a.vault.strategy.option_kind();
    let g = model(kind, &market, a.series.strike, a.series.expiry_ts - now)?;
    a.vault.greeks = cache(&g, &market, now);
    // The vault is short `sold` base units: whole underlyings = sold / 10^decimals.
    let units = pow10(a.vault.underlying_decimals as u32).map_err(VaultError::from)?;
    let position = |per_unit: i128| -> Result<i128> {
        let v = mul_div(
            per_unit.unsigned_abs(),
            a.series.sold as u128,
            units,
            Rounding::Down,
        )
        .map_err(VaultError::from)?;
        let v = i128::try_from(v).map_err(|_| VaultError::MathOverflow)?;
        Ok(if per_unit < 0 { v } else { -v })
    };
    emit!(GreeksUpdated {
        vault: a.vault.key(),
        price: g.price,
        delta: g.delta,
        gamma: g.gamma,
        vega: g.vega,
        theta: g.theta,
        spot: market.spot,
        options_sold: a.series.sold,
        vault_delta: position(g.delta)?,
        vault_gamma: position(g.gamma)?,
        vault_vega: position(g.vega)?,
        vault_theta: position(g.theta)?,
    });
    Ok(())
}
