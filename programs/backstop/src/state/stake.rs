use anchor_lang::prelude::*;

use super::StakeSnapshot;

/// One LP's position in one band of one pool.
#[account]
#[derive(Debug, InitSpace)]
pub struct StakeAccount {
    pub pool: Pubkey,
    pub owner: Pubkey,
    pub band: u8,
    pub snapshot: StakeSnapshot,
    pub bump: u8,
}

impl StakeAccount {
    pub const SEED: &'static [u8] = b"stake";
    pub const SPACE: usize = 8 + StakeAccount::INIT_SPACE;
}
