use anchor_lang::prelude::*;

use crate::errors::MarginError;
use crate::events::LiquidationProposed;
use crate::liquidation::plan;
use crate::state::{Bank, LiquidationProposal, MarginAccount, MarginConfig};

#[derive(Accounts)]
pub struct ProposeLiquidation<'info> {
    #[account(seeds = [MarginConfig::SEED], bump = config.bump)]
    pub config: Box<Account<'info, MarginConfig>>,
    #[account(mut)]
    pub proposer: Signer<'info>,
    #[account(mut)]
    pub account: Box<Account<'info, MarginAccount>>,
    #[account(
        seeds = [Bank::SEED, liability_bank.mint.as_ref()],
        bump = liability_bank.bump,
        constraint = liability_bank.key() != collateral_bank.key() @ MarginError::NothingToLiquidate,
    )]
    pub liability_bank: Box<Account<'info, Bank>>,
    #[account(seeds = [Bank::SEED, collateral_bank.mint.as_ref()], bump = collateral_bank.bump)]
    pub collateral_bank: Box<Account<'info, Bank>>,
    #[account(
        init,
        payer = proposer,
        space = LiquidationProposal::SPACE,
        seeds = [
            LiquidationProposal::SEED,
            account.key().as_ref(),
            liability_bank.key().as_ref(),
            collateral_bank.key().as_ref(),
        ],
        bump,
    )]
    pub proposal: Box<Account<'info, LiquidationProposal>>,
    pub system_program: Program<'info, System>,
    // remaining_accounts: [bank, feed] for every active position of `account`.
}

/// Propose a large liquidation for M-of-N approval, with the evidence
/// (prices, margin, size) validators approve. Permissionless.
pub fn handle_propose_liquidation<'info>(
    mut ctx: Context<'_, '_, 'info, 'info, ProposeLiquidation<'info>>,
) -> Result<()> {
    let clock = Clock::get()?;
    let a = &mut ctx.accounts;
    let (liability_key, collateral_key) = (a.liability_bank.key(), a.collateral_bank.key());
    let p = plan(
        &a.config,
        &a.account,
        &a.liability_bank,
        &a.collateral_bank,
        ctx.remaining_accounts,
        &clock,
    )?;
    require!(p.is_large(&a.config), MarginError::LiquidationNotLarge);
    let proposal = &mut a.proposal;
    proposal.account = a.account.key();
    proposal.liability_bank = liability_key;
    proposal.collateral_bank = collateral_key;
    proposal.proposer = a.proposer.key();
    proposal.max_repay = p.size.repay;
    proposal.liability_price = p.pair.liability_price;
    proposal.collateral_price = p.pair.collateral_price;
    proposal.maint_margin = p.pair.margin;
    proposal.created_slot = clock.slot;
    proposal.expiry_slot = clock
        .slot
        .saturating_add(a.config.validators.proposal_ttl_slots);
    proposal.bump = ctx.bumps.proposal;
    emit!(LiquidationProposed {
        proposal: proposal.key(),
        account: proposal.account,
        max_repay: proposal.max_repay,
        repay_value: p.repay_value,
        maint_margin: proposal.maint_margin,
        expiry_slot: proposal.expiry_slot,
    });
    Ok(())
}
