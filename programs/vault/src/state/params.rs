use anchor_lang::prelude::*;
use risk_math::WAD;

use crate::errors::VaultError;

/// A vault's settings; every field has hard bounds (`validate`).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct VaultParams {
    /// Option tenor: an epoch runs this long from its start to expiry.
    pub epoch_secs: u32,
    /// Options are sold this long after the epoch starts, then the vault is locked.
    pub sale_window_secs: u32,
    /// Assets under management (active plus queued deposits), asset units.
    pub deposit_cap: u64,
    /// Largest deposit one user may queue in one round, asset units.
    pub user_deposit_cap: u64,
    /// Share supply may not fall below this except to zero (share-price manipulation guard).
    pub min_supply: u64,
    pub management_fee_bps: u16,
    pub performance_fee_bps: u16,
    pub withdrawal_fee_bps: u16,
    /// Strikes are chosen at this absolute delta, WAD (0.25 = 25-delta).
    pub target_delta: u64,
    /// Pricing volatility = the feed's realized volatility × this, WAD.
    pub vol_multiplier: u64,
    /// Strikes at most this far out of the money, WAD of spot.
    pub max_otm: u64,
    /// Buyers pay the model price plus this.
    pub spread_bps: u16,
    /// Settlement uses the TWAP over this window ending at expiry.
    pub settlement_window_secs: u32,
    /// After expiry plus this, governance may settle if the TWAP is unavailable.
    pub settle_grace_secs: u32,
    /// The Greeks cache is stale after this long...
    pub greeks_max_age_secs: u32,
    /// ...or once spot moved this much from the cached spot.
    pub greeks_max_move_bps: u16,
    /// Oldest feed price accepted for pricing a sale.
    pub max_price_age_secs: u32,
}

impl VaultParams {
    /// Epochs of an hour to 90 days; sales within the epoch; fees at most
    /// 5% a year, 30% of profit and 2% on withdrawal; deltas 0.05-0.50;
    /// volatility multiple 0.5-3; strikes at most 50% out of the money;
    /// spread at most 10%; windows and staleness within sensible ranges.
    pub fn validate(&self) -> Result<()> {
        let w = WAD as u64;
        let checks = [
            (3_600..=90 * 86_400).contains(&self.epoch_secs),
            self.sale_window_secs > 0 && self.sale_window_secs < self.epoch_secs,
            self.user_deposit_cap > 0 && self.user_deposit_cap <= self.deposit_cap,
            self.min_supply > 0,
            self.management_fee_bps <= 500,
            self.performance_fee_bps <= 3_000,
            self.withdrawal_fee_bps <= 200,
            (w / 20..=w / 2).contains(&self.target_delta),
            (w / 2..=3 * w).contains(&self.vol_multiplier),
            self.max_otm > 0 && self.max_otm <= w / 2,
            self.spread_bps <= 1_000,
            (60..=86_400).contains(&self.settlement_window_secs),
            (60..=7 * 86_400).contains(&self.settle_grace_secs),
            (60..=86_400).contains(&self.greeks_max_age_secs),
            (1..=5_000).contains(&self.greeks_max_move_bps),
            (1..=600).contains(&self.max_price_age_secs),
        ];
        require!(checks.iter().all(|ok| *ok), VaultError::ParamOutOfBounds);
        Ok(())
    }
}
