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
pub const BUILT_IN: [&str; 14] = [
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
    /// Keeper and oracle transactions per wall-clock second (not part of
    /// the deterministic results).
    #[serde(skip)]
    pub tx_per_sec: f64,
}

/// Run `scenario` under every policy (or only those named in `only`),
/// each policy on its own chain in its own thread. `progress` is called
/// once per step of every run.
pub fn run_scenario(
    scenario: &Scenario,
    only: &[String],
    progress: Arc<dyn Fn() + Send + Sync>,
) -> anyhow::Result<ScenarioResult> {
    let ticks = Arc::new(feeds::ticks(scenario)?);
    let step = ticks.get(1).map_or(scenario.step, |t| t.t - ticks[0].t);
    let started = std::time::Instant::now();
    let defaults = policy::all(step).len();
    let handles: Vec<_> = policy::all(step)
        .into_iter()
        .chain(policy::opt_in(step))
        .enumerate()
        .filter(|(i, p)| match only.is_empty() {
            true => *i < defaults,
            false => only.iter().any(|o| o == p.name),
        })
        .map(|(_, p)| p)
        .map(|policy| {
            let (scenario, ticks, progress) = (scenario.clone(), ticks.clone(), progress.clone());
            std::thread::spawn(move || -> anyhow::Result<RunResult> {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                rt.block_on(engine::run(&scenario, &ticks, &policy, || progress()))
                    .with_context(|| format!("{} under {}", scenario.name, policy.name))
            })
        })
        .collect();
    let mut runs = vec![];
    for h in handles {
        runs.push(
            h.join()
                .map_err(|_| anyhow::anyhow!("a policy run panicked"))??,
        );
    }
    let tx: usize = runs.iter().map(|r| r.transactions).sum();
    Ok(ScenarioResult {
        scenario: scenario.name.clone(),
        accounts: scenario.accounts,
        steps: ticks.len(),
        runs,
        tx_per_sec: tx as f64 / started.elapsed().as_secs_f64(),
    })
}
