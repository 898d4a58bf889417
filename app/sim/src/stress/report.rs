//! The resilience report: a terminal table, JSON, Markdown and a
//! self-contained HTML page with SVG charts (plotters).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use plotters::prelude::*;

use super::metrics::RunResult;
use super::ScenarioResult;

fn delay(r: &RunResult) -> String {
    if r.liquidations == 0 {
        "-".into()
    } else {
        format!(
            "{:.0}/{}",
            r.liquidation_delay_mean_secs, r.liquidation_delay_max_secs
        )
    }
}

fn halt(r: &RunResult) -> String {
    r.time_to_halt_secs.map_or("-".into(), |t| t.to_string())
}

const HEADER: [&str; 19] = [
    "policy",
    "bad debt $",
    "% OI",
    "peak bad debt $",
    "fund drawdown $",
    "interest $",
    "fund interest $",
    "liqs",
    "large ok/tried",
    "discount bps",
    "liquidated $",
    "wrongful",
    "err max/p99 bps",
    "halted s",
    "restricted s",
    "to halt s",
    "delay mean/max s",
    "vault PnL %",
    "conserved",
];

fn cells(r: &RunResult) -> [String; 19] {
    [
        r.policy.clone(),
        format!("{:.0}", r.bad_debt_usd),
        format!("{:.3}", r.bad_debt_pct_of_open_interest),
        format!("{:.0}", r.peak_bad_debt_usd),
        format!("{:.0}", r.insurance_drawdown_usd),
        format!("{:.0}", r.interest_usd),
        format!("{:.0}", r.fund_interest_usd),
        r.liquidations.to_string(),
        format!("{}/{}", r.large_liquidations, r.large_attempts),
        if r.liquidations == 0 {
            "-".into()
        } else {
            format!("{:.0}", r.liquidation_discount_bps)
        },
        format!("{:.0}", r.liquidated_usd),
        r.wrongful_liquidations.to_string(),
        format!("{:.0}/{:.0}", r.max_price_error_bps, r.p99_price_error_bps),
        r.halted_secs.to_string(),
        r.restricted_secs.to_string(),
        halt(r),
        delay(r),
        r.depositor_pnl_pct
            .map_or("-".into(), |p| format!("{p:+.2}")),
        if r.value_conserved { "exact" } else { "NO" }.into(),
    ]
}

/// Plain-text tables, one per scenario.
pub fn table(results: &[ScenarioResult]) -> String {
    let mut out = String::new();
    for s in results {
        let _ = writeln!(
            out,
            "\n{} ({} accounts, {} steps, {:.0} tx/s)",
            s.scenario, s.accounts, s.steps, s.tx_per_sec
        );
        let rows: Vec<[String; 19]> = s.runs.iter().map(cells).collect();
        let widths: Vec<usize> = (0..16)
            .map(|i| {
                rows.iter()
                    .map(|r| r[i].len())
                    .chain([HEADER[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cols: Vec<&str>| -> String {
            cols.iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (c, w))| {
                    if i == 0 {
                        format!("{c:<w$}")
                    } else {
                        format!("{c:>w$}")
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
        };
        let _ = writeln!(out, "{}", line(HEADER.to_vec()));
        for r in &rows {
            let _ = writeln!(out, "{}", line(r.iter().map(|c| c.as_str()).collect()));
        }
    }
    out
}

fn markdown_table(s: &ScenarioResult) -> String {
    let mut out = format!("| {} |\n|{}\n", HEADER.join(" | "), "---|".repeat(16));
    for r in &s.runs {
        let _ = writeln!(out, "| {} |", cells(r).join(" | "));
    }
    out
}

/// The report as Markdown, with the charts as files next to it.
pub fn markdown(results: &[ScenarioResult]) -> String {
    let mut out = String::from("# Rampart resilience report\n\nBad debt is debt not covered by collateral at the reference price at the end; wrongful liquidations liquidated an account solvent at the reference price; price error is the published feed price against the reference while the feed served; delay runs from liquidatable at the reference price to liquidated.\n");
    for s in results {
        let _ = write!(
            out,
            "\n## {}\n\n{} accounts, {} steps.\n\n{}\n![prices](charts/{}-prices.svg)\n![maintenance](charts/{}-maintenance.svg)\n![bad debt](charts/{}-bad-debt.svg)\n",
            s.scenario,
            s.accounts,
            s.steps,
            markdown_table(s),
            s.scenario,
            s.scenario,
            s.scenario
        );
        if has_vault(s) {
            let _ = writeln!(out, "![vault NAV](charts/{}-vault-nav.svg)", s.scenario);
        }
    }
    out
}

/// A self-contained HTML page (SVG charts inline).
pub fn html(results: &[ScenarioResult]) -> anyhow::Result<String> {
    let mut out = String::from("<!doctype html><html><head><meta charset=\"utf-8\"><title>Rampart resilience report</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}td:first-child{text-align:left}</style></head><body><h1>Rampart resilience report</h1>");
    for s in results {
        let _ = write!(
            out,
            "<h2>{}</h2><p>{} accounts, {} steps.</p><table><tr>",
            s.scenario, s.accounts, s.steps
        );
        for h in HEADER {
            let _ = write!(out, "<th>{h}</th>");
        }
        out.push_str("</tr>");
        for r in &s.runs {
            out.push_str("<tr>");
            for c in cells(r) {
                let _ = write!(out, "<td>{c}</td>");
            }
            out.push_str("</tr>");
        }
        out.push_str("</table>");
        for chart in charts(s)? {
            out.push_str(&chart.1);
        }
    }
    out.push_str("</body></html>\n");
    Ok(out)
}

const COLOURS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// (file stem, SVG) of each chart of one scenario.
pub fn charts(s: &ScenarioResult) -> anyhow::Result<Vec<(String, String)>> {
    let Some(rampart) = s.runs.first() else {
        return Ok(vec![]);
    };
    let series = &rampart.series;
    let hours: Vec<f64> = series.t.iter().map(|t| *t as f64 / 3_600.0).collect();
    let x_max = hours.last().copied().unwrap_or(1.0).max(1e-9);
    let mut out = vec![];

    // Prices: sources, consensus and TWAP, halted periods shaded.
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 360)).into_drawing_area();
        root.fill(&WHITE)?;
        let all = series
            .sources
            .iter()
            .flatten()
            .flatten()
            .chain(series.reference.iter())
            .copied();
        let (lo, hi) = all.fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p), hi.max(p)));
        let pad = (hi - lo).max(1.0) * 0.05;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "{}: sources, {} consensus and TWAP (halted shaded)",
                    s.scenario, rampart.policy
                ),
                ("sans-serif", 16),
            )
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..x_max, (lo - pad)..(hi + pad))?;
        chart
            .configure_mesh()
            .x_desc("hours")
            .y_desc("USD")
            .draw()?;
        for (i, h) in hours.iter().enumerate() {
            if series.halted[i] {
                let w = hours.get(i + 1).copied().unwrap_or(*h) - h;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(*h, lo - pad), (h + w.max(x_max / 2_000.0), hi + pad)],
                    RGBColor(255, 200, 200).filled(),
                )))?;
            }
        }
        for (k, source) in series.sources.iter().enumerate() {
            let style = COLOURS[3 + k % 3].mix(0.5).into();
            draw_runs(&mut chart, &hours, source, style, &format!("source {k}"))?;
        }
        draw_runs(
            &mut chart,
            &hours,
            &series.consensus,
            COLOURS[0].stroke_width(2),
            "consensus",
        )?;
        draw_runs(
            &mut chart,
            &hours,
            &series.twap,
            COLOURS[2].stroke_width(2),
            "TWAP",
        )?;
        legend(&mut chart)?;
        root.present()?;
    }
    out.push((format!("{}-prices", s.scenario), svg));

    let all = |v: &Vec<f64>| v.iter().map(|x| Some(*x)).collect::<Vec<_>>();
    let charts = [
        ("maintenance", "effective maintenance ratio", "ratio", true),
        ("bad-debt", "bad debt at the reference price", "USD", true),
        ("vault-nav", "vault NAV per share", "USD", false),
    ];
    for (stem, title, y_desc, from_zero) in charts {
        let pick = |r: &RunResult| match stem {
            "maintenance" => all(&r.series.maint_ratio),
            "bad-debt" => all(&r.series.bad_debt),
            _ => r.series.vault_nav.clone(),
        };
        if stem == "vault-nav" && !has_vault(s) {
            continue;
        }
        let svg = policy_chart(s, &hours, x_max, (title, y_desc, from_zero), pick)?;
        out.push((format!("{}-{stem}", s.scenario), svg));
    }
    Ok(out)
}

fn has_vault(s: &ScenarioResult) -> bool {
    s.runs
        .iter()
        .any(|r| r.series.vault_nav.iter().any(Option::is_some))
}

/// One line per policy of a per-step series (`from_zero`: the y axis
/// starts at 0, else it fits the data).
fn policy_chart(
    s: &ScenarioResult,
    hours: &[f64],
    x_max: f64,
    (title, y_desc, from_zero): (&str, &str, bool),
    pick: impl Fn(&RunResult) -> Vec<Option<f64>>,
) -> anyhow::Result<String> {
    let lines: Vec<Vec<Option<f64>>> = s.runs.iter().map(&pick).collect();
    let (lo, hi) = lines
        .iter()
        .flatten()
        .flatten()
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let (lo, hi) = if from_zero {
        (0.0, hi.max(1e-9) * 1.1)
    } else {
        let pad = (hi - lo).max(1.0) * 0.05;
        (lo - pad, hi + pad)
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 300)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("{}: {title}", s.scenario), ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..x_max, lo..hi)?;
        chart
            .configure_mesh()
            .x_desc("hours")
            .y_desc(y_desc)
            .draw()?;
        for (k, (r, line)) in s.runs.iter().zip(&lines).enumerate() {
            let style = COLOURS[k % COLOURS.len()].stroke_width(2);
            draw_runs(&mut chart, hours, line, style, &r.policy)?;
        }
        legend(&mut chart)?;
        root.present()?;
    }
    Ok(svg)
}

type Axes =
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>;

/// Draw `values` as separate lines over each stretch without gaps (a
/// silent source or a halted feed breaks the line), labelled once.
/// The series labels, boxed, in the chart's corner.
fn legend<'a>(chart: &mut ChartContext<'a, SVGBackend<'a>, Axes>) -> anyhow::Result<()> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

fn draw_runs(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Axes>,
    hours: &[f64],
    values: &[Option<f64>],
    style: ShapeStyle,
    label: &str,
) -> anyhow::Result<()> {
    let mut runs: Vec<Vec<(f64, f64)>> = vec![];
    let mut current = vec![];
    for (h, v) in hours.iter().zip(values) {
        match v {
            Some(p) => current.push((*h, *p)),
            None if !current.is_empty() => runs.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    for (i, run) in runs.into_iter().enumerate() {
        let drawn = chart.draw_series(LineSeries::new(run, style))?;
        if i == 0 {
            let colour = style.color;
            drawn
                .label(label)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 15, y)], colour));
        }
    }
    Ok(())
}

/// Write report.json, report.md, report.html and charts/*.svg into `dir`.
pub fn write_all(results: &[ScenarioResult], dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir.join("charts"))?;
    let mut written = vec![];
    let mut put = |name: PathBuf, text: String| -> anyhow::Result<()> {
        std::fs::write(&name, text)?;
        written.push(name);
        Ok(())
    };
    put(
        dir.join("report.json"),
        serde_json::to_string_pretty(results)? + "\n",
    )?;
    put(dir.join("report.md"), markdown(results))?;
    put(dir.join("report.html"), html(results)?)?;
    for s in results {
        for (stem, svg) in charts(s)? {
            put(dir.join("charts").join(format!("{stem}.svg")), svg)?;
        }
    }
    Ok(written)
}
