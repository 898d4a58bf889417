//! `rampart`: the Rampart command line. Runs against the embedded chain
//! (a ledger directory, no validator needed) unless `--url` names a cluster.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use rampart::actions::{self, Output};
use rampart_client::transport::rpc::{RpcTransport, SendOptions};
use rampart_client::transport::{wallet, Transport};
use rampart_embedded::ledger::{LedgerChain, LedgerOptions};
use rampart_sim::replay;
use solana_sdk::commitment_config::CommitmentConfig;
use solana_sdk::pubkey::Pubkey;

mod commands;
mod stress;

use commands::{GovCommand, MarginCommand, PricingCommand, VaultCommand};

#[derive(Parser)]
#[command(
    name = "rampart",
    version,
    about = "Rampart derivatives protocol: client and tools",
    after_help = "Without --url every command runs on the embedded chain, whose state persists in --ledger between commands."
)]
struct Cli {
    #[command(flatten)]
    net: Net,
    #[command(subcommand)]
    command: Command,
}

/// Where commands run, who signs, and how transactions are sent.
#[derive(Args, Clone)]
struct Net {
    /// Cluster: localhost, devnet, testnet, mainnet-beta (or l/d/t/m) or an RPC URL. Default: the embedded chain.
    #[arg(short = 'u', long, global = true, env = "RAMPART_URL")]
    url: Option<String>,
    /// Signer keypair file. Default: the Solana CLI's configured keypair; on the embedded chain without one, a wallet kept in the ledger.
    #[arg(short = 'k', long, global = true, env = "RAMPART_KEYPAIR")]
    keypair: Option<PathBuf>,
    /// Embedded chain state directory.
    #[arg(
        long,
        global = true,
        env = "RAMPART_LEDGER",
        default_value = ".rampart/ledger"
    )]
    ledger: PathBuf,
    /// Whether --ledger (or RAMPART_LEDGER) was given rather than defaulted:
    /// the demo keeps its chain only in a ledger the user named.
    #[arg(skip)]
    ledger_named: bool,
    /// Embedded: load accounts from `solana account --output json` files (repeatable).
    #[arg(long = "clone", global = true)]
    clones: Vec<PathBuf>,
    /// Embedded: move the clock this many seconds forward first (time
    /// never runs backwards: negative values are refused).
    #[arg(long, global = true, default_value_t = 0, value_parser = clap::value_parser!(i64).range(0..))]
    warp: i64,
    /// Priority fee, micro-lamports per compute unit.
    #[arg(long, global = true, default_value_t = 0)]
    priority_fee: u64,
    /// Compute-unit limit per transaction.
    #[arg(long, global = true)]
    compute_units: Option<u32>,
    /// processed, confirmed or finalized.
    #[arg(long, global = true, default_value = "confirmed")]
    commitment: String,
    /// Re-sign and resend this many times after an expired blockhash or a network error.
    #[arg(long, global = true, default_value_t = 3)]
    retries: usize,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Create (or complete) a deployment from a TOML file; idempotent.
    Init {
        #[arg(long, default_value = "migrations/localnet.toml")]
        config: PathBuf,
    },
    /// Print this wallet's address (as `solana address` does).
    Address,
    /// What this wallet (or --owner) holds: SOL, every bank's token, vault
    /// shares, queued vault deposits and withdrawals, options, backstop stakes.
    Balance {
        #[arg(long)]
        owner: Option<Pubkey>,
    },
    /// Mint test tokens (where this wallet created the mints) to a wallet.
    Faucet {
        #[arg(long)]
        token: String,
        #[arg(long)]
        amount: String,
        /// Recipient (default: this wallet).
        #[arg(long)]
        to: Option<Pubkey>,
    },
    /// Price feeds.
    Pricing {
        #[command(subcommand)]
        what: PricingCommand,
    },
    /// Margin accounts.
    Margin {
        #[command(subcommand)]
        what: MarginCommand,
    },
    /// Option vaults.
    Vault {
        #[command(subcommand)]
        what: VaultCommand,
    },
    /// Governance: timelocked bank changes, approvals, halts, shutdown.
    Gov {
        #[command(subcommand)]
        what: GovCommand,
    },
    /// A full story on a fresh embedded chain: deploy, deposit, an option
    /// epoch, a crash and the breaker, liquidations, settlement. With
    /// --ledger, the chain it ends in is kept there (a new directory) for
    /// the CLI to carry on from.
    Demo,
    /// Run the keeper: refresh feeds, update risk, liquidate, settle and roll epochs.
    Keeper {
        /// Seconds between passes.
        #[arg(long, default_value_t = 2.0)]
        interval: f64,
        /// Stop after this many passes (default: until Ctrl-C).
        #[arg(long)]
        ticks: Option<u64>,
    },
    /// The risk agent: per borrowed bank, the smallest maintenance base whose
    /// 99% one-hour loss from late liquidations fits the insurance fund plus
    /// the backstop; moved one leash step at a time (see the README's rule).
    Agent {
        /// Print the decision and its reasons; send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Seconds between passes.
        #[arg(long, default_value_t = 60.0)]
        interval: f64,
        /// Stop after this many passes (default: until Ctrl-C; --dry-run: one).
        #[arg(long)]
        ticks: Option<u64>,
        /// Monte Carlo paths per decision.
        #[arg(long, default_value_t = 2_000)]
        paths: usize,
        /// Seconds from crossing the threshold to a completed liquidation on
        /// an uncongested chain (your keeper's interval).
        #[arg(long, default_value_t = 60)]
        delay: i64,
    },
    /// Serve the embedded ledger as a Solana JSON-RPC endpoint on --port and
    /// its websocket on the next port (no validator needed).
    Serve {
        #[arg(long, default_value_t = 8899)]
        port: u16,
    },
    /// Print Rampart's events live; a summary on exit (Ctrl-C or --seconds).
    Monitor {
        /// Stop after this many seconds.
        #[arg(long)]
        seconds: Option<f64>,
        /// Embedded: replay the ledger's log from its start first.
        #[arg(long)]
        from_start: bool,
    },
    /// Replay price histories through the pricing program in the embedded
    /// bank: Q1-2023 BTC/USD, BTC/USDT and BTC/USDC by default, or your own files.
    Replay {
        /// Stop after this many steps (default: the whole history).
        #[arg(long, env = "RAMPART_REPLAY_STEPS")]
        steps: Option<usize>,
        /// Your price files, one per source (comma-separated, up to 8):
        /// Rampart CSV (`timestamp,price[,confidence]`), Binance kline or
        /// Kraken OHLCVT files as downloaded.
        #[arg(long, value_delimiter = ',')]
        sources: Vec<std::path::PathBuf>,
        /// The file the errors are measured against (default: the first source).
        #[arg(long, requires = "sources")]
        reference: Option<std::path::PathBuf>,
        /// A stretch to report on its own: FROM,TO as unix seconds or RFC 3339.
        #[arg(long, requires = "sources")]
        window: Option<String>,
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
        /// Run the one scenario under the one policy and print its result
        /// as JSON, after one '.' per step: each run of `rampart stress`
        /// is such a child process.
        #[arg(long, hide = true)]
        run_one: bool,
    },
    /// Backstop pools: the bands and your stakes, LP deposit, withdraw and
    /// claim; the capital study.
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
    #[command(flatten)]
    Pool(commands::PoolCommand),
    /// Capital a banded backstop needs vs a constant-product pool (5% max
    /// discount) on the same liquidation flow, and liquidated accounts' prices.
    Efficiency {
        #[arg(long, default_value_t = 1_000)]
        accounts: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Simple transactions (SOL transfers) per second through the embedded transport.
    Tx {
        #[arg(long, default_value_t = 20_000)]
        transactions: usize,
        /// Payers sending at once, each on its own handle to the bank.
        #[arg(long, default_value_t = 8)]
        lanes: usize,
    },
    /// Time to start the CLI and open the embedded chain.
    Startup {
        #[arg(long, default_value_t = 10)]
        runs: usize,
    },
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
    // A bug must still end in one line, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal error: {info}");
    }));
    let matches = match <Cli as clap::CommandFactory>::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => return usage_error(e),
    };
    let mut cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    cli.net.ledger_named =
        matches.value_source("ledger") != Some(clap::parser::ValueSource::DefaultValue);
    // The demo narrates itself; the keeper's own log lines would interleave.
    init_tracing(if matches!(cli.command, Command::Demo) {
        "rampart=warn"
    } else {
        "rampart=info"
    });
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&e.into()),
    };
    let json = cli.net.json;
    match runtime.block_on(run(cli.net, cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if json => fail_json(&e),
        Err(e) => fail(&e),
    }
}

/// Help and version print as clap prints them; a usage mistake is one line.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        // `rampart margin` alone: show what it offers, but it did nothing.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitCode::from(2);
        }
        _ => {}
    }
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default();
    eprintln!("{first} (see --help)");
    ExitCode::from(2)
}

/// Logs (the keeper's, the transport's) go to stderr; RAMPART_LOG filters
/// them. A bare level (`RAMPART_LOG=debug`) is Rampart's own crates at that
/// level and everything else at warn: the bank and the RPC client log a
/// thousand lines a tick at debug. A full filter (`rampart=debug,solana_runtime=info`)
/// is used as written.
fn init_tracing(default: &str) {
    use std::io::IsTerminal;
    let spec = match std::env::var("RAMPART_LOG") {
        Ok(s) if !s.contains('=') && !s.contains(',') && !s.trim().is_empty() => {
            format!("warn,rampart={}", s.trim())
        }
        Ok(s) if !s.trim().is_empty() => s,
        _ => default.to_string(),
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&spec)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Every failure is one readable line, with the program's error by name.
fn fail(e: &anyhow::Error) -> ExitCode {
    eprintln!("error: {}", rampart_client::failure::describe(e));
    ExitCode::FAILURE
}

/// With --json, a failure is one JSON object on stderr (stdout stays
/// empty): `{"error": {"message", "program_error", "code"}}`, the program's
/// error name and number when a program refused, else null.
fn fail_json(e: &anyhow::Error) -> ExitCode {
    let code = e
        .downcast_ref::<rampart_client::transport::TxFailure>()
        .and_then(|f| f.custom_code());
    let out = serde_json::json!({"error": {
        "message": rampart_client::failure::describe(e),
        "program_error": rampart_client::failure::refusal_name(e),
        "code": code,
    }});
    eprintln!("{out}");
    ExitCode::FAILURE
}

/// The transport `net` names: an RPC cluster, or the embedded ledger.
enum Conn {
    Embedded(Box<LedgerChain>),
    Rpc(Box<RpcTransport>),
}

impl Conn {
    async fn open(net: &Net) -> anyhow::Result<Conn> {
        match &net.url {
            Some(url) => {
                // Without a keypair file (none named, none configured that
                // exists), read-only commands still run; one that exists
                // but is broken is an error.
                let payer = if net.keypair.is_none() && wallet::solana_cli_keypair_path().is_none()
                {
                    None
                } else {
                    Some(wallet::resolve(net.keypair.as_deref(), None)?)
                };
                let commitment = match net.commitment.as_str() {
                    "processed" => CommitmentConfig::processed(),
                    "confirmed" => CommitmentConfig::confirmed(),
                    "finalized" => CommitmentConfig::finalized(),
                    other => {
                        anyhow::bail!("--commitment {other}: use processed, confirmed or finalized")
                    }
                };
                let options = SendOptions {
                    priority_fee: net.priority_fee,
                    compute_unit_limit: net.compute_units,
                    commitment,
                    retries: net.retries,
                    ..SendOptions::default()
                };
                let url = wallet::cluster_url(url);
                Ok(Conn::Rpc(Box::new(match payer {
                    Some(payer) => RpcTransport::new(&url, payer, options),
                    None => RpcTransport::read_only(
                        &url,
                        options,
                        "pass --keypair <file> or create one with `solana-keygen new`".into(),
                    ),
                })))
            }
            None => {
                let wallet = wallet::resolve(net.keypair.as_deref(), Some(&net.ledger))?;
                let chain = LedgerChain::open(LedgerOptions {
                    dir: net.ledger.clone(),
                    wallet,
                    clones: net.clones.clone(),
                    warp_secs: net.warp,
                })
                .await?;
                Ok(Conn::Embedded(Box::new(chain)))
            }
        }
    }

    fn t(&mut self) -> &mut dyn Transport {
        match self {
            Conn::Embedded(c) => c.as_mut(),
            Conn::Rpc(c) => c.as_mut(),
        }
    }

    /// The embedded ledger keeps whatever landed, even when the command failed later.
    async fn close(self) -> anyhow::Result<()> {
        if let Conn::Embedded(mut c) = self {
            c.save().await?;
        }
        Ok(())
    }
}

/// Open the transport, run `f` on it, save the ledger, print the output.
async fn on_chain<F>(net: &Net, f: F) -> anyhow::Result<()>
where
    F: for<'a> FnOnce(
        &'a mut dyn Transport,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = anyhow::Result<Output>> + Send + 'a>,
    >,
{
    let mut conn = Conn::open(net).await?;
    let out = f(conn.t()).await;
    conn.close().await?;
    print_output(net, &out?)
}

fn print_output(net: &Net, out: &Output) -> anyhow::Result<()> {
    if net.json {
        println!("{}", serde_json::to_string_pretty(&out.json)?);
    } else {
        print!("{}", out.text);
    }
    Ok(())
}

/// The keeper's stats as lines of `job  count`, then each failure's reason.
fn keeper_summary(stats: &serde_json::Value) -> String {
    let mut text = String::new();
    for (name, value) in stats.as_object().into_iter().flatten() {
        match value.as_object() {
            Some(failed) => {
                for (reason, n) in failed {
                    text.push_str(&format!("  failed {n:>6}  {reason}\n"));
                }
            }
            None => text.push_str(&format!("{name:<24} {value}\n")),
        }
    }
    text
}

/// Ctrl-C, or SIGTERM (what `kill`, `timeout` and process managers send):
/// either stops a long-running command the same way, its ledger saved.
async fn stop_signal() {
    #[cfg(unix)]
    if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        return;
    }
    // If the signal cannot be hooked, run until killed.
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

async fn run(net: Net, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Init { config } => {
            let config = rampart_ops::deploy::load(&config)?;
            let json = net.json;
            on_chain(&net, move |t| {
                Box::pin(async move {
                    let print = move |s: &rampart_ops::deploy::Step| {
                        if !json {
                            let mark = if s.created { "created" } else { "exists " };
                            println!("{mark}  {:<44} {}", s.what, s.address);
                        }
                    };
                    let steps = rampart_ops::deploy::init(t, &config, &print).await?;
                    let created = steps.iter().filter(|s| s.created).count();
                    Ok(Output::new(
                        format!(
                            "{created} created, {} already there\n",
                            steps.len() - created
                        ),
                        serde_json::to_value(&steps)?,
                    ))
                })
            })
            .await?;
        }
        Command::Address => {
            let ledger = net.url.is_none().then_some(net.ledger.as_path());
            let kp = wallet::resolve(net.keypair.as_deref(), ledger)?;
            let address = solana_sdk::signer::Signer::pubkey(&kp).to_string();
            print_output(
                &net,
                &Output::new(
                    format!("{address}\n"),
                    serde_json::json!({"address": address}),
                ),
            )?;
        }
        Command::Balance { owner } => {
            on_chain(&net, move |t| {
                Box::pin(async move { actions::wallet::balance(t, owner).await })
            })
            .await?
        }
        Command::Faucet { token, amount, to } => {
            on_chain(&net, move |t| {
                Box::pin(async move { actions::faucet::faucet(t, &token, &amount, to).await })
            })
            .await?
        }
        Command::Pricing { what } => {
            on_chain(&net, move |t| Box::pin(commands::pricing(t, what))).await?
        }
        Command::Margin { what } => {
            on_chain(&net, move |t| Box::pin(commands::margin(t, what))).await?
        }
        Command::Vault { what } => {
            on_chain(&net, move |t| Box::pin(commands::vault(t, what))).await?
        }
        Command::Gov { what } => on_chain(&net, move |t| Box::pin(commands::gov(t, what))).await?,
        Command::Demo => {
            let json = net.json;
            let keep = net.ledger_named.then_some(net.ledger.as_path());
            let report = rampart::demo::run(
                move |line| {
                    if !json {
                        println!("{line}");
                    }
                },
                keep,
            )
            .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            }
        }
        Command::Keeper { interval, ticks } => {
            let mut conn = Conn::open(&net).await?;
            tracing::info!(on = %conn.t().describe(), "keeper started");
            let stats = rampart_ops::keeper::run(
                conn.t(),
                Duration::from_secs_f64(interval.max(0.0)),
                ticks,
                stop_signal(),
            )
            .await;
            conn.close().await?;
            let stats = stats?;
            let json = serde_json::to_value(&stats)?;
            print_output(&net, &Output::new(keeper_summary(&json), json))?;
        }
        Command::Agent {
            dry_run,
            interval,
            ticks,
            paths,
            delay,
        } => {
            let rule = rampart_ops::agent::RuleParams {
                paths: paths.max(1),
                delay_secs: delay.max(0),
                ..Default::default()
            };
            let mut conn = Conn::open(&net).await?;
            let json = net.json;
            let show = |done: &rampart_ops::agent::Pass| {
                let said = |sent: &Option<anyhow::Result<()>>| {
                    sent.as_ref().map(|r| match r {
                        Ok(()) => "sent".to_string(),
                        Err(e) => format!("refused: {e:#}"),
                    })
                };
                let print = |v: serde_json::Value, text: String, sent: Option<String>| {
                    if json {
                        let mut v = v;
                        v["sent"] = serde_json::json!(sent);
                        println!("{v}");
                    } else {
                        print!("{text}");
                        match sent {
                            Some(s) => println!("  {s}"),
                            None if dry_run => println!("  (dry run: nothing sent)"),
                            None => {}
                        }
                    }
                };
                for (d, sent) in &done.banks {
                    let v = serde_json::to_value(d).unwrap_or_default();
                    print(v, d.explain(), said(sent));
                }
                if let Some((f, sent)) = &done.fee {
                    let mut v = serde_json::to_value(f).unwrap_or_default();
                    v["fee_ramp"] = serde_json::json!(true);
                    print(v, f.explain(), said(sent));
                }
                if done.banks.is_empty() && !json {
                    println!("no bank has borrowers: nothing to decide");
                }
            };
            let result = if dry_run {
                rampart_ops::agent::pass(conn.t(), &rule, true)
                    .await
                    .map(|done| show(&done))
            } else {
                rampart_ops::agent::run(
                    conn.t(),
                    &rule,
                    Duration::from_secs_f64(interval.max(0.0)),
                    ticks,
                    stop_signal(),
                    show,
                )
                .await
                .map(|_| ())
            };
            conn.close().await?;
            result?;
        }
        Command::Monitor {
            seconds,
            from_start,
        } => monitor(&net, seconds, from_start).await?,
        Command::Serve { port } => {
            let Conn::Embedded(chain) = Conn::open(&net).await? else {
                anyhow::bail!("serve runs the embedded chain; drop --url");
            };
            let bind = |port: u16| async move {
                tokio::net::TcpListener::bind(("127.0.0.1", port))
                    .await
                    .map_err(|e| anyhow::anyhow!("bind 127.0.0.1:{port}: {e}"))
            };
            // JSON-RPC on the port, its websocket on the next, as a validator does.
            let (http, ws) = (bind(port).await?, bind(port.saturating_add(1)).await?);
            let node = rampart_embedded::serve::Node::new(*chain);
            eprintln!(
                "serving {} at http://127.0.0.1:{port} and ws://127.0.0.1:{} (use --url http://127.0.0.1:{port}; Ctrl-C or SIGTERM saves and stops)",
                net.ledger.display(),
                port.saturating_add(1)
            );
            tokio::select! {
                _ = rampart_embedded::serve::serve(node.clone(), http) => {}
                _ = rampart_embedded::serve::serve_pubsub(node.clone(), ws) => {}
                _ = stop_signal() => {}
            }
            node.chain.lock().await.persist().await?;
        }
        Command::Replay {
            steps,
            sources,
            reference,
            window,
        } => {
            let input = if sources.is_empty() {
                replay::ReplayInput::q1_2023()
            } else {
                let window = match window.as_deref() {
                    None => None,
                    Some(w) => {
                        let (from, to) = w.split_once(',').ok_or_else(|| {
                            anyhow::anyhow!("--window {w}: give FROM,TO (unix seconds or RFC 3339)")
                        })?;
                        let at = |t: &str| {
                            rampart_sim::price_files::timestamp(t.trim())
                                .map_err(|e| anyhow::anyhow!("--window: {e}"))
                        };
                        Some((at(from)?, at(to)?))
                    }
                };
                replay::ReplayInput::files(sources, reference, window)
            };
            let bar = progress_bar("replaying");
            let report = replay::run(&input, steps, |done, total| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            })
            .await?;
            bar.finish_and_clear();
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
            out: _,
            run_one: true,
        } => stress::run_one(&files, accounts, &policy)?,
        Command::Stress {
            files,
            accounts,
            policy,
            out,
            run_one: false,
        } => stress::stress(files, accounts, policy, out, net.json)?,
        Command::Backstop {
            what: BackstopCommand::Pool(what),
        } => on_chain(&net, move |t| Box::pin(commands::backstop(t, what))).await?,
        Command::Backstop {
            what: BackstopCommand::Efficiency { accounts, seed },
        } => {
            let studies = rampart_sim::backstop_report::all(accounts, seed)?;
            if net.json {
                println!("{}", serde_json::to_string_pretty(&studies)?);
            } else {
                print_efficiency(&studies);
            }
        }
        Command::Bench {
            what:
                BenchCommand::Tx {
                    transactions,
                    lanes,
                },
        } => {
            let b = rampart_sim::bench::simple_tx_throughput(transactions, lanes).await?;
            println!(
                "embedded transport: {:.0} simple tx/s ({} signed SOL transfers in {:.2} s, {} in flight{})",
                b.per_sec(),
                b.transactions,
                b.secs,
                b.in_flight,
                build_kind()
            );
        }
        Command::Bench {
            what: BenchCommand::Startup { runs },
        } => {
            let s = rampart_sim::bench::startup(runs)?;
            println!(
                "CLI start-up: `rampart --version` {:.1} ms, `rampart pricing status` on a fresh embedded ledger {:.1} ms (median of {runs}{})",
                s.version_ms,
                s.embedded_ms,
                build_kind()
            );
        }
        Command::Bench {
            what: BenchCommand::Liquidations { accounts },
        } => {
            let b = rampart_sim::bench::liquidation_throughput(accounts).await?;
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
            let b = rampart_sim::bench::epoch_throughput(epochs).await?;
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
            let b = rampart_sim::bench::refresh_throughput(refreshes).await?;
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

/// A progress bar on stderr (hidden when stderr is not a terminal).
pub(crate) fn progress_bar(what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("{msg:28} {bar:40} {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(what.to_string());
    bar
}

async fn monitor(net: &Net, seconds: Option<f64>, from_start: bool) -> anyhow::Result<()> {
    let json = net.json;
    let stop = async move {
        match seconds {
            Some(s) => tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs_f64(s.max(0.0))) => {}
                _ = stop_signal() => {}
            },
            None => stop_signal().await,
        }
    };
    // Names and units come from the deployment as the chain holds it, read
    // without taking the ledger a keeper may be holding.
    let names = {
        let (url, ledger) = (net.url.clone(), net.ledger.clone());
        rampart::naming::LiveNames::start(Box::new(move || {
            let (url, ledger) = (url.clone(), ledger.clone());
            Box::pin(async move {
                match url {
                    Some(url) => {
                        let mut t = RpcTransport::read_only(
                            &wallet::cluster_url(&url),
                            SendOptions::default(),
                            "the monitor only reads".into(),
                        );
                        rampart_client::Deployment::load(&mut t).await
                    }
                    None => {
                        let mut t = rampart_embedded::ledger::LedgerView::read(&ledger)?;
                        rampart_client::Deployment::load(&mut t).await
                    }
                }
            })
        }))
        .await
    };
    let print = move |slot: u64, e: &rampart_sdk::idl_events::Event| {
        if json {
            println!(
                "{}",
                serde_json::json!({"slot": slot, "event": e.name, "fields": e.fields})
            );
        } else {
            let mark = if rampart_ops::monitor::is_alert(&e.name) {
                "!"
            } else {
                " "
            };
            println!("{mark} slot {slot:>10}  {}", names.line(e));
        }
        let _ = std::io::stdout().flush();
    };
    let summary = match &net.url {
        Some(url) => {
            let ws = wallet::websocket_url(&wallet::cluster_url(url));
            eprintln!("monitoring {ws} (Ctrl-C to stop)");
            rampart_ops::monitor::follow_rpc(&ws, stop, print).await?
        }
        None => {
            eprintln!(
                "monitoring the embedded ledger {} (Ctrl-C to stop)",
                net.ledger.display()
            );
            rampart_ops::monitor::follow_ledger(&net.ledger, from_start, stop, print).await?
        }
    };
    if json {
        eprintln!("{}", serde_json::to_string(&summary)?);
    } else {
        eprint!("{}", summary.table());
    }
    Ok(())
}

fn print_efficiency(studies: &[rampart_sim::backstop_report::Efficiency]) {
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

pub(crate) fn build_kind() -> &'static str {
    if cfg!(debug_assertions) {
        ", DEBUG build: use --release for figures"
    } else {
        ", release build"
    }
}
