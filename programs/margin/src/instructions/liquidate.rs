use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};
use risk_math::margin::{
    liquidation_fee, liquidation_size, split_fee, token_value, tokens_for_value, LiquidationPair,
};
use risk_math::Rounding;

use crate::errors::MarginError;
use crate::events::Liquidated;
use crate::health::{account_health, Requirement};
use crate::state::{Bank, MarginAccount, MarginConfig};

#[derive(Accounts)]
pub struct Liquidate<'info> {
    #[account(seeds = [MarginConfig::SEED], bump = config.bump)]
    pub config: Box<Account<'info, MarginConfig>>,
    pub liquidator: Signer<'info>,
    #[account(mut)]
    pub account: Box<Account<'info, MarginAccount>>,
    #[account(
        mut,
        seeds = [Bank::SEED, liability_bank.mint.as_ref()],
        bump = liability_bank.bump,
        constraint = liability_bank.key() != collateral_bank.key() @ MarginError::NothingToLiquidate,
    )]
    pub liability_bank: Box<Account<'info, Bank>>,
    #[account(mut, address = liability_bank.vault)]
    pub liability_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, seeds = [Bank::SEED, collateral_bank.mint.as_ref()], bump = collateral_bank.bump)]
    pub collateral_bank: Box<Account<'info, Bank>>,
    #[account(mut, address = collateral_bank.vault)]
    pub collateral_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, address = collateral_bank.insurance_vault)]
    pub insurance_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, constraint = liquidator_liability_token.mint == liability_bank.mint @ MarginError::WrongMint)]
    pub liquidator_liability_token: Box<Account<'info, TokenAccount>>,
    #[account(mut, constraint = liquidator_collateral_token.mint == collateral_bank.mint @ MarginError::WrongMint)]
    pub liquidator_collateral_token: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
    // remaining_accounts: [bank, feed] for every active position of `account`.
}

/// Permissionless partial liquidation of an account below its maintenance
/// requirement: the liquidator repays just enough debt to bring the
/// maintenance margin up to the configured buffer (all of it for small
/// accounts) and receives collateral worth the repayment plus a fee that
/// rises with the slots the account has been liquidatable; the insurance
/// fund takes its share of the fee. Refused on halted feeds (the reader
/// fails), and unless health improves.
pub fn handle_liquidate<'info>(
    mut ctx: Context<'_, '_, 'info, 'info, Liquidate<'info>>,
) -> Result<()> {
    let clock = Clock::get()?;
    let remaining = ctx.remaining_accounts;
    let a = &mut ctx.accounts;
    let before = account_health(&a.account, remaining, &clock, Requirement::Maintenance)?;
    require!(!before.health.is_healthy(), MarginError::AccountHealthy);

    let (liability_key, collateral_key) = (a.liability_bank.key(), a.collateral_bank.key());
    let debt = a
        .account
        .existing_mut(&liability_key)
        .map_or(0, |p| p.borrows);
    let collateral = a
        .account
        .existing_mut(&collateral_key)
        .map_or(0, |p| p.deposits);
    require!(debt > 0 && collateral > 0, MarginError::NothingToLiquidate);
    let lp = *before
        .priced(&liability_key)
        .ok_or(MarginError::HealthAccountsMismatch)?;
    let cp = *before
        .priced(&collateral_key)
        .ok_or(MarginError::HealthAccountsMismatch)?;

    if a.account.liquidatable_since_slot == 0 {
        a.account.liquidatable_since_slot = clock.slot;
    }
    let slots_liquidatable = clock.slot.saturating_sub(a.account.liquidatable_since_slot);
    let params = a.config.liquidation;
    let fee = liquidation_fee(
        params.fee_base as u128,
        params.fee_per_slot as u128,
        params.fee_cap as u128,
        slots_liquidatable,
    );
    let pair = LiquidationPair {
        margin: before.health.margin(),
        liability_amount: debt,
        liability_decimals: lp.decimals,
        liability_price: lp.spot,
        liability_ratio: a.liability_bank.maint_liability_ratio(),
        collateral_amount: collateral,
        collateral_decimals: cp.decimals,
        collateral_price: cp.spot,
        collateral_haircut: a.collateral_bank.maint_asset_haircut(),
        fee,
    };
    let size = liquidation_size(&pair, params.buffer, params.min_remaining_value)
        .map_err(MarginError::from)?
        .ok_or(MarginError::LiquidationWouldNotImprove)?;

    // The fee is what is seized beyond the repaid value, in collateral tokens.
    let repaid_value =
        token_value(size.repay, lp.decimals, lp.spot, Rounding::Down).map_err(MarginError::from)?;
    let at_par = tokens_for_value(repaid_value, cp.decimals, cp.spot, Rounding::Up)
        .map_err(MarginError::from)?
        .min(size.seize);
    let fee_tokens = size.seize - at_par;
    let (_, to_insurance) =
        split_fee(fee_tokens, params.insurance_share as u128).map_err(MarginError::from)?;
    let to_liquidator = size.seize - to_insurance;

    if let Some(p) = a.account.existing_mut(&liability_key) {
        p.borrows -= size.repay;
    }
    if let Some(p) = a.account.existing_mut(&collateral_key) {
        p.deposits -= size.seize;
    }
    a.liability_bank.total_borrows = a.liability_bank.total_borrows.saturating_sub(size.repay);
    a.collateral_bank.total_deposits = a.collateral_bank.total_deposits.saturating_sub(size.seize);

    let program = a.token_program.to_account_info();
    let repay = Transfer {
        from: a.liquidator_liability_token.to_account_info(),
        to: a.liability_vault.to_account_info(),
        authority: a.liquidator.to_account_info(),
    };
    token::transfer(CpiContext::new(program.clone(), repay), size.repay)?;
    let mint = a.collateral_bank.mint;
    let seeds: &[&[u8]] = &[Bank::SEED, mint.as_ref(), &[a.collateral_bank.bump]];
    let signer = &[seeds];
    for (to, amount) in [
        (
            a.liquidator_collateral_token.to_account_info(),
            to_liquidator,
        ),
        (a.insurance_vault.to_account_info(), to_insurance),
    ] {
        if amount > 0 {
            let pay = Transfer {
                from: a.collateral_vault.to_account_info(),
                to,
                authority: a.collateral_bank.to_account_info(),
            };
            token::transfer(
                CpiContext::new_with_signer(program.clone(), pay, signer),
                amount,
            )?;
        }
    }

    let after = account_health(&a.account, remaining, &clock, Requirement::Maintenance)?.health;
    require!(
        after.margin() > before.health.margin(),
        MarginError::LiquidationWouldNotImprove
    );
    if after.is_healthy() {
        a.account.liquidatable_since_slot = 0;
    }
    emit!(Liquidated {
        account: a.account.key(),
        liquidator: a.liquidator.key(),
        liability_bank: liability_key,
        collateral_bank: collateral_key,
        repaid: size.repay,
        seized: size.seize,
        to_liquidator,
        to_insurance,
        fee: u64::try_from(fee).map_err(|_| MarginError::MathOverflow)?,
        slots_liquidatable,
        maint_margin_before: before.health.margin(),
        maint_margin_after: after.margin(),
        maint_ratio: a.liability_bank.effective_maint_ratio,
    });
    Ok(())
}
