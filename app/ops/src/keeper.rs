//! The keeper: a loop that does the protocol's permissionless chores —
//! refresh feeds, update banks' risk, liquidate (proposing large ones and
//! executing them once approved), settle expired option rounds, roll
//! epochs, refresh stale Greeks. Every job is an idempotent instruction the
//! programs guard (a round settles once, an account is liquidatable only
//! while unhealthy), so several keepers may run at once: whoever lands
//! second gets the program's refusal. Only the refusals that prove another
//! keeper did the job count as "already done" ([`Job::done_by_others`]);
//! every other refusal is a failure, logged at WARN with the error's name.

use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use margin::state::{LiquidationProposal, MarginAccount, MarginConfig};
use serde::Serialize;
use solana_sdk::signature::Signer;
use vault::state::{OptionSeries, Phase};

use crate::liquidator::{is_candidate, liquidate_account, Liquidated};
use crate::wind_down;
use rampart_client::deployment::vault_ref;
use rampart_client::transport::TxSuccess;
use rampart_client::transport::{self, Transport};
use rampart_client::Deployment;
use rampart_sdk::events::fees_swept;
use rampart_sdk::margin_ix;
use rampart_sdk::pricing_ix;
use rampart_sdk::vault_ix::roll_instructions;

/// What the keeper did, by job.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct KeeperStats {
    pub ticks: u64,
    pub refreshes: u64,
    pub risk_updates: u64,
    pub liquidations: u64,
    /// Of those, the ones whose collateral a backstop pool bought.
    pub sold_to_backstop: u64,
    pub proposals: u64,
    /// Large-liquidation proposals this keeper approved as a validator.
    pub approvals: u64,
    /// Expired proposals closed (their rent back to the proposer).
    pub proposals_closed: u64,
    pub settlements: u64,
    pub rolls: u64,
    pub greeks_updates: u64,
    /// Backstop stakes left behind an ended epoch or a past scale, settled
    /// so they hold no band's history.
    pub stakes_settled: u64,
    /// Banks whose settlement price this keeper fixed under Shutdown.
    pub settlement_prices_fixed: u64,
    /// Debts settled against collateral at the fixed prices under Shutdown.
    pub positions_settled: u64,
    /// Debts no collateral backed, written off (fund first, then lenders).
    pub bad_debts_written_off: u64,
    /// `accrue` calls, and the insurance fund's interest they swept out of
    /// the banks' vaults (token units, all banks).
    pub accruals: u64,
    pub fees_swept: u64,
    /// Jobs another keeper landed first (the program's refusal says so).
    pub already_done: u64,
    /// Jobs that failed for any other reason: a program refusal (funds,
    /// a feed that cannot serve, a TWAP too thin to settle on), the network.
    /// Each is logged at WARN with its error.
    pub failures: u64,
    /// The failures by job and reason (`"Settle: pricing::TwapUnavailable"`).
    pub failed: std::collections::BTreeMap<String, u64>,
}

impl KeeperStats {
    /// A liquidation that landed, in one fill or more.
    fn liquidated(&mut self, address: Pubkey, fills: &[crate::liquidator::Fill]) {
        for f in fills {
            let (repaid, seized) = f.amounts.unzip();
            tracing::info!(%address, ?repaid, ?seized, to_backstop = f.pool.is_some(), "liquidated");
        }
        self.liquidations += 1;
        if fills.iter().any(|f| f.pool.is_some()) {
            self.sold_to_backstop += 1;
        }
    }

    fn failed(&mut self, job: Job, reason: &str) {
        self.failures += 1;
        *self.failed.entry(format!("{job:?}: {reason}")).or_default() += 1;
    }
}

/// The keeper's jobs, each one kind of instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Refresh,
    UpdateRisk,
    Accrue,
    Liquidate,
    Approve,
    CloseExpiredProposal,
    FixSettlementPrice,
    SettlePosition,
    WriteOff,
    SettleStake,
    Settle,
    Greeks,
    Roll,
}

impl Job {
    /// The refusals that prove someone else already did this job: the
    /// state the job moves the chain to is there, and only doing the job
    /// puts it there. Any other refusal means the job is still undone.
    pub fn done_by_others(self) -> &'static [&'static str] {
        match self {
            // The round left Trading (settled) or Settled (rolled).
            Job::Settle | Job::Roll => &["vault::StepOutOfOrder"],
            // Another liquidator restored the account, or took all its debt.
            Job::Liquidate => &["margin::AccountHealthy", "margin::NothingToLiquidate"],
            Job::Approve => &["margin::DuplicateApproval"],
            // Closed already: the proposal account is gone.
            Job::CloseExpiredProposal => &["AccountNotInitialized"],
            Job::FixSettlementPrice => &["margin::SettlementPriceAlreadyFixed"],
            // Settled already: nothing left on one side of the pair.
            Job::SettlePosition => &["margin::NothingToLiquidate"],
            Job::WriteOff => &["margin::NoDebt"],
            Job::SettleStake => &["backstop::StakeCurrent"],
            // Idempotent: nobody else can make them unnecessary.
            Job::Refresh | Job::UpdateRisk | Job::Accrue | Job::Greeks => &[],
        }
    }
}

/// A job's outcome: landed (true), done by another keeper, or failed.
fn record(stats: &mut KeeperStats, job: Job, result: anyhow::Result<TxSuccess>) -> bool {
    record_checked(stats, job, result, false)
}

/// [`record`], where `moved_on` says a fresh read of the chain after the
/// refusal found the job done: the round the keeper saw has been rolled,
/// the account it saw liquidatable is not any more. A refusal from a stale
/// view (a PDA of the old round, say) then counts as done by others; the
/// same refusal with the state unchanged is a failure.
fn record_checked(
    stats: &mut KeeperStats,
    job: Job,
    result: anyhow::Result<TxSuccess>,
    moved_on: bool,
) -> bool {
    let Err(e) = result else {
        return true;
    };
    let refusal = rampart_client::failure::refusal_name(&e);
    if moved_on
        || refusal
            .as_deref()
            .is_some_and(|name| job.done_by_others().contains(&name))
    {
        tracing::debug!(?job, reason = %rampart_client::failure::describe(&e), "already done");
        stats.already_done += 1;
    } else {
        tracing::warn!(?job, error = %rampart_client::failure::describe(&e), "failed");
        stats.failed(job, refusal.as_deref().unwrap_or("not a program refusal"));
    }
    false
}

/// One pass over every job.
/// Ticks between sweeps of the insurance fund's interest.
const SWEEP_EVERY_TICKS: u64 = 20;

pub async fn tick(t: &mut dyn Transport, stats: &mut KeeperStats) -> anyhow::Result<()> {
    stats.ticks += 1;
    let d = Deployment::load(t).await?;
    for (key, f) in &d.feeds {
        let sources: Vec<Pubkey> = f.active_sources().iter().map(|s| s.account).collect();
        if record(
            stats,
            Job::Refresh,
            t.send(&[pricing_ix::refresh(*key, &sources)], &[]).await,
        ) {
            stats.refreshes += 1;
        }
    }
    for (_, b) in &d.banks {
        let ix = margin_ix::update_risk(b.mint, b.feed);
        if record(stats, Job::UpdateRisk, t.send(&[ix], &[]).await) {
            stats.risk_updates += 1;
        }
    }
    // Every so often, move the insurance fund's interest out of each vault
    // (banks accrue by themselves on every touch; this only sweeps).
    if stats.ticks.is_multiple_of(SWEEP_EVERY_TICKS) {
        for (_, b) in d.banks.iter().filter(|(_, b)| b.pending_fees > 0) {
            let result = t.send(&[margin_ix::accrue(b.mint)], &[]).await;
            if let Ok(ok) = &result {
                stats.fees_swept += fees_swept(&ok.logs);
            }
            if record(stats, Job::Accrue, result) {
                stats.accruals += 1;
            }
        }
    }
    // Reload: prices just moved.
    let d = Deployment::load(t).await?;
    // Under Shutdown nothing is liquidated at spot: debts settle at the
    // fixed prices instead (`wind_down_debts`).
    // When it began, under Shutdown; read once for every job of the tick.
    let shutdown_since = transport::fetch::<MarginConfig>(t, rampart_sdk::pda::margin::config())
        .await?
        .filter(|c| {
            c.effective_status(d.clock.unix_timestamp) == margin::state::MarginStatus::Shutdown
        })
        .map(|c| c.shutdown_since);
    let accounts = if shutdown_since.is_some() {
        vec![]
    } else {
        transport::all::<MarginAccount>(t, margin::ID).await?
    };
    for (address, account) in accounts {
        // Debt nothing backs is written off below, not liquidated.
        if !is_candidate(&d, &account) || !wind_down::bad_debts(&d, &account).is_empty() {
            continue;
        }
        if account.owner == t.payer().pubkey() {
            // The program refuses an owner's own liquidation (SelfLiquidation).
            tracing::warn!(%address, "the keeper's own account is below maintenance: another keeper must liquidate it, or repay");
            stats.failed(
                Job::Liquidate,
                "the keeper's own account (margin::SelfLiquidation)",
            );
            continue;
        }
        match liquidate_account(t, &d, address).await {
            Ok(Liquidated::Done(fills)) => stats.liquidated(address, &fills),
            Ok(Liquidated::Partial { fills, rest }) => {
                // The part that landed counts; the rest is a failure by
                // name unless another keeper finished it meanwhile.
                stats.liquidated(address, &fills);
                let finished = transport::fetch::<MarginAccount>(t, address)
                    .await?
                    .is_none_or(|a| !is_candidate(&d, &a));
                record_checked(stats, Job::Liquidate, Err(rest), finished);
            }
            Ok(Liquidated::Proposed(p)) => {
                tracing::info!(%address, proposal = %p, "large liquidation proposed");
                stats.proposals += 1;
            }
            Ok(Liquidated::AwaitingApproval(_)) => {}
            Err(e) => {
                // Another liquidator got there first: the account is no
                // longer liquidatable.
                let healthy = transport::fetch::<MarginAccount>(t, address)
                    .await?
                    .is_none_or(|a| !is_candidate(&d, &a));
                record_checked(stats, Job::Liquidate, Err(e), healthy);
            }
        }
    }
    proposals(t, &d, stats).await?;
    settle_stale_stakes(t, stats).await?;
    if let Some(since) = shutdown_since {
        fix_settlement_prices(t, &d, since, stats).await;
    }
    wind_down_debts(t, &d, shutdown_since.is_some(), stats).await?;
    let now = t.clock().await?.unix_timestamp;
    for (key, v) in &d.vaults {
        let r = vault_ref(v);
        let keeper = t.payer().pubkey();
        match v.phase {
            Phase::Trading => {
                let Some(s) = transport::fetch::<OptionSeries>(t, r.series(v.round)).await? else {
                    continue;
                };
                if now >= s.expiry_ts {
                    let mut sent = t.send(&[r.settle_epoch(v.round)], &[]).await;
                    if let Err(e) = sent {
                        // Say what unblocks the round, not only that it failed.
                        sent = Err(match rampart_client::failure::error_name(&e).as_deref() {
                            Some("pricing::TwapUnavailable") => {
                                e.context(governance_fallback(&d.vault_name(v), &s, v, now))
                            }
                            _ => e,
                        });
                    }
                    let moved_on = sent.is_err() && vault_moved_on(t, key, v).await?;
                    if record_checked(stats, Job::Settle, sent, moved_on) {
                        tracing::info!(vault = %d.vault_name(v), round = v.round, "settled");
                        stats.settlements += 1;
                    }
                } else if greeks_stale(&d, v, now)
                    && record(
                        stats,
                        Job::Greeks,
                        t.send(&[r.update_greeks(v.round)], &[]).await,
                    )
                {
                    stats.greeks_updates += 1;
                }
            }
            Phase::Settled | Phase::Processed => {
                let Some((next, ixs)) = roll_instructions(&r, v, keeper) else {
                    continue;
                };
                let sent = t.send(&ixs, &[]).await;
                let moved_on = sent.is_err() && vault_moved_on(t, key, v).await?;
                if record_checked(stats, Job::Roll, sent, moved_on) {
                    tracing::info!(vault = %d.vault_name(v), round = next, "epoch started");
                    stats.rolls += 1;
                }
            }
        }
    }
    Ok(())
}

/// The vault is no longer in the round and phase the keeper acted on:
/// another keeper settled or rolled it.
async fn vault_moved_on(
    t: &mut dyn Transport,
    key: &Pubkey,
    seen: &vault::state::Vault,
) -> anyhow::Result<bool> {
    Ok(transport::fetch::<vault::state::Vault>(t, *key)
        .await?
        .is_some_and(|now| now.round != seen.round || now.phase != seen.phase))
}

/// What to do about a round no TWAP can settle: the grace period, then
/// governance names the price. Shared by the CLI's
/// error and the keeper's warning.
pub fn governance_fallback(
    name: &str,
    series: &OptionSeries,
    v: &vault::state::Vault,
    now: i64,
) -> String {
    let grace_over = series.expiry_ts + i64::from(v.params.settle_grace_secs);
    let when = if now >= grace_over {
        "the grace period is over".to_string()
    } else {
        format!(
            "the grace period ends at {} UTC (in {}s)",
            rampart_sdk::fmt::utc(grace_over),
            grace_over - now
        )
    };
    format!(
        "the feed's TWAP does not cover the settlement window before expiry, and later pushes cannot fill it; \
         {when}, then governance settles the round: `rampart vault settle --vault {name} --price <USD>` with the governance keypair"
    )
}

/// Under Shutdown, fix every bank's settlement price at once: the window
/// ends at the shutdown, and the feed's history of that time is overwritten
/// within the hour.
async fn fix_settlement_prices(
    t: &mut dyn Transport,
    d: &Deployment,
    shutdown_since: i64,
    stats: &mut KeeperStats,
) {
    for (_, b) in &d.banks {
        if b.current_settlement_price(shutdown_since).is_ok() {
            continue;
        }
        let ix = wind_down::fix_settlement_price(d, b);
        if record(stats, Job::FixSettlementPrice, t.send(&[ix], &[]).await) {
            stats.settlement_prices_fixed += 1;
        }
    }
}

/// Under Shutdown, settle every debt against the account's collateral at
/// the fixed prices (this keeper pays the debts and takes the collateral);
/// at any time, write off debt that nothing backs any more.
async fn wind_down_debts(
    t: &mut dyn Transport,
    d: &Deployment,
    shutdown: bool,
    stats: &mut KeeperStats,
) -> anyhow::Result<()> {
    for (address, account) in transport::all::<MarginAccount>(t, margin::ID).await? {
        if !account.has_debt() {
            continue;
        }
        let mut account = account;
        // One pair per settlement, each from a fresh read; a pair either
        // clears its debt or takes all of its collateral, so a settlement
        // per position is enough.
        let settlements = if shutdown { account.positions.len() } else { 0 };
        for _ in 0..settlements {
            let Some(pair) = wind_down::next_settlement(d, &account) else {
                break;
            };
            if !record(
                stats,
                Job::SettlePosition,
                wind_down::settle(t, d, address, pair).await,
            ) {
                break;
            }
            tracing::info!(%address, "position settled");
            stats.positions_settled += 1;
            account = transport::require::<MarginAccount>(t, address).await?;
        }
        for bank in wind_down::bad_debts(d, &account) {
            if record(
                stats,
                Job::WriteOff,
                wind_down::write_off(t, d, address, &account, bank).await,
            ) {
                tracing::info!(%address, "bad debt written off");
                stats.bad_debts_written_off += 1;
            }
        }
    }
    Ok(())
}

/// Settle every backstop stake whose band has moved past it (an ended
/// epoch or an earlier scale): permissionless and owner-neutral, it keeps
/// a band's frozen history and next scale free for the next drain.
async fn settle_stale_stakes(t: &mut dyn Transport, stats: &mut KeeperStats) -> anyhow::Result<()> {
    let stakes = transport::all::<backstop::state::StakeAccount>(t, backstop::ID).await?;
    if stakes.is_empty() {
        return Ok(());
    }
    let pools = transport::all::<backstop::state::Pool>(t, backstop::ID).await?;
    for (address, s) in stakes {
        let Some((_, pool)) = pools.iter().find(|(k, _)| *k == s.pool) else {
            continue;
        };
        let Some(band) = pool.bands.get(s.band as usize) else {
            continue;
        };
        let band: risk_math::backstop::Band = (*band).into();
        if !band.is_stale(&s.snapshot.into()) {
            continue;
        }
        let r = rampart_sdk::backstop_ix::PoolRef::new(
            pool.collateral_mint,
            pool.quote_mint,
            pool.feed,
        );
        if record(
            stats,
            Job::SettleStake,
            t.send(&[r.settle_stake(address)], &[]).await,
        ) {
            stats.stakes_settled += 1;
        }
    }
    Ok(())
}

/// Approve open large-liquidation proposals when this keeper is one of
/// the validators and its own reading agrees the account is liquidatable;
/// close expired ones so the liquidation can be proposed again.
async fn proposals(
    t: &mut dyn Transport,
    d: &Deployment,
    stats: &mut KeeperStats,
) -> anyhow::Result<()> {
    let open = transport::all::<LiquidationProposal>(t, margin::ID).await?;
    if open.is_empty() {
        return Ok(());
    }
    let me = t.payer().pubkey();
    let config = transport::require::<MarginConfig>(t, rampart_sdk::pda::margin::config()).await?;
    let slot = t.clock().await?.slot;
    for (address, p) in open {
        if slot > p.expiry_slot {
            let ix = margin_ix::close_expired_proposal(address, p.proposer);
            if record(stats, Job::CloseExpiredProposal, t.send(&[ix], &[]).await) {
                stats.proposals_closed += 1;
            }
            continue;
        }
        let Some(index) = config.validators.index_of(&me) else {
            continue;
        };
        let unhealthy = match transport::fetch::<MarginAccount>(t, p.account).await? {
            Some(a) => is_candidate(d, &a),
            None => false,
        };
        if p.approvals & (1 << index) == 0 && unhealthy {
            let ix = margin_ix::approve_liquidation(me, address);
            if record(stats, Job::Approve, t.send(&[ix], &[]).await) {
                tracing::info!(proposal = %address, "approved");
                stats.approvals += 1;
            }
        }
    }
    Ok(())
}

/// The vault's Greeks cache needs a refresh: too old, or its spot moved
/// past the vault's limit from the feed's price now (margin then marks the
/// vault's shares at the options' worst case, and sales are refused).
fn greeks_stale(d: &Deployment, v: &vault::state::Vault, now: i64) -> bool {
    let spot = d
        .feeds
        .iter()
        .find(|(k, _)| *k == v.feed)
        .and_then(|(_, f)| ::pricing::read::to_wad(f.price, f.expo).ok());
    !v.greeks.is_fresh(spot, now, &v.params).unwrap_or(false)
}

/// Run ticks every `interval` until `stop` resolves (Ctrl-C in the CLI);
/// a tick in progress finishes first, so no job is left half-done.
pub async fn run(
    t: &mut dyn Transport,
    interval: Duration,
    max_ticks: Option<u64>,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<KeeperStats> {
    if let Some(why) = t.cannot_sign() {
        anyhow::bail!("the keeper sends transactions, which needs a keypair: {why}");
    }
    let mut stats = KeeperStats::default();
    tokio::pin!(stop);
    loop {
        if let Err(e) = tick(t, &mut stats).await {
            tracing::warn!(error = %format!("{e:#}"), "tick failed");
            stats.failures += 1;
            *stats.failed.entry("tick".into()).or_default() += 1;
        }
        if max_ticks.is_some_and(|m| stats.ticks >= m) {
            break;
        }
        tokio::select! {
            _ = &mut stop => {
                tracing::info!("stopping");
                break;
            }
            _ = tokio::time::sleep(interval) => {}
        }
    }
    Ok(stats)
}
