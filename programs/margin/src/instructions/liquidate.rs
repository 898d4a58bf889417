use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};
use risk_math::margin::{split_fee, tokens_for_value};
use risk_math::Rounding;

use super::debt_for_collateral::*;
use crate::errors::MarginError;
use crate::events::Liquidated;
use crate::liquidation::{mark_liquidatable, plan};
use crate::state::{LiquidationProposal, MarginAccount, MarginConfig, MarginStatus};

#[derive(Accounts)]
pub struct Liquidate<'info> {
    #[account(seeds = [MarginConfig::SEED], bump = config.bump)]
    pub config: Box<Account<'info, MarginConfig>>,
    #[account(mut)]
    pub liquidator: Signer<'info>,
    #[account(mut)]
    pub account: Box<Account<'info, MarginAccount>>,
    /// The liquidator repays debt and receives collateral through these.
    pub pair: DebtForCollateral<'info>,
    #[account(mut, address = pair.banks.collateral_bank.insurance_vault)]
    pub insurance_vault: Box<Account<'info, TokenAccount>>,
    /// Required for large liquidations: approved by M of N validators.
    #[account(mut)]
    pub proposal: Option<Box<Account<'info, LiquidationProposal>>>,
    /// CHECK: with a proposal, its proposer (checked against it), who gets
    /// the proposal's rent back when it is closed.
    #[account(mut)]
    pub proposer: Option<UncheckedAccount<'info>>,
    pub token_program: Program<'info, Token>,
    // remaining_accounts: [bank, feed] for every active position of `account`.
}

/// Permissionless partial liquidation of an account below its maintenance
/// requirement: the liquidator repays just enough debt to bring the
/// maintenance margin up to the configured buffer (all of it for small
/// accounts) and receives collateral worth the repayment plus a fee that
/// rises with the slots the account has been liquidatable; the insurance
/// fund takes its share of the fee. A large liquidation needs a proposal
/// approved by M of N validators, is capped at the approved amount, must
/// still be justified by current prices, and spends that much of the
/// approval (the proposal closes, its rent back to the proposer, once it is
/// spent or the account is healthy). Refused on halted feeds, unless health
/// improves, and to the account's own owner.
pub fn handle_liquidate<'info>(ctx: Context<'_, '_, 'info, 'info, Liquidate<'info>>) -> Result<()> {
    let clock = Clock::get()?;
    let remaining = ctx.remaining_accounts;
    let a = ctx.accounts;
    // Under Shutdown every position settles at the fixed TWAPs instead.
    require!(
        a.config.effective_status(clock.unix_timestamp) != MarginStatus::Shutdown,
        MarginError::ProtocolStatusForbids
    );
    // The fee is the price of the risk an outside liquidator takes on; an
    // owner taking it from their own account would shed the penalty.
    require_keys_neq!(
        a.liquidator.key(),
        a.account.owner,
        MarginError::SelfLiquidation
    );
    a.pair.banks.accrue(clock.unix_timestamp)?;
    let (liability_key, collateral_key) = a.pair.banks.keys();
    let p = plan(
        &a.config,
        &a.account,
        &a.pair.banks.liability_bank,
        &a.pair.banks.collateral_bank,
        remaining,
        &clock,
    )?;
    mark_liquidatable(&mut a.account, &clock);
    let size = p.approved_size(
        &a.config,
        a.proposal.as_deref().map(|b| &**b),
        (a.account.key(), liability_key, collateral_key),
        &clock,
    )?;

    // The fee is what is seized beyond the repaid value, in collateral tokens.
    let (lp, cp) = (p.pair.liability_price, p.pair.collateral_price);
    let repaid_value =
        risk_math::margin::token_value(size.repay, p.pair.liability_decimals, lp, Rounding::Down)
            .map_err(MarginError::from)?;
    let at_par = tokens_for_value(repaid_value, p.pair.collateral_decimals, cp, Rounding::Up)
        .map_err(MarginError::from)?
        .min(size.seize);
    let (_, to_insurance) = split_fee(
        size.seize - at_par,
        a.config.liquidation.insurance_share as u128,
    )
    .map_err(MarginError::from)?;
    let to_liquidator = size.seize - to_insurance;

    a.pair.banks.book(&mut a.account, size.repay, size.seize)?;
    a.pair
        .transfer(&a.liquidator, &a.token_program, size.repay, to_liquidator)?;
    a.pair.banks.pay_collateral(
        &a.token_program,
        a.insurance_vault.to_account_info(),
        to_insurance,
    )?;

    let after = p.conclude(
        &mut a.account,
        (&a.pair.banks.liability_bank, &a.pair.banks.collateral_bank),
        size.repay,
        a.proposal.as_deref_mut(),
        a.proposer.as_ref().map(|p| p.to_account_info()),
        remaining,
        &clock,
    )?;
    emit!(Liquidated {
        account: a.account.key(),
        liquidator: a.liquidator.key(),
        liability_bank: liability_key,
        collateral_bank: collateral_key,
        repaid: size.repay,
        seized: size.seize,
        to_liquidator,
        to_insurance,
        fee: u64::try_from(p.pair.fee).map_err(|_| MarginError::MathOverflow)?,
        slots_liquidatable: p.slots_liquidatable,
        maint_margin_before: p.before.health.margin(),
        maint_margin_after: after.margin(),
        maint_ratio: a.pair.banks.liability_bank.effective_maint_ratio,
    });
    Ok(())
}
