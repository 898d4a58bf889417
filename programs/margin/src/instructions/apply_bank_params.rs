use anchor_lang::prelude::*;

use super::accrue::accrue_bank;
use crate::errors::MarginError;
use crate::events::BankParamsApplied;
use crate::state::Bank;

#[derive(Accounts)]
pub struct ApplyBankParams<'info> {
    #[account(mut, seeds = [Bank::SEED, bank.mint.as_ref()], bump = bank.bump)]
    pub bank: Account<'info, Bank>,
}

/// Permissionless: apply queued parameters once the timelock has elapsed.
pub fn handle_apply_bank_params(ctx: Context<ApplyBankParams>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let bank = &mut ctx.accounts.bank;
    require!(
        bank.pending_eta != 0 && now >= bank.pending_eta,
        MarginError::TimelockNotElapsed
    );
    bank.pending_params.validate()?;
    // Interest up to now at the old curve: a new rate applies from now on,
    // never to time already passed.
    accrue_bank(bank, now)?;
    bank.params = bank.pending_params;
    bank.pending_eta = 0;
    bank.clamp_effective_ratio();
    // Governance's new caps take effect whole: what the agent held back of
    // the old ones (a stolen key's, say) goes; it may cut again, on its leash.
    bank.agent_deposit_cut = 0;
    bank.agent_borrow_cut = 0;
    emit!(BankParamsApplied {
        bank: bank.key(),
        cancelled: false
    });
    Ok(())
}
