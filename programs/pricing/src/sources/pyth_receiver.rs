//! Pyth pull oracle `PriceUpdateV2` account (pyth-solana-receiver), parsed
//! from its documented Borsh layout because the receiver SDK needs Solana 2.x:
//!
//! | bytes | field |
//! |---|---|
//! | 8 | Anchor discriminator |
//! | 32 | write_authority |
//! | 1 (+1) | verification_level: 0 = Partial { num_signatures: u8 }, 1 = Full |
//! | 32 | feed_id |
//! | 8, 8, 4 | price i64, conf u64, exponent i32 |
//! | 8, 8 | publish_time i64, prev_publish_time i64 |
//! | 8, 8 | ema_price i64, ema_conf u64 |
//! | 8 | posted_slot u64 |

use anchor_lang::prelude::*;

use super::{le_bytes, RawQuote};
use crate::errors::PricingError;

pub const DISCRIMINATOR: [u8; 8] = [34, 241, 35, 99, 157, 126, 244, 205];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Partial { num_signatures: u8 },
    Full,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceUpdateV2 {
    pub verification: Verification,
    pub feed_id: [u8; 32],
    pub price: i64,
    pub conf: u64,
    pub exponent: i32,
    pub publish_time: i64,
    pub ema_price: i64,
    pub posted_slot: u64,
}

pub fn decode(data: &[u8]) -> Result<PriceUpdateV2> {
    require!(
        data.get(..8) == Some(&DISCRIMINATOR[..]),
        PricingError::SourceMalformed
    );
    let mut at = 8 + 32;
    let verification = match data.get(at) {
        Some(0) => {
            let n = *data.get(at + 1).ok_or(PricingError::SourceMalformed)?;
            at += 2;
            Verification::Partial { num_signatures: n }
        }
        Some(1) => {
            at += 1;
            Verification::Full
        }
        _ => return err!(PricingError::SourceMalformed),
    };
    let feed_id = le_bytes::<32>(data, at)?;
    at += 32;
    let price = i64::from_le_bytes(le_bytes(data, at)?);
    let conf = u64::from_le_bytes(le_bytes(data, at + 8)?);
    let exponent = i32::from_le_bytes(le_bytes(data, at + 16)?);
    let publish_time = i64::from_le_bytes(le_bytes(data, at + 20)?);
    let ema_price = i64::from_le_bytes(le_bytes(data, at + 36)?);
    let posted_slot = u64::from_le_bytes(le_bytes(data, at + 52)?);
    Ok(PriceUpdateV2 {
        verification,
        feed_id,
        price,
        conf,
        exponent,
        publish_time,
        ema_price,
        posted_slot,
    })
}

pub fn parse(data: &[u8], pinned_feed_id: &[u8; 32]) -> Result<RawQuote> {
    let update = decode(data)?;
    require!(
        &update.feed_id == pinned_feed_id,
        PricingError::SourceFeedIdMismatch
    );
    require!(
        update.verification == Verification::Full,
        PricingError::SourceNotFullyVerified
    );
    Ok(RawQuote {
        price: update.price as i128,
        price_expo: update.exponent,
        conf: update.conf as u128,
        conf_expo: update.exponent,
        publish_ts: update.publish_time,
        slot: update.posted_slot,
    })
}
