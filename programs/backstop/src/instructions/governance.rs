use anchor_lang::prelude::*;
use pricing::state::ProtocolConfig;

use crate::errors::BackstopError;

/// The shared protocol governance signer (pricing's `ProtocolConfig`).
#[derive(Accounts)]
pub struct BackstopGovernance<'info> {
    #[account(has_one = governance @ BackstopError::Unauthorized)]
    pub protocol: Box<Account<'info, ProtocolConfig>>,
    pub governance: Signer<'info>,
}
