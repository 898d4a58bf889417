//! Health of a margin account, read from the banks and feeds passed as
//! remaining accounts: a `[bank, feed]` pair for every active position
//! (`[bank, feed, vault, vault's feed]` for a bank of option-vault
//! shares: the vault's own feed says whether its Greeks mark is still
//! fresh by spot), in any order
//! (extra entries, e.g. for a position an action just emptied, are
//! ignored). Prices come only through pricing's `read_feed` (owner,
//! discriminator, freshness, status and pause checked); a vault share is
//! priced at its vault's NAV per share times its asset's price.
//!
//! - Initial requirement (opening risk): deposits at min(spot, TWAP,
//!   spot - k·conf), borrows at max(spot, TWAP, spot + k·conf), initial
//!   haircuts and ratios; refused on Restricted feeds.
//! - Debt is valued with interest accrued to now, deposits with the
//!   interest lenders earned to now: a borrower who never acts still
//!   drifts toward liquidation as interest grows.
//! - Maintenance requirement (liquidation): spot prices (with a Restricted
//!   feed among the positions, the worse of the whole account at spot and
//!   the whole account at TWAP),
//!   maintenance haircuts widened and borrows weighted by each bank's
//!   current adaptive ratio (see `Bank::maint_asset_haircut`); Restricted
//!   feeds are fine (liquidation reduces risk), halted ones are not.

use anchor_lang::prelude::*;
use pricing::read::{read_feed, read_loaded, to_wad, ReadPolicy};
use pricing::state::{pause, PriceFeed};
use risk_math::breaker::Status;
use risk_math::fixed::mul_div;
use risk_math::margin::{
    conservative_prices, health, health_at_worse_of, Balance, Health, PriceInput,
};
use risk_math::{Rounding, WAD};
use vault::state::Vault;

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
    let empty = Balance {
        amount: 0,
        decimals: 0,
        price: 0,
        is_liability: false,
        haircut_or_ratio: 0,
    };
    let mut balances = [empty; 2 * MAX_POSITIONS];
    let mut priced = [PricedBank::default(); MAX_POSITIONS];
    // Each balance's price at its feed's TWAP, for a Restricted feed's
    // second look (see below).
    let mut alternative = [0u128; 2 * MAX_POSITIONS];
    let mut restricted = false;
    let mut n = 0;
    for (i, position) in account.active().enumerate() {
        let entry = health_entries(remaining)
            .find(|e| e.bank.key() == position.bank)
            .ok_or(MarginError::HealthAccountsMismatch)?;
        let mut bank = Account::<Bank>::try_from(entry.bank)?;
        // Debt and deposits with interest to now, as an accrual now would
        // store them (this copy is never written back).
        if bank.accrues_at(clock.unix_timestamp) {
            bank.accrue(clock.unix_timestamp)?;
        }
        require_keys_eq!(entry.feed.key(), bank.feed, MarginError::WrongFeed);
        let vault_info = entry.share_vault.map(|s| s.vault);
        let vault_feed = entry.share_vault.and_then(|s| s.feed);
        let share_nav = share_nav(
            &bank,
            vault_info,
            |vault| {
                let feed = vault_feed.ok_or(MarginError::HealthAccountsMismatch)?;
                require_keys_eq!(feed.key(), vault.feed, MarginError::HealthAccountsMismatch);
                mark_spot(
                    &bank,
                    &*AccountLoader::<PriceFeed>::try_from(feed)?.load()?,
                    clock,
                )
            },
            clock.unix_timestamp,
        )?;
        let feed_info = entry.feed;
        let maintenance = requirement == Requirement::Maintenance;
        let policy = ReadPolicy {
            max_age_secs: bank.params.max_price_age_secs,
            allow_restricted: maintenance,
            twap_window_secs: 0,
            require_twap: false,
            operation: if maintenance {
                pause::LIQUIDATION
            } else {
                pause::RISK_INCREASE
            },
        };
        let reading = read_feed(feed_info, clock, &policy)?;
        let price = |mantissa: u64| -> Result<u128> {
            let asset = to_wad(mantissa, reading.expo)?;
            match share_nav {
                None => Ok(asset),
                Some(nav) => {
                    Ok(mul_div(asset, nav, WAD, Rounding::Down).map_err(MarginError::from)?)
                }
            }
        };
        let spot = price(reading.price)?;
        priced[i] = PricedBank {
            bank: bank.key(),
            spot,
            decimals: bank.decimals,
        };
        let input = PriceInput {
            spot,
            twap: reading.twap.map(price).transpose()?,
            conf: price(reading.conf)?,
        };
        let twap_or_spot = input.twap.unwrap_or(spot);
        restricted |= reading.status == Status::Restricted;
        let (asset_price, liability_price, haircut, ratio) = if maintenance {
            (
                spot,
                spot,
                bank.maint_asset_haircut(),
                bank.maint_liability_ratio(),
            )
        } else {
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
            alternative[n] = twap_or_spot;
            balances[n] = Balance {
                amount: deposits,
                decimals: bank.decimals,
                price: asset_price,
                is_liability: false,
                haircut_or_ratio: haircut,
            };
            n += 1;
        }
        if position.borrow_scaled > 0 {
            alternative[n] = twap_or_spot;
            balances[n] = Balance {
                amount: bank.debt_tokens(position.borrow_scaled)?,
                decimals: bank.decimals,
                price: liability_price,
                is_liability: true,
                haircut_or_ratio: ratio,
            };
            n += 1;
        }
    }
    // With a Restricted feed among them (a move not yet confirmed, or a
    // TWAP still catching up with one), maintenance takes the worse of the
    // account at spot and the account at TWAP: conservative, but on prices
    // that can hold together (assets at the lower and liabilities at the
    // higher of the two when one side is a stable quote). The confidence
    // band stays out of it: widened by an unconfirmed move, it would
    // liquidate accounts solvent at the price every source agrees on.
    let health = if restricted && requirement == Requirement::Maintenance {
        health_at_worse_of(&balances[..n], &alternative[..n])
    } else {
        health(&balances[..n])
    }
    .map_err(MarginError::from)?;
    Ok(AccountHealth { health, priced })
}

/// One position's accounts among the remaining accounts.
struct HealthEntry<'a, 'info> {
    bank: &'a AccountInfo<'info>,
    feed: &'a AccountInfo<'info>,
    share_vault: Option<ShareVault<'a, 'info>>,
}

/// A share bank's vault and the vault's own feed (its underlying).
#[derive(Clone, Copy)]
pub struct ShareVault<'a, 'info> {
    pub vault: &'a AccountInfo<'info>,
    pub feed: Option<&'a AccountInfo<'info>>,
}

/// Walk `[bank, feed]` pairs, each followed by its vault and the vault's
/// feed when the account after the feed belongs to the vault program
/// (banks belong to margin, feeds to pricing).
fn health_entries<'a, 'info>(
    remaining: &'a [AccountInfo<'info>],
) -> impl Iterator<Item = HealthEntry<'a, 'info>> {
    let mut i = 0;
    std::iter::from_fn(move || {
        let (bank, feed) = (remaining.get(i)?, remaining.get(i + 1)?);
        let share_vault = remaining
            .get(i + 2)
            .filter(|a| *a.owner == vault::ID)
            .map(|vault| ShareVault {
                vault,
                feed: remaining.get(i + 3),
            });
        i += if share_vault.is_some() { 4 } else { 2 };
        Some(HealthEntry {
            bank,
            feed,
            share_vault,
        })
    })
}

/// For a bank of vault shares, the vault's NAV per share (asset units per
/// share, WAD; options marked as `Vault::nav_per_share` says) from the
/// vault account (owner and type checked); None for an ordinary token.
/// `vault_spot` reads the vault's underlying now from the vault's own feed
/// (the caller checks it is that feed): the Greeks mark is trusted only
/// while fresh by spot, and a spot the feed refuses (stale, halted) means
/// the worst-case mark.
pub fn share_nav(
    bank: &Bank,
    vault_info: Option<&AccountInfo>,
    vault_spot: impl FnOnce(&Vault) -> Result<Option<u128>>,
    now: i64,
) -> Result<Option<u128>> {
    if !bank.is_share_bank() {
        return Ok(None);
    }
    let info = vault_info.ok_or(MarginError::HealthAccountsMismatch)?;
    require_keys_eq!(
        info.key(),
        bank.share_vault,
        MarginError::HealthAccountsMismatch
    );
    let data = info.try_borrow_data()?;
    require_keys_eq!(
        *info.owner,
        vault::ID,
        ErrorCode::AccountOwnedByWrongProgram
    );
    let vault = Vault::try_deserialize(&mut &data[..])?;
    let spot = vault_spot(&vault)?;
    Ok(Some(vault.nav_per_share(now, spot)?))
}

/// The vault's underlying now, from the vault's own feed (the caller
/// checks it is that feed), for the Greeks mark's freshness: read with the
/// share bank's age limit, as every price it reads; Restricted is fine
/// (marking sells nothing). None when the feed refuses a reading (stale,
/// halted): the mark is then not trusted.
pub fn mark_spot(bank: &Bank, feed: &PriceFeed, clock: &Clock) -> Result<Option<u128>> {
    let policy = ReadPolicy {
        max_age_secs: bank.params.max_price_age_secs,
        allow_restricted: true,
        twap_window_secs: 0,
        require_twap: false,
        operation: 0,
    };
    read_loaded(feed, clock, &policy)
        .ok()
        .map(|r| to_wad(r.price, r.expo))
        .transpose()
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
