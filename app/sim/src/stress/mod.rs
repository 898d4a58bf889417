//! `rampart stress`: the real programs under replayed and synthetic
//! crises, each scenario run under Rampart's policy and the baselines on
//! identical inputs, with resilience metrics and a report.

pub mod engine;
pub mod feeds;
pub mod metrics;
pub mod policy;
pub mod report;
pub mod scenario;
pub mod vault_sim;

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

pub use metrics::RunResult;
pub use scenario::Scenario;

/// The scenarios shipped in `scenarios/` (the default run).
pub const BUILT_IN: [&str; 16] = [
    "q1-2023-replay",
    "gbm-jumps",
    "flash-crash",
    "crash-no-rebound",
    "crash-frozen-source",
    "staircase-crash",
    "slow-bleed",
    "regime-switch",
    "oracle-spike",
    "frozen-source",
    "two-colluding",
    "two-colluding-frozen",
    "congestion-keeper-offline",
    "validators-collude",
    "agent-offline",
    "agent-compromised",
];

pub fn scenarios_dir() -> std::path::PathBuf {
    rampart_sdk::idl::workspace_root().join("scenarios")
}

/// Read a scenario file; a replay's files are found relative to it.
pub fn load(path: &Path) -> anyhow::Result<Scenario> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut s = Scenario::parse(&text).with_context(|| format!("{}", path.display()))?;
    if let scenario::Path::Replay(files) = &s.path {
        let dir = path.parent().unwrap_or(Path::new("."));
        s.path = scenario::Path::Replay(files.relative_to(dir));
    }
    Ok(s)
}

/// One scenario's results under every policy.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScenarioResult {
    pub scenario: String,
    pub accounts: usize,
    pub steps: usize,
    pub runs: Vec<RunResult>,
    /// Keeper and oracle transactions per second of one worker's time
    /// (not part of the deterministic results).
    #[serde(skip)]
    pub tx_per_sec: f64,
}

/// Run `scenario` under every policy (or only those named in `only`); see
/// [`run_scenarios`].
pub fn run_scenario(
    scenario: &Scenario,
    only: &[String],
    progress: Arc<dyn Fn() + Send + Sync>,
) -> anyhow::Result<ScenarioResult> {
    let mut results = run_scenarios(std::slice::from_ref(scenario), only, progress)?;
    Ok(results.remove(0))
}

/// Carries out one run: `(index of the scenario in the list, the scenario,
/// its ticks, the policy, called once per step)`. [`run_here`] runs it in
/// this process; the CLI runs each in a child process of its own (see
/// [`run_scenarios_with`]).
pub type Runner<'a> = dyn Fn(usize, &Scenario, &[feeds::Tick], &policy::Policy, &dyn Fn()) -> anyhow::Result<RunResult>
    + Sync
    + 'a;

/// One run in this process, on a runtime of its own: the chain's bank
/// server and timers are tasks on it, and end with it.
pub fn run_here(
    scenario: &Scenario,
    ticks: &[feeds::Tick],
    policy: &policy::Policy,
    progress: &dyn Fn(),
) -> anyhow::Result<RunResult> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(engine::run(scenario, ticks, policy, progress))
}

/// `scenario` under the one policy named `policy`, in this process: what
/// each child process of `rampart stress` runs.
pub fn run_one(
    scenario: &Scenario,
    policy: &str,
    progress: &dyn Fn(),
) -> anyhow::Result<RunResult> {
    let only = [policy.to_string()];
    policy::check(&only)?;
    let ticks = feeds::ticks(scenario)?;
    let chosen = selected(step_of(scenario, &ticks), &only);
    // The parent names the scenario and the policy.
    run_here(scenario, &ticks, &chosen[0], progress)
}

/// Every scenario under every policy (or only those named in `only`), each
/// run in this process ([`run_here`]); see [`run_scenarios_with`].
pub fn run_scenarios(
    scenarios: &[Scenario],
    only: &[String],
    progress: Arc<dyn Fn() + Send + Sync>,
) -> anyhow::Result<Vec<ScenarioResult>> {
    run_scenarios_with(scenarios, only, progress, &|_, s, t, p, step| {
        run_here(s, t, p, step)
    })
}

/// Run every scenario under every policy (or only those named in `only`),
/// each run on its own chain, carried out by `runner`. The runs share
/// nothing, so they go to a pool of one worker per core, the longest first
/// (steps x accounts): cores stay busy until the last run, where one thread
/// per policy per scenario left them idle behind each scenario's slowest
/// policy. The results are the same in any order. `progress` is called
/// once per step of every run.
pub fn run_scenarios_with(
    scenarios: &[Scenario],
    only: &[String],
    progress: Arc<dyn Fn() + Send + Sync>,
    runner: &Runner,
) -> anyhow::Result<Vec<ScenarioResult>> {
    let mut jobs = vec![];
    let mut ticks_of = vec![];
    for (i, scenario) in scenarios.iter().enumerate() {
        let ticks = Arc::new(feeds::ticks(scenario)?);
        for (j, p) in selected(step_of(scenario, &ticks), only)
            .into_iter()
            .enumerate()
        {
            jobs.push((i, j, p));
        }
        ticks_of.push(ticks);
    }
    // A pass of the risk agent reads and values every account: its runs
    // cost about twice the others' (the 90-day replay: 75 s against 37).
    let cost = |i: usize, p: &policy::Policy| {
        ticks_of[i].len() * scenarios[i].accounts.max(1) * if p.agent { 2 } else { 1 }
    };
    jobs.sort_by_key(|(i, j, p)| (std::cmp::Reverse(cost(*i, p)), *i, *j));
    let jobs = std::sync::Mutex::new(std::collections::VecDeque::from(jobs));
    let done = std::sync::Mutex::new(vec![]);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<()> {
                    loop {
                        let Some((i, j, policy)) = jobs.lock().expect("jobs").pop_front() else {
                            return Ok(());
                        };
                        let scenario = &scenarios[i];
                        let started = std::time::Instant::now();
                        let run = runner(i, scenario, &ticks_of[i], &policy, &|| progress())
                            .with_context(|| format!("{} under {}", scenario.name, policy.name))?;
                        let secs = started.elapsed().as_secs_f64();
                        done.lock().expect("results").push((i, j, run, secs));
                    }
                })
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| anyhow::anyhow!("a policy run panicked"))??;
        }
        Ok(())
    })?;
    let mut done = done.into_inner().expect("results");
    done.sort_by_key(|(i, j, _, _)| (*i, *j));
    Ok(scenarios
        .iter()
        .enumerate()
        .map(|(i, scenario)| {
            let runs: Vec<_> = done.iter().filter(|d| d.0 == i).collect();
            let tx: usize = runs.iter().map(|d| d.2.transactions).sum();
            let secs: f64 = runs.iter().map(|d| d.3).sum();
            ScenarioResult {
                scenario: scenario.name.clone(),
                accounts: scenario.accounts,
                steps: ticks_of[i].len(),
                runs: runs.iter().map(|d| d.2.clone()).collect(),
                tx_per_sec: tx as f64 / secs.max(1e-9),
            }
        })
        .collect())
}

/// A scenario's step in seconds: its ticks' spacing (a replay's follows
/// its data), or the scenario's own.
pub(crate) fn step_of(scenario: &Scenario, ticks: &[feeds::Tick]) -> i64 {
    ticks.get(1).map_or(scenario.step, |t| t.t - ticks[0].t)
}

/// The policies a run compares: every one, or those named in `only`.
fn selected(step: i64, only: &[String]) -> Vec<policy::Policy> {
    policy::all(step)
        .into_iter()
        .filter(|p| only.is_empty() || only.iter().any(|o| o == p.name))
        .collect()
}
