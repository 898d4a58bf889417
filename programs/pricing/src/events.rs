use anchor_lang::prelude::*;

#[event]
pub struct FeedRefreshed {
    pub feed: Pubkey,
    /// Published price (feed exponent); unchanged when this refresh violated the breaker.
    pub price: u64,
    pub conf: u64,
    pub expo: i32,
    /// Consensus computed by this refresh, published or not (0 when none).
    pub candidate_price: u64,
    pub twap: u64,
    pub twap_valid: bool,
    pub vol_annual_bps: u64,
    pub congestion_bps: u64,
    pub status: u8,
    pub valid_mask: u8,
    pub agreeing_mask: u8,
    pub outlier_mask: u8,
    /// Used sources that are governance-written Manual prices, flagged so
    /// nobody mistakes a demo or test price for a market price.
    pub manual_mask: u8,
    /// Anchor error code per source position, 0 where the source was valid.
    pub source_errors: [u32; 8],
    pub unix_ts: i64,
    pub slot: u64,
}

#[event]
pub struct BreakerTripped {
    pub feed: Pubkey,
    pub reason: u8,
    pub candidate_price: u64,
    pub reference_price: u64,
    pub move_bps: u64,
    pub allowed_move_bps: u64,
    pub valid_sources: u8,
    pub agreeing_sources: u8,
    pub unix_ts: i64,
}

/// The feed became Restricted (no new risk; liquidations, repay and
/// settlement run), or changed why it is.
#[event]
pub struct FeedRestricted {
    pub feed: Pubkey,
    /// `risk_math::breaker::HaltReason`: StaleGrace, UnconfirmedMove or Reanchoring.
    pub reason: u8,
    pub candidate_price: u64,
    pub reference_price: u64,
    pub move_bps: u64,
    pub allowed_move_bps: u64,
    pub valid_sources: u8,
    pub agreeing_sources: u8,
    /// The candidate was published (full evidence) or held back.
    pub published: bool,
    pub unix_ts: i64,
}

/// A large move carried by every valid source for its confirmation time:
/// the breaker's reference re-anchors to it.
#[event]
pub struct MoveConfirmed {
    pub feed: Pubkey,
    pub price: u64,
    pub reference_price: u64,
    pub move_bps: u64,
    pub valid_sources: u8,
    pub unix_ts: i64,
}

#[event]
pub struct BreakerResumed {
    pub feed: Pubkey,
    pub halted_secs: i64,
    pub by_governance: bool,
    pub price: u64,
    pub unix_ts: i64,
}

#[event]
pub struct FeedStatusSet {
    pub feed: Pubkey,
    pub status: u8,
    pub authority: Pubkey,
    pub unix_ts: i64,
}

#[event]
pub struct FeedConfigChanged {
    pub feed: Pubkey,
    pub what: String,
    pub authority: Pubkey,
}

#[event]
pub struct ManualPricePushed {
    pub feed: Pubkey,
    pub manual_account: Pubkey,
    pub price: i64,
    pub conf: u64,
    pub expo: i32,
    pub unix_ts: i64,
    pub flagged_manual: bool,
}

#[event]
pub struct SourceChecked {
    pub feed: Pubkey,
    pub index: u8,
    pub price: u64,
    pub conf: u64,
    pub publish_ts: i64,
}
