//! `rampart margin open|deposit|withdraw|borrow|repay|health|liquidate`.

use anchor_lang::prelude::Pubkey;
use anyhow::Context;
use margin::state::{Bank, LiquidationProposal, MarginAccount, Position};
use pricing::state::PriceFeed;
use serde_json::json;
use solana_sdk::signature::Signer;

use super::{Deployment, Output};
use crate::margin_ix::{self, Flow, LiquidationAccounts};
use crate::tokens::{self, format_amount, parse_amount};
use crate::transport::{self, Transport};
use crate::{fmt, pda};

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
        let insurance = tokens::balance(t, &bank.insurance_vault).await?;
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
            "bank": key.to_string(), "token": symbol,
            "deposits": bank.total_deposits, "borrows": borrows,
            "utilization": terms.utilization, "borrow_apy": terms.borrow_apy,
            "supply_apy": terms.supply_apy, "borrow_index": bank.borrow_index.to_string(),
            "interest_accrued": bank.interest_accrued, "fees_accrued": bank.fees_accrued,
            "fees_pending": bank.pending_fees, "insurance": insurance,
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

/// Tokens an `accrue` transaction swept to insurance funds, from its logs.
pub fn fees_swept(logs: &[String]) -> u64 {
    crate::events::decode::<margin::events::FeesSwept>(logs)
        .iter()
        .map(|e| e.amount)
        .sum()
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
        out.push(json!({"token": symbol, "swept": swept}));
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
    let units = parse_amount(amount, bank.decimals)?;
    anyhow::ensure!(units > 0, "amount must be positive");
    let user_token = tokens::ata(&owner, &bank.mint);
    let held = tokens::balance(t, &user_token).await?;
    let verb = format!("{action:?}").to_lowercase();
    if matches!(action, Action::Deposit | Action::Repay) && held < units {
        anyhow::bail!(
            "insufficient funds: the wallet holds {} {symbol}, {verb} needs {amount}",
            format_amount(held, bank.decimals)
        );
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
    t.send(&[create, ix], &[])
        .await
        .with_context(|| format!("margin {verb}"))?;
    Ok(Output::new(
        format!("{verb} {amount} {symbol}: done (account {address})\n"),
        json!({"action": verb, "token": symbol, "amount": units, "account": address.to_string()}),
    ))
}

/// One position valued at its feed's price.
struct Valued {
    symbol: String,
    deposit: u64,
    debt: u64,
    /// Interest the deposit earned (negative after a socialised loss) and
    /// the debt accrued, since their principal went in.
    earned: i128,
    accrued: u64,
    decimals: u8,
    price: f64,
    /// Maintenance-weighted value: collateral after haircut, debt marked up.
    weighted_collateral: f64,
    weighted_debt: f64,
}

fn value(d: &Deployment, bank: &Bank, feed: &PriceFeed, p: &Position) -> anyhow::Result<Valued> {
    let deposit = bank.deposit_tokens(p.deposit_shares)?;
    let debt = bank.debt_tokens(p.borrow_scaled)?;
    let scale = 10f64.powi(bank.decimals as i32);
    let price = feed.price as f64 * 10f64.powi(feed.expo);
    let haircut = bank.maint_asset_haircut() as f64 / 1e18;
    let markup = bank.maint_liability_ratio() as f64 / 1e18;
    Ok(Valued {
        symbol: d.symbol(bank),
        deposit,
        debt,
        earned: deposit as i128 - p.deposit_basis as i128,
        accrued: debt.saturating_sub(p.borrow_basis),
        decimals: bank.decimals,
        price,
        weighted_collateral: deposit as f64 / scale * price * (1.0 - haircut),
        weighted_debt: debt as f64 / scale * price * (1.0 + markup),
    })
}

/// Every position of `account` with its bank, valued at its feed's price.
fn valued(d: &Deployment, account: &MarginAccount) -> anyhow::Result<Vec<(Pubkey, Valued)>> {
    account
        .active()
        .map(|p| {
            let bank = d.bank_by_key(&p.bank)?;
            let feed = d
                .feeds
                .iter()
                .find(|(k, _)| *k == bank.feed)
                .map(|(_, f)| f)
                .context("bank feed missing")?;
            Ok((p.bank, value(d, bank, feed, p)?))
        })
        .collect()
}

/// Maintenance-weighted collateral minus debt at spot, USD: the client's
/// estimate of whether liquidation is due (the program decides, on its own
/// conservative prices).
pub fn maintenance_margin(d: &Deployment, account: &MarginAccount) -> anyhow::Result<f64> {
    Ok(valued(d, account)?
        .iter()
        .map(|(_, v)| v.weighted_collateral - v.weighted_debt)
        .sum())
}

/// Positions and maintenance health of `owner`'s account (the wallet's by default).
pub async fn health(
    t: &mut dyn Transport,
    owner: Option<Pubkey>,
    index: u8,
) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let owner = owner.unwrap_or_else(|| t.payer().pubkey());
    let address = pda::margin::account(&owner, index);
    let account = transport::require::<MarginAccount>(t, address)
        .await
        .with_context(|| format!("margin account {index} of {owner}"))?;
    let mut rows = vec![];
    let mut positions = vec![];
    let (mut collateral, mut debt) = (0.0, 0.0);
    for (_, v) in valued(&d, &account)? {
        collateral += v.weighted_collateral;
        debt += v.weighted_debt;
        let earned = if v.earned < 0 {
            format!(
                "-{}",
                format_amount(v.earned.unsigned_abs() as u64, v.decimals)
            )
        } else {
            format_amount(v.earned as u64, v.decimals)
        };
        rows.push(vec![
            v.symbol.clone(),
            format_amount(v.deposit, v.decimals),
            earned,
            format_amount(v.debt, v.decimals),
            format_amount(v.accrued, v.decimals),
            format!("{:.2}", v.price),
            format!("{:.2}", v.weighted_collateral - v.weighted_debt),
        ]);
        positions.push(json!({
            "token": v.symbol, "deposit": v.deposit, "debt": v.debt, "price": v.price,
            "interest_earned": v.earned as i64, "interest_accrued": v.accrued,
        }));
    }
    let margin = collateral - debt;
    let liquidatable = debt > 0.0 && margin < 0.0;
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

/// The liquidation of `account` the wallet would perform: repay its largest
/// debt, take its largest deposit in another token (both by value).
pub fn plan(
    d: &Deployment,
    liquidator: Pubkey,
    address: Pubkey,
    account: &MarginAccount,
) -> anyhow::Result<LiquidationAccounts> {
    // Positions compare by value: raw amounts of different tokens do not.
    let positions = valued(d, account)?;
    let largest = |of: fn(&Valued) -> f64, except: Option<Pubkey>| {
        positions
            .iter()
            .filter(|(bank, v)| of(v) > 0.0 && Some(*bank) != except)
            .max_by(|a, b| of(&a.1).total_cmp(&of(&b.1)))
            .map(|(bank, _)| *bank)
    };
    let debt_bank = largest(|v| v.weighted_debt, None).context("the account has no debt")?;
    let collateral_bank = largest(|v| v.weighted_collateral, Some(debt_bank))
        .context("the account has no collateral to seize")?;
    let liability_mint = d.bank_by_key(&debt_bank)?.mint;
    let collateral = d.bank_by_key(&collateral_bank)?;
    let collateral_mint = collateral.mint;
    Ok(LiquidationAccounts {
        liquidator,
        account: address,
        liability_mint,
        collateral_mint,
        liquidator_liability_token: tokens::ata(&liquidator, &liability_mint),
        liquidator_collateral_token: tokens::ata(&liquidator, &collateral_mint),
        health: d.health(Some(account), &[]),
        proposal: None,
        proposer: None,
        backstop_feed: collateral.feed,
    })
}

/// What a liquidation attempt came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Liquidated {
    Done,
    /// Large: a proposal now awaits the validators' approvals.
    Proposed(Pubkey),
    /// Large: a proposal exists and is not yet approved.
    AwaitingApproval(Pubkey),
}

/// Liquidate (or, when it is large, propose / execute the approved
/// proposal for) `owner`'s account `index`, as the wallet.
pub async fn liquidate_account(
    t: &mut dyn Transport,
    d: &Deployment,
    address: Pubkey,
) -> anyhow::Result<Liquidated> {
    let liquidator = t.payer().pubkey();
    let account = transport::require::<MarginAccount>(t, address).await?;
    let mut l = plan(d, liquidator, address, &account)?;
    let creates = [l.liability_mint, l.collateral_mint]
        .map(|m| tokens::create_ata_idempotent(&liquidator, &liquidator, &m));
    let proposal = l.proposal_address();
    if let Some(p) = transport::fetch::<LiquidationProposal>(t, proposal).await? {
        let config =
            transport::require::<margin::state::MarginConfig>(t, pda::margin::config()).await?;
        if p.approvals.count_ones() < u32::from(config.validators.threshold) {
            return Ok(Liquidated::AwaitingApproval(proposal));
        }
        l.proposal = Some(proposal);
        l.proposer = Some(p.proposer);
    }
    let mut ixs = creates.to_vec();
    ixs.push(margin_ix::liquidate(&l));
    match t.send(&ixs, &[]).await {
        Ok(_) => Ok(Liquidated::Done),
        Err(e)
            if crate::errors::error_name(&e).as_deref()
                == Some("margin::LargeLiquidationNeedsApproval") =>
        {
            let mut ixs = creates.to_vec();
            ixs.push(margin_ix::propose_liquidation(&l));
            t.send(&ixs, &[])
                .await
                .context("propose the large liquidation")?;
            Ok(Liquidated::Proposed(proposal))
        }
        Err(e) => Err(e),
    }
}

pub async fn liquidate(t: &mut dyn Transport, owner: Pubkey, index: u8) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let address = pda::margin::account(&owner, index);
    transport::require::<MarginAccount>(t, address)
        .await
        .with_context(|| format!("margin account {index} of {owner}"))?;
    let outcome = liquidate_account(t, &d, address)
        .await
        .context("margin liquidate")?;
    let (text, state) = match &outcome {
        Liquidated::Done => (format!("liquidated {address}\n"), "done".to_string()),
        Liquidated::Proposed(p) => (
            format!("large liquidation of {address}: proposal {p} awaits validator approvals (`rampart gov approve {p}`)\n"),
            "proposed".into(),
        ),
        Liquidated::AwaitingApproval(p) => (
            format!("large liquidation of {address}: proposal {p} still awaits approvals\n"),
            "awaiting_approval".into(),
        ),
    };
    Ok(Output::new(
        text,
        json!({"account": address.to_string(), "outcome": state}),
    ))
}
