//! Small display helpers.

/// `YYYY-MM-DD HH:MM` in UTC for a unix timestamp (no time-zone crate needed).
pub fn utc(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        secs / 3_600,
        secs % 3_600 / 60
    )
}

/// A plain text table: columns padded to their widest cell, numbers
/// (cells starting with a digit, sign or `$`) right-aligned.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let numeric = |c: &str| c.starts_with(|ch: char| ch.is_ascii_digit() || "-+$".contains(ch));
    let line = |cells: Vec<&str>| {
        let mut out = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| {
                if numeric(c) {
                    format!("{c:>w$}")
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ");
        out.truncate(out.trim_end().len());
        out.push('\n');
        out
    };
    let mut out = line(headers.to_vec());
    out.push_str(&line(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    ));
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// A WAD fixed-point value as a decimal with `places` digits.
pub fn wad(v: i128, places: usize) -> String {
    format!("{:.places$}", v as f64 / 1e18)
}

/// A mantissa at `expo` as a decimal.
pub fn price(mantissa: u64, expo: i32) -> String {
    let v = mantissa as f64 * 10f64.powi(expo);
    if v >= 100.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tables_align() {
        let t = super::table(
            &["feed", "price"],
            &[
                vec!["BTC/USD".into(), "30000.00".into()],
                vec!["X".into(), "1.0".into()],
            ],
        );
        assert_eq!(
            t,
            "feed     price\n-------  --------\nBTC/USD  30000.00\nX             1.0\n"
        );
    }

    #[test]
    fn known_dates() {
        assert_eq!(super::utc(0), "1970-01-01 00:00");
        assert_eq!(super::utc(1_678_406_400), "2023-03-10 00:00");
        assert_eq!(super::utc(1_709_210_096), "2024-02-29 12:34");
    }
}
