//! Loading a margin account's health from the banks and feeds passed as
//! remaining accounts: a `[bank, feed]` pair for every active position
//! (`[bank, feed, vault, vault's feed]` for a bank of option-vault
//! shares: the vault's own feed says whether its Greeks mark is still
//! fresh by spot), in any order (extra entries, e.g. for a position an
//! action just emptied, are ignored). This walks the accounts and checks
//! owners, types and keys; the valuation itself is `crate::valuation`,
//! the same pure code a client runs on the accounts it fetched.

use anchor_lang::prelude::*;
use pricing::state::PriceFeed;
use vault::state::Vault;

use crate::errors::MarginError;
use crate::state::{Bank, MarginAccount};
use crate::valuation::{self, Loaded, Valuation};
pub use crate::valuation::{mark_spot, AccountHealth, PricedBank, Requirement};

pub fn account_health<'info>(
    account: &MarginAccount,
    remaining: &'info [AccountInfo<'info>],
    clock: &Clock,
    requirement: Requirement,
) -> Result<AccountHealth> {
    let mut valuation = Valuation::new(requirement);
    for position in account.active() {
        let entry = health_entries(remaining)
            .find(|e| e.bank.key() == position.bank)
            .ok_or(MarginError::HealthAccountsMismatch)?;
        // Owner and discriminator checked by the loaders.
        let bank = Account::<Bank>::try_from(entry.bank)?;
        require_keys_eq!(entry.feed.key(), bank.feed, MarginError::WrongFeed);
        let share_nav = match entry.share_vault {
            Some(s) if bank.is_share_bank() => Some(load_share_nav(&bank, s, clock)?),
            _ => None,
        };
        let feed = AccountLoader::<PriceFeed>::try_from(entry.feed)?;
        let feed = feed.load()?;
        let loaded = Loaded {
            key: bank.key(),
            bank: &bank,
            feed: &feed,
            share_nav,
        };
        valuation.add(position, loaded, clock)?;
    }
    valuation.finish()
}

/// A share bank's NAV per share from its vault (key, owner and type
/// checked) and the vault's own feed (key, owner and type checked). In a
/// frame of its own: the vault is read onto the stack here and gone before
/// the valuation runs (no heap, which is never freed on chain).
#[inline(never)]
fn load_share_nav<'info>(
    bank: &Bank,
    share: ShareVault<'info, 'info>,
    clock: &Clock,
) -> Result<u128> {
    let vault = load_vault(bank, share.vault)?;
    let feed = share.feed.ok_or(MarginError::HealthAccountsMismatch)?;
    require_keys_eq!(feed.key(), vault.feed, MarginError::HealthAccountsMismatch);
    let feed = AccountLoader::<PriceFeed>::try_from(feed)?;
    let nav = valuation::share_nav(bank, &vault, &*feed.load()?, clock)?;
    Ok(nav)
}

/// The vault of a share bank, key, owner and type checked.
fn load_vault(bank: &Bank, info: &AccountInfo) -> Result<Vault> {
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
    Vault::try_deserialize(&mut &data[..])
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
/// share, WAD; see `Vault::nav_per_share`) from the vault account (key,
/// owner and type checked); None for an ordinary token. `vault_spot` reads
/// the vault's underlying now from the vault's own feed (the caller checks
/// it is that feed).
pub fn share_nav(
    bank: &Bank,
    vault_info: Option<&AccountInfo>,
    vault_spot: impl FnOnce(&Vault) -> Result<Option<u128>>,
    now: i64,
) -> Result<Option<u128>> {
    if !bank.is_share_bank() {
        return Ok(None);
    }
    let vault = load_vault(bank, vault_info.ok_or(MarginError::HealthAccountsMismatch)?)?;
    let spot = vault_spot(&vault)?;
    Ok(Some(vault.nav_per_share(now, spot)?))
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
