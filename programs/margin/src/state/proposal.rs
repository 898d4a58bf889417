use anchor_lang::prelude::*;

/// A large liquidation waiting for M of N validator approvals.
#[account]
#[derive(Debug, InitSpace)]
pub struct LiquidationProposal {
    pub account: Pubkey,
    pub liability_bank: Pubkey,
    pub collateral_bank: Pubkey,
    pub proposer: Pubkey,
    /// Most liability tokens the approved liquidation may repay.
    pub max_repay: u64,
    /// Prices (WAD) and maintenance margin when proposed: the evidence validators approve.
    pub liability_price: u128,
    pub collateral_price: u128,
    pub maint_margin: i128,
    pub created_slot: u64,
    pub expiry_slot: u64,
    /// Bit i set: validator i approved.
    pub approvals: u8,
    pub bump: u8,
}

impl LiquidationProposal {
    pub const SEED: &'static [u8] = b"proposal";
    /// Sized from the types (InitSpace), never summed by hand.
    pub const SPACE: usize = 8 + LiquidationProposal::INIT_SPACE;

    pub fn approval_count(&self) -> u32 {
        self.approvals.count_ones()
    }
}
