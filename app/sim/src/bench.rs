//! Throughput through the embedded bank (simple transfers, refreshes,
//! liquidations, epochs) and the CLI's start-up time.

use std::time::Instant;

use pricing::state::FeedParams;

use crate::setup;
use rampart_embedded::Chain;

#[derive(Debug, Clone, Copy)]
pub struct RefreshBench {
    pub refreshes: usize,
    pub secs: f64,
}

impl RefreshBench {
    pub fn per_sec(&self) -> f64 {
        self.refreshes as f64 / self.secs
    }
}

/// Time `n` refreshes of a three-source feed, one per simulated second.
/// Only the refresh transactions are timed; the price pushes that keep
/// the sources fresh are not.
pub async fn refresh_throughput(n: usize) -> anyhow::Result<RefreshBench> {
    let mut chain = Chain::builder().start().await;
    chain.set_clock(1_700_000_000, 230_000_000);
    let (ops, feed) = setup::protocol_and_feed(
        &mut chain,
        "BENCH/USD",
        -8,
        FeedParams::default_crypto(),
        5_000,
    )
    .await?;
    let sources = setup::manual_sources(&mut chain, &ops, feed, 3).await?;
    let mut timed = 0f64;
    for i in 0..n {
        chain.advance(1);
        if i % 10 == 0 {
            let p = 3_000_000_000_000 + (i as i64 % 7) * 1_000_000;
            let quotes = [
                Some((p, 1_000_000)),
                Some((p + 500_000, 1_000_000)),
                Some((p - 500_000, 1_000_000)),
            ];
            setup::push(&mut chain, &ops, &sources, &quotes, -8).await?;
        }
        let start = Instant::now();
        setup::refresh(&mut chain, feed, &sources).await?;
        timed += start.elapsed().as_secs_f64();
    }
    Ok(RefreshBench {
        refreshes: n,
        secs: timed,
    })
}

#[derive(Debug, Clone, Copy)]
pub struct LiquidationBench {
    pub liquidations: usize,
    pub secs: f64,
}

impl LiquidationBench {
    pub fn per_sec(&self) -> f64 {
        self.liquidations as f64 / self.secs
    }
}

/// Time one partial liquidation of each of `accounts` borrowers (0.1 BTC
/// posted, 2,100 USDC borrowed) after BTC falls from 30,000 to 24,000.
/// Only the liquidation transactions are timed.
pub async fn liquidation_throughput(accounts: usize) -> anyhow::Result<LiquidationBench> {
    use crate::market::{MarginMarket, BTC, USDC};
    let mut m = MarginMarket::new().await?;
    m.lender(
        accounts as u64 * 2_500 * USDC,
        accounts as u64 * 2_500 * USDC,
    )
    .await?;
    let mut borrowers = Vec::with_capacity(accounts);
    for _ in 0..accounts {
        borrowers.push(m.leveraged_borrower(BTC / 10, 2_100 * USDC).await?);
    }
    let liquidator = m.liquidator(accounts as u64 * 1_000 * USDC).await?;
    m.tick(24_000.0).await?;
    let start = Instant::now();
    for b in &borrowers {
        m.liquidate(&liquidator, b).await?;
    }
    Ok(LiquidationBench {
        liquidations: accounts,
        secs: start.elapsed().as_secs_f64(),
    })
}

#[derive(Debug, Clone, Copy)]
pub struct EpochBench {
    pub epochs: usize,
    /// Keeper steps (settle, process, start) and one option sale per epoch.
    pub transactions: usize,
    pub secs: f64,
}

impl EpochBench {
    pub fn per_sec(&self) -> f64 {
        self.epochs as f64 / self.secs
    }
}

/// Run `epochs` covered-call epochs: each sells 1 BTC of options, expires,
/// and is settled, processed and rolled into the next. Only the sale and
/// the three keeper steps are timed, not the price ticks that carry the
/// chain to each expiry.
pub async fn epoch_throughput(epochs: usize) -> anyhow::Result<EpochBench> {
    use crate::market::BTC;
    use crate::vault_market::VaultMarket;
    use solana_sdk::signature::Signer;
    let mut vm = VaultMarket::new().await?;
    let v = vm.call;
    let depositor = vm.user(&v, 50 * BTC, 0).await?;
    vm.send_as(&depositor, v.deposit(&depositor.holder, 50 * BTC, None))
        .await?;
    let buyer = vm.user(&v, 50 * BTC, 0).await?;
    let keeper = vm.keeper.pubkey();
    let mut round = vm.roll(&v).await?;
    let mut timed = 0f64;
    for i in 0..epochs {
        let options = vm.option_account(&v, round, &buyer.holder.owner).await?;
        let buy = v.buy_options(round, buyer.holder.owner, buyer.user.btc, options, BTC, BTC);
        let start = Instant::now();
        vm.send_as(&buyer, buy).await?;
        timed += start.elapsed().as_secs_f64();
        // Alternate expiries below and above the strike.
        let price = if i % 2 == 0 { 29_500.0 } else { 30_500.0 };
        vm.expire_at(&v, round, price).await?;
        let start = Instant::now();
        vm.m.chain.send(&[v.settle_epoch(round)], &[]).await?;
        vm.keeper_send(v.process_epoch(keeper, round)).await?;
        vm.keeper_send(v.start_epoch(keeper, round + 1)).await?;
        timed += start.elapsed().as_secs_f64();
        round += 1;
    }
    Ok(EpochBench {
        epochs,
        transactions: epochs * 4,
        secs: timed,
    })
}

/// Simple transactions through the embedded transport.
#[derive(Debug, Clone, Copy)]
pub struct TxBench {
    pub transactions: usize,
    pub secs: f64,
    /// Transactions submitted concurrently (one lane per payer).
    pub in_flight: usize,
}

impl TxBench {
    pub fn per_sec(&self) -> f64 {
        self.transactions as f64 / self.secs
    }
}

/// `n` signed SOL transfers, built, signed and executed with their results
/// checked, from `lanes` payers at once as a busy client would (one
/// payer's transactions lock the same account, so each lane is one payer).
pub async fn simple_tx_throughput(n: usize, lanes_wanted: usize) -> anyhow::Result<TxBench> {
    use rampart_client::transport::Transport;
    use solana_sdk::signature::{Keypair, Signer};
    use solana_sdk::system_instruction;

    let lanes_count = lanes_wanted.max(1);
    let mut chain = Chain::builder().start().await;
    let mut payers = vec![];
    for _ in 0..lanes_count {
        payers.push(chain.funded_keypair(1_000_000_000_000).await);
    }
    let start = Instant::now();
    let mut lanes = vec![];
    for (lane, payer) in payers.into_iter().enumerate() {
        // One handle per lane, each its own connection to the bank, used
        // through the same Transport trait as every command.
        let mut handle = chain.handle(payer).await;
        let count = n / lanes_count + usize::from(lane < n % lanes_count);
        lanes.push(tokio::spawn(async move {
            let t: &mut dyn Transport = &mut handle;
            let from = t.payer().pubkey();
            let to = Keypair::new().pubkey();
            let mut sent = 0u64;
            for i in 0..count {
                // Distinct amounts keep every transaction (and signature) unique.
                let lamports = 1_000_000 + i as u64;
                t.send(&[system_instruction::transfer(&from, &to, lamports)], &[])
                    .await?;
                sent += lamports;
            }
            anyhow::Ok((count, to, sent))
        }));
    }
    let mut done = 0;
    let mut receivers = vec![];
    for l in lanes {
        let (count, to, sent) = l.await??;
        done += count;
        receivers.push((to, sent));
    }
    let secs = start.elapsed().as_secs_f64();
    // Every transfer landed: each receiver holds exactly what was sent.
    for (to, sent) in receivers {
        let held = chain.balance(to).await;
        anyhow::ensure!(held == sent, "receiver {to} holds {held}, {sent} was sent");
    }
    Ok(TxBench {
        transactions: done,
        secs,
        in_flight: lanes_count,
    })
}

/// Median start-up times of this binary.
#[derive(Debug, Clone, Copy)]
pub struct Startup {
    pub version_ms: f64,
    pub embedded_ms: f64,
}

/// Run `rampart --version`, and `rampart pricing status` on an embedded
/// ledger set up once by `init`, `runs` times each, as separate processes.
pub fn startup(runs: usize) -> anyhow::Result<Startup> {
    use anyhow::Context;
    let exe = std::env::current_exe().context("locate the rampart binary")?;
    let ledger = std::env::temp_dir().join(format!("rampart-startup-{}", std::process::id()));
    let run = |args: &[&str]| -> anyhow::Result<f64> {
        let t = Instant::now();
        let out = std::process::Command::new(&exe)
            .args(args)
            .arg("--ledger")
            .arg(&ledger)
            .output()
            .context("spawn rampart")?;
        anyhow::ensure!(
            out.status.success(),
            "rampart {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(t.elapsed().as_secs_f64() * 1e3)
    };
    let config = rampart_sdk::idl::workspace_root().join("migrations/localnet.toml");
    run(&["init", "--config", &config.to_string_lossy()])?;
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let version = (0..runs.max(1))
        .map(|_| run(&["--version"]))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let status = (0..runs.max(1))
        .map(|_| run(&["pricing", "status"]))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let _ = std::fs::remove_dir_all(&ledger);
    Ok(Startup {
        version_ms: median(version),
        embedded_ms: median(status),
    })
}
