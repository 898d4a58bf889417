use anchor_lang::prelude::*;

use super::governance::*;
use crate::errors::BackstopError;
use crate::events::ConsumerRegistered;
use crate::state::{Consumer, ConsumerLimits, Pool};

#[derive(Accounts)]
pub struct RegisterConsumer<'info> {
    pub gov: BackstopGovernance<'info>,
    #[account(constraint = pool.protocol == gov.protocol.key() @ BackstopError::Unauthorized)]
    pub pool: Box<Account<'info, Pool>>,
    /// The protocol's signing authority (usually a PDA of its program).
    /// CHECK: any key; it must sign each absorb.
    pub authority: UncheckedAccount<'info>,
    #[account(
        init,
        payer = payer,
        space = Consumer::SPACE,
        seeds = [Consumer::SEED, pool.key().as_ref(), authority.key().as_ref()],
        bump,
    )]
    pub consumer: Box<Account<'info, Consumer>>,
    #[account(mut)]
    pub payer: Signer<'info>,
    pub system_program: Program<'info, System>,
}

#[derive(Accounts)]
pub struct SetConsumer<'info> {
    pub gov: BackstopGovernance<'info>,
    #[account(constraint = pool.protocol == gov.protocol.key() @ BackstopError::Unauthorized)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(mut, has_one = pool)]
    pub consumer: Box<Account<'info, Consumer>>,
}

/// Governance approves a protocol to absorb into this pool, within limits.
pub fn handle_register_consumer(
    ctx: Context<RegisterConsumer>,
    limits: ConsumerLimits,
) -> Result<()> {
    limits.validate()?;
    let a = ctx.accounts;
    a.consumer.set_inner(Consumer {
        pool: a.pool.key(),
        authority: a.authority.key(),
        limits,
        active: true,
        window_start: 0,
        quote_in_window: 0,
        total_quote: 0,
        total_collateral: 0,
        bump: ctx.bumps.consumer,
    });
    emit_registered(&a.consumer, a.consumer.key());
    Ok(())
}

/// Governance changes a consumer's limits or suspends it (`active = false`).
pub fn handle_set_consumer(
    ctx: Context<SetConsumer>,
    limits: ConsumerLimits,
    active: bool,
) -> Result<()> {
    limits.validate()?;
    let consumer = &mut ctx.accounts.consumer;
    consumer.limits = limits;
    consumer.active = active;
    emit_registered(consumer, consumer.key());
    Ok(())
}

fn emit_registered(c: &Consumer, key: Pubkey) {
    emit!(ConsumerRegistered {
        pool: c.pool,
        consumer: key,
        authority: c.authority,
        max_quote_per_absorb: c.limits.max_quote_per_absorb,
        max_quote_per_window: c.limits.max_quote_per_window,
        window_slots: c.limits.window_slots,
        active: c.active,
    });
}
