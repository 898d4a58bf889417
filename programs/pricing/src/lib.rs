//! Rampart pricing: multi-source oracle consensus, exact TWAP, realized
//! volatility, congestion and a circuit breaker, per market.
#![deny(clippy::float_arithmetic)]
#![allow(unexpected_cfgs)]

use anchor_lang::prelude::*;

pub mod errors;
pub mod events;
pub mod guard;
pub mod instructions;
pub mod read;
pub mod sources;
pub mod state;

use instructions::*;
use state::{FeedParams, SourceKind};

declare_id!("5XSmxYrm7JULpZnommpabaKjnBYjPgsSFyLgKPAMSvGT");

#[program]
pub mod pricing {
    use super::*;

    pub fn init_protocol(ctx: Context<InitProtocol>, governance: Pubkey) -> Result<()> {
        handle_init_protocol(ctx, governance)
    }

    pub fn set_governance(ctx: Context<SetGovernance>, new_governance: Pubkey) -> Result<()> {
        handle_set_governance(ctx, new_governance)
    }

    pub fn create_feed(ctx: Context<CreateFeed>, args: CreateFeedArgs) -> Result<()> {
        handle_create_feed(ctx, args)
    }

    pub fn add_source(ctx: Context<AddSource>, kind: SourceKind, feed_id: [u8; 32]) -> Result<()> {
        handle_add_source(ctx, kind, feed_id)
    }

    pub fn remove_source(ctx: Context<RemoveSource>, index: u8) -> Result<()> {
        handle_remove_source(ctx, index)
    }

    pub fn update_params(ctx: Context<UpdateParams>, params: FeedParams) -> Result<()> {
        handle_update_params(ctx, params)
    }

    pub fn init_manual_price(
        ctx: Context<InitManualPrice>,
        seed_index: u8,
        authority: Pubkey,
    ) -> Result<()> {
        handle_init_manual_price(ctx, seed_index, authority)
    }

    pub fn push_manual_price(
        ctx: Context<PushManualPrice>,
        price: i64,
        conf: u64,
        expo: i32,
    ) -> Result<()> {
        handle_push_manual_price(ctx, price, conf, expo)
    }

    pub fn refresh<'info>(ctx: Context<'_, '_, 'info, 'info, Refresh<'info>>) -> Result<()> {
        handle_refresh(ctx)
    }

    pub fn check_source(ctx: Context<CheckSource>, index: u8) -> Result<()> {
        handle_check_source(ctx, index)
    }

    pub fn set_status(ctx: Context<SetStatus>, status: u8) -> Result<()> {
        handle_set_status(ctx, status)
    }

    pub fn set_pause_flags(ctx: Context<SetPauseFlags>, flags: u32) -> Result<()> {
        handle_set_pause_flags(ctx, flags)
    }
}
