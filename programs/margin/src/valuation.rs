//! Health of a margin account as a pure function of what was loaded: the
//! account's positions, each position's bank, the bank's price feed and,
//! for a bank of option-vault shares, the vault and the vault's own feed.
//! No account walking and no owner or key checks here: the program's
//! loader (`health.rs`) does those on the remaining accounts, and a client
//! does its own on the accounts it fetched; both then call this, so what a
//! client shows or sizes is what the program will decide, to the token
//! unit.
//!
//! - Initial requirement (opening risk): deposits at min(spot, TWAP,
//!   spot - k·conf), borrows at max(spot, TWAP, spot + k·conf), initial
//!   haircuts and ratios; refused on Restricted feeds.
//! - Debt is valued with interest accrued to now, deposits with the
//!   interest lenders earned to now: a borrower who never acts still
//!   drifts toward liquidation as interest grows.
//! - Maintenance requirement (liquidation): spot prices (with a Restricted
//!   feed among the positions, the worse of the whole account at spot and
//!   the whole account at TWAP), maintenance haircuts widened and borrows
//!   weighted by each bank's current adaptive ratio (see
//!   `Bank::maint_asset_haircut`); Restricted feeds are fine (liquidation
//!   reduces risk), halted ones are not.
//! - A vault share is priced at its vault's NAV per share times its
//!   asset's price; the vault's Greeks mark counts only while fresh by age
//!   and by the vault's own feed (`Vault::nav_per_share`).

use anchor_lang::prelude::*;
use pricing::read::{read_loaded, to_wad, ReadPolicy};
use pricing::state::{pause, PriceFeed};
use risk_math::breaker::Status;
use risk_math::fixed::mul_div;
use risk_math::margin::{
    conservative_prices, health, health_at_worse_of, Balance, Health, PriceInput,
};
use risk_math::{Rounding, WAD};
use vault::state::Vault;

use crate::errors::MarginError;
use crate::state::{Bank, Position, MAX_POSITIONS};

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountHealth {
    pub health: Health,
    pub priced: [PricedBank; MAX_POSITIONS],
}

impl AccountHealth {
    pub fn priced(&self, bank: &Pubkey) -> Option<&PricedBank> {
        self.priced.iter().find(|p| &p.bank == bank)
    }
}

/// What one position is valued from, already loaded and checked to belong
/// together (the feed is the bank's, the vault the bank's share vault, the
/// vault feed the vault's).
#[derive(Clone, Copy)]
pub struct Loaded<'a> {
    pub key: Pubkey,
    /// The bank as stored: projected to now here, as an accrual now would
    /// leave it.
    pub bank: &'a Bank,
    pub feed: &'a PriceFeed,
    /// For a bank of vault shares: its vault's NAV per share (`share_nav`
    /// on the vault and the vault's own feed).
    pub share_nav: Option<u128>,
}

const EMPTY: Balance = Balance {
    amount: 0,
    decimals: 0,
    price: 0,
    is_liability: false,
    haircut_or_ratio: 0,
};

/// A health pass in progress: add every active position, then `finish`.
pub struct Valuation {
    requirement: Requirement,
    balances: [Balance; 2 * MAX_POSITIONS],
    /// Each balance's price at its feed's TWAP, for a Restricted feed's
    /// second look (see `finish`).
    alternative: [u128; 2 * MAX_POSITIONS],
    n: usize,
    restricted: bool,
    priced: [PricedBank; MAX_POSITIONS],
    positions: usize,
}

impl Valuation {
    pub fn new(requirement: Requirement) -> Self {
        Self {
            requirement,
            balances: [EMPTY; 2 * MAX_POSITIONS],
            alternative: [0; 2 * MAX_POSITIONS],
            n: 0,
            restricted: false,
            priced: [PricedBank::default(); MAX_POSITIONS],
            positions: 0,
        }
    }

    /// Value `position` from what was loaded for its bank.
    pub fn add(&mut self, position: &Position, loaded: Loaded, clock: &Clock) -> Result<()> {
        require!(
            self.positions < MAX_POSITIONS,
            MarginError::TooManyPositions
        );
        let now = clock.unix_timestamp;
        // Debt and deposits with interest to now (a copy, never written).
        let projected;
        let bank: &Bank = if loaded.bank.accrues_at(now) {
            projected = loaded.bank.projected(now)?;
            &projected
        } else {
            loaded.bank
        };
        let share_nav = if bank.is_share_bank() {
            Some(
                loaded
                    .share_nav
                    .ok_or(MarginError::HealthAccountsMismatch)?,
            )
        } else {
            None
        };
        let maintenance = self.requirement == Requirement::Maintenance;
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
        let reading = read_loaded(loaded.feed, clock, &policy)?;
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
        self.priced[self.positions] = PricedBank {
            bank: loaded.key,
            spot,
            decimals: bank.decimals,
        };
        self.positions += 1;
        let input = PriceInput {
            spot,
            twap: reading.twap.map(price).transpose()?,
            conf: price(reading.conf)?,
        };
        let twap_or_spot = input.twap.unwrap_or(spot);
        self.restricted |= reading.status == Status::Restricted;
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
            self.push(
                Balance {
                    amount: deposits,
                    decimals: bank.decimals,
                    price: asset_price,
                    is_liability: false,
                    haircut_or_ratio: haircut,
                },
                twap_or_spot,
            );
        }
        if position.borrow_scaled > 0 {
            self.push(
                Balance {
                    amount: bank.debt_tokens(position.borrow_scaled)?,
                    decimals: bank.decimals,
                    price: liability_price,
                    is_liability: true,
                    haircut_or_ratio: ratio,
                },
                twap_or_spot,
            );
        }
        Ok(())
    }

    fn push(&mut self, balance: Balance, alternative: u128) {
        self.balances[self.n] = balance;
        self.alternative[self.n] = alternative;
        self.n += 1;
    }

    /// The account's health over every position added.
    pub fn finish(&self) -> Result<AccountHealth> {
        let balances = &self.balances[..self.n];
        // With a Restricted feed among them (a move not yet confirmed, or a
        // TWAP still catching up with one), maintenance takes the worse of
        // the account at spot and the account at TWAP: conservative, but on
        // prices that can hold together (assets at the lower and
        // liabilities at the higher of the two when one side is a stable
        // quote). The confidence band stays out of it: widened by an
        // unconfirmed move, it would liquidate accounts solvent at the
        // price every source agrees on.
        let health = if self.restricted && self.requirement == Requirement::Maintenance {
            health_at_worse_of(balances, &self.alternative[..self.n])
        } else {
            health(balances)
        }
        .map_err(MarginError::from)?;
        Ok(AccountHealth {
            health,
            priced: self.priced,
        })
    }
}

/// A share's NAV (asset units per share, WAD; options marked as
/// `Vault::nav_per_share` says). The Greeks mark is trusted only while
/// fresh by spot, read from the vault's own feed; a spot that feed refuses
/// (stale, halted) means the worst-case mark.
pub fn share_nav(
    bank: &Bank,
    vault: &Vault,
    vault_feed: &PriceFeed,
    clock: &Clock,
) -> Result<u128> {
    let spot = mark_spot(bank, vault_feed, clock)?;
    vault.nav_per_share(clock.unix_timestamp, spot)
}

/// The vault's underlying now, from the vault's own feed, for the Greeks
/// mark's freshness: read with the share bank's age limit, as every price
/// it reads; Restricted is fine (marking sells nothing). None when the
/// feed refuses a reading (stale, halted): the mark is then not trusted.
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
