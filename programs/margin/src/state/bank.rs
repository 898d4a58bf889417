use anchor_lang::prelude::*;
use risk_math::WAD;

use crate::errors::MarginError;

/// Risk settings of a bank, WAD where a ratio.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct BankParams {
    /// Deposits count for value × (1 - haircut) in the initial requirement.
    pub asset_haircut_init: u64,
    pub asset_haircut_maint: u64,
    /// Borrows need value × (1 + ratio) in the initial requirement.
    pub liability_ratio_init: u64,
    pub liability_ratio_maint: u64,
    /// k in spot - k·conf for conservative valuation, WAD.
    pub conf_mult: u64,
    pub deposit_cap: u64,
    pub borrow_cap: u64,
    /// Oldest feed price accepted, seconds.
    pub max_price_age_secs: u32,
}

impl BankParams {
    /// Hard bounds: haircuts and ratios below 90% and 100%, maintenance
    /// looser than initial (so a new position is not instantly liquidatable),
    /// a confidence multiple of at most 10, prices at most 10 minutes old.
    pub fn validate(&self) -> Result<()> {
        let w = WAD as u64;
        require!(
            self.asset_haircut_init < w * 9 / 10,
            MarginError::ParamOutOfBounds
        );
        require!(
            self.liability_ratio_init <= w,
            MarginError::ParamOutOfBounds
        );
        require!(
            self.asset_haircut_maint <= self.asset_haircut_init,
            MarginError::ParamOutOfBounds
        );
        require!(
            self.liability_ratio_maint <= self.liability_ratio_init,
            MarginError::ParamOutOfBounds
        );
        require!(self.conf_mult <= 10 * w, MarginError::ParamOutOfBounds);
        require!(
            (1..=600).contains(&self.max_price_age_secs),
            MarginError::ParamOutOfBounds
        );
        Ok(())
    }
}

/// One SPL token the margin program lends and accepts as collateral.
#[account]
#[derive(Debug)]
pub struct Bank {
    pub mint: Pubkey,
    /// PDA token account holding every deposit, authority = this bank.
    pub vault: Pubkey,
    /// pricing `PriceFeed` of this token in quote units.
    pub feed: Pubkey,
    pub params: BankParams,
    pub total_deposits: u64,
    pub total_borrows: u64,
    pub decimals: u8,
    pub bump: u8,
    pub vault_bump: u8,
}

impl Bank {
    pub const SEED: &'static [u8] = b"bank";
    pub const VAULT_SEED: &'static [u8] = b"vault";
    pub const SPACE: usize = 8 + 32 * 3 + (8 * 7 + 4) + 8 + 8 + 3;
}
