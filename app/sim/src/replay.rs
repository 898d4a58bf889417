//! Price replay through the pricing program in the embedded bank: one file
//! per source pushed as a manual source and refreshed, step by step, and
//! the published price measured against a reference. The built-in one is
//! Q1 2023 (Kraken BTC/USD, BTC/USDT and BTC/USDC 5-minute closes; missing
//! candles are real staleness; BTC/USD the reference; the USDC depeg the
//! window looked at closely); `rampart replay --sources` runs the user's
//! own files ([`crate::price_files`]).

use std::fmt;
use std::path::PathBuf;
use std::time::Instant;

use pricing::events::{BreakerResumed, BreakerTripped, FeedRefreshed};
use pricing::state::FeedParams;
use risk_math::breaker::{HaltReason, Status};

use crate::fixtures::{mantissa, CANDLE_EXPO};
use crate::price_files::{within, SourceFiles, Sources};
use crate::setup;
use rampart_embedded::Chain;
use rampart_sdk::events;

pub const PAIRS: [&str; 3] = ["XBTUSD", "XBTUSDT", "XBTUSDC"];
/// USDC lost its peg from 2023-03-10 00:00 to 2023-03-13 24:00 UTC.
pub const DEPEG: (i64, i64) = (1_678_406_400, 1_678_752_000);
const SLOT0: u64 = 170_000_000;
/// Sources the pricing feed takes at most in a replay.
pub const MAX_SOURCES: usize = 8;
/// A source with no confidence of its own (a file without that column, a
/// candle without a range) quotes this, bps of its price.
const DEFAULT_CONF_BPS: f64 = 5.0;

/// What to replay: the files, what to call them, and a window to report
/// on its own (the depeg, say).
#[derive(Debug, Clone)]
pub struct ReplayInput {
    pub title: String,
    pub files: SourceFiles,
    /// One per source, then the reference's.
    pub labels: Vec<String>,
    pub reference_label: String,
    pub window: Option<Window>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub from: i64,
    pub to: i64,
    pub label: String,
}

impl ReplayInput {
    /// The built-in Q1-2023 replay (`scenarios/q1-2023/`).
    pub fn q1_2023() -> ReplayInput {
        let dir = crate::stress::scenarios_dir().join("q1-2023");
        ReplayInput {
            title: "Q1-2023 replay: BTC/USD, BTC/USDT, BTC/USDC (Kraken 5-min closes)".into(),
            files: SourceFiles {
                sources: PAIRS
                    .iter()
                    .map(|p| dir.join(format!("{p}_5.csv")))
                    .collect(),
                reference: Some(dir.join("XBTUSD_5.csv")),
            },
            labels: vec!["BTC/USD".into(), "BTC/USDT".into(), "BTC/USDC".into()],
            reference_label: "BTC/USD close".into(),
            window: Some(Window {
                from: DEPEG.0,
                to: DEPEG.1,
                label: "USDC depeg".into(),
            }),
        }
    }

    /// The user's files, labelled by file name.
    pub fn files(
        sources: Vec<PathBuf>,
        reference: Option<PathBuf>,
        window: Option<(i64, i64)>,
    ) -> ReplayInput {
        let files = SourceFiles { sources, reference };
        let name = |p: &PathBuf| {
            p.file_name()
                .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into())
        };
        ReplayInput {
            title: format!(
                "Replay of {}",
                files
                    .sources
                    .iter()
                    .map(name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            labels: files.sources.iter().map(name).collect(),
            reference_label: name(files.reference.as_ref().unwrap_or(&files.sources[0])),
            window: window.map(|(from, to)| Window {
                from,
                to,
                label: "the window".into(),
            }),
            files,
        }
    }
}

/// Parameters for candle sources `step` seconds apart (5 minutes or more):
/// a source that misses one candle is stale. Written for 5-minute candles;
/// a longer step stretches every window by as many 5-minute steps.
pub fn replay_params(step: i64) -> FeedParams {
    let k = (step / 300).max(1) as u32;
    FeedParams {
        max_staleness_secs: 240 * k,
        max_staleness_slots: 600 * k,
        max_conf_bps: 200,
        max_spread_bps: 150,
        twap_window_secs: 1_800 * k,
        twap_max_gap_secs: 900 * k,
        min_sample_spacing_secs: 60,
        twap_clamp_bps: 200,
        breaker_k_sigma_x100: 600,
        breaker_floor_bps: 300,
        breaker_cap_bps: 1_000,
        cooldown_secs: 1_800 * k,
        max_disagreement_secs: 3_600 * k,
        vol_half_life_secs: 86_400,
        congestion_half_life_secs: 3_600,
        // One more candle confirms a move every source carries; with a
        // source missing, six more.
        confirm_secs: 300 * k,
        reduced_confirm_secs: 1_800 * k,
        // Quiet candles: the last consensus is served for up to twelve
        // candles, its confidence widened by sigma * sqrt(age).
        stale_grace_secs: 3_600 * k,
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

/// One source taken alone: its error against the reference.
#[derive(Debug, Clone, Default)]
pub struct SourceAlone {
    pub label: String,
    pub all: ErrorStats,
    pub window: ErrorStats,
}

#[derive(Debug, Clone, Default)]
pub struct ReplayReport {
    pub title: String,
    pub reference: String,
    pub window: Option<Window>,
    pub step_secs: i64,
    pub steps: usize,
    pub transactions: usize,
    pub wall_secs: f64,
    pub refresh_secs: f64,
    /// |consensus - reference| while the feed served a price.
    pub consensus_all: ErrorStats,
    pub consensus_window: ErrorStats,
    /// |source - reference|: what a single-source feed would have served.
    pub single_source: Vec<SourceAlone>,
    pub trips: Vec<Trip>,
    pub halted_steps: usize,
    /// Steps in which each source was excluded as stale.
    pub stale_steps: Vec<usize>,
    /// Steps in which each source was dropped as an outlier.
    pub outlier_steps: Vec<usize>,
}

impl ReplayReport {
    pub fn refreshes_per_sec(&self) -> f64 {
        self.steps as f64 / self.refresh_secs.max(1e-9)
    }
}

fn error_bps(price: i64, reference: i64) -> f64 {
    (price - reference).abs() as f64 / reference as f64 * 1e4
}

/// What a source quotes: its close, and its confidence (the file's, else
/// half the candle's range, else the default), as mantissas.
fn quote(o: &crate::price_files::Observation) -> (i64, u64) {
    let conf = match (o.conf, o.range) {
        (Some(c), _) => mantissa(c).max(0) as u64,
        (None, Some((hi, lo))) => ((mantissa(hi) - mantissa(lo)).max(0) as u64).div_ceil(2),
        (None, None) => mantissa(o.price * DEFAULT_CONF_BPS / 10_000.0).max(0) as u64,
    };
    (mantissa(o.price), conf)
}

/// Run the replay; `max_steps` limits it for quick runs. `progress` gets (done, total).
pub async fn run(
    input: &ReplayInput,
    max_steps: Option<usize>,
    mut progress: impl FnMut(usize, usize),
) -> anyhow::Result<ReplayReport> {
    let started = Instant::now();
    let Sources { sources, reference } = input.files.load(MAX_SOURCES)?;
    let all = || sources.iter().chain([&reference]);
    let step = all()
        .filter_map(|s| s.spacing())
        .min()
        .unwrap_or(300)
        .max(1);
    let first = all().map(|s| s.points[0].ts).min().unwrap_or(0);
    let last = all()
        .filter_map(|s| s.points.last())
        .map(|o| o.ts)
        .max()
        .unwrap_or(first);
    let total = (((last - first) / step + 1) as usize).min(max_steps.unwrap_or(usize::MAX));

    let mut chain = Chain::builder().start().await;
    // Slots advance at the 400 ms target from an origin before the setup time.
    let origin = first - 3_600;
    let slot_at = |t: i64| SLOT0 + ((t - origin) * 1_000 / rampart_embedded::MS_PER_SLOT) as u64;
    chain.set_clock(first - step, slot_at(first - step));
    let (ops, feed) = setup::protocol_and_feed(
        &mut chain,
        "BTC/USD",
        CANDLE_EXPO,
        crate::stress::policy::rampart_feed(step),
        5_000,
    )
    .await?;
    let feed_sources = setup::manual_sources(&mut chain, &ops, feed, sources.len() as u8).await?;

    let n = sources.len();
    let mut report = ReplayReport {
        title: input.title.clone(),
        reference: input.reference_label.clone(),
        window: input.window.clone(),
        step_secs: step,
        steps: total,
        stale_steps: vec![0; n],
        outlier_steps: vec![0; n],
        ..Default::default()
    };
    let in_window = |t: i64| {
        input
            .window
            .as_ref()
            .is_some_and(|w| (w.from..w.to).contains(&t))
    };
    // (error bps, when) over everything and within the window.
    type Samples = Vec<(f64, i64)>;
    let (mut whole, mut window): (Samples, Samples) = (vec![], vec![]);
    let mut alone: Vec<(Samples, Samples)> = vec![(vec![], vec![]); n];
    let mut refresh_time = 0f64;
    let stale = u32::from(pricing::errors::PricingError::SourceStale);
    for k in 0..total {
        let t = first + k as i64 * step;
        chain.set_clock(t, slot_at(t));
        let seen: Vec<Option<(i64, u64)>> = sources
            .iter()
            .map(|s| within(s, t, step).map(quote))
            .collect();
        setup::push(&mut chain, &ops, &feed_sources, &seen, CANDLE_EXPO).await?;
        let sent = Instant::now();
        let ok = setup::refresh(&mut chain, feed, &feed_sources).await?;
        refresh_time += sent.elapsed().as_secs_f64();
        report.transactions += 1 + usize::from(seen.iter().any(Option::is_some));

        let ev = events::decode::<FeedRefreshed>(&ok.logs)
            .pop()
            .ok_or_else(|| anyhow::anyhow!("no FeedRefreshed event at {t}"))?;
        for i in 0..n {
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

        progress(k + 1, total);
        // Measured only where the reference itself said something.
        let Some(truth) = within(&reference, t, step).map(|o| mantissa(o.price)) else {
            continue;
        };
        if serving {
            let e = (error_bps(ev.price as i64, truth), t);
            whole.push(e);
            if in_window(t) {
                window.push(e);
            }
        }
        for (q, (all, win)) in seen.iter().zip(alone.iter_mut()) {
            if let Some((price, _)) = q {
                let e = (error_bps(*price, truth), t);
                all.push(e);
                if in_window(t) {
                    win.push(e);
                }
            }
        }
    }
    report.consensus_all = ErrorStats::from(&mut whole);
    report.consensus_window = ErrorStats::from(&mut window);
    report.single_source = alone
        .into_iter()
        .zip(&input.labels)
        .map(|((mut all, mut win), label)| SourceAlone {
            label: label.clone(),
            all: ErrorStats::from(&mut all),
            window: ErrorStats::from(&mut win),
        })
        .collect();
    report.refresh_secs = refresh_time;
    report.wall_secs = started.elapsed().as_secs_f64();
    Ok(report)
}

fn row(f: &mut fmt::Formatter<'_>, (label, w): (&str, usize), s: &ErrorStats) -> fmt::Result {
    writeln!(
        f,
        "  {label:<w$} {:>9.1} {:>9.1} {:>9.2} {:>8}   {}",
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
        writeln!(
            f,
            "{}: through `refresh` in the embedded bank, one step per {} s",
            r.title, r.step_secs
        )?;
        match &r.window {
            Some(w) => writeln!(
                f,
                "  reference: {}; {} {} .. {} (UTC)\n",
                r.reference,
                w.label,
                rampart_sdk::fmt::utc(w.from),
                rampart_sdk::fmt::utc(w.to)
            )?,
            None => writeln!(f, "  reference: {}\n", r.reference)?,
        }
        let window = r.window.as_ref().map(|w| w.label.as_str());
        let mut rows = vec![("Rampart consensus, all".to_string(), &r.consensus_all)];
        if let Some(w) = window {
            rows.push((format!("Rampart consensus, {w}"), &r.consensus_window));
        }
        for s in &r.single_source {
            rows.push((format!("single source {}, all", s.label), &s.all));
            if let Some(w) = window {
                rows.push((format!("single source {}, {w}", s.label), &s.window));
            }
        }
        let w = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0).max(34);
        writeln!(
            f,
            "  {:<w$}       max       p99      mean    steps   max at",
            "error vs the reference (bps)"
        )?;
        for (label, stats) in &rows {
            row(f, (label, w), stats)?;
        }
        writeln!(f)?;
        let per_source = |counts: &[usize]| {
            r.single_source
                .iter()
                .zip(counts)
                .map(|(s, n)| format!("{} {n}", s.label))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            f,
            "  sources excluded as stale (steps): {}",
            per_source(&r.stale_steps)
        )?;
        writeln!(
            f,
            "  sources dropped as outliers (steps): {}",
            per_source(&r.outlier_steps)
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
