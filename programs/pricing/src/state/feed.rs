use anchor_lang::prelude::*;
use risk_math::breaker::{BreakerState, HaltReason, Status};
use risk_math::twap::{self, CoverageRules, Observation, Twap, TwapError};

use super::FeedParams;
use crate::errors::PricingError;

pub const MAX_SOURCES: usize = risk_math::consensus::MAX_SOURCES;
/// TWAP history length. With 15 s spacing this covers 50 minutes; the
/// account must stay under the 10 KiB a program can allocate through CPI.
pub const OBSERVATION_CAPACITY: usize = 200;

/// Per-operation pause bits, checked by refresh and by readers' policies.
pub mod pause {
    pub const REFRESH: u32 = 1 << 0;
    pub const RISK_INCREASE: u32 = 1 << 1;
    pub const LIQUIDATION: u32 = 1 << 2;
    pub const SETTLEMENT: u32 = 1 << 3;
    pub const ALL: u32 = REFRESH | RISK_INCREASE | LIQUIDATION | SETTLEMENT;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, AnchorSerialize, AnchorDeserialize)]
#[repr(u8)]
pub enum SourceKind {
    PythLegacy = 0,
    PythReceiver = 1,
    SwitchboardV2 = 2,
    SwitchboardOnDemand = 3,
    Manual = 4,
}

impl SourceKind {
    pub fn from_u8(v: u8) -> Result<Self> {
        Ok(match v {
            0 => SourceKind::PythLegacy,
            1 => SourceKind::PythReceiver,
            2 => SourceKind::SwitchboardV2,
            3 => SourceKind::SwitchboardOnDemand,
            4 => SourceKind::Manual,
            _ => return err!(PricingError::UnknownSourceKind),
        })
    }
}

/// One pinned oracle account of a feed.
#[zero_copy]
#[derive(Debug, Default)]
pub struct SourceConfig {
    pub account: Pubkey,
    /// Owner program the account had when pinned; checked on every read.
    pub owner: Pubkey,
    /// Pyth price feed id for `PythReceiver` sources, zero otherwise.
    pub feed_id: [u8; 32],
    /// Last valid reading, in the feed's exponent.
    pub last_price: u64,
    pub last_conf: u64,
    pub last_publish_ts: i64,
    /// Anchor error code of the last refresh's reading, 0 when valid.
    pub last_error: u32,
    pub kind: u8,
    pub padding: [u8; 3],
}

/// A TWAP observation; the u128 running integral is split in two u64s so
/// the layout is identical on SBF and native (u128 alignment differs).
#[zero_copy]
#[derive(Debug, Default)]
pub struct ObservationSlot {
    pub ts: i64,
    pub price: u64,
    pub cumulative_lo: u64,
    pub cumulative_hi: u64,
}

impl From<&ObservationSlot> for Observation {
    fn from(s: &ObservationSlot) -> Self {
        Observation {
            ts: s.ts,
            price: s.price,
            cumulative: (s.cumulative_hi as u128) << 64 | s.cumulative_lo as u128,
        }
    }
}

impl From<Observation> for ObservationSlot {
    fn from(o: Observation) -> Self {
        ObservationSlot {
            ts: o.ts,
            price: o.price,
            cumulative_lo: o.cumulative as u64,
            cumulative_hi: (o.cumulative >> 64) as u64,
        }
    }
}

/// A market's price: sources, consensus, TWAP history, volatility,
/// congestion and circuit breaker. Written only by the pricing program;
/// other programs read it through [`crate::read::read_feed`].
#[account(zero_copy)]
#[derive(Debug)]
pub struct PriceFeed {
    pub protocol: Pubkey,
    pub name: [u8; 32],
    pub sources: [SourceConfig; MAX_SOURCES],
    pub observations: [ObservationSlot; OBSERVATION_CAPACITY],
    pub params: FeedParams,
    /// Every price of this feed is a mantissa times 10^expo.
    pub expo: i32,
    /// Last published consensus and its confidence.
    pub price: u64,
    pub conf: u64,
    /// When a price was last published (refresh without violation).
    pub price_ts: i64,
    pub last_refresh_ts: i64,
    pub last_refresh_slot: u64,
    /// EWMA of squared log returns per second, WAD.
    pub variance_per_sec: u64,
    pub vol_ref_price: u64,
    pub vol_ref_ts: i64,
    /// Smoothed observed slot time in microseconds (target 400_000).
    pub slot_time_us: u64,
    pub congestion_ref_slot: u64,
    pub congestion_ref_ts: i64,
    pub halted_since: i64,
    pub disagree_since: i64,
    pub last_violation_ts: i64,
    /// Since when every valid source has carried the current large move (0 = none).
    pub move_since: i64,
    /// The last refresh that carried that move's evidence.
    pub last_evidence_ts: i64,
    /// When the current re-anchoring to a confirmed move began (0 = none).
    pub reanchor_since: i64,
    /// The confirmed level while re-anchoring (0 otherwise).
    pub anchor_price: u64,
    pub pause_flags: u32,
    /// Ring buffer: index of the oldest observation, and how many are stored.
    pub obs_start: u16,
    pub obs_len: u16,
    pub num_sources: u8,
    /// Effective status: the stricter of governance's and the breaker's.
    pub status: u8,
    /// Why the status is what it is (`risk_math::breaker::HaltReason`).
    pub halt_reason: u8,
    pub bump: u8,
    pub valid_mask: u8,
    pub agreeing_mask: u8,
    pub outlier_mask: u8,
    /// The status governance set; every automatic episode ends at it.
    pub gov_status: u8,
    pub reserved: [u64; 12],
}

pub const TARGET_SLOT_TIME_US: u64 = 400_000;

impl PriceFeed {
    pub const SEED: &'static [u8] = b"feed";
    pub const SPACE: usize = 8 + core::mem::size_of::<PriceFeed>();

    pub fn source_kind(&self, index: usize) -> Result<SourceKind> {
        SourceKind::from_u8(self.sources[index].kind)
    }

    pub fn active_sources(&self) -> &[SourceConfig] {
        &self.sources[..self.num_sources as usize]
    }

    /// Observation `i`, oldest first.
    pub fn observation(&self, i: usize) -> Observation {
        let idx = (self.obs_start as usize + i) % OBSERVATION_CAPACITY;
        Observation::from(&self.observations[idx])
    }

    pub fn newest_observation(&self) -> Option<Observation> {
        (self.obs_len > 0).then(|| self.observation(self.obs_len as usize - 1))
    }

    /// Append a sample, overwriting the oldest when full.
    pub fn push_observation(&mut self, ts: i64, price: u64) -> Result<()> {
        let obs = match self.newest_observation() {
            Some(last) => last.next(ts, price).map_err(PricingError::from)?,
            None => Observation {
                ts,
                price,
                cumulative: 0,
            },
        };
        let len = self.obs_len as usize;
        if len < OBSERVATION_CAPACITY {
            let idx = (self.obs_start as usize + len) % OBSERVATION_CAPACITY;
            self.observations[idx] = obs.into();
            self.obs_len += 1;
        } else {
            self.observations[self.obs_start as usize] = obs.into();
            self.obs_start = ((self.obs_start as usize + 1) % OBSERVATION_CAPACITY) as u16;
        }
        Ok(())
    }

    /// Exact TWAP over `window_secs` ending at `now`, with the feed's coverage rules.
    pub fn twap(
        &self,
        now: i64,
        window_secs: u32,
    ) -> Result<core::result::Result<Twap, TwapError>> {
        let rules = CoverageRules {
            min_samples: self.params.twap_min_samples,
            max_gap_secs: self.params.twap_max_gap_secs,
        };
        twap::twap_over(
            self.obs_len as usize,
            |i| self.observation(i),
            now,
            window_secs,
            rules,
        )
        .map_err(|e| PricingError::from(e).into())
    }

    pub fn status(&self) -> Status {
        Status::from_u8(self.status).unwrap_or(Status::Halted)
    }

    pub fn breaker(&self) -> BreakerState {
        BreakerState {
            status: self.status(),
            reason: HaltReason::from_u8(self.halt_reason).unwrap_or(HaltReason::Governance),
            gov_status: Status::from_u8(self.gov_status).unwrap_or(Status::Halted),
            halted_since: self.halted_since,
            disagree_since: self.disagree_since,
            last_violation: self.last_violation_ts,
            move_since: self.move_since,
            last_evidence: self.last_evidence_ts,
            reanchor_since: self.reanchor_since,
            anchor_price: self.anchor_price,
        }
    }

    pub fn set_breaker(&mut self, b: BreakerState) {
        self.status = b.status as u8;
        self.halt_reason = b.reason as u8;
        self.halted_since = b.halted_since;
        self.disagree_since = b.disagree_since;
        self.last_violation_ts = b.last_violation;
        self.gov_status = b.gov_status as u8;
        self.move_since = b.move_since;
        self.last_evidence_ts = b.last_evidence;
        self.reanchor_since = b.reanchor_since;
        self.anchor_price = b.anchor_price;
    }

    /// Observed slot time relative to the 400 ms target, bps (10_000 = on target).
    pub fn congestion_bps(&self) -> u64 {
        self.slot_time_us.saturating_mul(10_000) / TARGET_SLOT_TIME_US
    }

    pub fn is_paused(&self, flag: u32) -> bool {
        self.pause_flags & flag != 0
    }
}

const _: () = assert!(
    PriceFeed::SPACE <= 10_240,
    "PriceFeed must be creatable through CPI"
);
