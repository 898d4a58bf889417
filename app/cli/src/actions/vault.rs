//! `rampart vault status|deposit|withdraw|redeem|cancel|roll|greeks|settle|buy|exercise`.

use anyhow::Context;
use rampart_sdk::vault_ix::roll_instructions;
use serde_json::json;
use solana_sdk::instruction::Instruction;
use solana_sdk::signature::Signer;
use vault::state::{DepositReceipt, OptionSeries, Phase, Vault};

use rampart_client::Deployment;

use super::Output;
use rampart_client::transport::{self, Transport};
use rampart_sdk::fmt;
use rampart_sdk::pda;
use rampart_sdk::tokens::{self, format_amount, parse_amount};
use rampart_sdk::vault_ix::{Holder, VaultRef};

fn phase(v: &Vault) -> &'static str {
    match v.phase {
        Phase::Settled => "settled",
        Phase::Processed => "processed",
        Phase::Trading => "trading",
    }
}

pub async fn status(t: &mut dyn Transport) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let mut rows = vec![];
    let mut out = vec![];
    for (key, v) in &d.vaults {
        let decimals = decimals(t, &v.asset_mint).await?;
        let series = transport::fetch::<OptionSeries>(
            t,
            rampart_client::deployment::vault_ref(v).series(v.round),
        )
        .await?;
        let expiry = series
            .as_ref()
            .filter(|_| v.phase == Phase::Trading)
            .map(|s| s.expiry_ts);
        rows.push(vec![
            d.vault_name(v),
            v.round.to_string(),
            phase(v).into(),
            format_amount(v.active_assets, decimals),
            format_amount(v.pending_deposits, decimals),
            expiry.map_or("-".into(), fmt::utc),
            format!("{:?}", v.status),
        ]);
        out.push(json!({"vault": d.vault_name(v), "address": key.to_string(), "round": v.round,
            "phase": phase(v), "decimals": decimals, "active_assets": v.active_assets, "pending_deposits": v.pending_deposits,
            "expiry_ts": expiry, "status": format!("{:?}", v.status)}));
    }
    Ok(Output::new(
        fmt::table(
            &[
                "vault",
                "round",
                "phase",
                "assets",
                "pending",
                "expiry (UTC)",
                "status",
            ],
            &rows,
        ),
        json!(out),
    ))
}

async fn decimals(
    t: &mut dyn Transport,
    mint: &anchor_lang::prelude::Pubkey,
) -> anyhow::Result<u8> {
    use solana_sdk::program_pack::Pack;
    let acc = t
        .account(*mint)
        .await?
        .with_context(|| format!("mint {mint} missing"))?;
    Ok(anchor_spl::token::spl_token::state::Mint::unpack(&acc.data)
        .map_err(|e| anyhow::anyhow!("{mint} is not a mint: {e}"))?
        .decimals)
}

/// The wallet as a holder of `r`, with the instructions that create its
/// receipt and token accounts when missing.
async fn holder(
    t: &mut dyn Transport,
    r: &VaultRef,
) -> anyhow::Result<(Holder, Vec<Instruction>, Option<DepositReceipt>)> {
    let owner = t.payer().pubkey();
    let h = Holder {
        owner,
        asset: tokens::ata(&owner, &r.asset_mint),
        shares: tokens::ata(&owner, &r.share_mint()),
    };
    let mut setup = vec![
        tokens::create_ata_idempotent(&owner, &owner, &r.asset_mint),
        tokens::create_ata_idempotent(&owner, &owner, &r.share_mint()),
    ];
    let receipt =
        transport::fetch::<DepositReceipt>(t, pda::vault::receipt(&r.vault, &owner)).await?;
    if receipt.is_none() {
        setup.push(r.open_receipt(owner));
    }
    Ok((h, setup, receipt))
}

/// A deposit left from a processed round converts at that round's price.
fn record_round(receipt: Option<&DepositReceipt>, v: &Vault) -> Option<u32> {
    receipt
        .filter(|r| r.processed_deposit(v.round))
        .map(|r| r.deposit_round)
}

pub async fn deposit(t: &mut dyn Transport, name: &str, amount: &str) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let (r, v) = d.vault(name)?;
    let decimals = decimals(t, &r.asset_mint).await?;
    let units = parse_amount(amount, decimals)?;
    let (h, mut ixs, receipt) = holder(t, &r).await?;
    let held = rampart_client::tokens::balance(t, &h.asset).await?;
    anyhow::ensure!(
        held >= units,
        "insufficient funds: the wallet holds {} of the vault's asset, the deposit needs {amount}",
        format_amount(held, decimals)
    );
    ixs.push(r.deposit(&h, units, record_round(receipt.as_ref(), v)));
    t.send(&ixs, &[]).await.context("vault deposit")?;
    Ok(Output::new(
        format!(
            "{name}: queued a deposit of {amount} for round {}\n",
            v.round + 1
        ),
        json!({"vault": name, "amount": units, "decimals": decimals, "round": v.round + 1}),
    ))
}

pub async fn cancel(t: &mut dyn Transport, name: &str, amount: &str) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let (r, _) = d.vault(name)?;
    let units = parse_amount(amount, decimals(t, &r.asset_mint).await?)?;
    let (h, ixs, receipt) = holder(t, &r).await?;
    anyhow::ensure!(receipt.is_some(), "no deposit in {name} to cancel");
    let mut ixs = ixs;
    ixs.push(r.cancel_deposit(&h, units));
    t.send(&ixs, &[]).await.context("vault cancel")?;
    Ok(Output::new(
        format!("{name}: cancelled {amount} of the queued deposit\n"),
        json!({"vault": name, "amount": units}),
    ))
}

/// Move the shares a processed deposit bought into the wallet's share
/// account: shares the wallet holds can be sold, moved, or deposited as
/// margin collateral (`rampart margin deposit --token <vault>`).
pub async fn redeem(t: &mut dyn Transport, name: &str) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let (r, v) = d.vault(name)?;
    let (h, mut ixs, receipt) = holder(t, &r).await?;
    let round = record_round(receipt.as_ref(), v);
    anyhow::ensure!(
        round.is_some() || receipt.as_ref().is_some_and(|r| r.unredeemed_shares > 0),
        "no shares to redeem in {name}: a deposit becomes shares when its round is processed (`rampart vault roll`)"
    );
    ixs.push(r.redeem_shares(&h, round));
    t.send(&ixs, &[]).await.context("vault redeem")?;
    let shares = rampart_client::tokens::balance(t, &h.shares).await?;
    let decimals = decimals(t, &r.share_mint()).await?;
    Ok(Output::new(
        format!(
            "{name}: the wallet holds {} shares\n",
            format_amount(shares, decimals)
        ),
        json!({"vault": name, "shares": shares, "decimals": decimals, "share_account": h.shares.to_string()}),
    ))
}

/// Request a withdrawal of `shares`, or (without) complete the one a past
/// round processed.
pub async fn withdraw(
    t: &mut dyn Transport,
    name: &str,
    shares: Option<&str>,
) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let (r, v) = d.vault(name)?;
    let (h, mut ixs, receipt) = holder(t, &r).await?;
    let receipt = receipt.with_context(|| format!("no position in {name}"))?;
    match shares {
        None => {
            anyhow::ensure!(
                receipt.withdraw_shares > 0 && receipt.withdraw_round < v.round,
                "no processed withdrawal to complete in {name} (request one with --shares)"
            );
            ixs.push(r.complete_withdrawal(&h, receipt.withdraw_round));
            t.send(&ixs, &[]).await.context("vault withdraw")?;
            Ok(Output::new(
                format!(
                    "{name}: completed the withdrawal requested in round {}\n",
                    receipt.withdraw_round
                ),
                json!({"vault": name, "completed_round": receipt.withdraw_round}),
            ))
        }
        Some(s) => {
            let share_decimals = decimals(t, &r.share_mint()).await?;
            let units = parse_amount(s, share_decimals)?;
            ixs.push(r.request_withdrawal(&h, units, record_round(Some(&receipt), v)));
            let sent = t.send(&ixs, &[]).await;
            if let Err(e) = &sent {
                if rampart_client::failure::error_name(e).as_deref()
                    == Some("vault::InsufficientShares")
                {
                    // Say how many there are, not only that there are fewer.
                    let wallet = rampart_client::tokens::balance(t, &h.shares).await?;
                    let pending = if receipt.processed_deposit(v.round) {
                        format!(
                            ", and a processed deposit of {} becomes shares with it",
                            format_amount(
                                receipt.deposit_amount,
                                decimals(t, &r.asset_mint).await?
                            )
                        )
                    } else {
                        String::new()
                    };
                    anyhow::bail!(
                        "{}: you asked for {s} shares of {name}; the wallet holds {} and the vault keeps {} unredeemed for you{pending}",
                        rampart_client::failure::describe(e),
                        format_amount(wallet, share_decimals),
                        format_amount(receipt.unredeemed_shares, share_decimals),
                    );
                }
            }
            sent.context("vault withdraw")?;
            Ok(Output::new(
                format!("{name}: requested a withdrawal of {s} shares (paid after round {} is processed)\n", v.round),
                json!({"vault": name, "shares": units, "decimals": share_decimals, "round": v.round}),
            ))
        }
    }
}

/// Settle the expired round at its TWAP (permissionless).
/// Settle the expired round at its TWAP; with `price`, as governance at
/// that price, the program's way out once the grace period has passed
/// without a TWAP that covers the settlement window.
pub async fn settle(
    t: &mut dyn Transport,
    name: &str,
    price: Option<&str>,
) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let (r, v) = d.vault(name)?;
    anyhow::ensure!(
        v.phase == Phase::Trading,
        "{name}: round {} is {}, nothing to settle",
        v.round,
        phase(v)
    );
    let series = transport::require::<OptionSeries>(t, r.series(v.round)).await?;
    match price {
        None => {
            let sent = t.send(&[r.settle_epoch(v.round)], &[]).await;
            if let Err(e) = &sent {
                if rampart_client::failure::error_name(e).as_deref()
                    == Some("pricing::TwapUnavailable")
                {
                    let now = t.clock().await?.unix_timestamp;
                    anyhow::bail!(
                        "{}; {}",
                        rampart_client::failure::describe(e),
                        rampart_ops::keeper::governance_fallback(name, &series, v, now)
                    );
                }
            }
            sent.context("vault settle")?;
        }
        Some(price) => {
            // Whole dollars to six places, as WAD (18 decimals).
            let micros = parse_amount(price, 6)?;
            anyhow::ensure!(micros > 0, "--price must be above zero");
            let wad = u128::from(micros) * 1_000_000_000_000;
            let governance = t.payer().pubkey();
            t.send(&[r.governance_settle(governance, v.round, wad)], &[])
                .await
                .context("vault settle --price (governance)")?;
        }
    }
    let s = transport::require::<OptionSeries>(t, r.series(v.round)).await?;
    let by = if s.settled_by_governance {
        " by governance"
    } else {
        ""
    };
    Ok(Output::new(
        format!(
            "{name}: round {} settled{by} at {}\n",
            v.round,
            fmt::wad(s.settlement_price as i128, 2)
        ),
        json!({
            "vault": name,
            "round": v.round,
            "settlement_price_wad": s.settlement_price.to_string(),
            "by_governance": s.settled_by_governance,
        }),
    ))
}

/// Process the settled round and start the next epoch (permissionless).
pub async fn roll(t: &mut dyn Transport, name: &str) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let (r, v) = d.vault(name)?;
    let Some((next, ixs)) = roll_instructions(&r, v, t.payer().pubkey()) else {
        anyhow::bail!(
            "{name}: round {} is trading; settle it after expiry first",
            v.round
        );
    };
    t.send(&ixs, &[]).await.context("vault roll")?;
    let s = transport::require::<OptionSeries>(t, r.series(next)).await?;
    Ok(Output::new(
        format!(
            "{name}: round {next} started, strike {}, expiry {} UTC, capacity {}\n",
            fmt::wad(s.strike as i128, 2),
            fmt::utc(s.expiry_ts),
            s.capacity
        ),
        json!({"vault": name, "round": next, "strike_wad": s.strike.to_string(), "expiry_ts": s.expiry_ts, "capacity": s.capacity}),
    ))
}

/// Refresh the Greeks cache of the trading round and show it.
pub async fn greeks(t: &mut dyn Transport, name: &str) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let (r, v) = d.vault(name)?;
    anyhow::ensure!(
        v.phase == Phase::Trading,
        "{name}: no trading round (phase {})",
        phase(v)
    );
    t.send(&[r.update_greeks(v.round)], &[])
        .await
        .context("vault greeks")?;
    let g = transport::require::<Vault>(t, r.vault).await?.greeks;
    let rows = vec![vec![
        fmt::wad(g.price, 4),
        fmt::wad(g.delta, 4),
        fmt::wad(g.gamma, 8),
        fmt::wad(g.vega, 2),
        fmt::wad(g.theta, 2),
        fmt::wad(g.spot as i128, 2),
        format!("{:.1}%", g.vol as f64 / 1e16),
    ]];
    Ok(Output::new(
        format!(
            "{name} round {} (per option on one underlying unit):\n{}",
            v.round,
            fmt::table(
                &["price", "delta", "gamma", "vega", "theta/yr", "spot", "vol"],
                &rows
            )
        ),
        json!({"vault": name, "round": v.round, "price_wad": g.price.to_string(), "delta_wad": g.delta.to_string(),
               "gamma_wad": g.gamma.to_string(), "vega_wad": g.vega.to_string(), "theta_wad": g.theta.to_string(),
               "spot_wad": g.spot.to_string(), "vol_wad": g.vol.to_string(), "ts": g.ts}),
    ))
}

/// Buy `amount` options (in underlying units, e.g. 0.1 BTC) of the trading
/// round at the program's Black-Scholes price plus spread, paying the
/// premium in the vault's asset, at most `max_premium` (the program
/// refuses a dearer fill: the buyer's protection against a price that
/// moved, or an amount typed in the wrong unit).
pub async fn buy(
    t: &mut dyn Transport,
    name: &str,
    amount: &str,
    max_premium: &str,
) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let (r, v) = d.vault(name)?;
    anyhow::ensure!(
        v.phase == Phase::Trading,
        "{name}: no round on sale (phase {}); options sell after `vault roll`",
        phase(v)
    );
    let units = parse_amount(amount, v.underlying_decimals)?;
    anyhow::ensure!(units > 0, "--amount must be above zero");
    let buyer = t.payer().pubkey();
    let asset = tokens::ata(&buyer, &r.asset_mint);
    let options = tokens::ata(&buyer, &r.option_mint(v.round));
    let asset_decimals = decimals(t, &r.asset_mint).await?;
    let held = rampart_client::tokens::balance(t, &asset).await?;
    let cap = parse_amount(max_premium, asset_decimals)?;
    anyhow::ensure!(
        held > 0,
        "insufficient funds: the wallet holds none of the vault's asset to pay the premium with"
    );
    let ixs = [
        tokens::create_ata_idempotent(&buyer, &buyer, &r.option_mint(v.round)),
        r.buy_options(v.round, buyer, asset, options, units, cap),
    ];
    t.send(&ixs, &[]).await.context("vault buy")?;
    // What the wallet paid, from its balance: exact, and known even when
    // the transaction's logs cannot be read back.
    let premium = held.saturating_sub(rampart_client::tokens::balance(t, &asset).await?);
    Ok(Output::new(
        format!(
            "{name} round {}: bought {amount} options for a premium of {} (option account {options})\n",
            v.round,
            format_amount(premium, asset_decimals)
        ),
        json!({"vault": name, "round": v.round, "amount": units, "decimals": v.underlying_decimals,
               "premium": premium, "premium_decimals": asset_decimals,
               "option_account": options.to_string()}),
    ))
}

/// Burn every option the wallet holds of settled rounds for its payoff
/// (in the vault's asset; out-of-the-money options pay nothing).
pub async fn exercise(t: &mut dyn Transport, name: &str) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let (r, v) = d.vault(name)?;
    let holder = t.payer().pubkey();
    let asset = tokens::ata(&holder, &r.asset_mint);
    let asset_decimals = decimals(t, &r.asset_mint).await?;
    let mut rows = vec![];
    let mut total = 0u64;
    // Rounds up to the current one; only settled series pay out.
    for round in 0..=v.round {
        let options = tokens::ata(&holder, &r.option_mint(round));
        let held = rampart_client::tokens::balance(t, &options).await?;
        if held == 0 {
            continue;
        }
        let Some(series) = transport::fetch::<OptionSeries>(t, r.series(round)).await? else {
            continue;
        };
        if !series.settled {
            continue;
        }
        let ixs = [
            tokens::create_ata_idempotent(&holder, &holder, &r.asset_mint),
            r.redeem_options(round, holder, options, asset, held),
        ];
        let before = rampart_client::tokens::balance(t, &asset).await?;
        t.send(&ixs, &[])
            .await
            .with_context(|| format!("vault exercise, round {round}"))?;
        // The payoff, from the wallet's balance (exact without the logs).
        let payoff = rampart_client::tokens::balance(t, &asset)
            .await?
            .saturating_sub(before);
        total = total.saturating_add(payoff);
        rows.push(json!({"round": round, "options": held, "payoff": payoff}));
    }
    anyhow::ensure!(
        !rows.is_empty(),
        "no options of a settled {name} round in this wallet (a round pays out once `vault settle` has run after expiry)"
    );
    Ok(Output::new(
        format!(
            "{name}: exercised the options of {} settled round(s) for {} of the vault's asset\n",
            rows.len(),
            format_amount(total, asset_decimals)
        ),
        json!({"vault": name, "payoff": total, "decimals": asset_decimals, "rounds": rows}),
    ))
}
