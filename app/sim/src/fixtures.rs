//! Real data shipped with the repository: oracle account snapshots and the
//! Q1-2023 BTC candles.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use anchor_lang::prelude::Pubkey;
use anyhow::{bail, Context};

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

/// Parse a decimal string into a mantissa at 10^`expo` exactly (no floats).
pub fn parse_decimal(s: &str, expo: i32) -> anyhow::Result<i64> {
    let decimals = (-expo) as usize;
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > decimals || int.is_empty() && frac.is_empty() {
        bail!("'{s}' has more than {decimals} decimals or no digits");
    }
    let digits = format!("{int}{frac:0<decimals$}");
    digits
        .parse::<i64>()
        .with_context(|| format!("'{s}' is not a decimal number"))
}

/// Kraken OHLCVT rows: `unix_time,open,high,low,close,volume,trades`.
pub fn load_candles(path: &Path) -> anyhow::Result<Vec<Candle>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::with_capacity(text.len() / 50);
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row = || -> anyhow::Result<Candle> {
            let f: Vec<&str> = line.split(',').collect();
            if f.len() < 5 {
                bail!("expected 7 comma-separated fields, found {}", f.len());
            }
            Ok(Candle {
                ts: f[0].parse().context("bad unix time")?,
                high: parse_decimal(f[2], CANDLE_EXPO)?,
                low: parse_decimal(f[3], CANDLE_EXPO)?,
                close: parse_decimal(f[4], CANDLE_EXPO)?,
            })
        };
        out.push(row().with_context(|| format!("{}:{}", path.display(), i + 1))?);
    }
    Ok(out)
}

pub fn btc_candles(pair: &str) -> anyhow::Result<Vec<Candle>> {
    load_candles(
        &fixtures_dir()
            .join("kraken-btc-2023q1")
            .join(format!("{pair}_5.csv")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_exactly() {
        assert_eq!(parse_decimal("16535.97", -8).unwrap(), 1_653_597_000_000);
        assert_eq!(parse_decimal("0.5", -2).unwrap(), 50);
        assert_eq!(parse_decimal("7", -1).unwrap(), 70);
        assert!(parse_decimal("1.234", -2).is_err());
        assert!(parse_decimal("abc", -2).is_err());
    }
}
