use anchor_lang::prelude::*;

/// Global margin status: ReduceOnly and Shutdown come with the guardian
/// flow (M-of-N); for now governance sets them.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarginStatus {
    Active,
    ReduceOnly,
    Shutdown,
}

#[account]
#[derive(Debug)]
pub struct MarginConfig {
    /// The pricing program's protocol config, whose governance governs margin too.
    pub protocol: Pubkey,
    pub status: MarginStatus,
    pub bump: u8,
    /// Room for guardians, timelock queue and risk-agent settings.
    pub reserved: [u8; 512],
}

impl MarginConfig {
    pub const SEED: &'static [u8] = b"margin";
    pub const SPACE: usize = 8 + 32 + 1 + 1 + 512;
}
