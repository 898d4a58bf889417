use anchor_lang::prelude::*;

/// Global margin status: ReduceOnly and Shutdown come with the guardian
/// flow (M-of-N); for now governance sets them.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarginStatus {
    Active,
    ReduceOnly,
    Shutdown,
}

/// How liquidations pay, WAD unless noted.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiquidationParams {
    /// Liquidator fee when an account first becomes liquidatable...
    pub fee_base: u64,
    /// ...rising this much per slot it stays liquidatable...
    pub fee_per_slot: u64,
    /// ...up to this cap.
    pub fee_cap: u64,
    /// Share of the fee paid to the insurance fund.
    pub insurance_share: u64,
    /// A partial liquidation restores the maintenance margin to this (quote, WAD;
    /// u128 because a WAD quote value overflows u64 above 18.4 units).
    pub buffer: u128,
    /// Debt worth less than this after a partial liquidation is closed entirely (quote, WAD).
    pub min_remaining_value: u128,
}

impl LiquidationParams {
    pub fn validate(&self) -> Result<()> {
        let w = risk_math::WAD as u64;
        require!(
            self.fee_base <= self.fee_cap && self.fee_cap <= w / 5,
            crate::errors::MarginError::ParamOutOfBounds
        );
        require!(
            self.fee_per_slot <= w / 100,
            crate::errors::MarginError::ParamOutOfBounds
        );
        require!(
            self.insurance_share <= w,
            crate::errors::MarginError::ParamOutOfBounds
        );
        Ok(())
    }
}

#[account]
#[derive(Debug)]
pub struct MarginConfig {
    /// The pricing program's protocol config, whose governance governs margin too.
    pub protocol: Pubkey,
    pub status: MarginStatus,
    pub liquidation: LiquidationParams,
    pub bump: u8,
    /// Room for guardians, timelock queue and risk-agent settings.
    pub reserved: [u8; 512],
}

impl MarginConfig {
    pub const SEED: &'static [u8] = b"margin";
    pub const SPACE: usize = 8 + 32 + 1 + 4 * 8 + 2 * 16 + 1 + 512;
}
