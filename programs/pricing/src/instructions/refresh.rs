use anchor_lang::prelude::*;
use anchor_lang::solana_program::sysvar::instructions as sysvar_instructions;
use risk_math::breaker::{self, allowed_move_bps, Seen, Transition};
use risk_math::consensus::{consensus, Consensus, ConsensusParams, Quote};
use risk_math::price::deviation_bps;
use risk_math::volatility::{annualised_vol, decay_weight, ewma, update_variance};

use crate::errors::PricingError;
use crate::events::{BreakerResumed, BreakerTripped, FeedRefreshed, FeedRestricted, MoveConfirmed};
use crate::guard::require_refresh_first;
use crate::sources::{self, error_code, is_identity_error};
use crate::state::{pause, PriceFeed, SourceKind, MAX_SOURCES};

#[derive(Accounts)]
pub struct Refresh<'info> {
    #[account(mut)]
    pub feed: AccountLoader<'info, PriceFeed>,
    /// CHECK: the instructions sysvar, address-checked.
    #[account(address = sysvar_instructions::ID)]
    pub instructions: UncheckedAccount<'info>,
    // remaining_accounts: the feed's pinned source accounts, in order.
}

/// What the sources said this refresh.
struct Readings {
    quotes: [Quote; MAX_SOURCES],
    count: usize,
    errors: [u32; MAX_SOURCES],
    valid_mask: u8,
    manual_mask: u8,
}

/// Permissionless: read every pinned source, form consensus, advance the
/// graded breaker (`risk_math::breaker`), and publish what it allows.
pub fn handle_refresh<'info>(ctx: Context<'_, '_, 'info, 'info, Refresh<'info>>) -> Result<()> {
    require_refresh_first(&ctx.accounts.instructions)?;
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let feed_key = ctx.accounts.feed.key();
    let mut feed = ctx.accounts.feed.load_mut()?;
    require!(
        !feed.is_paused(pause::REFRESH),
        PricingError::OperationPaused
    );

    let readings = read_sources(&mut feed, ctx.remaining_accounts, &feed_key, &clock)?;
    let params = feed.params;
    let outcome = consensus(
        &readings.quotes[..readings.count],
        ConsensusParams {
            min_quorum: params.min_quorum,
            max_spread_bps: params.max_spread_bps,
        },
    );

    let twap = feed
        .twap(now, params.twap_window_secs)?
        .ok()
        .map(|t| t.price);
    let last = (feed.price_ts > 0).then_some((feed.price, now.saturating_sub(feed.price_ts)));
    let allowed = allowed_move_bps(
        feed.variance_per_sec as u128,
        params.twap_window_secs as u64,
        params.breaker_k_sigma_x100,
        params.breaker_floor_bps,
        params.breaker_cap_bps,
    )
    .map_err(PricingError::from)?;
    let stale = u32::from(PricingError::SourceStale);
    let stale_only = (0..feed.num_sources as usize)
        .all(|i| readings.valid_mask & (1 << i) != 0 || readings.errors[i] == stale);
    let observation = breaker::observe(&Seen {
        outcome: &outcome,
        stale_only,
        twap,
        last,
        allowed_move_bps: allowed,
        configured: feed.num_sources,
    })
    .map_err(PricingError::from)?;
    let mut breaker_state = feed.breaker();
    // Judged (and TWAP samples clamped) against the reference before this step.
    let reference = breaker::reference(&breaker_state, twap, last.map(|l| l.0));
    let step = breaker::step(&mut breaker_state, observation, now, params.breaker());
    let halted_since = feed.halted_since;
    feed.set_breaker(breaker_state);
    let candidate = outcome.ok();
    let move_bps = match (candidate, reference) {
        (Some(c), Some(r)) => deviation_bps(c.price, r, r).map_err(PricingError::from)?,
        _ => 0,
    };

    if let Some(c) = candidate {
        if step.publish {
            publish(
                &mut feed,
                &c,
                breaker::published_conf(&c, step.unconfirmed_bps),
                now,
            )?;
        }
        if let Some(sample) =
            breaker::sample_price(step.sample, c.price, reference, params.twap_clamp_bps)
        {
            record_twap_sample(&mut feed, sample, now)?;
        }
    }
    update_congestion(&mut feed, clock.slot, now)?;
    feed.last_refresh_ts = now;
    feed.last_refresh_slot = clock.slot;
    feed.valid_mask = readings.valid_mask;
    feed.agreeing_mask = candidate.map_or(0, |c| c.agreeing_mask);
    feed.outlier_mask = candidate.map_or(0, |c| c.outlier_mask);
    let outlier_code = u32::from(PricingError::SourceOutlier);
    let mut source_errors = readings.errors;
    for (i, e) in source_errors.iter_mut().enumerate() {
        if feed.outlier_mask & (1 << i) != 0 {
            *e = outlier_code;
        }
        if i < feed.num_sources as usize {
            feed.sources[i].last_error = *e;
        }
    }

    match step.transition {
        Transition::Tripped(reason) => emit!(BreakerTripped {
            feed: feed_key,
            reason: reason as u8,
            candidate_price: candidate.map_or(0, |c| c.price),
            reference_price: reference.unwrap_or(0),
            move_bps,
            allowed_move_bps: allowed,
            valid_sources: readings.count as u8,
            agreeing_sources: candidate.map_or(0, |c| c.agreeing_count),
            unix_ts: now,
        }),
        Transition::Restricted(reason) => emit!(FeedRestricted {
            feed: feed_key,
            reason: reason as u8,
            candidate_price: candidate.map_or(0, |c| c.price),
            reference_price: reference.unwrap_or(0),
            move_bps,
            allowed_move_bps: allowed,
            valid_sources: readings.count as u8,
            agreeing_sources: candidate.map_or(0, |c| c.agreeing_count),
            published: step.publish,
            unix_ts: now,
        }),
        Transition::Confirmed => emit!(MoveConfirmed {
            feed: feed_key,
            price: feed.price,
            reference_price: reference.unwrap_or(0),
            move_bps,
            valid_sources: readings.count as u8,
            unix_ts: now,
        }),
        Transition::Resumed => emit!(BreakerResumed {
            feed: feed_key,
            // 0 when the episode ending was Restricted, not a halt.
            halted_secs: if halted_since > 0 {
                now.saturating_sub(halted_since)
            } else {
                0
            },
            by_governance: false,
            price: feed.price,
            unix_ts: now,
        }),
        Transition::None => {}
    }
    let twap_now = feed.twap(now, params.twap_window_secs)?.ok();
    emit!(FeedRefreshed {
        feed: feed_key,
        price: feed.price,
        conf: feed.conf,
        expo: feed.expo,
        candidate_price: candidate.map_or(0, |c| c.price),
        twap: twap_now.map_or(0, |t| t.price),
        twap_valid: twap_now.is_some(),
        vol_annual_bps: vol_bps(feed.variance_per_sec)?,
        congestion_bps: feed.congestion_bps(),
        status: feed.status,
        valid_mask: readings.valid_mask,
        agreeing_mask: feed.agreeing_mask,
        outlier_mask: feed.outlier_mask,
        manual_mask: readings.manual_mask & feed.agreeing_mask,
        source_errors,
        unix_ts: now,
        slot: clock.slot,
    });
    Ok(())
}

/// Read every pinned source. A wrong account fails the refresh; a source
/// with bad data (stale, unconfident, ...) is excluded and its error kept.
fn read_sources<'info>(
    feed: &mut PriceFeed,
    accounts: &'info [AccountInfo<'info>],
    feed_key: &Pubkey,
    clock: &Clock,
) -> Result<Readings> {
    let n = feed.num_sources as usize;
    require!(accounts.len() == n, PricingError::SourceCountMismatch);
    let mut r = Readings {
        quotes: [Quote {
            source_index: 0,
            price: 0,
            conf: 0,
        }; MAX_SOURCES],
        count: 0,
        errors: [0; MAX_SOURCES],
        valid_mask: 0,
        manual_mask: 0,
    };
    for (i, account) in accounts.iter().enumerate() {
        let pinned = feed.sources[i];
        match sources::read_pinned(&pinned, account, feed_key, clock, &feed.params, feed.expo) {
            Ok(q) => {
                r.quotes[r.count] = Quote {
                    source_index: i as u8,
                    price: q.price,
                    conf: q.conf,
                };
                r.count += 1;
                r.valid_mask |= 1 << i;
                if pinned.kind == SourceKind::Manual as u8 {
                    r.manual_mask |= 1 << i;
                }
                let s = &mut feed.sources[i];
                (s.last_price, s.last_conf, s.last_publish_ts) = (q.price, q.conf, q.publish_ts);
            }
            Err(e) => {
                let code = error_code(&e);
                if is_identity_error(code) {
                    return Err(e);
                }
                r.errors[i] = code;
            }
        }
    }
    Ok(r)
}

/// Publish the consensus (with its confidence as widened by the breaker)
/// and feed it to the volatility estimate. Only a consensus no valid
/// source dissents from moves the volatility: a contradicted majority must
/// not widen the breaker's band (or the margin ratios) by its own moves.
fn publish(feed: &mut PriceFeed, c: &Consensus, conf: u64, now: i64) -> Result<()> {
    let spacing = feed.params.min_sample_spacing_secs as i64;
    if !c.all_agree() {
        // Keep the volatility reference; the next unanimous price is
        // measured from it.
    } else if feed.vol_ref_ts == 0 {
        (feed.vol_ref_price, feed.vol_ref_ts) = (c.price, now);
    } else if now - feed.vol_ref_ts >= spacing {
        let dt = (now - feed.vol_ref_ts) as u64;
        let var = update_variance(
            feed.variance_per_sec as u128,
            feed.vol_ref_price,
            c.price,
            dt,
            feed.params.vol_half_life_secs as u64,
        )
        .map_err(PricingError::from)?;
        feed.variance_per_sec = u64::try_from(var).map_err(|_| PricingError::MathOverflow)?;
        (feed.vol_ref_price, feed.vol_ref_ts) = (c.price, now);
    }
    feed.price = c.price;
    feed.conf = conf;
    feed.price_ts = now;
    Ok(())
}

/// Add a TWAP sample (as the breaker shaped it) unless one is too recent.
fn record_twap_sample(feed: &mut PriceFeed, sample: u64, now: i64) -> Result<()> {
    let due = feed.newest_observation().map_or(true, |o| {
        now - o.ts >= feed.params.min_sample_spacing_secs as i64
    });
    if !due {
        return Ok(());
    }
    feed.push_observation(now, sample)
}

/// Smoothed slot time from the clock: wall seconds elapsed over slots elapsed.
fn update_congestion(feed: &mut PriceFeed, slot: u64, now: i64) -> Result<()> {
    let dt = now.saturating_sub(feed.congestion_ref_ts);
    let dslot = slot.saturating_sub(feed.congestion_ref_slot);
    if feed.congestion_ref_ts != 0
        && (dt < feed.params.min_sample_spacing_secs as i64 || dslot == 0)
    {
        return Ok(());
    }
    if feed.congestion_ref_ts != 0 {
        let sample_us = (dt as u128) * 1_000_000 / dslot as u128;
        let smoothed = if feed.slot_time_us == 0 {
            sample_us
        } else {
            let w = decay_weight(dt as u64, feed.params.congestion_half_life_secs as u64)
                .map_err(PricingError::from)?;
            ewma(feed.slot_time_us as u128, sample_us, w).map_err(PricingError::from)?
        };
        feed.slot_time_us = u64::try_from(smoothed).unwrap_or(u64::MAX);
    }
    (feed.congestion_ref_slot, feed.congestion_ref_ts) = (slot, now);
    Ok(())
}

fn vol_bps(variance_per_sec: u64) -> Result<u64> {
    let vol = annualised_vol(variance_per_sec as u128).map_err(PricingError::from)?;
    Ok(u64::try_from(vol / (risk_math::WAD / 10_000)).unwrap_or(u64::MAX))
}
