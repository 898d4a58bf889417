use anchor_lang::prelude::*;

use crate::errors::PricingError;
use crate::events::ManualPricePushed;
use crate::state::ManualPrice;

#[derive(Accounts)]
pub struct PushManualPrice<'info> {
    #[account(mut, has_one = authority @ PricingError::Unauthorized)]
    pub manual_price: Account<'info, ManualPrice>,
    pub authority: Signer<'info>,
}

/// Publish a manual price, stamped with the current clock. Validity
/// (positive, confident, fresh) is judged by refresh like any oracle.
pub fn handle_push_manual_price(
    ctx: Context<PushManualPrice>,
    price: i64,
    conf: u64,
    expo: i32,
) -> Result<()> {
    require!((-18..=18).contains(&expo), PricingError::InvalidExponent);
    let clock = Clock::get()?;
    let manual = &mut ctx.accounts.manual_price;
    manual.price = price;
    manual.conf = conf;
    manual.expo = expo;
    manual.publish_ts = clock.unix_timestamp;
    manual.slot = clock.slot;
    emit!(ManualPricePushed {
        feed: manual.feed,
        manual_account: manual.key(),
        price,
        conf,
        expo,
        unix_ts: clock.unix_timestamp,
        flagged_manual: true,
    });
    Ok(())
}
