use anchor_lang::prelude::*;
use pricing::state::ProtocolConfig;

use crate::errors::VaultError;
use crate::state::Vault;

/// The shared protocol governance signer (pricing's `ProtocolConfig`).
#[derive(Accounts)]
pub struct VaultGovernance<'info> {
    #[account(has_one = governance @ VaultError::Unauthorized)]
    pub protocol: Box<Account<'info, ProtocolConfig>>,
    pub governance: Signer<'info>,
}

#[derive(Accounts)]
pub struct GovernVault<'info> {
    pub gov: VaultGovernance<'info>,
    #[account(mut, constraint = vault.protocol == gov.protocol.key() @ VaultError::Unauthorized)]
    pub vault: Box<Account<'info, Vault>>,
}
