//! Initial-requirement health of a margin account, read from the banks and
//! feeds passed as remaining accounts: `[bank, feed]` for every active
//! position, in position order. Prices come only through pricing's
//! `read_feed` (owner, discriminator, freshness, status and pause checked),
//! valued conservatively: deposits at min(spot, TWAP, spot - k·conf),
//! borrows at max(spot, TWAP, spot + k·conf).

use anchor_lang::prelude::*;
use pricing::read::{read_feed, ReadPolicy};
use pricing::state::pause;
use risk_math::fixed::pow10;
use risk_math::margin::{conservative_prices, health, Balance, Health, PriceInput};

use crate::errors::MarginError;
use crate::state::{Bank, MarginAccount, MAX_POSITIONS};

/// Mantissa at 10^expo as WAD.
fn to_wad(mantissa: u64, expo: i32) -> Result<u128> {
    let scale = pow10((18 + expo).max(0) as u32).map_err(MarginError::from)?;
    Ok((mantissa as u128)
        .checked_mul(scale)
        .ok_or(MarginError::MathOverflow)?)
}

pub fn initial_health<'info>(
    account: &MarginAccount,
    remaining: &'info [AccountInfo<'info>],
    clock: &Clock,
) -> Result<Health> {
    let active = account.active().count();
    require!(
        remaining.len() == 2 * active,
        MarginError::HealthAccountsMismatch
    );
    let mut balances = [Balance {
        amount: 0,
        decimals: 0,
        price: 0,
        is_liability: false,
        haircut_or_ratio: 0,
    }; 2 * MAX_POSITIONS];
    let mut n = 0;
    for (position, pair) in account.active().zip(remaining.chunks_exact(2)) {
        let (bank_info, feed_info) = (&pair[0], &pair[1]);
        require_keys_eq!(
            bank_info.key(),
            position.bank,
            MarginError::HealthAccountsMismatch
        );
        let bank = Account::<Bank>::try_from(bank_info)?;
        require_keys_eq!(feed_info.key(), bank.feed, MarginError::WrongFeed);
        let policy = ReadPolicy {
            max_age_secs: bank.params.max_price_age_secs,
            allow_reduce_only: false,
            twap_window_secs: 0,
            require_twap: false,
            operation: pause::RISK_INCREASE,
        };
        let reading = read_feed(feed_info, clock, &policy)?;
        let price = PriceInput {
            spot: to_wad(reading.price, reading.expo)?,
            twap: reading.twap.map(|t| to_wad(t, reading.expo)).transpose()?,
            conf: to_wad(reading.conf, reading.expo)?,
        };
        let (asset_price, liability_price) =
            conservative_prices(&price, bank.params.conf_mult as u128)
                .map_err(MarginError::from)?;
        if position.deposits > 0 {
            balances[n] = Balance {
                amount: position.deposits,
                decimals: bank.decimals,
                price: asset_price,
                is_liability: false,
                haircut_or_ratio: bank.params.asset_haircut_init as u128,
            };
            n += 1;
        }
        if position.borrows > 0 {
            balances[n] = Balance {
                amount: position.borrows,
                decimals: bank.decimals,
                price: liability_price,
                is_liability: true,
                haircut_or_ratio: bank.params.liability_ratio_init as u128,
            };
            n += 1;
        }
    }
    Ok(health(&balances[..n]).map_err(MarginError::from)?)
}

/// Fail unless the account meets its initial requirement; returns the margin.
pub fn require_initial_health<'info>(
    account: &MarginAccount,
    remaining: &'info [AccountInfo<'info>],
    clock: &Clock,
) -> Result<i128> {
    let h = initial_health(account, remaining, clock)?;
    require!(h.is_healthy(), MarginError::InsufficientHealth);
    Ok(h.margin())
}
