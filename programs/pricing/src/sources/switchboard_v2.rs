//! Switchboard V2 `AggregatorAccountData`, parsed from its documented
//! packed layout. switchboard-solana 0.30.4's own struct cannot be used:
//! it is `#[account(zero_copy(unsafe))] #[repr(packed)]`, which under
//! Anchor 0.30.1 is packed *without* `repr(C)`, so rustc reorders its
//! fields and it decodes real accounts as zeros (measured: `name` at
//! offset 2197, `latest_confirmed_round` at 1).
//!
//! Offsets after the 8-byte discriminator: name (32), metadata (128),
//! reserved (32), queue (32), oracle_request_batch_size (4),
//! min_oracle_results (4) at 228, ..., latest_confirmed_round at 333:
//! num_success u32, num_error u32, is_closed u8, round_open_slot u64 at +9,
//! round_open_timestamp i64 at +17, result {mantissa i128, scale u32} at
//! +25, std_deviation {mantissa i128, scale u32} at +45.

use anchor_lang::prelude::*;

use super::{le_bytes, RawQuote};
use crate::errors::PricingError;

pub const DISCRIMINATOR: [u8; 8] = [217, 230, 65, 101, 201, 162, 27, 125];
/// 8-byte discriminator plus the 3843-byte packed struct.
pub const ACCOUNT_LEN: usize = 8 + 3843;

const MIN_ORACLE_RESULTS: usize = 8 + 228;
const ROUND: usize = 8 + 333;
const NUM_SUCCESS: usize = ROUND;
const ROUND_OPEN_SLOT: usize = ROUND + 9;
const ROUND_OPEN_TIMESTAMP: usize = ROUND + 17;
const RESULT_MANTISSA: usize = ROUND + 25;
const RESULT_SCALE: usize = ROUND + 41;
const STD_DEV_MANTISSA: usize = ROUND + 45;
const STD_DEV_SCALE: usize = ROUND + 61;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfirmedRound {
    pub num_success: u32,
    pub min_oracle_results: u32,
    pub round_open_slot: u64,
    pub round_open_timestamp: i64,
    pub result_mantissa: i128,
    pub result_scale: u32,
    pub std_dev_mantissa: i128,
    pub std_dev_scale: u32,
}

pub fn decode(data: &[u8]) -> Result<ConfirmedRound> {
    require!(data.len() >= ACCOUNT_LEN, PricingError::SourceMalformed);
    require!(data[..8] == DISCRIMINATOR, PricingError::SourceMalformed);
    Ok(ConfirmedRound {
        num_success: u32::from_le_bytes(le_bytes(data, NUM_SUCCESS)?),
        min_oracle_results: u32::from_le_bytes(le_bytes(data, MIN_ORACLE_RESULTS)?),
        round_open_slot: u64::from_le_bytes(le_bytes(data, ROUND_OPEN_SLOT)?),
        round_open_timestamp: i64::from_le_bytes(le_bytes(data, ROUND_OPEN_TIMESTAMP)?),
        result_mantissa: i128::from_le_bytes(le_bytes(data, RESULT_MANTISSA)?),
        result_scale: u32::from_le_bytes(le_bytes(data, RESULT_SCALE)?),
        std_dev_mantissa: i128::from_le_bytes(le_bytes(data, STD_DEV_MANTISSA)?),
        std_dev_scale: u32::from_le_bytes(le_bytes(data, STD_DEV_SCALE)?),
    })
}

pub fn parse(data: &[u8]) -> Result<RawQuote> {
    let round = decode(data)?;
    require!(round.round_open_slot != 0, PricingError::SourceNoResult);
    require!(
        round.num_success >= round.min_oracle_results.max(1),
        PricingError::SourceInsufficientResponses
    );
    // Scales beyond 28 are not valid Switchboard decimals.
    require!(
        round.result_scale <= 28 && round.std_dev_scale <= 28,
        PricingError::SourceMalformed
    );
    Ok(RawQuote {
        price: round.result_mantissa,
        price_expo: -(round.result_scale as i32),
        conf: round.std_dev_mantissa.unsigned_abs(),
        conf_expo: -(round.std_dev_scale as i32),
        publish_ts: round.round_open_timestamp,
        slot: round.round_open_slot,
    })
}
