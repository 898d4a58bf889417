//! `rampart gov propose|approve|execute|halt|resume|shutdown`: bounded,
//! timelocked bank changes, liquidation approvals, and the emergency levers.

use anchor_lang::prelude::Pubkey;
use anyhow::Context;
use margin::state::{BankParams, LiquidationParams, LiquidationProposal, MarginStatus};
use risk_math::breaker::Status;
use serde_json::json;
use solana_sdk::signature::Signer;

use rampart_client::Deployment;

use super::Output;
use rampart_client::transport::{self, Transport};
use rampart_sdk::fmt;
use rampart_sdk::margin_ix;
use rampart_sdk::pricing_ix;
use rampart_sdk::tokens::parse_amount;

const WAD: u64 = 1_000_000_000_000_000_000;

/// Changes to one bank's parameters.
#[derive(Debug, Default)]
pub struct BankChange {
    pub deposit_cap: Option<String>,
    pub borrow_cap: Option<String>,
    pub maint_base_bps: Option<u64>,
    pub base_rate_bps: Option<u64>,
    pub slope_low_bps: Option<u64>,
    pub slope_high_bps: Option<u64>,
    pub max_rate_bps: Option<u64>,
    pub optimal_utilization_bps: Option<u64>,
    pub protocol_fee_bps: Option<u64>,
}

/// Queue a timelocked change of `symbol`'s bank parameters.
pub async fn propose(
    t: &mut dyn Transport,
    symbol: &str,
    c: &BankChange,
) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let (_, bank) = d.bank(symbol)?;
    let mut p = bank.params;
    if let Some(cap) = &c.deposit_cap {
        p.deposit_cap = parse_amount(cap, bank.decimals)?;
    }
    if let Some(cap) = &c.borrow_cap {
        p.borrow_cap = parse_amount(cap, bank.decimals)?;
    }
    let wad_of = |bps: Option<u64>, current: u64, what: &str| -> anyhow::Result<u64> {
        bps.map_or(Ok(current), |b| {
            b.checked_mul(WAD / 10_000)
                .with_context(|| format!("{what} too large"))
        })
    };
    p.maint.base = wad_of(c.maint_base_bps, p.maint.base, "maintenance base")?;
    let r = &mut p.interest;
    r.base_rate = wad_of(c.base_rate_bps, r.base_rate, "base rate")?;
    r.slope_low = wad_of(c.slope_low_bps, r.slope_low, "slope below the optimum")?;
    r.slope_high = wad_of(c.slope_high_bps, r.slope_high, "slope above the optimum")?;
    r.max_rate = wad_of(c.max_rate_bps, r.max_rate, "rate cap")?;
    r.optimal_utilization = wad_of(
        c.optimal_utilization_bps,
        r.optimal_utilization,
        "optimal utilisation",
    )?;
    r.protocol_fee = wad_of(c.protocol_fee_bps, r.protocol_fee, "protocol fee")?;
    anyhow::ensure!(
        p != bank.params,
        "nothing to change: pass --deposit-cap, --borrow-cap, --maint-base-bps or an interest option (--base-rate-bps, --slope-low-bps, --slope-high-bps, --max-rate-bps, --optimal-utilization-bps, --protocol-fee-bps)"
    );
    let config =
        transport::require::<margin::state::MarginConfig>(t, rampart_sdk::pda::margin::config())
            .await?;
    if !accepted(&p, &config.liquidation) {
        anyhow::bail!(
            "gov propose: margin::ParamOutOfBounds: {symbol}'s bank would refuse this change; {}",
            out_of_bounds(c, &bank.params, &config.liquidation).join("; ")
        );
    }
    let gov = t.payer().pubkey();
    t.send(&[margin_ix::queue_bank_params(gov, bank.mint, p)], &[])
        .await
        .context("gov propose")?;
    let after = transport::require::<margin::state::Bank>(t, margin_pda(&bank.mint)).await?;
    Ok(Output::new(
        format!(
            "{symbol}: change queued; executable from {} UTC (`rampart gov execute --token {symbol}`)\n",
            fmt::utc(after.pending_eta)
        ),
        json!({"token": symbol, "eta": after.pending_eta}),
    ))
}

/// Whether the program would queue `p`: its own checks, run here.
fn accepted(p: &BankParams, liquidation: &LiquidationParams) -> bool {
    p.validate().is_ok() && p.validate_liquidable(liquidation).is_ok()
}

/// A bps option and the field it sets.
type Field = (&'static str, Option<u64>, fn(&mut BankParams) -> &mut u64);

/// For each option given, the range the program accepts for it with the
/// bank's other parameters as they are now. The bounds live in the
/// program alone: the range is found by bisecting its own checks (each
/// bound is linear in one field, so what it accepts is an interval).
fn out_of_bounds(c: &BankChange, now: &BankParams, liquidation: &LiquidationParams) -> Vec<String> {
    let fields: [Field; 7] = [
        ("--maint-base-bps", c.maint_base_bps, |p| &mut p.maint.base),
        ("--base-rate-bps", c.base_rate_bps, |p| {
            &mut p.interest.base_rate
        }),
        ("--slope-low-bps", c.slope_low_bps, |p| {
            &mut p.interest.slope_low
        }),
        ("--slope-high-bps", c.slope_high_bps, |p| {
            &mut p.interest.slope_high
        }),
        ("--max-rate-bps", c.max_rate_bps, |p| {
            &mut p.interest.max_rate
        }),
        (
            "--optimal-utilization-bps",
            c.optimal_utilization_bps,
            |p| &mut p.interest.optimal_utilization,
        ),
        ("--protocol-fee-bps", c.protocol_fee_bps, |p| {
            &mut p.interest.protocol_fee
        }),
    ];
    let bps = WAD / 10_000;
    let mut out = vec![];
    for (flag, asked, field) in fields {
        let Some(asked) = asked else { continue };
        let ok = |v: u64| {
            let mut p = *now;
            *field(&mut p) = v.saturating_mul(bps);
            accepted(&p, liquidation)
        };
        let mut current = *now;
        let start = *field(&mut current) / bps;
        let range = if ok(start) {
            // Smallest accepted at or below `start`, largest at or above.
            let (mut lo, mut hi) = (0u64, start);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if ok(mid) {
                    hi = mid
                } else {
                    lo = mid + 1
                }
            }
            let low = lo;
            let (mut lo, mut hi) = (start, 1_000_000u64);
            while lo < hi {
                let mid = lo + (hi - lo).div_ceil(2);
                if ok(mid) {
                    lo = mid
                } else {
                    hi = mid - 1
                }
            }
            format!("{low} to {lo} bps")
        } else {
            "no value".into()
        };
        let verdict = if ok(asked) {
            "accepted alone"
        } else {
            "out of bounds"
        };
        out.push(format!(
            "{flag} {asked} is {verdict}: the program takes {range} with the bank's other parameters as they are"
        ));
    }
    if out.is_empty() {
        out.push("the caps are within bounds, so another parameter is not".into());
    }
    out
}

fn margin_pda(mint: &Pubkey) -> Pubkey {
    rampart_sdk::pda::margin::bank(mint)
}

/// Apply `symbol`'s queued change once its timelock passed (permissionless).
pub async fn execute(t: &mut dyn Transport, symbol: &str) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let (_, bank) = d.bank(symbol)?;
    t.send(&[margin_ix::apply_bank_params(bank.mint)], &[])
        .await
        .context("gov execute")?;
    Ok(Output::new(
        format!("{symbol}: queued parameters applied\n"),
        json!({"token": symbol, "applied": true}),
    ))
}

/// Approve a large-liquidation proposal as one of the M-of-N validators.
pub async fn approve(t: &mut dyn Transport, proposal: Pubkey) -> anyhow::Result<Output> {
    transport::require::<LiquidationProposal>(t, proposal).await?;
    let validator = t.payer().pubkey();
    t.send(&[margin_ix::approve_liquidation(validator, proposal)], &[])
        .await
        .context("gov approve")?;
    let p = transport::require::<LiquidationProposal>(t, proposal).await?;
    Ok(Output::new(
        format!(
            "approved {proposal}: {} approvals\n",
            p.approvals.count_ones()
        ),
        json!({"proposal": proposal.to_string(), "approvals": p.approvals.count_ones()}),
    ))
}

/// What `halt`/`resume` act on.
pub enum Target {
    /// One feed's circuit breaker.
    Feed(String),
    /// The whole margin program.
    Margin,
}

pub async fn set(t: &mut dyn Transport, target: &Target, resume: bool) -> anyhow::Result<Output> {
    let gov = t.payer().pubkey();
    let verb = if resume { "resumed" } else { "halted" };
    match target {
        Target::Feed(name) => {
            let d = Deployment::load(t).await?;
            let (feed, _) = d.feed(name)?;
            let status = if resume {
                Status::Active
            } else {
                Status::Halted
            };
            t.send(&[pricing_ix::set_status(gov, feed, status as u8)], &[])
                .await
                .with_context(|| {
                    format!("gov {} {name}", if resume { "resume" } else { "halt" })
                })?;
            Ok(Output::new(
                format!("feed {name} {verb}\n"),
                json!({"feed": name, "status": verb}),
            ))
        }
        Target::Margin => {
            let status = if resume {
                MarginStatus::Active
            } else {
                MarginStatus::ReduceOnly
            };
            t.send(&[margin_ix::set_margin_status(gov, status)], &[])
                .await
                .context("gov margin status")?;
            let text = if resume {
                "margin active"
            } else {
                "margin reduce-only: no new risk, repay/deposit/liquidate only"
            };
            Ok(Output::new(
                format!("{text}\n"),
                json!({"margin": format!("{status:?}")}),
            ))
        }
    }
}

/// Emergency shutdown of the margin program: positions settle at fixed prices.
pub async fn shutdown(t: &mut dyn Transport) -> anyhow::Result<Output> {
    let gov = t.payer().pubkey();
    t.send(
        &[margin_ix::set_margin_status(gov, MarginStatus::Shutdown)],
        &[],
    )
    .await
    .context("gov shutdown")?;
    Ok(Output::new(
        "margin shut down: settlement prices can now be fixed and positions settled\n",
        json!({"margin": "Shutdown"}),
    ))
}

/// Guardians, M of N signing one transaction (this wallet and each
/// cosigner), put margin in `status` for `secs` without the timelock, or
/// lift their own pause with `Active`. The pause lapses by itself.
pub async fn guardian_status(
    t: &mut dyn Transport,
    status: MarginStatus,
    secs: u32,
    cosigners: &[solana_sdk::signature::Keypair],
) -> anyhow::Result<Output> {
    let config =
        transport::require::<margin::state::MarginConfig>(t, rampart_sdk::pda::margin::config())
            .await?;
    let g = config.guardians;
    anyhow::ensure!(
        g.count > 0,
        "no guardians registered: add [guardians] to the deployment file and run init"
    );
    let registered = &g.keys[..g.count as usize];
    // The program counts each guardian who signs once; the fee payer
    // counts only if it is one.
    let mut signers: Vec<Pubkey> = cosigners.iter().map(|k| k.pubkey()).collect();
    if let Some(stranger) = signers.iter().find(|k| !registered.contains(k)) {
        anyhow::bail!(
            "{stranger} is not a guardian (guardians: {})",
            registered
                .iter()
                .map(|k| k.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let payer = t.wallet()?;
    if registered.contains(&payer) {
        signers.push(payer);
    }
    signers.sort();
    signers.dedup();
    anyhow::ensure!(
        signers.len() >= g.threshold as usize,
        "{} of {} guardians must sign, {} do; pass the others with --cosigner <keypair file>",
        g.threshold,
        g.count,
        signers.len()
    );
    let refs: Vec<&solana_sdk::signature::Keypair> = cosigners.iter().collect();
    t.send(
        &[margin_ix::guardian_set_status(&signers, status, secs)],
        &refs,
    )
    .await
    .context("gov pause (guardians)")?;
    let after =
        transport::require::<margin::state::MarginConfig>(t, rampart_sdk::pda::margin::config())
            .await?;
    let now = t.clock().await?.unix_timestamp;
    let text = if status == MarginStatus::Active {
        "guardians lifted their pause: margin is back to governance's status\n".to_string()
    } else {
        format!(
            "guardians ({} signing): margin {status:?} until {} UTC, then back to governance's status\n",
            signers.len(),
            fmt::utc(after.status_expires_at)
        )
    };
    Ok(Output::new(
        text,
        json!({"margin": format!("{:?}", after.effective_status(now)),
               "expires_at": after.status_expires_at, "signers": signers.len()}),
    ))
}
