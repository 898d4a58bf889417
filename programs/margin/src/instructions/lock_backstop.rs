use anchor_lang::prelude::*;
use backstop::program::Backstop;
use backstop::state::Pool;

use super::liquidate_with_backstop::BACKSTOP_AUTHORITY_SEED;
use crate::errors::MarginError;
use crate::state::{Bank, LiquidationProposal, MarginConfig};

#[derive(Accounts)]
pub struct LockBackstop<'info> {
    #[account(seeds = [MarginConfig::SEED], bump = config.bump)]
    pub config: Box<Account<'info, MarginConfig>>,
    pub proposal: Box<Account<'info, LiquidationProposal>>,
    #[account(address = proposal.liability_bank)]
    pub liability_bank: Box<Account<'info, Bank>>,
    #[account(address = proposal.collateral_bank)]
    pub collateral_bank: Box<Account<'info, Bank>>,
    /// The pool that will absorb this proposal's collateral.
    #[account(
        mut,
        constraint = pool.collateral_mint == collateral_bank.mint @ MarginError::WrongMint,
        constraint = pool.quote_mint == liability_bank.mint @ MarginError::WrongMint,
    )]
    pub pool: Box<Account<'info, Pool>>,
    /// CHECK: the backstop requires this program's consumer record of the pool.
    pub consumer: UncheckedAccount<'info>,
    /// CHECK: this program's PDA, the consumer authority; signs the lock.
    #[account(seeds = [BACKSTOP_AUTHORITY_SEED], bump)]
    pub backstop_authority: UncheckedAccount<'info>,
    pub backstop_program: Program<'info, Backstop>,
}

/// Permissionless, once a large liquidation has its M of N approvals:
/// lock withdrawals from the backstop pool that will absorb it until the
/// proposal expires (the pool bounds the lock), so LPs who watched the
/// approvals come in cannot leave the absorption to the others.
pub fn handle_lock_backstop(ctx: Context<LockBackstop>) -> Result<()> {
    let a = &ctx.accounts;
    let proposal = &a.proposal;
    require!(
        proposal.approval_count() >= a.config.validators.threshold as u32,
        MarginError::NotEnoughApprovals
    );
    require!(
        Clock::get()?.slot <= proposal.expiry_slot,
        MarginError::ProposalExpired
    );
    let seeds: &[&[u8]] = &[BACKSTOP_AUTHORITY_SEED, &[ctx.bumps.backstop_authority]];
    let accounts = backstop::cpi::accounts::LockWithdrawals {
        pool: a.pool.to_account_info(),
        consumer: a.consumer.to_account_info(),
        authority: a.backstop_authority.to_account_info(),
    };
    backstop::cpi::lock_withdrawals(
        CpiContext::new_with_signer(a.backstop_program.to_account_info(), accounts, &[seeds]),
        proposal.expiry_slot,
    )
}
