//! Keepers racing: two keepers on one embedded chain, interleaving their
//! transactions, against one keeper alone on an identical world. Every job
//! happens exactly once in effect: one settlement per expiry, one start
//! per epoch, the same liquidation, the same end state; the second keeper's
//! attempts are refused by the programs and counted as already done.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use rampart::actions::{self, margin::Action};
use rampart_client::transport::Transport;
use rampart_client::Deployment;
use rampart_embedded::Chain;
use rampart_embedded::SharedChain;
use rampart_ops::deploy;
use rampart_ops::keeper::{self, KeeperStats};
use rampart_sdk::idl_events::decode_logs;
use solana_sdk::signature::{Keypair, Signer};
use tokio::sync::Mutex;

const VAULT: &str = "BTC-call-1h";

struct World {
    chain: Arc<Mutex<Chain>>,
    operator: SharedChain,
    borrower: Keypair,
    keepers: Vec<SharedChain>,
}

/// `keepers` fresh keepers (or the validators' keys when `validators`)
/// and liquidations counted large from `large_usd`.
async fn world(keepers: usize, large_usd: u64, validators: bool) -> World {
    let mut chain = Chain::builder().start().await;
    chain.set_clock(1_700_000_000, 250_000_000);
    chain.record_logs();
    let operator_key = chain.funded_keypair(100_000_000_000).await;
    let chain = Arc::new(Mutex::new(chain));
    let mut operator = SharedChain::new(chain.clone(), operator_key);
    let mut config =
        deploy::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/one-source.toml"))
            .unwrap();
    config.validators.as_mut().unwrap().large_value_usd = large_usd;
    deploy::init(&mut operator, &config, &|_| {}).await.unwrap();

    let borrower = Keypair::new();
    let depositor = Keypair::new();
    let keeper_keys: Vec<Keypair> = if validators {
        // The wallet that ran init is validator 0; localnet validator 1 is the other.
        let v1 = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../migrations/keys/localnet-validator-1.json");
        let v1 = solana_sdk::signature::read_keypair_file(v1).unwrap();
        vec![operator.payer().insecure_clone(), v1]
    } else {
        (0..keepers).map(|_| Keypair::new()).collect()
    };
    let faucet = |who: Keypair, token: &'static str, amount: &'static str| (who, token, amount);
    let mut grants = vec![
        faucet(borrower.insecure_clone(), "BTC", "1"),
        faucet(depositor.insecure_clone(), "BTC", "2"),
        faucet(operator.payer().insecure_clone(), "USDC", "1000000"),
    ];
    for k in &keeper_keys {
        grants.push(faucet(k.insecure_clone(), "USDC", "100000"));
    }
    for (who, token, amount) in grants {
        actions::faucet::faucet(&mut operator, token, amount, Some(who.pubkey()))
            .await
            .unwrap();
    }
    let mut w = World {
        operator,
        borrower,
        keepers: keeper_keys
            .into_iter()
            .map(|k| SharedChain::new(chain.clone(), k))
            .collect(),
        chain,
    };
    w.prices(30_000.0, 15).await;
    actions::pricing::refresh(&mut w.operator, None)
        .await
        .unwrap();
    actions::margin::open(&mut w.operator, 0).await.unwrap();
    actions::margin::flow(&mut w.operator, Action::Deposit, "USDC", "500000", 0)
        .await
        .unwrap();
    let mut b = SharedChain::new(w.chain.clone(), w.borrower.insecure_clone());
    actions::margin::open(&mut b, 0).await.unwrap();
    actions::margin::flow(&mut b, Action::Deposit, "BTC", "1", 0)
        .await
        .unwrap();
    actions::margin::flow(&mut b, Action::Borrow, "USDC", "21000", 0)
        .await
        .unwrap();
    let mut d = SharedChain::new(w.chain.clone(), depositor);
    actions::vault::deposit(&mut d, VAULT, "2").await.unwrap();
    w
}

impl World {
    async fn prices(&mut self, btc: f64, secs: i64) {
        self.chain.lock().await.advance(secs);
        actions::pricing::push(&mut self.operator, "BTC/USD", &format!("{btc:.2}"), 5)
            .await
            .unwrap();
        actions::pricing::push(&mut self.operator, "USDC/USD", "1", 5)
            .await
            .unwrap();
    }

    /// Thirty-second steps for 75 minutes: BTC at 30,000, a crash to 24,000
    /// after five minutes (liquidation due), the hourly epoch expiring on
    /// the way. Every keeper runs each step, all at once.
    async fn run(&mut self) -> (BTreeMap<String, u64>, Vec<KeeperStats>) {
        let mut stats = vec![KeeperStats::default(); self.keepers.len()];
        let mut events = BTreeMap::new();
        self.chain.lock().await.take_logs();
        for step in 0..150 {
            let btc = if step < 10 { 30_000.0 } else { 24_000.0 };
            self.prices(btc, 30).await;
            let ticks = self
                .keepers
                .iter_mut()
                .zip(stats.iter_mut())
                .map(|(k, s)| async move { keeper::tick(k, s).await });
            for r in futures_util::future::join_all(ticks).await {
                r.unwrap();
            }
        }
        for logs in self.chain.lock().await.take_logs() {
            for e in decode_logs(&logs) {
                *events.entry(e.name).or_default() += 1;
            }
        }
        (events, stats)
    }

    async fn borrower_debt(&mut self) -> u64 {
        let d = Deployment::load(&mut self.operator).await.unwrap();
        let (bank, _) = d.bank("USDC").unwrap();
        let account: margin::state::MarginAccount = rampart_client::transport::require(
            &mut self.operator,
            rampart_sdk::pda::margin::account(&self.borrower.pubkey(), 0),
        )
        .await
        .unwrap();
        let scaled = account
            .active()
            .find(|p| p.bank == bank)
            .map_or(0, |p| p.borrow_scaled);
        d.bank_by_key(&bank).unwrap().debt_tokens(scaled).unwrap()
    }

    async fn vault_round(&mut self) -> u32 {
        let d = Deployment::load(&mut self.operator).await.unwrap();
        d.vault(VAULT).unwrap().1.round
    }
}

fn count(events: &BTreeMap<String, u64>, name: &str) -> u64 {
    events.get(name).copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_racing_keepers_do_each_job_exactly_once_in_effect() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("rampart=warn")
        .try_init();
    // Large-liquidation approvals have their own test; here every
    // liquidation is ordinary.
    let mut alone = world(1, 10_000_000, false).await;
    let (solo_events, solo_stats) = alone.run().await;
    let mut racing = world(2, 10_000_000, false).await;
    let (race_events, race_stats) = racing.run().await;

    for events in [&solo_events, &race_events] {
        assert_eq!(
            count(events, "vault::EpochStarted"),
            2,
            "rounds 2 and 3, once each: {events:?}"
        );
        assert_eq!(
            count(events, "vault::EpochSettled"),
            1,
            "one expiry, one settlement"
        );
        assert_eq!(count(events, "vault::EpochProcessed"), 2, "rounds 1 and 2");
        assert!(count(events, "margin::Liquidated") >= 1);
    }
    assert_eq!(
        count(&race_events, "margin::Liquidated"),
        count(&solo_events, "margin::Liquidated"),
        "no account liquidated more because two keepers saw it"
    );
    assert_eq!(racing.borrower_debt().await, alone.borrower_debt().await);
    assert_eq!(racing.vault_round().await, 3);
    assert_eq!(alone.vault_round().await, 3);

    // Both keepers worked, the jobs split between them, and the loser of
    // each race was refused, not double-served.
    let total = |f: fn(&KeeperStats) -> u64| race_stats.iter().map(f).sum::<u64>();
    assert_eq!(total(|s| s.settlements), 1);
    assert_eq!(total(|s| s.rolls), 2);
    assert_eq!(
        total(|s| s.liquidations),
        count(&race_events, "margin::Liquidated")
    );
    assert!(
        total(|s| s.already_done) > 0,
        "the races happened: {race_stats:?}"
    );
    assert!(
        race_stats.iter().all(|s| s.ticks == 150 && s.failures == 0),
        "{race_stats:?}"
    );
    assert_eq!(solo_stats[0].failures, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validator_keepers_propose_approve_and_execute_large_liquidations() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("rampart=warn")
        .try_init();
    // Every liquidation counts as large; the two keepers are 2 of the 3 validators.
    let mut w = world(2, 1_000, true).await;
    let (events, stats) = w.run().await;
    assert_eq!(
        count(&events, "margin::LiquidationProposed"),
        1,
        "{events:?}"
    );
    assert_eq!(
        count(&events, "margin::LiquidationApproved"),
        2,
        "each validator once"
    );
    assert_eq!(count(&events, "margin::Liquidated"), 1);
    assert_eq!(stats.iter().map(|s| s.approvals).sum::<u64>(), 2);
    assert!(w.borrower_debt().await < 21_000_000_000);
}

/// A keeper liquidates an account whose only collateral is option-vault
/// shares: it finds the account by the program's own valuation (share at
/// the vault's NAV), names the vault and its feed in the health accounts,
/// and seizes shares.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keeper_liquidates_btc_borrowed_against_vault_shares() {
    const PUT: &str = "BTC-put-1h";
    let mut chain = Chain::builder().start().await;
    chain.set_clock(1_700_000_000, 250_000_000);
    chain.record_logs();
    let operator_key = chain.funded_keypair(100_000_000_000).await;
    let chain = Arc::new(Mutex::new(chain));
    let mut operator = SharedChain::new(chain.clone(), operator_key);
    let config =
        deploy::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shares.toml"))
            .unwrap();
    deploy::init(&mut operator, &config, &|_| {}).await.unwrap();
    let (borrower, keeper_key) = (Keypair::new(), Keypair::new());
    for (who, token, amount) in [
        (operator.payer().pubkey(), "BTC", "10"),
        (borrower.pubkey(), "USDC", "50000"),
        (keeper_key.pubkey(), "BTC", "5"),
    ] {
        actions::faucet::faucet(&mut operator, token, amount, Some(who))
            .await
            .unwrap();
    }
    let mut w = World {
        operator,
        borrower: borrower.insecure_clone(),
        keepers: vec![SharedChain::new(chain.clone(), keeper_key)],
        chain,
    };
    w.prices(30_000.0, 15).await;
    actions::pricing::refresh(&mut w.operator, None)
        .await
        .unwrap();
    actions::margin::open(&mut w.operator, 0).await.unwrap();
    actions::margin::flow(&mut w.operator, Action::Deposit, "BTC", "5", 0)
        .await
        .unwrap();
    let mut b = SharedChain::new(w.chain.clone(), borrower);
    actions::vault::deposit(&mut b, PUT, "40000").await.unwrap();
    actions::vault::roll(&mut w.operator, PUT).await.unwrap();
    actions::vault::redeem(&mut b, PUT).await.unwrap();
    actions::margin::open(&mut b, 0).await.unwrap();
    actions::margin::flow(&mut b, Action::Deposit, PUT, "40000", 0)
        .await
        .unwrap();
    actions::margin::flow(&mut b, Action::Borrow, "BTC", "0.95", 0)
        .await
        .unwrap();
    let shares_before = shares_pledged(&mut w, PUT).await;
    assert_eq!(shares_before, 40_000_000_000);

    // BTC rallies a third over ten minutes; the keeper runs every 30 s.
    let mut stats = KeeperStats::default();
    w.chain.lock().await.take_logs();
    for step in 0..20u32 {
        let btc = 30_000.0 + 10_000.0 * f64::from(step.min(10)) / 10.0;
        w.prices(btc, 30).await;
        keeper::tick(&mut w.keepers[0], &mut stats).await.unwrap();
    }
    let d = Deployment::load(&mut w.operator).await.unwrap();
    let (share_bank, _) = d.bank(PUT).unwrap();
    let liquidations: Vec<margin::events::Liquidated> = w
        .chain
        .lock()
        .await
        .take_logs()
        .iter()
        .flat_map(|logs| rampart_sdk::events::decode::<margin::events::Liquidated>(logs))
        .collect();
    assert!(stats.liquidations >= 1, "{stats:?}");
    assert_eq!(stats.failures, 0, "{stats:?}");
    assert!(
        liquidations.iter().all(|l| l.collateral_bank == share_bank),
        "the keeper seized the shares"
    );
    assert!(shares_pledged(&mut w, PUT).await < shares_before);
    let keeper = w.keepers[0].payer().pubkey();
    let share_mint = d.bank_by_key(&share_bank).unwrap().mint;
    let seized = rampart_client::tokens::balance(
        &mut w.operator,
        &rampart_sdk::tokens::ata(&keeper, &share_mint),
    )
    .await
    .unwrap();
    assert_eq!(
        seized,
        liquidations.iter().map(|l| l.to_liquidator).sum::<u64>()
    );
}

/// The borrower's shares of `vault` pledged in its margin account.
async fn shares_pledged(w: &mut World, vault: &str) -> u64 {
    let d = Deployment::load(&mut w.operator).await.unwrap();
    let (bank, b) = d.bank(vault).unwrap();
    let account: margin::state::MarginAccount = rampart_client::transport::require(
        &mut w.operator,
        rampart_sdk::pda::margin::account(&w.borrower.pubkey(), 0),
    )
    .await
    .unwrap();
    let shares = account.existing(&bank).map_or(0, |p| p.deposit_shares);
    b.deposit_tokens(shares).unwrap()
}
