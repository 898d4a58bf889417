use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};
use risk_math::vault::withdrawal_payout;

use crate::errors::VaultError;
use crate::events::WithdrawalPaid;
use crate::signer::pay_out;
use crate::state::{DepositReceipt, RoundRecord, Vault};

#[derive(Accounts)]
pub struct CompleteWithdrawal<'info> {
    #[account(mut, has_one = asset_vault)]
    pub vault: Box<Account<'info, Vault>>,
    #[account(
        mut,
        seeds = [DepositReceipt::SEED, vault.key().as_ref(), owner.key().as_ref()],
        bump = receipt.bump,
    )]
    pub receipt: Box<Account<'info, DepositReceipt>>,
    pub owner: Signer<'info>,
    #[account(mut)]
    pub asset_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, constraint = owner_token.mint == vault.asset_mint @ VaultError::WrongVaultAccount)]
    pub owner_token: Box<Account<'info, TokenAccount>>,
    /// The record of the round the withdrawal was requested in.
    pub round_record: Box<Account<'info, RoundRecord>>,
    pub token_program: Program<'info, Token>,
}

/// Pay a processed withdrawal at its round's price per share, less the
/// withdrawal fee. Never blocked by pauses, breakers or shutdown.
pub fn handle_complete_withdrawal(ctx: Context<CompleteWithdrawal>) -> Result<()> {
    let a = ctx.accounts;
    let shares = a.receipt.withdraw_shares;
    require!(
        shares > 0 && a.receipt.withdraw_round < a.vault.round,
        VaultError::NothingToWithdraw
    );
    require!(
        a.round_record.vault == a.vault.key() && a.round_record.round == a.receipt.withdraw_round,
        VaultError::RoundRecordMissing
    );
    let amount = withdrawal_payout(
        shares,
        a.round_record.price_per_share,
        a.vault.params.withdrawal_fee_bps,
    )
    .map_err(VaultError::from)?;
    a.receipt.withdraw_shares = 0;
    pay_out(
        &mut a.vault,
        |v| &mut v.withdrawal_reserve,
        &a.token_program,
        a.asset_vault.to_account_info(),
        a.owner_token.to_account_info(),
        amount,
    )?;
    emit!(WithdrawalPaid {
        vault: a.vault.key(),
        owner: a.owner.key(),
        shares,
        amount,
    });
    Ok(())
}
