use anchor_lang::prelude::*;

use super::governance::*;
use crate::events::{BankParamsApplied, BankParamsQueued};
use crate::state::{Bank, BankParams};

#[derive(Accounts)]
pub struct GovernBank<'info> {
    pub gov: MarginGovernance<'info>,
    #[account(mut, seeds = [Bank::SEED, bank.mint.as_ref()], bump = bank.bump)]
    pub bank: Account<'info, Bank>,
}

/// Queue new bank parameters (checked against the hard bounds now and
/// again when applied); they apply after the configured timelock.
#[access_control(params.validate())]
#[access_control(params.validate_liquidable(&ctx.accounts.gov.config.liquidation))]
pub fn handle_queue_bank_params(ctx: Context<GovernBank>, params: BankParams) -> Result<()> {
    let eta =
        Clock::get()?.unix_timestamp + ctx.accounts.gov.config.governance.timelock_secs as i64;
    let bank = &mut ctx.accounts.bank;
    bank.pending_params = params;
    bank.pending_eta = eta;
    emit!(BankParamsQueued {
        bank: bank.key(),
        eta
    });
    Ok(())
}

/// Governance withdraws a queued change.
pub fn handle_cancel_bank_params(ctx: Context<GovernBank>) -> Result<()> {
    let bank = &mut ctx.accounts.bank;
    bank.pending_eta = 0;
    emit!(BankParamsApplied {
        bank: bank.key(),
        cancelled: true
    });
    Ok(())
}
