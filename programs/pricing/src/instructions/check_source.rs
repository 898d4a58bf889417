use anchor_lang::prelude::*;

use crate::errors::PricingError;
use crate::events::SourceChecked;
use crate::sources;
use crate::state::PriceFeed;

#[derive(Accounts)]
pub struct CheckSource<'info> {
    pub feed: AccountLoader<'info, PriceFeed>,
    /// CHECK: must be the account pinned at `index`, with its pinned owner.
    pub source: UncheckedAccount<'info>,
}

/// Read one source exactly as refresh would and fail with its precise
/// error, or emit its normalized reading. Changes nothing; operators use it
/// to see why a source is excluded.
pub fn handle_check_source(ctx: Context<CheckSource>, index: u8) -> Result<()> {
    let feed = ctx.accounts.feed.load()?;
    require!(
        (index as usize) < feed.num_sources as usize,
        PricingError::SourceIndexOutOfRange
    );
    let clock = Clock::get()?;
    let quote = sources::read_pinned(
        &feed.sources[index as usize],
        &ctx.accounts.source,
        &ctx.accounts.feed.key(),
        &clock,
        &feed.params,
        feed.expo,
    )?;
    emit!(SourceChecked {
        feed: ctx.accounts.feed.key(),
        index,
        price: quote.price,
        conf: quote.conf,
        publish_ts: quote.publish_ts,
    });
    Ok(())
}
