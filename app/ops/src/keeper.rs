//! The keeper: a loop that does the protocol's permissionless chores —
//! refresh feeds, update banks' risk, liquidate (proposing large ones and
//! executing them once approved), settle expired option rounds, roll
//! epochs, refresh stale Greeks. Every job is an idempotent instruction the
//! programs guard (a round settles once, an account is liquidatable only
//! while unhealthy), so several keepers may run at once: whoever lands
//! second gets the program's refusal, which counts as "already done".

use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use margin::state::{LiquidationProposal, MarginAccount, MarginConfig};
use serde::Serialize;
use solana_sdk::signature::Signer;
use vault::state::{OptionSeries, Phase};

use crate::liquidator::{is_candidate, liquidate_account, Liquidated};
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
    /// `accrue` calls, and the insurance fund's interest they swept out of
    /// the banks' vaults (token units, all banks).
    pub accruals: u64,
    pub fees_swept: u64,
    /// Jobs another keeper (or the chain's state) made unnecessary.
    pub already_done: u64,
    /// Jobs that failed for another reason (network, funds).
    pub failures: u64,
}

/// A job's outcome: landed, refused by the program (done by someone else,
/// or not due), or failed.
fn record(stats: &mut KeeperStats, job: &str, result: anyhow::Result<TxSuccess>) -> bool {
    match result {
        Ok(_) => true,
        Err(e)
            if e.downcast_ref::<rampart_client::transport::TxFailure>()
                .is_some() =>
        {
            tracing::debug!(job, reason = %rampart_client::failure::describe(&e), "not needed");
            stats.already_done += 1;
            false
        }
        Err(e) => {
            tracing::warn!(job, error = %format!("{e:#}"), "failed");
            stats.failures += 1;
            false
        }
    }
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
            "refresh",
            t.send(&[pricing_ix::refresh(*key, &sources)], &[]).await,
        ) {
            stats.refreshes += 1;
        }
    }
    for (_, b) in &d.banks {
        let ix = margin_ix::update_risk(b.mint, b.feed);
        if record(stats, "update_risk", t.send(&[ix], &[]).await) {
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
            if record(stats, "accrue", result) {
                stats.accruals += 1;
            }
        }
    }
    // Reload: prices just moved.
    let d = Deployment::load(t).await?;
    for (address, account) in transport::all::<MarginAccount>(t, margin::ID).await? {
        if !is_candidate(&d, &account) {
            continue;
        }
        match liquidate_account(t, &d, address).await {
            Ok(Liquidated::Done) => {
                tracing::info!(%address, "liquidated");
                stats.liquidations += 1;
            }
            Ok(Liquidated::Proposed(p)) => {
                tracing::info!(%address, proposal = %p, "large liquidation proposed");
                stats.proposals += 1;
            }
            Ok(Liquidated::AwaitingApproval(_)) => {}
            Err(e) => {
                record(stats, "liquidate", Err(e));
            }
        }
    }
    proposals(t, &d, stats).await?;
    settle_stale_stakes(t, stats).await?;
    fix_settlement_prices(t, &d, stats).await?;
    let now = t.clock().await?.unix_timestamp;
    for (_, v) in &d.vaults {
        let r = vault_ref(v);
        let keeper = t.payer().pubkey();
        match v.phase {
            Phase::Trading => {
                let Some(s) = transport::fetch::<OptionSeries>(t, r.series(v.round)).await? else {
                    continue;
                };
                if now >= s.expiry_ts {
                    if record(
                        stats,
                        "settle",
                        t.send(&[r.settle_epoch(v.round)], &[]).await,
                    ) {
                        tracing::info!(vault = %d.vault_name(v), round = v.round, "settled");
                        stats.settlements += 1;
                    }
                } else if greeks_stale(&d, v, now)
                    && record(
                        stats,
                        "greeks",
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
                if record(stats, "roll", t.send(&ixs, &[]).await) {
                    tracing::info!(vault = %d.vault_name(v), round = next, "epoch started");
                    stats.rolls += 1;
                }
            }
        }
    }
    Ok(())
}

/// Under Shutdown, fix every bank's settlement price at once: the window
/// ends at the shutdown, and the feed's history of that time is overwritten
/// within the hour.
async fn fix_settlement_prices(
    t: &mut dyn Transport,
    d: &Deployment,
    stats: &mut KeeperStats,
) -> anyhow::Result<()> {
    let Some(config) =
        transport::fetch::<MarginConfig>(t, rampart_sdk::pda::margin::config()).await?
    else {
        return Ok(());
    };
    let now = t.clock().await?.unix_timestamp;
    if config.effective_status(now) != margin::state::MarginStatus::Shutdown {
        return Ok(());
    }
    for (_, b) in &d.banks {
        if b.current_settlement_price(config.shutdown_since).is_ok() {
            continue;
        }
        let share_vault = d
            .vaults
            .iter()
            .find(|(k, _)| *k == b.share_vault)
            .map(|(k, v)| margin_ix::ShareVault {
                vault: *k,
                feed: v.feed,
            });
        let ix = margin_ix::fix_settlement_price(b.mint, b.feed, share_vault);
        if record(stats, "fix_settlement_price", t.send(&[ix], &[]).await) {
            stats.settlement_prices_fixed += 1;
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
            "settle_stake",
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
            if record(stats, "close_expired_proposal", t.send(&[ix], &[]).await) {
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
            if record(stats, "approve", t.send(&[ix], &[]).await) {
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
    let mut stats = KeeperStats::default();
    tokio::pin!(stop);
    loop {
        if let Err(e) = tick(t, &mut stats).await {
            tracing::warn!(error = %format!("{e:#}"), "tick failed");
            stats.failures += 1;
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
