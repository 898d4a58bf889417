//! The policies compared on identical inputs: Rampart, the baselines the
//! seed argues against, and Rampart with one component removed at a time.

use margin::state::AdaptiveMaintenance;
use pricing::state::FeedParams;

use crate::market::{adaptive_maintenance, fixed_maintenance};

#[derive(Debug, Clone)]
pub struct Policy {
    pub name: &'static str,
    pub what: &'static str,
    /// How many of the scenario's sources the feed reads (the first n).
    pub sources: u8,
    pub feed: FeedParams,
    pub maint: AdaptiveMaintenance,
    /// Large liquidations need 2 of 3 validators (M-of-N).
    pub m_of_n: bool,
    /// Liquidations sell into a backstop pool first.
    pub backstop: bool,
    /// The risk agent (`rampart_ops::agent`) moves the USDC bank's
    /// maintenance base, its caps and the fee ramp on their leashes every
    /// [`agent_interval`] (the base is the lever on what everyone here
    /// borrows; the USDC bank then ranges 5% to 8%, as `rampart init`'s
    /// `usdc` preset does).
    pub agent: bool,
}

/// How often the simulated agent decides: the leash's minimum interval...
pub const AGENT_INTERVAL_SECS: i64 = 300;

/// ...or, where a step is minutes long (the 90-day replay), hourly: a pass
/// reads and values every account, and one every step over the quarter
/// would cost more than the rest of the run.
pub fn agent_interval(step: i64) -> i64 {
    if step >= AGENT_INTERVAL_SECS {
        3_600
    } else {
        AGENT_INTERVAL_SECS
    }
}

/// Feed rules for keeper rounds `step` seconds apart: Rampart's defaults,
/// with staleness and TWAP spacing fitted to the step.
pub fn rampart_feed(step: i64) -> FeedParams {
    if step >= 300 {
        return crate::replay::replay_params(step);
    }
    FeedParams {
        max_staleness_secs: (4 * step).max(60) as u32,
        max_staleness_slots: (10 * step).max(150) as u32,
        min_sample_spacing_secs: step as u32,
        twap_max_gap_secs: (8 * step).max(120) as u32,
        ..FeedParams::default_crypto()
    }
}

/// A breaker that never trips in these scenarios: the widest the bounds allow.
fn no_breaker(f: FeedParams) -> FeedParams {
    FeedParams {
        breaker_floor_bps: 5_000,
        breaker_cap_bps: 5_000,
        breaker_k_sigma_x100: 2_000,
        max_disagreement_secs: 7 * 86_400,
        ..f
    }
}

/// The TWAP reduced to the last minute and unclamped: the breaker then
/// compares a price with itself, near enough.
fn no_twap(f: FeedParams) -> FeedParams {
    FeedParams {
        twap_window_secs: 60,
        twap_clamp_bps: 5_000,
        twap_min_samples: 1,
        twap_max_gap_secs: f.twap_max_gap_secs.min(86_400),
        ..f
    }
}

fn single(f: FeedParams) -> FeedParams {
    FeedParams { min_quorum: 1, ..f }
}

/// Every policy's name, in report order.
pub fn names() -> Vec<&'static str> {
    all(1).iter().map(|p| p.name).collect()
}

/// Refuses a name no policy has, listing those there are: an unknown name
/// would run nothing and look like success.
pub fn check(chosen: &[String]) -> anyhow::Result<()> {
    let known = names();
    match chosen.iter().find(|c| !known.contains(&c.as_str())) {
        Some(unknown) => anyhow::bail!("no policy {unknown:?} (policies: {})", known.join(", ")),
        None => Ok(()),
    }
}

/// Every policy, Rampart first and Rampart with its risk agent last.
pub fn all(step: i64) -> Vec<Policy> {
    let base = rampart_feed(step);
    let mut all = vec![
        Policy {
            name: "rampart",
            what: "3-source consensus, TWAP, breaker, adaptive maintenance",
            sources: 3,
            feed: base,
            m_of_n: true,
            backstop: false,
            agent: false,
            maint: adaptive_maintenance(),
        },
        Policy {
            name: "rampart-backstop",
            what: "Rampart, liquidations sold into a banded backstop pool first",
            sources: 3,
            feed: base,
            m_of_n: true,
            backstop: true,
            agent: false,
            maint: adaptive_maintenance(),
        },
        Policy {
            name: "single-fixed",
            what: "one oracle, fixed 5% maintenance, no guards",
            sources: 1,
            feed: no_breaker(single(FeedParams {
                max_conf_bps: 2_000,
                ..base
            })),
            m_of_n: false,
            backstop: false,
            agent: false,
            maint: fixed_maintenance(),
        },
        Policy {
            name: "single-guarded",
            what:
                "one oracle with Drift-style guard rails (confidence 1%, TWAP divergence), fixed 5%",
            sources: 1,
            feed: single(FeedParams {
                max_conf_bps: 100,
                // Drift's divergence guard halts on any large move: no
                // evidence can confirm one.
                confirm_min_sources: 8,
                ..base
            }),
            m_of_n: false,
            backstop: false,
            agent: false,
            maint: fixed_maintenance(),
        },
        Policy {
            name: "rampart-no-breaker",
            what: "Rampart without the circuit breaker",
            sources: 3,
            feed: no_breaker(base),
            m_of_n: true,
            backstop: false,
            agent: false,
            maint: adaptive_maintenance(),
        },
        Policy {
            name: "rampart-fixed",
            what: "Rampart with a fixed 5% maintenance ratio",
            sources: 3,
            feed: base,
            m_of_n: true,
            backstop: false,
            agent: false,
            maint: fixed_maintenance(),
        },
        Policy {
            name: "rampart-no-twap",
            what: "Rampart with a one-minute, unclamped TWAP",
            sources: 3,
            feed: no_twap(base),
            m_of_n: true,
            backstop: false,
            agent: false,
            maint: adaptive_maintenance(),
        },
    ];
    all.push(Policy {
        name: "rampart-agent",
        what: "Rampart, the risk agent moving the USDC maintenance base, caps and fee ramp on their leashes",
        agent: true,
        ..all[0].clone()
    });
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_policy_is_within_the_feed_bounds() {
        for step in [15, 300] {
            for p in all(step) {
                assert!(p.feed.validate().is_ok(), "{} at step {step}", p.name);
            }
        }
    }
}
