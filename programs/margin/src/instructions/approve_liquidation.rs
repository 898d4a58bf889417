use anchor_lang::prelude::*;

use crate::errors::MarginError;
use crate::events::LiquidationApproved;
use crate::state::{LiquidationProposal, MarginConfig};

#[derive(Accounts)]
pub struct ApproveLiquidation<'info> {
    #[account(seeds = [MarginConfig::SEED], bump = config.bump)]
    pub config: Box<Account<'info, MarginConfig>>,
    pub validator: Signer<'info>,
    #[account(mut)]
    pub proposal: Box<Account<'info, LiquidationProposal>>,
}

/// A registered liquidation validator approves a proposal, once, before it expires.
pub fn handle_approve_liquidation(ctx: Context<ApproveLiquidation>) -> Result<()> {
    let slot = Clock::get()?.slot;
    let validators = &ctx.accounts.config.validators;
    let index = validators
        .index_of(&ctx.accounts.validator.key())
        .ok_or(MarginError::NotAValidator)?;
    let proposal = &mut ctx.accounts.proposal;
    require!(slot <= proposal.expiry_slot, MarginError::ProposalExpired);
    let bit = 1u8 << index;
    require!(
        proposal.approvals & bit == 0,
        MarginError::DuplicateApproval
    );
    proposal.approvals |= bit;
    emit!(LiquidationApproved {
        proposal: proposal.key(),
        validator: ctx.accounts.validator.key(),
        approvals: proposal.approval_count() as u8,
        threshold: validators.threshold,
    });
    Ok(())
}
