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
        let widths: Vec<usize> = (0..HEADER.len())
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
    let mut out = format!(
        "| {} |\n|{}\n",
        HEADER.join(" | "),
        "---|".repeat(HEADER.len())
    );
    for r in &s.runs {
        let _ = writeln!(out, "| {} |", cells(r).join(" | "));
    }
    out
}

/// One policy across every scenario of a run: what the report opens with.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicySummary {
    pub policy: String,
    /// Bad debt left at the end, summed over the scenarios.
    pub bad_debt_usd: f64,
    /// The worst scenario's peak bad debt.
    pub peak_bad_debt_usd: f64,
    pub wrongful_liquidations: usize,
    /// Time halted, summed over the scenarios.
    pub halted_secs: i64,
    /// Mean depositor PnL over the scenarios with a vault.
    pub vault_pnl_pct: Option<f64>,
}

/// Every policy's summary, in report order.
pub fn summary(results: &[ScenarioResult]) -> Vec<PolicySummary> {
    let mut out: Vec<PolicySummary> = vec![];
    let mut pnl: Vec<Vec<f64>> = vec![];
    for r in results.iter().flat_map(|s| &s.runs) {
        let i = match out.iter().position(|p| p.policy == r.policy) {
            Some(i) => i,
            None => {
                out.push(PolicySummary {
                    policy: r.policy.clone(),
                    bad_debt_usd: 0.0,
                    peak_bad_debt_usd: 0.0,
                    wrongful_liquidations: 0,
                    halted_secs: 0,
                    vault_pnl_pct: None,
                });
                pnl.push(vec![]);
                out.len() - 1
            }
        };
        let p = &mut out[i];
        p.bad_debt_usd += r.bad_debt_usd;
        p.peak_bad_debt_usd = p.peak_bad_debt_usd.max(r.peak_bad_debt_usd);
        p.wrongful_liquidations += r.wrongful_liquidations;
        p.halted_secs += r.halted_secs;
        pnl[i].extend(r.depositor_pnl_pct);
    }
    for (p, v) in out.iter_mut().zip(pnl) {
        p.vault_pnl_pct = (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    }
    out
}

const SUMMARY_HEADER: [&str; 6] = [
    "policy",
    "bad debt $ (sum)",
    "peak bad debt $ (worst)",
    "wrongful liquidations",
    "halted s (sum)",
    "vault PnL % (mean)",
];

/// The summary's cells, each with whether it is the best of its column
/// (least bad debt, wrongful liquidations and halted time; most vault
/// PnL; every policy that ties is best).
fn summary_cells(rows: &[PolicySummary]) -> Vec<Vec<(String, bool)>> {
    let best = |values: Vec<Option<f64>>, lower: bool| -> Vec<bool> {
        let pick = values
            .iter()
            .flatten()
            .copied()
            .fold(None, |b: Option<f64>, v| {
                Some(b.map_or(v, |b| if lower { b.min(v) } else { b.max(v) }))
            });
        values
            .iter()
            .map(|v| v.zip(pick).is_some_and(|(v, b)| (v - b).abs() < 0.5e-2))
            .collect()
    };
    let col = |f: &dyn Fn(&PolicySummary) -> Option<f64>| rows.iter().map(f).collect::<Vec<_>>();
    let marks = [
        best(col(&|p| Some(p.bad_debt_usd.round())), true),
        best(col(&|p| Some(p.peak_bad_debt_usd.round())), true),
        best(col(&|p| Some(p.wrongful_liquidations as f64)), true),
        best(col(&|p| Some(p.halted_secs as f64)), true),
        best(
            col(&|p| p.vault_pnl_pct.map(|x| (x * 100.0).round() / 100.0)),
            false,
        ),
    ];
    rows.iter()
        .enumerate()
        .map(|(i, p)| {
            vec![
                (p.policy.clone(), false),
                (format!("{:.0}", p.bad_debt_usd), marks[0][i]),
                (format!("{:.0}", p.peak_bad_debt_usd), marks[1][i]),
                (p.wrongful_liquidations.to_string(), marks[2][i]),
                (p.halted_secs.to_string(), marks[3][i]),
                (
                    p.vault_pnl_pct.map_or("-".into(), |x| format!("{x:+.2}")),
                    marks[4][i],
                ),
            ]
        })
        .collect()
}

fn summary_markdown(results: &[ScenarioResult]) -> String {
    let mut out = format!(
        "| {} |\n|{}\n",
        SUMMARY_HEADER.join(" | "),
        "---|".repeat(SUMMARY_HEADER.len())
    );
    for row in summary_cells(&summary(results)) {
        let cells: Vec<String> = row
            .into_iter()
            .map(|(c, best)| if best { format!("**{c}**") } else { c })
            .collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}

fn summary_html(results: &[ScenarioResult]) -> String {
    let mut out = format!(
        "<h2>All scenarios</h2><p>{} scenarios; per policy, the best of each column in bold.</p><table id=\"summary\"><tr>",
        results.len()
    );
    for h in SUMMARY_HEADER {
        let _ = write!(out, "<th>{h}</th>");
    }
    out.push_str("</tr>");
    for row in summary_cells(&summary(results)) {
        out.push_str("<tr>");
        for (c, best) in row {
            if best {
                let _ = write!(out, "<td class=\"best\">{c}</td>");
            } else {
                let _ = write!(out, "<td>{c}</td>");
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
    out
}

/// The report as Markdown, with the charts as files next to it.
pub fn markdown(results: &[ScenarioResult]) -> String {
    let mut out = String::from("# Rampart resilience report\n\nBad debt is debt not covered by collateral at the reference price at the end; wrongful liquidations liquidated an account solvent at the reference price; price error is the published feed price against the reference while the feed served; delay runs from liquidatable at the reference price to liquidated.\n\n## All scenarios\n\nPer policy; the best of each column in bold.\n\n");
    out.push_str(&summary_markdown(results));
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
    let mut out = String::from("<!doctype html><html><head><meta charset=\"utf-8\"><title>Rampart resilience report</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}td:first-child{text-align:left}td.best{font-weight:bold;background:#e6f4e6}</style></head><body><h1>Rampart resilience report</h1>");
    out.push_str(&summary_html(results));
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

/// Ten distinguishable colours (Tableau 10): every policy gets its own.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// A policy's colour, the same in every chart and scenario: its place in
/// the report order (a run of only some policies keeps their colours).
fn policy_colour(name: &str) -> RGBColor {
    let i = super::policy::names()
        .iter()
        .position(|n| *n == name)
        .unwrap_or_else(|| name.bytes().map(usize::from).sum());
    PALETTE[i % PALETTE.len()]
}

/// Width of the plot; the legend gets a column of its own to the right,
/// so it never covers data.
const PLOT_W: u32 = 760;
const LEGEND_W: u32 = 200;

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
        let root = SVGBackend::with_string(&mut svg, (PLOT_W + LEGEND_W, 360)).into_drawing_area();
        root.fill(&WHITE)?;
        let (plot, key) = root.split_horizontally(PLOT_W);
        let mut entries = vec![];
        let all = series
            .sources
            .iter()
            .flatten()
            .flatten()
            .chain(series.reference.iter())
            .copied();
        let (lo, hi) = value_range(all);
        let pad = (hi - lo).max(1.0) * 0.05;
        let mut chart = ChartBuilder::on(&plot)
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
        // Sources in light tones, consensus and TWAP strong.
        let source_colours = [PALETTE[7], PALETTE[8], PALETTE[9]];
        for (k, source) in series.sources.iter().enumerate() {
            let colour = source_colours[k % source_colours.len()];
            draw_runs(&mut chart, &hours, source, colour.mix(0.5).into())?;
            entries.push((format!("source {k}"), colour.mix(0.5)));
        }
        draw_runs(
            &mut chart,
            &hours,
            &series.consensus,
            PALETTE[0].stroke_width(2),
        )?;
        entries.push(("consensus".into(), PALETTE[0].to_rgba()));
        draw_runs(&mut chart, &hours, &series.twap, PALETTE[1].stroke_width(2))?;
        entries.push(("TWAP".into(), PALETTE[1].to_rgba()));
        entries.push(("halted".into(), RGBColor(255, 200, 200).to_rgba()));
        legend(&key, &entries)?;
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

/// The lowest and highest value, or (0, 1) when there is none (an empty
/// range would leave the axis without ticks to draw).
fn value_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        (0.0, 1.0)
    } else {
        (lo, hi)
    }
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
    let (lo, hi) = value_range(lines.iter().flatten().flatten().copied());
    let (lo, hi) = if from_zero {
        (0.0, hi.max(1e-9) * 1.1)
    } else {
        let pad = (hi - lo).max(1.0) * 0.05;
        (lo - pad, hi + pad)
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (PLOT_W + LEGEND_W, 300)).into_drawing_area();
        root.fill(&WHITE)?;
        let (plot, key) = root.split_horizontally(PLOT_W);
        let mut chart = ChartBuilder::on(&plot)
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
        let mut entries = vec![];
        for (r, line) in s.runs.iter().zip(&lines) {
            let colour = policy_colour(&r.policy);
            draw_runs(&mut chart, hours, line, colour.stroke_width(2))?;
            entries.push((r.policy.clone(), colour.to_rgba()));
        }
        legend(&key, &entries)?;
        root.present()?;
    }
    Ok(svg)
}

type Axes =
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>;

/// The series' names and colours, one a row, in the legend column beside
/// the plot (never over the data).
fn legend(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    entries: &[(String, RGBAColor)],
) -> anyhow::Result<()> {
    for (i, (label, colour)) in entries.iter().enumerate() {
        let y = 40 + 20 * i as i32;
        area.draw(&Rectangle::new([(8, y - 2), (30, y + 2)], colour.filled()))?;
        area.draw(&Text::new(label.clone(), (36, y - 7), ("sans-serif", 13)))?;
    }
    Ok(())
}

/// Draw `values` as separate lines over each stretch without gaps (a
/// silent source or a halted feed breaks the line).
fn draw_runs(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Axes>,
    hours: &[f64],
    values: &[Option<f64>],
    style: ShapeStyle,
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
    for run in runs {
        chart.draw_series(LineSeries::new(run, style))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A run over three minutes at a flat price.
    fn run(
        policy: &str,
        bad: f64,
        peak: f64,
        wrongful: usize,
        halted: i64,
        pnl: Option<f64>,
    ) -> RunResult {
        let mut r = RunResult {
            policy: policy.into(),
            bad_debt_usd: bad,
            peak_bad_debt_usd: peak,
            wrongful_liquidations: wrongful,
            halted_secs: halted,
            depositor_pnl_pct: pnl,
            ..RunResult::default()
        };
        r.series.t = vec![0, 60, 120];
        r.series.maint_ratio = vec![0.05, 0.06, 0.07];
        r.series.bad_debt = vec![0.0, peak, bad];
        r.series.sources = vec![vec![Some(1.0); 3]; 3];
        r.series.reference = vec![1.0; 3];
        r.series.consensus = vec![Some(1.0); 3];
        r.series.twap = vec![Some(1.0); 3];
        r.series.halted = vec![false; 3];
        r.series.vault_nav = vec![pnl.map(|_| 1.0); 3];
        r
    }

    fn scenario(name: &str, runs: Vec<RunResult>) -> ScenarioResult {
        ScenarioResult {
            scenario: name.into(),
            accounts: 1,
            steps: 1,
            runs,
            tx_per_sec: 0.0,
        }
    }

    #[test]
    fn every_policy_has_a_colour_of_its_own() {
        let names = super::super::policy::names();
        let colours: Vec<_> = names.iter().map(|n| policy_colour(n)).collect();
        for (i, c) in colours.iter().enumerate() {
            assert!(
                !colours[..i].contains(c),
                "{} shares its colour with an earlier policy",
                names[i]
            );
        }
    }

    #[test]
    fn the_summary_adds_up_scenarios_and_marks_the_best() {
        let results = [
            scenario(
                "crash",
                vec![
                    run("rampart", 0.0, 100.0, 0, 60, Some(1.0)),
                    run("single-fixed", 500.0, 900.0, 3, 0, Some(-2.0)),
                ],
            ),
            scenario(
                "spike",
                vec![
                    run("rampart", 10.0, 10.0, 0, 30, None),
                    run("single-fixed", 0.0, 50.0, 2, 0, None),
                ],
            ),
        ];
        let s = summary(&results);
        assert_eq!(s[0].policy, "rampart");
        assert_eq!((s[0].bad_debt_usd, s[0].peak_bad_debt_usd), (10.0, 100.0));
        assert_eq!((s[0].wrongful_liquidations, s[0].halted_secs), (0, 90));
        assert_eq!(s[0].vault_pnl_pct, Some(1.0));
        assert_eq!((s[1].bad_debt_usd, s[1].wrongful_liquidations), (500.0, 5));
        let cells = summary_cells(&s);
        let best = |row: usize| -> Vec<bool> { cells[row].iter().map(|(_, b)| *b).collect() };
        // rampart: least bad debt, peak and wrongful, best PnL; single-fixed never halted.
        assert_eq!(best(0), [false, true, true, true, false, true]);
        assert_eq!(best(1), [false, false, false, false, true, false]);
        let html = html(&results).unwrap();
        let summary_at = html.find("id=\"summary\"").unwrap();
        assert!(
            summary_at < html.find("<h2>crash</h2>").unwrap(),
            "the summary comes first"
        );
        let md = markdown(&results);
        assert!(
            md.contains("| rampart | **10** | **100** | **0** | 90 | **+1.00** |"),
            "{md}"
        );
    }

    #[test]
    fn legends_sit_beside_the_plot() {
        let s = scenario("flat", vec![run("rampart", 0.0, 1.0, 0, 0, None)]);
        for (stem, svg) in charts(&s).unwrap() {
            let labels: Vec<i64> = svg
                .split("<text")
                .skip(1)
                .filter(|t| {
                    let content = t.split('>').nth(1).unwrap_or("");
                    let content = content.split('<').next().unwrap_or("").trim();
                    content == "rampart" || content == "consensus"
                })
                .map(|t| {
                    let x = t.split("x=\"").nth(1).unwrap();
                    x[..x.find('"').unwrap()].parse::<f64>().unwrap() as i64
                })
                .collect();
            assert!(!labels.is_empty(), "{stem}: no legend");
            assert!(
                labels.iter().all(|x| *x >= PLOT_W as i64),
                "{stem}: {labels:?}"
            );
        }
    }
}
