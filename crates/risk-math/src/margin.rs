//! Margin risk formulas: conservative valuation, health, the adaptive
//! maintenance ratio, partial-liquidation sizing, the liquidation fee ramp
//! and bad-debt coverage. Pure functions, shared by the margin program, the
//! simulator and the client so all three agree to the unit.
//!
//! Units: token amounts are integers with the token's decimals; prices are
//! WAD quote units per whole token; values and ratios are WAD. Every lossy
//! step rounds against the account (assets down, liabilities up).

use crate::fixed::{mul_div, pow10, sqrt_wad, MathError, MathResult, Rounding, WAD};

const BPS: u128 = 10_000;

/// An oracle reading for valuation, WAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceInput {
    pub spot: u128,
    /// None when the TWAP window is not covered.
    pub twap: Option<u128>,
    pub conf: u128,
}

/// Prices for the initial requirement: assets at min(spot, TWAP, spot - k·conf),
/// liabilities at max(spot, TWAP, spot + k·conf). `conf_mult` is k, WAD.
pub fn conservative_prices(p: &PriceInput, conf_mult: u128) -> MathResult<(u128, u128)> {
    let band = mul_div(p.conf, conf_mult, WAD, Rounding::Up)?;
    let twap = p.twap.unwrap_or(p.spot);
    let asset = p.spot.min(twap).min(p.spot.saturating_sub(band));
    let liability = p
        .spot
        .max(twap)
        .max(p.spot.checked_add(band).ok_or(MathError::Overflow)?);
    Ok((asset, liability))
}

/// Value of `amount` tokens at `price`, rounded the given way.
pub fn token_value(amount: u64, decimals: u8, price: u128, rounding: Rounding) -> MathResult<u128> {
    mul_div(amount as u128, price, pow10(decimals as u32)?, rounding)
}

/// Tokens worth `value` at `price`, rounded the given way.
pub fn tokens_for_value(
    value: u128,
    decimals: u8,
    price: u128,
    rounding: Rounding,
) -> MathResult<u64> {
    let t = mul_div(value, pow10(decimals as u32)?, price, rounding)?;
    u64::try_from(t).map_err(|_| MathError::Overflow)
}

/// One balance of an account, already priced for the requirement at hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balance {
    pub amount: u64,
    pub decimals: u8,
    pub price: u128,
    pub is_liability: bool,
    /// Assets count for value × (1 - haircut); liabilities need value × (1 + ratio). WAD.
    pub haircut_or_ratio: u128,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Health {
    /// Weighted assets, WAD quote.
    pub assets: u128,
    /// Weighted liabilities, WAD quote.
    pub liabilities: u128,
}

impl Health {
    /// Assets minus liabilities (negative: below the requirement).
    pub fn margin(&self) -> i128 {
        self.assets as i128 - self.liabilities as i128
    }

    pub fn is_healthy(&self) -> bool {
        self.assets >= self.liabilities
    }
}

/// Weighted health of `balances`, rounding against the account.
pub fn health(balances: &[Balance]) -> MathResult<Health> {
    let mut h = Health::default();
    for b in balances {
        if b.is_liability {
            let v = token_value(b.amount, b.decimals, b.price, Rounding::Up)?;
            let w = mul_div(v, WAD + b.haircut_or_ratio, WAD, Rounding::Up)?;
            h.liabilities = h.liabilities.checked_add(w).ok_or(MathError::Overflow)?;
        } else {
            let v = token_value(b.amount, b.decimals, b.price, Rounding::Down)?;
            let w = mul_div(
                v,
                WAD.saturating_sub(b.haircut_or_ratio),
                WAD,
                Rounding::Down,
            )?;
            h.assets = h.assets.checked_add(w).ok_or(MathError::Overflow)?;
        }
    }
    Ok(h)
}

/// Health at the worse of two consistent price sets: each balance's own
/// price, and `alternative[i]` for balance `i` (e.g. every asset at spot,
/// then every asset at its TWAP). Never mixes the two within one account,
/// so a hedged account (collateral and debt that move together) is judged
/// on prices that can hold at once.
pub fn health_at_worse_of(balances: &[Balance], alternative: &[u128]) -> MathResult<Health> {
    let first = health(balances)?;
    let mut second = Health::default();
    for (b, price) in balances.iter().zip(alternative) {
        let one = health(&[Balance {
            price: *price,
            ..*b
        }])?;
        second.assets = second
            .assets
            .checked_add(one.assets)
            .ok_or(MathError::Overflow)?;
        second.liabilities = second
            .liabilities
            .checked_add(one.liabilities)
            .ok_or(MathError::Overflow)?;
    }
    Ok(if second.margin() < first.margin() {
        second
    } else {
        first
    })
}

/// Governance-set shape of the adaptive maintenance ratio, WAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdaptiveParams {
    pub base: u128,
    /// Weight of σ·sqrt(horizon).
    pub vol_mult: u128,
    /// Weight of the congestion excess (slot time above target, as a fraction).
    pub congestion_mult: u128,
    /// Time a liquidation is expected to take, seconds.
    pub horizon_secs: u64,
    pub min: u128,
    pub max: u128,
    /// Largest change of the effective ratio per slot.
    pub max_change_per_slot: u128,
}

/// The effective ratio and why: shown to users so a change is explainable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdaptiveRatio {
    pub base: u128,
    pub vol_component: u128,
    pub congestion_component: u128,
    /// base + components, clamped to [min, max].
    pub target: u128,
}

/// Target ratio = base + vol_mult·σ·sqrt(horizon) + congestion_mult·excess,
/// clamped. `variance_per_sec` is the feed's EWMA variance (WAD); congestion
/// is observed slot time vs target in bps (10_000 = on target).
pub fn adaptive_target(
    p: &AdaptiveParams,
    variance_per_sec: u128,
    congestion_bps: u64,
) -> MathResult<AdaptiveRatio> {
    let horizon_var = variance_per_sec
        .checked_mul(p.horizon_secs as u128)
        .ok_or(MathError::Overflow)?;
    let vol_component = mul_div(p.vol_mult, sqrt_wad(horizon_var), WAD, Rounding::Up)?;
    let excess = mul_div(
        (congestion_bps as u128).saturating_sub(BPS),
        WAD,
        BPS,
        Rounding::Up,
    )?;
    let congestion_component = mul_div(p.congestion_mult, excess, WAD, Rounding::Up)?;
    let raw = p
        .base
        .saturating_add(vol_component)
        .saturating_add(congestion_component);
    Ok(AdaptiveRatio {
        base: p.base,
        vol_component,
        congestion_component,
        target: raw.clamp(p.min, p.max),
    })
}

/// Move the effective ratio from `current` toward `target`, by at most
/// `max_change_per_slot` per elapsed slot, so it cannot jump on users.
pub fn rate_limited(
    current: u128,
    target: u128,
    slots_elapsed: u64,
    max_change_per_slot: u128,
) -> u128 {
    let step = max_change_per_slot.saturating_mul(slots_elapsed as u128);
    if target > current {
        current.saturating_add(step).min(target)
    } else {
        current.saturating_sub(step).max(target)
    }
}

/// Liquidator fee, WAD of repaid value: rises linearly with the slots the
/// account has been liquidatable, up to a cap, so liquidators are paid
/// more only when nobody acts (Drift-style).
pub fn liquidation_fee(base: u128, per_slot: u128, cap: u128, slots_liquidatable: u64) -> u128 {
    base.saturating_add(per_slot.saturating_mul(slots_liquidatable as u128))
        .min(cap)
}

/// One liability repaid against one collateral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiquidationPair {
    /// Maintenance-weighted health before, WAD (negative when liquidatable).
    pub margin: i128,
    pub liability_amount: u64,
    pub liability_decimals: u8,
    pub liability_price: u128,
    /// Maintenance ratio of the liability.
    pub liability_ratio: u128,
    pub collateral_amount: u64,
    pub collateral_decimals: u8,
    pub collateral_price: u128,
    /// Maintenance haircut of the collateral.
    pub collateral_haircut: u128,
    /// Liquidator fee, WAD of repaid value.
    pub fee: u128,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiquidationSize {
    /// Liability tokens the liquidator repays.
    pub repay: u64,
    /// Collateral tokens the account gives up (repaid value plus fee).
    pub seize: u64,
}

/// How much to liquidate: just enough to bring the maintenance margin up to
/// `buffer` (WAD), or everything when what would remain is below
/// `min_remaining_value` (small accounts are closed, not nibbled). None when
/// the account is not liquidatable or the fee would leave health no better.
pub fn liquidation_size(
    p: &LiquidationPair,
    buffer: u128,
    min_remaining_value: u128,
) -> MathResult<Option<LiquidationSize>> {
    if p.margin >= 0 || p.liability_amount == 0 || p.collateral_amount == 0 {
        return Ok(None);
    }
    // Each unit of repaid value frees (1 + ratio) of requirement and costs
    // (1 + fee)(1 - haircut) of weighted collateral.
    let freed = WAD + p.liability_ratio;
    let cost = mul_div(
        WAD + p.fee,
        WAD.saturating_sub(p.collateral_haircut),
        WAD,
        Rounding::Up,
    )?;
    if freed <= cost {
        return Ok(None);
    }
    let gain_per_value = freed - cost;
    let shortfall = p
        .margin
        .unsigned_abs()
        .checked_add(buffer)
        .ok_or(MathError::Overflow)?;
    let needed_value = mul_div(shortfall, WAD, gain_per_value, Rounding::Up)?;

    let debt_value = token_value(
        p.liability_amount,
        p.liability_decimals,
        p.liability_price,
        Rounding::Up,
    )?;
    let collateral_value = token_value(
        p.collateral_amount,
        p.collateral_decimals,
        p.collateral_price,
        Rounding::Down,
    )?;
    // Repaid value is limited by the debt and by what the collateral can pay for with the fee.
    let payable = mul_div(collateral_value, WAD, WAD + p.fee, Rounding::Down)?;
    let mut repay_value = needed_value.min(debt_value).min(payable);
    if debt_value.saturating_sub(repay_value) < min_remaining_value {
        repay_value = debt_value.min(payable);
    }
    let repay = tokens_for_value(
        repay_value,
        p.liability_decimals,
        p.liability_price,
        Rounding::Up,
    )?
    .min(p.liability_amount);
    Ok(Some(LiquidationSize {
        repay,
        seize: seize_for(p, repay)?,
    }))
}

/// Collateral tokens owed for repaying `repay` liability tokens: the repaid
/// value plus the fee, rounded down (the liquidator is never paid for a
/// fraction it did not repay), at most the collateral held.
pub fn seize_for(p: &LiquidationPair, repay: u64) -> MathResult<u64> {
    let repaid_value = token_value(
        repay,
        p.liability_decimals,
        p.liability_price,
        Rounding::Down,
    )?;
    let seize_value = mul_div(repaid_value, WAD + p.fee, WAD, Rounding::Down)?;
    Ok(tokens_for_value(
        seize_value,
        p.collateral_decimals,
        p.collateral_price,
        Rounding::Down,
    )?
    .min(p.collateral_amount))
}

/// Split a fee (in collateral tokens) between the liquidator and the
/// insurance fund; the fund's share rounds up.
pub fn split_fee(fee_tokens: u64, insurance_share: u128) -> MathResult<(u64, u64)> {
    let to_fund = u64::try_from(mul_div(
        fee_tokens as u128,
        insurance_share.min(WAD),
        WAD,
        Rounding::Up,
    )?)
    .map_err(|_| MathError::Overflow)?;
    Ok((fee_tokens - to_fund, to_fund))
}

/// Settlement of `debt` liability tokens against `held` collateral tokens
/// at fixed prices (the last valid TWAPs under Shutdown): no fee, rounding
/// against the account. When the collateral does not cover the debt, all
/// of it is taken for as much debt as it pays for; the rest is bad debt.
#[allow(clippy::too_many_arguments)]
pub fn settlement_size(
    debt: u64,
    debt_decimals: u8,
    debt_price: u128,
    held: u64,
    held_decimals: u8,
    held_price: u128,
) -> MathResult<LiquidationSize> {
    let debt_value = token_value(debt, debt_decimals, debt_price, Rounding::Up)?;
    let held_value = token_value(held, held_decimals, held_price, Rounding::Down)?;
    if held_value >= debt_value {
        let seize = tokens_for_value(debt_value, held_decimals, held_price, Rounding::Up)?;
        return Ok(LiquidationSize {
            repay: debt,
            seize: seize.min(held),
        });
    }
    let repay = tokens_for_value(held_value, debt_decimals, debt_price, Rounding::Down)?;
    Ok(LiquidationSize {
        repay: repay.min(debt),
        seize: held,
    })
}

/// Bad debt (tokens) covered from the insurance fund first; the rest is
/// socialised across lenders. Returns (from_fund, socialised).
pub fn cover_bad_debt(bad_debt: u64, insurance_balance: u64) -> (u64, u64) {
    let from_fund = bad_debt.min(insurance_balance);
    (from_fund, bad_debt - from_fund)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const USDC: u8 = 6;
    const BTC: u8 = 8;

    fn pct(p: u128) -> u128 {
        p * WAD / 100
    }

    #[test]
    fn settlement_takes_collateral_worth_the_debt_or_all_of_it() {
        // 30,000 USDC of debt against 2 BTC at 25,000: 1.2 BTC, rounded up.
        let s = settlement_size(30_000_000_000, USDC, WAD, 200_000_000, BTC, 25_000 * WAD).unwrap();
        assert_eq!(
            s,
            LiquidationSize {
                repay: 30_000_000_000,
                seize: 120_000_000
            }
        );
        // One unit of debt still costs one whole satoshi.
        let s = settlement_size(1, USDC, WAD, 200_000_000, BTC, 25_000 * WAD).unwrap();
        assert_eq!(s.seize, 1);
        // Underwater: all 1 BTC for the 12,000 USDC it is worth; 18,000 left as bad debt.
        let s = settlement_size(30_000_000_000, USDC, WAD, 100_000_000, BTC, 12_000 * WAD).unwrap();
        assert_eq!(
            s,
            LiquidationSize {
                repay: 12_000_000_000,
                seize: 100_000_000
            }
        );
    }

    proptest! {
        /// The settler never pays more value than it receives, and the
        /// account gives up at most one collateral unit beyond the debt's value.
        #[test]
        fn settlement_rounds_against_the_account(
            debt in 1u64..10_000_000_000_000, held in 1u64..100_000_000_000,
            btc_price in 1_000u128..200_000,
        ) {
            let cp = btc_price * WAD;
            let s = settlement_size(debt, USDC, WAD, held, BTC, cp).unwrap();
            prop_assert!(s.repay <= debt && s.seize <= held);
            let paid = token_value(s.repay, USDC, WAD, Rounding::Up).unwrap();
            let got = token_value(s.seize, BTC, cp, Rounding::Down).unwrap();
            prop_assert!(got + cp / 100_000_000 >= paid);
            if s.repay == debt {
                let one_more = token_value(s.seize.saturating_sub(1), BTC, cp, Rounding::Up).unwrap();
                prop_assert!(s.seize == held || one_more <= paid);
            } else {
                prop_assert_eq!(s.seize, held);
            }
        }
    }

    #[test]
    fn worse_of_two_consistent_price_sets_never_mixes_them() {
        // 5 units of a staked token against 4 of its base, both down 20%:
        // spot 0.8 each, TWAP still 1.0 each.
        let bal = |amount: u64, price: u128, is_liability: bool| Balance {
            amount,
            decimals: 0,
            price,
            is_liability,
            haircut_or_ratio: 0,
        };
        let spot = [bal(5, 8 * WAD / 10, false), bal(4, 8 * WAD / 10, true)];
        let h = health_at_worse_of(&spot, &[WAD, WAD]).unwrap();
        // At spot 4.0 - 3.2; at TWAP 5 - 4: the worse is spot, 0.8.
        assert_eq!(h.margin(), (8 * WAD / 10) as i128);
        // Mixing (assets at spot, debt at TWAP) would have said 0.
        let mixed = health(&[spot[0], bal(4, WAD, true)]).unwrap();
        assert_eq!(mixed.margin(), 0);
        // Unhedged: BTC collateral at spot below its TWAP is the worse set.
        let long = [bal(1, 24 * WAD, false), bal(21, WAD, true)];
        let h = health_at_worse_of(&long, &[30 * WAD, WAD]).unwrap();
        assert_eq!(h.margin(), 3 * WAD as i128);
    }

    #[test]
    fn conservative_prices_take_the_worse_side() {
        let p = PriceInput {
            spot: 100 * WAD,
            twap: Some(98 * WAD),
            conf: WAD,
        };
        assert_eq!(
            conservative_prices(&p, 2 * WAD).unwrap(),
            (98 * WAD, 102 * WAD)
        );
        let p = PriceInput {
            twap: Some(103 * WAD),
            ..p
        };
        assert_eq!(
            conservative_prices(&p, 2 * WAD).unwrap(),
            (98 * WAD, 103 * WAD)
        );
        let p = PriceInput { twap: None, ..p };
        assert_eq!(conservative_prices(&p, 0).unwrap(), (100 * WAD, 100 * WAD));
    }

    #[test]
    fn health_rounds_against_the_account() {
        // 1,000 USDC at haircut 0 against 0.01 BTC at 30,000 with ratio 10%.
        let h = health(&[
            Balance {
                amount: 1_000_000_000,
                decimals: USDC,
                price: WAD,
                is_liability: false,
                haircut_or_ratio: 0,
            },
            Balance {
                amount: 1_000_000,
                decimals: BTC,
                price: 30_000 * WAD,
                is_liability: true,
                haircut_or_ratio: pct(10),
            },
        ])
        .unwrap();
        assert_eq!(h.assets, 1_000 * WAD);
        assert_eq!(h.liabilities, 330 * WAD);
        assert!(h.is_healthy());
    }

    #[test]
    fn adaptive_ratio_shows_its_components() {
        let p = AdaptiveParams {
            base: pct(5),
            vol_mult: 2 * WAD,
            congestion_mult: pct(10),
            horizon_secs: 3_600,
            min: pct(5),
            max: pct(20),
            max_change_per_slot: WAD / 100_000,
        };
        let calm = adaptive_target(
            &p,
            crate::volatility::variance_from_annual_bps(3_000),
            10_000,
        )
        .unwrap();
        // 30% annual over 1 h: σ·sqrt(h) = 0.3 * sqrt(3600/31536000) = 0.32%; x2 = 0.64%.
        assert!(
            calm.vol_component.abs_diff(6_410_000_000_000_000) < 10_000_000_000_000,
            "{calm:?}"
        );
        assert_eq!(calm.congestion_component, 0);
        let stressed = adaptive_target(
            &p,
            crate::volatility::variance_from_annual_bps(15_000),
            30_000,
        )
        .unwrap();
        // Slots at 3x target: excess 2.0 x 10% = 20% alone; clamped to max.
        assert_eq!(stressed.congestion_component, pct(20));
        assert_eq!(stressed.target, pct(20));
        // It moves there by at most 1e-5 per slot.
        assert_eq!(
            rate_limited(calm.target, stressed.target, 100, p.max_change_per_slot),
            calm.target + WAD / 1_000
        );
        assert_eq!(
            rate_limited(
                calm.target,
                stressed.target,
                1_000_000,
                p.max_change_per_slot
            ),
            pct(20)
        );
    }

    #[test]
    fn fee_ramp_and_insurance() {
        assert_eq!(liquidation_fee(pct(1), WAD / 10_000, pct(5), 0), pct(1));
        assert_eq!(liquidation_fee(pct(1), WAD / 10_000, pct(5), 100), pct(2));
        assert_eq!(
            liquidation_fee(pct(1), WAD / 10_000, pct(5), 1_000_000),
            pct(5)
        );
        assert_eq!(split_fee(101, pct(50)).unwrap(), (50, 51));
        assert_eq!(cover_bad_debt(700, 500), (500, 200));
        assert_eq!(cover_bad_debt(300, 500), (300, 0));
    }

    /// An account: BTC collateral against a USDC borrow.
    fn pair(
        btc: u64,
        usdc_debt: u64,
        btc_price: u128,
        haircut: u128,
        ratio: u128,
        fee: u128,
    ) -> (LiquidationPair, Health) {
        let balances = [
            Balance {
                amount: btc,
                decimals: BTC,
                price: btc_price,
                is_liability: false,
                haircut_or_ratio: haircut,
            },
            Balance {
                amount: usdc_debt,
                decimals: USDC,
                price: WAD,
                is_liability: true,
                haircut_or_ratio: ratio,
            },
        ];
        let h = health(&balances).unwrap();
        let p = LiquidationPair {
            margin: h.margin(),
            liability_amount: usdc_debt,
            liability_decimals: USDC,
            liability_price: WAD,
            liability_ratio: ratio,
            collateral_amount: btc,
            collateral_decimals: BTC,
            collateral_price: btc_price,
            collateral_haircut: haircut,
            fee,
        };
        (p, h)
    }

    fn after(p: &LiquidationPair, s: &LiquidationSize) -> Health {
        health(&[
            Balance {
                amount: p.collateral_amount - s.seize,
                decimals: BTC,
                price: p.collateral_price,
                is_liability: false,
                haircut_or_ratio: p.collateral_haircut,
            },
            Balance {
                amount: p.liability_amount - s.repay,
                decimals: USDC,
                price: WAD,
                is_liability: true,
                haircut_or_ratio: p.liability_ratio,
            },
        ])
        .unwrap()
    }

    #[test]
    fn healthy_accounts_are_not_liquidated() {
        let (p, h) = pair(
            100_000_000,
            10_000_000_000,
            30_000 * WAD,
            pct(10),
            pct(5),
            pct(2),
        );
        assert!(h.is_healthy());
        assert_eq!(liquidation_size(&p, WAD, 0).unwrap(), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// A partial liquidation improves maintenance health, does not
        /// overshoot the buffer by more than rounding, and moves value
        /// exactly: seized collateral value = repaid value × (1 + fee), to
        /// the token unit, rounded in the protocol's favour.
        #[test]
        fn partial_liquidation_restores_without_overshoot(
            btc in 10_000_000u64..1_000_000_000,           // 0.1 - 10 BTC
            excess_per_mille in 1u128..200,                // debt past the maintenance threshold
            price in 10_000u128..100_000,
            haircut in 0u128..20, ratio in 1u128..15, fee in 0u128..5,
        ) {
            let price = price * WAD;
            let value = token_value(btc, BTC, price, Rounding::Down).unwrap();
            // Liquidatable when debt·(1 + ratio) > value·(1 - haircut).
            let threshold = mul_div(value, WAD - pct(haircut), WAD + pct(ratio), Rounding::Up).unwrap();
            let debt_value = mul_div(threshold, 1_000 + excess_per_mille, 1_000, Rounding::Up).unwrap();
            let debt = tokens_for_value(debt_value, USDC, WAD, Rounding::Up).unwrap();
            let (p, h) = pair(btc, debt, price, pct(haircut), pct(ratio), pct(fee));
            prop_assert!(!h.is_healthy());
            let buffer = WAD; // one dollar above maintenance
            match liquidation_size(&p, buffer, 0).unwrap() {
                None => {
                    // Only when the fee eats more than the liquidation frees.
                    let cost = mul_div(WAD + p.fee, WAD - p.collateral_haircut, WAD, Rounding::Up).unwrap();
                    prop_assert!(WAD + p.liability_ratio <= cost);
                }
                Some(s) => {
                    let h2 = after(&p, &s);
                    prop_assert!(h2.margin() > h.margin(), "health must improve");
                    let whole = s.repay == p.liability_amount || s.seize == p.collateral_amount;
                    if !whole {
                        // Within one token unit of each side of the buffer: the
                        // repay rounds up by at most one liability unit and the
                        // seize rounds down by at most one collateral unit.
                        let unit = (token_value(1, BTC, price, Rounding::Up).unwrap() + 2 * token_value(1, USDC, WAD, Rounding::Up).unwrap()) as i128;
                        prop_assert!(h2.margin() >= buffer as i128 - unit, "restored: {}", h2.margin());
                        prop_assert!(h2.margin() <= buffer as i128 + unit, "overshoot: {}", h2.margin());
                    }
                    let repaid = token_value(s.repay, USDC, WAD, Rounding::Down).unwrap();
                    let seized = token_value(s.seize, BTC, price, Rounding::Down).unwrap();
                    let owed = mul_div(repaid, WAD + p.fee, WAD, Rounding::Down).unwrap();
                    prop_assert!(seized <= owed, "liquidator over-paid: {seized} > {owed}");
                    // ...and short by less than one collateral token.
                    prop_assert!(owed - seized <= token_value(1, BTC, price, Rounding::Up).unwrap());
                }
            }
        }

        #[test]
        fn adaptive_target_is_monotone_and_bounded(var_a in 0u128..100_000_000_000, var_b in 0u128..100_000_000_000, c_a in 0u64..50_000, c_b in 0u64..50_000) {
            let p = AdaptiveParams { base: pct(4), vol_mult: 3 * WAD, congestion_mult: pct(5), horizon_secs: 1_800, min: pct(3), max: pct(25), max_change_per_slot: 1 };
            let a = adaptive_target(&p, var_a.min(var_b), c_a.min(c_b)).unwrap();
            let b = adaptive_target(&p, var_a.max(var_b), c_a.max(c_b)).unwrap();
            prop_assert!(a.target <= b.target);
            prop_assert!(a.target >= p.min && b.target <= p.max);
        }

        #[test]
        fn rate_limit_never_exceeds_its_step(cur in 0u128..WAD, target in 0u128..WAD, slots in 0u64..10_000, step in 0u128..WAD / 1_000) {
            let next = rate_limited(cur, target, slots, step);
            prop_assert!(next.abs_diff(cur) <= step * slots as u128);
            prop_assert!(next.abs_diff(target) <= cur.abs_diff(target));
        }
    }
}
