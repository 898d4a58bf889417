use anchor_lang::prelude::*;
use risk_math::shares::Pool;
use risk_math::{MathError, WAD};

use crate::errors::MarginError;
use crate::state::LiquidationParams;

/// Most slots one `update_risk` counts toward the ratio's rate limit: a
/// minute at the 400 ms target. Idle time is not banked, so the first
/// update after a quiet day moves the ratio by at most this many steps.
pub const MAX_RATE_LIMIT_SLOTS: u64 = 150;

/// Shape of a bank's adaptive maintenance ratio for borrows, WAD:
/// target = base + vol_mult·σ·sqrt(horizon) + congestion_mult·congestion
/// excess, clamped to [min, max], approached at most `max_change_per_slot`
/// per slot.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct AdaptiveMaintenance {
    pub base: u64,
    pub vol_mult: u64,
    pub congestion_mult: u64,
    pub horizon_secs: u32,
    pub min: u64,
    pub max: u64,
    pub max_change_per_slot: u64,
}

impl AdaptiveMaintenance {
    pub fn to_math(&self) -> risk_math::margin::AdaptiveParams {
        risk_math::margin::AdaptiveParams {
            base: self.base as u128,
            vol_mult: self.vol_mult as u128,
            congestion_mult: self.congestion_mult as u128,
            horizon_secs: self.horizon_secs as u64,
            min: self.min as u128,
            max: self.max as u128,
            max_change_per_slot: self.max_change_per_slot as u128,
        }
    }
}

/// Risk settings of a bank, WAD where a ratio.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct BankParams {
    /// Deposits count for value × (1 - haircut) in the initial requirement.
    pub asset_haircut_init: u64,
    pub asset_haircut_maint: u64,
    /// Borrows need value × (1 + ratio) in the initial requirement.
    pub liability_ratio_init: u64,
    /// Borrows need value × (1 + effective ratio) in the maintenance requirement.
    pub maint: AdaptiveMaintenance,
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
        // Maintenance stays looser than initial for deposits too: the
        // maintenance haircut widens by the adaptive excess (up to max − base,
        // at most 90%), and a deposit passing the initial requirement must
        // not be liquidatable at once.
        let widest_maint = (self.asset_haircut_maint as u128
            + self.maint.max.saturating_sub(self.maint.base) as u128)
            .min(WAD * 9 / 10);
        require!(
            widest_maint <= self.asset_haircut_init as u128,
            MarginError::ParamOutOfBounds
        );
        // The adaptive ratio stays inside [min, max] <= the initial ratio, so
        // a position opened at the initial requirement is never instantly
        // liquidatable; vol and congestion weights at most 10x.
        let m = &self.maint;
        require!(
            m.min <= m.base && m.base <= m.max,
            MarginError::ParamOutOfBounds
        );
        require!(
            m.max <= self.liability_ratio_init,
            MarginError::ParamOutOfBounds
        );
        require!(
            m.vol_mult <= 10 * w && m.congestion_mult <= 10 * w,
            MarginError::ParamOutOfBounds
        );
        require!(
            (60..=86_400).contains(&m.horizon_secs),
            MarginError::ParamOutOfBounds
        );
        require!(
            m.max_change_per_slot > 0 && m.max_change_per_slot <= w / 100,
            MarginError::ParamOutOfBounds
        );
        require!(self.conf_mult <= 10 * w, MarginError::ParamOutOfBounds);
        require!(
            (1..=600).contains(&self.max_price_age_secs),
            MarginError::ParamOutOfBounds
        );
        Ok(())
    }

    /// A liquidation repaying one unit of value frees (1 + ratio) of the
    /// liability bank's requirement and costs (1 + fee)(1 - haircut) of the
    /// collateral bank's; at or below zero `liquidation_size` finds no size
    /// and the account cannot be liquidated through that pair. Banks are
    /// created one at a time, so the pair condition is split per bank: a
    /// maintenance ratio never below the fee cap and a positive maintenance
    /// haircut make every pair improvable at every fee up to the cap.
    pub fn validate_liquidable(&self, liquidation: &LiquidationParams) -> Result<()> {
        require!(
            self.maint.min >= liquidation.fee_cap && self.asset_haircut_maint > 0,
            MarginError::ParamOutOfBounds
        );
        Ok(())
    }
}

/// One SPL token the margin program lends and accepts as collateral.
#[account]
#[derive(Debug, InitSpace)]
pub struct Bank {
    pub mint: Pubkey,
    /// PDA token account holding every deposit, authority = this bank.
    pub vault: Pubkey,
    /// pricing `PriceFeed` of this token in quote units.
    pub feed: Pubkey,
    pub params: BankParams,
    /// PDA token account receiving the fund's share of liquidation fees.
    pub insurance_vault: Pubkey,
    /// Current maintenance ratio for borrows, WAD, and the slot it was set.
    pub effective_maint_ratio: u64,
    pub ratio_slot: u64,
    /// Parameters queued by governance, applicable from `pending_eta` (0 = none).
    pub pending_params: BankParams,
    pub pending_eta: i64,
    /// Last time the risk agent moved the maintenance base.
    pub agent_last_change_ts: i64,
    /// Tokens owed to depositors: shrinks when bad debt is socialised.
    pub total_deposits: u64,
    /// Deposit shares outstanding; each is worth total_deposits / total_deposit_shares.
    pub total_deposit_shares: u64,
    pub total_borrows: u64,
    /// Under Shutdown: the last valid TWAP every position in this bank
    /// settles at (WAD, 0 = not fixed), and when it was fixed.
    pub settlement_price: u128,
    pub settlement_fixed_at: i64,
    /// For a bank of option-vault shares: the vault, whose NAV per share
    /// times the feed's price of the vault's asset prices a share.
    /// Default for ordinary tokens.
    pub share_vault: Pubkey,
    pub decimals: u8,
    pub bump: u8,
    pub vault_bump: u8,
}

impl Bank {
    pub fn pool(&self) -> Pool {
        Pool {
            total_shares: self.total_deposit_shares,
            total_tokens: self.total_deposits,
        }
    }

    fn store(&mut self, pool: Pool) {
        self.total_deposit_shares = pool.total_shares;
        self.total_deposits = pool.total_tokens;
    }

    /// Tokens a position's deposit shares are worth now (rounded down).
    pub fn deposit_tokens(&self, shares: u64) -> Result<u64> {
        Ok(self.pool().tokens_of(shares).map_err(MarginError::from)?)
    }

    /// Take `amount` tokens in; returns the shares minted.
    pub fn add_deposit(&mut self, amount: u64) -> Result<u64> {
        let mut pool = self.pool();
        let minted = pool.deposit(amount).map_err(|e| match e {
            MathError::OutOfDomain => MarginError::DepositsWipedOut,
            _ => MarginError::MathOverflow,
        })?;
        self.store(pool);
        Ok(minted)
    }

    /// Pay `amount` tokens out of a position holding `position_shares`;
    /// returns the shares burned.
    pub fn remove_deposit(&mut self, amount: u64, position_shares: u64) -> Result<u64> {
        let mut pool = self.pool();
        let burned = pool
            .withdraw(amount, position_shares)
            .map_err(|e| match e {
                MathError::OutOfDomain => MarginError::InsufficientDeposit,
                _ => MarginError::MathOverflow,
            })?;
        self.store(pool);
        Ok(burned)
    }

    /// Lenders absorb `amount` tokens of bad debt in proportion to their shares.
    pub fn socialise_loss(&mut self, amount: u64) -> u64 {
        let mut pool = self.pool();
        let loss = pool.socialise_loss(amount);
        self.store(pool);
        loss
    }

    pub fn is_share_bank(&self) -> bool {
        self.share_vault != Pubkey::default()
    }

    /// The settlement price fixed during the current shutdown.
    pub fn current_settlement_price(&self, shutdown_since: i64) -> Result<u128> {
        require!(
            self.settlement_price > 0 && self.settlement_fixed_at >= shutdown_since,
            MarginError::SettlementPriceNotFixed
        );
        Ok(self.settlement_price)
    }

    /// Keep the effective maintenance ratio inside the current [min, max].
    pub fn clamp_effective_ratio(&mut self) {
        let m = &self.params.maint;
        self.effective_maint_ratio = self.effective_maint_ratio.clamp(m.min, m.max);
    }

    /// Maintenance haircut on deposits: the static haircut widened by the
    /// adaptive excess of the effective ratio over its base (an asset's
    /// volatility matters whether it is held or owed), at most 90%.
    pub fn maint_asset_haircut(&self) -> u128 {
        let excess = self
            .effective_maint_ratio
            .saturating_sub(self.params.maint.base);
        (self.params.asset_haircut_maint as u128 + excess as u128).min(WAD * 9 / 10)
    }

    /// Maintenance ratio on borrows: the effective adaptive ratio.
    pub fn maint_liability_ratio(&self) -> u128 {
        self.effective_maint_ratio as u128
    }

    pub const SEED: &'static [u8] = b"bank";
    pub const VAULT_SEED: &'static [u8] = b"vault";
    pub const INSURANCE_SEED: &'static [u8] = b"insurance";
    /// Sized from the types (InitSpace), never summed by hand.
    pub const SPACE: usize = 8 + Bank::INIT_SPACE;
}
