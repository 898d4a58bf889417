use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use super::governance::*;
use crate::errors::VaultError;
use crate::signer::pay_out;
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
    pay_out(
        &mut a.vault,
        |v| &mut v.fees_accrued,
        &a.token_program,
        a.asset_vault.to_account_info(),
        a.to.to_account_info(),
        amount,
    )
}
