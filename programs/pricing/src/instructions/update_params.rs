use anchor_lang::prelude::*;

use super::governance::*;
use crate::events::FeedConfigChanged;
use crate::state::{FeedParams, PriceFeed};

#[derive(Accounts)]
pub struct UpdateParams<'info> {
    pub gov: GovernanceAuth<'info>,
    #[account(mut)]
    pub feed: AccountLoader<'info, PriceFeed>,
}

#[access_control(params.validate())]
pub fn handle_update_params(ctx: Context<UpdateParams>, params: FeedParams) -> Result<()> {
    ctx.accounts.feed.load_mut()?.params = params;
    emit!(FeedConfigChanged {
        feed: ctx.accounts.feed.key(),
        what: format!("params {:?}", params),
        authority: ctx.accounts.gov.governance.key(),
    });
    Ok(())
}
