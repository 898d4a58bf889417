use anchor_lang::prelude::*;

use crate::events::AgentLeashesSet;
use crate::instructions::GovernConfig;
use crate::state::{AgentLeashes, GovernanceParams, Leash};

/// Governance sets every leash of the risk agent at once: the maintenance
/// base's (in `GovernanceParams` since `init_margin`), the caps' and the
/// fee ramp's. A leash with a zero step is closed.
#[access_control(GovernanceParams::validate_base_leash(&base))]
#[access_control(leashes.validate())]
pub fn handle_set_agent_leashes(
    ctx: Context<GovernConfig>,
    base: Leash,
    leashes: AgentLeashes,
) -> Result<()> {
    let config = &mut ctx.accounts.config;
    config.governance.agent_base = base;
    config.agent_leashes = leashes;
    emit!(AgentLeashesSet {
        agent: config.governance.risk_agent,
        base,
        caps: leashes.caps,
        fee_per_slot: leashes.fee_per_slot,
    });
    Ok(())
}
