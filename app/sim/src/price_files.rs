//! Price histories a user brings, read for `path replay files=...` in a
//! scenario and for `rampart replay --sources ...`. Three formats, told
//! apart by their first line:
//!
//! - **Rampart CSV**: a header `timestamp,price[,confidence]`, then one
//!   observation per row; timestamps in unix seconds or RFC 3339
//!   (`2023-03-10T00:00:00Z`, `2023-03-10 00:00:00+01:00`); confidence in
//!   the price's unit.
//! - **Binance klines**, as data.binance.vision serves them (12 fields:
//!   open time, open, high, low, close, volume, close time, ...; times in
//!   milliseconds, or microseconds in spot files from 2025; a header row is
//!   skipped).
//! - **Kraken OHLCVT**, as Kraken's downloadable history serves it (7
//!   fields: unix time, open, high, low, close, volume, trades; the
//!   interval in minutes is the file name's `_<minutes>` suffix, else the
//!   smallest spacing of the rows).
//!
//! A candle is observed at its close (open time plus its interval), with
//! its high and low kept. Rows must be in strictly increasing time; a row
//! that is malformed is refused with its file, line and field. A gap is
//! real: the source said nothing then, and the replay shows it as stale.

use std::path::{Path, PathBuf};

use anyhow::bail;

/// One observation of a source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    /// Unix seconds at which the price was known (a candle's close).
    pub ts: i64,
    pub price: f64,
    /// The file's own confidence (Rampart CSV only).
    pub conf: Option<f64>,
    /// A candle's (high, low).
    pub range: Option<(f64, f64)>,
}

impl Observation {
    /// The file's confidence, else half the candle's range, else `bps` of
    /// the price.
    pub fn conf_or(&self, bps: f64) -> f64 {
        self.conf
            .or(self.range.map(|(hi, lo)| (hi - lo).max(0.0) / 2.0))
            .unwrap_or(self.price * bps / 10_000.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Rampart,
    BinanceKlines,
    KrakenOhlcvt,
}

/// One source's history.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub path: PathBuf,
    pub format: Format,
    pub points: Vec<Observation>,
}

impl Series {
    /// The file name without its extension (`XBTUSD_5`), for reports.
    pub fn name(&self) -> String {
        self.path.file_stem().map_or_else(
            || self.path.display().to_string(),
            |s| s.to_string_lossy().into_owned(),
        )
    }

    /// The smallest spacing between observations (seconds), the step a
    /// replay takes when the scenario sets none.
    pub fn spacing(&self) -> Option<i64> {
        self.points.windows(2).map(|w| w[1].ts - w[0].ts).min()
    }
}

/// A refused row: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub path: PathBuf,
    pub line: usize,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: field {}: {}",
            self.path.display(),
            self.line,
            self.field,
            self.message
        )
    }
}

impl std::error::Error for RowError {}

/// Read `path` in whichever of the three formats it is.
pub fn load(path: &Path) -> anyhow::Result<Series> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
    Ok(parse(path, &text)?)
}

/// Parse `text` (read from `path`, which names it in errors and may carry
/// Kraken's interval).
pub fn parse(path: &Path, text: &str) -> Result<Series, RowError> {
    let err = |line: usize, field: &str, message: String| RowError {
        path: path.to_path_buf(),
        line,
        field: field.into(),
        message,
    };
    let rows: Vec<(usize, Vec<&str>)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .map(|(n, l)| (n, l.split(',').map(str::trim).collect()))
        .collect();
    let Some((first_line, first)) = rows.first() else {
        return Err(err(1, "timestamp", "the file has no rows".into()));
    };
    let header = first
        .first()
        .is_some_and(|f| f.chars().next().is_some_and(|c| c.is_ascii_alphabetic()));
    let format = match (header, first.len()) {
        (true, _) if first[0].eq_ignore_ascii_case("timestamp") => Format::Rampart,
        (true, 12) | (false, 12) => Format::BinanceKlines,
        (false, 7) => Format::KrakenOhlcvt,
        (true, _) => {
            return Err(err(
                *first_line,
                "header",
                format!(
                    "expected `timestamp,price[,confidence]`, found `{}`",
                    first.join(",")
                ),
            ))
        }
        (false, n) => {
            return Err(err(
                *first_line,
                "header",
                format!(
                    "{n} fields and no header: not a Rampart CSV (header `timestamp,price[,confidence]`), a Binance kline file (12 fields) or a Kraken OHLCVT file (7 fields)"
                ),
            ))
        }
    };
    if format == Format::Rampart {
        let names: Vec<String> = first.iter().map(|f| f.to_ascii_lowercase()).collect();
        let ok = names == ["timestamp", "price"] || names == ["timestamp", "price", "confidence"];
        if !ok {
            return Err(err(
                *first_line,
                "header",
                format!(
                    "expected `timestamp,price[,confidence]`, found `{}`",
                    first.join(",")
                ),
            ));
        }
    }
    let body = if header { &rows[1..] } else { &rows[..] };
    let kraken_interval = kraken_interval(path, body);

    let mut points: Vec<Observation> = Vec::with_capacity(body.len());
    for (line, f) in body {
        let line = *line;
        let want = match format {
            Format::Rampart => first.len(),
            Format::BinanceKlines => 12,
            Format::KrakenOhlcvt => 7,
        };
        if f.len() != want {
            return Err(err(
                line,
                "row",
                format!("expected {want} comma-separated fields, found {}", f.len()),
            ));
        }
        let price = |i: usize, name: &str| -> Result<f64, RowError> {
            match f[i].parse::<f64>() {
                Ok(p) if p.is_finite() && p > 0.0 => Ok(p),
                _ => Err(err(
                    line,
                    name,
                    format!("`{}` is not a positive number", f[i]),
                )),
            }
        };
        let obs = match format {
            Format::Rampart => Observation {
                ts: timestamp(f[0]).map_err(|m| err(line, "timestamp", m))?,
                price: price(1, "price")?,
                conf: match f.get(2) {
                    Some(c) => Some(match c.parse::<f64>() {
                        Ok(c) if c.is_finite() && c >= 0.0 => c,
                        _ => {
                            return Err(err(
                                line,
                                "confidence",
                                format!("`{c}` is not a number of 0 or more"),
                            ))
                        }
                    }),
                    None => None,
                },
                range: None,
            },
            Format::BinanceKlines => {
                let close_time = epoch(f[6]).map_err(|m| err(line, "close_time", m))?;
                let (high, low) = (price(2, "high")?, price(3, "low")?);
                Observation {
                    // Close time is the candle's last millisecond: observed
                    // at the next whole second.
                    ts: close_time + 1,
                    price: price(4, "close")?,
                    conf: None,
                    range: Some((high, low)),
                }
            }
            Format::KrakenOhlcvt => {
                let open: i64 = f[0]
                    .parse()
                    .map_err(|_| err(line, "time", format!("`{}` is not unix seconds", f[0])))?;
                let (high, low) = (price(2, "high")?, price(3, "low")?);
                Observation {
                    ts: open + kraken_interval,
                    price: price(4, "close")?,
                    conf: None,
                    range: Some((high, low)),
                }
            }
        };
        if let Some(last) = points.last() {
            if obs.ts <= last.ts {
                return Err(err(
                    line,
                    if format == Format::KrakenOhlcvt {
                        "time"
                    } else {
                        "timestamp"
                    },
                    format!(
                        "{} is not after the row before ({}): rows must be in increasing time",
                        rampart_sdk::fmt::utc(obs.ts),
                        rampart_sdk::fmt::utc(last.ts)
                    ),
                ));
            }
        }
        points.push(obs);
    }
    if points.is_empty() {
        return Err(err(
            *first_line,
            "row",
            "the file has no observations".into(),
        ));
    }
    Ok(Series {
        path: path.to_path_buf(),
        format,
        points,
    })
}

/// Kraken's interval: `XBTUSD_5.csv` is 5 minutes; else the rows' smallest spacing.
fn kraken_interval(path: &Path, rows: &[(usize, Vec<&str>)]) -> i64 {
    let from_name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .and_then(|s| s.rsplit_once('_'))
        .and_then(|(_, m)| m.parse::<i64>().ok())
        .filter(|m| *m > 0)
        .map(|m| m * 60);
    from_name.unwrap_or_else(|| {
        let times: Vec<i64> = rows
            .iter()
            .filter_map(|(_, f)| f.first().and_then(|t| t.parse().ok()))
            .collect();
        times
            .windows(2)
            .map(|w| w[1] - w[0])
            .filter(|d| *d > 0)
            .min()
            .unwrap_or(60)
    })
}

/// Binance times: milliseconds, or microseconds (spot files from 2025), to seconds.
fn epoch(text: &str) -> Result<i64, String> {
    let v: i64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not an integer time"))?;
    Ok(if v >= 100_000_000_000_000 {
        v / 1_000_000
    } else {
        v / 1_000
    })
}

/// Unix seconds, or RFC 3339 (`T` or a space between date and time, `Z`
/// or an offset, optional fractional seconds).
pub fn timestamp(text: &str) -> Result<i64, String> {
    if let Ok(secs) = text.parse::<i64>() {
        return Ok(secs);
    }
    rfc3339(text).ok_or_else(|| {
        format!("`{text}` is neither unix seconds nor RFC 3339 (2023-03-10T00:00:00Z)")
    })
}

fn rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let o = rest.get(1..)?;
            if o.len() != 5 || o.as_bytes()[2] != b':' {
                return None;
            }
            let (h, m): (i64, i64) = (o[..2].parse().ok()?, o[3..].parse().ok()?);
            sign * (h * 3_600 + m * 60)
        }
    };
    let days_in = |y: i64, m: i64| match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in(year, month)
        || hour > 23
        || min > 59
        || sec > 60
    {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3_600 + min * 60 + sec - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A set of sources and the reference they are measured against, read
/// from files; `reference` None means the first source is the reference.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceFiles {
    pub sources: Vec<PathBuf>,
    pub reference: Option<PathBuf>,
}

/// The series of a [`SourceFiles`], read.
#[derive(Debug, Clone)]
pub struct Sources {
    pub sources: Vec<Series>,
    pub reference: Series,
}

impl SourceFiles {
    /// Read every file; at least one source and at most `max` of them.
    pub fn load(&self, max: usize) -> anyhow::Result<Sources> {
        if self.sources.is_empty() || self.sources.len() > max {
            bail!(
                "a replay takes 1 to {max} source files, not {}",
                self.sources.len()
            );
        }
        let sources = self
            .sources
            .iter()
            .map(|p| load(p))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let reference = match &self.reference {
            Some(p) => load(p)?,
            None => sources[0].clone(),
        };
        Ok(Sources { sources, reference })
    }

    /// Relative paths taken from `dir` (a scenario file's directory).
    pub fn relative_to(&self, dir: &Path) -> SourceFiles {
        let at = |p: &PathBuf| {
            if p.is_absolute() {
                p.clone()
            } else {
                dir.join(p)
            }
        };
        SourceFiles {
            sources: self.sources.iter().map(at).collect(),
            reference: self.reference.as_ref().map(at),
        }
    }
}

/// The last observation of `series` at or before `t` and after `t - window`
/// (what a source published in that window), found by binary search.
pub fn within(series: &Series, t: i64, window: i64) -> Option<&Observation> {
    let i = series.points.partition_point(|o| o.ts <= t);
    let o = series.points.get(i.checked_sub(1)?)?;
    (o.ts > t - window).then_some(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        crate::fixtures::fixtures_dir()
            .join("price-files")
            .join(name)
    }

    #[test]
    fn rfc3339_and_unix_seconds_agree() {
        assert_eq!(timestamp("1678406400").unwrap(), 1_678_406_400);
        assert_eq!(timestamp("2023-03-10T00:00:00Z").unwrap(), 1_678_406_400);
        assert_eq!(
            timestamp("2023-03-10 01:00:00+01:00").unwrap(),
            1_678_406_400
        );
        assert_eq!(
            timestamp("2023-03-09T19:00:00.250-05:00").unwrap(),
            1_678_406_400
        );
        assert_eq!(timestamp("2024-02-29T12:34:56Z").unwrap(), 1_709_210_096);
        for bad in [
            "2023-02-29T00:00:00Z",
            "2023-03-10",
            "10/03/2023 00:00",
            "2023-03-10T00:00:00",
        ] {
            assert!(timestamp(bad).is_err(), "{bad}");
        }
    }

    /// The same real minutes in all three formats read the same prices at
    /// the same times.
    #[test]
    fn the_three_formats_read_the_same_market() {
        let rampart = load(&fixture("btc-usdc-2023-03-11.csv")).unwrap();
        let binance = load(&fixture("BTCUSDT-5m-2023-03-11.csv")).unwrap();
        let kraken = load(&fixture("XBTUSD_5.csv")).unwrap();
        assert_eq!(rampart.format, Format::Rampart);
        assert_eq!(binance.format, Format::BinanceKlines);
        assert_eq!(kraken.format, Format::KrakenOhlcvt);
        for s in [&rampart, &binance, &kraken] {
            assert_eq!(s.spacing(), Some(300), "{}", s.name());
            assert!(s.points.len() >= 24, "{}", s.name());
        }
        // Kraken's first candle opens 2023-03-11 00:00 and closes 00:05.
        assert_eq!(
            kraken.points[0].ts,
            timestamp("2023-03-11T00:05:00Z").unwrap()
        );
        assert_eq!(binance.points[0].ts, kraken.points[0].ts);
        // The Rampart file's confidence is its own; a candle's is half its range.
        assert!(rampart.points[0].conf.is_some());
        let k = kraken.points[0];
        let (hi, lo) = k.range.unwrap();
        assert!((k.conf_or(5.0) - (hi - lo) / 2.0).abs() < 1e-9);
    }

    #[test]
    fn malformed_rows_are_refused_with_file_line_and_field() {
        let path = Path::new("mine.csv");
        let cases = [
            (
                "timestamp,price\n1678406400,20000\n1678406700,abc\n",
                3,
                "price",
            ),
            (
                "timestamp,price\n1678406400,20000\nyesterday,20100\n",
                3,
                "timestamp",
            ),
            (
                "timestamp,price\n1678406700,20000\n1678406400,20100\n",
                3,
                "timestamp",
            ),
            (
                "timestamp,price,confidence\n1678406400,20000,-1\n",
                2,
                "confidence",
            ),
            ("timestamp,price\n1678406400,20000,5\n", 2, "row"),
            ("time,close\n1678406400,20000\n", 1, "header"),
            ("1678406400,1,2,3\n", 1, "header"),
            ("1678406400,1,2,0.5,-3,5,7\n", 1, "close"),
        ];
        for (text, line, field) in cases {
            let e = parse(path, text).unwrap_err();
            assert_eq!((e.line, e.field.as_str()), (line, field), "{text}: {e}");
            assert!(e
                .to_string()
                .starts_with(&format!("mine.csv:{line}: field {field}: ")));
        }
    }

    #[test]
    fn a_source_is_silent_where_its_file_has_a_gap() {
        let s = parse(
            Path::new("gappy.csv"),
            "timestamp,price\n0,100\n300,101\n1200,102\n",
        )
        .unwrap();
        assert_eq!(within(&s, 300, 300).map(|o| o.price), Some(101.0));
        assert_eq!(
            within(&s, 600, 300),
            None,
            "nothing published in (300, 600]"
        );
        assert_eq!(within(&s, 1_200, 300).map(|o| o.price), Some(102.0));
    }
}
