//! Circuit breaker state machine for a price feed.
//!
//! Trips to Halted when the new consensus jumps more than the allowed move
//! from the TWAP, when quorum is lost, or when the sources have lacked a
//! majority agreement for too long. Resumes automatically only after a
//! cool-down with every valid source back in agreement; a governance halt
//! never resumes by itself.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    Active = 0,
    /// Only risk-reducing actions are allowed (set by governance).
    ReduceOnly = 1,
    Halted = 2,
}

impl Status {
    pub fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Status::Active),
            1 => Some(Status::ReduceOnly),
            2 => Some(Status::Halted),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum HaltReason {
    None = 0,
    /// Consensus moved more than k sigma (or the floor) away from the TWAP.
    PriceJump = 1,
    /// Fewer valid sources than the quorum.
    QuorumLost = 2,
    /// Valid sources disagree: too few within the spread limit, or no
    /// majority for longer than allowed.
    Disagreement = 3,
    Governance = 4,
}

impl HaltReason {
    pub fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(HaltReason::None),
            1 => Some(HaltReason::PriceJump),
            2 => Some(HaltReason::QuorumLost),
            3 => Some(HaltReason::Disagreement),
            4 => Some(HaltReason::Governance),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerState {
    pub status: Status,
    pub reason: HaltReason,
    /// When the current halt began (0 when not halted).
    pub halted_since: i64,
    /// Start of the current stretch without majority agreement (0 = none).
    pub disagree_since: i64,
    /// Last refresh that showed a violation (0 = never).
    pub last_violation: i64,
}

impl BreakerState {
    pub const ACTIVE: BreakerState = BreakerState {
        status: Status::Active,
        reason: HaltReason::None,
        halted_since: 0,
        disagree_since: 0,
        last_violation: 0,
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerParams {
    pub cooldown_secs: u32,
    pub max_disagreement_secs: u32,
}

/// What one refresh observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observation {
    /// Fewer valid sources than the quorum.
    QuorumLost,
    /// Enough valid sources but too few agree.
    SpreadExceeded,
    /// A consensus exists.
    Consensus {
        /// Distance of the consensus from the reference TWAP, bps (None when
        /// the TWAP is not valid yet, so no jump can be judged).
        move_bps: Option<u64>,
        allowed_move_bps: u64,
        majority_agrees: bool,
        all_agree: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    None,
    Tripped(HaltReason),
    Resumed,
}

/// The violation this observation shows, if any, updating the
/// disagreement timer.
fn violation(
    state: &mut BreakerState,
    obs: Observation,
    now: i64,
    params: BreakerParams,
) -> Option<HaltReason> {
    match obs {
        Observation::QuorumLost => Some(HaltReason::QuorumLost),
        Observation::SpreadExceeded => Some(HaltReason::Disagreement),
        Observation::Consensus {
            move_bps,
            allowed_move_bps,
            majority_agrees,
            ..
        } => {
            if majority_agrees {
                state.disagree_since = 0;
            } else if state.disagree_since == 0 {
                state.disagree_since = now;
            }
            if move_bps.is_some_and(|m| m > allowed_move_bps) {
                Some(HaltReason::PriceJump)
            } else if state.disagree_since != 0
                && now.saturating_sub(state.disagree_since) > params.max_disagreement_secs as i64
            {
                Some(HaltReason::Disagreement)
            } else {
                None
            }
        }
    }
}

/// Largest move from the reference TWAP that is not a jump:
/// max(floor, k * sigma over the horizon), in bps of price.
pub fn allowed_move_bps(
    variance_per_sec_wad: u128,
    horizon_secs: u64,
    k_sigma_x100: u32,
    floor_bps: u32,
) -> crate::MathResult<u64> {
    let sigma_bps = crate::volatility::sigma_bps_over(variance_per_sec_wad, horizon_secs)?;
    let k_sigma = sigma_bps
        .checked_mul(k_sigma_x100 as u64)
        .ok_or(crate::MathError::Overflow)?
        / 100;
    Ok(k_sigma.max(floor_bps as u64))
}

/// What one refresh did to the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub transition: Transition,
    /// The violation this refresh showed, even when already halted: a
    /// refresh with a violation must not publish its price.
    pub violation: Option<HaltReason>,
}

/// Advance the breaker with one refresh's observation.
pub fn step(state: &mut BreakerState, obs: Observation, now: i64, params: BreakerParams) -> Step {
    if let Some(reason) = violation(state, obs, now, params) {
        state.last_violation = now;
        if state.status == Status::Halted {
            return Step {
                transition: Transition::None,
                violation: Some(reason),
            };
        }
        state.status = Status::Halted;
        state.reason = reason;
        state.halted_since = now;
        return Step {
            transition: Transition::Tripped(reason),
            violation: Some(reason),
        };
    }
    let all_agree = matches!(
        obs,
        Observation::Consensus {
            all_agree: true,
            ..
        }
    );
    let cooled = now.saturating_sub(state.halted_since.max(state.last_violation))
        >= params.cooldown_secs as i64;
    let transition = if state.status == Status::Halted
        && state.reason != HaltReason::Governance
        && all_agree
        && cooled
    {
        *state = BreakerState {
            last_violation: state.last_violation,
            ..BreakerState::ACTIVE
        };
        Transition::Resumed
    } else {
        Transition::None
    };
    Step {
        transition,
        violation: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: BreakerParams = BreakerParams {
        cooldown_secs: 300,
        max_disagreement_secs: 600,
    };

    fn calm(move_bps: u64) -> Observation {
        Observation::Consensus {
            move_bps: Some(move_bps),
            allowed_move_bps: 500,
            majority_agrees: true,
            all_agree: true,
        }
    }

    #[test]
    fn jump_trips_and_resumes_after_cooldown() {
        let mut s = BreakerState::ACTIVE;
        assert_eq!(
            step(&mut s, calm(100), 1_000, P).transition,
            Transition::None
        );
        assert_eq!(
            step(&mut s, calm(900), 1_010, P).transition,
            Transition::Tripped(HaltReason::PriceJump)
        );
        assert_eq!(
            step(&mut s, calm(100), 1_200, P).transition,
            Transition::None
        ); // cooling
        assert_eq!(
            step(&mut s, calm(100), 1_310, P).transition,
            Transition::Resumed
        );
        assert_eq!(s.status, Status::Active);
    }

    #[test]
    fn no_resume_while_a_source_dissents() {
        let mut s = BreakerState::ACTIVE;
        assert_eq!(
            step(&mut s, Observation::QuorumLost, 7, P).violation,
            Some(HaltReason::QuorumLost)
        );
        let dissent = Observation::Consensus {
            move_bps: Some(0),
            allowed_move_bps: 500,
            majority_agrees: true,
            all_agree: false,
        };
        assert_eq!(
            step(&mut s, dissent, 10_000, P).transition,
            Transition::None
        );
        assert_eq!(s.status, Status::Halted);
        assert_eq!(s.reason, HaltReason::QuorumLost);
    }

    #[test]
    fn long_disagreement_trips() {
        let mut s = BreakerState::ACTIVE;
        let split = Observation::Consensus {
            move_bps: None,
            allowed_move_bps: 500,
            majority_agrees: false,
            all_agree: false,
        };
        // Chain timestamps are never 0, which marks "no disagreement".
        assert_eq!(step(&mut s, split, 5_000, P).transition, Transition::None);
        assert_eq!(step(&mut s, split, 5_600, P).transition, Transition::None);
        assert_eq!(
            step(&mut s, split, 5_601, P).transition,
            Transition::Tripped(HaltReason::Disagreement)
        );
    }

    #[test]
    fn allowed_move_scales_with_vol() {
        let calm = crate::volatility::variance_from_annual_bps(2_000); // 20%
        let wild = crate::volatility::variance_from_annual_bps(20_000); // 200%
                                                                        // 6 sigma over 30 min: floor binds for calm, vol binds for wild.
        assert_eq!(allowed_move_bps(calm, 1_800, 600, 300).unwrap(), 300);
        let w = allowed_move_bps(wild, 1_800, 600, 300).unwrap();
        // 2 * sqrt(1800 / 31_536_000) = 151 bps per sigma.
        assert!((900..=910).contains(&w), "{w}");
    }

    #[test]
    fn governance_halt_never_auto_resumes() {
        let mut s = BreakerState {
            status: Status::Halted,
            reason: HaltReason::Governance,
            halted_since: 1,
            ..BreakerState::ACTIVE
        };
        assert_eq!(
            step(&mut s, calm(0), 1_000_000, P).transition,
            Transition::None
        );
        assert_eq!(s.status, Status::Halted);
    }
}
