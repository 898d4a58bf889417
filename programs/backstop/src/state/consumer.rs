use anchor_lang::prelude::*;

use crate::errors::BackstopError;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct ConsumerLimits {
    /// Most quote one absorb pays this consumer.
    pub max_quote_per_absorb: u64,
    /// Most quote per window of `window_slots` slots (its rate limit).
    pub max_quote_per_window: u64,
    pub window_slots: u64,
}

impl ConsumerLimits {
    pub fn validate(&self) -> Result<()> {
        require!(
            self.max_quote_per_absorb > 0
                && self.max_quote_per_absorb <= self.max_quote_per_window
                && (1..=216_000).contains(&self.window_slots),
            BackstopError::ParamOutOfBounds
        );
        Ok(())
    }
}

/// A protocol governance allowed to sell collateral into one pool. The
/// `authority` (usually a PDA of that protocol) signs every absorb.
#[account]
#[derive(Debug, InitSpace)]
pub struct Consumer {
    pub pool: Pubkey,
    pub authority: Pubkey,
    pub limits: ConsumerLimits,
    pub active: bool,
    pub window_start: u64,
    pub quote_in_window: u64,
    /// Lifetime totals, for reporting.
    pub total_quote: u64,
    pub total_collateral: u64,
    pub bump: u8,
}

impl Consumer {
    pub const SEED: &'static [u8] = b"consumer";
    pub const SPACE: usize = 8 + Consumer::INIT_SPACE;

    /// Quote this consumer may still take in the window containing `slot`.
    pub fn allowance(&self, slot: u64) -> u64 {
        let window_over = slot >= self.window_start.saturating_add(self.limits.window_slots);
        let left = if window_over {
            self.limits.max_quote_per_window
        } else {
            self.limits
                .max_quote_per_window
                .saturating_sub(self.quote_in_window)
        };
        left.min(self.limits.max_quote_per_absorb)
    }

    pub fn record(&mut self, slot: u64, quote: u64, collateral: u64) -> Result<()> {
        if slot >= self.window_start.saturating_add(self.limits.window_slots) {
            self.window_start = slot;
            self.quote_in_window = 0;
        }
        let add = |a: u64, b: u64| a.checked_add(b).ok_or(BackstopError::MathOverflow);
        self.quote_in_window = add(self.quote_in_window, quote)?;
        self.total_quote = add(self.total_quote, quote)?;
        self.total_collateral = add(self.total_collateral, collateral)?;
        Ok(())
    }
}
