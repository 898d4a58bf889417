//! Switchboard On-Demand `PullFeedAccountData`, parsed from its documented
//! zero-copy layout (the on-demand crate does not build beside
//! switchboard-solana 0.30). Offsets after the 8-byte discriminator:
//! 32 submissions x 64 bytes, then authority, queue, feed_hash (32 each),
//! initialized_at, permissions, max_variance (8 each), min_responses (4),
//! name (32), padding (2), historical_result_idx (1), min_sample_size (1),
//! last_update_timestamp (8) at 2208, lut_slot (8), reserved (32), then
//! `CurrentResult` at 2256: value, std_dev, mean, range, min, max (i128,
//! 18 decimals), num_samples (u8) at +96, submission_idx, padding (6),
//! slot at +104, min_slot, max_slot.

use anchor_lang::prelude::*;

use super::{le_bytes, RawQuote};
use crate::errors::PricingError;

pub const DISCRIMINATOR: [u8; 8] = [196, 27, 108, 196, 10, 215, 219, 40];
pub const ACCOUNT_LEN: usize = 8 + 3200;
/// Switchboard on-demand values carry 18 decimals.
pub const PRECISION_EXPO: i32 = -18;

const MIN_SAMPLE_SIZE: usize = 8 + 2207;
const LAST_UPDATE_TIMESTAMP: usize = 8 + 2208;
const RESULT: usize = 8 + 2256;
const RESULT_VALUE: usize = RESULT;
const RESULT_STD_DEV: usize = RESULT + 16;
const RESULT_NUM_SAMPLES: usize = RESULT + 96;
const RESULT_SLOT: usize = RESULT + 104;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PullFeedResult {
    pub value: i128,
    pub std_dev: i128,
    pub num_samples: u8,
    pub min_sample_size: u8,
    pub slot: u64,
    pub last_update_timestamp: i64,
}

pub fn decode(data: &[u8]) -> Result<PullFeedResult> {
    require!(data.len() >= ACCOUNT_LEN, PricingError::SourceMalformed);
    require!(data[..8] == DISCRIMINATOR, PricingError::SourceMalformed);
    Ok(PullFeedResult {
        value: i128::from_le_bytes(le_bytes(data, RESULT_VALUE)?),
        std_dev: i128::from_le_bytes(le_bytes(data, RESULT_STD_DEV)?),
        num_samples: data[RESULT_NUM_SAMPLES],
        min_sample_size: data[MIN_SAMPLE_SIZE],
        slot: u64::from_le_bytes(le_bytes(data, RESULT_SLOT)?),
        last_update_timestamp: i64::from_le_bytes(le_bytes(data, LAST_UPDATE_TIMESTAMP)?),
    })
}

pub fn parse(data: &[u8]) -> Result<RawQuote> {
    let r = decode(data)?;
    // An empty result is "no value", never a price of zero.
    require!(
        r.slot != 0 && r.num_samples > 0,
        PricingError::SourceNoResult
    );
    require!(
        r.num_samples >= r.min_sample_size,
        PricingError::SourceInsufficientResponses
    );
    Ok(RawQuote {
        price: r.value,
        price_expo: PRECISION_EXPO,
        conf: r.std_dev.unsigned_abs(),
        conf_expo: PRECISION_EXPO,
        publish_ts: r.last_update_timestamp,
        slot: r.slot,
    })
}
