use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use super::governance::*;
use crate::errors::VaultError;
use crate::signer::VaultAuthority;
use crate::state::Vault;

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
