//! Q1-2023 replay: three real BTC price sources (Kraken BTC/USD, BTC/USDT,
//! BTC/USDC 5-minute closes; missing candles are real staleness) pushed as
//! manual sources and refreshed through the pricing program in the
//! embedded bank, one step per five minutes. BTC/USD is the reference.

use std::collections::HashMap;
use std::fmt;
use std::time::Instant;

use pricing::events::{BreakerResumed, BreakerTripped, FeedRefreshed};
use pricing::state::FeedParams;
use risk_math::breaker::{HaltReason, Status};

use crate::fixtures::{btc_candles, Candle, CANDLE_EXPO, CANDLE_SECS};
use crate::setup;
use rampart_embedded::Chain;
use rampart_sdk::events;

pub const PAIRS: [&str; 3] = ["XBTUSD", "XBTUSDT", "XBTUSDC"];
/// USDC lost its peg from 2023-03-10 00:00 to 2023-03-13 24:00 UTC.
pub const DEPEG: (i64, i64) = (1_678_406_400, 1_678_752_000);
const SLOT0: u64 = 170_000_000;

/// Parameters for 5-minute sources: a source that misses one candle is stale.
pub fn replay_params() -> FeedParams {
    FeedParams {
        max_staleness_secs: 240,
        max_staleness_slots: 600,
        max_conf_bps: 200,
        max_spread_bps: 150,
        twap_window_secs: 1_800,
        twap_max_gap_secs: 900,
        min_sample_spacing_secs: 60,
        twap_clamp_bps: 200,
        breaker_k_sigma_x100: 600,
        breaker_floor_bps: 300,
        breaker_cap_bps: 1_000,
        cooldown_secs: 1_800,
        max_disagreement_secs: 3_600,
        vol_half_life_secs: 86_400,
        congestion_half_life_secs: 3_600,
        // One more 5-minute candle confirms a move every source carries;
        // with a source missing, six more.
        confirm_secs: 300,
        reduced_confirm_secs: 1_800,
        // Quiet candles: the last consensus is served for up to an hour
        // (twelve candles), its confidence widened by sigma * sqrt(age).
        stale_grace_secs: 3_600,
        twap_min_samples: 4,
        min_quorum: 2,
        confirm_min_sources: 2,
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ErrorStats {
    /// Steps measured.
    pub count: usize,
    pub max_bps: f64,
    pub p99_bps: f64,
    pub mean_bps: f64,
    /// When the maximum happened.
    pub max_at: i64,
}

impl ErrorStats {
    fn from(samples: &mut [(f64, i64)]) -> ErrorStats {
        if samples.is_empty() {
            return ErrorStats::default();
        }
        samples.sort_by(|a, b| a.0.total_cmp(&b.0));
        let n = samples.len();
        let p99 = samples[(n * 99).div_ceil(100) - 1].0;
        let (max_bps, max_at) = samples[n - 1];
        let mean_bps = samples.iter().map(|s| s.0).sum::<f64>() / n as f64;
        ErrorStats {
            count: n,
            max_bps,
            p99_bps: p99,
            mean_bps,
            max_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trip {
    pub ts: i64,
    pub reason: HaltReason,
    pub candidate_price: u64,
    pub reference_price: u64,
    pub move_bps: u64,
    pub allowed_move_bps: u64,
    /// How long until it resumed (None: still halted at the end).
    pub halted_secs: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct ReplayReport {
    pub steps: usize,
    pub transactions: usize,
    pub wall_secs: f64,
    pub refresh_secs: f64,
    /// |consensus - BTC/USD| while the feed served a price.
    pub consensus_quarter: ErrorStats,
    pub consensus_depeg: ErrorStats,
    /// |BTC/USDC - BTC/USD|: what a single-source feed on USDC would have served.
    pub usdc_only_quarter: ErrorStats,
    pub usdc_only_depeg: ErrorStats,
    pub trips: Vec<Trip>,
    pub halted_steps: usize,
    /// Steps in which each source was excluded as stale.
    pub stale_steps: [usize; 3],
    /// Steps in which each source was dropped as an outlier.
    pub outlier_steps: [usize; 3],
}

impl ReplayReport {
    pub fn refreshes_per_sec(&self) -> f64 {
        self.steps as f64 / self.refresh_secs.max(1e-9)
    }
}

fn error_bps(price: i64, reference: i64) -> f64 {
    (price - reference).abs() as f64 / reference as f64 * 1e4
}

/// Half the candle's range, as the source's confidence.
fn quote(c: &Candle) -> (i64, u64) {
    (c.close, ((c.high - c.low).max(0) as u64).div_ceil(2))
}

/// Run the replay; `max_steps` limits it for quick runs. `progress` gets (done, total).
pub async fn run(
    max_steps: Option<usize>,
    mut progress: impl FnMut(usize, usize),
) -> anyhow::Result<ReplayReport> {
    let started = Instant::now();
    let series: Vec<HashMap<i64, Candle>> = PAIRS
        .iter()
        .map(|p| btc_candles(p).map(|v| v.into_iter().map(|c| (c.ts + CANDLE_SECS, c)).collect()))
        .collect::<anyhow::Result<_>>()?;
    let first = series
        .iter()
        .flat_map(|s| s.keys())
        .min()
        .copied()
        .unwrap_or(0);
    let last = series
        .iter()
        .flat_map(|s| s.keys())
        .max()
        .copied()
        .unwrap_or(0);
    let total = (((last - first) / CANDLE_SECS + 1) as usize).min(max_steps.unwrap_or(usize::MAX));

    let mut chain = Chain::builder().start().await;
    // Slots advance at the 400 ms target from an origin before the setup time.
    let origin = first - 3_600;
    let slot_at = |t: i64| SLOT0 + ((t - origin) * 1_000 / rampart_embedded::MS_PER_SLOT) as u64;
    chain.set_clock(first - CANDLE_SECS, slot_at(first - CANDLE_SECS));
    let (ops, feed) =
        setup::protocol_and_feed(&mut chain, "BTC/USD", CANDLE_EXPO, replay_params(), 5_000)
            .await?;
    let sources = setup::manual_sources(&mut chain, &ops, feed, 3).await?;

    let mut report = ReplayReport {
        steps: total,
        ..Default::default()
    };
    let (mut quarter, mut depeg, mut usdc_q, mut usdc_d) = (vec![], vec![], vec![], vec![]);
    let mut refresh_time = 0f64;
    let stale = u32::from(pricing::errors::PricingError::SourceStale);
    for step in 0..total {
        let t = first + step as i64 * CANDLE_SECS;
        chain.set_clock(t, slot_at(t));
        let candles: Vec<Option<&Candle>> = series.iter().map(|s| s.get(&t)).collect();
        let quotes: Vec<Option<(i64, u64)>> = candles.iter().map(|c| c.map(quote)).collect();
        setup::push(&mut chain, &ops, &sources, &quotes, CANDLE_EXPO).await?;
        let sent = Instant::now();
        let ok = setup::refresh(&mut chain, feed, &sources).await?;
        refresh_time += sent.elapsed().as_secs_f64();
        report.transactions += 1 + usize::from(quotes.iter().any(Option::is_some));

        let ev = events::decode::<FeedRefreshed>(&ok.logs)
            .pop()
            .ok_or_else(|| anyhow::anyhow!("no FeedRefreshed event at {t}"))?;
        for i in 0..3 {
            report.stale_steps[i] += usize::from(ev.source_errors[i] == stale);
            report.outlier_steps[i] += usize::from(ev.outlier_mask & (1 << i) != 0);
        }
        for trip in events::decode::<BreakerTripped>(&ok.logs) {
            report.trips.push(Trip {
                ts: trip.unix_ts,
                reason: HaltReason::from_u8(trip.reason).unwrap_or(HaltReason::None),
                candidate_price: trip.candidate_price,
                reference_price: trip.reference_price,
                move_bps: trip.move_bps,
                allowed_move_bps: trip.allowed_move_bps,
                halted_secs: None,
            });
        }
        for resumed in events::decode::<BreakerResumed>(&ok.logs) {
            if let Some(open) = report
                .trips
                .iter_mut()
                .rev()
                .find(|t| t.halted_secs.is_none())
            {
                open.halted_secs = Some(resumed.halted_secs);
            }
        }
        let serving = ev.status != Status::Halted as u8;
        report.halted_steps += usize::from(!serving);

        let Some(reference) = candles[0].map(|c| c.close) else {
            continue;
        };
        let in_depeg = (DEPEG.0..DEPEG.1).contains(&t);
        if serving {
            let e = (error_bps(ev.price as i64, reference), t);
            quarter.push(e);
            if in_depeg {
                depeg.push(e);
            }
        }
        if let Some(usdc) = candles[2] {
            let e = (error_bps(usdc.close, reference), t);
            usdc_q.push(e);
            if in_depeg {
                usdc_d.push(e);
            }
        }
        progress(step + 1, total);
    }
    report.consensus_quarter = ErrorStats::from(&mut quarter);
    report.consensus_depeg = ErrorStats::from(&mut depeg);
    report.usdc_only_quarter = ErrorStats::from(&mut usdc_q);
    report.usdc_only_depeg = ErrorStats::from(&mut usdc_d);
    report.refresh_secs = refresh_time;
    report.wall_secs = started.elapsed().as_secs_f64();
    Ok(report)
}

fn row(f: &mut fmt::Formatter<'_>, label: &str, s: &ErrorStats) -> fmt::Result {
    writeln!(
        f,
        "  {label:<34} {:>9.1} {:>9.1} {:>9.2} {:>8}   {}",
        s.max_bps,
        s.p99_bps,
        s.mean_bps,
        s.count,
        rampart_sdk::fmt::utc(s.max_at)
    )
}

impl fmt::Display for ReplayReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self;
        writeln!(f, "Q1-2023 replay: BTC/USD, BTC/USDT, BTC/USDC (Kraken 5-min closes) through `refresh` in the embedded bank")?;
        writeln!(
            f,
            "  reference: BTC/USD close; USDC depeg window 2023-03-10 .. 2023-03-13 (UTC)\n"
        )?;
        writeln!(
            f,
            "  error vs BTC/USD (bps)                   max       p99      mean    steps   max at"
        )?;
        row(f, "Rampart consensus, whole quarter", &r.consensus_quarter)?;
        row(f, "Rampart consensus, USDC depeg", &r.consensus_depeg)?;
        row(f, "single source BTC/USDC, quarter", &r.usdc_only_quarter)?;
        row(f, "single source BTC/USDC, depeg", &r.usdc_only_depeg)?;
        writeln!(f)?;
        let [a, b, c] = r.stale_steps;
        writeln!(
            f,
            "  sources excluded as stale (steps): USD {a}, USDT {b}, USDC {c}"
        )?;
        let [a, b, c] = r.outlier_steps;
        writeln!(
            f,
            "  sources dropped as outliers (steps): USD {a}, USDT {b}, USDC {c}"
        )?;
        let pct = r.halted_steps as f64 * 100.0 / r.steps.max(1) as f64;
        writeln!(
            f,
            "  halted: {} of {} steps ({pct:.2}%)",
            r.halted_steps, r.steps
        )?;
        let count = |reason| r.trips.iter().filter(|t| t.reason == reason).count();
        writeln!(
            f,
            "  breaker trips: {} (price jump {}, quorum lost {}, disagreement {})",
            r.trips.len(),
            count(HaltReason::PriceJump),
            count(HaltReason::QuorumLost),
            count(HaltReason::Disagreement)
        )?;
        for t in &r.trips {
            let halted = t
                .halted_secs
                .map_or("still halted at end".to_string(), |s| {
                    format!("resumed after {} min", s / 60)
                });
            let evidence = if t.reason == HaltReason::PriceJump {
                format!(
                    "consensus {:.2} vs TWAP {:.2}: {} bps > allowed {} bps",
                    t.candidate_price as f64 / 1e8,
                    t.reference_price as f64 / 1e8,
                    t.move_bps,
                    t.allowed_move_bps
                )
            } else {
                "too few valid, agreeing sources".to_string()
            };
            writeln!(
                f,
                "    {}  {:<13} {evidence}; {halted}",
                rampart_sdk::fmt::utc(t.ts),
                format!("{:?}", t.reason)
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "  {} steps, {} transactions in {:.1} s wall; refresh {:.0}/s{}",
            r.steps,
            r.transactions,
            r.wall_secs,
            r.refreshes_per_sec(),
            if cfg!(debug_assertions) {
                " (debug build)"
            } else {
                ""
            }
        )
    }
}
