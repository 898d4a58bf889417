use anchor_lang::prelude::*;
use risk_math::breaker::Status;

use super::governance::*;
use crate::errors::PricingError;
use crate::events::{BreakerResumed, FeedStatusSet};
use crate::state::PriceFeed;

#[derive(Accounts)]
pub struct SetStatus<'info> {
    pub gov: GovernanceAuth<'info>,
    #[account(mut)]
    pub feed: AccountLoader<'info, PriceFeed>,
}

/// Governance sets the feed's status: Halted (never auto-resumed),
/// Restricted (no new risk), or Active.
pub fn handle_set_status(ctx: Context<SetStatus>, status: u8) -> Result<()> {
    let status = Status::from_u8(status).ok_or(PricingError::InvalidStatus)?;
    let now = Clock::get()?.unix_timestamp;
    let feed_key = ctx.accounts.feed.key();
    let mut feed = ctx.accounts.feed.load_mut()?;
    let before = feed.breaker();
    // Governance's status is kept apart from the breaker's: automatic
    // episodes end at it, and it ends any episode in progress.
    let after = before.governed(status, now);
    feed.set_breaker(after);
    if before.status == Status::Halted && status == Status::Active {
        emit!(BreakerResumed {
            feed: feed_key,
            halted_secs: now.saturating_sub(before.halted_since),
            by_governance: true,
            price: feed.price,
            unix_ts: now,
        });
    }
    emit!(FeedStatusSet {
        feed: feed_key,
        status: status as u8,
        authority: ctx.accounts.gov.governance.key(),
        unix_ts: now
    });
    Ok(())
}
