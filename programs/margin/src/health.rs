//! Health of a margin account, read from the banks and feeds passed as
//! remaining accounts: a `[bank, feed]` pair for every active position, in
//! any order (extra pairs, e.g. for a position an action just emptied, are
//! ignored). Prices come only through pricing's `read_feed` (owner,
//! discriminator, freshness, status and pause checked).
//!
//! - Initial requirement (opening risk): deposits at min(spot, TWAP,
//!   spot - k·conf), borrows at max(spot, TWAP, spot + k·conf), initial
//!   haircuts and ratios, refused on reduce-only feeds.
//! - Maintenance requirement (liquidation): spot prices, maintenance
//!   haircuts widened and borrows weighted by each bank's current adaptive
//!   ratio (see `Bank::maint_asset_haircut`); reduce-only feeds are
//!   fine (liquidation reduces risk), halted ones are not.

use anchor_lang::prelude::*;
use pricing::read::{read_feed, to_wad, ReadPolicy};
use pricing::state::pause;
use risk_math::margin::{conservative_prices, health, Balance, Health, PriceInput};

use crate::errors::MarginError;
use crate::state::{Bank, MarginAccount, MAX_POSITIONS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    Initial,
    Maintenance,
}

/// The spot price a health pass read for one position's bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PricedBank {
    pub bank: Pubkey,
    pub spot: u128,
    pub decimals: u8,
}

pub struct AccountHealth {
    pub health: Health,
    pub priced: [PricedBank; MAX_POSITIONS],
}

impl AccountHealth {
    pub fn priced(&self, bank: &Pubkey) -> Option<&PricedBank> {
        self.priced.iter().find(|p| &p.bank == bank)
    }
}

pub fn account_health<'info>(
    account: &MarginAccount,
    remaining: &'info [AccountInfo<'info>],
    clock: &Clock,
    requirement: Requirement,
) -> Result<AccountHealth> {
    require!(
        remaining.len() % 2 == 0,
        MarginError::HealthAccountsMismatch
    );
    let empty = Balance {
        amount: 0,
        decimals: 0,
        price: 0,
        is_liability: false,
        haircut_or_ratio: 0,
    };
    let mut balances = [empty; 2 * MAX_POSITIONS];
    let mut priced = [PricedBank::default(); MAX_POSITIONS];
    let mut n = 0;
    for (i, position) in account.active().enumerate() {
        let pair = remaining
            .chunks_exact(2)
            .find(|pair| pair[0].key() == position.bank)
            .ok_or(MarginError::HealthAccountsMismatch)?;
        let (bank_info, feed_info) = (&pair[0], &pair[1]);
        let bank = Account::<Bank>::try_from(bank_info)?;
        require_keys_eq!(feed_info.key(), bank.feed, MarginError::WrongFeed);
        let maintenance = requirement == Requirement::Maintenance;
        let policy = ReadPolicy {
            max_age_secs: bank.params.max_price_age_secs,
            allow_reduce_only: maintenance,
            twap_window_secs: 0,
            require_twap: false,
            operation: if maintenance {
                pause::LIQUIDATION
            } else {
                pause::RISK_INCREASE
            },
        };
        let reading = read_feed(feed_info, clock, &policy)?;
        let spot = to_wad(reading.price, reading.expo)?;
        priced[i] = PricedBank {
            bank: bank.key(),
            spot,
            decimals: bank.decimals,
        };
        let (asset_price, liability_price, haircut, ratio) = if maintenance {
            (
                spot,
                spot,
                bank.maint_asset_haircut(),
                bank.maint_liability_ratio(),
            )
        } else {
            let input = PriceInput {
                spot,
                twap: reading.twap.map(|t| to_wad(t, reading.expo)).transpose()?,
                conf: to_wad(reading.conf, reading.expo)?,
            };
            let (a, l) = conservative_prices(&input, bank.params.conf_mult as u128)
                .map_err(MarginError::from)?;
            (
                a,
                l,
                bank.params.asset_haircut_init as u128,
                bank.params.liability_ratio_init as u128,
            )
        };
        let deposits = bank.deposit_tokens(position.deposit_shares)?;
        if deposits > 0 {
            balances[n] = Balance {
                amount: deposits,
                decimals: bank.decimals,
                price: asset_price,
                is_liability: false,
                haircut_or_ratio: haircut,
            };
            n += 1;
        }
        if position.borrows > 0 {
            balances[n] = Balance {
                amount: position.borrows,
                decimals: bank.decimals,
                price: liability_price,
                is_liability: true,
                haircut_or_ratio: ratio,
            };
            n += 1;
        }
    }
    let health = health(&balances[..n]).map_err(MarginError::from)?;
    Ok(AccountHealth { health, priced })
}

/// Fail unless the account meets its initial requirement; returns the margin.
pub fn require_initial_health<'info>(
    account: &MarginAccount,
    remaining: &'info [AccountInfo<'info>],
    clock: &Clock,
) -> Result<i128> {
    let h = account_health(account, remaining, clock, Requirement::Initial)?.health;
    require!(h.is_healthy(), MarginError::InsufficientHealth);
    Ok(h.margin())
}
