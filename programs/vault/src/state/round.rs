use anchor_lang::prelude::*;

/// The price per share a round was processed at: deposits queued and
/// withdrawals requested in that round convert at it, however late their
/// owners come back.
#[account]
#[derive(Debug, InitSpace)]
pub struct RoundRecord {
    pub vault: Pubkey,
    pub round: u32,
    /// Assets per share, WAD.
    pub price_per_share: u128,
    pub bump: u8,
}

impl RoundRecord {
    pub const SEED: &'static [u8] = b"round";
    pub const SPACE: usize = 8 + RoundRecord::INIT_SPACE;
}
