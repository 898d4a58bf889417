use anchor_lang::prelude::*;

/// A price written by a governance-appointed authority. Pinned into a feed
/// like any oracle account; meant for localnet, demos and tests, and
/// flagged as manual in every event that uses it.
#[account]
#[derive(Debug)]
pub struct ManualPrice {
    pub feed: Pubkey,
    pub authority: Pubkey,
    pub price: i64,
    pub conf: u64,
    pub expo: i32,
    pub publish_ts: i64,
    pub slot: u64,
    pub bump: u8,
}

impl ManualPrice {
    pub const SEED: &'static [u8] = b"manual";
    pub const SPACE: usize = 8 + 32 + 32 + 8 + 8 + 4 + 8 + 8 + 1;
}
