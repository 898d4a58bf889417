//! Real data shipped with the repository: oracle account snapshots and the
//! Q1-2023 BTC candles (in `scenarios/q1-2023/`).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use anchor_lang::prelude::Pubkey;
use anyhow::Context;

/// `tests/fixtures` of this checkout, or `$RAMPART_FIXTURES`.
pub fn fixtures_dir() -> PathBuf {
    std::env::var_os("RAMPART_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures"))
}

/// Raw bytes of a real oracle account, named `<kind>_<pubkey>.bin`.
pub struct OracleSnapshot {
    pub address: Pubkey,
    pub data: Vec<u8>,
}

pub fn oracle_snapshot(kind: &str, address: &str) -> anyhow::Result<OracleSnapshot> {
    let path = fixtures_dir()
        .join("oracle-accounts")
        .join(format!("{kind}_{address}.bin"));
    let data = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(OracleSnapshot {
        address: Pubkey::from_str(address)?,
        data,
    })
}

/// A 5-minute candle, prices as mantissas with exponent [`CANDLE_EXPO`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candle {
    /// Candle open time; the close is observed at `ts + 300`.
    pub ts: i64,
    pub high: i64,
    pub low: i64,
    pub close: i64,
}

pub const CANDLE_EXPO: i32 = -8;
pub const CANDLE_SECS: i64 = 300;

/// A price as a mantissa at [`CANDLE_EXPO`].
pub fn mantissa(p: f64) -> i64 {
    (p * 10f64.powi(-CANDLE_EXPO)).round() as i64
}

/// A Q1-2023 Kraken pair (`XBTUSD`, `XBTUSDT`, `XBTUSDC`) from
/// `scenarios/q1-2023/`, as mantissas at [`CANDLE_EXPO`].
pub fn btc_candles(pair: &str) -> anyhow::Result<Vec<Candle>> {
    let series = crate::price_files::load(
        &crate::stress::scenarios_dir()
            .join("q1-2023")
            .join(format!("{pair}_5.csv")),
    )?;
    series
        .points
        .iter()
        .map(|o| {
            let (high, low) = o.range.context("a Kraken candle has a high and a low")?;
            Ok(Candle {
                ts: o.ts - CANDLE_SECS,
                high: mantissa(high),
                low: mantissa(low),
                close: mantissa(o.price),
            })
        })
        .collect()
}
