//! Realized volatility as an exponentially weighted variance of log returns,
//! time-aware so irregular refresh spacing is weighted correctly, and
//! smoothing helpers shared with the congestion estimate.

use crate::fixed::{
    exp_wad, ln_wad, mul_div, sqrt_wad, MathError, MathResult, Rounding, LN2_WAD, WAD,
};

pub const SECONDS_PER_YEAR: u128 = 31_536_000;

/// Weight of a new observation arriving `dt` seconds after the last, for an
/// exponential average with the given half-life: 1 - 2^(-dt / half_life), in WAD.
pub fn decay_weight(dt_secs: u64, half_life_secs: u64) -> MathResult<u128> {
    if half_life_secs == 0 {
        return Err(MathError::DivideByZero);
    }
    let exponent = mul_div(
        LN2_WAD as u128,
        dt_secs as u128,
        half_life_secs as u128,
        Rounding::Down,
    )?;
    let exponent = i128::try_from(exponent).map_err(|_| MathError::Overflow)?;
    let remaining = exp_wad(-exponent)?;
    Ok(WAD - remaining.min(WAD))
}

/// Move `prev` toward `sample` by `weight` (WAD).
pub fn ewma(prev: u128, sample: u128, weight_wad: u128) -> MathResult<u128> {
    if sample >= prev {
        Ok(prev + mul_div(sample - prev, weight_wad, WAD, Rounding::Down)?)
    } else {
        Ok(prev - mul_div(prev - sample, weight_wad, WAD, Rounding::Down)?)
    }
}

/// Squared log return per second, in WAD: ln(p1/p0)^2 / dt.
pub fn squared_return_per_sec(p0: u64, p1: u64, dt_secs: u64) -> MathResult<u128> {
    if p0 == 0 || p1 == 0 {
        return Err(MathError::OutOfDomain);
    }
    if dt_secs == 0 {
        return Err(MathError::DivideByZero);
    }
    let ratio = mul_div(p1 as u128, WAD, p0 as u128, Rounding::Down)?;
    let r = ln_wad(ratio)?.unsigned_abs();
    mul_div(r, r, WAD * dt_secs as u128, Rounding::Down)
}

/// Update the per-second variance estimate with a new price.
pub fn update_variance(
    variance_per_sec: u128,
    p0: u64,
    p1: u64,
    dt_secs: u64,
    half_life_secs: u64,
) -> MathResult<u128> {
    let sample = squared_return_per_sec(p0, p1, dt_secs)?;
    ewma(
        variance_per_sec,
        sample,
        decay_weight(dt_secs, half_life_secs)?,
    )
}

/// Annualised volatility (WAD) from a per-second variance (WAD).
pub fn annualised_vol(variance_per_sec: u128) -> MathResult<u128> {
    Ok(sqrt_wad(
        variance_per_sec
            .checked_mul(SECONDS_PER_YEAR)
            .ok_or(MathError::Overflow)?,
    ))
}

/// Per-second variance (WAD) that corresponds to an annualised vol in bps.
pub fn variance_from_annual_bps(vol_bps: u32) -> u128 {
    let vol = vol_bps as u128 * WAD / 10_000;
    vol * vol / WAD / SECONDS_PER_YEAR
}

/// One standard deviation of the price over `horizon_secs`, in bps of price.
pub fn sigma_bps_over(variance_per_sec: u128, horizon_secs: u64) -> MathResult<u64> {
    let var = variance_per_sec
        .checked_mul(horizon_secs as u128)
        .ok_or(MathError::Overflow)?;
    let sigma = sqrt_wad(var);
    u64::try_from(sigma * 10_000 / WAD).map_err(|_| MathError::Overflow)
}

#[cfg(test)]
#[allow(clippy::float_arithmetic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn half_life_weight_is_half() {
        let w = decay_weight(600, 600).unwrap();
        assert!(w.abs_diff(WAD / 2) < 10);
        assert_eq!(decay_weight(0, 600).unwrap(), 0);
    }

    #[test]
    fn vol_round_trip() {
        let var = variance_from_annual_bps(8_000); // 80% vol
        let vol = annualised_vol(var).unwrap();
        assert!(vol.abs_diff(WAD * 8 / 10) < WAD / 1_000_000);
        // 80% annual over one day is ~4.19%.
        let s = sigma_bps_over(var, 86_400).unwrap();
        assert!((418..=419).contains(&s), "{s}");
    }

    proptest! {
        #[test]
        fn ewma_variance_matches_f64(
            p0 in 1_000u64..1_000_000_000_000, move_bps in 0u64..3_000, up: bool,
            dt in 1u64..3_600, hl in 60u64..86_400, prev in 0u128..1_000_000_000_000,
        ) {
            let p1 = if up { p0 + p0 * move_bps / 10_000 } else { p0 - p0 * move_bps / 10_000 };
            prop_assume!(p1 > 0);
            let got = update_variance(prev, p0, p1, dt, hl).unwrap() as f64 / 1e18;
            let r = (p1 as f64 / p0 as f64).ln();
            let w = 1.0 - 2f64.powf(-(dt as f64) / hl as f64);
            let prev_f = prev as f64 / 1e18;
            let want = prev_f + w * (r * r / dt as f64 - prev_f);
            prop_assert!((got - want).abs() <= want.abs() * 1e-9 + 1e-17, "{got} vs {want}");
        }
    }
}
