use anchor_lang::prelude::*;

use crate::events::RiskAgentMovedCaps;
use crate::instructions::AgentMoveBank;
use crate::state::{AgentEvidence, Scale};

/// The risk agent tightens (or eases back) a bank's deposit and borrow
/// caps below governance's: each inside its leash's band of governance's
/// cap (never above it), by at most a step of it, not more often than the
/// leash's interval. A cap below what the bank already holds stops new
/// deposits or loans only: nothing existing is unwound, repaying and
/// withdrawing stay open.
pub fn handle_agent_set_caps(
    ctx: Context<AgentMoveBank>,
    deposit_cap: u64,
    borrow_cap: u64,
    evidence: AgentEvidence,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let leash = ctx.accounts.config.agent_leashes.caps;
    let bank = &mut ctx.accounts.bank;
    let (deposit_before, borrow_before) = (bank.deposit_cap(), bank.borrow_cap());
    let moved_at = bank.agent_caps_moved_at;
    leash.allows(
        deposit_before,
        deposit_cap,
        Scale::ShareOf(bank.params.deposit_cap),
        moved_at,
        now,
    )?;
    leash.allows(
        borrow_before,
        borrow_cap,
        Scale::ShareOf(bank.params.borrow_cap),
        moved_at,
        now,
    )?;
    bank.agent_deposit_cap = deposit_cap;
    bank.agent_borrow_cap = borrow_cap;
    bank.agent_caps_moved_at = now;
    emit!(RiskAgentMovedCaps {
        bank: bank.key(),
        agent: ctx.accounts.risk_agent.key(),
        deposit_cap_before: deposit_before,
        deposit_cap,
        borrow_cap_before: borrow_before,
        borrow_cap,
        evidence,
    });
    Ok(())
}
