use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};
use pricing::read::{read_loaded, to_wad, ReadPolicy};
use pricing::state::{pause, PriceFeed};
use risk_math::backstop::{absorb, discount_to_reference, unit_price, AbsorbLimits, Band};

use super::pay_from_pool;
use crate::errors::BackstopError;
use crate::events::{Absorbed, BandFillRecord};
use crate::state::{Consumer, Pool};

#[derive(Accounts)]
pub struct Absorb<'info> {
    #[account(mut, has_one = feed, has_one = quote_vault, has_one = collateral_vault)]
    pub pool: Box<Account<'info, Pool>>,
    pub feed: AccountLoader<'info, PriceFeed>,
    #[account(
        mut,
        seeds = [Consumer::SEED, pool.key().as_ref(), authority.key().as_ref()],
        bump = consumer.bump,
        constraint = consumer.active @ BackstopError::ConsumerNotRegistered,
    )]
    pub consumer: Box<Account<'info, Consumer>>,
    /// The consumer protocol's authority.
    pub authority: Signer<'info>,
    /// Owner of `seller_collateral` (may be the same key as `authority`).
    pub seller: Signer<'info>,
    #[account(mut, constraint = seller_collateral.mint == pool.collateral_mint @ BackstopError::WrongMint)]
    pub seller_collateral: Box<Account<'info, TokenAccount>>,
    #[account(mut, constraint = seller_quote.mint == pool.quote_mint @ BackstopError::WrongMint)]
    pub seller_quote: Box<Account<'info, TokenAccount>>,
    #[account(mut)]
    pub quote_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut)]
    pub collateral_vault: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

/// A registered consumer sells up to `max_collateral` into the bands,
/// lowest discount first, for up to `max_quote`, never below
/// `max_discount_bps` under the feed's spot and for at least `min_quote`.
/// Each band buys at its discount to the reference price: the lower of the
/// feed's consensus spot and TWAP, so a pushed-up spot cannot make LPs
/// overpay; the seller's limit is held against spot, the price its own
/// alternative (an open liquidator) is paid at, so a TWAP under spot
/// cannot make it sell deeper than it accepted. Refused on a
/// stale, halted or liquidation-paused feed; the quote paid is capped by
/// the consumer's allowance and the pool's per-slot limit.
pub fn handle_absorb(
    ctx: Context<Absorb>,
    max_collateral: u64,
    max_quote: u64,
    max_discount_bps: u16,
    min_quote: u64,
) -> Result<()> {
    require!(
        max_collateral > 0 && max_quote > 0,
        BackstopError::ZeroAmount
    );
    let clock = Clock::get()?;
    let a = ctx.accounts;
    let (spot, reference) =
        reference_price(&*a.feed.load()?, &clock, a.pool.params.max_price_age_secs)?;
    let band_limit = discount_to_reference(max_discount_bps, spot, reference)
        .map_err(BackstopError::from)?
        .ok_or(BackstopError::NoLiquidity)?;

    let consumer_left = a.consumer.allowance(clock.slot);
    require!(consumer_left > 0, BackstopError::ConsumerCapReached);
    let pool_left = a.pool.slot_allowance(clock.slot);
    require!(pool_left > 0, BackstopError::PoolSlotLimitReached);

    let unit = unit_price(reference, a.pool.collateral_decimals, a.pool.quote_decimals)
        .map_err(BackstopError::from)?;
    let mut bands: Vec<Band> = a.pool.bands.iter().map(|b| (*b).into()).collect();
    let limits = AbsorbLimits {
        max_collateral,
        max_quote: max_quote.min(consumer_left).min(pool_left),
        max_discount_bps: band_limit,
    };
    let fills = absorb(&mut bands, unit, limits).map_err(BackstopError::from)?;
    let quote_out: u64 = fills.iter().map(|f| f.quote).sum();
    let collateral_in: u64 = fills.iter().map(|f| f.collateral).sum();
    require!(quote_out > 0, BackstopError::NoLiquidity);
    require!(quote_out >= min_quote, BackstopError::BelowMinimumQuote);

    for (stored, band) in a.pool.bands.iter_mut().zip(bands) {
        *stored = band.into();
    }
    a.pool.record_slot_use(clock.slot, quote_out)?;
    a.consumer.record(clock.slot, quote_out, collateral_in)?;

    let accounts = Transfer {
        from: a.seller_collateral.to_account_info(),
        to: a.collateral_vault.to_account_info(),
        authority: a.seller.to_account_info(),
    };
    token::transfer(
        CpiContext::new(a.token_program.to_account_info(), accounts),
        collateral_in,
    )?;
    pay_from_pool(
        &a.pool,
        &a.token_program,
        a.quote_vault.to_account_info(),
        a.seller_quote.to_account_info(),
        quote_out,
    )?;
    emit!(Absorbed {
        pool: a.pool.key(),
        consumer: a.consumer.key(),
        consumer_authority: a.authority.key(),
        collateral_in,
        quote_out,
        reference_price: reference,
        fills: fills
            .iter()
            .zip(a.pool.bands.iter())
            .enumerate()
            .filter(|(_, (f, _))| f.quote > 0)
            .map(|(i, (f, b))| BandFillRecord {
                band: i as u8,
                discount_bps: b.discount_bps,
                quote: f.quote,
                collateral: f.collateral,
            })
            .collect(),
    });
    Ok(())
}

/// Quote per whole collateral token (WAD): the feed's consensus spot and
/// the reference the bands discount from, the lower of spot and TWAP.
/// Liquidation is risk-reducing, so a Restricted feed is accepted; a
/// halted or stale one is not.
fn reference_price(feed: &PriceFeed, clock: &Clock, max_age_secs: u32) -> Result<(u128, u128)> {
    let policy = ReadPolicy {
        max_age_secs,
        allow_restricted: true,
        twap_window_secs: 0,
        require_twap: false,
        operation: pause::LIQUIDATION,
    };
    let reading = read_loaded(feed, clock, &policy)?;
    let spot = to_wad(reading.price, reading.expo)?;
    match reading.twap {
        Some(twap) => Ok((spot, to_wad(twap, reading.expo)?.min(spot))),
        None => Ok((spot, spot)),
    }
}
