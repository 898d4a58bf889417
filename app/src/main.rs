//! `rampart`: the Rampart command line. Runs against the embedded chain.

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rampart::replay;

#[derive(Parser)]
#[command(
    name = "rampart",
    version,
    about = "Rampart derivatives protocol: client and tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Replay Q1-2023 BTC/USD, BTC/USDT and BTC/USDC through the pricing program in the embedded bank.
    Replay {
        /// Stop after this many 5-minute steps (default: the whole quarter).
        #[arg(long, env = "RAMPART_REPLAY_STEPS")]
        steps: Option<usize>,
    },
    /// Regenerate idl/*.json from the programs (no Anchor CLI needed), or check them with --check.
    Idl {
        #[arg(long)]
        check: bool,
    },
    /// Run scenarios through the programs under Rampart's policy and the
    /// baselines, and write the resilience report (table, JSON, Markdown, HTML, SVG).
    Stress {
        /// Scenario files (default: every built-in scenario in scenarios/).
        files: Vec<std::path::PathBuf>,
        /// Override each scenario's number of accounts.
        #[arg(long)]
        accounts: Option<usize>,
        /// Only these policies (repeatable; default all).
        #[arg(long)]
        policy: Vec<String>,
        /// Where the report goes.
        #[arg(long, default_value = "target/stress")]
        out: std::path::PathBuf,
        /// Print the JSON report instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Backstop studies.
    Backstop {
        #[command(subcommand)]
        what: BackstopCommand,
    },
    /// Measure throughput through the embedded bank.
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
}

#[derive(Subcommand)]
enum BackstopCommand {
    /// Capital a banded backstop needs vs a constant-product pool (5% max
    /// discount) on the same liquidation flow, and liquidated accounts' prices.
    Efficiency {
        #[arg(long, default_value_t = 1_000)]
        accounts: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Refresh transactions per second on a three-source feed.
    Refresh {
        #[arg(long, default_value_t = 5_000)]
        refreshes: usize,
    },
    /// Partial liquidations per second after a 20% crash.
    Liquidations {
        #[arg(long, default_value_t = 1_000)]
        accounts: usize,
    },
    /// Option-vault epochs per second (sale, settle, process, start).
    Epochs {
        #[arg(long, default_value_t = 200)]
        epochs: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&e.into()),
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// Every failure is one readable line.
fn fail(e: &anyhow::Error) -> ExitCode {
    eprintln!("error: {e:#}");
    ExitCode::FAILURE
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Replay { steps } => {
            let mut last_decile = 0;
            let report = replay::run(steps, |done, total| {
                let decile = done * 10 / total;
                if decile != last_decile {
                    last_decile = decile;
                    eprint!("\rreplaying: {:>3}% ({done}/{total} steps)", decile * 10);
                    let _ = std::io::stderr().flush();
                }
            })
            .await?;
            eprintln!();
            print!("{report}");
        }
        Command::Idl { check: false } => {
            for path in rampart::idl::write_all()? {
                println!("wrote {}", path.display());
            }
        }
        Command::Idl { check: true } => {
            let stale = rampart::idl::stale_programs()?;
            anyhow::ensure!(
                stale.is_empty(),
                "committed IDL out of date for {stale:?}: run `cargo run -p rampart -- idl`"
            );
            println!("idl/ is current");
        }
        Command::Stress {
            files,
            accounts,
            policy,
            out,
            json,
        } => stress(files, accounts, policy, out, json).await?,
        Command::Backstop {
            what:
                BackstopCommand::Efficiency {
                    accounts,
                    seed,
                    json,
                },
        } => {
            let studies = rampart::backstop_report::all(accounts, seed)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&studies)?);
            } else {
                print_efficiency(&studies);
            }
        }
        Command::Bench {
            what: BenchCommand::Liquidations { accounts },
        } => {
            let b = rampart::bench::liquidation_throughput(accounts).await?;
            println!(
                "liquidation throughput: {:.0} liquidations/s ({} partial liquidations with health checks in {:.2} s, embedded bank{})",
                b.per_sec(),
                b.liquidations,
                b.secs,
                build_kind()
            );
        }
        Command::Bench {
            what: BenchCommand::Epochs { epochs },
        } => {
            let b = rampart::bench::epoch_throughput(epochs).await?;
            println!(
                "epoch throughput: {:.0} epochs/s ({} epochs, {} transactions: sale, settle, process, start; {:.2} s, embedded bank{})",
                b.per_sec(),
                b.epochs,
                b.transactions,
                b.secs,
                build_kind()
            );
        }
        Command::Bench {
            what: BenchCommand::Refresh { refreshes },
        } => {
            let b = rampart::bench::refresh_throughput(refreshes).await?;
            println!(
                "refresh throughput: {:.0} refreshes/s ({} refreshes of a 3-source feed in {:.2} s, embedded bank{})",
                b.per_sec(),
                b.refreshes,
                b.secs,
                build_kind()
            );
        }
    }
    Ok(())
}

async fn stress(
    files: Vec<std::path::PathBuf>,
    accounts: Option<usize>,
    policy: Vec<String>,
    out: std::path::PathBuf,
    json: bool,
) -> anyhow::Result<()> {
    use rampart::stress;
    let files = if files.is_empty() {
        stress::BUILT_IN
            .iter()
            .map(|n| stress::scenarios_dir().join(format!("{n}.scn")))
            .collect()
    } else {
        files
    };
    let mut scenarios = vec![];
    for f in &files {
        let mut s = stress::load(f)?;
        if let Some(n) = accounts {
            s.accounts = n;
        }
        scenarios.push(s);
    }
    let mut results = vec![];
    for s in &scenarios {
        let steps = stress::feeds::ticks(s)?.len();
        let policies = if policy.is_empty() { 6 } else { policy.len() };
        let bar = indicatif::ProgressBar::new((steps * policies) as u64).with_style(
            indicatif::ProgressStyle::with_template(
                "{msg:28} {bar:40} {pos}/{len} steps {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(s.name.clone());
        let tick = bar.clone();
        let r = stress::run_scenario(s, &policy, std::sync::Arc::new(move || tick.inc(1)))?;
        bar.finish_and_clear();
        eprintln!(
            "{}: {} policies, {} transactions, {:.0} tx/s{}",
            s.name,
            r.runs.len(),
            r.runs.iter().map(|x| x.transactions).sum::<usize>(),
            r.tx_per_sec,
            build_kind()
        );
        results.push(r);
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

fn print_efficiency(studies: &[rampart::backstop_report::Efficiency]) {
    println!(
        "{:<30} {:>6} {:>12} {:>14} {:>14} {:>6} {:>9} {:>7} {:>12}",
        "scenario (max discount 5%)",
        "liqs",
        "largest 1h",
        "banded quote",
        "x*y=k quote",
        "ratio",
        "backstop",
        "open",
        "x*y=k same$"
    );
    for e in studies {
        println!(
            "{:<30} {:>6} {:>12.0} {:>14.0} {:>14.0} {:>5.1}x {:>6.0}bps {:>4.0}bps {:>9.0}bps",
            e.scenario,
            e.liquidations,
            e.largest_burst_usd,
            e.banded_capital_usd,
            e.cpmm_quote_usd,
            e.ratio,
            e.discount_backstop_bps,
            e.discount_open_bps,
            e.discount_cpmm_same_capital_bps
        );
    }
    println!("(USD; discounts are the liquidated accounts' average execution price below the oracle: into the bands, to open liquidators at the 2% base fee, into x*y=k holding the bands' capital)");
}

fn build_kind() -> &'static str {
    if cfg!(debug_assertions) {
        ", DEBUG build: use --release for figures"
    } else {
        ", release build"
    }
}
