use anchor_lang::prelude::*;

use crate::errors::MarginError;
use crate::events::RiskAgentMovedBase;
use crate::state::{Bank, MarginConfig};

#[derive(Accounts)]
pub struct AgentSetMaintBase<'info> {
    #[account(seeds = [MarginConfig::SEED], bump = config.bump)]
    pub config: Box<Account<'info, MarginConfig>>,
    #[account(address = config.governance.risk_agent @ MarginError::Unauthorized)]
    pub risk_agent: Signer<'info>,
    #[account(mut, seeds = [Bank::SEED, bank.mint.as_ref()], bump = bank.bump)]
    pub bank: Account<'info, Bank>,
}

/// The autonomous risk agent, on a leash: it may move a bank's maintenance
/// base without timelock, but only inside its band (and the bank's own
/// [min, max]), by at most one step, and not more often than allowed.
pub fn handle_agent_set_maint_base(ctx: Context<AgentSetMaintBase>, base: u64) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let g = ctx.accounts.config.governance;
    let bank = &mut ctx.accounts.bank;
    let m = bank.params.maint;
    require!(
        (g.agent_base_min..=g.agent_base_max).contains(&base) && (m.min..=m.max).contains(&base),
        MarginError::RiskAgentOutOfBand
    );
    require!(
        base.abs_diff(m.base) <= g.agent_max_step,
        MarginError::RiskAgentOutOfBand
    );
    require!(
        now.saturating_sub(bank.agent_last_change_ts) >= g.agent_min_interval_secs as i64,
        MarginError::RiskAgentTooFast
    );
    bank.params.maint.base = base;
    bank.agent_last_change_ts = now;
    emit!(RiskAgentMovedBase {
        bank: bank.key(),
        agent: ctx.accounts.risk_agent.key(),
        previous: m.base,
        base
    });
    Ok(())
}
