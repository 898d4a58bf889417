//! The liquidator: which of an account's debts to repay and which deposit
//! to take (the largest of each by the program's own valuation), and the
//! liquidation itself, or for a large one its M-of-N proposal.

use anchor_lang::prelude::Pubkey;
use anyhow::Context;
use margin::state::{LiquidationProposal, MarginAccount};
use rampart_client::failure::error_name;
use rampart_client::transport::{self, Transport};
use rampart_client::Deployment;
use rampart_sdk::health::{self, PositionValue, Requirement};
use rampart_sdk::margin_ix::{self, LiquidationAccounts};
use rampart_sdk::{pda, tokens};
use solana_sdk::signature::Signer;

/// Whether `account` is below its maintenance requirement now, as the
/// program would find it (an account it cannot value, e.g. on a stale
/// feed, is not a candidate: the program would refuse too).
pub fn is_candidate(d: &Deployment, account: &MarginAccount) -> bool {
    account.has_debt()
        && d.value(account, Requirement::Maintenance)
            .is_ok_and(|h| !h.health.is_healthy())
}

/// The liquidation of `account` the wallet would perform: repay its largest
/// debt, take its largest deposit in another token (both by value).
pub fn plan(
    d: &Deployment,
    liquidator: Pubkey,
    address: Pubkey,
    account: &MarginAccount,
) -> anyhow::Result<LiquidationAccounts> {
    // Positions compare by value (raw amounts of different tokens do
    // not), valued as the program values them.
    let positions = health::positions(account, d, &d.clock, Requirement::Maintenance)?;
    let largest = |of: fn(&PositionValue) -> u128, except: Option<Pubkey>| {
        positions
            .iter()
            .filter(|v| of(v) > 0 && Some(v.bank) != except)
            .max_by_key(|v| of(v))
            .map(|v| v.bank)
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

/// What one liquidation transaction that landed did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill {
    /// The backstop pool the collateral was sold into; None: the
    /// liquidator (this wallet) paid the debt and took the collateral.
    pub pool: Option<Pubkey>,
    pub liability_mint: Pubkey,
    pub collateral_mint: Pubkey,
    /// Debt repaid (liability token units) and collateral taken
    /// (collateral token units), from the transaction's event; None when
    /// the logs could not be read back (it landed all the same).
    pub amounts: Option<(u64, u64)>,
}

/// What a liquidation attempt came to.
#[derive(Debug)]
pub enum Liquidated {
    /// One fill, or two: the backstop's, then the wallet's for the rest.
    Done(Vec<Fill>),
    /// The backstop took part, and the wallet could not liquidate the rest
    /// (`rest` says why: unfunded, a network error, ...).
    Partial {
        fills: Vec<Fill>,
        rest: anyhow::Error,
    },
    /// Large: a proposal now awaits the validators' approvals.
    Proposed(Pubkey),
    /// Large: a proposal exists and is not yet approved.
    AwaitingApproval(Pubkey),
}

/// Liquidate (or, when it is large, propose / execute the approved
/// proposal for) `owner`'s account `index`, as the wallet. Where a backstop
/// pool buys the collateral for the debt's token, sell into it first (the
/// account gets the pool's price, never worse than the open fee, and the
/// wallet needs no funds); what the pool did not take, the wallet
/// liquidates in the same call, so a band kept thin on purpose cannot hold
/// an account to dust-sized liquidations.
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
    let mut fills = vec![];
    if let Some(pool) = d.pool_buying(&l.collateral_mint, &l.liability_mint) {
        l.backstop_feed = pool.feed;
        match t.send(&[margin_ix::liquidate_with_backstop(&l)], &[]).await {
            Ok(ok) => fills.push(fill(&l, &ok.logs, true)),
            // Refused (no band within the fee, a consumer limit, a stale
            // pool price): the open liquidation below still works, and
            // reports its own refusal if it has one.
            Err(e) if is_refusal(&e) => tracing::debug!(
                account = %address,
                reason = %rampart_client::failure::describe(&e),
                "the backstop did not take it; liquidating from the wallet"
            ),
            // Not refused, so it may still land: no second transaction.
            Err(e) => return Err(e),
        }
    }
    // What the bands did not take, the wallet liquidates, under what is
    // left of the approval (the program spends it fill by fill and closes
    // it once it is spent or the account is healthy).
    if !fills.is_empty() && l.proposal.is_some() && t.account(proposal).await?.is_none() {
        (l.proposal, l.proposer) = (None, None);
    }
    let mut ixs = creates.to_vec();
    ixs.push(margin_ix::liquidate(&l));
    let rest = t.send(&ixs, &[]).await;
    if !fills.is_empty() {
        return Ok(match rest {
            Ok(ok) => {
                fills.push(fill(&l, &ok.logs, false));
                Liquidated::Done(fills)
            }
            // Nothing more the wallet may do now: the bands restored the
            // account, or the rest is large and waits for a proposal.
            Err(e)
                if matches!(
                    error_name(&e).as_deref(),
                    Some(
                        "margin::AccountHealthy"
                            | "margin::NothingToLiquidate"
                            | "margin::LargeLiquidationNeedsApproval"
                    )
                ) =>
            {
                Liquidated::Done(fills)
            }
            Err(rest) => Liquidated::Partial { fills, rest },
        });
    }
    match rest {
        Ok(ok) => {
            fills.push(fill(&l, &ok.logs, false));
            Ok(Liquidated::Done(fills))
        }
        Err(e) if error_name(&e).as_deref() == Some("margin::LargeLiquidationNeedsApproval") => {
            let mut ixs = creates.to_vec();
            ixs.push(margin_ix::propose_liquidation(&l));
            match t.send(&ixs, &[]).await {
                Ok(_) => Ok(Liquidated::Proposed(proposal)),
                // Another validator's keeper proposed it in the meantime.
                Err(_) if t.account(proposal).await?.is_some() => {
                    Ok(Liquidated::AwaitingApproval(proposal))
                }
                Err(e) => Err(e.context("propose the large liquidation")),
            }
        }
        Err(e) => Err(e),
    }
}

/// Whether the chain refused the transaction (it did not land and will
/// not), as opposed to a transport error after which it still may.
fn is_refusal(e: &anyhow::Error) -> bool {
    e.downcast_ref::<rampart_client::transport::TxFailure>()
        .is_some()
}

/// The fill a landed liquidation's event reports.
fn fill(l: &LiquidationAccounts, logs: &[String], to_backstop: bool) -> Fill {
    let amounts = if to_backstop {
        rampart_sdk::events::decode::<margin::events::LiquidatedToBackstop>(logs)
            .into_iter()
            .next()
            .map(|e| (e.repaid, e.collateral_sold))
    } else {
        rampart_sdk::events::decode::<margin::events::Liquidated>(logs)
            .into_iter()
            .next()
            .map(|e| (e.repaid, e.seized))
    };
    Fill {
        pool: to_backstop.then(|| pda::backstop::pool(&l.collateral_mint, &l.liability_mint)),
        liability_mint: l.liability_mint,
        collateral_mint: l.collateral_mint,
        amounts,
    }
}
