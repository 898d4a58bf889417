//! Oracle prices as (mantissa, exponent) and their conversion to one feed
//! exponent, plus basis-point comparisons.

use crate::fixed::{mul_div, pow10, MathError, MathResult, Rounding};

pub const BPS: u128 = 10_000;

/// Re-express `mantissa * 10^from_expo` as a mantissa at `to_expo`.
/// Fails when the result does not fit a u64 (a feed exponent too fine
/// for this price) rather than truncating.
pub fn rescale(
    mantissa: u128,
    from_expo: i32,
    to_expo: i32,
    rounding: Rounding,
) -> MathResult<u64> {
    let shift = from_expo.checked_sub(to_expo).ok_or(MathError::Overflow)?;
    let scaled = if shift >= 0 {
        mantissa
            .checked_mul(pow10(shift.unsigned_abs())?)
            .ok_or(MathError::Overflow)?
    } else {
        let div = pow10(shift.unsigned_abs())?;
        let q = mantissa / div;
        if rounding == Rounding::Up && mantissa % div != 0 {
            q + 1
        } else {
            q
        }
    };
    u64::try_from(scaled).map_err(|_| MathError::Overflow)
}

/// |a - b| / reference in basis points, rounded up so limits are strict.
pub fn deviation_bps(a: u64, b: u64, reference: u64) -> MathResult<u64> {
    let diff = (a as u128).abs_diff(b as u128);
    let bps = mul_div(diff, BPS, reference as u128, Rounding::Up)?;
    Ok(u64::try_from(bps).unwrap_or(u64::MAX))
}

/// Does `part` exceed `limit_bps` of `whole`? Exact, no rounding.
pub fn exceeds_bps(part: u64, whole: u64, limit_bps: u32) -> bool {
    (part as u128) * BPS > (whole as u128) * (limit_bps as u128)
}

/// Clamp `price` into `reference * (1 ± band_bps)`.
pub fn clamp_to_band(price: u64, reference: u64, band_bps: u32) -> u64 {
    let band = (reference as u128) * (band_bps as u128) / BPS;
    let lo = (reference as u128).saturating_sub(band);
    let hi = (reference as u128) + band;
    (price as u128).clamp(lo, hi.min(u64::MAX as u128)) as u64
}

/// Median of a small slice (sorted in place). Even counts take the mean of
/// the two middle values, rounded down. None for an empty slice.
pub fn median(values: &mut [u64]) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        Some(values[mid])
    } else {
        Some(((values[mid - 1] as u128 + values[mid] as u128) / 2) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rescale_both_directions() {
        // Pyth SOL at -8 into a -6 feed: 132.7245725 -> 132.724572 (down) / 132.724573 (up)
        assert_eq!(
            rescale(13_272_457_249, -8, -6, Rounding::Down).unwrap(),
            132_724_572
        );
        assert_eq!(
            rescale(13_272_457_249, -8, -6, Rounding::Up).unwrap(),
            132_724_573
        );
        assert_eq!(
            rescale(81_297, -3, -8, Rounding::Down).unwrap(),
            8_129_700_000
        );
        assert_eq!(rescale(1, 0, -30, Rounding::Down), Err(MathError::Overflow));
    }

    #[test]
    fn median_odd_even() {
        assert_eq!(median(&mut [3, 1, 2]), Some(2));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn clamp_band() {
        assert_eq!(clamp_to_band(150, 100, 1_000), 110);
        assert_eq!(clamp_to_band(50, 100, 1_000), 90);
        assert_eq!(clamp_to_band(105, 100, 1_000), 105);
    }

    proptest! {
        #[test]
        fn median_is_order_statistic(mut v in proptest::collection::vec(0u64..1_000_000, 1..9)) {
            let m = median(&mut v.clone()).unwrap();
            let below = v.iter().filter(|&&x| x <= m).count();
            let above = v.iter().filter(|&&x| x >= m).count();
            prop_assert!(below * 2 >= v.len() && above * 2 >= v.len());
            v.sort();
            prop_assert!(m >= v[0] && m <= v[v.len() - 1]);
        }

        #[test]
        fn deviation_is_strict(a in 1u64..u64::MAX / 2, b in 1u64..u64::MAX / 2) {
            let d = deviation_bps(a, b, b).unwrap();
            // Rounded up: never reports less than the true deviation.
            prop_assert!((d as u128) * (b as u128) >= (a as u128).abs_diff(b as u128) * BPS);
        }
    }
}
