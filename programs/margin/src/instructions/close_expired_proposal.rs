use anchor_lang::prelude::*;

use crate::errors::MarginError;
use crate::events::ProposalClosed;
use crate::state::LiquidationProposal;

#[derive(Accounts)]
pub struct CloseExpiredProposal<'info> {
    #[account(mut)]
    pub proposal: Box<Account<'info, LiquidationProposal>>,
    /// CHECK: only receives the proposal's rent back.
    #[account(mut, address = proposal.proposer)]
    pub proposer: UncheckedAccount<'info>,
}

/// Permissionless: close a proposal that expired without being executed,
/// rent back to its proposer. Its address is per (account, bank pair), so
/// until it is gone no new proposal for that liquidation can be made.
pub fn handle_close_expired_proposal(ctx: Context<CloseExpiredProposal>) -> Result<()> {
    let proposal = &ctx.accounts.proposal;
    require!(
        Clock::get()?.slot > proposal.expiry_slot,
        MarginError::ProposalNotExpired
    );
    emit!(ProposalClosed {
        proposal: proposal.key(),
        account: proposal.account,
        approvals: proposal.approval_count() as u8,
    });
    proposal.close(ctx.accounts.proposer.to_account_info())
}
