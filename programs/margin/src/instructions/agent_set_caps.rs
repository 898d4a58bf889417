use anchor_lang::prelude::*;

use crate::events::RiskAgentMovedCaps;
use crate::instructions::AgentMoveBank;
use crate::state::AgentEvidence;

/// The risk agent holds back a share of a bank's deposit and borrow caps
/// (WAD shares of governance's caps, which it can only tighten): each
/// inside its leash's band, by at most a step, not more often than the
/// leash's interval. A cap below what the bank already holds stops new
/// deposits or loans only: nothing existing is unwound, repaying and
/// withdrawing stay open.
pub fn handle_agent_set_caps(
    ctx: Context<AgentMoveBank>,
    deposit_cut: u64,
    borrow_cut: u64,
    evidence: AgentEvidence,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let leash = ctx.accounts.config.agent_leashes.caps;
    let bank = &mut ctx.accounts.bank;
    let (deposit_before, borrow_before) = (bank.agent_deposit_cut, bank.agent_borrow_cut);
    let moved_at = bank.agent_caps_moved_at;
    leash.allows(deposit_before, deposit_cut, moved_at, now)?;
    leash.allows(borrow_before, borrow_cut, moved_at, now)?;
    bank.agent_deposit_cut = deposit_cut;
    bank.agent_borrow_cut = borrow_cut;
    bank.agent_caps_moved_at = now;
    emit!(RiskAgentMovedCaps {
        bank: bank.key(),
        agent: ctx.accounts.risk_agent.key(),
        deposit_cut_before: deposit_before,
        deposit_cut,
        borrow_cut_before: borrow_before,
        borrow_cut,
        deposit_cap: bank.deposit_cap(),
        borrow_cap: bank.borrow_cap(),
        evidence,
    });
    Ok(())
}
