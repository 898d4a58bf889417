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
