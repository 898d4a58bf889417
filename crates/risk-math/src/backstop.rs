//! Backstop bands: pooled quote liquidity that buys liquidated collateral
//! at a fixed discount to the oracle price, shared pro rata in O(1).
//!
//! Each band keeps Liquity's product/sum pair. `product` is how much of one
//! unit deposited at the start of the band's epoch is still quote (scaled by
//! [`PRODUCT_ONE`]); `sum` accumulates the collateral one such unit has
//! bought. A stake remembers both at its last touch, so at any time it owns
//! `deposit × product / product₀` quote and `deposit × (sum − sum₀) /
//! product₀` collateral: one multiplication each, whatever the number of
//! stakes or fills.
//!
//! A fill that empties a band ends its epoch: the stakes of that epoch own no
//! quote any more, and their collateral is read from the epoch's final sum,
//! kept in a small `frozen` history until every stake of that epoch has
//! claimed it. While that history is full, the band takes only partial
//! fills; touching an old stake (any deposit or withdrawal) frees its slot.
//! A final sum is never overwritten while a stake still needs it.
//!
//! Rounding always favours the band over the individual stake: the product
//! and every sum increment round down, so a stake's computed claim never
//! exceeds its exact pro-rata share, and the sum of all claims never exceeds
//! what the band holds. What rounding leaves behind stays in the band.

use crate::fixed::{mul_div, MathError, MathResult, Rounding, WAD};

/// A fresh epoch's product: 1.0 at 33 decimals. That precision makes the
/// per-fill rounding of a stake's claim about 1e-21 of the stake.
pub const PRODUCT_ONE: u128 = 1_000_000_000_000_000_000_000_000_000_000_000;
/// Partial fills never push the product below this (1e-12 of a unit): a band
/// that has lost that much without emptying only takes a full fill.
pub const PRODUCT_MIN: u128 = 1_000_000_000_000_000_000_000;
/// Final sums of ended epochs kept per band.
pub const HISTORY: usize = 4;
/// Basis points in 100%.
pub const BPS: u128 = 10_000;

/// The final sum of an ended epoch, kept while `stakes` still refer to it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Frozen {
    pub epoch: u32,
    pub stakes: u32,
    pub sum: u128,
}

/// One discount band of a backstop pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    /// Discount to the oracle price at which this band buys, bps.
    pub discount_bps: u16,
    /// Quote tokens in the band: the stakes' claims plus rounding dust.
    pub quote: u64,
    /// Collateral bought and not yet claimed, across epochs.
    pub collateral: u64,
    pub product: u128,
    pub sum: u128,
    pub epoch: u32,
    /// Stakes with a deposit in the current epoch.
    pub stakes: u32,
    pub frozen: [Frozen; HISTORY],
}

/// An LP's position in one band, as of its last touch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stake {
    /// Quote owned at the last touch; 0 means the stake refers to no epoch.
    pub deposit: u64,
    pub product: u128,
    pub sum: u128,
    pub epoch: u32,
}

/// What a stake owns now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Claim {
    pub quote: u64,
    pub collateral: u64,
}

impl Band {
    pub fn new(discount_bps: u16) -> Self {
        Band {
            discount_bps,
            quote: 0,
            collateral: 0,
            product: PRODUCT_ONE,
            sum: 0,
            epoch: 0,
            stakes: 0,
            frozen: [Frozen::default(); HISTORY],
        }
    }

    /// What `stake` owns now, rounded down.
    pub fn claim(&self, stake: &Stake) -> MathResult<Claim> {
        if stake.deposit == 0 {
            return Ok(Claim::default());
        }
        let deposit = stake.deposit as u128;
        let (quote, end_sum) = if stake.epoch == self.epoch {
            let quote = mul_div(deposit, self.product, stake.product, Rounding::Down)?;
            (quote, self.sum)
        } else {
            (0, self.frozen_sum(stake.epoch)?)
        };
        let gained = end_sum
            .checked_sub(stake.sum)
            .ok_or(MathError::OutOfDomain)?;
        let collateral = mul_div(deposit, gained, stake.product, Rounding::Down)?;
        Ok(Claim {
            quote: to_u64(quote)?,
            collateral: to_u64(collateral)?,
        })
    }

    /// Touch `stake`: pay out all its collateral and `withdraw` of its quote,
    /// add `add` quote, and re-snapshot it at the current epoch. Returns the
    /// collateral paid. Fails with `OutOfDomain` when `withdraw` exceeds
    /// what the stake owns.
    pub fn touch(&mut self, stake: &mut Stake, add: u64, withdraw: u64) -> MathResult<u64> {
        let owned = self.claim(stake)?;
        if withdraw > owned.quote {
            return Err(MathError::OutOfDomain);
        }
        self.release(stake)?;
        let deposit = (owned.quote - withdraw)
            .checked_add(add)
            .ok_or(MathError::Overflow)?;
        self.quote = self
            .quote
            .checked_add(add)
            .and_then(|q| q.checked_sub(withdraw))
            .ok_or(MathError::Overflow)?;
        self.collateral = self
            .collateral
            .checked_sub(owned.collateral)
            .ok_or(MathError::Overflow)?;
        *stake = Stake {
            deposit,
            product: self.product,
            sum: self.sum,
            epoch: self.epoch,
        };
        if deposit > 0 {
            self.stakes = self.stakes.checked_add(1).ok_or(MathError::Overflow)?;
        }
        Ok(owned.collateral)
    }

    /// The most of `wanted` quote this band can pay out in one fill now.
    /// Nothing without stakes (leftover rounding dust is no one's
    /// liquidity). All of it when the fill empties the band and the epoch
    /// can end; otherwise only what keeps the product above its floor.
    pub fn fill_limit(&self, wanted: u64) -> MathResult<u64> {
        if self.stakes == 0 || self.quote == 0 {
            return Ok(0);
        }
        if wanted >= self.quote && self.free_slot().is_some() {
            return Ok(self.quote);
        }
        let must_remain = mul_div(PRODUCT_MIN, self.quote as u128, self.product, Rounding::Up)?;
        let partial = self.quote.saturating_sub(to_u64(must_remain)?);
        Ok(wanted.min(partial))
    }

    /// Pay `quote` out of the band for `collateral` bought, pro rata across
    /// its stakes. `quote` must be positive and within [`Band::fill_limit`].
    pub fn fill(&mut self, quote: u64, collateral: u64) -> MathResult<()> {
        if quote == 0 || collateral == 0 || quote != self.fill_limit(quote)? {
            return Err(MathError::OutOfDomain);
        }
        let bought = mul_div(
            self.product,
            collateral as u128,
            self.quote as u128,
            Rounding::Down,
        )?;
        self.sum = self.sum.checked_add(bought).ok_or(MathError::Overflow)?;
        self.collateral = self
            .collateral
            .checked_add(collateral)
            .ok_or(MathError::Overflow)?;
        if quote == self.quote {
            return self.end_epoch();
        }
        let product = mul_div(
            self.product,
            (self.quote - quote) as u128,
            self.quote as u128,
            Rounding::Down,
        )?;
        if product < PRODUCT_MIN {
            return Err(MathError::OutOfDomain);
        }
        self.product = product;
        self.quote -= quote;
        Ok(())
    }

    /// The band is empty: freeze the epoch's final sum for its stakes and
    /// start a new one.
    fn end_epoch(&mut self) -> MathResult<()> {
        if self.stakes > 0 {
            let slot = self.free_slot().ok_or(MathError::OutOfDomain)?;
            self.frozen[slot] = Frozen {
                epoch: self.epoch,
                stakes: self.stakes,
                sum: self.sum,
            };
        }
        self.epoch = self.epoch.checked_add(1).ok_or(MathError::Overflow)?;
        self.product = PRODUCT_ONE;
        self.sum = 0;
        self.stakes = 0;
        self.quote = 0;
        Ok(())
    }

    fn free_slot(&self) -> Option<usize> {
        self.frozen.iter().position(|f| f.stakes == 0)
    }

    fn frozen_sum(&self, epoch: u32) -> MathResult<u128> {
        self.frozen
            .iter()
            .find(|f| f.stakes > 0 && f.epoch == epoch)
            .map(|f| f.sum)
            .ok_or(MathError::OutOfDomain)
    }

    /// The stake stops referring to its epoch.
    fn release(&mut self, stake: &Stake) -> MathResult<()> {
        if stake.deposit == 0 {
            return Ok(());
        }
        let count = if stake.epoch == self.epoch {
            &mut self.stakes
        } else {
            let slot = self
                .frozen
                .iter_mut()
                .find(|f| f.stakes > 0 && f.epoch == stake.epoch)
                .ok_or(MathError::OutOfDomain)?;
            &mut slot.stakes
        };
        *count = count.checked_sub(1).ok_or(MathError::OutOfDomain)?;
        Ok(())
    }
}

/// One band's part of an absorb.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BandFill {
    pub quote: u64,
    pub collateral: u64,
}

/// The limits of one absorb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbsorbLimits {
    /// Collateral the seller offers at most.
    pub max_collateral: u64,
    /// Quote the seller needs at most (e.g. the debt being repaid).
    pub max_quote: u64,
    /// Deepest discount the seller accepts, bps.
    pub max_discount_bps: u16,
}

/// Sell collateral into `bands` (ordered by rising discount), lowest
/// discount first, each band at `unit_price × (1 − discount)`, where
/// `unit_price` is quote units per collateral unit (WAD). Stops at the
/// first of: collateral offered, quote needed, discount limit, liquidity.
/// Rounding favours the bands: a band pays the quote value of the
/// collateral rounded down, and a band paying out all it can takes the
/// collateral for it rounded up. Returns each band's fill.
pub fn absorb(
    bands: &mut [Band],
    unit_price: u128,
    limits: AbsorbLimits,
) -> MathResult<Vec<BandFill>> {
    let mut fills = vec![BandFill::default(); bands.len()];
    let mut collateral_left = limits.max_collateral;
    let mut quote_left = limits.max_quote;
    for (band, fill) in bands.iter_mut().zip(fills.iter_mut()) {
        if band.discount_bps > limits.max_discount_bps || collateral_left == 0 || quote_left == 0 {
            break;
        }
        let price = band_price(unit_price, band.discount_bps)?;
        let worth = to_u64(mul_div(
            collateral_left as u128,
            price,
            WAD,
            Rounding::Down,
        )?)?;
        let quote = band.fill_limit(worth.min(quote_left))?;
        if quote == 0 {
            continue;
        }
        let collateral = if quote == worth {
            collateral_left
        } else {
            to_u64(mul_div(quote as u128, WAD, price, Rounding::Up)?)?.min(collateral_left)
        };
        band.fill(quote, collateral)?;
        *fill = BandFill { quote, collateral };
        collateral_left -= collateral;
        quote_left -= quote;
    }
    Ok(fills)
}

/// `unit_price` less `discount_bps`, rounded down (the band pays less).
pub fn band_price(unit_price: u128, discount_bps: u16) -> MathResult<u128> {
    let keep = BPS
        .checked_sub(discount_bps as u128)
        .ok_or(MathError::OutOfDomain)?;
    mul_div(unit_price, keep, BPS, Rounding::Down)
}

/// Quote units per collateral unit (WAD) from a price per whole token (WAD).
pub fn unit_price(
    price_wad: u128,
    collateral_decimals: u8,
    quote_decimals: u8,
) -> MathResult<u128> {
    let q = crate::fixed::pow10(quote_decimals as u32)?;
    let c = crate::fixed::pow10(collateral_decimals as u32)?;
    mul_div(price_wad, q, c, Rounding::Down)
}

fn to_u64(v: u128) -> MathResult<u64> {
    u64::try_from(v).map_err(|_| MathError::Overflow)
}

#[cfg(test)]
mod tests;
