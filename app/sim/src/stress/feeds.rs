//! What the oracle sources publish at every step of a scenario: the
//! reference path (the "true" price), each source's quote with the faults
//! laid over it, and the network conditions the keeper meets.

use anyhow::bail;

use super::scenario::{Fault, Path, Scenario};
use crate::price_files::{within, SourceFiles};

/// Sources every scenario publishes (policies use all or only the first).
pub const SOURCES: usize = 3;
const YEAR_SECS: f64 = 365.0 * 86_400.0;
/// Honest sources differ from the reference by up to this (bps).
const NOISE_BPS: f64 = 3.0;
/// Honest confidence: 5 bps of the price.
const CONF_BPS: f64 = 5.0;

/// One source's published quote, USD.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quote {
    pub price: f64,
    pub conf: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    /// Seconds since the scenario started.
    pub t: i64,
    pub reference: f64,
    /// None: the source publishes nothing this step (frozen or no data).
    pub quotes: [Option<Quote>; SOURCES],
    /// Slot time this step (400 = on target).
    pub slot_ms: i64,
    /// Probability that a keeper transaction is dropped this step.
    pub drop: f64,
    pub keeper_online: bool,
}

impl Tick {
    /// A step on a healthy network with the keeper online (faults come after).
    fn calm(t: i64, reference: f64, quotes: [Option<Quote>; SOURCES]) -> Tick {
        Tick {
            t,
            reference,
            quotes,
            slot_ms: 400,
            drop: 0.0,
            keeper_online: true,
        }
    }
}

pub use rampart_sdk::rng::Rng;

/// Every step of `s`, faults applied.
pub fn ticks(s: &Scenario) -> anyhow::Result<Vec<Tick>> {
    let mut ticks = match &s.path {
        Path::Replay(files) => replay(s, files)?,
        _ => synthetic(s)?,
    };
    let step = ticks.get(1).map_or(s.step, |t| t.t - ticks[0].t);
    for tick in ticks.iter_mut() {
        for fault in &s.faults {
            apply(fault, tick, step);
        }
    }
    Ok(ticks)
}

fn synthetic(s: &Scenario) -> anyhow::Result<Vec<Tick>> {
    if s.duration == 0 {
        bail!("scenario {}: a synthetic path needs a duration", s.name);
    }
    let mut rng = Rng::new(s.seed);
    let steps = (s.duration / s.step) as usize;
    let dt = s.step as f64 / YEAR_SECS;
    let mut price = s.price;
    let mut out = Vec::with_capacity(steps + 1);
    for i in 0..=steps {
        let t = i as i64 * s.step;
        let reference = match s.path {
            Path::Flat => s.price,
            Path::Gbm {
                vol,
                drift,
                jumps_per_day,
                jump,
            } => {
                if i > 0 {
                    let mut r = (drift - vol * vol / 2.0) * dt + vol * dt.sqrt() * rng.normal();
                    if rng.unit() < jumps_per_day * s.step as f64 / 86_400.0 {
                        r += if rng.unit() < 0.5 { -jump } else { jump };
                    }
                    price *= r.exp();
                }
                price
            }
            Path::Regime {
                at,
                vol_before,
                vol_after,
            } => {
                let vol = if t < at { vol_before } else { vol_after };
                if i > 0 {
                    price *= ((-vol * vol / 2.0) * dt + vol * dt.sqrt() * rng.normal()).exp();
                }
                price
            }
            Path::FlashCrash {
                at,
                depth,
                fall,
                recover,
                rebound,
            } => {
                let bottom = s.price * (1.0 - depth);
                let rebound = bottom + (s.price - bottom) * rebound;
                if t <= at {
                    s.price
                } else if t <= at + fall {
                    s.price + (bottom - s.price) * (t - at) as f64 / fall as f64
                } else if t <= at + fall + recover {
                    bottom + (rebound - bottom) * (t - at - fall) as f64 / recover as f64
                } else {
                    rebound
                }
            }
            Path::Bleed { depth } => s.price * (1.0 - depth * t as f64 / s.duration as f64),
            Path::Staircase {
                at,
                drop,
                every,
                steps,
            } => {
                let taken = if t < at {
                    0
                } else {
                    ((t - at) / every + 1).min(steps)
                };
                s.price * (1.0 - drop).powi(taken as i32)
            }
            Path::Replay(_) => unreachable!("handled by replay()"),
        };
        let mut quotes = [None; SOURCES];
        for q in quotes.iter_mut() {
            let noise = (rng.unit() * 2.0 - 1.0) * NOISE_BPS / 10_000.0;
            let p = reference * (1.0 + noise);
            *q = Some(Quote {
                price: p,
                conf: p * CONF_BPS / 10_000.0,
            });
        }
        out.push(Tick::calm(t, reference, quotes));
    }
    Ok(out)
}

/// Each file a source, the reference file the "true" price. A step is the
/// data's smallest spacing unless the scenario sets `step`; a source
/// publishes at a step what it observed within it, and is silent (stale)
/// where its file has nothing; the reference carries its last value. A
/// file's own confidence is used; a candle's is the usual 5 bps, as on
/// synthetic paths.
fn replay(s: &Scenario, files: &SourceFiles) -> anyhow::Result<Vec<Tick>> {
    let data = files.load(SOURCES)?;
    let all = || data.sources.iter().chain([&data.reference]);
    let step = if s.step_set {
        s.step
    } else {
        all().filter_map(|x| x.spacing()).min().unwrap_or(s.step)
    };
    let first = data.reference.points[0].ts;
    let last = data.reference.points.last().map_or(first, |o| o.ts);
    let span = if s.duration > 0 {
        s.duration.min(last - first)
    } else {
        last - first
    };
    let mut reference = data.reference.points[0].price;
    let mut out = vec![];
    for i in 0..=(span / step) {
        let ts = first + i * step;
        if let Some(o) = within(&data.reference, ts, step) {
            reference = o.price;
        }
        let mut quotes = [None; SOURCES];
        for (q, source) in quotes.iter_mut().zip(&data.sources) {
            *q = within(source, ts, step).map(|o| Quote {
                price: o.price,
                conf: o.conf.unwrap_or(o.price * CONF_BPS / 10_000.0),
            });
        }
        out.push(Tick::calm(i * step, reference, quotes));
    }
    Ok(out)
}

fn apply(fault: &Fault, tick: &mut Tick, step: i64) {
    let within = |from: i64, to: i64| tick.t >= from && tick.t < to;
    match fault {
        Fault::Spike { source, at, bps } => {
            if tick.t <= *at && *at < tick.t + step {
                move_price(&mut tick.quotes[*source], *bps);
            }
        }
        Fault::Freeze { source, from, to } => {
            if within(*from, *to) {
                tick.quotes[*source] = None;
            }
        }
        Fault::Collude {
            sources,
            from,
            to,
            bps,
        } => {
            if within(*from, *to) {
                for s in sources.iter().filter(|s| **s < SOURCES) {
                    move_price(&mut tick.quotes[*s], *bps);
                }
            }
        }
        Fault::Conf {
            source,
            from,
            to,
            bps,
        } => {
            if within(*from, *to) {
                if let Some(q) = tick.quotes[*source].as_mut() {
                    q.conf = q.price * bps / 10_000.0;
                }
            }
        }
        Fault::Congestion {
            from,
            to,
            slot_ms,
            drop,
        } => {
            if within(*from, *to) {
                tick.slot_ms = *slot_ms;
                tick.drop = *drop;
            }
        }
        Fault::KeeperOffline { from, to } => {
            if within(*from, *to) {
                tick.keeper_online = false;
            }
        }
        // Not a price or network fault: the engine applies it.
        Fault::ValidatorsCollude { .. }
        | Fault::AgentOffline { .. }
        | Fault::AgentCompromised { .. } => {}
    }
}

fn move_price(q: &mut Option<Quote>, bps: f64) {
    if let Some(q) = q.as_mut() {
        q.price *= 1.0 + bps / 10_000.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(text: &str) -> Scenario {
        Scenario::parse(text).unwrap()
    }

    #[test]
    fn same_seed_same_path() {
        let s = scenario("duration 3600\npath gbm vol=0.8 drift=0 jumps_per_day=10 jump=0.05\n");
        assert_eq!(ticks(&s).unwrap(), ticks(&s).unwrap());
        let other = Scenario {
            seed: 2,
            ..s.clone()
        };
        assert_ne!(ticks(&s).unwrap(), ticks(&other).unwrap());
    }

    #[test]
    fn faults_land_where_the_file_says() {
        let s = scenario(
            "duration 600\nstep 15\nfault spike source=0 at=120 bps=-5000\n\
             fault freeze source=1 from=300 to=600\nfault keeper_offline from=0 to=30\n",
        );
        let t = ticks(&s).unwrap();
        let spiked: Vec<i64> = t
            .iter()
            .filter(|x| x.quotes[0].unwrap().price < 20_000.0)
            .map(|x| x.t)
            .collect();
        assert_eq!(spiked, vec![120], "one step only");
        for x in &t {
            let frozen = (300..600).contains(&x.t);
            assert_eq!(x.quotes[1].is_none(), frozen, "t = {}", x.t);
        }
        assert_eq!(t.iter().filter(|x| !x.keeper_online).count(), 2);
    }

    #[test]
    fn a_flash_crash_falls_and_rebounds() {
        let s = scenario("duration 3600\npath flash_crash at=600 depth=0.3 fall=600 recover=600\n");
        let t = ticks(&s).unwrap();
        let low = t.iter().map(|x| x.reference).fold(f64::MAX, f64::min);
        assert!((low - 21_000.0).abs() < 1e-6);
        assert!((t.last().unwrap().reference - 29_100.0).abs() < 1e-6);
    }
}
