use anchor_lang::prelude::*;
use risk_math::breaker::Status;
use risk_math::volatility::variance_from_annual_bps;

use super::governance::*;
use crate::errors::PricingError;
use crate::events::FeedConfigChanged;
use crate::state::{FeedParams, PriceFeed, INITIAL_VOL_BOUNDS_BPS};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct CreateFeedArgs {
    pub name: [u8; 32],
    /// Exponent of every price the feed publishes, in [-18, 0].
    pub expo: i32,
    pub params: FeedParams,
    /// Annualised volatility assumed until returns are observed, bps.
    pub initial_vol_bps: u32,
}

#[derive(Accounts)]
#[instruction(args: CreateFeedArgs)]
pub struct CreateFeed<'info> {
    pub gov: GovernanceAuth<'info>,
    #[account(init, payer = payer, space = PriceFeed::SPACE, seeds = [PriceFeed::SEED, args.name.as_ref()], bump)]
    pub feed: AccountLoader<'info, PriceFeed>,
    #[account(mut)]
    pub payer: Signer<'info>,
    pub system_program: Program<'info, System>,
}

impl CreateFeed<'_> {
    pub fn validate(&self, args: &CreateFeedArgs) -> Result<()> {
        args.params.validate()?;
        require!(
            (-18..=0).contains(&args.expo),
            PricingError::InvalidExponent
        );
        let (lo, hi) = INITIAL_VOL_BOUNDS_BPS;
        require!(
            (lo..=hi).contains(&args.initial_vol_bps),
            PricingError::ParamOutOfBounds
        );
        Ok(())
    }
}

#[access_control(ctx.accounts.validate(&args))]
pub fn handle_create_feed(ctx: Context<CreateFeed>, args: CreateFeedArgs) -> Result<()> {
    let mut feed = ctx.accounts.feed.load_init()?;
    feed.protocol = ctx.accounts.gov.protocol.key();
    feed.name = args.name;
    feed.expo = args.expo;
    feed.params = args.params;
    feed.status = Status::Active as u8;
    feed.variance_per_sec = u64::try_from(variance_from_annual_bps(args.initial_vol_bps))
        .map_err(|_| PricingError::MathOverflow)?;
    feed.bump = ctx.bumps.feed;
    emit!(FeedConfigChanged {
        feed: ctx.accounts.feed.key(),
        what: "created".to_string(),
        authority: ctx.accounts.gov.governance.key(),
    });
    Ok(())
}
