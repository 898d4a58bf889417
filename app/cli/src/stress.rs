//! `rampart stress`: every scenario under every policy, each run in a child
//! process of its own, and the report.

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;
use rampart_sim::stress::{self, RunResult, Scenario};

use crate::{build_kind, progress_bar};

pub fn stress(
    files: Vec<PathBuf>,
    accounts: Option<usize>,
    policy: Vec<String>,
    out: PathBuf,
    json: bool,
) -> anyhow::Result<()> {
    let files = if files.is_empty() {
        stress::BUILT_IN
            .iter()
            .map(|n| stress::scenarios_dir().join(format!("{n}.scn")))
            .collect()
    } else {
        files
    };
    let scenarios = load(&files, accounts)?;
    stress::policy::check(&policy)?;
    let policies = if policy.is_empty() {
        stress::policy::names().len()
    } else {
        policy.len()
    };
    let mut steps = 0;
    for s in &scenarios {
        steps += stress::feeds::ticks(s)?.len() * policies;
    }
    let name = match &scenarios[..] {
        [one] => one.name.clone(),
        all => format!("{} scenarios", all.len()),
    };
    let bar = progress_bar(&name);
    bar.set_length(steps as u64);
    let tick = bar.clone();
    let exe = std::env::current_exe().context("finding this program to run each run in")?;
    let results = stress::run_scenarios_with(
        &scenarios,
        &policy,
        std::sync::Arc::new(move || tick.inc(1)),
        &|i, _, _, policy, step| run_in_child(&exe, &files[i], accounts, policy.name, step),
    )?;
    bar.finish_and_clear();
    for r in &results {
        eprintln!(
            "{}: {} policies, {} transactions, {:.0} tx/s a worker{}",
            r.scenario,
            r.runs.len(),
            r.runs.iter().map(|x| x.transactions).sum::<usize>(),
            r.tx_per_sec,
            build_kind()
        );
    }
    let written = stress::report::write_all(&results, &out)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        print!("{}", stress::report::table(&results));
        println!(
            "\nreport: {}",
            written
                .iter()
                .map(|p| p.display().to_string())
                .filter(|p| !p.ends_with(".svg"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

fn load(files: &[PathBuf], accounts: Option<usize>) -> anyhow::Result<Vec<Scenario>> {
    let mut scenarios = vec![];
    for f in files {
        let mut s = stress::load(f)?;
        if let Some(n) = accounts {
            s.accounts = n;
        }
        scenarios.push(s);
    }
    Ok(scenarios)
}

/// The child's side of [`run_in_child`] (`rampart stress FILE --policy P
/// --run-one`): one '.' per step on stdout as it goes, then a newline and
/// the result as JSON.
pub fn run_one(
    files: &[PathBuf],
    accounts: Option<usize>,
    policy: &[String],
) -> anyhow::Result<()> {
    let (Ok([scenario]), [policy]) = (<[Scenario; 1]>::try_from(load(files, accounts)?), policy)
    else {
        anyhow::bail!("--run-one takes one scenario file and one --policy");
    };
    let stdout = std::io::stdout();
    let step = || {
        let mut out = stdout.lock();
        // A parent that has gone away ends this run at its next write.
        if out.write_all(b".").and_then(|_| out.flush()).is_err() {
            std::process::exit(1);
        }
    };
    // The run makes its own runtime, which cannot start on this one's thread.
    let result = std::thread::scope(|s| {
        s.spawn(|| stress::run_one(&scenario, policy, &step))
            .join()
            .map_err(|_| anyhow::anyhow!("the run panicked"))
    })??;
    let mut out = stdout.lock();
    writeln!(out)?;
    serde_json::to_writer(&mut out, &result)?;
    writeln!(out)?;
    Ok(())
}

/// One run in a child process of its own, reporting each step to `step`.
///
/// solana-runtime 1.18 never frees a bank: its program cache holds the
/// bank forks that hold it (fixed upstream in Agave 2.0), and with it the
/// accounts index's flusher threads, which keep waking. In one process each
/// finished run made every later one slower: in the default run
/// `two-colluding` managed 2,087 tx/s a worker, against 3,982 on its own. A
/// process per run hands all of it back when the run ends.
fn run_in_child(
    exe: &Path,
    file: &Path,
    accounts: Option<usize>,
    policy: &str,
    step: &dyn Fn(),
) -> anyhow::Result<RunResult> {
    let mut command = Command::new(exe);
    command
        .arg("stress")
        .arg(file)
        .args(["--policy", policy, "--run-one"]);
    if let Some(n) = accounts {
        command.args(["--accounts", &n.to_string()]);
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", exe.display()))?;
    let mut stderr = child.stderr.take().context("the run's stderr")?;
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut out = std::io::BufReader::new(child.stdout.take().context("the run's stdout")?);
    let mut json = vec![];
    loop {
        let buf = out.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let end = buf.iter().position(|b| *b == b'\n');
        let dots = &buf[..end.unwrap_or(buf.len())];
        dots.iter().filter(|b| **b == b'.').for_each(|_| step());
        let used = end.map_or(buf.len(), |e| e + 1);
        out.consume(used);
        if end.is_some() {
            out.read_to_end(&mut json)?;
            break;
        }
    }
    let status = child.wait()?;
    let errors = errors.join().unwrap_or_default();
    if !status.success() {
        // The child's own "error: " line, without repeating the prefix.
        let said = errors.trim();
        anyhow::bail!(
            "{} ({status})",
            said.strip_prefix("error: ").unwrap_or(said)
        );
    }
    serde_json::from_slice(&json).context("reading the run's result")
}
