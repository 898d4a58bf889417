//! `rampart pricing refresh|status|history|push`.

use anchor_lang::prelude::Pubkey;
use pricing::state::{PriceFeed, SourceKind};
use risk_math::breaker::{HaltReason, Status};
use serde_json::json;
use solana_sdk::signature::Signer;

use rampart_client::deployment::feed_name;
use rampart_client::Deployment;

use super::Output;
use rampart_client::transport::{self, Transport};
use rampart_sdk::fmt;
use rampart_sdk::pricing_ix;

fn status_name(f: &PriceFeed) -> String {
    let b = f.breaker();
    match (b.status, b.reason) {
        (Status::Active, _) => "active".into(),
        (Status::Restricted, r) => format!("restricted ({r:?})"),
        (Status::Halted, r) => format!("halted ({r:?})"),
    }
}

/// Each source's kind, last reading and why it was last refused (if it was).
fn source_detail(f: &PriceFeed) -> Vec<serde_json::Value> {
    f.active_sources()
        .iter()
        .map(|s| {
            let kind =
                SourceKind::from_u8(s.kind).map_or("unknown".to_string(), |k| format!("{k:?}"));
            let error = (s.last_error != 0).then(|| {
                rampart_sdk::errors::program_error(s.last_error)
                    .map_or_else(|| s.last_error.to_string(), |(name, _)| name)
            });
            json!({"account": s.account.to_string(), "kind": kind, "last_price": s.last_price,
                   "last_publish_ts": s.last_publish_ts, "error": error})
        })
        .collect()
}

fn source_addresses(f: &PriceFeed) -> Vec<Pubkey> {
    f.active_sources().iter().map(|s| s.account).collect()
}

/// The feeds named (all when `name` is None).
fn select<'a>(
    d: &'a Deployment,
    name: Option<&str>,
) -> anyhow::Result<Vec<(Pubkey, &'a PriceFeed)>> {
    match name {
        Some(n) => Ok(vec![d.feed(n)?]),
        None => Ok(d.feeds.iter().map(|(k, f)| (*k, f)).collect()),
    }
}

/// Refresh feeds from their sources (permissionless).
pub async fn refresh(t: &mut dyn Transport, name: Option<&str>) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let mut lines = vec![];
    let mut results = vec![];
    for (key, f) in select(&d, name)? {
        let ix = pricing_ix::refresh(key, &source_addresses(f));
        let outcome = t.send(&[ix], &[]).await;
        let after = transport::fetch_zero_copy::<PriceFeed>(t, key).await?;
        let name = feed_name(f);
        match (outcome, after) {
            (Ok(_), Some(a)) => {
                lines.push(format!(
                    "{name}: {} ({}), {}/{} sources valid",
                    fmt::price(a.price, a.expo),
                    status_name(&a),
                    a.valid_mask.count_ones(),
                    a.num_sources
                ));
                results.push(json!({"feed": name, "ok": true, "price": a.price, "expo": a.expo, "status": status_name(&a)}));
            }
            (Err(e), _) => {
                lines.push(format!(
                    "{name}: refresh refused: {}",
                    rampart_client::failure::describe(&e)
                ));
                results
                    .push(json!({"feed": name, "ok": false, "error": rampart_client::failure::describe(&e)}));
            }
            (Ok(_), None) => anyhow::bail!("feed {name} vanished after refresh"),
        }
    }
    Ok(Output::new(lines.join("\n") + "\n", json!(results)))
}

/// Every feed (or one): price, confidence, TWAP, volatility, breaker.
pub async fn status(t: &mut dyn Transport, name: Option<&str>) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let now = t.clock().await?.unix_timestamp;
    let mut rows = vec![];
    let mut json_rows = vec![];
    for (key, f) in select(&d, name)? {
        let twap = f
            .twap(now, f.params.twap_window_secs)
            .ok()
            .and_then(Result::ok)
            .map(|tw| tw.price);
        // Annualised volatility, WAD -> bps.
        let vol_bps = risk_math::volatility::annualised_vol(f.variance_per_sec as u128)
            .map_or(0, |v| (v / 100_000_000_000_000) as u64);
        let age = if f.last_refresh_ts > 0 {
            now - f.last_refresh_ts
        } else {
            -1
        };
        rows.push(vec![
            feed_name(f),
            if f.price_ts == 0 {
                "-".into()
            } else {
                fmt::price(f.price, f.expo)
            },
            if f.price_ts == 0 {
                "-".into()
            } else {
                fmt::price(f.conf, f.expo)
            },
            twap.map_or("-".into(), |p| fmt::price(p, f.expo)),
            format!("{:.1}%", vol_bps as f64 / 100.0),
            status_name(f),
            format!("{}/{}", f.valid_mask.count_ones(), f.num_sources),
            if age < 0 {
                "never".into()
            } else {
                format!("{age}s")
            },
        ]);
        json_rows.push(json!({
            "feed": feed_name(f), "address": key.to_string(), "price": f.price, "conf": f.conf,
            "expo": f.expo, "twap": twap, "vol_bps": vol_bps, "status": status_name(f),
            "halt_reason": format!("{:?}", HaltReason::from_u8(f.halt_reason).unwrap_or(HaltReason::Governance)),
            "valid_sources": f.valid_mask.count_ones(), "sources": f.num_sources,
            "last_refresh_ts": f.last_refresh_ts, "congestion_bps": f.congestion_bps(),
            "source_detail": source_detail(f),
        }));
    }
    let text = fmt::table(
        &[
            "feed",
            "price",
            "conf",
            "twap",
            "vol/yr",
            "status",
            "sources",
            "refreshed",
        ],
        &rows,
    );
    Ok(Output::new(text, json!(json_rows)))
}

/// The feed's TWAP observations, oldest first.
pub async fn history(t: &mut dyn Transport, name: &str, last: usize) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let (_, f) = d.feed(name)?;
    let n = f.obs_len as usize;
    let obs: Vec<_> = (n.saturating_sub(last)..n)
        .map(|i| f.observation(i))
        .collect();
    let rows = obs
        .iter()
        .map(|o| {
            vec![
                fmt::utc(o.ts),
                o.ts.to_string(),
                fmt::price(o.price, f.expo),
            ]
        })
        .collect::<Vec<_>>();
    let json_rows: Vec<_> = obs
        .iter()
        .map(|o| json!({"ts": o.ts, "price": o.price}))
        .collect();
    Ok(Output::new(
        fmt::table(&["time (UTC)", "unix", "price"], &rows),
        json!({"feed": name, "expo": f.expo, "observations": json_rows}),
    ))
}

/// Write `price` (units, e.g. 30000.5) to every manual source of the feed
/// the wallet is the writer of.
pub async fn push(
    t: &mut dyn Transport,
    name: &str,
    price: &str,
    conf_bps: u64,
) -> anyhow::Result<Output> {
    push_to(t, name, price, conf_bps, None).await
}

/// `push` to the feed's manual sources at these positions only (all of
/// them for None): one source disagreeing with the others, as a demo or a
/// drill needs.
pub async fn push_to(
    t: &mut dyn Transport,
    name: &str,
    price: &str,
    conf_bps: u64,
    only: Option<&[usize]>,
) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let (_, f) = d.feed(name)?;
    let decimals = u8::try_from(-f.expo)
        .map_err(|_| anyhow::anyhow!("feed expo {} is not negative", f.expo))?;
    let mantissa = rampart_sdk::tokens::parse_amount(price, decimals)?;
    let mantissa =
        i64::try_from(mantissa).map_err(|_| anyhow::anyhow!("price {price} is too large"))?;
    let conf = (mantissa as u64).saturating_mul(conf_bps) / 10_000;
    let writer = t.payer().pubkey();
    let ixs: Vec<_> = f
        .active_sources()
        .iter()
        .enumerate()
        .filter(|(i, s)| s.kind == SourceKind::Manual as u8 && only.is_none_or(|o| o.contains(i)))
        .map(|(_, s)| pricing_ix::push_manual_price(s.account, writer, mantissa, conf, f.expo))
        .collect();
    anyhow::ensure!(
        !ixs.is_empty(),
        "feed {name} has no manual sources to push to"
    );
    t.send(&ixs, &[]).await?;
    Ok(Output::new(
        format!(
            "{name}: pushed {price} (conf {conf_bps} bps) to {} manual sources\n",
            ixs.len()
        ),
        json!({"feed": name, "price": mantissa, "conf": conf, "sources": ixs.len()}),
    ))
}
