use anchor_lang::prelude::borsh;
use anchor_lang::prelude::*;

use crate::errors::PricingError;

/// Tunable feed parameters. Governance may set them only inside the
/// hard-coded [`BOUNDS`]: a captured governance key can make a feed
/// stricter or looser, but never unsafe.
///
/// Stored zero-copy and also passed as an instruction argument: it is
/// `repr(C)` integers with no padding, so its Borsh and bytemuck encodings
/// are byte-identical. Borsh is derived directly because `#[zero_copy]`
/// already provides the IDL definition.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct FeedParams {
    /// A source older than this many seconds is stale.
    pub max_staleness_secs: u32,
    /// A source older than this many slots is stale.
    pub max_staleness_slots: u32,
    /// A source whose confidence exceeds this share of its price is rejected.
    pub max_conf_bps: u32,
    /// A source farther than this from the median is an outlier.
    pub max_spread_bps: u32,
    /// Reference TWAP window (breaker, clamp and the default read).
    pub twap_window_secs: u32,
    /// Longest gap between TWAP samples inside a window.
    pub twap_max_gap_secs: u32,
    /// TWAP samples are at least this far apart.
    pub min_sample_spacing_secs: u32,
    /// TWAP samples are clamped to this band around the current TWAP.
    pub twap_clamp_bps: u32,
    /// Breaker: allowed move from the TWAP in hundredths of sigma.
    pub breaker_k_sigma_x100: u32,
    /// Breaker: allowed move never goes below this.
    pub breaker_floor_bps: u32,
    /// Breaker: allowed move never goes above this, however volatile the
    /// market has been (a crash must not widen the band for hours).
    pub breaker_cap_bps: u32,
    /// Calm time required before an automatic resume.
    pub cooldown_secs: u32,
    /// Longest stretch without majority agreement before a halt.
    pub max_disagreement_secs: u32,
    pub vol_half_life_secs: u32,
    pub congestion_half_life_secs: u32,
    /// A large move every source carries is confirmed (and the feed
    /// re-anchors to it) after this long; it is published at once.
    pub confirm_secs: u32,
    /// With some sources stale, a large move the others carry is published
    /// only once they have carried it this long.
    pub reduced_confirm_secs: u32,
    /// Quorum lost to stale sources: the last consensus is served,
    /// Restricted, up to this age; then the feed halts.
    pub stale_grace_secs: u32,
    /// Samples required inside a TWAP window.
    pub twap_min_samples: u16,
    /// Valid, agreeing sources required to publish.
    pub min_quorum: u8,
    /// Agreeing sources (never fewer than `min_quorum`) a large move needs
    /// to be evidence of a real move; above the source count every large
    /// move halts.
    pub confirm_min_sources: u8,
}

/// Inclusive [min, max] for one parameter.
pub struct Bound {
    pub name: &'static str,
    pub min: u32,
    pub max: u32,
    get: fn(&FeedParams) -> u32,
}

const DAY: u32 = 86_400;

pub const BOUNDS: &[Bound] = &[
    Bound {
        name: "max_staleness_secs",
        min: 1,
        max: 3_600,
        get: |p| p.max_staleness_secs,
    },
    Bound {
        name: "max_staleness_slots",
        min: 1,
        max: 9_000,
        get: |p| p.max_staleness_slots,
    },
    Bound {
        name: "max_conf_bps",
        min: 1,
        max: 2_000,
        get: |p| p.max_conf_bps,
    },
    Bound {
        name: "max_spread_bps",
        min: 1,
        max: 2_500,
        get: |p| p.max_spread_bps,
    },
    Bound {
        name: "twap_window_secs",
        min: 60,
        max: DAY,
        get: |p| p.twap_window_secs,
    },
    Bound {
        name: "twap_max_gap_secs",
        min: 1,
        max: DAY,
        get: |p| p.twap_max_gap_secs,
    },
    Bound {
        name: "min_sample_spacing_secs",
        min: 1,
        max: 3_600,
        get: |p| p.min_sample_spacing_secs,
    },
    Bound {
        name: "twap_clamp_bps",
        min: 10,
        max: 5_000,
        get: |p| p.twap_clamp_bps,
    },
    Bound {
        name: "breaker_k_sigma_x100",
        min: 100,
        max: 2_000,
        get: |p| p.breaker_k_sigma_x100,
    },
    Bound {
        name: "breaker_floor_bps",
        min: 10,
        max: 5_000,
        get: |p| p.breaker_floor_bps,
    },
    Bound {
        name: "breaker_cap_bps",
        min: 10,
        max: 5_000,
        get: |p| p.breaker_cap_bps,
    },
    Bound {
        name: "cooldown_secs",
        min: 60,
        max: 7 * DAY,
        get: |p| p.cooldown_secs,
    },
    Bound {
        name: "max_disagreement_secs",
        min: 60,
        max: 7 * DAY,
        get: |p| p.max_disagreement_secs,
    },
    Bound {
        name: "vol_half_life_secs",
        min: 60,
        max: 30 * DAY,
        get: |p| p.vol_half_life_secs,
    },
    Bound {
        name: "congestion_half_life_secs",
        min: 10,
        max: DAY,
        get: |p| p.congestion_half_life_secs,
    },
    Bound {
        name: "confirm_secs",
        min: 10,
        max: 3_600,
        get: |p| p.confirm_secs,
    },
    Bound {
        name: "reduced_confirm_secs",
        min: 1,
        max: DAY,
        get: |p| p.reduced_confirm_secs,
    },
    Bound {
        name: "stale_grace_secs",
        min: 0,
        max: 3_600,
        get: |p| p.stale_grace_secs,
    },
    Bound {
        name: "twap_min_samples",
        min: 1,
        max: crate::state::OBSERVATION_CAPACITY as u32,
        get: |p| p.twap_min_samples as u32,
    },
    Bound {
        name: "min_quorum",
        min: 1,
        max: crate::state::MAX_SOURCES as u32,
        get: |p| p.min_quorum as u32,
    },
    Bound {
        name: "confirm_min_sources",
        min: 1,
        max: crate::state::MAX_SOURCES as u32,
        get: |p| p.confirm_min_sources as u32,
    },
];

/// Initial annualised volatility a new feed assumes, bps.
pub const INITIAL_VOL_BOUNDS_BPS: (u32, u32) = (100, 50_000);

impl FeedParams {
    /// Reject any parameter outside its bound, naming it in the log.
    pub fn validate(&self) -> Result<()> {
        for b in BOUNDS {
            let v = (b.get)(self);
            if v < b.min || v > b.max {
                msg!("{} = {} is outside [{}, {}]", b.name, v, b.min, b.max);
                return err!(PricingError::ParamOutOfBounds);
            }
        }
        // A window must be able to hold the samples it asks for.
        let needed = (self.twap_min_samples as u64) * (self.min_sample_spacing_secs as u64);
        if needed > self.twap_window_secs as u64 {
            msg!("twap_min_samples * min_sample_spacing_secs exceeds twap_window_secs");
            return err!(PricingError::ParamOutOfBounds);
        }
        // Evidence of a real move is never weaker than a consensus.
        if self.confirm_min_sources < self.min_quorum {
            msg!("confirm_min_sources is below min_quorum");
            return err!(PricingError::ParamOutOfBounds);
        }
        if self.breaker_cap_bps < self.breaker_floor_bps {
            msg!("breaker_cap_bps is below breaker_floor_bps");
            return err!(PricingError::ParamOutOfBounds);
        }
        // Reduced evidence never confirms faster than full evidence.
        if self.reduced_confirm_secs < self.confirm_secs {
            msg!("reduced_confirm_secs is below confirm_secs");
            return err!(PricingError::ParamOutOfBounds);
        }
        Ok(())
    }

    /// The breaker's share of these parameters.
    pub fn breaker(&self) -> risk_math::breaker::BreakerParams {
        risk_math::breaker::BreakerParams {
            cooldown_secs: self.cooldown_secs,
            max_disagreement_secs: self.max_disagreement_secs,
            confirm_secs: self.confirm_secs,
            reduced_confirm_secs: self.reduced_confirm_secs,
            stale_grace_secs: self.stale_grace_secs,
            confirm_min_sources: self.confirm_min_sources,
            floor_bps: self.breaker_floor_bps,
            max_evidence_gap_secs: self.max_staleness_secs,
        }
    }

    /// A sensible starting point for a liquid crypto market refreshed every few seconds.
    pub fn default_crypto() -> Self {
        FeedParams {
            max_staleness_secs: 60,
            max_staleness_slots: 150,
            max_conf_bps: 200,
            max_spread_bps: 100,
            twap_window_secs: 1_800,
            twap_max_gap_secs: 600,
            min_sample_spacing_secs: 15,
            twap_clamp_bps: 200,
            breaker_k_sigma_x100: 600,
            breaker_floor_bps: 300,
            breaker_cap_bps: 1_000,
            cooldown_secs: 900,
            max_disagreement_secs: 1_800,
            vol_half_life_secs: 6 * 3_600,
            congestion_half_life_secs: 300,
            confirm_secs: 60,
            reduced_confirm_secs: 900,
            stale_grace_secs: 600,
            twap_min_samples: 5,
            min_quorum: 2,
            confirm_min_sources: 2,
        }
    }
}
