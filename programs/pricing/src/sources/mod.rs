//! Reading one pinned oracle account into a normalized quote.
//!
//! Each kind's parser turns raw account bytes into a [`RawQuote`] and
//! enforces what only that kind knows (Pyth trading status, Wormhole
//! verification, Switchboard response counts). [`validate`] then applies
//! the checks every source shares: timestamp, staleness in seconds and
//! slots, positive price, confidence, and the feed's exponent.

pub mod manual;
pub mod pyth_legacy;
pub mod pyth_receiver;
pub mod switchboard_on_demand;
pub mod switchboard_v2;

use anchor_lang::prelude::*;
use risk_math::price::{exceeds_bps, rescale};
use risk_math::Rounding;

use crate::errors::PricingError;
use crate::state::{FeedParams, SourceConfig, SourceKind};

/// Oracle program ids accepted for each kind (mainnet first, then devnet).
pub mod owners {
    use anchor_lang::prelude::*;
    pub const PYTH_LEGACY: [Pubkey; 2] = [
        pubkey!("FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH"),
        pubkey!("gSbePebfvPy7tRqimPoVecS2UsBvYv46ynrzWocc92s"),
    ];
    pub const PYTH_RECEIVER: [Pubkey; 1] = [pubkey!("rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ")];
    pub const SWITCHBOARD_V2: [Pubkey; 2] = [
        pubkey!("SW1TCH7qEPTdLsDHRgPuMQjbQxKdH2aBStViMFnt64f"),
        pubkey!("2TfB33aLaneQb5TNVwyDz3jSZXS6jdW2ARw1Dgf84XCG"),
    ];
    pub const SWITCHBOARD_ON_DEMAND: [Pubkey; 2] = [
        pubkey!("SBondMDrcV3K4kxZR1HNVT7osZxAHVHgYXL5Ze1oMUv"),
        pubkey!("Aio4gaXjXzJNVLtzwtNVmSqGKpANtXhybbkhtAC94ji2"),
    ];
}

pub fn accepted_owner(kind: SourceKind, owner: &Pubkey) -> bool {
    match kind {
        SourceKind::PythLegacy => owners::PYTH_LEGACY.contains(owner),
        SourceKind::PythReceiver => owners::PYTH_RECEIVER.contains(owner),
        SourceKind::SwitchboardV2 => owners::SWITCHBOARD_V2.contains(owner),
        SourceKind::SwitchboardOnDemand => owners::SWITCHBOARD_ON_DEMAND.contains(owner),
        SourceKind::Manual => owner == &crate::ID,
    }
}

/// A reading as the oracle states it: value = mantissa * 10^expo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawQuote {
    pub price: i128,
    pub price_expo: i32,
    pub conf: u128,
    pub conf_expo: i32,
    pub publish_ts: i64,
    pub slot: u64,
}

/// A reading that passed every check, in the feed's exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    pub price: u64,
    pub conf: u64,
    pub publish_ts: i64,
}

/// Parse `data` as a source of `kind`. `pinned` carries what governance
/// pinned (feed id, feed key for manual prices).
pub fn parse(
    kind: SourceKind,
    data: &[u8],
    pinned: &SourceConfig,
    feed: &Pubkey,
) -> Result<RawQuote> {
    match kind {
        SourceKind::PythLegacy => pyth_legacy::parse(data),
        SourceKind::PythReceiver => pyth_receiver::parse(data, &pinned.feed_id),
        SourceKind::SwitchboardV2 => switchboard_v2::parse(data),
        SourceKind::SwitchboardOnDemand => switchboard_on_demand::parse(data),
        SourceKind::Manual => manual::parse(data, feed),
    }
}

/// The checks every source kind shares.
pub fn validate(
    raw: &RawQuote,
    clock: &Clock,
    params: &FeedParams,
    feed_expo: i32,
) -> Result<Quote> {
    // A zero or negative time is "never published", not "published at 1970".
    require!(raw.publish_ts > 0, PricingError::SourceStale);
    let age_secs = clock.unix_timestamp.saturating_sub(raw.publish_ts);
    require!(
        age_secs <= params.max_staleness_secs as i64,
        PricingError::SourceStale
    );
    let age_slots = clock.slot.saturating_sub(raw.slot);
    require!(
        age_slots <= params.max_staleness_slots as u64,
        PricingError::SourceStale
    );
    require!(raw.price > 0, PricingError::SourceNonPositive);

    let price = rescale(raw.price as u128, raw.price_expo, feed_expo, Rounding::Down)
        .map_err(|_| PricingError::SourcePriceOutOfRange)?;
    require!(price > 0, PricingError::SourcePriceOutOfRange);
    // Confidence rounds up: uncertainty is never understated.
    let conf = rescale(raw.conf, raw.conf_expo, feed_expo, Rounding::Up)
        .map_err(|_| PricingError::SourceConfidenceTooWide)?;
    require!(
        !exceeds_bps(conf, price, params.max_conf_bps),
        PricingError::SourceConfidenceTooWide
    );
    Ok(Quote {
        price,
        conf,
        publish_ts: raw.publish_ts,
    })
}

/// Read and validate a pinned source from `account`, which must be the
/// pinned account with the pinned owner.
pub fn read_pinned(
    pinned: &SourceConfig,
    account: &AccountInfo,
    feed: &Pubkey,
    clock: &Clock,
    params: &FeedParams,
    feed_expo: i32,
) -> Result<Quote> {
    require_keys_eq!(account.key(), pinned.account, PricingError::SourceNotPinned);
    require_keys_eq!(*account.owner, pinned.owner, PricingError::SourceWrongOwner);
    let kind = SourceKind::from_u8(pinned.kind)?;
    let data = account.try_borrow_data()?;
    let raw = parse(kind, &data, pinned, feed)?;
    validate(&raw, clock, params, feed_expo)
}

/// Errors that say the wrong account was passed or pinned: they fail the
/// whole refresh. Every other source error only excludes that source.
pub fn is_identity_error(code: u32) -> bool {
    [
        PricingError::SourceNotPinned,
        PricingError::SourceWrongOwner,
        PricingError::SourceFeedIdMismatch,
        PricingError::ManualFeedMismatch,
    ]
    .into_iter()
    .any(|e| u32::from(e) == code)
}

/// The numeric code of an error, as stored per source and shown in events.
pub fn error_code(e: &Error) -> u32 {
    match e {
        Error::AnchorError(a) => a.error_code_number,
        Error::ProgramError(p) => u64::from(p.program_error.clone()) as u32,
    }
}

/// Read a little-endian integer at `offset`, or fail as malformed.
pub(crate) fn le_bytes<const N: usize>(data: &[u8], offset: usize) -> Result<[u8; N]> {
    data.get(offset..offset + N)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| error!(PricingError::SourceMalformed))
}
