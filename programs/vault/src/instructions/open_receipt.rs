use anchor_lang::prelude::*;

use crate::state::{DepositReceipt, Vault};

#[derive(Accounts)]
pub struct OpenReceipt<'info> {
    pub vault: Box<Account<'info, Vault>>,
    #[account(
        init,
        payer = owner,
        space = DepositReceipt::SPACE,
        seeds = [DepositReceipt::SEED, vault.key().as_ref(), owner.key().as_ref()],
        bump,
    )]
    pub receipt: Box<Account<'info, DepositReceipt>>,
    #[account(mut)]
    pub owner: Signer<'info>,
    pub system_program: Program<'info, System>,
}

/// A user's queue in a vault, opened once.
pub fn handle_open_receipt(ctx: Context<OpenReceipt>) -> Result<()> {
    let vault = &ctx.accounts.vault;
    ctx.accounts.receipt.set_inner(DepositReceipt {
        vault: vault.key(),
        owner: ctx.accounts.owner.key(),
        deposit_round: vault.round,
        deposit_amount: 0,
        unredeemed_shares: 0,
        withdraw_round: 0,
        withdraw_shares: 0,
        bump: ctx.bumps.receipt,
    });
    Ok(())
}
