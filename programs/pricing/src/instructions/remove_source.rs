use anchor_lang::prelude::*;

use super::governance::*;
use crate::errors::PricingError;
use crate::events::FeedConfigChanged;
use crate::state::{PriceFeed, SourceConfig};

#[derive(Accounts)]
pub struct RemoveSource<'info> {
    pub gov: GovernanceAuth<'info>,
    #[account(mut)]
    pub feed: AccountLoader<'info, PriceFeed>,
}

/// Unpin the source at `index`; later sources move down one position.
pub fn handle_remove_source(ctx: Context<RemoveSource>, index: u8) -> Result<()> {
    let mut feed = ctx.accounts.feed.load_mut()?;
    let n = feed.num_sources as usize;
    let i = index as usize;
    require!(i < n, PricingError::SourceIndexOutOfRange);
    let removed = feed.sources[i].account;
    feed.sources.copy_within(i + 1..n, i);
    feed.sources[n - 1] = SourceConfig::default();
    feed.num_sources -= 1;
    emit!(FeedConfigChanged {
        feed: ctx.accounts.feed.key(),
        what: format!("source {} removed: {}", i, removed),
        authority: ctx.accounts.gov.governance.key(),
    });
    Ok(())
}
