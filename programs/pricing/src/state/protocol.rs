use anchor_lang::prelude::*;

/// Protocol-wide authorities, read by every Rampart program.
#[account]
#[derive(Debug)]
pub struct ProtocolConfig {
    /// May create feeds, pin sources, change parameters and halt or resume.
    pub governance: Pubkey,
    pub bump: u8,
    /// Room for the guardian set and global status the margin program adds.
    pub reserved: [u8; 256],
}

impl ProtocolConfig {
    pub const SEED: &'static [u8] = b"protocol";
    pub const SPACE: usize = 8 + 32 + 1 + 256;
}
