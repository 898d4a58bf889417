use anchor_lang::prelude::*;
use pricing::read::{last_valid_twap, to_wad};
use pricing::state::PriceFeed;

use risk_math::fixed::mul_div;
use risk_math::{Rounding, WAD};

use crate::errors::MarginError;
use crate::events::SettlementPriceFixed;
use crate::health::share_nav;
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
/// in this bank settles at, the feed's last valid TWAP. One price for all,
/// fixed once, so no settler can pick a moment, and a feed halted by an
/// attack still yields the price its sources last agreed on.
#[access_control(ctx.accounts.validate())]
pub fn handle_fix_settlement_price(ctx: Context<FixSettlementPrice>) -> Result<()> {
    let twap = last_valid_twap(&*ctx.accounts.feed.load()?)?;
    let asset_price = to_wad(twap.price, twap.expo)?;
    let vault_info = ctx.accounts.share_vault.as_ref().map(|v| v.as_ref());
    let now = Clock::get()?.unix_timestamp;
    let price = match share_nav(&ctx.accounts.bank, vault_info, now)? {
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
