//! `rampart margin open|deposit|withdraw|borrow|repay|health|liquidate`.

use anchor_lang::prelude::Pubkey;
use anyhow::Context;
use margin::state::{Bank, MarginAccount};
use rampart_ops::liquidator::{liquidate_account, Liquidated};
use rampart_sdk::events::fees_swept;
use rampart_sdk::health::{self, Requirement};
use serde_json::json;
use solana_sdk::signature::Signer;

use rampart_client::Deployment;

use super::Output;
use rampart_client::transport::{self, Transport};
use rampart_sdk::fmt;
use rampart_sdk::margin_ix::{self, Flow};
use rampart_sdk::pda;
use rampart_sdk::tokens::{self, format_amount, parse_amount};

pub async fn open(t: &mut dyn Transport, index: u8) -> anyhow::Result<Output> {
    let owner = t.payer().pubkey();
    let address = pda::margin::account(&owner, index);
    if t.account(address).await?.is_some() {
        anyhow::bail!("margin account {index} of {owner} already exists at {address}");
    }
    t.send(&[margin_ix::open_account(owner, index)], &[])
        .await
        .context("margin open")?;
    Ok(Output::new(
        format!("opened margin account {index} at {address}\n"),
        json!({"account": address.to_string(), "index": index}),
    ))
}

/// A bank's lending terms now, for display: utilisation and the annual
/// rates as APYs (per-second compounding), fractions of 1.
pub struct Terms {
    pub utilization: f64,
    pub borrow_apy: f64,
    pub supply_apy: f64,
}

pub fn terms(bank: &Bank) -> anyhow::Result<Terms> {
    use risk_math::interest::apy;
    let model = bank.params.interest.to_math();
    let u = bank
        .book()
        .utilization()
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let rate = |annual: Result<u128, risk_math::MathError>| -> anyhow::Result<f64> {
        let annual = annual.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        Ok(apy(annual).map_err(|e| anyhow::anyhow!("{e:?}"))? as f64 / 1e18)
    };
    Ok(Terms {
        utilization: u as f64 / 1e18,
        borrow_apy: rate(model.borrow_rate(u))?,
        supply_apy: rate(model.deposit_rate(u))?,
    })
}

/// `rampart margin banks`: every bank's book and lending terms, with
/// interest accrued to the chain's clock.
pub async fn banks(t: &mut dyn Transport) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let mut rows = vec![];
    let mut out = vec![];
    for (key, bank) in &d.banks {
        let symbol = d.symbol(bank);
        let borrows = bank.total_borrows()?;
        let terms = terms(bank)?;
        let insurance = rampart_client::tokens::balance(t, &bank.insurance_vault).await?;
        rows.push(vec![
            symbol.clone(),
            format_amount(bank.total_deposits, bank.decimals),
            format_amount(borrows, bank.decimals),
            format!("{:.2}%", terms.utilization * 100.0),
            format!("{:.2}%", terms.borrow_apy * 100.0),
            format!("{:.2}%", terms.supply_apy * 100.0),
            format_amount(bank.interest_accrued, bank.decimals),
            format_amount(bank.pending_fees, bank.decimals),
            format_amount(insurance, bank.decimals),
        ]);
        out.push(json!({
            "bank": key.to_string(), "token": symbol, "decimals": bank.decimals,
            "deposits": bank.total_deposits, "borrows": borrows,
            "utilization": terms.utilization, "borrow_apy": terms.borrow_apy,
            "supply_apy": terms.supply_apy, "borrow_index_wad": bank.borrow_index.to_string(),
            "interest_accrued": bank.interest_accrued, "fees_accrued": bank.fees_accrued,
            "fees_pending": bank.pending_fees, "insurance": insurance,
            "maint_base_wad": bank.params.maint.base.to_string(),
            "maint_ratio_wad": bank.effective_maint_ratio.to_string(),
            "deposit_cap": bank.deposit_cap(), "borrow_cap": bank.borrow_cap(),
            "governance_deposit_cap": bank.params.deposit_cap,
            "governance_borrow_cap": bank.params.borrow_cap,
        }));
    }
    let text = fmt::table(
        &[
            "token",
            "deposits",
            "borrows",
            "util.",
            "borrow APY",
            "supply APY",
            "interest",
            "fund owed",
            "insurance",
        ],
        &rows,
    );
    Ok(Output::new(text, json!({ "banks": out })))
}

/// `rampart margin accrue`: accrue every bank (or `symbol`'s) to now and
/// sweep the insurance fund's interest out of the vault.
pub async fn accrue(t: &mut dyn Transport, symbol: Option<&str>) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let mints: Vec<(String, Pubkey)> = match symbol {
        Some(s) => vec![(s.to_string(), d.bank(s)?.1.mint)],
        None => d.banks.iter().map(|(_, b)| (d.symbol(b), b.mint)).collect(),
    };
    let mut text = String::new();
    let mut out = vec![];
    for (symbol, mint) in mints {
        let ok = t
            .send(&[margin_ix::accrue(mint)], &[])
            .await
            .with_context(|| format!("margin accrue {symbol}"))?;
        let swept = fees_swept(&ok.logs);
        let decimals = d.bank(&symbol)?.1.decimals;
        text.push_str(&format!(
            "{symbol}: accrued; {} {symbol} swept to the insurance fund\n",
            format_amount(swept, decimals)
        ));
        out.push(json!({"token": symbol, "swept": swept, "decimals": decimals}));
    }
    Ok(Output::new(text, json!({ "accrued": out })))
}

/// Which balance action.
#[derive(Debug, Clone, Copy)]
pub enum Action {
    Deposit,
    Withdraw,
    Borrow,
    Repay,
}

/// Move `amount` (whole-token decimal) of `symbol` between the wallet's
/// associated token account and its margin account `index`.
pub async fn flow(
    t: &mut dyn Transport,
    action: Action,
    symbol: &str,
    amount: &str,
    index: u8,
) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let (bank_key, bank) = d.bank(symbol)?;
    let owner = t.payer().pubkey();
    let address = pda::margin::account(&owner, index);
    let account = transport::fetch::<MarginAccount>(t, address)
        .await?
        .with_context(|| {
            format!("no margin account {index} for {owner}: run `rampart margin open` first")
        })?;
    let verb = format!("{action:?}").to_lowercase();
    let position = account.existing(&bank_key);
    // What the account holds and owes in this bank, with interest to now.
    let deposited = position.map_or(Ok(0), |p| bank.deposit_tokens(p.deposit_shares))?;
    let owed = position.map_or(Ok(0), |p| bank.debt_tokens(p.borrow_scaled))?;
    let all = amount.eq_ignore_ascii_case("max");
    let units = match action {
        // The program takes u64::MAX as "all of it as of the transaction's
        // second", so no interest is left behind.
        Action::Withdraw | Action::Repay if all => u64::MAX,
        _ if all => anyhow::bail!("--amount max is for withdraw and repay"),
        _ => parse_amount(amount, bank.decimals)?,
    };
    anyhow::ensure!(units > 0, "amount must be positive");
    let user_token = tokens::ata(&owner, &bank.mint);
    let held = rampart_client::tokens::balance(t, &user_token).await?;
    let amounts = |v: u64| format_amount(v, bank.decimals);
    match action {
        Action::Deposit if held < units => anyhow::bail!(
            "insufficient funds: the wallet holds {} {symbol}, deposit needs {amount}",
            amounts(held)
        ),
        Action::Repay if owed == 0 => anyhow::bail!("no {symbol} debt to repay"),
        Action::Repay if held < units.min(owed) => anyhow::bail!(
            "insufficient funds: the wallet holds {} {symbol}, the debt is {} {symbol}",
            amounts(held),
            amounts(owed)
        ),
        Action::Borrow => {
            // The program's bound: debt never exceeds what lenders supplied.
            let lent = bank.total_borrows()?;
            let available = bank.total_deposits.saturating_sub(lent);
            if units > available {
                anyhow::bail!(
                    "the {symbol} bank has {} {symbol} left to lend ({} deposited, {} borrowed): \
                     a lender must deposit {symbol} first (`rampart margin deposit --token {symbol}` from another account)",
                    amounts(available),
                    amounts(bank.total_deposits),
                    amounts(lent)
                );
            }
        }
        Action::Withdraw if deposited == 0 => {
            anyhow::bail!("no {symbol} deposit to withdraw")
        }
        Action::Withdraw if units != u64::MAX && units > deposited => anyhow::bail!(
            "the account holds {} {symbol}, less than the {amount} asked",
            amounts(deposited)
        ),
        _ => {}
    }
    let f = Flow {
        owner,
        account_index: index,
        mint: bank.mint,
        user_token,
        health: d.health(Some(&account), &[bank_key]),
    };
    let ix = match action {
        Action::Deposit => f.deposit(units),
        Action::Withdraw => f.withdraw(units),
        Action::Borrow => f.borrow(units),
        Action::Repay => f.repay(units),
    };
    let create = tokens::create_ata_idempotent(&owner, &owner, &bank.mint);
    let ok = t
        .send(&[create, ix], &[])
        .await
        .with_context(|| format!("margin {verb}"))?;
    // The amount that moved, as the program booked it (for `max`, what
    // "all" came to at the transaction's second).
    let moved = rampart_sdk::events::decode::<margin::events::BalanceChanged>(&ok.logs)
        .first()
        .map_or(units, |e| e.amount);
    Ok(Output::new(
        format!(
            "{verb} {} {symbol}: done (account {address})\n",
            amounts(moved)
        ),
        json!({"action": verb, "token": symbol, "amount": moved, "decimals": bank.decimals, "account": address.to_string()}),
    ))
}

/// Positions and maintenance health of `owner`'s account (the wallet's by
/// default), valued as the program values it (`rampart_sdk::health`).
pub async fn health(
    t: &mut dyn Transport,
    owner: Option<Pubkey>,
    index: u8,
) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let owner = super::owner_or_wallet(t, owner)?;
    let (address, account) = account_of(t, owner, index).await?;
    let whole = d.value(&account, Requirement::Maintenance)?.health;
    let mut rows = vec![];
    let mut positions = vec![];
    for v in health::positions(&account, &d, &d.clock, Requirement::Maintenance)? {
        let bank = d.bank_by_key(&v.bank)?;
        let p = account
            .existing(&v.bank)
            .context("a valued position left the account")?;
        // Interest the deposit earned (negative after a socialised loss)
        // and the debt accrued, since their principal went in.
        let earned = v.deposit as i128 - p.deposit_basis as i128;
        let accrued = v.debt.saturating_sub(p.borrow_basis);
        let earned_text = if earned < 0 {
            format!(
                "-{}",
                format_amount(earned.unsigned_abs() as u64, v.decimals)
            )
        } else {
            format_amount(earned as u64, v.decimals)
        };
        let price = usd(v.spot);
        rows.push(vec![
            d.symbol(bank),
            format_amount(v.deposit, v.decimals),
            earned_text,
            format_amount(v.debt, v.decimals),
            format_amount(accrued, v.decimals),
            format!("{price:.2}"),
            format!("{:.2}", usd(v.weighted_collateral) - usd(v.weighted_debt)),
        ]);
        positions.push(json!({
            "token": d.symbol(bank), "decimals": v.decimals, "deposit": v.deposit, "debt": v.debt, "price_usd": price,
            "interest_earned": earned as i64, "interest_accrued": accrued,
        }));
    }
    let (collateral, debt) = (usd(whole.assets), usd(whole.liabilities));
    let margin = whole.margin() as f64 / 1e18;
    let liquidatable = whole.liabilities > 0 && !whole.is_healthy();
    let mut text = fmt::table(
        &[
            "token",
            "deposit",
            "earned",
            "debt",
            "interest",
            "price",
            "maint. value",
        ],
        &rows,
    );
    text.push_str(&format!(
        "maintenance margin ${margin:.2} (weighted collateral ${collateral:.2}, weighted debt ${debt:.2}){}\n",
        if liquidatable { ": LIQUIDATABLE" } else { "" }
    ));
    Ok(Output::new(
        text,
        json!({"account": address.to_string(), "owner": owner.to_string(), "positions": positions,
               "weighted_collateral_usd": collateral, "weighted_debt_usd": debt,
               "maintenance_margin_usd": margin, "liquidatable": liquidatable}),
    ))
}

/// `owner`'s margin account `index`: its address and state, or an error
/// naming which account is missing.
async fn account_of(
    t: &mut dyn Transport,
    owner: Pubkey,
    index: u8,
) -> anyhow::Result<(Pubkey, MarginAccount)> {
    let address = pda::margin::account(&owner, index);
    let account = transport::require::<MarginAccount>(t, address)
        .await
        .with_context(|| format!("margin account {index} of {owner}"))?;
    Ok((address, account))
}

/// The decimals of a bank's token.
fn decimals_of(d: &Deployment, mint: &Pubkey) -> anyhow::Result<u8> {
    d.banks
        .iter()
        .find(|(_, b)| b.mint == *mint)
        .map(|(_, b)| b.decimals)
        .with_context(|| format!("no margin bank of mint {mint}"))
}

/// A WAD quote amount in dollars, for display only.
fn usd(wad: u128) -> f64 {
    wad as f64 / 1e18
}

pub async fn liquidate(t: &mut dyn Transport, owner: Pubkey, index: u8) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let (address, _) = account_of(t, owner, index).await?;
    let outcome = liquidate_account(t, &d, address)
        .await
        .context("margin liquidate")?;
    let mut json = json!({"account": address.to_string()});
    let text = match &outcome {
        Liquidated::Done(fills) => {
            json["outcome"] = "done".into();
            let (text, rows) = described(&d, address, fills)?;
            json["fills"] = rows.into();
            text
        }
        Liquidated::Partial { fills, rest } => {
            let why = rampart_client::failure::describe(rest);
            json["outcome"] = "partial".into();
            json["rest_error"] = why.clone().into();
            let (text, rows) = described(&d, address, fills)?;
            json["fills"] = rows.into();
            format!("{text}the wallet could not liquidate the rest: {why}\n")
        }
        Liquidated::Proposed(p) => {
            json["outcome"] = "proposed".into();
            json["proposal"] = p.to_string().into();
            format!("large liquidation of {address}: proposal {p} awaits validator approvals (`rampart gov approve {p}`)\n")
        }
        Liquidated::AwaitingApproval(p) => {
            json["outcome"] = "awaiting_approval".into();
            json["proposal"] = p.to_string().into();
            format!("large liquidation of {address}: proposal {p} still awaits approvals\n")
        }
    };
    Ok(Output::new(text, json))
}

/// Each fill of a liquidation: a line of text and a JSON row.
fn described(
    d: &Deployment,
    address: Pubkey,
    fills: &[rampart_ops::liquidator::Fill],
) -> anyhow::Result<(String, Vec<serde_json::Value>)> {
    let mut text = String::new();
    let mut rows = vec![];
    for f in fills {
        let (debt, coll) = (
            d.symbol_of_mint(&f.liability_mint),
            d.symbol_of_mint(&f.collateral_mint),
        );
        let (dd, cd) = (
            decimals_of(d, &f.liability_mint)?,
            decimals_of(d, &f.collateral_mint)?,
        );
        let to = match f.pool {
            Some(_) => "sold to the backstop pool",
            None => "to this wallet",
        };
        let amounts = match f.amounts {
            Some((repaid, seized)) => format!(
                "repaid {} {debt}, seized {} {coll}",
                format_amount(repaid, dd),
                format_amount(seized, cd)
            ),
            None => format!(
                "{debt} repaid, {coll} seized (amounts unavailable: the transaction's logs could not be read back)"
            ),
        };
        text.push_str(&format!("liquidated {address}: {amounts} ({to})\n"));
        rows.push(json!({
            "repaid": f.amounts.map(|a| a.0), "repaid_token": debt, "repaid_decimals": dd,
            "seized": f.amounts.map(|a| a.1), "seized_token": coll, "seized_decimals": cd,
            "pool": f.pool.map(|p| p.to_string()),
        }));
    }
    Ok((text, rows))
}

/// `margin fix-prices`: what the keeper does first under Shutdown.
pub async fn fix_prices(t: &mut dyn Transport) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let config =
        transport::require::<margin::state::MarginConfig>(t, pda::margin::config()).await?;
    let now = t.clock().await?.unix_timestamp;
    anyhow::ensure!(
        config.effective_status(now) == margin::state::MarginStatus::Shutdown,
        "margin is not shut down: settlement prices are fixed only under Shutdown (`rampart gov shutdown`)"
    );
    let mut fixed = vec![];
    for (key, b) in &d.banks {
        if b.current_settlement_price(config.shutdown_since).is_ok() {
            continue;
        }
        t.send(&[rampart_ops::wind_down::fix_settlement_price(&d, b)], &[])
            .await
            .with_context(|| format!("fix the settlement price of {}", d.symbol(b)))?;
        fixed.push((*key, d.symbol(b)));
    }
    let mut text = String::new();
    let mut rows = vec![];
    let d = Deployment::load(t).await?;
    for (key, symbol) in &fixed {
        let b = d.bank_by_key(key)?;
        let price = b.current_settlement_price(config.shutdown_since)?;
        text.push_str(&format!(
            "{symbol}: settles at {}\n",
            fmt::wad(price as i128, 4)
        ));
        rows.push(json!({"token": symbol, "settlement_price_wad": price.to_string()}));
    }
    if fixed.is_empty() {
        text.push_str("every bank's settlement price is already fixed\n");
    }
    Ok(Output::new(text, json!({"fixed": rows})))
}

/// `margin settle`: every debt of the account against its collateral at
/// the fixed prices, one bank pair at a time.
pub async fn settle(t: &mut dyn Transport, owner: Pubkey, index: u8) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let (address, mut account) = account_of(t, owner, index).await?;
    let mut settled = vec![];
    for _ in 0..account.positions.len() {
        let Some(pair) = rampart_ops::wind_down::next_settlement(&d, &account) else {
            break;
        };
        let ok = rampart_ops::wind_down::settle(t, &d, address, pair)
            .await
            .context("margin settle")?;
        settled.extend(rampart_sdk::events::decode::<margin::events::PositionSettled>(&ok.logs));
        account = transport::require::<MarginAccount>(t, address).await?;
    }
    anyhow::ensure!(
        !settled.is_empty(),
        "nothing to settle: account {address} has no debt against collateral worth anything{}",
        if account.has_debt() {
            " (its debt is bad debt: `rampart margin write-off`)"
        } else {
            ""
        }
    );
    let mut text = String::new();
    let mut rows = vec![];
    for e in &settled {
        let (debt, collateral) = (
            d.bank_by_key(&e.liability_bank)?,
            d.bank_by_key(&e.collateral_bank)?,
        );
        text.push_str(&format!(
            "settled {address}: repaid {} {}, took {} {}, {} {} of debt left\n",
            format_amount(e.repaid, debt.decimals),
            d.symbol(debt),
            format_amount(e.seized, collateral.decimals),
            d.symbol(collateral),
            format_amount(e.debt_left, debt.decimals),
            d.symbol(debt),
        ));
        rows.push(
            json!({"debt_token": d.symbol(debt), "collateral_token": d.symbol(collateral),
                   "debt_decimals": debt.decimals, "collateral_decimals": collateral.decimals,
                         "repaid": e.repaid, "seized": e.seized, "debt_left": e.debt_left}),
        );
    }
    Ok(Output::new(
        text,
        json!({"account": address.to_string(), "settlements": rows}),
    ))
}

/// `margin write-off`: every debt of the account that no collateral backs.
pub async fn write_off(t: &mut dyn Transport, owner: Pubkey, index: u8) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let (address, account) = account_of(t, owner, index).await?;
    let banks = rampart_ops::wind_down::bad_debts(&d, &account);
    anyhow::ensure!(
        !banks.is_empty(),
        "nothing to write off: account {address} {}",
        if account.has_debt() {
            "still holds collateral worth something (liquidate it, or under Shutdown `rampart margin settle`)"
        } else {
            "has no debt"
        }
    );
    let mut text = String::new();
    let mut rows = vec![];
    for bank in banks {
        let ok = rampart_ops::wind_down::write_off(t, &d, address, &account, bank)
            .await
            .context("margin write-off")?;
        let b = d.bank_by_key(&bank)?;
        for e in rampart_sdk::events::decode::<margin::events::BadDebtWrittenOff>(&ok.logs) {
            let a = |v: u64| format_amount(v, b.decimals);
            text.push_str(&format!(
                "wrote off {} {} of {address}: {} from the insurance fund, {} from its fees, {} shared by lenders\n",
                a(e.debt), d.symbol(b), a(e.from_insurance), a(e.from_fees), a(e.socialised)
            ));
            rows.push(
                json!({"token": d.symbol(b), "decimals": b.decimals, "debt": e.debt, "from_insurance": e.from_insurance,
                             "from_fees": e.from_fees, "socialised": e.socialised}),
            );
        }
    }
    Ok(Output::new(
        text,
        json!({"account": address.to_string(), "written_off": rows}),
    ))
}

/// `margin risk`: the account's room and its breaking points, each figure
/// from the program's own valuation (see `rampart_sdk::health::max_borrow`,
/// `max_withdraw`, `liquidation_price`).
pub async fn risk(
    t: &mut dyn Transport,
    owner: Option<Pubkey>,
    index: u8,
) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let owner = super::owner_or_wallet(t, owner)?;
    let (address, account) = account_of(t, owner, index).await?;
    let mut text = format!("account {address} (owner {owner})\n");
    let mut warnings = vec![];
    let mut requirement = |req: Requirement, what: &str| match d.value(&account, req) {
        Ok(h) => {
            let (c, debt) = (usd(h.health.assets), usd(h.health.liabilities));
            let margin = h.health.margin() as f64 / 1e18;
            text.push_str(&format!(
                "{what:<12} weighted collateral ${c:.2}, weighted debt ${debt:.2}, margin ${margin:.2}\n"
            ));
            json!({"weighted_collateral_usd": c, "weighted_debt_usd": debt, "margin_usd": margin,
                   "met": h.health.is_healthy()})
        }
        Err(e) => {
            warnings.push(format!("{what}: {e:#}"));
            serde_json::Value::Null
        }
    };
    let initial = requirement(Requirement::Initial, "initial");
    let maintenance = requirement(Requirement::Maintenance, "maintenance");
    if let Some(free) = initial["margin_usd"].as_f64() {
        text.push_str(&format!("free collateral ${:.2}\n", free.max(0.0)));
    }
    // Borrows need margin Active (the valuation alone does not say so).
    let config =
        transport::require::<margin::state::MarginConfig>(t, pda::margin::config()).await?;
    let status = config.effective_status(d.clock.unix_timestamp);
    let active = status == margin::state::MarginStatus::Active;
    if !active {
        warnings.push(format!("margin is {status:?}: no new borrows"));
    }
    let mut rows = vec![];
    let mut banks = vec![];
    for (key, bank) in &d.banks {
        let amounts = |v: u64| format_amount(v, bank.decimals);
        let borrow = if active && bank.params.borrow_cap > 0 {
            health::max_borrow(&account, &d, &d.clock, *key)?
        } else {
            0
        };
        let withdraw = health::max_withdraw(&account, &d, &d.clock, *key)?;
        let p = account.existing(key);
        let deposit = p.map_or(Ok(0), |p| bank.deposit_tokens(p.deposit_shares))?;
        let debt = p.map_or(Ok(0), |p| bank.debt_tokens(p.borrow_scaled))?;
        rows.push(vec![
            d.symbol(bank),
            amounts(deposit),
            amounts(debt),
            amounts(borrow),
            amounts(withdraw),
        ]);
        banks.push(
            json!({"token": d.symbol(bank), "decimals": bank.decimals, "deposit": deposit, "debt": debt,
                          "max_borrow": borrow, "max_withdraw": withdraw}),
        );
    }
    text.push_str(&fmt::table(
        &["token", "deposit", "debt", "max borrow", "max withdraw"],
        &rows,
    ));
    let mut prices = vec![];
    if account.has_debt() {
        let mut feeds: Vec<Pubkey> = account
            .active()
            .filter_map(|p| d.bank_by_key(&p.bank).ok().map(|b| b.feed))
            .collect();
        feeds.dedup();
        for feed_key in feeds {
            let (_, feed) = d.feed(&d.feed_name_of(&feed_key))?;
            let name = d.feed_name_of(&feed_key);
            match health::liquidation_price(&account, &d, &d.clock, feed_key) {
                Ok(Some(at)) => {
                    let (now, then) =
                        (fmt::price(feed.price, feed.expo), fmt::price(at, feed.expo));
                    let change = (at as f64 / feed.price as f64 - 1.0) * 100.0;
                    text.push_str(&format!(
                        "liquidation price {name}: {then} (now {now}, {change:+.1}%)\n"
                    ));
                    prices.push(
                        json!({"feed": name, "price": at, "expo": feed.expo, "now": feed.price}),
                    );
                }
                Ok(None) => {}
                Err(e) => warnings.push(format!("{name}: {e:#}")),
            }
        }
    }
    for w in &warnings {
        text.push_str(&format!(
            "warning: {w} (a feed that does not serve blocks borrows and withdrawals against debt; deposits and repayments still work)\n"
        ));
    }
    Ok(Output::new(
        text,
        json!({"account": address.to_string(), "owner": owner.to_string(),
               "initial": initial, "maintenance": maintenance, "banks": banks,
               "liquidation_prices": prices, "warnings": warnings}),
    ))
}
