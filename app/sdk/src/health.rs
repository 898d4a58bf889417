//! A margin account's health as the program computes it, from accounts a
//! client fetched: the margin program's own pure valuation
//! (`margin::valuation`) fed by a lookup instead of remaining accounts.
//! The CLI's `margin health`, the keeper's liquidation candidates and the
//! simulator all value accounts through here, so they agree with the
//! program to the token unit.

use anchor_lang::prelude::{Clock, Pubkey};
use margin::state::{Bank, MarginAccount};
pub use margin::valuation::{AccountHealth, PricedBank, Requirement};
use margin::valuation::{Loaded, Valuation};
use pricing::state::PriceFeed;
use vault::state::Vault;

use crate::errors::program_error;
use crate::margin_ix::{HealthEntry, ShareVault};

/// Decoded accounts by address: what a valuation reads.
pub trait Lookup {
    fn bank_at(&self, key: &Pubkey) -> Option<&Bank>;
    fn feed_at(&self, key: &Pubkey) -> Option<&PriceFeed>;
    fn vault_at(&self, key: &Pubkey) -> Option<&Vault>;
}

/// `account`'s health under `requirement` at `clock`, exactly as the
/// margin program would compute it from these accounts.
pub fn value(
    account: &MarginAccount,
    accounts: &impl Lookup,
    clock: &Clock,
    requirement: Requirement,
) -> anyhow::Result<AccountHealth> {
    let mut valuation = Valuation::new(requirement);
    for position in account.active() {
        valuation
            .add(position, loaded(accounts, &position.bank, clock)?, clock)
            .map_err(|e| refused(e, &position.bank))?;
    }
    valuation
        .finish()
        .map_err(|e| anyhow::anyhow!("valuing the account: {}", named(&e)))
}

/// A valuation the program refused, with the program's error by name
/// (`pricing::FeedHalted (6028): ...`) when shown: the keeper and the
/// simulator value every account each round and drop most refusals
/// unread, so the words are made only for a reader.
#[derive(Debug)]
struct Refused {
    bank: Pubkey,
    error: anchor_lang::error::Error,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "valuing the position in bank {}: {}",
            self.bank,
            named(&self.error)
        )
    }
}

impl std::error::Error for Refused {}

fn refused(error: anchor_lang::error::Error, bank: &Pubkey) -> anyhow::Error {
    anyhow::Error::new(Refused { bank: *bank, error })
}

fn named(e: &anchor_lang::error::Error) -> String {
    match e {
        anchor_lang::error::Error::AnchorError(a) => {
            let code = a.error_code_number;
            match program_error(code) {
                Some((name, msg)) => format!("{name} ({code}): {msg}"),
                None => format!("{} ({code}): {}", a.error_name, a.error_msg),
            }
        }
        anchor_lang::error::Error::ProgramError(p) => p.to_string(),
    }
}

/// What `bank` is valued from, looked up and checked to belong together
/// (as the program's loader checks the remaining accounts), with a share
/// bank's NAV per share at `clock`.
pub fn loaded<'a>(
    accounts: &'a impl Lookup,
    key: &Pubkey,
    clock: &Clock,
) -> anyhow::Result<Loaded<'a>> {
    let bank = accounts
        .bank_at(key)
        .ok_or_else(|| anyhow::anyhow!("bank {key} is not loaded"))?;
    let feed = accounts
        .feed_at(&bank.feed)
        .ok_or_else(|| anyhow::anyhow!("feed {} of bank {key} is not loaded", bank.feed))?;
    let share_nav = match share_vault(accounts, bank)? {
        Some(s) => {
            let vault = accounts
                .vault_at(&s.vault)
                .ok_or_else(|| anyhow::anyhow!("vault {} is not loaded", s.vault))?;
            let vault_feed = accounts.feed_at(&s.feed).ok_or_else(|| {
                anyhow::anyhow!("feed {} of vault {} is not loaded", s.feed, s.vault)
            })?;
            let nav = margin::valuation::share_nav(bank, vault, vault_feed, clock)
                .map_err(|e| refused(e, key))?;
            Some(nav)
        }
        None => None,
    };
    Ok(Loaded {
        key: *key,
        bank,
        feed,
        share_nav,
    })
}

/// A share bank's vault and the vault's feed; None for an ordinary token.
fn share_vault(accounts: &impl Lookup, bank: &Bank) -> anyhow::Result<Option<ShareVault>> {
    if !bank.is_share_bank() {
        return Ok(None);
    }
    let vault = accounts
        .vault_at(&bank.share_vault)
        .ok_or_else(|| anyhow::anyhow!("vault {} is not loaded", bank.share_vault))?;
    Ok(Some(ShareVault {
        vault: bank.share_vault,
        feed: vault.feed,
    }))
}

/// The remaining accounts the program's health check needs for every bank
/// `account` uses plus `also`: `[bank, feed]`, and for a bank of vault
/// shares `[bank, feed, vault, vault's feed]`. Banks not loaded are left
/// out (the program then names the mismatch).
pub fn entries(
    accounts: &impl Lookup,
    account: Option<&MarginAccount>,
    also: &[Pubkey],
) -> Vec<HealthEntry> {
    let mut banks: Vec<Pubkey> = account
        .map(|a| a.active().map(|p| p.bank).collect())
        .unwrap_or_default();
    for b in also {
        if !banks.contains(b) {
            banks.push(*b);
        }
    }
    banks
        .iter()
        .filter_map(|k| {
            let bank = accounts.bank_at(k)?;
            Some(HealthEntry {
                bank: *k,
                feed: bank.feed,
                share_vault: share_vault(accounts, bank).ok()?,
            })
        })
        .collect()
}

/// One position valued alone, for display and for choosing what to
/// liquidate: tokens with interest to now, the spot the valuation priced
/// it at and its weighted values (WAD quote).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositionValue {
    pub bank: Pubkey,
    pub decimals: u8,
    pub deposit: u64,
    pub debt: u64,
    /// Spot price of one token, WAD quote (a vault share at its NAV).
    pub spot: u128,
    /// The deposit after its haircut.
    pub weighted_collateral: u128,
    /// The debt marked up by its ratio.
    pub weighted_debt: u128,
}

/// Every active position of `account`, each through the same valuation as
/// the whole account (so a position's weighted values are what it adds to
/// the account's health, a Restricted feed's worse-of aside).
pub fn positions(
    account: &MarginAccount,
    accounts: &impl Lookup,
    clock: &Clock,
    requirement: Requirement,
) -> anyhow::Result<Vec<PositionValue>> {
    let now = clock.unix_timestamp;
    account
        .active()
        .map(|position| {
            let loaded = loaded(accounts, &position.bank, clock)?;
            let mut valuation = Valuation::new(requirement);
            let named = |e| refused(e, &position.bank);
            valuation.add(position, loaded, clock).map_err(named)?;
            let h = valuation.finish().map_err(named)?;
            let bank = loaded.bank.projected(now).map_err(named)?;
            Ok(PositionValue {
                bank: position.bank,
                decimals: bank.decimals,
                deposit: bank
                    .deposit_tokens(position.deposit_shares)
                    .map_err(named)?,
                debt: bank.debt_tokens(position.borrow_scaled).map_err(named)?,
                spot: h.priced[0].spot,
                weighted_collateral: h.health.assets,
                weighted_debt: h.health.liabilities,
            })
        })
        .collect()
}

/// `accounts` seen through a hypothetical change: one bank or one feed
/// replaced by a copy (what an action would leave, or a price to try).
struct Overlay<'a, L: Lookup> {
    inner: &'a L,
    bank: Option<(Pubkey, Bank)>,
    feed: Option<(Pubkey, PriceFeed)>,
}

impl<L: Lookup> Lookup for Overlay<'_, L> {
    fn bank_at(&self, key: &Pubkey) -> Option<&Bank> {
        match &self.bank {
            Some((k, b)) if k == key => Some(b),
            _ => self.inner.bank_at(key),
        }
    }

    fn feed_at(&self, key: &Pubkey) -> Option<&PriceFeed> {
        match &self.feed {
            Some((k, f)) if k == key => Some(f),
            _ => self.inner.feed_at(key),
        }
    }

    fn vault_at(&self, key: &Pubkey) -> Option<&Vault> {
        self.inner.vault_at(key)
    }
}

/// Bisection of `lo..hi` on a predicate that holds at `lo` and not at
/// `hi` (true up to some point, false after): the last point it holds and
/// the first it does not, adjacent.
fn bisect(
    (mut lo, mut hi): (u64, u64),
    mut holds: impl FnMut(u64) -> anyhow::Result<bool>,
) -> anyhow::Result<(u64, u64)> {
    while lo + 1 < hi {
        let mid = lo + (hi - lo) / 2;
        if holds(mid)? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok((lo, hi))
}

/// [`bisect`] starting from a guess `near` of where the predicate flips:
/// steps doubling away from it until the flip is bracketed, then bisects
/// the bracket, so a guess `d` off costs about 2·log2(d) evaluations.
fn bisect_near(
    (lo, hi): (u64, u64),
    near: Option<u64>,
    mut holds: impl FnMut(u64) -> anyhow::Result<bool>,
) -> anyhow::Result<(u64, u64)> {
    let Some(guess) = near.filter(|_| lo + 1 < hi) else {
        return bisect((lo, hi), holds);
    };
    let guess = guess.clamp(lo + 1, hi - 1);
    let mut step = 1u64;
    if holds(guess)? {
        let mut at = guess;
        loop {
            let next = at.saturating_add(step).min(hi);
            if next == hi || !holds(next)? {
                return bisect((at, next), holds);
            }
            (at, step) = (next, step.saturating_mul(2));
        }
    } else {
        let mut at = guess;
        loop {
            let next = at.saturating_sub(step).max(lo);
            if next == lo || holds(next)? {
                return bisect((next, at), holds);
            }
            (at, step) = (next, step.saturating_mul(2));
        }
    }
}

/// The largest `amount` in `0..=hi` for which `fits` holds, `fits` being
/// monotone (true up to some amount, false after) and true at 0.
fn largest(hi: u64, fits: impl Fn(u64) -> bool) -> u64 {
    if fits(hi) {
        return hi;
    }
    bisect((0, hi), |amount| Ok(fits(amount))).map_or(0, |(lo, _)| lo)
}

/// The most of `bank_key`'s token the account could borrow now, as the
/// program would decide it: the borrow applied to copies of the account and
/// the bank by the program's own bookkeeping (`Bank::borrow_netted`: own
/// deposit first, liquidity and borrow cap), and the result valued by the
/// program's valuation against the initial requirement; the amount by
/// bisection.
pub fn max_borrow(
    account: &MarginAccount,
    accounts: &impl Lookup,
    clock: &Clock,
    bank_key: Pubkey,
) -> anyhow::Result<u64> {
    let bank = accounts
        .bank_at(&bank_key)
        .ok_or_else(|| anyhow::anyhow!("no bank {bank_key}"))?;
    if bank.is_share_bank() {
        return Ok(0);
    }
    // At most the account's own deposit plus what the bank can still lend.
    let own = account
        .existing(&bank_key)
        .map_or(Ok(0), |p| bank.deposit_tokens(p.deposit_shares))?;
    let lendable = bank
        .params
        .borrow_cap
        .saturating_sub(bank.total_borrows()?)
        .min(bank.total_deposits.saturating_sub(bank.total_borrows()?));
    Ok(largest(own.saturating_add(lendable), |amount| {
        amount == 0
            || after(account, accounts, clock, bank_key, |a, b| {
                b.borrow_netted(a.position_mut(&bank_key)?, amount)
            })
    }))
}

/// The most of the account's deposit in `bank_key` it could withdraw now
/// and still meet its initial requirement (all of it without debt).
pub fn max_withdraw(
    account: &MarginAccount,
    accounts: &impl Lookup,
    clock: &Clock,
    bank_key: Pubkey,
) -> anyhow::Result<u64> {
    let bank = accounts
        .bank_at(&bank_key)
        .ok_or_else(|| anyhow::anyhow!("no bank {bank_key}"))?;
    let worth = account
        .existing(&bank_key)
        .map_or(Ok(0), |p| bank.deposit_tokens(p.deposit_shares))?;
    Ok(largest(worth, |amount| {
        amount == 0
            || after(account, accounts, clock, bank_key, |a, b| {
                let p = a
                    .existing_mut(&bank_key)
                    .ok_or(margin::errors::MarginError::InsufficientDeposit)?;
                b.withdraw_from(p, amount)
            })
    }))
}

/// Whether the account still meets its initial requirement after `action`
/// on copies of it and of `bank_key`'s bank (an action the program's
/// bookkeeping refuses does not fit).
fn after(
    account: &MarginAccount,
    accounts: &impl Lookup,
    clock: &Clock,
    bank_key: Pubkey,
    action: impl FnOnce(&mut MarginAccount, &mut Bank) -> anchor_lang::Result<()>,
) -> bool {
    let (mut a, Some(mut b)) = (account.clone(), accounts.bank_at(&bank_key).cloned()) else {
        return false;
    };
    if action(&mut a, &mut b).is_err() {
        return false;
    }
    if !a.has_debt() {
        return true;
    }
    let overlay = Overlay {
        inner: accounts,
        bank: Some((bank_key, b)),
        feed: None,
    };
    value(&a, &overlay, clock, Requirement::Initial).is_ok_and(|h| h.health.is_healthy())
}

/// The price of `feed_key` (in the feed's own exponent) at which the
/// account would fall below its maintenance requirement, every other
/// price as it is now; `None` when no price of this feed makes it
/// liquidatable (it is not exposed to it, or it is liquidatable already).
/// The feed's spot and confidence move together, as a market move would.
pub fn liquidation_price(
    account: &MarginAccount,
    accounts: &impl Lookup,
    clock: &Clock,
    feed_key: Pubkey,
) -> anyhow::Result<Option<u64>> {
    liquidation_price_with(account, accounts, clock, feed_key, None, None)
}

/// [`liquidation_price`] were the bank `bank_key`'s effective maintenance
/// ratio `ratio` (WAD) instead: what a different maintenance base would
/// make of the account (the risk agent's question). `near` is a guess of
/// the answer: the search starts there, so a good guess (the price at a
/// neighbouring ratio, scaled) costs a few valuations instead of forty.
pub fn liquidation_price_at_maint_ratio(
    account: &MarginAccount,
    accounts: &impl Lookup,
    clock: &Clock,
    feed_key: Pubkey,
    (bank_key, ratio): (Pubkey, u64),
    near: Option<u64>,
) -> anyhow::Result<Option<u64>> {
    let bank = at_maint_ratio(accounts, bank_key, ratio)?;
    liquidation_price_with(account, accounts, clock, feed_key, Some(bank), near)
}

/// A copy of the bank `bank_key` whose effective maintenance ratio is `ratio`.
fn at_maint_ratio(
    accounts: &impl Lookup,
    bank_key: Pubkey,
    ratio: u64,
) -> anyhow::Result<(Pubkey, Bank)> {
    let mut bank = accounts
        .bank_at(&bank_key)
        .ok_or_else(|| anyhow::anyhow!("no bank {bank_key}"))?
        .clone();
    bank.effective_maint_ratio = ratio;
    Ok((bank_key, bank))
}

/// Whether `account` meets its maintenance requirement were the bank
/// `bank_key`'s effective maintenance ratio `ratio` (WAD), and, given,
/// `feed_key`'s price `price` (its confidence moving with it, as in a
/// market move): the one what-if valuation behind the risk agent's and
/// the liquidation price's questions.
pub fn healthy_at_maint_ratio(
    account: &MarginAccount,
    accounts: &impl Lookup,
    clock: &Clock,
    (bank_key, ratio): (Pubkey, u64),
    price: Option<(Pubkey, u64)>,
) -> anyhow::Result<bool> {
    let bank = Some(at_maint_ratio(accounts, bank_key, ratio)?);
    healthy_with(account, accounts, clock, bank.as_ref(), price)
}

fn healthy_with(
    account: &MarginAccount,
    accounts: &impl Lookup,
    clock: &Clock,
    bank: Option<&(Pubkey, Bank)>,
    price: Option<(Pubkey, u64)>,
) -> anyhow::Result<bool> {
    let feed = match price {
        Some((feed_key, price)) => {
            let feed = *accounts
                .feed_at(&feed_key)
                .ok_or_else(|| anyhow::anyhow!("no feed {feed_key}"))?;
            let mut moved = feed;
            moved.conf = (u128::from(feed.conf) * u128::from(price) / u128::from(feed.price.max(1)))
                .min(u128::from(u64::MAX)) as u64;
            moved.price = price.max(1);
            Some((feed_key, moved))
        }
        None => None,
    };
    let overlay = Overlay {
        inner: accounts,
        bank: bank.cloned(),
        feed,
    };
    Ok(value(account, &overlay, clock, Requirement::Maintenance)?
        .health
        .is_healthy())
}

fn liquidation_price_with(
    account: &MarginAccount,
    accounts: &impl Lookup,
    clock: &Clock,
    feed_key: Pubkey,
    bank: Option<(Pubkey, Bank)>,
    near: Option<u64>,
) -> anyhow::Result<Option<u64>> {
    let spot = accounts
        .feed_at(&feed_key)
        .ok_or_else(|| anyhow::anyhow!("no feed {feed_key}"))?
        .price;
    let healthy_at = |price: u64| {
        healthy_with(
            account,
            accounts,
            clock,
            bank.as_ref(),
            Some((feed_key, price)),
        )
    };
    if !healthy_at(spot)? {
        return Ok(None);
    }
    // Long the feed's token: liquidatable below some price; short it: above.
    let top = spot.saturating_mul(1_000);
    let (low, high) = (healthy_at(1)?, healthy_at(top)?);
    match (low, high) {
        (true, true) => Ok(None),
        (false, _) => {
            // Healthy at spot, not at 1: the largest price below spot that fails.
            let (lo, _) = bisect_near((1, spot), near, |p| healthy_at(p).map(|h| !h))?;
            Ok(Some(lo))
        }
        (true, false) => {
            // Short the token: the smallest price above spot that fails.
            let (_, hi) = bisect_near((spot, top), near, healthy_at)?;
            Ok(Some(hi))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From any guess, in or out of the range, the search finds the flip
    /// plain bisection finds; a guess two off costs a handful of
    /// evaluations where bisection of 2^40 costs forty.
    #[test]
    fn a_guess_finds_the_same_flip_for_fewer_valuations() {
        for flip in [1u64, 2, 57, 1_000, 999_999, 1_000_000] {
            for guess in [
                None,
                Some(0),
                Some(1),
                Some(flip),
                Some(flip + 3),
                Some(u64::MAX),
            ] {
                let found = bisect_near((0, 1_000_000), guess, |p| Ok(p < flip)).unwrap();
                assert_eq!(found, (flip - 1, flip), "flip {flip}, guess {guess:?}");
            }
        }
        let flip = 123_456_789;
        let mut calls = 0;
        let found = bisect_near((0, 1 << 40), Some(flip + 2), |p| {
            calls += 1;
            Ok(p < flip)
        })
        .unwrap();
        assert_eq!(found, (flip - 1, flip));
        assert!(calls <= 6, "{calls} evaluations");
    }
}
