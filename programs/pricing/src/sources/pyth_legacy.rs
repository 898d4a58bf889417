//! Pyth push oracle price account (pyth-sdk-solana layout, 3312 bytes).

use anchor_lang::prelude::*;
use pyth_sdk_solana::state::{load_price_account, PriceStatus};

use super::RawQuote;
use crate::errors::PricingError;

pub fn parse(data: &[u8]) -> Result<RawQuote> {
    // Magic, version and account type are checked by the SDK.
    let account = load_price_account::<32, ()>(data).map_err(|_| PricingError::SourceMalformed)?;
    require!(
        account.agg.status == PriceStatus::Trading,
        PricingError::SourceNotTrading
    );
    Ok(RawQuote {
        price: account.agg.price as i128,
        price_expo: account.expo,
        conf: account.agg.conf as u128,
        conf_expo: account.expo,
        publish_ts: account.timestamp,
        slot: account.agg.pub_slot,
    })
}
