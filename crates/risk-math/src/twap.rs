//! Time-weighted average price from cumulative price-time observations.
//!
//! Each observation stores the running integral of price over time up to its
//! own timestamp, so the TWAP over any window is exact:
//! (cumulative(now) - cumulative(start)) / window, where the price is held
//! constant between observations. A window the history does not cover, with
//! too few samples, or with a gap longer than allowed is reported invalid,
//! never silently used.

use crate::fixed::{checked_add, checked_mul, MathError, MathResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Observation {
    pub ts: i64,
    pub price: u64,
    /// Integral of price over time from the first observation to `ts`.
    pub cumulative: u128,
}

impl Observation {
    /// The integral extended to time `t >= self.ts` at this observation's price.
    pub fn cumulative_at(&self, t: i64) -> MathResult<u128> {
        let dt = t
            .checked_sub(self.ts)
            .filter(|d| *d >= 0)
            .ok_or(MathError::OutOfDomain)?;
        checked_add(
            self.cumulative,
            checked_mul(self.price as u128, dt as u128)?,
        )
    }

    /// The observation that follows this one at time `ts` with `price`.
    pub fn next(&self, ts: i64, price: u64) -> MathResult<Observation> {
        Ok(Observation {
            ts,
            price,
            cumulative: self.cumulative_at(ts)?,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoverageRules {
    /// Samples required strictly inside the window.
    pub min_samples: u16,
    /// Longest allowed gap between consecutive samples (and to the window edges).
    pub max_gap_secs: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Twap {
    pub price: u64,
    pub samples: u16,
    pub max_gap_secs: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwapError {
    /// The oldest observation is younger than the window start.
    HistoryTooShort,
    TooFewSamples {
        have: u16,
        need: u16,
    },
    GapTooLarge {
        gap_secs: u32,
        max_secs: u32,
    },
}

/// TWAP over `[now - window_secs, now]`. `len` observations are read through
/// `get(i)`, oldest first (`get(len - 1)` is the newest). Observations
/// after `now` are ignored, so a window may end in the past (an option's
/// expiry, settled later).
pub fn twap_over(
    len: usize,
    get: impl Fn(usize) -> Observation,
    now: i64,
    window_secs: u32,
    rules: CoverageRules,
) -> MathResult<Result<Twap, TwapError>> {
    let mut len = len;
    while len > 0 && get(len - 1).ts > now {
        len -= 1;
    }
    if len == 0 || window_secs == 0 {
        return Ok(Err(TwapError::HistoryTooShort));
    }
    let start = now
        .checked_sub(window_secs as i64)
        .ok_or(MathError::Overflow)?;
    let newest = get(len - 1);
    let mut samples = 0u16;
    let mut max_gap = (now - newest.ts) as u64;
    let mut later_ts = newest.ts;
    let mut anchor = None;
    for i in (0..len).rev() {
        let obs = get(i);
        if obs.ts <= start {
            anchor = Some(obs);
            max_gap = max_gap.max((later_ts - start) as u64);
            break;
        }
        samples = samples.saturating_add(1);
        if i + 1 < len {
            max_gap = max_gap.max((later_ts - obs.ts) as u64);
        }
        later_ts = obs.ts;
    }
    let Some(anchor) = anchor else {
        return Ok(Err(TwapError::HistoryTooShort));
    };
    if samples < rules.min_samples {
        return Ok(Err(TwapError::TooFewSamples {
            have: samples,
            need: rules.min_samples,
        }));
    }
    let max_gap = u32::try_from(max_gap).unwrap_or(u32::MAX);
    if max_gap > rules.max_gap_secs {
        return Ok(Err(TwapError::GapTooLarge {
            gap_secs: max_gap,
            max_secs: rules.max_gap_secs,
        }));
    }
    let area = newest
        .cumulative_at(now)?
        .checked_sub(anchor.cumulative_at(start)?)
        .ok_or(MathError::Overflow)?;
    let price = u64::try_from(area / window_secs as u128).map_err(|_| MathError::Overflow)?;
    Ok(Ok(Twap {
        price,
        samples,
        max_gap_secs: max_gap,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LOOSE: CoverageRules = CoverageRules {
        min_samples: 1,
        max_gap_secs: u32::MAX,
    };

    fn build(points: &[(i64, u64)]) -> Vec<Observation> {
        let mut out: Vec<Observation> = vec![];
        for &(ts, p) in points {
            let o = match out.last() {
                None => Observation {
                    ts,
                    price: p,
                    cumulative: 0,
                },
                Some(last) => last.next(ts, p).unwrap(),
            };
            out.push(o);
        }
        out
    }

    #[test]
    fn exact_step_average() {
        let obs = build(&[(0, 100), (60, 200), (90, 400)]);
        // window [30, 120]: 100 for 30 s, 200 for 30 s, 400 for 30 s.
        let t = twap_over(obs.len(), |i| obs[i], 120, 90, LOOSE)
            .unwrap()
            .unwrap();
        assert_eq!(t.price, (100 * 30 + 200 * 30 + 400 * 30) / 90);
        assert_eq!(t.samples, 2);
    }

    #[test]
    fn coverage_is_enforced() {
        let obs = build(&[(0, 100), (10, 100), (100, 100)]);
        let rules = CoverageRules {
            min_samples: 3,
            max_gap_secs: 60,
        };
        assert_eq!(
            twap_over(obs.len(), |i| obs[i], 110, 105, rules).unwrap(),
            Err(TwapError::TooFewSamples { have: 2, need: 3 })
        );
        let rules = CoverageRules {
            min_samples: 1,
            max_gap_secs: 60,
        };
        assert_eq!(
            twap_over(obs.len(), |i| obs[i], 110, 105, rules).unwrap(),
            Err(TwapError::GapTooLarge {
                gap_secs: 90,
                max_secs: 60
            })
        );
        assert_eq!(
            twap_over(obs.len(), |i| obs[i], 110, 500, LOOSE).unwrap(),
            Err(TwapError::HistoryTooShort)
        );
    }

    proptest! {
        /// The cumulative TWAP equals a brute-force second-by-second
        /// average, also for windows ending before the newest observation.
        #[test]
        fn matches_brute_force(
            steps in proptest::collection::vec((1i64..50, 1u64..1_000_000), 2..40),
            window in 1u32..400,
            tail in -300i64..30,
        ) {
            let mut ts = 0;
            let mut pts = vec![];
            for (dt, p) in &steps { pts.push((ts, *p)); ts += dt; }
            let obs = build(&pts);
            let now = pts.last().unwrap().0 + tail;
            let start = now - window as i64;
            let any_history = CoverageRules { min_samples: 0, max_gap_secs: u32::MAX };
            if let Ok(t) = twap_over(obs.len(), |i| obs[i], now, window, any_history).unwrap() {
                let mut sum: u128 = 0;
                for s in start..now {
                    let p = pts.iter().rev().find(|(t0, _)| *t0 <= s).unwrap().1;
                    sum += p as u128;
                }
                prop_assert_eq!(t.price as u128, sum / window as u128);
            } else {
                prop_assert!(pts[0].0 > start);
            }
        }
    }
}
