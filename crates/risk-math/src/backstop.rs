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
//! **Scale.** As Liquity does, a partial fill that would take the product
//! below [`PRODUCT_MIN`] multiplies it by [`SCALE`] instead and starts a new
//! scale: the sum restarts at 0 and the previous scale's final sum is kept
//! in `scale_sum`. A stake one scale behind owns its quote divided by
//! `SCALE` and its collateral from both scales. A band may move on to a new
//! scale only once no stake is two scales behind it (`stakes_behind` is 0):
//! until then partial fills keep the product above the floor as before.
//!
//! **Epochs.** A fill that empties a band ends its epoch: the stakes of that
//! epoch own no quote any more, and their collateral is read from the
//! epoch's final sums, kept in a small `frozen` history until every stake of
//! that epoch is settled. While that history is full the band takes only
//! partial fills.
//!
//! **Settling a stake** ([`Band::settle`]) moves what it has bought into the
//! stake itself (`owed`, paid on its owner's next touch) and re-snapshots
//! its quote at the band's current epoch and scale. It changes nothing a
//! stake owns, so anyone may do it: a stake left untouched by its owner
//! cannot hold a frozen slot, or a band's next scale, for ever.
//!
//! Rounding always favours the band over the individual stake: the product
//! and every sum increment round down, so a stake's computed claim never
//! exceeds its exact pro-rata share, and the sum of all claims never exceeds
//! what the band holds. What rounding leaves behind stays in the band.

use crate::fixed::{mul_div, MathError, MathResult, Rounding, WAD};

/// A fresh epoch's product: 1.0 at 33 decimals. That precision makes the
/// per-fill rounding of a stake's claim about 1e-21 of the stake.
pub const PRODUCT_ONE: u128 = 1_000_000_000_000_000_000_000_000_000_000_000;
/// A partial fill that would push the product below this (1e-12 of a unit)
/// moves the band to its next scale instead.
pub const PRODUCT_MIN: u128 = 1_000_000_000_000_000_000_000;
/// The product's factor from one scale to the next: PRODUCT_MIN to PRODUCT_ONE.
pub const SCALE: u128 = PRODUCT_ONE / PRODUCT_MIN;
/// Final sums of ended epochs kept per band.
pub const HISTORY: usize = 4;
/// Basis points in 100%.
pub const BPS: u128 = 10_000;

/// The final sums of an ended epoch, kept while `stakes` still refer to it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Frozen {
    pub epoch: u32,
    pub stakes: u32,
    /// The epoch's final sum, in its final scale...
    pub sum: u128,
    /// ...that scale...
    pub scale: u32,
    /// ...and the sum its previous scale ended at.
    pub scale_sum: u128,
}

/// One discount band of a backstop pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    /// Discount to the oracle price at which this band buys, bps.
    pub discount_bps: u16,
    /// Quote tokens in the band: the stakes' claims plus rounding dust.
    pub quote: u64,
    /// Collateral bought and not yet paid out, across epochs (settled
    /// stakes' `owed` included).
    pub collateral: u64,
    pub product: u128,
    pub sum: u128,
    pub epoch: u32,
    /// Stakes with a deposit in the current epoch and scale.
    pub stakes: u32,
    pub frozen: [Frozen; HISTORY],
    /// Rescales within the current epoch.
    pub scale: u32,
    /// The sum the previous scale of this epoch ended at.
    pub scale_sum: u128,
    /// Stakes with a deposit in the current epoch, one scale behind.
    pub stakes_behind: u32,
}

/// An LP's position in one band, as of its last touch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stake {
    /// Quote owned at the last touch; 0 means the stake refers to no epoch.
    pub deposit: u64,
    pub product: u128,
    pub sum: u128,
    pub epoch: u32,
    pub scale: u32,
    /// Collateral bought before the last settlement, not yet paid out.
    pub owed: u64,
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
            scale: 0,
            scale_sum: 0,
            stakes_behind: 0,
        }
    }

    /// What `stake` owns now, rounded down.
    pub fn claim(&self, stake: &Stake) -> MathResult<Claim> {
        if stake.deposit == 0 {
            return Ok(Claim {
                quote: 0,
                collateral: stake.owed,
            });
        }
        let deposit = stake.deposit as u128;
        // Quote owned, the final sum of the stake's scale and of the next
        // one (0 when there is none), and how far behind the stake is.
        let (quote, own_scale_sum, next_sum, behind) = if stake.epoch == self.epoch {
            let quote = mul_div(deposit, self.product, stake.product, Rounding::Down)?;
            if stake.scale == self.scale {
                (quote, self.sum, 0, false)
            } else {
                (quote / SCALE, self.scale_sum, self.sum, true)
            }
        } else {
            let f = self.frozen_of(stake.epoch)?;
            if stake.scale == f.scale {
                (0, f.sum, 0, false)
            } else {
                (0, f.scale_sum, f.sum, true)
            }
        };
        if behind && stake.scale.checked_add(1) != Some(self.scale_of(stake)?) {
            return Err(MathError::OutOfDomain);
        }
        let gained = own_scale_sum
            .checked_sub(stake.sum)
            .ok_or(MathError::OutOfDomain)?;
        let mut collateral = mul_div(deposit, gained, stake.product, Rounding::Down)?;
        if behind {
            collateral = collateral
                .checked_add(mul_div(deposit, next_sum, stake.product, Rounding::Down)? / SCALE)
                .ok_or(MathError::Overflow)?;
        }
        Ok(Claim {
            quote: to_u64(quote)?,
            collateral: to_u64(collateral)?
                .checked_add(stake.owed)
                .ok_or(MathError::Overflow)?,
        })
    }

    /// The scale the stake's epoch is at (or ended at).
    fn scale_of(&self, stake: &Stake) -> MathResult<u32> {
        if stake.epoch == self.epoch {
            Ok(self.scale)
        } else {
            Ok(self.frozen_of(stake.epoch)?.scale)
        }
    }

    /// Move what `stake` has bought into `stake.owed` and re-snapshot its
    /// quote at the current epoch and scale. What the stake owns is
    /// unchanged, so this needs no consent of its owner: it frees the
    /// frozen slot or the scale the stake was holding.
    pub fn settle(&mut self, stake: &mut Stake) -> MathResult<()> {
        let owned = self.claim(stake)?;
        self.release(stake)?;
        *stake = Stake {
            deposit: owned.quote,
            product: self.product,
            sum: self.sum,
            epoch: self.epoch,
            scale: self.scale,
            owed: owned.collateral,
        };
        if stake.deposit > 0 {
            self.stakes = self.stakes.checked_add(1).ok_or(MathError::Overflow)?;
        }
        Ok(())
    }

    /// Whether `stake` holds a frozen slot or a scale behind the band's:
    /// settling it frees one.
    pub fn is_stale(&self, stake: &Stake) -> bool {
        stake.deposit > 0 && (stake.epoch != self.epoch || stake.scale != self.scale)
    }

    /// Touch `stake`: pay out all its collateral and `withdraw` of its quote,
    /// add `add` quote, and re-snapshot it at the current epoch. Returns the
    /// collateral paid. Fails with `OutOfDomain` when `withdraw` exceeds
    /// what the stake owns (and then changes nothing).
    pub fn touch(&mut self, stake: &mut Stake, add: u64, withdraw: u64) -> MathResult<u64> {
        if withdraw > self.claim(stake)?.quote {
            return Err(MathError::OutOfDomain);
        }
        self.settle(stake)?;
        let paid = stake.owed;
        let before = stake.deposit;
        let deposit = (before - withdraw)
            .checked_add(add)
            .ok_or(MathError::Overflow)?;
        self.quote = self
            .quote
            .checked_add(add)
            .and_then(|q| q.checked_sub(withdraw))
            .ok_or(MathError::Overflow)?;
        self.collateral = self
            .collateral
            .checked_sub(paid)
            .ok_or(MathError::Overflow)?;
        stake.deposit = deposit;
        stake.owed = 0;
        match (before > 0, deposit > 0) {
            (true, false) => {
                self.stakes = self.stakes.checked_sub(1).ok_or(MathError::OutOfDomain)?
            }
            (false, true) => self.stakes = self.stakes.checked_add(1).ok_or(MathError::Overflow)?,
            _ => {}
        }
        Ok(paid)
    }

    fn has_stakes(&self) -> bool {
        self.stakes > 0 || self.stakes_behind > 0
    }

    /// The most of `wanted` quote this band can pay out in one fill now.
    /// Nothing without stakes (leftover rounding dust is no one's
    /// liquidity). All of it when the fill empties the band and the epoch
    /// can end; otherwise what keeps the product above its floor, one scale
    /// down when the band may move on to its next scale.
    pub fn fill_limit(&self, wanted: u64) -> MathResult<u64> {
        if !self.has_stakes() || self.quote == 0 {
            return Ok(0);
        }
        if wanted >= self.quote && self.free_slot().is_some() {
            return Ok(self.quote);
        }
        let floor = if self.stakes_behind == 0 {
            PRODUCT_MIN / SCALE
        } else {
            PRODUCT_MIN
        };
        let must_remain = mul_div(floor, self.quote as u128, self.product, Rounding::Up)?;
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
        let left = (self.quote - quote) as u128;
        let product = mul_div(self.product, left, self.quote as u128, Rounding::Down)?;
        if product >= PRODUCT_MIN {
            self.product = product;
        } else {
            // The next scale: the same fraction, SCALE times larger, from
            // the exact product rather than the rounded one.
            let scaled = mul_div(
                self.product,
                left.checked_mul(SCALE).ok_or(MathError::Overflow)?,
                self.quote as u128,
                Rounding::Down,
            )?;
            if self.stakes_behind > 0 || scaled < PRODUCT_MIN {
                return Err(MathError::OutOfDomain);
            }
            self.product = scaled;
            self.scale_sum = self.sum;
            self.sum = 0;
            self.scale = self.scale.checked_add(1).ok_or(MathError::Overflow)?;
            self.stakes_behind = self.stakes;
            self.stakes = 0;
        }
        self.quote -= quote;
        Ok(())
    }

    /// The band is empty: freeze the epoch's final sums for its stakes and
    /// start a new one.
    fn end_epoch(&mut self) -> MathResult<()> {
        let stakes = self
            .stakes
            .checked_add(self.stakes_behind)
            .ok_or(MathError::Overflow)?;
        if stakes > 0 {
            let slot = self.free_slot().ok_or(MathError::OutOfDomain)?;
            self.frozen[slot] = Frozen {
                epoch: self.epoch,
                stakes,
                sum: self.sum,
                scale: self.scale,
                scale_sum: self.scale_sum,
            };
        }
        self.epoch = self.epoch.checked_add(1).ok_or(MathError::Overflow)?;
        self.product = PRODUCT_ONE;
        self.sum = 0;
        self.stakes = 0;
        self.quote = 0;
        self.scale = 0;
        self.scale_sum = 0;
        self.stakes_behind = 0;
        Ok(())
    }

    fn free_slot(&self) -> Option<usize> {
        self.frozen.iter().position(|f| f.stakes == 0)
    }

    fn frozen_of(&self, epoch: u32) -> MathResult<&Frozen> {
        self.frozen
            .iter()
            .find(|f| f.stakes > 0 && f.epoch == epoch)
            .ok_or(MathError::OutOfDomain)
    }

    /// The stake stops referring to its epoch and scale.
    fn release(&mut self, stake: &Stake) -> MathResult<()> {
        if stake.deposit == 0 {
            return Ok(());
        }
        let count = if stake.epoch != self.epoch {
            let slot = self
                .frozen
                .iter_mut()
                .find(|f| f.stakes > 0 && f.epoch == stake.epoch)
                .ok_or(MathError::OutOfDomain)?;
            &mut slot.stakes
        } else if stake.scale == self.scale {
            &mut self.stakes
        } else {
            &mut self.stakes_behind
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

/// The deepest band discount (to `reference`) a seller accepting at most
/// `max_discount_to_spot_bps` below `spot` can take: a band buys at
/// reference × (1 − d), which must not be below spot × (1 − max). Bands
/// discount from min(spot, TWAP), so with the TWAP under spot the allowed
/// band depth shrinks (to none when the TWAP alone is deeper than the
/// seller's limit): a liquidated account never sells below what an open
/// liquidator, paid against spot, would give it. Rounded against the band.
pub fn discount_to_reference(
    max_discount_to_spot_bps: u16,
    spot: u128,
    reference: u128,
) -> MathResult<Option<u16>> {
    if reference == 0 {
        return Ok(None);
    }
    let keep = BPS.saturating_sub(max_discount_to_spot_bps as u128);
    // The fraction of the reference a band must keep, rounded up.
    let must_keep = mul_div(spot, keep, reference, Rounding::Up)?;
    match BPS.checked_sub(must_keep) {
        Some(d) => Ok(Some(d as u16)),
        None => Ok(None),
    }
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
