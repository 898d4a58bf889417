//! The graded circuit breaker of a price feed: Active → Restricted →
//! Halted, decided by evidence rather than by the size of a move.
//!
//! - **A move within the allowed band** (k sigma, or the floor, from the
//!   reference) is published as the feed is (Active, or what governance set).
//! - **A large move that every valid source carries** (at least
//!   `confirm_min_sources` of them, never fewer than the quorum) is a real
//!   move. With every configured source valid (*full evidence*) it is
//!   published at once with the feed Restricted (no new risk), its
//!   confidence widened by the part of the move beyond the band, and
//!   confirmed after `confirm_secs`. With some sources stale (*reduced
//!   evidence*) it is held back, Restricted, until it has been carried for
//!   `reduced_confirm_secs`. Once confirmed the feed **re-anchors**: the
//!   jump reference becomes the confirmed level (following every unanimous
//!   refresh, never one with a dissenter), TWAP samples stop
//!   being clamped, and the feed returns to the governance status as soon
//!   as the TWAP is back within the band's floor of the price: at the
//!   latest one TWAP window after the price stops moving.
//! - **A large move that a majority carries but a valid source contradicts**
//!   halts (`PriceJump`); so do too few agreeing sources (`Disagreement`)
//!   and a lasting lack of majority.
//! - **Quorum lost to staleness** serves the last consensus Restricted for
//!   `stale_grace_secs` of its age (readers widen its confidence with
//!   sigma·sqrt(age)), then halts (`QuorumLost`).
//! - **Resumes** return to the status governance set: after a
//!   `QuorumLost` halt as soon as a consensus is back, after a
//!   manipulation-shaped halt once every valid source agrees within the
//!   band and the cool-down (counted from the last violation) has passed,
//!   or once evidence of a real move has been carried for its confirmation
//!   time.
//!   A governance halt never resumes by itself.

use crate::consensus::{Consensus, ConsensusError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Status {
    Active = 0,
    /// No new risk (borrows, withdrawals that leave debt, option sales);
    /// liquidations, repay, deposits, free withdrawals and settlement run.
    Restricted = 1,
    Halted = 2,
}

impl Status {
    pub fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Status::Active),
            1 => Some(Status::Restricted),
            2 => Some(Status::Halted),
            _ => None,
        }
    }
}

/// Why the feed is not at (or is at) the status governance set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum HaltReason {
    None = 0,
    /// Halted: a large move that a valid source contradicts.
    PriceJump = 1,
    /// Halted: fewer valid sources than the quorum, past the staleness grace.
    QuorumLost = 2,
    /// Halted: valid sources disagree (too few within the spread limit, or
    /// no majority for longer than allowed).
    Disagreement = 3,
    /// The status is the one governance set.
    Governance = 4,
    /// Restricted: quorum lost to stale sources; the last consensus is
    /// served for a bounded grace.
    StaleGrace = 5,
    /// Restricted: a large move every valid source carries, not yet confirmed.
    UnconfirmedMove = 6,
    /// Restricted: a confirmed move; the TWAP is catching up with it.
    Reanchoring = 7,
}

impl HaltReason {
    pub fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(HaltReason::None),
            1 => Some(HaltReason::PriceJump),
            2 => Some(HaltReason::QuorumLost),
            3 => Some(HaltReason::Disagreement),
            4 => Some(HaltReason::Governance),
            5 => Some(HaltReason::StaleGrace),
            6 => Some(HaltReason::UnconfirmedMove),
            7 => Some(HaltReason::Reanchoring),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerState {
    /// Effective status: the stricter of governance's and the breaker's.
    pub status: Status,
    pub reason: HaltReason,
    /// The status governance set; every automatic episode ends at it.
    pub gov_status: Status,
    /// When the current halt began (0 when not halted).
    pub halted_since: i64,
    /// Start of the current stretch without majority agreement (0 = none).
    pub disagree_since: i64,
    /// Last refresh that showed a violation (0 = never).
    pub last_violation: i64,
    /// Since when every valid source has carried the current large move
    /// (0 = no such move).
    pub move_since: i64,
    /// The last refresh that saw that evidence: a gap longer than a source
    /// stays fresh restarts the confirmation (it must be carried throughout,
    /// not shown at two chosen instants).
    pub last_evidence: i64,
    /// When the current re-anchoring began (0 = not re-anchoring).
    pub reanchor_since: i64,
    /// While re-anchoring: the confirmed level, following every unanimous
    /// refresh (a refresh with a dissenter is judged against it, never
    /// moves it).
    pub anchor_price: u64,
}

impl BreakerState {
    pub const ACTIVE: BreakerState = BreakerState {
        status: Status::Active,
        reason: HaltReason::None,
        gov_status: Status::Active,
        halted_since: 0,
        disagree_since: 0,
        last_violation: 0,
        move_since: 0,
        last_evidence: 0,
        reanchor_since: 0,
        anchor_price: 0,
    };

    /// A state in which governance has set `status`; automatic episodes
    /// in progress are ended (a governance decision supersedes them).
    pub fn governed(self, status: Status, now: i64) -> BreakerState {
        BreakerState {
            status,
            reason: if status == Status::Active {
                HaltReason::None
            } else {
                HaltReason::Governance
            },
            gov_status: status,
            halted_since: if status == Status::Halted { now } else { 0 },
            move_since: 0,
            reanchor_since: 0,
            anchor_price: 0,
            ..self
        }
    }

    fn governance_halted(&self) -> bool {
        self.gov_status == Status::Halted
            || (self.status == Status::Halted && self.reason == HaltReason::Governance)
    }

    /// The reason a feed at the governance status shows.
    fn governance_reason(&self) -> HaltReason {
        if self.gov_status == Status::Active {
            HaltReason::None
        } else {
            HaltReason::Governance
        }
    }

    /// No automatic episode is in progress.
    pub fn at_governance_status(&self) -> bool {
        self.status == self.gov_status && self.reason == self.governance_reason()
    }

    /// Back to the governance status, the automatic episode over.
    fn restore(&mut self) {
        self.status = self.gov_status;
        self.reason = self.governance_reason();
        self.halted_since = 0;
        self.move_since = 0;
        self.reanchor_since = 0;
        self.anchor_price = 0;
    }

    /// Restricted for `reason`, unless governance already set something stricter.
    fn restrict(&mut self, reason: HaltReason) -> bool {
        let changed = self.status != Status::Restricted || self.reason != reason;
        if self.gov_status == Status::Halted {
            return false;
        }
        self.status = Status::Restricted;
        self.reason = reason;
        self.halted_since = 0;
        changed
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerParams {
    pub cooldown_secs: u32,
    pub max_disagreement_secs: u32,
    /// A large move under full evidence is confirmed after this long.
    pub confirm_secs: u32,
    /// A large move under reduced evidence is published only after this long.
    pub reduced_confirm_secs: u32,
    /// Longest age of the last consensus served while quorum is lost to staleness.
    pub stale_grace_secs: u32,
    /// Agreeing sources a large move needs to count as evidence. Above the
    /// number of sources, no move is ever evidence (a halt-on-jump breaker).
    pub confirm_min_sources: u8,
    /// The band's floor. Once a large move is seen, it is judged against
    /// the floor until confirmed (a published crash raises the realized
    /// volatility, and with it the k-sigma band: the move must not widen
    /// its own way out of confirmation), and re-anchoring ends only when
    /// the TWAP is within the floor of the price.
    pub floor_bps: u32,
    /// Longest gap between two refreshes that carry a move's evidence (a
    /// source's staleness limit); a longer one restarts the confirmation.
    pub max_evidence_gap_secs: u32,
}

/// What one refresh saw, in the terms the breaker decides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observation {
    /// Fewer valid sources than the quorum.
    QuorumLost {
        /// Every source that is not valid failed only for staleness.
        stale_only: bool,
        /// Age of the last published price (None: never published).
        price_age_secs: Option<i64>,
    },
    /// Enough valid sources but too few agree.
    SpreadExceeded,
    /// A consensus exists.
    Consensus(ConsensusObs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsensusObs {
    /// The consensus price.
    pub price: u64,
    /// Distance of the consensus from the TWAP, bps (None while the TWAP is
    /// not valid).
    pub move_from_twap_bps: Option<u64>,
    /// Distance from the last published price, bps (None before the first).
    pub move_from_last_bps: Option<u64>,
    pub allowed_move_bps: u64,
    /// Sources that passed their own checks.
    pub valid: u8,
    /// Valid sources within the spread limit of the median.
    pub agreeing: u8,
    /// Sources the feed has.
    pub configured: u8,
}

impl ConsensusObs {
    pub fn majority_agrees(&self) -> bool {
        self.agreeing as u32 * 2 > self.valid as u32
    }

    pub fn all_agree(&self) -> bool {
        self.agreeing == self.valid
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    None,
    /// The feed halted for this reason.
    Tripped(HaltReason),
    /// The feed became Restricted (or changed why it is) for this reason.
    Restricted(HaltReason),
    /// A large move was confirmed; the feed re-anchors to it.
    Confirmed,
    /// The automatic episode ended; the feed is at the governance status.
    Resumed,
}

/// How this refresh's consensus enters the TWAP history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sample {
    None,
    /// Clamped around the reference, so one refresh cannot drag the average.
    Clamped,
    /// As is: the move is confirmed and the TWAP re-anchors to it.
    Unclamped,
}

/// What one refresh did to the breaker, and what the feed does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub transition: Transition,
    /// Publish this refresh's consensus.
    pub publish: bool,
    /// Part of the move beyond the allowed band that is not confirmed yet,
    /// bps: the published confidence is widened by it.
    pub unconfirmed_bps: u64,
    pub sample: Sample,
}

impl Step {
    fn quiet(transition: Transition, sample: Sample) -> Step {
        Step {
            transition,
            publish: false,
            unconfirmed_bps: 0,
            sample,
        }
    }
}

/// Largest move from the reference that is not a jump:
/// max(floor, min(cap, k * sigma over the horizon)), in bps of price.
pub fn allowed_move_bps(
    variance_per_sec_wad: u128,
    horizon_secs: u64,
    k_sigma_x100: u32,
    floor_bps: u32,
    cap_bps: u32,
) -> crate::MathResult<u64> {
    let sigma_bps = crate::volatility::sigma_bps_over(variance_per_sec_wad, horizon_secs)?;
    let k_sigma = sigma_bps
        .checked_mul(k_sigma_x100 as u64)
        .ok_or(crate::MathError::Overflow)?
        / 100;
    // Capped: after a real crash the realized volatility stays high for
    // hours, and the band must not grow with it to where a contradicted
    // majority could publish a crash of its own.
    Ok(k_sigma.min(cap_bps as u64).max(floor_bps as u64))
}

/// The price a refresh's move is judged against: the confirmed level while
/// re-anchoring, else the TWAP, else the last price (a young feed is still
/// guarded).
pub fn reference(state: &BreakerState, twap: Option<u64>, last: Option<u64>) -> Option<u64> {
    if state.reanchor_since != 0 && state.anchor_price != 0 {
        Some(state.anchor_price)
    } else {
        twap.or(last)
    }
}

/// The breaker's view of one refresh: the consensus outcome with the
/// moves from the TWAP and from the last published price.
pub struct Seen<'a> {
    pub outcome: &'a Result<Consensus, ConsensusError>,
    /// Every source that is not valid failed only for staleness.
    pub stale_only: bool,
    pub twap: Option<u64>,
    /// Last published price and its age (None before the first).
    pub last: Option<(u64, i64)>,
    pub allowed_move_bps: u64,
    pub configured: u8,
}

/// The observation a refresh hands to [`step`].
pub fn observe(seen: &Seen) -> crate::MathResult<Observation> {
    Ok(match seen.outcome {
        Err(ConsensusError::QuorumLost { .. }) => Observation::QuorumLost {
            stale_only: seen.stale_only,
            price_age_secs: seen.last.map(|(_, age)| age),
        },
        Err(ConsensusError::SpreadExceeded { .. }) => Observation::SpreadExceeded,
        Ok(c) => {
            let from = |r: u64| crate::price::deviation_bps(c.price, r, r);
            Observation::Consensus(ConsensusObs {
                price: c.price,
                move_from_twap_bps: seen.twap.map(from).transpose()?,
                move_from_last_bps: seen.last.map(|(p, _)| from(p)).transpose()?,
                allowed_move_bps: seen.allowed_move_bps,
                valid: c.valid_count,
                agreeing: c.agreeing_count,
                configured: seen.configured,
            })
        }
    })
}

/// The confidence published with a consensus: its own, widened by the
/// unconfirmed part of the move (bps of the price).
pub fn published_conf(c: &Consensus, unconfirmed_bps: u64) -> u64 {
    let extra = c.price as u128 * unconfirmed_bps as u128 / 10_000;
    c.conf
        .saturating_add(u64::try_from(extra).unwrap_or(u64::MAX))
}

/// The TWAP sample a refresh records (None: nothing).
pub fn sample_price(
    sample: Sample,
    price: u64,
    reference: Option<u64>,
    clamp_bps: u32,
) -> Option<u64> {
    match (sample, reference) {
        (Sample::None, _) => None,
        (Sample::Clamped, Some(r)) => Some(crate::price::clamp_to_band(price, r, clamp_bps)),
        (Sample::Clamped, None) | (Sample::Unclamped, _) => Some(price),
    }
}

/// Halt for `reason` (a no-op transition when already halted).
fn trip(state: &mut BreakerState, reason: HaltReason, now: i64) -> Step {
    state.last_violation = now;
    state.move_since = 0;
    state.reanchor_since = 0;
    state.anchor_price = 0;
    let transition = if state.status == Status::Halted {
        // A halt for staleness that now sees manipulation-shaped evidence
        // takes the stricter reason (and its cool-down).
        if state.reason == HaltReason::QuorumLost && reason != HaltReason::QuorumLost {
            state.reason = reason;
        }
        Transition::None
    } else {
        state.status = Status::Halted;
        state.reason = reason;
        state.halted_since = now;
        Transition::Tripped(reason)
    };
    Step {
        transition,
        publish: false,
        unconfirmed_bps: 0,
        sample: Sample::None,
    }
}

/// Advance the breaker with one refresh's observation.
pub fn step(state: &mut BreakerState, obs: Observation, now: i64, params: BreakerParams) -> Step {
    let c = match obs {
        Observation::QuorumLost {
            stale_only,
            price_age_secs,
        } => {
            let in_grace = stale_only
                && price_age_secs.is_some_and(|age| age <= params.stale_grace_secs as i64);
            // In the grace a move's confirmation pauses rather than
            // restarts (the evidence-gap rule still bounds it).
            if in_grace && state.status != Status::Halted {
                let t = if state.restrict(HaltReason::StaleGrace) {
                    Transition::Restricted(HaltReason::StaleGrace)
                } else {
                    Transition::None
                };
                return Step::quiet(t, Sample::None);
            }
            return trip(state, HaltReason::QuorumLost, now);
        }
        Observation::SpreadExceeded => return trip(state, HaltReason::Disagreement, now),
        Observation::Consensus(c) => c,
    };

    if c.majority_agrees() {
        state.disagree_since = 0;
    } else if state.disagree_since == 0 {
        state.disagree_since = now;
    }
    let reanchoring = state.reanchor_since != 0;
    let move_bps = if reanchoring && state.anchor_price != 0 {
        let a = state.anchor_price;
        Some(crate::price::deviation_bps(c.price, a, a).unwrap_or(u64::MAX))
    } else {
        c.move_from_twap_bps.or(c.move_from_last_bps)
    };
    let band = if state.move_since != 0 {
        c.allowed_move_bps.min(params.floor_bps as u64)
    } else {
        c.allowed_move_bps
    };
    let large = move_bps.is_some_and(|m| m > band);
    let evidence = c.all_agree() && c.agreeing >= params.confirm_min_sources.max(1);

    if state.governance_halted() {
        // Nothing automatic changes a governance halt; the TWAP still learns
        // from unanimous sources so that it is current when governance resumes.
        state.move_since = 0;
        let sample = if c.all_agree() {
            Sample::Clamped
        } else {
            Sample::None
        };
        return Step::quiet(Transition::None, sample);
    }

    if large && !evidence {
        return trip(state, HaltReason::PriceJump, now);
    }
    if !large
        && state.disagree_since != 0
        && now.saturating_sub(state.disagree_since) > params.max_disagreement_secs as i64
    {
        return trip(state, HaltReason::Disagreement, now);
    }

    if large {
        // Evidence of a real move, carried without a gap.
        let gap = now.saturating_sub(state.last_evidence);
        if state.move_since == 0 || gap > params.max_evidence_gap_secs as i64 {
            state.move_since = now;
        }
        state.last_evidence = now;
        let full = c.valid >= c.configured;
        let needed = if full {
            params.confirm_secs
        } else {
            params.reduced_confirm_secs
        };
        if now.saturating_sub(state.move_since) >= needed as i64 {
            state.move_since = 0;
            state.reanchor_since = now;
            state.anchor_price = c.price;
            state.restrict(HaltReason::Reanchoring);
            return Step {
                transition: Transition::Confirmed,
                publish: true,
                unconfirmed_bps: 0,
                sample: Sample::Unclamped,
            };
        }
        if state.status == Status::Halted {
            // A halted feed waits for the evidence to be carried for its
            // whole confirmation time before it publishes again; only full
            // evidence teaches the TWAP meanwhile (clamped).
            let sample = if full { Sample::Clamped } else { Sample::None };
            return Step::quiet(Transition::None, sample);
        }
        let t = if state.reason != HaltReason::UnconfirmedMove
            && state.restrict(HaltReason::UnconfirmedMove)
        {
            Transition::Restricted(HaltReason::UnconfirmedMove)
        } else {
            Transition::None
        };
        // Unconfirmed samples stay clamped (a move must be confirmed
        // before it may drag the TWAP); held back (reduced evidence), the
        // move teaches the TWAP nothing.
        return Step {
            transition: t,
            publish: full,
            unconfirmed_bps: move_bps.unwrap_or(0).saturating_sub(band),
            sample: if full { Sample::Clamped } else { Sample::None },
        };
    }

    // Within the band.
    state.move_since = 0;
    if state.status == Status::Halted {
        let cooled = now.saturating_sub(state.halted_since.max(state.last_violation))
            >= params.cooldown_secs as i64;
        let resumes = state.reason == HaltReason::QuorumLost || (c.all_agree() && cooled);
        if !resumes {
            let sample = if c.all_agree() {
                Sample::Clamped
            } else {
                Sample::None
            };
            return Step::quiet(Transition::None, sample);
        }
        state.restore();
        return Step {
            transition: Transition::Resumed,
            publish: true,
            unconfirmed_bps: 0,
            sample: Sample::Clamped,
        };
    }
    let floor = c.allowed_move_bps.min(params.floor_bps as u64);
    let caught_up = c.move_from_twap_bps.is_some_and(|m| m <= floor);
    let (transition, sample) = if reanchoring && !caught_up {
        // The confirmed level holds; keep teaching the TWAP, unclamped,
        // and let the level follow what every configured source says. A
        // refresh with a dissenter (or with sources missing) is published
        // within the band as in Active, but moves neither the level nor,
        // unclamped, the TWAP.
        let unanimous = c.all_agree() && c.valid >= c.configured;
        if unanimous {
            state.anchor_price = c.price;
        }
        let t =
            if state.reason != HaltReason::Reanchoring && state.restrict(HaltReason::Reanchoring) {
                Transition::Restricted(HaltReason::Reanchoring)
            } else {
                Transition::None
            };
        (
            t,
            if unanimous {
                Sample::Unclamped
            } else {
                Sample::Clamped
            },
        )
    } else if !state.at_governance_status() || reanchoring {
        let sample = if reanchoring {
            Sample::Unclamped
        } else {
            Sample::Clamped
        };
        state.restore();
        (Transition::Resumed, sample)
    } else {
        (Transition::None, Sample::Clamped)
    };
    Step {
        transition,
        publish: true,
        unconfirmed_bps: 0,
        sample,
    }
}

#[cfg(test)]
mod tests;
