use anchor_lang::prelude::*;

use super::governance::*;
use crate::errors::PricingError;
use crate::events::FeedConfigChanged;
use crate::state::{pause, PriceFeed};

#[derive(Accounts)]
pub struct SetPauseFlags<'info> {
    pub gov: GovernanceAuth<'info>,
    #[account(mut)]
    pub feed: AccountLoader<'info, PriceFeed>,
}

pub fn handle_set_pause_flags(ctx: Context<SetPauseFlags>, flags: u32) -> Result<()> {
    require!(flags & !pause::ALL == 0, PricingError::ParamOutOfBounds);
    ctx.accounts.feed.load_mut()?.pause_flags = flags;
    emit!(FeedConfigChanged {
        feed: ctx.accounts.feed.key(),
        what: format!("pause flags {:#06b}", flags),
        authority: ctx.accounts.gov.governance.key(),
    });
    Ok(())
}
