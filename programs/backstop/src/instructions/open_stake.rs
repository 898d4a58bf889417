use anchor_lang::prelude::*;

use crate::errors::BackstopError;
use crate::state::{Pool, StakeAccount, StakeSnapshot};

#[derive(Accounts)]
#[instruction(band: u8)]
pub struct OpenStake<'info> {
    #[account(constraint = (band as usize) < pool.bands.len() @ BackstopError::NoSuchBand)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(
        init,
        payer = owner,
        space = StakeAccount::SPACE,
        seeds = [StakeAccount::SEED, pool.key().as_ref(), band.to_le_bytes().as_ref(), owner.key().as_ref()],
        bump,
    )]
    pub stake: Box<Account<'info, StakeAccount>>,
    #[account(mut)]
    pub owner: Signer<'info>,
    pub system_program: Program<'info, System>,
}

/// An LP opens its (empty) position in one band.
pub fn handle_open_stake(ctx: Context<OpenStake>, band: u8) -> Result<()> {
    let a = ctx.accounts;
    a.stake.set_inner(StakeAccount {
        pool: a.pool.key(),
        owner: a.owner.key(),
        band,
        snapshot: StakeSnapshot::default(),
        bump: ctx.bumps.stake,
    });
    Ok(())
}
