//! What the vault reads from its pricing feed: spot and pricing
//! volatility for strikes, sales and Greeks.

use anchor_lang::prelude::*;
use pricing::read::{read_loaded, to_wad, ReadPolicy};
use pricing::state::{pause, PriceFeed};
use risk_math::options::{greeks, years_from_secs, BsInputs, Greeks, OptionKind};
use risk_math::WAD;

use crate::errors::VaultError;
use crate::state::{GreeksCache, VaultParams};

/// Pricing volatility never below 1%: a flat feed must not price options at zero.
const MIN_VOL: u128 = WAD / 100;

#[derive(Debug, Clone, Copy)]
pub struct Market {
    /// Quote per whole underlying, WAD.
    pub spot: u128,
    /// The feed's realized volatility times the vault's multiplier, WAD.
    pub vol: u128,
}

/// Spot and pricing volatility from a fresh feed. Selling options (epoch
/// starts, sales) is risk-increasing and passes `selling = true`: refused
/// on a Restricted or halted feed. Marking the Greeks sells nothing and
/// runs on a Restricted feed and under a risk-increase pause, so share
/// collateral is valued at current spot through a crash. The caller loads the feed through an
/// `AccountLoader` (owner and type checked).
pub fn read_market(
    feed: &PriceFeed,
    clock: &Clock,
    params: &VaultParams,
    selling: bool,
) -> Result<Market> {
    let policy = ReadPolicy {
        max_age_secs: params.max_price_age_secs,
        allow_restricted: !selling,
        twap_window_secs: 0,
        require_twap: false,
        // Marking sells nothing: a risk-increase pause must not stop the
        // Greeks refresh that margin's share collateral depends on.
        operation: if selling { pause::RISK_INCREASE } else { 0 },
    };
    let reading = read_loaded(feed, clock, &policy)?;
    let vol = risk_math::fixed::mul_div(
        reading.vol_annual_wad,
        params.vol_multiplier as u128,
        WAD,
        risk_math::Rounding::Down,
    )
    .map_err(VaultError::from)?
    .max(MIN_VOL);
    Ok(Market {
        spot: to_wad(reading.price, reading.expo)?,
        vol,
    })
}

/// Model Greeks per whole underlying for `strike`, `secs` before expiry (at least one second).
pub fn model(kind: OptionKind, m: &Market, strike: u128, secs: i64) -> Result<Greeks> {
    let inputs = BsInputs {
        spot: m.spot,
        strike,
        vol: m.vol,
        years: years_from_secs(secs.max(1) as u64),
        rate: 0,
    };
    Ok(greeks(kind, &inputs).map_err(VaultError::from)?)
}

pub fn cache(g: &Greeks, m: &Market, ts: i64) -> GreeksCache {
    GreeksCache {
        price: g.price,
        delta: g.delta,
        gamma: g.gamma,
        vega: g.vega,
        theta: g.theta,
        spot: m.spot,
        vol: m.vol,
        ts,
    }
}

/// The cache is usable while fresh by age and spot (`GreeksCache::is_fresh`).
pub fn require_fresh(
    cache: &GreeksCache,
    m: &Market,
    now: i64,
    params: &VaultParams,
) -> Result<()> {
    require!(
        cache.is_fresh(Some(m.spot), now, params)?,
        VaultError::GreeksStale
    );
    Ok(())
}
