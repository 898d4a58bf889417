//! Interest on a bank's loans: a kinked utilisation curve prices money,
//! and one borrow index compounding per second carries every loan.
//!
//! A bank's lending book ([`Book`]) is three claims on one vault:
//! `vault = deposits + fund's fees - debt`, where `debt` is the sum of
//! every loan with interest to the last accrual. Borrowers hold *scaled*
//! debt: a loan of `x` tokens at index `i` is `ceil(x / i)` scaled units,
//! owing `ceil(scaled × i)` tokens at any later index. Accrual is one
//! multiplication of the index, whatever the number of loans; the interest
//! it adds to the debt is split between lenders (their pool of shares, see
//! [`crate::shares`], so a share's worth is the deposit index) and the
//! bank's insurance fund (the protocol fee).
//!
//! Every rounding favours the book over the individual: scaled debt is
//! minted rounded up and burned rounded down, the index compounds rounded
//! up, and the unit a rounding leaves between a cash flow and the change
//! in total debt goes to the fund. The three claims therefore balance the
//! vault exactly after every step, and an emptied book owes nothing.

use crate::fixed::{mul_div, to_u64, widening_mul, MathError, MathResult, Rounding, WAD};
use crate::shares::Pool;

/// Seconds in a 365-day year: annual rates are quoted per this.
pub const SECONDS_PER_YEAR: u64 = 31_536_000;

/// Highest annual borrow rate a bank may be configured with (300%). At the
/// cap an untouched loan grows e^3 ≈ 20x a year, so the u64 debt and the
/// u128 index stay representable for decades of no accrual at all.
pub const MAX_ANNUAL_RATE: u128 = 3 * WAD;

/// A bank's interest-rate model: annual rates and utilisation in WAD.
///
/// Borrow rate at utilisation `u`, `o` the optimal utilisation:
/// `base + slope_low·u/o` up to `o`, then `base + slope_low +
/// slope_high·(u - o)/(1 - o)`, never above `max_rate`. Lenders earn the
/// borrow rate × `u` × (1 - `protocol_fee`); the fee goes to the fund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateModel {
    pub base_rate: u128,
    pub slope_low: u128,
    pub slope_high: u128,
    pub optimal_utilization: u128,
    pub max_rate: u128,
    pub protocol_fee: u128,
}

impl RateModel {
    /// Annual borrow rate at `utilization` (WAD, clamped to 100%).
    pub fn borrow_rate(&self, utilization: u128) -> MathResult<u128> {
        let u = utilization.min(WAD);
        let o = self.optimal_utilization;
        if o == 0 || o >= WAD {
            return Err(MathError::OutOfDomain);
        }
        let rate = if u <= o {
            self.base_rate
                .checked_add(mul_div(self.slope_low, u, o, Rounding::Up)?)
        } else {
            let steep = mul_div(self.slope_high, u - o, WAD - o, Rounding::Up)?;
            self.base_rate
                .checked_add(self.slope_low)
                .and_then(|r| r.checked_add(steep))
        }
        .ok_or(MathError::Overflow)?;
        Ok(rate.min(self.max_rate))
    }

    /// Annual rate lenders earn at `utilization`, before compounding:
    /// borrow rate × utilisation × (1 - protocol fee), rounded down.
    pub fn deposit_rate(&self, utilization: u128) -> MathResult<u128> {
        let u = utilization.min(WAD);
        let gross = mul_div(self.borrow_rate(u)?, u, WAD, Rounding::Down)?;
        mul_div(
            gross,
            WAD.saturating_sub(self.protocol_fee),
            WAD,
            Rounding::Down,
        )
    }
}

/// Debt over what it can be paid from, WAD, at most 100%: `debt /
/// supplied` with `supplied` the deposits and the fund's unswept fees.
/// An empty book is 0%; debt with nothing supplied (all of it lost) 100%.
pub fn utilization(debt: u64, supplied: u64) -> u128 {
    if debt == 0 {
        return 0;
    }
    if supplied == 0 {
        return WAD;
    }
    mul_div(debt as u128, WAD, supplied as u128, Rounding::Up)
        .unwrap_or(WAD)
        .min(WAD)
}

/// An annual rate as a per-second rate, WAD, rounded up.
pub fn per_second(annual: u128) -> u128 {
    annual.div_ceil(SECONDS_PER_YEAR as u128)
}

/// `(1 + rate)^secs` in WAD for a per-second `rate` (WAD), rounded up.
///
/// Repeated squaring amplifies each rounding by the power still to come
/// (an error early in the squaring is raised to ~`secs`), so the squaring
/// runs on the excess over 1 in binary fixed point with 120 fraction bits
/// (products are a 256-bit multiply and a shift: no division) and rounds
/// to WAD once: at most 1 unit of 1e-18 above the exact power, plus
/// `secs × 2^-120` (below 1e-26 for any gap up to a century), relative.
/// Only a factor beyond 256 (years at the rate cap with no accrual at
/// all) falls back to squaring in WAD, about `secs` units of 1e-18 high.
pub fn compound(rate: u128, secs: u64) -> MathResult<u128> {
    let excess = mul_div(rate, ONE_Q, WAD, Rounding::Up)
        .ok()
        .and_then(|r| excess_power(r, secs));
    match excess {
        Some(e) => {
            let (hi, lo) = widening_mul(e, WAD);
            let whole = (hi << (128 - FRAC_BITS)) | (lo >> FRAC_BITS);
            let round_up = u128::from(lo & (ONE_Q - 1) != 0);
            WAD.checked_add(whole)
                .and_then(|w| w.checked_add(round_up))
                .ok_or(MathError::Overflow)
        }
        None => power(WAD.checked_add(rate).ok_or(MathError::Overflow)?, secs, WAD),
    }
}

/// Fraction bits of the excess `e` in `(1 + e)`: e < 2^(128 - 120) = 256.
const FRAC_BITS: u32 = 120;
const ONE_Q: u128 = 1 << FRAC_BITS;

/// `a × b` in the fixed point above, rounded up; None past 256.
fn mul_q(a: u128, b: u128) -> Option<u128> {
    let (hi, lo) = widening_mul(a, b);
    if hi >> FRAC_BITS != 0 {
        return None;
    }
    let q = (hi << (128 - FRAC_BITS)) | (lo >> FRAC_BITS);
    q.checked_add(u128::from(lo & (ONE_Q - 1) != 0))
}

/// `(1 + a)(1 + b) - 1 = a + b + ab`, rounded up; None past 256 (the
/// u128 holds 8 integer bits).
fn compose(a: u128, b: u128) -> Option<u128> {
    a.checked_add(b)?.checked_add(mul_q(a, b)?)
}

/// The excess of `(1 + e)^n` over 1, by squaring; None past 256.
fn excess_power(mut e: u128, n: u64) -> Option<u128> {
    let mut acc = 0u128;
    let mut n = n;
    while n > 0 {
        if n & 1 == 1 {
            acc = compose(acc, e)?;
        }
        n >>= 1;
        if n > 0 {
            e = compose(e, e)?;
        }
    }
    Some(acc)
}

/// `base^n` in fixed point with `one` as 1, every product rounded up.
fn power(mut base: u128, n: u64, one: u128) -> MathResult<u128> {
    let mut factor = one;
    let mut n = n;
    while n > 0 {
        if n & 1 == 1 {
            factor = mul_div(factor, base, one, Rounding::Up)?;
        }
        n >>= 1;
        if n > 0 {
            base = mul_div(base, base, one, Rounding::Up)?;
        }
    }
    Ok(factor)
}

/// Annual percentage yield of an annual rate compounded per second, WAD.
pub fn apy(annual: u128) -> MathResult<u128> {
    Ok(compound(per_second(annual), SECONDS_PER_YEAR)? - WAD)
}

/// Tokens `scaled` units of debt owe at `index`, rounded up.
pub fn debt_of(scaled: u64, index: u128) -> MathResult<u64> {
    to_u64(mul_div(scaled as u128, index, WAD, Rounding::Up)?)
}

/// What one accrual did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Accrual {
    /// Seconds accrued (0: nothing to do).
    pub secs: u64,
    /// Annual borrow and deposit rates applied, WAD.
    pub borrow_rate: u128,
    pub deposit_rate: u128,
    /// Utilisation the rates were read at, WAD.
    pub utilization: u128,
    /// Tokens the debt grew by, and how they were split.
    pub interest: u64,
    pub to_lenders: u64,
    pub to_fund: u64,
}

/// A bank's lending book (see the module comment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Book {
    /// Lenders' shares and the tokens owed to them.
    pub pool: Pool,
    /// Scaled debt of every loan together.
    pub borrow_scaled: u64,
    /// Tokens one scaled unit owes, WAD; starts at 1 and only grows.
    pub borrow_index: u128,
    /// Tokens owed to the insurance fund and still in the vault.
    pub pending_fees: u64,
    /// Unix time of the last accrual.
    pub last_accrual: i64,
}

impl Book {
    pub fn new(now: i64) -> Book {
        Book {
            pool: Pool::default(),
            borrow_scaled: 0,
            borrow_index: WAD,
            pending_fees: 0,
            last_accrual: now,
        }
    }

    /// Every loan with interest to the last accrual, tokens.
    pub fn debt(&self) -> MathResult<u64> {
        debt_of(self.borrow_scaled, self.borrow_index)
    }

    /// What the debt can be paid from: deposits and unswept fees.
    pub fn supplied(&self) -> u64 {
        self.pool.total_tokens.saturating_add(self.pending_fees)
    }

    pub fn utilization(&self) -> MathResult<u128> {
        Ok(utilization(self.debt()?, self.supplied()))
    }

    /// Tokens one deposit share is worth, WAD (1 while the pool is empty).
    pub fn deposit_index(&self) -> MathResult<u128> {
        if self.pool.total_shares == 0 {
            return Ok(WAD);
        }
        mul_div(
            self.pool.total_tokens as u128,
            WAD,
            self.pool.total_shares as u128,
            Rounding::Down,
        )
    }

    /// Compound the debt from the last accrual to `now` at the rate the
    /// current utilisation gives (constant in between: nothing changed it)
    /// and credit the interest to lenders and the fund. Needs no price.
    /// A clock behind the last accrual accrues nothing.
    /// Nothing to accrue (no loan, or no time) reads no rate at all: the
    /// common case of a bank touched twice in a slot costs a comparison.
    pub fn accrue(&mut self, model: &RateModel, now: i64) -> MathResult<Accrual> {
        let secs = now.saturating_sub(self.last_accrual).max(0) as u64;
        self.last_accrual = self.last_accrual.max(now);
        if secs == 0 || self.borrow_scaled == 0 {
            return Ok(Accrual::default());
        }
        let utilization = self.utilization()?;
        let mut accrual = Accrual {
            borrow_rate: model.borrow_rate(utilization)?,
            deposit_rate: model.deposit_rate(utilization)?,
            utilization,
            ..Accrual::default()
        };
        let before = self.debt()?;
        let (index, after) = self.grown(per_second(accrual.borrow_rate), secs, before)?;
        let interest = after - before;
        // With no lender left (every share withdrawn while loans run on
        // the fund's fees) the whole interest is the fund's.
        let to_fund = if self.pool.total_shares == 0 {
            interest
        } else {
            to_u64(mul_div(
                interest as u128,
                model.protocol_fee,
                WAD,
                Rounding::Up,
            )?)?
            .min(interest)
        };
        let to_lenders = interest - to_fund;
        self.pool.total_tokens = self
            .pool
            .total_tokens
            .checked_add(to_lenders)
            .ok_or(MathError::Overflow)?;
        self.pending_fees = self
            .pending_fees
            .checked_add(to_fund)
            .ok_or(MathError::Overflow)?;
        self.borrow_index = index;
        accrual.secs = secs;
        accrual.interest = interest;
        accrual.to_lenders = to_lenders;
        accrual.to_fund = to_fund;
        Ok(accrual)
    }

    /// The index after `secs` at a per-second `rate`, and the debt total
    /// at it. Saturating: growth that no u64 balance could hold (decades
    /// untouched at the rate cap) stops where the debt, the lenders' pool
    /// or the fund's fees would overflow, so accrual, and with it every
    /// instruction of the bank, never fails on it.
    fn grown(&self, rate: u128, secs: u64, before: u64) -> MathResult<(u128, u64)> {
        let exact = compound(rate, secs)
            .and_then(|f| mul_div(self.borrow_index, f, WAD, Rounding::Up))
            .and_then(|index| Ok((index, debt_of(self.borrow_scaled, index)?)));
        let headroom = u64::MAX - before.max(self.pool.total_tokens).max(self.pending_fees);
        match exact {
            Ok((index, after)) if after - before <= headroom => Ok((index, after)),
            Ok(_) | Err(MathError::Overflow) => {
                // The largest index whose debt fits: ceil(scaled × index)
                // ≤ before + headroom, and never below the current index.
                let index = mul_div(
                    (before + headroom) as u128,
                    WAD,
                    self.borrow_scaled as u128,
                    Rounding::Down,
                )?
                .max(self.borrow_index);
                Ok((index, debt_of(self.borrow_scaled, index)?))
            }
            Err(e) => Err(e),
        }
    }

    /// Lend `amount` tokens: the scaled debt minted (rounded up). The debt
    /// total grows by at least `amount` (scaled × index ≥ amount); the
    /// rounding unit beyond it is the fund's. Fails with `OutOfDomain`
    /// when the debt would exceed what lenders and the fund supplied:
    /// tokens merely sent to the vault are no one's to lend, and debt
    /// beyond the book's claims could never be written off against them.
    pub fn borrow(&mut self, amount: u64) -> MathResult<u64> {
        let scaled = to_u64(mul_div(
            amount as u128,
            WAD,
            self.borrow_index,
            Rounding::Up,
        )?)?;
        let before = self.debt()?;
        let total = self
            .borrow_scaled
            .checked_add(scaled)
            .ok_or(MathError::Overflow)?;
        let after = debt_of(total, self.borrow_index)?;
        if after > self.supplied() {
            return Err(MathError::OutOfDomain);
        }
        self.borrow_scaled = total;
        self.credit_fund(
            (after - before)
                .checked_sub(amount)
                .ok_or(MathError::Overflow)?,
        )?;
        Ok(scaled)
    }

    /// Take `amount` tokens in against a loan of `position_scaled`: the
    /// scaled debt burned (rounded down; all of it when `amount` is what
    /// the loan owes). Fails with `OutOfDomain` above what it owes. The
    /// debt total falls by at most `amount`; the rest is the fund's.
    pub fn repay(&mut self, amount: u64, position_scaled: u64) -> MathResult<u64> {
        let owed = debt_of(position_scaled, self.borrow_index)?;
        if amount > owed {
            return Err(MathError::OutOfDomain);
        }
        let burned = if amount == owed {
            position_scaled
        } else {
            to_u64(mul_div(
                amount as u128,
                WAD,
                self.borrow_index,
                Rounding::Down,
            )?)?
            .min(position_scaled)
        };
        let fallen = self.remove_scaled(burned)?;
        self.credit_fund(amount.checked_sub(fallen).ok_or(MathError::Overflow)?)?;
        Ok(burned)
    }

    /// Remove a loan of `position_scaled` that will never be repaid: the
    /// tokens the debt total fell by (what must be covered).
    pub fn write_off(&mut self, position_scaled: u64) -> MathResult<u64> {
        self.remove_scaled(position_scaled)
    }

    /// The fund's claim on the vault shrinks by `amount`: swept to the
    /// insurance vault, or lost to bad debt its lenders could not absorb.
    pub fn release_fees(&mut self, amount: u64) -> MathResult<()> {
        self.pending_fees = self
            .pending_fees
            .checked_sub(amount)
            .ok_or(MathError::Overflow)?;
        Ok(())
    }

    fn remove_scaled(&mut self, scaled: u64) -> MathResult<u64> {
        let before = self.debt()?;
        self.borrow_scaled = self
            .borrow_scaled
            .checked_sub(scaled)
            .ok_or(MathError::Overflow)?;
        Ok(before - self.debt()?)
    }

    fn credit_fund(&mut self, amount: u64) -> MathResult<()> {
        self.pending_fees = self
            .pending_fees
            .checked_add(amount)
            .ok_or(MathError::Overflow)?;
        Ok(())
    }
}

/// A position's principal after `removed` of its `total` left: the basis
/// shrinks in proportion (rounded down), so what is shown as accrued
/// interest (`total - basis`) shrinks in proportion too.
pub fn reduce_basis(basis: u64, removed: u64, total: u64) -> u64 {
    if removed >= total || total == 0 {
        return 0;
    }
    mul_div(
        basis as u128,
        (total - removed) as u128,
        total as u128,
        Rounding::Down,
    )
    .map_or(0, |b| b.min(basis as u128) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn model() -> RateModel {
        RateModel {
            base_rate: WAD / 100,
            slope_low: WAD * 4 / 100,
            slope_high: WAD * 150 / 100,
            optimal_utilization: WAD * 80 / 100,
            max_rate: 2 * WAD,
            protocol_fee: WAD / 10,
        }
    }

    #[test]
    fn the_curve_has_its_kink_at_the_optimum() {
        let m = model();
        assert_eq!(m.borrow_rate(0).unwrap(), WAD / 100);
        assert_eq!(m.borrow_rate(WAD * 40 / 100).unwrap(), WAD * 3 / 100);
        assert_eq!(m.borrow_rate(WAD * 80 / 100).unwrap(), WAD * 5 / 100);
        // Half-way up the steep part: 1% + 4% + 75%.
        assert_eq!(m.borrow_rate(WAD * 90 / 100).unwrap(), WAD * 80 / 100);
        assert_eq!(m.borrow_rate(WAD).unwrap(), WAD * 155 / 100);
        // Above 100% (impossible, but total) reads as 100%.
        assert_eq!(m.borrow_rate(3 * WAD).unwrap(), m.borrow_rate(WAD).unwrap());
        let capped = RateModel {
            max_rate: WAD / 2,
            ..m
        };
        assert_eq!(capped.borrow_rate(WAD).unwrap(), WAD / 2);
        // 5% × 80% × 90% = 3.6%.
        assert_eq!(m.deposit_rate(WAD * 80 / 100).unwrap(), WAD * 36 / 1000);
    }

    #[test]
    fn full_utilisation_at_the_cap_neither_overflows_nor_divides_by_zero() {
        assert_eq!(utilization(10, 0), WAD);
        assert_eq!(utilization(0, 0), 0);
        assert_eq!(utilization(u64::MAX, 1), WAD);
        let m = RateModel {
            base_rate: MAX_ANNUAL_RATE,
            slope_low: 10 * WAD,
            slope_high: 10 * WAD,
            optimal_utilization: WAD * 99 / 100,
            max_rate: MAX_ANNUAL_RATE,
            protocol_fee: WAD / 2,
        };
        let mut book = Book::new(0);
        book.pool.deposit(1_000_000_000_000).unwrap();
        book.borrow(1_000_000_000_000).unwrap();
        assert_eq!(book.utilization().unwrap(), WAD);
        // A year untouched at 300%: (1 + 3/31,536,000)^31,536,000 =
        // 20.0855340575 times the debt (e^3 less 1.4e-7 for per-second steps).
        let a = book.accrue(&m, SECONDS_PER_YEAR as i64).unwrap();
        assert_eq!(a.borrow_rate, MAX_ANNUAL_RATE);
        let grown = book.debt().unwrap();
        assert!(grown.abs_diff(20_085_534_057_550) < 10, "{grown}");
        assert_eq!(a.to_fund + a.to_lenders, a.interest);
        // Ten more years (e^30): no u64 balance holds that; accrual
        // saturates instead of failing, and the book still balances.
        let a = book.accrue(&m, 11 * SECONDS_PER_YEAR as i64).unwrap();
        assert_eq!(a.to_fund + a.to_lenders, a.interest);
        assert!(book.debt().unwrap() > u64::MAX / 2);
        assert_eq!(
            book.debt().unwrap() as u128 - 1_000_000_000_000,
            (book.pool.total_tokens - 1_000_000_000_000) as u128 + book.pending_fees as u128
        );
        assert!(book.accrue(&m, 12 * SECONDS_PER_YEAR as i64).is_ok());
        // An optimum of 0% or 100% would divide by zero: refused, not a panic.
        for o in [0, WAD] {
            let bad = RateModel {
                optimal_utilization: o,
                ..m
            };
            assert_eq!(bad.borrow_rate(WAD), Err(MathError::OutOfDomain));
        }
    }

    #[test]
    fn apy_of_five_percent_compounded_per_second() {
        // e^0.05 - 1 = 5.1271096%.
        let y = apy(WAD * 5 / 100).unwrap();
        assert!(y.abs_diff(51_271_096_376_024_040) < 1_000_000_000, "{y}");
    }

    #[test]
    fn a_year_at_five_percent_grows_the_debt_and_pays_lenders_the_spread() {
        let m = model();
        let mut book = Book::new(0);
        book.pool.deposit(1_000_000_000).unwrap();
        let scaled = book.borrow(800_000_000).unwrap();
        let a = book.accrue(&m, SECONDS_PER_YEAR as i64).unwrap();
        assert_eq!(a.borrow_rate, WAD * 5 / 100);
        let owed = debt_of(scaled, book.borrow_index).unwrap();
        // 800 × (e^0.05 - 1) = 41.0169 tokens of interest.
        assert!(owed.abs_diff(841_016_877) <= 2, "{owed}");
        assert_eq!(a.interest, owed - 800_000_000);
        assert_eq!(a.to_fund, a.interest.div_ceil(10));
        assert_eq!(book.pool.total_tokens, 1_000_000_000 + a.to_lenders);
        assert_eq!(book.pending_fees, a.to_fund);
        // Repaying what is owed empties the book of debt exactly.
        assert_eq!(book.repay(owed, scaled).unwrap(), scaled);
        assert_eq!(book.debt().unwrap(), 0);
        assert_eq!(book.repay(1, 0), Err(MathError::OutOfDomain));
    }

    /// Per-second compounding at 1e27 precision: the brute-force reference.
    fn brute_force(index: u128, rate: u128, secs: u64) -> u128 {
        const HI: u128 = 1_000_000_000_000_000_000_000_000_000;
        let scale = HI / WAD;
        let step = HI + rate * scale;
        let mut x = index * scale;
        for _ in 0..secs {
            x = mul_div(x, step, HI, Rounding::Down).unwrap();
        }
        x / scale
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// The index after random gaps at random rates (each gap's rate
        /// from the utilisation its start left) is the per-second
        /// compounding of the same rates, never below it and above it by
        /// at most 4 units in 1e18 relative per accrual (factor and index
        /// each rounded up once at WAD).
        #[test]
        fn index_matches_per_second_compounding(
            gaps in prop::collection::vec((1u64..12_000, 0u128..MAX_ANNUAL_RATE), 1..8)
        ) {
            let mut fast = WAD;
            let mut slow = WAD;
            for (secs, annual) in gaps {
                let r = per_second(annual);
                fast = mul_div(fast, compound(r, secs).unwrap(), WAD, Rounding::Up).unwrap();
                slow = brute_force(slow, r, secs);
                prop_assert!(fast >= slow, "fast {fast} below brute force {slow}");
            }
            let bound = mul_div(slow, 4 * 8 + 2, WAD, Rounding::Up).unwrap();
            prop_assert!(fast - slow <= bound, "fast {fast} slow {slow} off by {}", fast - slow);
        }

        /// Random lenders and borrowers act at random times: the vault
        /// (tracked as cash) always equals deposits + fees - debt exactly,
        /// nobody takes out more than they put in plus the interest their
        /// shares earned, every loan can be repaid in full, and an emptied
        /// book owes nothing.
        #[test]
        fn books_balance_and_nobody_takes_more_than_they_earned(
            ops in prop::collection::vec((0u8..6, 0usize..4, 1u64..10_000_000_000, 0i64..200_000), 1..150),
            fee in 0u128..(WAD / 2),
        ) {
            let m = RateModel { protocol_fee: fee, ..model() };
            let mut book = Book::new(0);
            let mut now = 0i64;
            let mut cash: u128 = 0;
            let mut shares = [0u64; 4];
            let mut scaled = [0u64; 4];
            // Tokens each lender put in and took out.
            let mut lent_in = [0u128; 4];
            let mut lent_out = [0u128; 4];
            let mut earned: u128 = 0;
            let mut borrowed = [0u128; 4];
            let mut repaid = [0u128; 4];
            for (step, (kind, who, amount, wait)) in ops.into_iter().enumerate() {
                now += wait;
                let a = book.accrue(&m, now).unwrap();
                prop_assert_eq!(a.to_lenders + a.to_fund, a.interest);
                earned += a.to_lenders as u128;
                match kind {
                    0 => {
                        if let Ok(minted) = book.pool.deposit(amount) {
                            shares[who] += minted;
                            cash += amount as u128;
                            lent_in[who] += amount as u128;
                        }
                    }
                    1 => {
                        let worth = book.pool.tokens_of(shares[who]).unwrap();
                        let take = (amount.min(worth) as u128).min(cash) as u64;
                        if take > 0 {
                            shares[who] -= book.pool.withdraw(take, shares[who]).unwrap();
                            cash -= take as u128;
                            lent_out[who] += take as u128;
                        }
                    }
                    2 => {
                        let take = (amount as u128).min(cash) as u64;
                        // Refused (nothing changes) where the debt would
                        // pass what was supplied: the vault's last units.
                        if take > 0 {
                            let before = book;
                            match book.borrow(take) {
                                Ok(s) => {
                                    scaled[who] += s;
                                    cash -= take as u128;
                                    borrowed[who] += take as u128;
                                }
                                Err(e) => {
                                    prop_assert_eq!(e, MathError::OutOfDomain);
                                    prop_assert_eq!(book, before);
                                }
                            }
                        }
                    }
                    3 | 4 => {
                        let owed = debt_of(scaled[who], book.borrow_index).unwrap();
                        let pay = if kind == 3 { owed } else { amount.min(owed) };
                        if pay > 0 {
                            scaled[who] -= book.repay(pay, scaled[who]).unwrap();
                            cash += pay as u128;
                            repaid[who] += pay as u128;
                        }
                    }
                    _ => {
                        let sweep = (book.pending_fees as u128).min(cash) as u64;
                        book.release_fees(sweep).unwrap();
                        cash -= sweep as u128;
                    }
                }
                prop_assert_eq!(
                    cash + book.debt().unwrap() as u128,
                    book.pool.total_tokens as u128 + book.pending_fees as u128
                );
                let owed: u128 = scaled.iter().map(|s| debt_of(*s, book.borrow_index).unwrap() as u128).sum();
                prop_assert!(owed >= book.debt().unwrap() as u128);
                prop_assert!(owed <= book.debt().unwrap() as u128 + 4);
                // A lender's worth includes only interest lenders earned
                // (and at most a unit per step of others' share rounding).
                for w in 0..4 {
                    let worth = book.pool.tokens_of(shares[w]).unwrap() as u128;
                    prop_assert!(lent_out[w] + worth <= lent_in[w] + earned + step as u128);
                    // A borrower who owes nothing paid back at least what he took.
                    if scaled[w] == 0 {
                        prop_assert!(repaid[w] >= borrowed[w]);
                    }
                }
            }
            // Everyone repays; the book owes nothing and the lenders and the
            // fund can be paid in full from the vault.
            for s in scaled.iter_mut() {
                let owed = debt_of(*s, book.borrow_index).unwrap();
                if owed > 0 {
                    *s -= book.repay(owed, *s).unwrap();
                    cash += owed as u128;
                }
                prop_assert_eq!(*s, 0);
            }
            prop_assert_eq!(book.debt().unwrap(), 0);
            prop_assert_eq!(cash, book.pool.total_tokens as u128 + book.pending_fees as u128);
        }
    }

    #[test]
    fn a_day_in_one_accrual_matches_a_day_second_by_second() {
        let r = per_second(MAX_ANNUAL_RATE);
        let fast = compound(r, 86_400).unwrap();
        let slow = brute_force(WAD, r, 86_400);
        assert!(fast >= slow && fast - slow <= 2, "{fast} vs {slow}");
    }

    #[test]
    fn a_basis_shrinks_in_proportion() {
        assert_eq!(reduce_basis(800, 210, 840), 600);
        assert_eq!(reduce_basis(800, 840, 840), 0);
        assert_eq!(reduce_basis(0, 1, 2), 0);
    }
}
