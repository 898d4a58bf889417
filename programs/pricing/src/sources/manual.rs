//! Governance-written manual price (a pricing-program account).

use anchor_lang::prelude::*;

use super::RawQuote;
use crate::errors::PricingError;
use crate::state::ManualPrice;

pub fn parse(data: &[u8], feed: &Pubkey) -> Result<RawQuote> {
    let manual =
        ManualPrice::try_deserialize(&mut &data[..]).map_err(|_| PricingError::SourceMalformed)?;
    require_keys_eq!(manual.feed, *feed, PricingError::ManualFeedMismatch);
    Ok(RawQuote {
        price: manual.price as i128,
        price_expo: manual.expo,
        conf: manual.conf as u128,
        conf_expo: manual.expo,
        publish_ts: manual.publish_ts,
        slot: manual.slot,
    })
}
