//! `rampart backstop status|deposit|withdraw|claim`: an LP's side of a
//! backstop pool. LPs put the quote token (USDC) in a band at a discount
//! under the oracle; margin's liquidations sell collateral (BTC) into the
//! bands, cheapest band last; an LP's stake then owns less quote and some
//! collateral, which `claim` (or any withdraw) pays out.

use anchor_lang::prelude::Pubkey;
use anyhow::Context;
use backstop::state::{Pool, StakeAccount};
use risk_math::backstop::{Band, Claim};
use serde_json::json;
use solana_sdk::signature::Signer;

use super::Output;
use rampart_client::transport::{self, Transport};
use rampart_client::Deployment;
use rampart_sdk::backstop_ix::{Lp, PoolRef};
use rampart_sdk::fmt;
use rampart_sdk::tokens::{self, format_amount, parse_amount};

fn pool_ref(p: &Pool) -> PoolRef {
    PoolRef::new(p.collateral_mint, p.quote_mint, p.feed)
}

/// The wallet as an LP of `p`, and the instructions creating its token
/// accounts (idempotent).
fn lp(owner: Pubkey, p: &Pool) -> (Lp, Vec<solana_sdk::instruction::Instruction>) {
    let lp = Lp {
        owner,
        quote: tokens::ata(&owner, &p.quote_mint),
        collateral: tokens::ata(&owner, &p.collateral_mint),
    };
    let setup = [p.quote_mint, p.collateral_mint]
        .iter()
        .map(|m| tokens::create_ata_idempotent(&owner, &owner, m))
        .collect();
    (lp, setup)
}

fn band_of(p: &Pool, band: u8) -> anyhow::Result<Band> {
    p.bands
        .get(band as usize)
        .map(|b| (*b).into())
        .with_context(|| {
            format!(
                "no band {band}: the pool has bands 0 to {}",
                p.bands.len() - 1
            )
        })
}

/// The pool a command names, its addresses and name, and a check that
/// `band` is one of its bands.
fn one_band<'a>(
    d: &'a Deployment,
    pool: Option<&str>,
    band: u8,
) -> anyhow::Result<(&'a Pool, PoolRef, String)> {
    let (_, p) = d.pool(pool)?;
    band_of(p, band)?;
    Ok((p, pool_ref(p), d.pool_name(p)))
}

/// What `owner`'s stake in `band` owns now (None: no stake there).
async fn claim_of(
    t: &mut dyn Transport,
    r: &PoolRef,
    p: &Pool,
    band: u8,
    owner: &Pubkey,
) -> anyhow::Result<Option<Claim>> {
    let Some(stake) = transport::fetch::<StakeAccount>(t, r.stake(band, owner)).await? else {
        return Ok(None);
    };
    let claim = band_of(p, band)?
        .claim(&stake.snapshot.into())
        .map_err(|e| anyhow::anyhow!("claim of band {band}: {e:?}"))?;
    Ok(Some(claim))
}

/// Every band of the pool, and the wallet's (or `owner`'s) stakes in them.
pub async fn status(
    t: &mut dyn Transport,
    pool: Option<&str>,
    owner: Option<Pubkey>,
) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let (address, p) = d.pool(pool)?;
    let r = pool_ref(p);
    let name = d.pool_name(p);
    let owner = super::owner_or_wallet(t, owner)?;
    let (qd, cd) = (p.quote_decimals, p.collateral_decimals);
    let (quote_sym, coll_sym) = (
        d.symbol_of_mint(&p.quote_mint),
        d.symbol_of_mint(&p.collateral_mint),
    );
    let mut rows = vec![];
    let mut bands = vec![];
    for (i, b) in p.bands.iter().enumerate() {
        let claim = claim_of(t, &r, p, i as u8, &owner).await?;
        rows.push(vec![
            i.to_string(),
            format!("{:.2}%", f64::from(b.discount_bps) / 100.0),
            format_amount(b.quote, qd),
            format_amount(b.collateral, cd),
            b.stakes.to_string(),
            claim.map_or("-".into(), |c| format_amount(c.quote, qd)),
            claim.map_or("-".into(), |c| format_amount(c.collateral, cd)),
        ]);
        bands.push(json!({
            "band": i, "discount_bps": b.discount_bps, "quote": b.quote, "collateral": b.collateral,
            "stakes": b.stakes,
            "yours": claim.map(|c| json!({"quote": c.quote, "collateral": c.collateral})),
        }));
    }
    let consumer = r.consumer(&rampart_sdk::pda::margin::backstop_authority());
    let margin_registered = transport::fetch::<backstop::state::Consumer>(t, consumer)
        .await?
        .is_some_and(|c| c.active);
    let slot = t.clock().await?.slot;
    let locked = p.withdrawals_locked_until >= slot;
    let text =
        format!(
        "backstop {name} ({address}): buys {coll_sym} for {quote_sym} under {}; margin {}{}\n{}",
        d.feed_name_of(&p.feed),
        if margin_registered {
            "sells its liquidations here"
        } else {
            "is not registered as a consumer"
        },
        if locked {
            format!("; withdrawals locked until slot {}", p.withdrawals_locked_until)
        } else {
            String::new()
        },
        fmt::table(
            &[
                "band",
                "discount",
                &format!("{quote_sym} in band"),
                &format!("{coll_sym} bought"),
                "stakes",
                &format!("your {quote_sym}"),
                &format!("your {coll_sym}"),
            ],
            &rows,
        )
    );
    Ok(Output::new(
        text,
        json!({"pool": name, "address": address.to_string(), "owner": owner.to_string(),
               "quote_decimals": qd, "collateral_decimals": cd,
               "margin_registered": margin_registered, "withdrawals_locked_until": p.withdrawals_locked_until,
               "bands": bands}),
    ))
}

/// Put `amount` of the quote token in `band` (opening the stake first).
pub async fn deposit(
    t: &mut dyn Transport,
    pool: Option<&str>,
    band: u8,
    amount: &str,
) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let (p, r, name) = one_band(&d, pool, band)?;
    let units = parse_amount(amount, p.quote_decimals)?;
    anyhow::ensure!(units > 0, "--amount must be above zero");
    let owner = t.payer().pubkey();
    let (lp, mut ixs) = lp(owner, p);
    let held = rampart_client::tokens::balance(t, &lp.quote).await?;
    let quote_sym = d.symbol_of_mint(&p.quote_mint);
    anyhow::ensure!(
        held >= units,
        "insufficient funds: the wallet holds {} {quote_sym}, the deposit needs {amount}",
        format_amount(held, p.quote_decimals)
    );
    if t.account(r.stake(band, &owner)).await?.is_none() {
        ixs.push(r.open_stake(owner, band));
    }
    ixs.push(r.deposit(&lp, band, units));
    t.send(&ixs, &[]).await.context("backstop deposit")?;
    let claim = claim_of(t, &r, p, band, &owner).await?.unwrap_or_default();
    Ok(Output::new(
        format!(
            "{name} band {band}: deposited {amount} {quote_sym}; the stake owns {} {quote_sym}\n",
            format_amount(claim.quote, p.quote_decimals)
        ),
        json!({"pool": name, "band": band, "amount": units, "stake_quote": claim.quote, "stake_collateral": claim.collateral}),
    ))
}

/// Take `amount` of the stake's quote out (`max`: all of it), with every
/// bit of collateral it bought; `amount` 0 is `claim`.
pub async fn withdraw(
    t: &mut dyn Transport,
    pool: Option<&str>,
    band: u8,
    amount: &str,
) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let (p, r, name) = one_band(&d, pool, band)?;
    let owner = t.payer().pubkey();
    let quote_sym = d.symbol_of_mint(&p.quote_mint);
    let coll_sym = d.symbol_of_mint(&p.collateral_mint);
    let claim = claim_of(t, &r, p, band, &owner)
        .await?
        .with_context(|| format!("no stake in {name} band {band}"))?;
    let units = if amount.eq_ignore_ascii_case("max") {
        claim.quote
    } else {
        parse_amount(amount, p.quote_decimals)?
    };
    anyhow::ensure!(
        units <= claim.quote,
        "the stake in band {band} owns {} {quote_sym}, less than {amount}",
        format_amount(claim.quote, p.quote_decimals)
    );
    let (lp, mut ixs) = lp(owner, p);
    ixs.push(r.withdraw(&lp, band, units));
    let before = rampart_client::tokens::balance(t, &lp.collateral).await?;
    t.send(&ixs, &[]).await.context("backstop withdraw")?;
    // What it paid out, from the wallet: a liquidation between the read
    // above and the withdrawal can have bought more.
    let collateral = rampart_client::tokens::balance(t, &lp.collateral)
        .await?
        .saturating_sub(before);
    Ok(Output::new(
        format!(
            "{name} band {band}: withdrew {} {quote_sym} and {} {coll_sym} bought\n",
            format_amount(units, p.quote_decimals),
            format_amount(collateral, p.collateral_decimals)
        ),
        json!({"pool": name, "band": band, "quote": units, "collateral": collateral}),
    ))
}

/// Collect the collateral every band of the wallet's has bought, leaving
/// its quote in place.
pub async fn claim(t: &mut dyn Transport, pool: Option<&str>) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let (_, p) = d.pool(pool)?;
    let (r, name) = (pool_ref(p), d.pool_name(p));
    let owner = t.payer().pubkey();
    let coll_sym = d.symbol_of_mint(&p.collateral_mint);
    let (lp, setup) = lp(owner, p);
    let mut paid: Vec<(u8, u64)> = vec![];
    for band in 0..p.bands.len() as u8 {
        let Some(claim) = claim_of(t, &r, p, band, &owner).await? else {
            continue;
        };
        if claim.collateral == 0 {
            continue;
        }
        let mut ixs = setup.clone();
        ixs.push(r.withdraw(&lp, band, 0));
        let before = rampart_client::tokens::balance(t, &lp.collateral).await?;
        if let Err(e) = t.send(&ixs, &[]).await {
            // Say what the bands before this one already paid.
            let done: Vec<String> = paid.iter().map(|(b, _)| b.to_string()).collect();
            return Err(e.context(format!(
                "backstop claim, band {band} (bands already claimed: {})",
                if done.is_empty() {
                    "none".into()
                } else {
                    done.join(", ")
                }
            )));
        }
        let got = rampart_client::tokens::balance(t, &lp.collateral)
            .await?
            .saturating_sub(before);
        paid.push((band, got));
    }
    let total: u64 = paid.iter().map(|(_, c)| c).sum();
    Ok(Output::new(
        format!(
            "{name}: claimed {} {coll_sym} from {} band(s)\n",
            format_amount(total, p.collateral_decimals),
            paid.len()
        ),
        json!({"pool": name, "collateral": total,
               "bands": paid.iter().map(|(b, c)| json!({"band": b, "collateral": c})).collect::<Vec<_>>()}),
    ))
}
