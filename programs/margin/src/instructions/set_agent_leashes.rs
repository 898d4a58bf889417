use anchor_lang::prelude::*;

use crate::events::AgentLeashesSet;
use crate::instructions::GovernConfig;
use crate::state::{AgentLeashes, GovernanceParams, Leash};

/// Governance names the risk agent (rotating a lost or stolen key) and
/// sets every leash at once: the maintenance base's (in
/// `GovernanceParams` since `init_margin`), the caps' and the fee ramp's.
/// A leash with a zero step is closed. The fee ramp moves into its new
/// band, so a band of one value puts it there; what the agent held back of
/// a bank's caps goes when governance next applies that bank's parameters.
#[access_control(GovernanceParams::validate_base_leash(&base))]
#[access_control(leashes.validate())]
pub fn handle_set_agent_leashes(
    ctx: Context<GovernConfig>,
    risk_agent: Pubkey,
    base: Leash,
    leashes: AgentLeashes,
) -> Result<()> {
    let config = &mut ctx.accounts.config;
    config.governance.risk_agent = risk_agent;
    config.governance.agent_base = base;
    config.agent_leashes = leashes;
    let ramp = leashes.fee_per_slot;
    if ramp.max_step > 0 {
        config.liquidation.fee_per_slot = config.liquidation.fee_per_slot.clamp(ramp.min, ramp.max);
    }
    emit!(AgentLeashesSet {
        agent: risk_agent,
        fee_per_slot: config.liquidation.fee_per_slot,
        base,
        caps: leashes.caps,
        fee_ramp: ramp,
    });
    Ok(())
}
