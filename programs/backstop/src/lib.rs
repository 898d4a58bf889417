//! Rampart backstop: quote liquidity in discount bands below the oracle
//! price (e.g. 0.5%, 1%, 2%, 3%, 5%, 8% under the pricing feed) that buys
//! liquidated collateral. Liquidity sits where liquidations happen and
//! follows the price without LPs moving it. Fills and bought collateral are
//! shared pro rata across each band's LPs in O(1) (Liquity's product/sum,
//! in `risk_math::backstop`). Protocols that governance registers as
//! consumers absorb through CPI, within per-consumer and per-slot limits;
//! a consumer can lock withdrawals briefly ahead of a large liquidation.
#![deny(clippy::float_arithmetic)]
#![allow(unexpected_cfgs)]

use anchor_lang::prelude::*;

pub mod errors;
pub mod events;
pub mod instructions;
pub mod state;

use instructions::*;
use state::{ConsumerLimits, PoolParams};

declare_id!("G3rVAmYwB1gZMg3hBrjMDevMWpxoRPyLr92fPe9Seqh5");

#[program]
pub mod backstop {
    use super::*;

    pub fn create_pool(
        ctx: Context<CreatePool>,
        discounts_bps: Vec<u16>,
        params: PoolParams,
    ) -> Result<()> {
        handle_create_pool(ctx, discounts_bps, params)
    }

    pub fn register_consumer(ctx: Context<RegisterConsumer>, limits: ConsumerLimits) -> Result<()> {
        handle_register_consumer(ctx, limits)
    }

    pub fn set_consumer(
        ctx: Context<SetConsumer>,
        limits: ConsumerLimits,
        active: bool,
    ) -> Result<()> {
        handle_set_consumer(ctx, limits, active)
    }

    pub fn open_stake(ctx: Context<OpenStake>, band: u8) -> Result<()> {
        handle_open_stake(ctx, band)
    }

    pub fn deposit(ctx: Context<StakeFlow>, amount: u64) -> Result<()> {
        handle_deposit(ctx, amount)
    }

    pub fn withdraw(ctx: Context<StakeFlow>, amount: u64) -> Result<()> {
        handle_withdraw(ctx, amount)
    }

    pub fn absorb(
        ctx: Context<Absorb>,
        max_collateral: u64,
        max_quote: u64,
        max_discount_bps: u16,
        min_quote: u64,
    ) -> Result<()> {
        handle_absorb(ctx, max_collateral, max_quote, max_discount_bps, min_quote)
    }

    pub fn lock_withdrawals(ctx: Context<LockWithdrawals>, until_slot: u64) -> Result<()> {
        handle_lock_withdrawals(ctx, until_slot)
    }

    pub fn settle_stake(ctx: Context<SettleStake>) -> Result<()> {
        handle_settle_stake(ctx)
    }
}
