use anchor_lang::prelude::*;

use super::BandState;
use crate::errors::BackstopError;

/// Most bands a pool may have.
pub const MAX_BANDS: usize = 8; // also the `max_len` of `Pool::bands`
/// The shallowest and deepest band discounts allowed, bps.
pub const MIN_DISCOUNT_BPS: u16 = 10;
pub const MAX_DISCOUNT_BPS: u16 = 2_000;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct PoolParams {
    /// Refuse to absorb on a price older than this.
    pub max_price_age_secs: u32,
    /// Most quote all consumers together may take out in one slot: the
    /// pool cannot be drained in one burst.
    pub max_quote_per_slot: u64,
    /// Longest a consumer may lock withdrawals ahead of a large liquidation.
    pub max_lock_slots: u64,
}

impl PoolParams {
    pub fn validate(&self) -> Result<()> {
        require!(
            (5..=3_600).contains(&self.max_price_age_secs)
                && self.max_quote_per_slot > 0
                && (1..=1_500).contains(&self.max_lock_slots),
            BackstopError::ParamOutOfBounds
        );
        Ok(())
    }
}

/// Band discounts rise strictly, within bounds, 1 to `MAX_BANDS` of them.
pub fn validate_discounts(discounts: &[u16]) -> Result<()> {
    let in_range = discounts
        .iter()
        .all(|d| (MIN_DISCOUNT_BPS..=MAX_DISCOUNT_BPS).contains(d));
    let rising = discounts.windows(2).all(|w| w[0] < w[1]);
    require!(
        !discounts.is_empty() && discounts.len() <= MAX_BANDS && in_range && rising,
        BackstopError::BandsOutOfBounds
    );
    Ok(())
}

/// A backstop for one (collateral, quote) pair, priced by one pricing feed.
#[account]
#[derive(Debug, InitSpace)]
pub struct Pool {
    /// pricing's `ProtocolConfig`: its governance registers consumers.
    pub protocol: Pubkey,
    pub feed: Pubkey,
    pub collateral_mint: Pubkey,
    pub quote_mint: Pubkey,
    pub collateral_vault: Pubkey,
    pub quote_vault: Pubkey,
    pub collateral_decimals: u8,
    pub quote_decimals: u8,
    pub params: PoolParams,
    /// Quote absorbed so far in `limit_slot`.
    pub limit_slot: u64,
    pub quote_in_slot: u64,
    /// No withdrawals up to and including this slot.
    pub withdrawals_locked_until: u64,
    #[max_len(8)]
    pub bands: Vec<BandState>,
    pub bump: u8,
}

impl Pool {
    pub const SEED: &'static [u8] = b"pool";
    pub const COLLATERAL_SEED: &'static [u8] = b"pool_collateral";
    pub const QUOTE_SEED: &'static [u8] = b"pool_quote";
    pub const SPACE: usize = 8 + Pool::INIT_SPACE;

    pub fn band_mut(&mut self, index: u8) -> Result<&mut BandState> {
        self.bands
            .get_mut(index as usize)
            .ok_or(BackstopError::NoSuchBand.into())
    }

    /// Quote the pool may still pay out in `slot`.
    pub fn slot_allowance(&self, slot: u64) -> u64 {
        if slot == self.limit_slot {
            self.params
                .max_quote_per_slot
                .saturating_sub(self.quote_in_slot)
        } else {
            self.params.max_quote_per_slot
        }
    }

    pub fn record_slot_use(&mut self, slot: u64, quote: u64) -> Result<()> {
        if slot != self.limit_slot {
            self.limit_slot = slot;
            self.quote_in_slot = 0;
        }
        self.quote_in_slot = self
            .quote_in_slot
            .checked_add(quote)
            .ok_or(BackstopError::MathOverflow)?;
        Ok(())
    }
}
