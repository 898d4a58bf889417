use anchor_lang::prelude::*;

use crate::errors::MarginError;
use crate::events::RiskAgentMovedFeeRamp;
use crate::state::{AgentEvidence, MarginConfig};

#[derive(Accounts)]
pub struct AgentSetFeeRamp<'info> {
    #[account(mut, seeds = [MarginConfig::SEED], bump = config.bump)]
    pub config: Box<Account<'info, MarginConfig>>,
    #[account(address = config.governance.risk_agent @ MarginError::Unauthorized)]
    pub risk_agent: Signer<'info>,
}

/// The risk agent moves how fast the liquidation fee rises per slot an
/// account stays liquidatable (a steeper ramp draws liquidators sooner):
/// inside its leash, never past governance's fee cap, which it cannot
/// touch, so what a liquidated account can lose stays governance's. The
/// ramp counts from when an account became liquidatable, so a steeper one
/// applies to the slots already counted too: accepted, as the fee cap
/// bounds it and a steeper ramp exists to pay for liquidations now.
pub fn handle_agent_set_fee_ramp(
    ctx: Context<AgentSetFeeRamp>,
    fee_per_slot: u64,
    evidence: AgentEvidence,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let config = &mut ctx.accounts.config;
    let before = config.liquidation.fee_per_slot;
    config.agent_leashes.fee_per_slot.allows(
        before,
        fee_per_slot,
        config.agent_fee_moved_at,
        now,
    )?;
    config.liquidation.fee_per_slot = fee_per_slot;
    config.agent_fee_moved_at = now;
    emit!(RiskAgentMovedFeeRamp {
        agent: ctx.accounts.risk_agent.key(),
        fee_per_slot_before: before,
        fee_per_slot,
        evidence,
    });
    Ok(())
}
