use anchor_lang::prelude::*;

use crate::errors::MarginError;
use crate::events::RiskAgentMovedBase;
use crate::state::{AgentEvidence, Bank, MarginConfig};

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
    leash.allows(m.base, base, bank.agent_last_change_ts, now)?;
    require!(
        (m.min..=m.max).contains(&base),
        MarginError::RiskAgentOutOfBand
    );
    // The bank's hard bounds hold at the new base too (a lower base widens
    // the deposits' maintenance haircut by the adaptive excess over it).
    let mut params = bank.params;
    params.maint.base = base;
    params.validate()?;
    bank.params = params;
    // Lowering the base lowers the effective ratio with it at once, so the
    // excess over the base, and with it the deposits' haircut, does not
    // jump; a raise reaches borrowers through `update_risk`'s rate limit.
    if base < m.base {
        bank.effective_maint_ratio = bank.effective_maint_ratio.saturating_sub(m.base - base);
        bank.clamp_effective_ratio();
    }
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
