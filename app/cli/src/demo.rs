//! `rampart demo`: the whole product in one story on a fresh embedded
//! chain, through the same client code the CLI commands use. Deploy from
//! `migrations/localnet.toml`; a lender, a borrower and a vault depositor
//! come in; an option epoch starts and sells; two sources print a crash the
//! third contradicts, the breaker halts and liquidations wait; the epoch
//! expires and settles at its TWAP; then a genuine crash that every source
//! carries: the feed goes Restricted and keeps publishing, borrowing is
//! refused, the keeper liquidates, and once the move is confirmed and the
//! TWAP has caught up the feed is Active again. Each step prints what the
//! chain said, events included.

use std::sync::Arc;

use anchor_lang::prelude::Pubkey;
use anyhow::Context;
use serde::Serialize;
use solana_sdk::signature::{Keypair, Signer};
use tokio::sync::Mutex;
use vault::state::{OptionSeries, Vault};

use crate::actions::{self, faucet::faucet, margin::Action};
use rampart_client::transport::{self, Transport};
use rampart_client::Deployment;
use rampart_embedded::Chain;
use rampart_embedded::SharedChain;
use rampart_ops::deploy;
use rampart_ops::keeper::{self, KeeperStats};
use rampart_sdk::event_units::{human_line, names_missing};
use rampart_sdk::idl_events::decode_logs;
use rampart_sdk::tokens;
use risk_math::breaker::Status;

const LOCALNET: &str = include_str!("../../../migrations/localnet.toml");
const VAULT: &str = "BTC-call-1h";
/// Wall-clock start of the story (the chain's own clock; 2023-11-14).
const T0: i64 = 1_700_000_000;

/// What the demo ends with, for tests and `--json`.
#[derive(Debug, Default, Serialize)]
pub struct DemoReport {
    pub breaker_tripped: bool,
    pub liquidation_refused_while_halted: Option<String>,
    /// The genuine crash left the feed Restricted, not halted.
    pub restricted_in_crash: bool,
    pub borrow_refused_while_restricted: Option<String>,
    /// Active again after the genuine crash (re-anchored).
    pub active_after_crash: bool,
    pub liquidations: u64,
    /// Of those, the ones whose BTC the backstop pool bought.
    pub sold_to_backstop: u64,
    /// BTC the LP's bands bought and the LP claimed at the end, base units.
    pub lp_claimed_btc: u64,
    pub borrower_debt_before: u64,
    pub borrower_debt_after: u64,
    pub epochs_settled: u64,
    pub settlement_price_usd: f64,
    pub vault_round_after: u32,
    pub options_sold: u64,
    pub keeper: KeeperStats,
    /// Transactions that landed, and simulated time the story covered.
    pub transactions: u64,
    pub simulated_secs: i64,
    pub events: std::collections::BTreeMap<String, u64>,
}

struct Story {
    chain: Arc<Mutex<Chain>>,
    operator: SharedChain,
    report: DemoReport,
    say: Box<dyn FnMut(&str) + Send>,
    /// What event lines name accounts and units from.
    names: Option<Deployment>,
}

impl Story {
    fn as_actor(&self, k: &Keypair) -> SharedChain {
        SharedChain::new(self.chain.clone(), k.insecure_clone())
    }

    /// Print the step, then every event the chain emitted since the last one.
    async fn step(&mut self, what: &str) {
        (self.say)(&format!("\n== {what}"));
        self.events(true).await;
    }

    async fn events(&mut self, print: bool) {
        let logs = self.chain.lock().await.take_logs();
        self.report.transactions += logs.len() as u64;
        for l in logs {
            for e in decode_logs(&l) {
                *self.report.events.entry(e.name.clone()).or_default() += 1;
                // Partial liquidations repeat as the price keeps falling:
                // show the first few, count the rest.
                let repeats = e.name == "margin::Liquidated" && self.report.events[&e.name] > 3;
                let quiet = repeats
                    || matches!(
                        e.name.as_str(),
                        "pricing::FeedRefreshed"
                            | "pricing::ManualPricePushed"
                            | "margin::MaintenanceRatioUpdated"
                    );
                if print && !quiet {
                    let line = self.human(&e).await;
                    (self.say)(&format!("   event {line}"));
                }
            }
        }
    }

    /// `e` in human units, the deployment read again when `e` names an
    /// account created since the last read.
    async fn human(&mut self, e: &rampart_sdk::idl_events::Event) -> String {
        let stale = self.names.as_ref().is_none_or(|d| names_missing(e, d));
        if stale {
            self.names = Deployment::load(&mut self.operator).await.ok();
        }
        match &self.names {
            Some(d) => human_line(e, d),
            None => human_line(e, &()),
        }
    }

    /// Advance 15 s, push BTC at `btc` on every source and USDC at 1, and run
    /// one keeper pass (refresh, risk, liquidations, epochs).
    async fn tick(&mut self, btc: f64) -> anyhow::Result<()> {
        self.tick_split(btc, None).await
    }

    /// `tick`, with the BTC sources at these positions at `btc` and the
    /// others at `(others, price)`.
    async fn tick_split(
        &mut self,
        btc: f64,
        others: Option<(&[usize], f64)>,
    ) -> anyhow::Result<()> {
        self.chain.lock().await.advance(15);
        let t: &mut dyn Transport = &mut self.operator;
        match others {
            None => actions::pricing::push(t, "BTC/USD", &format!("{btc:.2}"), 5).await?,
            Some((sources, price)) => {
                let rest: Vec<usize> = (0..8).filter(|i| !sources.contains(i)).collect();
                actions::pricing::push_to(t, "BTC/USD", &format!("{btc:.2}"), 5, Some(&rest))
                    .await?;
                actions::pricing::push_to(t, "BTC/USD", &format!("{price:.2}"), 5, Some(sources))
                    .await?
            }
        };
        actions::pricing::push(t, "USDC/USD", "1", 5).await?;
        keeper::tick(t, &mut self.report.keeper).await?;
        Ok(())
    }

    async fn say_status(&mut self) -> anyhow::Result<()> {
        let out = actions::pricing::status(&mut self.operator, Some("BTC/USD")).await?;
        for line in out.text.lines() {
            (self.say)(&format!("   {line}"));
        }
        Ok(())
    }
}

/// Run the story; `say` gets each line. With `keep`, the chain the story
/// ends in is left there as a ledger directory (the operator, who is
/// governance, as its wallet), for the CLI to carry on from.
pub async fn run(
    say: impl FnMut(&str) + Send + 'static,
    keep: Option<&std::path::Path>,
) -> anyhow::Result<DemoReport> {
    if let Some(dir) = keep {
        // Refused before the story, not after it has run.
        rampart_embedded::ledger::check_new_ledger_dir(dir)
            .context("the demo starts a fresh chain")?;
    }
    let mut chain = Chain::builder().start().await;
    chain.set_clock(T0, 250_000_000);
    chain.record_logs();
    let operator_key = chain.funded_keypair(100_000_000_000).await;
    let chain = Arc::new(Mutex::new(chain));
    let mut s = Story {
        operator: SharedChain::new(chain.clone(), operator_key.insecure_clone()),
        chain,
        report: DemoReport::default(),
        say: Box::new(say),
        names: None,
    };

    (s.say)("== Deploy from migrations/localnet.toml (the operator is governance, price writer and validator)");
    let config: deploy::DeployConfig =
        toml::from_str(LOCALNET).context("migrations/localnet.toml")?;
    let steps = deploy::init(&mut s.operator, &config, &|_| {}).await?;
    (s.say)(&format!(
        "   {} accounts created: tokens, feeds with their sources, banks, vaults, validators",
        steps.len()
    ));
    s.events(false).await;

    let people: Vec<Keypair> = (0..5).map(|_| Keypair::new()).collect();
    let (lender, borrower, depositor, buyer, lp) =
        (&people[0], &people[1], &people[2], &people[3], &people[4]);
    for (who, token, amount) in [
        (lender, "USDC", "500000"),
        (borrower, "BTC", "1"),
        (depositor, "BTC", "2"),
        (buyer, "BTC", "1"),
        (lp, "USDC", "60000"),
        (&operator_key, "USDC", "1000000"),
    ] {
        faucet(&mut s.operator, token, amount, Some(who.pubkey())).await?;
    }
    s.step(&format!(
        "A depositor queues 2 BTC in {VAULT}; BTC trades at $30,000 for ten minutes; the keeper refreshes the feeds and starts the epoch"
    ))
    .await;
    let mut depositor_t = s.as_actor(depositor);
    actions::vault::deposit(&mut depositor_t, VAULT, "2").await?;
    for _ in 0..40 {
        s.tick(30_000.0).await?;
    }
    s.events(false).await;
    s.say_status().await?;

    s.step("A lender supplies 500,000 USDC; a borrower posts 1 BTC and borrows 21,000 USDC")
        .await;
    let mut lender_t = s.as_actor(lender);
    actions::margin::open(&mut lender_t, 0).await?;
    actions::margin::flow(&mut lender_t, Action::Deposit, "USDC", "500000", 0).await?;
    let mut borrower_t = s.as_actor(borrower);
    actions::margin::open(&mut borrower_t, 0).await?;
    actions::margin::flow(&mut borrower_t, Action::Deposit, "BTC", "1", 0).await?;
    actions::margin::flow(&mut borrower_t, Action::Borrow, "USDC", "21000", 0).await?;
    s.events(true).await;
    let health = actions::margin::health(&mut borrower_t, None, 0).await?;
    health
        .text
        .lines()
        .for_each(|l| (s.say)(&format!("   {l}")));
    s.report.borrower_debt_before = debt(&mut s.operator, &borrower.pubkey()).await?;

    s.step("An LP puts 60,000 USDC in the backstop pool's bands, 0.5% to 8% under the oracle: the keeper sells liquidated BTC there first")
        .await;
    let mut lp_t = s.as_actor(lp);
    for band in 0..6 {
        actions::backstop::deposit(&mut lp_t, None, band, "10000").await?;
    }
    s.events(true).await;

    s.step(&format!("A buyer buys 1 option of {VAULT}'s epoch"))
        .await;
    let (r, v) = vault_now(&mut s.operator).await?;
    let mut buyer_t = s.as_actor(buyer);
    let options = tokens::ata(&buyer.pubkey(), &r.option_mint(v.round));
    let ixs = [
        tokens::create_ata_idempotent(&buyer.pubkey(), &buyer.pubkey(), &r.option_mint(v.round)),
        r.buy_options(
            v.round,
            buyer.pubkey(),
            // Premiums are paid in the vault's asset (BTC for covered calls).
            tokens::ata(&buyer.pubkey(), &r.asset_mint),
            options,
            100_000_000,
            10_000_000,
        ),
    ];
    buyer_t.send(&ixs, &[]).await.context("buy options")?;
    s.report.options_sold = transport::require::<OptionSeries>(&mut s.operator, r.series(v.round))
        .await?
        .sold;
    s.events(true).await;
    let g = actions::vault::greeks(&mut s.operator, VAULT).await?;
    g.text.lines().for_each(|l| (s.say)(&format!("   {l}")));

    s.step("Two of the three sources print $19,000 for one tick; the third still says $30,000")
        .await;
    s.tick_split(19_000.0, Some((&[2], 30_000.0))).await?;
    s.events(true).await;
    s.say_status().await?;
    let feed = btc_feed(&mut s.operator).await?;
    s.report.breaker_tripped = feed.status() == Status::Halted;
    (s.say)("   a majority that a valid source contradicts is not evidence: the feed halts, and the keeper's liquidations wait:");
    let d = Deployment::load(&mut s.operator).await?;
    let account = rampart_sdk::pda::margin::account(&borrower.pubkey(), 0);
    match rampart_ops::liquidator::liquidate_account(&mut s.operator, &d, account).await {
        Ok(outcome) => (s.say)(&format!("   liquidation went through: {outcome:?}")),
        Err(e) => {
            let why = rampart_client::failure::describe(&e);
            (s.say)(&format!("   refused: {why}"));
            s.report.liquidation_refused_while_halted = Some(why);
        }
    }

    s.step("The two sources come back to $30,000; after the cool-down the breaker resumes")
        .await;
    for _ in 0..70 {
        s.tick(30_000.0).await?;
    }
    s.events(true).await;
    s.say_status().await?;

    s.step(&format!(
        "{VAULT} expires; the keeper settles at the TWAP and starts the next epoch"
    ))
    .await;
    let (r, v) = vault_now(&mut s.operator).await?;
    let expiry = transport::require::<OptionSeries>(&mut s.operator, r.series(v.round))
        .await?
        .expiry_ts;
    let settled_round = v.round;
    loop {
        let now = s.chain.lock().await.clock().unix_timestamp;
        if now > expiry + 60 {
            break;
        }
        s.tick(30_000.0).await?;
    }
    s.tick(30_000.0).await?;
    s.events(true).await;
    let series =
        transport::require::<OptionSeries>(&mut s.operator, r.series(settled_round)).await?;
    s.report.epochs_settled = u64::from(series.settled);
    s.report.settlement_price_usd = series.settlement_price as f64 / 1e18;
    let status = actions::vault::status(&mut s.operator).await?;
    status
        .text
        .lines()
        .for_each(|l| (s.say)(&format!("   {l}")));

    s.step("A genuine crash: every source falls to $27,000, then $24,000, and stays")
        .await;
    s.tick(27_000.0).await?;
    s.events(true).await;
    let feed = btc_feed(&mut s.operator).await?;
    s.report.restricted_in_crash = feed.status() == Status::Restricted;
    (s.say)("   every valid source carries the move, so it is evidence: the feed is Restricted and keeps publishing; new risk is refused:");
    match actions::margin::flow(&mut borrower_t, Action::Borrow, "USDC", "100", 0).await {
        Ok(_) => (s.say)("   a borrow went through"),
        Err(e) => {
            let why = rampart_client::failure::describe(&e);
            (s.say)(&format!("   borrow refused: {why}"));
            s.report.borrow_refused_while_restricted = Some(why);
        }
    }
    s.tick(24_000.0).await?;
    s.events(true).await;
    s.say_status().await?;
    (s.say)("   ... while the keeper liquidates on the published price:");
    // Confirmation, then one TWAP window for the TWAP to catch up.
    for _ in 0..130 {
        s.tick(24_000.0).await?;
        s.events(true).await;
    }
    s.say_status().await?;
    s.report.active_after_crash = btc_feed(&mut s.operator).await?.status() == Status::Active;
    s.report.liquidations = s.report.keeper.liquidations;
    s.report.sold_to_backstop = s.report.keeper.sold_to_backstop;
    let pool = actions::backstop::status(&mut lp_t, None, None).await?;
    pool.text.lines().for_each(|l| (s.say)(&format!("   {l}")));
    let claimed = actions::backstop::claim(&mut lp_t, None).await?;
    (s.say)(&format!("   the LP: {}", claimed.text.trim_end()));
    s.report.lp_claimed_btc = claimed.json["collateral"].as_u64().unwrap_or(0);
    s.report.borrower_debt_after = debt(&mut s.operator, &borrower.pubkey()).await?;
    let health = actions::margin::health(&mut borrower_t, None, 0).await?;
    health
        .text
        .lines()
        .for_each(|l| (s.say)(&format!("   {l}")));

    s.report.vault_round_after = vault_now(&mut s.operator).await?.1.round;
    s.events(false).await;
    s.report.simulated_secs = s.chain.lock().await.clock().unix_timestamp - T0;
    (s.say)(&format!(
        "\n== Summary: breaker tripped on the contradicted crash: {}; Restricted (not halted) in the genuine one: {}, Active again after it: {}; liquidations: {} ({} sold to the backstop); borrower debt {} -> {} USDC; round {settled_round} settled at ${:.2}; the keeper kept rolling: {VAULT} is in round {}",
        s.report.breaker_tripped,
        s.report.restricted_in_crash,
        s.report.active_after_crash,
        s.report.liquidations,
        s.report.sold_to_backstop,
        tokens::format_amount(s.report.borrower_debt_before, 6),
        tokens::format_amount(s.report.borrower_debt_after, 6),
        s.report.settlement_price_usd,
        s.report.vault_round_after,
    ));
    if let Some(dir) = keep {
        rampart_embedded::ledger::create(dir, &mut *s.chain.lock().await, &operator_key).await?;
        (s.say)(&format!(
            "\n== The chain is kept in {0}: carry on as its operator (governance) with `rampart --ledger {0} --keypair {0}/wallet.json pricing status`, `margin banks`, `keeper`, ... (the demo's own transactions are not in its transactions.jsonl; the monitor shows what follows)",
            dir.display()
        ));
    }
    Ok(std::mem::take(&mut s.report))
}

async fn btc_feed(t: &mut dyn Transport) -> anyhow::Result<pricing::state::PriceFeed> {
    let d = Deployment::load(t).await?;
    Ok(*d.feed("BTC/USD")?.1)
}

async fn vault_now(
    t: &mut dyn Transport,
) -> anyhow::Result<(rampart_sdk::vault_ix::VaultRef, Vault)> {
    let d = Deployment::load(t).await?;
    let (r, v) = d.vault(VAULT)?;
    Ok((r, v.clone()))
}

/// The borrower's USDC debt.
async fn debt(t: &mut dyn Transport, owner: &Pubkey) -> anyhow::Result<u64> {
    let d = Deployment::load(t).await?;
    let (bank, _) = d.bank("USDC")?;
    let account = transport::require::<margin::state::MarginAccount>(
        t,
        rampart_sdk::pda::margin::account(owner, 0),
    )
    .await?;
    let scaled = account
        .active()
        .find(|p| p.bank == bank)
        .map_or(0, |p| p.borrow_scaled);
    Ok(d.bank("USDC")?.1.debt_tokens(scaled)?)
}
