//! Every program-derived address, in one place.

use anchor_lang::prelude::Pubkey;
use pricing::state::{ManualPrice, PriceFeed, ProtocolConfig};

pub fn protocol() -> Pubkey {
    Pubkey::find_program_address(&[ProtocolConfig::SEED], &pricing::ID).0
}

/// Feed names are fixed 32-byte, zero-padded.
pub fn feed_name(name: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    let bytes = name.as_bytes();
    let n = bytes.len().min(32);
    out[..n].copy_from_slice(&bytes[..n]);
    out
}

pub fn feed(name: &str) -> Pubkey {
    Pubkey::find_program_address(&[PriceFeed::SEED, &feed_name(name)], &pricing::ID).0
}

pub fn manual_price(feed: &Pubkey, seed_index: u8) -> Pubkey {
    Pubkey::find_program_address(
        &[ManualPrice::SEED, feed.as_ref(), &[seed_index]],
        &pricing::ID,
    )
    .0
}
