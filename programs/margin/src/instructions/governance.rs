use anchor_lang::prelude::*;
use pricing::state::ProtocolConfig;

use crate::errors::MarginError;
use crate::state::MarginConfig;

/// Margin config plus the shared protocol config's governance signer.
#[derive(Accounts)]
pub struct MarginGovernance<'info> {
    #[account(seeds = [MarginConfig::SEED], bump = config.bump, has_one = protocol)]
    pub config: Account<'info, MarginConfig>,
    #[account(has_one = governance @ MarginError::Unauthorized)]
    pub protocol: Account<'info, ProtocolConfig>,
    pub governance: Signer<'info>,
}
