use anchor_lang::prelude::*;

use crate::errors::MarginError;
use crate::events::RiskAgentMovedBase;
use crate::state::{AgentEvidence, Bank, MarginConfig, Scale};

/// The risk agent and the bank whose parameter it moves.
#[derive(Accounts)]
pub struct AgentMoveBank<'info> {
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
pub fn handle_agent_set_maint_base(
    ctx: Context<AgentMoveBank>,
    base: u64,
    evidence: AgentEvidence,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let leash = ctx.accounts.config.governance.agent_base;
    let bank = &mut ctx.accounts.bank;
    let m = bank.params.maint;
    leash.allows(
        m.base,
        base,
        Scale::Absolute,
        bank.agent_last_change_ts,
        now,
    )?;
    require!(
        (m.min..=m.max).contains(&base),
        MarginError::RiskAgentOutOfBand
    );
    bank.params.maint.base = base;
    bank.agent_last_change_ts = now;
    emit!(RiskAgentMovedBase {
        bank: bank.key(),
        agent: ctx.accounts.risk_agent.key(),
        previous: m.base,
        base,
        evidence,
    });
    Ok(())
}
