//! Checked fixed-point arithmetic with 18 decimals (WAD) and the
//! transcendental functions the risk formulas need (ln, exp, sqrt).

/// 1.0 in WAD fixed point.
pub const WAD: u128 = 1_000_000_000_000_000_000;
const WAD_I: i128 = WAD as i128;
/// ln(2) in WAD, rounded to nearest.
pub const LN2_WAD: i128 = 693_147_180_559_945_309;
/// Largest x for which exp(x) still fits a u128 in WAD (e^47 * 1e18 < 2^128).
const EXP_MAX_INPUT: i128 = 47 * WAD_I;
/// Below this exp(x) is smaller than 1e-18 and rounds to zero.
const EXP_MIN_INPUT: i128 = -42 * WAD_I;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MathError {
    Overflow,
    DivideByZero,
    /// Input outside the function's domain (e.g. ln of zero).
    OutOfDomain,
}

pub type MathResult<T> = Result<T, MathError>;

/// Which way a lossy operation rounds. Callers pick the direction that
/// favours the protocol over the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    Down,
    Up,
}

/// `a * b / d` with a 256-bit intermediate, so it only fails when the
/// result itself does not fit.
pub fn mul_div(a: u128, b: u128, d: u128, rounding: Rounding) -> MathResult<u128> {
    if d == 0 {
        return Err(MathError::DivideByZero);
    }
    let (hi, lo) = widening_mul(a, b);
    if hi >= d {
        return Err(MathError::Overflow);
    }
    let (q, r) = div_wide(hi, lo, d);
    match rounding {
        Rounding::Up if r != 0 => q.checked_add(1).ok_or(MathError::Overflow),
        _ => Ok(q),
    }
}

/// `a * b / WAD`.
pub fn mul_wad(a: u128, b: u128, rounding: Rounding) -> MathResult<u128> {
    mul_div(a, b, WAD, rounding)
}

/// `a * WAD / b`.
pub fn div_wad(a: u128, b: u128, rounding: Rounding) -> MathResult<u128> {
    mul_div(a, WAD, b, rounding)
}

/// Full 128x128 -> 256-bit product as (high, low).
pub(crate) fn widening_mul(a: u128, b: u128) -> (u128, u128) {
    const MASK: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & MASK);
    let (b1, b0) = (b >> 64, b & MASK);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 64) + (p01 & MASK) + (p10 & MASK);
    let lo = (p00 & MASK) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

/// (hi:lo) / d for hi < d, by binary long division. Returns (quotient, remainder).
fn div_wide(hi: u128, lo: u128, d: u128) -> (u128, u128) {
    if hi == 0 {
        return (lo / d, lo % d);
    }
    if d <= u64::MAX as u128 {
        // Schoolbook division by 64-bit limbs: the remainder stays below
        // d < 2^64, so each step is one native u128 division. This is the
        // common case (dividing by WAD) and ~30x cheaper than the bit loop.
        let limbs = [
            hi >> 64,
            hi & u64::MAX as u128,
            lo >> 64,
            lo & u64::MAX as u128,
        ];
        let mut rem = 0u128;
        let mut quot = 0u128;
        for limb in limbs {
            let cur = (rem << 64) | limb;
            quot = (quot << 64) | (cur / d);
            rem = cur % d;
        }
        return (quot, rem);
    }
    let mut rem = hi;
    let mut quot = 0u128;
    for bit in (0..128).rev() {
        let carry = rem >> 127;
        rem = (rem << 1) | ((lo >> bit) & 1);
        quot <<= 1;
        // With the carry the true remainder is rem + 2^128 >= d.
        if carry == 1 || rem >= d {
            rem = rem.wrapping_sub(d);
            quot |= 1;
        }
    }
    (quot, rem)
}

/// Integer square root (floor).
pub fn isqrt(x: u128) -> u128 {
    if x < 2 {
        return x;
    }
    let bits = 128 - x.leading_zeros();
    let mut guess = 1u128 << bits.div_ceil(2);
    loop {
        let next = (guess + x / guess) >> 1;
        if next >= guess {
            return guess;
        }
        guess = next;
    }
}

/// sqrt(x) for x in WAD, floor.
pub fn sqrt_wad(x: u128) -> u128 {
    match x.checked_mul(WAD) {
        Some(scaled) => isqrt(scaled),
        // x > ~3.4e20 WAD: scale in two steps; relative error < 1e-10.
        None => isqrt(x) * 1_000_000_000,
    }
}

/// Natural logarithm of a positive WAD value, in WAD. Error < 1e-17 absolute.
pub fn ln_wad(x: u128) -> MathResult<i128> {
    if x == 0 {
        return Err(MathError::OutOfDomain);
    }
    // Reduce to m in [1, 2) times 2^k so the series converges fast.
    let wad_bits = 127 - WAD.leading_zeros() as i32; // floor(log2(WAD)) = 59
    let x_bits = 127 - x.leading_zeros() as i32;
    let mut k = x_bits - wad_bits;
    let mut m = if k >= 0 { x >> k } else { x << (-k) };
    if m < WAD {
        m <<= 1;
        k -= 1;
    } else if m >= 2 * WAD {
        m >>= 1;
        k += 1;
    }
    // ln(m) = 2 * atanh(z), z = (m - 1) / (m + 1) in [0, 1/3).
    let z = ((m - WAD) * WAD / (m + WAD)) as i128;
    let z2 = z * z / WAD_I;
    let mut term = z;
    let mut sum = z;
    let mut n = 1i128;
    while term != 0 {
        term = term * z2 / WAD_I;
        n += 2;
        sum += term / n;
    }
    Ok(2 * sum + (k as i128) * LN2_WAD)
}

/// e^x for x in WAD, result in WAD. Relative error < 1e-17.
pub fn exp_wad(x: i128) -> MathResult<u128> {
    if x > EXP_MAX_INPUT {
        return Err(MathError::Overflow);
    }
    if x < EXP_MIN_INPUT {
        return Ok(0);
    }
    // x = k ln2 + r with |r| <= ln2 / 2.
    let k = (x + x.signum() * LN2_WAD / 2) / LN2_WAD;
    let r = x - k * LN2_WAD;
    let mut term = WAD_I;
    let mut sum = WAD_I;
    let mut n = 1i128;
    while term != 0 {
        term = term * r / (n * WAD_I);
        sum += term;
        n += 1;
    }
    let sum = sum as u128;
    if k >= 0 {
        let shift = k as u32;
        if sum.leading_zeros() <= shift {
            return Err(MathError::Overflow);
        }
        Ok(sum << shift)
    } else {
        Ok(sum >> ((-k) as u32))
    }
}

/// 10^n as u128.
pub fn pow10(n: u32) -> MathResult<u128> {
    10u128.checked_pow(n).ok_or(MathError::Overflow)
}

pub fn checked_add(a: u128, b: u128) -> MathResult<u128> {
    a.checked_add(b).ok_or(MathError::Overflow)
}

pub fn checked_sub(a: u128, b: u128) -> MathResult<u128> {
    a.checked_sub(b).ok_or(MathError::Overflow)
}

pub fn checked_mul(a: u128, b: u128) -> MathResult<u128> {
    a.checked_mul(b).ok_or(MathError::Overflow)
}

/// Narrow to u64, failing instead of truncating.
pub fn to_u64(x: u128) -> MathResult<u64> {
    u64::try_from(x).map_err(|_| MathError::Overflow)
}

#[cfg(test)]
#[allow(clippy::float_arithmetic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn to_f(x: u128) -> f64 {
        x as f64 / 1e18
    }

    #[test]
    fn ln_known_values() {
        assert_eq!(ln_wad(WAD).unwrap(), 0);
        assert!((ln_wad(2 * WAD).unwrap() - LN2_WAD).abs() <= 2);
        assert_eq!(ln_wad(0), Err(MathError::OutOfDomain));
    }

    #[test]
    fn exp_known_values() {
        assert_eq!(exp_wad(0).unwrap(), WAD);
        let e = exp_wad(WAD_I).unwrap();
        assert!((e as i128 - 2_718_281_828_459_045_235).abs() <= 20);
        assert_eq!(exp_wad(-50 * WAD_I).unwrap(), 0);
        assert_eq!(exp_wad(48 * WAD_I), Err(MathError::Overflow));
    }

    #[test]
    fn mul_div_wide_intermediate() {
        // a * b overflows u128 but the quotient fits.
        let a = u128::MAX / 3;
        assert_eq!(mul_div(a, 6, 2, Rounding::Down).unwrap(), a * 3);
        assert_eq!(mul_div(7, 1, 2, Rounding::Up).unwrap(), 4);
        assert_eq!(mul_div(7, 1, 2, Rounding::Down).unwrap(), 3);
        assert_eq!(
            mul_div(u128::MAX, 2, 1, Rounding::Down),
            Err(MathError::Overflow)
        );
        assert_eq!(
            mul_div(1, 1, 0, Rounding::Down),
            Err(MathError::DivideByZero)
        );
    }

    proptest! {
        #[test]
        fn ln_matches_f64(x in 1_000u128..(1u128 << 100)) {
            let got = ln_wad(x).unwrap() as f64 / 1e18;
            let want = to_f(x).ln();
            prop_assert!((got - want).abs() < 1e-12, "ln({x}) = {got}, want {want}");
        }

        #[test]
        fn exp_matches_f64(x in -40_000_000_000_000_000_000i128..46_000_000_000_000_000_000i128) {
            let got = to_f(exp_wad(x).unwrap());
            let want = (x as f64 / 1e18).exp();
            prop_assert!((got - want).abs() <= want * 1e-12 + 1e-17, "exp = {got}, want {want}");
        }

        #[test]
        fn exp_inverts_ln(x in WAD / 1000..WAD * 1000) {
            let back = exp_wad(ln_wad(x).unwrap()).unwrap();
            let err = back.abs_diff(x);
            prop_assert!(err <= x / 1_000_000_000_000_000 + 10);
        }

        #[test]
        fn sqrt_is_floor(x in 0u128..u128::MAX / WAD) {
            let r = sqrt_wad(x);
            prop_assert!(r * r <= x * WAD);
            prop_assert!((r + 1) * (r + 1) > x * WAD);
        }

        #[test]
        fn mul_div_matches_exact(a: u64, b: u64, d in 1u64..) {
            let want = (a as u128) * (b as u128) / (d as u128);
            prop_assert_eq!(mul_div(a as u128, b as u128, d as u128, Rounding::Down).unwrap(), want);
        }

        #[test]
        fn mul_div_small_divisor_is_exact_floor(a: u128, b: u128, d in 1u128..=u64::MAX as u128) {
            check_floor(a, b, d)?;
        }

        #[test]
        fn mul_div_wide_is_exact_floor(a: u128, b: u128, d in 1u128..) {
            check_floor(a, b, d)?;
        }
    }

    /// q = floor(a*b/d)  <=>  q*d <= a*b < q*d + d, checked in 256 bits.
    fn check_floor(a: u128, b: u128, d: u128) -> Result<(), proptest::test_runner::TestCaseError> {
        if let Ok(q) = mul_div(a, b, d, Rounding::Down) {
            let (ph, pl) = widening_mul(a, b);
            let (qh, ql) = widening_mul(q, d);
            let (rl, borrow) = pl.overflowing_sub(ql);
            let rh = ph - qh - borrow as u128;
            prop_assert!(rh == 0 && rl < d);
        } else {
            prop_assert!(widening_mul(a, b).0 >= d);
        }
        Ok(())
    }
}
