use anchor_lang::prelude::*;

use crate::errors::PricingError;
use crate::state::ProtocolConfig;

#[derive(Accounts)]
pub struct SetGovernance<'info> {
    #[account(
        mut,
        seeds = [ProtocolConfig::SEED],
        bump = protocol.bump,
        has_one = governance @ PricingError::Unauthorized,
    )]
    pub protocol: Account<'info, ProtocolConfig>,
    pub governance: Signer<'info>,
}

pub fn handle_set_governance(ctx: Context<SetGovernance>, new_governance: Pubkey) -> Result<()> {
    ctx.accounts.protocol.governance = new_governance;
    Ok(())
}
