use anchor_lang::prelude::*;
use risk_math::breaker::{BreakerState, HaltReason, Status};

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

/// Governance halt (never auto-resumed), reduce-only, or resume to Active.
pub fn handle_set_status(ctx: Context<SetStatus>, status: u8) -> Result<()> {
    let status = Status::from_u8(status).ok_or(PricingError::InvalidStatus)?;
    let now = Clock::get()?.unix_timestamp;
    let feed_key = ctx.accounts.feed.key();
    let mut feed = ctx.accounts.feed.load_mut()?;
    let before = feed.breaker();
    let after = match status {
        Status::Active => BreakerState {
            last_violation: before.last_violation,
            ..BreakerState::ACTIVE
        },
        Status::ReduceOnly => BreakerState {
            status,
            reason: HaltReason::None,
            halted_since: 0,
            ..before
        },
        Status::Halted => BreakerState {
            status,
            reason: HaltReason::Governance,
            halted_since: now,
            ..before
        },
    };
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
