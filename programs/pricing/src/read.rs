//! The one way other programs read a price: owner and discriminator
//! checked, freshness and status enforced by the caller's policy.

use anchor_lang::prelude::*;
use risk_math::breaker::{HaltReason, Status};
use risk_math::volatility::{annualised_vol, sigma_bps_over};

use crate::errors::PricingError;
use crate::state::PriceFeed;

#[derive(Debug, Clone, Copy, PartialEq, Eq, AnchorSerialize, AnchorDeserialize)]
pub struct ReadPolicy {
    /// Refuse a price published longer ago than this.
    pub max_age_secs: u32,
    /// Accept a Restricted feed (risk-reducing callers: liquidate, settle,
    /// update risk). Risk-increasing callers (borrow, withdraw against debt,
    /// option sales) are refused with `FeedRestricted`.
    pub allow_restricted: bool,
    /// TWAP window to compute; 0 means the feed's reference window.
    pub twap_window_secs: u32,
    /// Fail with `TwapUnavailable` instead of returning `twap: None`.
    pub require_twap: bool,
    /// Pause bit (see `state::pause`) of the operation the caller performs; 0 for none.
    pub operation: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedReading {
    /// Price mantissa; value = price * 10^expo.
    pub price: u64,
    pub conf: u64,
    pub expo: i32,
    pub twap: Option<u64>,
    /// Annualised realized volatility, WAD (1e18 = 100%).
    pub vol_annual_wad: u128,
    /// EWMA variance of log returns per second, WAD.
    pub variance_per_sec_wad: u128,
    /// Observed slot time vs the 400 ms target, bps (10_000 = on target).
    pub congestion_bps: u64,
    pub status: Status,
    pub price_ts: i64,
}

/// A price mantissa at `10^expo` as WAD (18 decimals).
pub fn to_wad(mantissa: u64, expo: i32) -> Result<u128> {
    let scale = risk_math::fixed::pow10((18 + expo).max(0) as u32).map_err(PricingError::from)?;
    Ok((mantissa as u128)
        .checked_mul(scale)
        .ok_or(PricingError::from(risk_math::MathError::Overflow))?)
}

/// Read a `PriceFeed` account for use by another program.
pub fn read_feed<'info>(
    feed_info: &'info AccountInfo<'info>,
    clock: &Clock,
    policy: &ReadPolicy,
) -> Result<FeedReading> {
    let loader = AccountLoader::<PriceFeed>::try_from(feed_info)?;
    let feed = loader.load()?;
    read_loaded(&feed, clock, policy)
}

/// The policy checks on an already loaded feed.
pub fn read_loaded(feed: &PriceFeed, clock: &Clock, policy: &ReadPolicy) -> Result<FeedReading> {
    let status = feed.status();
    require!(status != Status::Halted, PricingError::FeedHalted);
    require!(
        status != Status::Restricted || policy.allow_restricted,
        PricingError::FeedRestricted
    );
    require!(
        !feed.is_paused(policy.operation),
        PricingError::OperationPaused
    );
    require!(feed.price_ts > 0, PricingError::FeedStale);
    let age = clock.unix_timestamp.saturating_sub(feed.price_ts);
    // The reader's own maximum age always holds: a feed parameter never
    // makes a reader accept an older price than it asked for.
    require!(age <= policy.max_age_secs as i64, PricingError::FeedStale);
    // Quorum lost to staleness (the grace): the last consensus, its
    // confidence widened by sigma * sqrt(age).
    let in_grace = status == Status::Restricted && feed.halt_reason == HaltReason::StaleGrace as u8;
    let conf = if in_grace {
        let sigma_bps = sigma_bps_over(feed.variance_per_sec as u128, age.max(0) as u64)
            .map_err(PricingError::from)?;
        let widening = feed.price as u128 * sigma_bps as u128 / 10_000;
        feed.conf
            .saturating_add(u64::try_from(widening).unwrap_or(u64::MAX))
    } else {
        feed.conf
    };

    let window = if policy.twap_window_secs == 0 {
        feed.params.twap_window_secs
    } else {
        policy.twap_window_secs
    };
    let twap = feed
        .twap(clock.unix_timestamp, window)?
        .ok()
        .map(|t| t.price);
    require!(
        twap.is_some() || !policy.require_twap,
        PricingError::TwapUnavailable
    );
    let variance = feed.variance_per_sec as u128;
    Ok(FeedReading {
        price: feed.price,
        conf,
        expo: feed.expo,
        twap,
        vol_annual_wad: annualised_vol(variance).map_err(PricingError::from)?,
        variance_per_sec_wad: variance,
        congestion_bps: feed.congestion_bps(),
        status,
        price_ts: feed.price_ts,
    })
}

/// The TWAP a wind-down settles at: over the feed's reference window,
/// ending at `until` (the shutdown) or at the newest observation before
/// it, whatever the feed's status. Ending at a fixed moment means no caller
/// picks the price by choosing when to call: feeds keep refreshing after
/// a shutdown, and a window ending at call time would let the first caller
/// wait for a crisis low. A halted feed records only unanimous samples, so
/// this is the last price the sources agreed on, not one an attacker
/// forced. The caller loads the feed (an `AccountLoader` checks owner and
/// type); fails with `TwapUnavailable` when that window is not covered by
/// the feed's rules.
///
/// The feed keeps a bounded history (200 observations): once the window
/// ending at `until` has been overwritten, the window ending soonest after
/// it that is still covered is used (the oldest observation plus the
/// window), so a wind-down nobody fixed in time can still settle, at the
/// price closest to the shutdown that the feed can still prove. Keepers fix
/// every bank at once, so this is the exception, not a choice of moment.
pub fn last_valid_twap(feed: &PriceFeed, until: i64) -> Result<SettlementTwap> {
    let newest = feed
        .newest_observation()
        .ok_or(PricingError::TwapUnavailable)?;
    let window = feed.params.twap_window_secs;
    let end = newest.ts.min(until);
    match feed.twap(end, window)? {
        Err(risk_math::twap::TwapError::HistoryTooShort) if feed.obs_len > 0 => {
            let oldest = feed.observation(0).ts;
            let earliest_covered = oldest.saturating_add(window as i64).min(newest.ts);
            twap_ending_at(feed, earliest_covered.max(end), window)
        }
        _ => twap_ending_at(feed, end, window),
    }
}

/// The TWAP over `window_secs` ending at `end` (not after the newest
/// observation), for settling an option at its expiry however late the
/// settlement transaction lands. Refused on a halted feed; fails with
/// `TwapUnavailable` when the window is not covered by the feed's rules.
pub fn expiry_twap(feed: &PriceFeed, end: i64, window_secs: u32) -> Result<SettlementTwap> {
    require!(feed.status() != Status::Halted, PricingError::FeedHalted);
    let newest = feed
        .newest_observation()
        .ok_or(PricingError::TwapUnavailable)?;
    require!(end <= newest.ts, PricingError::TwapUnavailable);
    twap_ending_at(feed, end, window_secs)
}

fn twap_ending_at(feed: &PriceFeed, end: i64, window_secs: u32) -> Result<SettlementTwap> {
    let twap = feed
        .twap(end, window_secs)?
        .map_err(|_| PricingError::TwapUnavailable)?;
    Ok(SettlementTwap {
        price: twap.price,
        expo: feed.expo,
        ends_at: end,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettlementTwap {
    /// Mantissa; value = price * 10^expo.
    pub price: u64,
    pub expo: i32,
    /// Timestamp of the newest observation the window ends at.
    pub ends_at: i64,
}
