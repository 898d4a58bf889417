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
        .map_err(|e| anyhow::anyhow!("valuing the account: {}", named(e)))
}

/// A valuation the program would refuse, with the program's error by name
/// (`pricing::FeedHalted (6028): ...`).
fn refused(e: anchor_lang::error::Error, bank: &Pubkey) -> anyhow::Error {
    anyhow::anyhow!("valuing the position in bank {bank}: {}", named(e))
}

fn named(e: anchor_lang::error::Error) -> String {
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
