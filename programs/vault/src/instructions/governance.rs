use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};
use pricing::state::ProtocolConfig;

use crate::errors::VaultError;
use crate::events::StrikeOverridden;
use crate::signer::VaultAuthority;
use crate::state::{Phase, Vault, VaultStatus};

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

/// Pause or shut down a vault, or resume it.
pub fn handle_set_vault_status(ctx: Context<GovernVault>, status: VaultStatus) -> Result<()> {
    ctx.accounts.vault.status = status;
    Ok(())
}

/// Governance picks the next epoch's strike instead of the model (before
/// the epoch starts); the start event and this one record it.
pub fn handle_override_strike(ctx: Context<GovernVault>, strike: u128) -> Result<()> {
    let vault = &mut ctx.accounts.vault;
    require!(vault.phase != Phase::Trading, VaultError::StepOutOfOrder);
    vault.strike_override = strike;
    emit!(StrikeOverridden {
        vault: vault.key(),
        round: vault.round,
        strike,
    });
    Ok(())
}

#[derive(Accounts)]
pub struct CollectFees<'info> {
    pub gov: VaultGovernance<'info>,
    #[account(
        mut,
        constraint = vault.protocol == gov.protocol.key() @ VaultError::Unauthorized,
        has_one = asset_vault,
    )]
    pub vault: Box<Account<'info, Vault>>,
    #[account(mut)]
    pub asset_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, constraint = to.mint == vault.asset_mint @ VaultError::WrongVaultAccount)]
    pub to: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

/// Pay the accrued fees to a governance-chosen token account.
pub fn handle_collect_fees(ctx: Context<CollectFees>) -> Result<()> {
    let a = ctx.accounts;
    let amount = a.vault.fees_accrued;
    a.vault.fees_accrued = 0;
    VaultAuthority {
        vault: &a.vault,
        token_program: &a.token_program,
    }
    .transfer(
        a.asset_vault.to_account_info(),
        a.to.to_account_info(),
        amount,
    )
}
