use anchor_lang::prelude::*;

use super::governance::*;
use crate::state::{ManualPrice, PriceFeed};

#[derive(Accounts)]
#[instruction(seed_index: u8)]
pub struct InitManualPrice<'info> {
    pub gov: GovernanceAuth<'info>,
    pub feed: AccountLoader<'info, PriceFeed>,
    #[account(
        init,
        payer = payer,
        space = ManualPrice::SPACE,
        seeds = [ManualPrice::SEED, feed.key().as_ref(), seed_index.to_le_bytes().as_ref()],
        bump,
    )]
    pub manual_price: Account<'info, ManualPrice>,
    #[account(mut)]
    pub payer: Signer<'info>,
    pub system_program: Program<'info, System>,
}

/// Create a manual price account for `feed`, written by `authority`. It
/// becomes a source only once governance pins it with `add_source`.
pub fn handle_init_manual_price(
    ctx: Context<InitManualPrice>,
    _seed_index: u8,
    authority: Pubkey,
) -> Result<()> {
    let manual = &mut ctx.accounts.manual_price;
    manual.feed = ctx.accounts.feed.key();
    manual.authority = authority;
    manual.bump = ctx.bumps.manual_price;
    Ok(())
}
