use anchor_lang::prelude::*;
use pricing::read::{expiry_twap, to_wad};
use pricing::state::PriceFeed;
use risk_math::Rounding;

use crate::errors::VaultError;
use crate::events::EpochSettled;
use crate::state::{OptionSeries, Phase, Vault};

#[derive(Accounts)]
pub struct SettleEpoch<'info> {
    #[account(mut, has_one = feed, has_one = series)]
    pub vault: Box<Account<'info, Vault>>,
    #[account(mut)]
    pub series: Box<Account<'info, OptionSeries>>,
    pub feed: AccountLoader<'info, PriceFeed>,
}

/// Permissionless keeper step at expiry: settle on the feed's TWAP over
/// the settlement window ending at expiry (never spot), however late this
/// lands. Refused before expiry, on a halted feed and when that window is
/// not covered; after the grace period governance may settle instead.
pub fn handle_settle_epoch(ctx: Context<SettleEpoch>) -> Result<()> {
    let a = ctx.accounts;
    a.vault.require_phase(Phase::Trading)?;
    let now = Clock::get()?.unix_timestamp;
    require!(now >= a.series.expiry_ts, VaultError::NotExpired);
    let twap = expiry_twap(
        &*a.feed.load()?,
        a.series.expiry_ts,
        a.vault.params.settlement_window_secs,
    )?;
    let price = to_wad(twap.price, twap.expo)?;
    settle(&mut a.vault, &mut a.series, price, false)
}

/// Reserve the options' payoff at `price` (rounded up: holders are always
/// paid in full) out of the share holders' assets, and close the epoch.
pub fn settle(
    vault: &mut Account<Vault>,
    series: &mut OptionSeries,
    price: u128,
    by_governance: bool,
) -> Result<()> {
    let owed = series
        .terms(vault)
        .payoff(series.sold, price, Rounding::Up)
        .map_err(VaultError::from)?
        .min(vault.active_assets);
    vault.active_assets -= owed;
    vault.options_sold = 0;
    vault.max_option_liability = 0;
    vault.payoff_reserve = vault
        .payoff_reserve
        .checked_add(owed)
        .ok_or(VaultError::MathOverflow)?;
    series.settled = true;
    series.settlement_price = price;
    series.settled_by_governance = by_governance;
    vault.phase = Phase::Settled;
    emit!(EpochSettled {
        vault: vault.key(),
        round: series.round,
        settlement_price: price,
        by_governance,
        payoff_reserved: owed,
        active_assets: vault.active_assets,
    });
    Ok(())
}
