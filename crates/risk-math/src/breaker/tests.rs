use super::*;
use crate::consensus::{consensus, ConsensusParams, Quote};
use crate::price::exceeds_bps;
use crate::twap::{self, CoverageRules, Observation as TwapObs};
use proptest::prelude::*;

const P: BreakerParams = BreakerParams {
    cooldown_secs: 900,
    max_disagreement_secs: 1_800,
    confirm_secs: 60,
    reduced_confirm_secs: 900,
    stale_grace_secs: 600,
    confirm_min_sources: 2,
    floor_bps: 300,
    max_evidence_gap_secs: 60,
};
const ALLOWED: u64 = 300;
const SPREAD: u32 = 100;
const QUORUM: u8 = 2;
const WINDOW: u32 = 1_800;
const SPACING: i64 = 15;
const CLAMP: u32 = 200;

fn obs(twap_move: u64, last_move: u64, valid: u8, agreeing: u8) -> Observation {
    Observation::Consensus(ConsensusObs {
        price: 1_000_000,
        move_from_twap_bps: Some(twap_move),
        move_from_last_bps: Some(last_move),
        allowed_move_bps: ALLOWED,
        valid,
        agreeing,
        configured: 3,
    })
}

/// A consensus at `price`, 20% from a lagging TWAP (a re-anchoring feed).
fn at(price: u64, valid: u8, agreeing: u8) -> Observation {
    Observation::Consensus(ConsensusObs {
        price,
        move_from_twap_bps: Some(2_000),
        move_from_last_bps: Some(0),
        allowed_move_bps: ALLOWED,
        valid,
        agreeing,
        configured: 3,
    })
}

fn calm() -> Observation {
    obs(10, 5, 3, 3)
}

#[test]
fn a_contradicted_jump_trips_and_resumes_after_the_cooldown() {
    let mut s = BreakerState::ACTIVE;
    assert!(step(&mut s, calm(), 1_000, P).publish);
    let t = step(&mut s, obs(900, 900, 3, 2), 1_010, P);
    assert_eq!(t.transition, Transition::Tripped(HaltReason::PriceJump));
    assert!(!t.publish);
    assert_eq!(step(&mut s, calm(), 1_800, P).transition, Transition::None);
    let r = step(&mut s, calm(), 1_910, P);
    assert_eq!(r.transition, Transition::Resumed);
    assert!(r.publish);
    assert_eq!(s.status, Status::Active);
}

#[test]
fn a_unanimous_jump_is_published_restricted_then_confirmed_and_reanchored() {
    let mut s = BreakerState::ACTIVE;
    let t = step(&mut s, obs(900, 900, 3, 3), 1_000, P);
    assert_eq!(
        t.transition,
        Transition::Restricted(HaltReason::UnconfirmedMove)
    );
    assert!(t.publish);
    assert_eq!(t.unconfirmed_bps, 600);
    assert_eq!(t.sample, Sample::Clamped);
    assert_eq!(s.status, Status::Restricted);
    // Held for the confirmation time: confirmed, samples unclamped.
    let c = step(&mut s, obs(950, 50, 3, 3), 1_060, P);
    assert_eq!(c.transition, Transition::Confirmed);
    assert_eq!((c.publish, c.unconfirmed_bps), (true, 0));
    assert_eq!(c.sample, Sample::Unclamped);
    // Re-anchoring: judged against the last price, not the lagging TWAP.
    let r = step(&mut s, obs(800, 20, 3, 3), 1_075, P);
    assert_eq!((r.transition, r.publish), (Transition::None, true));
    assert_eq!(r.sample, Sample::Unclamped);
    assert_eq!(s.reason, HaltReason::Reanchoring);
    // The TWAP caught up: back to the governance status.
    let done = step(&mut s, obs(250, 5, 3, 3), 2_800, P);
    assert_eq!(done.transition, Transition::Resumed);
    assert!(s.at_governance_status() && s.reanchor_since == 0 && s.move_since == 0);
}

#[test]
fn a_contradicted_majority_cannot_walk_the_reanchored_level() {
    let mut s = BreakerState::ACTIVE;
    step(&mut s, at(800_000, 3, 3), 1_000, P);
    assert_eq!(
        step(&mut s, at(800_000, 3, 3), 1_060, P).transition,
        Transition::Confirmed
    );
    assert_eq!(s.anchor_price, 800_000);
    // Every source moves 2.5%: the level follows.
    assert!(step(&mut s, at(780_000, 3, 3), 1_075, P).publish);
    assert_eq!(s.anchor_price, 780_000);
    // Two sources walk on by 2.5% steps while the third dissents: the
    // first step is within the band and published, but the level stays.
    assert!(step(&mut s, at(760_500, 3, 2), 1_090, P).publish);
    assert_eq!(s.anchor_price, 780_000);
    let t = step(&mut s, at(741_000, 3, 2), 1_105, P);
    assert_eq!(t.transition, Transition::Tripped(HaltReason::PriceJump));
}

#[test]
fn evidence_must_be_carried_without_gaps_and_held_back_moves_teach_the_twap_nothing() {
    let mut s = BreakerState::ACTIVE;
    let first = step(&mut s, obs(2_000, 2_000, 2, 2), 1_000, P);
    assert_eq!(first.sample, Sample::None, "held back: no TWAP sample");
    // Shown again only 900 s later (nobody refreshed in between): the gap
    // exceeds a source's staleness, so the confirmation restarts.
    let later = step(&mut s, obs(2_000, 2_000, 2, 2), 1_900, P);
    assert_eq!(later.transition, Transition::None);
    assert_eq!(s.move_since, 1_900);
}

#[test]
fn dissenting_refreshes_while_reanchoring_are_clamped_and_move_nothing() {
    let mut s = BreakerState::ACTIVE;
    step(&mut s, at(800_000, 3, 3), 1_000, P);
    step(&mut s, at(800_000, 3, 3), 1_060, P);
    assert_eq!(s.reason, HaltReason::Reanchoring);
    let d = step(&mut s, at(801_000, 3, 2), 1_075, P);
    assert_eq!((d.publish, d.sample), (true, Sample::Clamped));
    assert_eq!(s.anchor_price, 800_000);
    // Reduced evidence (a source missing) does not walk the level either.
    let r = step(&mut s, at(805_000, 2, 2), 1_090, P);
    assert_eq!((r.publish, r.sample), (true, Sample::Clamped));
    assert_eq!(s.anchor_price, 800_000);
    let u = step(&mut s, at(805_000, 3, 3), 1_105, P);
    assert_eq!(u.sample, Sample::Unclamped);
    assert_eq!(s.anchor_price, 805_000);
}

#[test]
fn a_staleness_halt_that_sees_a_contradicted_jump_takes_its_cooldown() {
    let mut s = BreakerState::ACTIVE;
    let lost = Observation::QuorumLost {
        stale_only: false,
        price_age_secs: Some(10),
    };
    step(&mut s, lost, 1_000, P);
    assert_eq!(s.reason, HaltReason::QuorumLost);
    step(&mut s, obs(2_000, 2_000, 3, 2), 1_015, P);
    assert_eq!(s.reason, HaltReason::PriceJump);
    // No resume on the first calm refresh: the cool-down applies.
    assert_eq!(step(&mut s, calm(), 1_030, P).transition, Transition::None);
}

#[test]
fn reduced_evidence_is_held_back_for_its_longer_confirmation() {
    let mut s = BreakerState::ACTIVE;
    // Two valid of three configured, both agree: a real move or the only
    // two fresh sources lying; not published until carried 900 s.
    for t in (0..900).step_by(15) {
        let st = step(&mut s, obs(2_000, 2_000, 2, 2), 5_000 + t, P);
        assert!(!st.publish, "t = {t}");
        assert_eq!(s.status, Status::Restricted);
    }
    let c = step(&mut s, obs(2_000, 2_000, 2, 2), 5_900, P);
    assert_eq!((c.transition, c.publish), (Transition::Confirmed, true));
    // A dissenter reappearing resets the evidence and halts.
    let mut s = BreakerState::ACTIVE;
    step(&mut s, obs(2_000, 2_000, 2, 2), 5_000, P);
    let h = step(&mut s, obs(2_000, 2_000, 3, 2), 5_300, P);
    assert_eq!(h.transition, Transition::Tripped(HaltReason::PriceJump));
    assert_eq!(s.move_since, 0);
}

#[test]
fn stale_sources_get_a_grace_then_halt_and_resume_as_soon_as_quorum_is_back() {
    let mut s = BreakerState::ACTIVE;
    let stale = |age| Observation::QuorumLost {
        stale_only: true,
        price_age_secs: Some(age),
    };
    let g = step(&mut s, stale(100), 1_000, P);
    assert_eq!(g.transition, Transition::Restricted(HaltReason::StaleGrace));
    assert!(!g.publish);
    assert_eq!(
        step(&mut s, stale(600), 1_500, P).transition,
        Transition::None
    );
    assert_eq!(
        step(&mut s, stale(601), 1_501, P).transition,
        Transition::Tripped(HaltReason::QuorumLost)
    );
    // Staleness is not an attack: no cool-down once a consensus is back.
    assert_eq!(
        step(&mut s, calm(), 1_600, P).transition,
        Transition::Resumed
    );
    // A confidence blow-out (not staleness) gets no grace.
    let mut s = BreakerState::ACTIVE;
    let not_stale = Observation::QuorumLost {
        stale_only: false,
        price_age_secs: Some(10),
    };
    assert_eq!(
        step(&mut s, not_stale, 1_000, P).transition,
        Transition::Tripped(HaltReason::QuorumLost)
    );
}

#[test]
fn long_disagreement_trips() {
    let mut s = BreakerState::ACTIVE;
    // 4 valid, 2 agree: no majority, within the band.
    let split = Observation::Consensus(ConsensusObs {
        price: 1_000_000,
        move_from_twap_bps: Some(0),
        move_from_last_bps: Some(0),
        allowed_move_bps: ALLOWED,
        valid: 4,
        agreeing: 2,
        configured: 4,
    });
    assert_eq!(step(&mut s, split, 5_000, P).transition, Transition::None);
    assert_eq!(step(&mut s, split, 6_800, P).transition, Transition::None);
    assert_eq!(
        step(&mut s, split, 6_801, P).transition,
        Transition::Tripped(HaltReason::Disagreement)
    );
}

#[test]
fn allowed_move_scales_with_vol() {
    let calm = crate::volatility::variance_from_annual_bps(2_000); // 20%
    let wild = crate::volatility::variance_from_annual_bps(20_000); // 200%
                                                                    // 6 sigma over 30 min: floor binds for calm, vol binds for wild.
    assert_eq!(allowed_move_bps(calm, 1_800, 600, 300, 1_000).unwrap(), 300);
    let w = allowed_move_bps(wild, 1_800, 600, 300, 1_000).unwrap();
    // 2 * sqrt(1800 / 31_536_000) = 151 bps per sigma.
    assert!((900..=910).contains(&w), "{w}");
    // Capped however wild.
    let crash = crate::volatility::variance_from_annual_bps(100_000);
    assert_eq!(
        allowed_move_bps(crash, 1_800, 600, 300, 1_000).unwrap(),
        1_000
    );
}

#[test]
fn governance_halt_never_auto_resumes_and_restricted_governance_is_restored() {
    let mut s = BreakerState::ACTIVE.governed(Status::Halted, 1);
    assert!(!step(&mut s, calm(), 1_000_000, P).publish);
    assert!(!step(&mut s, obs(900, 900, 3, 3), 1_000_100, P).publish);
    assert_eq!(
        (s.status, s.reason),
        (Status::Halted, HaltReason::Governance)
    );

    // Governance Restricted: a trip and its resume come back to Restricted,
    // never to Active (which would reopen borrowing governance closed).
    let mut s = BreakerState::ACTIVE.governed(Status::Restricted, 1);
    step(&mut s, obs(900, 900, 3, 2), 10, P);
    assert_eq!(s.status, Status::Halted);
    assert_eq!(
        step(&mut s, calm(), 2_000, P).transition,
        Transition::Resumed
    );
    assert_eq!(
        (s.status, s.reason),
        (Status::Restricted, HaltReason::Governance)
    );
}

#[test]
fn a_halt_with_no_move_on_every_source_ends_once_the_move_is_carried() {
    // Halted by a contradicted move; the dissenter then goes stale and the
    // remaining two carry the move: published only after the reduced
    // confirmation, counted from when the contradiction ended.
    let mut s = BreakerState::ACTIVE;
    step(&mut s, obs(2_000, 2_000, 3, 2), 1_000, P);
    assert_eq!(s.status, Status::Halted);
    for t in (1_060..1_960).step_by(15) {
        assert!(!step(&mut s, obs(2_000, 2_000, 2, 2), t, P).publish, "{t}");
    }
    let c = step(&mut s, obs(2_000, 2_000, 2, 2), 1_960, P);
    assert_eq!(c.transition, Transition::Confirmed);
    assert_eq!(s.status, Status::Restricted);
}

#[test]
fn confirm_min_above_the_source_count_makes_every_jump_a_halt() {
    let strict = BreakerParams {
        confirm_min_sources: 8,
        ..P
    };
    let mut s = BreakerState::ACTIVE;
    assert_eq!(
        step(&mut s, obs(900, 900, 3, 3), 10, strict).transition,
        Transition::Tripped(HaltReason::PriceJump)
    );
}

/// A feed as the pricing program keeps it, in memory: consensus over the
/// sources that publish, the exact TWAP over recorded samples, the
/// breaker, and what is published. Missing quotes are stale sources.
struct SimFeed {
    state: BreakerState,
    price: u64,
    price_ts: i64,
    history: Vec<TwapObs>,
    published: Vec<(i64, u64)>,
}

impl SimFeed {
    fn new(gov: Status) -> SimFeed {
        SimFeed {
            state: BreakerState::ACTIVE.governed(gov, 1),
            price: 0,
            price_ts: 0,
            history: vec![],
            published: vec![],
        }
    }

    fn twap(&self, now: i64) -> Option<u64> {
        let rules = CoverageRules {
            min_samples: 5,
            max_gap_secs: 600,
        };
        twap::twap_over(self.history.len(), |i| self.history[i], now, WINDOW, rules)
            .unwrap()
            .ok()
            .map(|t| t.price)
    }

    fn refresh(&mut self, quotes: &[Option<u64>], now: i64) -> (Step, Option<Consensus>) {
        let valid: Vec<Quote> = quotes
            .iter()
            .enumerate()
            .filter_map(|(i, q)| {
                q.map(|price| Quote {
                    source_index: i as u8,
                    price,
                    conf: price / 2_000,
                })
            })
            .collect();
        let outcome = consensus(
            &valid,
            ConsensusParams {
                min_quorum: QUORUM,
                max_spread_bps: SPREAD,
            },
        );
        let twap = self.twap(now);
        let last = (self.price_ts > 0).then_some((self.price, now - self.price_ts));
        let seen = Seen {
            outcome: &outcome,
            stale_only: true,
            twap,
            last,
            allowed_move_bps: ALLOWED,
            configured: quotes.len() as u8,
        };
        let observation = observe(&seen).unwrap();
        let reference = reference(&self.state, twap, last.map(|l| l.0));
        let st = step(&mut self.state, observation, now, P);
        let c = outcome.ok();
        if let Some(c) = c {
            if st.publish {
                (self.price, self.price_ts) = (c.price, now);
                self.published.push((now, c.price));
            }
            let due = self.history.last().map_or(true, |o| now - o.ts >= SPACING);
            if let (true, Some(sample)) = (due, sample_price(st.sample, c.price, reference, CLAMP))
            {
                let next = match self.history.last() {
                    Some(o) => o.next(now, sample).unwrap(),
                    None => TwapObs {
                        ts: now,
                        price: sample,
                        cumulative: 0,
                    },
                };
                self.history.push(next);
            }
        }
        (st, c)
    }
}

fn within_spread(q: u64, p: u64) -> bool {
    !exceeds_bps(q.abs_diff(p), p, SPREAD)
}

/// A three-source path: every step each source is honest (market price
/// with a little noise), lies (a random factor), or is stale.
#[derive(Debug, Clone, Copy)]
enum Src {
    Honest(i16),
    Lie(u16),
    Stale,
}

fn src() -> impl Strategy<Value = Src> {
    prop_oneof![
        6 => (-3i16..=3).prop_map(Src::Honest),
        2 => (2_000u16..18_000).prop_map(Src::Lie),
        1 => Just(Src::Stale),
    ]
}

fn quote(s: Src, market: u64) -> Option<u64> {
    match s {
        Src::Honest(bps) => Some((market as i64 + market as i64 * bps as i64 / 10_000) as u64),
        Src::Lie(x) => Some(market * x as u64 / 10_000),
        Src::Stale => None,
    }
}

/// A market path: random walk with occasional crashes of up to 40%.
fn market_path() -> impl Strategy<Value = Vec<i16>> {
    proptest::collection::vec(
        prop_oneof![8 => -20i16..=20, 1 => -4_000i16..=2_000],
        40..160,
    )
}

fn step_market(m: u64, bps: i16) -> u64 {
    ((m as i64 + m as i64 * bps as i64 / 10_000) as u64).max(1_000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the sources do, a published price lies within the spread
    /// limit of at least quorum-many of the valid sources that refresh.
    #[test]
    fn published_prices_are_backed_by_a_quorum(
        path in market_path(),
        faults in proptest::collection::vec([src(), src(), src()], 160),
    ) {
        let mut feed = SimFeed::new(Status::Active);
        let mut market = 3_000_000u64;
        for (i, m) in path.iter().enumerate() {
            market = step_market(market, *m);
            let quotes: Vec<Option<u64>> = faults[i].iter().map(|s| quote(*s, market)).collect();
            let now = 1_000 + 15 * i as i64;
            let (st, _) = feed.refresh(&quotes, now);
            if st.publish {
                let backing = quotes.iter().flatten().filter(|q| within_spread(**q, feed.price)).count();
                prop_assert!(backing >= QUORUM as usize, "{quotes:?} published {}", feed.price);
            }
        }
    }

    /// One lying source never moves the published price beyond the spread
    /// limit of the two honest ones, whatever the market does.
    #[test]
    fn a_minority_cannot_move_the_price(
        path in market_path(),
        liar in 0usize..3,
        lies in proptest::collection::vec(src(), 160),
        noise in proptest::collection::vec([-3i16..=3, -3i16..=3, -3i16..=3], 160),
    ) {
        let mut feed = SimFeed::new(Status::Active);
        let mut market = 3_000_000u64;
        for (i, m) in path.iter().enumerate() {
            market = step_market(market, *m);
            let quotes: Vec<Option<u64>> = (0..3)
                .map(|j| if j == liar { quote(lies[i], market) } else { quote(Src::Honest(noise[i][j]), market) })
                .collect();
            let (st, _) = feed.refresh(&quotes, 1_000 + 15 * i as i64);
            if st.publish {
                let honest: Vec<u64> = (0..3).filter(|j| *j != liar).filter_map(|j| quotes[j]).collect();
                let lo = *honest.iter().min().unwrap();
                let hi = *honest.iter().max().unwrap();
                let p = feed.price;
                prop_assert!(
                    within_spread(lo, p) || within_spread(hi, p) || (lo..=hi).contains(&p),
                    "{quotes:?} published {p}"
                );
            }
        }
    }

    /// A move every source holds is published at once (Restricted), never
    /// halts, is confirmed after `confirm_secs`, and the feed is back at the
    /// governance status one TWAP window after confirmation at the latest.
    #[test]
    fn a_move_every_source_holds_is_published_and_reanchored(
        move_bps in prop_oneof![-6_000i64..-400, 400i64..6_000],
        gov_restricted in any::<bool>(),
        noise in proptest::collection::vec([-3i64..=3, -3i64..=3, -3i64..=3], 400),
    ) {
        let gov = if gov_restricted { Status::Restricted } else { Status::Active };
        let mut feed = SimFeed::new(gov);
        let p0 = 3_000_000i64;
        let p1 = p0 + p0 * move_bps / 10_000;
        let t_move = 1_000 + 15 * 200;
        let mut confirmed_at = None;
        for (i, n) in noise.iter().enumerate() {
            let now = 1_000 + 15 * i as i64;
            let level = if now < t_move { p0 } else { p1 };
            let quotes: Vec<Option<u64>> = n.iter().map(|n| Some((level + level * n / 10_000) as u64)).collect();
            let (st, c) = feed.refresh(&quotes, now);
            prop_assert!(feed.state.status != Status::Halted, "halted at {now}");
            if now >= t_move {
                prop_assert!(st.publish, "not published at {now}");
                prop_assert_eq!(feed.price, c.unwrap().price);
                if st.transition == Transition::Confirmed {
                    confirmed_at = Some(now);
                    prop_assert!(now - t_move <= P.confirm_secs as i64);
                }
            }
            if let Some(at) = confirmed_at {
                if now >= at + WINDOW as i64 + SPACING {
                    prop_assert_eq!(feed.state.status, gov);
                    prop_assert_eq!(feed.state.reanchor_since, 0);
                }
            }
        }
        prop_assert!(confirmed_at.is_some());
        prop_assert_eq!(feed.state.status, gov);
    }

    /// After any automatic episode (attacks, staleness, crashes), a calm
    /// stretch returns the feed to exactly the status governance set.
    #[test]
    fn governance_status_is_restored_after_every_episode(
        path in market_path(),
        faults in proptest::collection::vec([src(), src(), src()], 160),
        gov_restricted in any::<bool>(),
    ) {
        let gov = if gov_restricted { Status::Restricted } else { Status::Active };
        let mut feed = SimFeed::new(gov);
        let mut market = 3_000_000u64;
        let mut now = 1_000;
        for (i, m) in path.iter().enumerate() {
            market = step_market(market, *m);
            let quotes: Vec<Option<u64>> = faults[i].iter().map(|s| quote(*s, market)).collect();
            feed.refresh(&quotes, now);
            now += 15;
        }
        // Calm: every source at the market for cool-down + confirmation +
        // a TWAP window, with margin.
        let calm_secs = (P.cooldown_secs + P.reduced_confirm_secs + WINDOW) as i64 + 600;
        let end = now + calm_secs;
        while now < end {
            feed.refresh(&[Some(market), Some(market), Some(market)], now);
            now += 15;
        }
        prop_assert_eq!(feed.state.status, gov);
        let expected = if gov == Status::Active { HaltReason::None } else { HaltReason::Governance };
        prop_assert_eq!(feed.state.reason, expected);
        prop_assert_eq!(feed.price, market);
    }
}
