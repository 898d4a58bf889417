use anchor_lang::prelude::*;

use crate::errors::PricingError;
use crate::state::ProtocolConfig;

/// The protocol config and its governance signer: nested into every
/// instruction that only governance may call.
#[derive(Accounts)]
pub struct GovernanceAuth<'info> {
    #[account(
        seeds = [ProtocolConfig::SEED],
        bump = protocol.bump,
        has_one = governance @ PricingError::Unauthorized,
    )]
    pub protocol: Account<'info, ProtocolConfig>,
    pub governance: Signer<'info>,
}
