use anchor_lang::prelude::*;
use pricing::read::{last_valid_twap, to_wad};
use pricing::state::PriceFeed;

use risk_math::fixed::mul_div;
use risk_math::{Rounding, WAD};

use crate::errors::MarginError;
use crate::events::SettlementPriceFixed;
use crate::health::{mark_spot, share_nav};
use crate::state::{Bank, MarginConfig};

#[derive(Accounts)]
pub struct FixSettlementPrice<'info> {
    #[account(seeds = [MarginConfig::SEED], bump = config.bump)]
    pub config: Box<Account<'info, MarginConfig>>,
    #[account(mut, seeds = [Bank::SEED, bank.mint.as_ref()], bump = bank.bump, has_one = feed @ MarginError::WrongFeed)]
    pub bank: Box<Account<'info, Bank>>,
    /// Owner and type checked by the loader.
    pub feed: AccountLoader<'info, PriceFeed>,
    /// For a bank of vault shares: its vault (a share settles at its NAV).
    pub share_vault: Option<UncheckedAccount<'info>>,
    /// With `share_vault`: the vault's own feed (owner and type checked by
    /// the loader), for its Greeks mark.
    pub share_vault_feed: Option<AccountLoader<'info, PriceFeed>>,
}

impl FixSettlementPrice<'_> {
    pub fn validate(&self) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        self.config.require_shutdown(now)?;
        require!(
            self.bank
                .current_settlement_price(self.config.shutdown_since)
                .is_err(),
            MarginError::SettlementPriceAlreadyFixed
        );
        Ok(())
    }
}

/// Permissionless, once per bank per shutdown: fix the price every position
/// in this bank settles at, the feed's last valid TWAP over the window
/// ending at the shutdown. One price for all, fixed once and for a moment
/// nobody chooses, so no settler (nor the first caller) can pick it, and a
/// feed halted by an attack still yields the price its sources last agreed on.
#[access_control(ctx.accounts.validate())]
pub fn handle_fix_settlement_price(ctx: Context<FixSettlementPrice>) -> Result<()> {
    let shutdown_since = ctx.accounts.config.shutdown_since;
    let twap = last_valid_twap(&*ctx.accounts.feed.load()?, shutdown_since)?;
    let asset_price = to_wad(twap.price, twap.expo)?;
    let vault_info = ctx.accounts.share_vault.as_ref().map(|v| v.as_ref());
    let clock = Clock::get()?;
    let bank = &ctx.accounts.bank;
    let vault_spot = |vault: &vault::state::Vault| -> Result<Option<u128>> {
        let feed = ctx
            .accounts
            .share_vault_feed
            .as_ref()
            .ok_or(MarginError::HealthAccountsMismatch)?;
        require_keys_eq!(feed.key(), vault.feed, MarginError::HealthAccountsMismatch);
        let spot = mark_spot(bank, &*feed.load()?, &clock)?;
        // One share price fixed for the whole wind-down: never the
        // worst-case mark a stale cache falls back to, which a caller could
        // wait for. Anyone refreshes the Greeks (`update_greeks`) first.
        require!(
            vault.options_sold == 0
                || vault
                    .greeks
                    .is_fresh(spot, clock.unix_timestamp, &vault.params)?,
            MarginError::ShareMarkStale
        );
        Ok(spot)
    };
    let price = match share_nav(bank, vault_info, vault_spot, clock.unix_timestamp)? {
        None => asset_price,
        Some(nav) => mul_div(asset_price, nav, WAD, Rounding::Down).map_err(MarginError::from)?,
    };
    require!(price > 0, pricing::errors::PricingError::TwapUnavailable);
    let bank = &mut ctx.accounts.bank;
    bank.settlement_price = price;
    bank.settlement_fixed_at = Clock::get()?.unix_timestamp;
    emit!(SettlementPriceFixed {
        bank: bank.key(),
        price,
        twap_ends_at: twap.ends_at,
    });
    Ok(())
}
