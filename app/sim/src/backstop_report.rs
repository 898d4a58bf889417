//! How much capital a liquidation buffer needs: the banded backstop versus
//! a full-range constant-product pool (x·y = k), on the same liquidation
//! flow, and what the liquidated accounts get from each.
//!
//! The flow comes from a seeded population of BTC-collateralised USDC
//! borrowers under the margin program's own rules (BTC counts 90% at
//! maintenance, debt 105%, sized by `risk_math::margin::liquidation_size`
//! with the 2% base fee), driven by a price path: the real Q1-2023 Kraken
//! BTC/USD candles (accounts open through the quarter at up to the initial
//! limit, so the March drawdown catches the late ones) or a synthetic crash.
//!
//! The model, stated so the ratio can be judged:
//! - Both buffers are refilled between bursts (LPs or arbitrage restore
//!   them); a burst is everything liquidated within one hour. Each must
//!   absorb the largest burst alone.
//! - Banded: the quote it pays for the burst, counted at the oracle price
//!   (no discount credited: an upper bound).
//! - Constant product: selling X collateral into reserves (x, y) executes
//!   on average at y/(x+X), a discount of X/(x+X) to the pool price, taken
//!   as the oracle price. Keeping that within 5% needs x ≥ 19·X, i.e. a
//!   quote reserve of 19× the burst value (and as much again in collateral
//!   for the full-range position). Only the quote side is compared.

use risk_math::backstop::{absorb, unit_price, AbsorbLimits, Band, Stake};
use risk_math::margin::{liquidation_size, token_value, LiquidationPair};
use risk_math::{Rounding, WAD};

use crate::fixtures::{btc_candles, CANDLE_EXPO};

/// The discount both buffers must stay within.
pub const MAX_DISCOUNT_BPS: u16 = 500;
/// The bands margin sells into: no deeper than the 2% open-liquidation
/// fee (`liquidate_with_backstop` caps the discount at the current fee).
const BANDS_BPS: [u16; 3] = [50, 100, 200];
const BURST_SECS: i64 = 3_600;
const OPEN_FEE_BPS: u64 = 200;

/// One price point of a scenario: the time and the candle low (USD, WAD).
#[derive(Debug, Clone, Copy)]
pub struct PricePoint {
    pub ts: i64,
    pub price: u128,
}

#[derive(Debug, Clone, Copy)]
struct Sale {
    ts: i64,
    sats: u64,
    /// Oracle price when sold, USD per BTC, WAD.
    price: u128,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Efficiency {
    pub scenario: String,
    pub accounts: usize,
    pub liquidations: usize,
    /// Value of all collateral sold, USD.
    pub sold_usd: f64,
    /// The largest one-hour burst, USD.
    pub largest_burst_usd: f64,
    /// Quote capital the banded backstop needs (the largest burst).
    pub banded_capital_usd: f64,
    /// Quote reserve a constant-product pool needs to keep slippage within 5%.
    pub cpmm_quote_usd: f64,
    pub ratio: f64,
    /// Liquidated accounts' average discount to the oracle price, bps:
    /// through the backstop (capital = the largest burst, spread evenly
    /// over the 0.5%, 1% and 2% bands; what they cannot take goes to open
    /// liquidators), to open liquidators only (the 2% base fee), and into a
    /// constant-product pool holding the same quote capital.
    pub discount_backstop_bps: f64,
    pub discount_open_bps: f64,
    pub discount_cpmm_same_capital_bps: f64,
}

/// A deterministic xorshift generator (no dependency, same on every machine).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [lo, hi).
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

#[derive(Debug, Clone, Copy)]
struct Borrower {
    opens_at: i64,
    sats: u64,
    debt: u64,
}

/// Borrowers opening at `opens` (times) with 0.1-10 BTC and a debt of
/// 55%-72.7% of the collateral value (72.7% is the initial limit: 80%
/// haircut over a 110% requirement).
fn population(n: usize, seed: u64, opens: &[PricePoint]) -> Vec<Borrower> {
    let mut rng = Rng(seed.max(1));
    (0..n)
        .map(|_| {
            let at = opens[rng.between(0, opens.len() as u64) as usize];
            let sats = rng.between(10_000_000, 1_000_000_000);
            let ltv_bps = rng.between(5_500, 7_270) as u128;
            let value = token_value(sats, 8, at.price, Rounding::Down).unwrap_or(0);
            let debt = (value * ltv_bps / 10_000 / (WAD / 1_000_000)) as u64;
            Borrower {
                opens_at: at.ts,
                sats,
                debt,
            }
        })
        .collect()
}

/// Run the population through the price path; every liquidation is a sale.
fn liquidation_flow(path: &[PricePoint], borrowers: &mut [Borrower]) -> Vec<Sale> {
    let fee = WAD * OPEN_FEE_BPS as u128 / 10_000;
    let mut sales = vec![];
    for point in path {
        for b in borrowers.iter_mut().filter(|b| b.opens_at <= point.ts) {
            if b.debt == 0 || b.sats == 0 {
                continue;
            }
            let collateral = token_value(b.sats, 8, point.price, Rounding::Down).unwrap_or(0);
            let debt = token_value(b.debt, 6, WAD, Rounding::Up).unwrap_or(u128::MAX);
            let margin = (collateral * 9 / 10) as i128 - (debt * 105 / 100) as i128;
            let pair = LiquidationPair {
                margin,
                liability_amount: b.debt,
                liability_decimals: 6,
                liability_price: WAD,
                liability_ratio: WAD / 20,
                collateral_amount: b.sats,
                collateral_decimals: 8,
                collateral_price: point.price,
                collateral_haircut: WAD / 10,
                fee,
            };
            if let Ok(Some(size)) = liquidation_size(&pair, 10 * WAD, 50 * WAD) {
                b.debt -= size.repay;
                b.sats -= size.seize;
                sales.push(Sale {
                    ts: point.ts,
                    sats: size.seize,
                    price: point.price,
                });
            }
        }
    }
    sales
}

fn usd(sale: &Sale) -> f64 {
    token_value(sale.sats, 8, sale.price, Rounding::Down).unwrap_or(0) as f64 / WAD as f64
}

/// Sales grouped into one-hour bursts, in time order.
fn bursts(sales: &[Sale]) -> Vec<Vec<Sale>> {
    let mut out: Vec<Vec<Sale>> = vec![];
    for s in sales {
        match out.last_mut() {
            Some(burst) if burst[0].ts / BURST_SECS == s.ts / BURST_SECS => burst.push(*s),
            _ => out.push(vec![*s]),
        }
    }
    out
}

/// Value-weighted average discount (bps) of the bursts sold into fresh
/// bands holding `capital` USD, spread evenly. What the bands cannot take
/// goes to open liquidators at the base fee.
fn backstop_discount(bursts: &[Vec<Sale>], capital: f64) -> f64 {
    let per_band = (capital * 1e6 / BANDS_BPS.len() as f64) as u64;
    let (mut weighted, mut total) = (0f64, 0f64);
    for burst in bursts {
        let mut bands: Vec<Band> = BANDS_BPS.iter().map(|d| Band::new(*d)).collect();
        for band in bands.iter_mut() {
            let _ = band.touch(&mut Stake::default(), per_band, 0);
        }
        for sale in burst {
            let value = usd(sale);
            let unit = unit_price(sale.price, 8, 6).unwrap_or(0);
            let limits = AbsorbLimits {
                max_collateral: sale.sats,
                max_quote: u64::MAX,
                max_discount_bps: OPEN_FEE_BPS as u16,
            };
            let fills = absorb(&mut bands, unit, limits).unwrap_or_default();
            let (paid, sold): (u64, u64) = fills
                .iter()
                .fold((0, 0), |(q, c), f| (q + f.quote, c + f.collateral));
            let sold_value = value * sold as f64 / sale.sats as f64;
            let open_value = value - sold_value;
            weighted +=
                (sold_value - paid as f64 / 1e6) * 10_000.0 + open_value * OPEN_FEE_BPS as f64;
            total += value;
        }
    }
    if total > 0.0 {
        weighted / total
    } else {
        0.0
    }
}

/// Average discount selling each burst into a constant-product pool with
/// `capital` USD of quote reserve: X/(x+X) = V/(capital+V).
fn cpmm_discount(bursts: &[Vec<Sale>], capital: f64) -> f64 {
    let (mut weighted, mut total) = (0f64, 0f64);
    for burst in bursts {
        let v: f64 = burst.iter().map(usd).sum();
        weighted += v * v / (capital + v) * 10_000.0;
        total += v;
    }
    if total > 0.0 {
        weighted / total
    } else {
        0.0
    }
}

/// The study on one price path.
pub fn study(
    scenario: &str,
    path: &[PricePoint],
    opens: &[PricePoint],
    accounts: usize,
    seed: u64,
) -> Efficiency {
    let mut borrowers = population(accounts, seed, opens);
    let sales = liquidation_flow(path, &mut borrowers);
    let bursts = bursts(&sales);
    let largest = bursts
        .iter()
        .map(|b| b.iter().map(usd).sum::<f64>())
        .fold(0f64, f64::max);
    let d = MAX_DISCOUNT_BPS as f64 / 10_000.0;
    let cpmm_quote = largest * (1.0 - d) / d;
    Efficiency {
        scenario: scenario.into(),
        accounts,
        liquidations: sales.len(),
        sold_usd: sales.iter().map(usd).sum(),
        largest_burst_usd: largest,
        banded_capital_usd: largest,
        cpmm_quote_usd: cpmm_quote,
        ratio: if largest > 0.0 {
            cpmm_quote / largest
        } else {
            0.0
        },
        discount_backstop_bps: backstop_discount(&bursts, largest),
        discount_open_bps: OPEN_FEE_BPS as f64,
        discount_cpmm_same_capital_bps: cpmm_discount(&bursts, largest),
    }
}

fn wad(usd: f64) -> u128 {
    (usd * 1e6) as u128 * (WAD / 1_000_000)
}

/// Q1-2023 Kraken BTC/USD 5-minute lows; accounts open at random candles.
pub fn q1_2023_path() -> anyhow::Result<Vec<PricePoint>> {
    let scale = WAD / 10u128.pow((-CANDLE_EXPO) as u32);
    Ok(btc_candles("XBTUSD")?
        .iter()
        .map(|c| PricePoint {
            ts: c.ts,
            price: c.low as u128 * scale,
        })
        .collect())
}

/// 30,000 for an hour, -30% over ten minutes, back to 29,000 in half an hour.
pub fn flash_crash_path() -> Vec<PricePoint> {
    let mut prices: Vec<f64> = vec![30_000.0; 12];
    prices.extend((1..=2).map(|i| 30_000.0 - 4_500.0 * i as f64));
    prices.extend((1..=6).map(|i| 21_000.0 + 8_000.0 * i as f64 / 6.0));
    prices.extend(vec![29_000.0; 12]);
    minutes_path(&prices, 300)
}

/// 30,000 down to 18,000 over seven days, a 5-minute step at a time.
pub fn slow_bleed_path() -> Vec<PricePoint> {
    let steps = 7 * 288;
    let prices: Vec<f64> = (0..=steps)
        .map(|i| 30_000.0 - 12_000.0 * i as f64 / steps as f64)
        .collect();
    minutes_path(&prices, 300)
}

fn minutes_path(prices: &[f64], step_secs: i64) -> Vec<PricePoint> {
    prices
        .iter()
        .enumerate()
        .map(|(i, p)| PricePoint {
            ts: 1_700_000_000 + i as i64 * step_secs,
            price: wad(*p),
        })
        .collect()
}

/// The three scenarios with `accounts` borrowers each.
pub fn all(accounts: usize, seed: u64) -> anyhow::Result<Vec<Efficiency>> {
    let q1 = q1_2023_path()?;
    let crash = flash_crash_path();
    let bleed = slow_bleed_path();
    Ok(vec![
        study("Q1-2023 BTC/USD replay", &q1, &q1, accounts, seed),
        study(
            "flash crash -30% in 10 min",
            &crash,
            &crash[..1],
            accounts,
            seed,
        ),
        study(
            "slow bleed -40% over 7 days",
            &bleed,
            &bleed[..1],
            accounts,
            seed,
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bands_need_at_least_five_times_less_capital_and_pay_better() {
        for e in all(1_000, 7).unwrap() {
            assert!(e.liquidations > 0, "{}: no liquidations", e.scenario);
            assert!(e.ratio >= 5.0, "{}: ratio {}", e.scenario, e.ratio);
            assert!(
                e.discount_backstop_bps < e.discount_open_bps,
                "{}: {} bps",
                e.scenario,
                e.discount_backstop_bps
            );
            assert!(e.discount_cpmm_same_capital_bps > e.discount_backstop_bps);
        }
    }

    #[test]
    fn a_burst_sold_into_a_pool_of_its_own_size_loses_half() {
        let sale = Sale {
            ts: 0,
            sats: 100_000_000,
            price: wad(20_000.0),
        };
        let d = cpmm_discount(&[vec![sale]], 20_000.0);
        assert!((d - 5_000.0).abs() < 1e-6, "{d}");
    }
}
