use anchor_lang::prelude::*;

use crate::state::MarginAccount;

#[derive(Accounts)]
#[instruction(index: u8)]
pub struct OpenAccount<'info> {
    #[account(
        init,
        payer = owner,
        space = MarginAccount::SPACE,
        seeds = [MarginAccount::SEED, owner.key().as_ref(), index.to_le_bytes().as_ref()],
        bump,
    )]
    pub account: Account<'info, MarginAccount>,
    #[account(mut)]
    pub owner: Signer<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handle_open_account(ctx: Context<OpenAccount>, index: u8) -> Result<()> {
    let account = &mut ctx.accounts.account;
    account.owner = ctx.accounts.owner.key();
    account.index = index;
    account.bump = ctx.bumps.account;
    Ok(())
}
