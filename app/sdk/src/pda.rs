//! Every program-derived address, in one place.

use std::cell::RefCell;
use std::collections::BTreeMap;

use anchor_lang::prelude::Pubkey;
use pricing::state::{ManualPrice, PriceFeed, ProtocolConfig};

/// (program, length-prefixed seeds) -> (address, bump).
type Derived = BTreeMap<(Pubkey, Vec<u8>), (Pubkey, u8)>;

thread_local! {
    /// Addresses already derived on this thread: a derivation hashes until
    /// it finds a bump off the curve, and a keeper or the simulator asks for
    /// the same few banks, feeds and vaults every transaction.
    static DERIVED: RefCell<Derived> = const { RefCell::new(BTreeMap::new()) };
}

/// `Pubkey::find_program_address`, remembered per thread (forgotten past
/// 65,536 addresses, so a long-lived process stays small).
fn derived(seeds: &[&[u8]], program: &Pubkey) -> (Pubkey, u8) {
    let mut key = Vec::with_capacity(seeds.iter().map(|s| s.len() + 1).sum());
    for seed in seeds {
        key.push(seed.len() as u8);
        key.extend_from_slice(seed);
    }
    let key = (*program, key);
    if let Some(found) = DERIVED.with(|d| d.borrow().get(&key).copied()) {
        return found;
    }
    let found = Pubkey::find_program_address(seeds, program);
    DERIVED.with(|d| {
        let mut d = d.borrow_mut();
        if d.len() >= 65_536 {
            d.clear();
        }
        d.insert(key, found);
    });
    found
}

pub fn protocol() -> Pubkey {
    derived(&[ProtocolConfig::SEED], &pricing::ID).0
}

/// Feed names are fixed 32-byte, zero-padded.
pub fn feed_name(name: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    let bytes = name.as_bytes();
    let n = bytes.len().min(32);
    out[..n].copy_from_slice(&bytes[..n]);
    out
}

pub fn feed(name: &str) -> Pubkey {
    derived(&[PriceFeed::SEED, &feed_name(name)], &pricing::ID).0
}

pub fn manual_price(feed: &Pubkey, seed_index: u8) -> Pubkey {
    derived(
        &[ManualPrice::SEED, feed.as_ref(), &[seed_index]],
        &pricing::ID,
    )
    .0
}

pub mod margin {
    use super::derived;
    use anchor_lang::prelude::Pubkey;
    use margin::state::{Bank, LiquidationProposal, MarginAccount, MarginConfig};

    pub fn config() -> Pubkey {
        derived(&[MarginConfig::SEED], &margin::ID).0
    }

    pub fn bank(mint: &Pubkey) -> Pubkey {
        derived(&[Bank::SEED, mint.as_ref()], &margin::ID).0
    }

    pub fn vault(bank: &Pubkey) -> Pubkey {
        derived(&[Bank::VAULT_SEED, bank.as_ref()], &margin::ID).0
    }

    pub fn insurance(bank: &Pubkey) -> Pubkey {
        derived(&[Bank::INSURANCE_SEED, bank.as_ref()], &margin::ID).0
    }

    /// The PDA margin registers as a consumer with backstop pools.
    pub fn backstop_authority() -> Pubkey {
        let seeds: &[&[u8]] = &[margin::instructions::BACKSTOP_AUTHORITY_SEED];
        derived(seeds, &margin::ID).0
    }

    pub fn proposal(account: &Pubkey, liability_bank: &Pubkey, collateral_bank: &Pubkey) -> Pubkey {
        let seeds: &[&[u8]] = &[
            LiquidationProposal::SEED,
            account.as_ref(),
            liability_bank.as_ref(),
            collateral_bank.as_ref(),
        ];
        derived(seeds, &margin::ID).0
    }

    pub fn account(owner: &Pubkey, index: u8) -> Pubkey {
        derived(
            &[MarginAccount::SEED, owner.as_ref(), &[index]],
            &margin::ID,
        )
        .0
    }
}

pub mod vault {
    use super::derived;
    use anchor_lang::prelude::Pubkey;
    use vault::state::{DepositReceipt, OptionSeries, RoundRecord, Strategy, Vault};

    fn find(seeds: &[&[u8]]) -> Pubkey {
        derived(seeds, &vault::ID).0
    }

    pub fn vault(
        underlying: &Pubkey,
        quote: &Pubkey,
        strategy: Strategy,
        epoch_secs: u32,
    ) -> Pubkey {
        find(&[
            Vault::SEED,
            underlying.as_ref(),
            quote.as_ref(),
            &strategy.seed(),
            &epoch_secs.to_le_bytes(),
        ])
    }

    pub fn assets(vault: &Pubkey) -> Pubkey {
        find(&[Vault::ASSETS_SEED, vault.as_ref()])
    }

    pub fn share_mint(vault: &Pubkey) -> Pubkey {
        find(&[Vault::SHARES_SEED, vault.as_ref()])
    }

    pub fn escrow(vault: &Pubkey) -> Pubkey {
        find(&[Vault::ESCROW_SEED, vault.as_ref()])
    }

    pub fn receipt(vault: &Pubkey, owner: &Pubkey) -> Pubkey {
        find(&[DepositReceipt::SEED, vault.as_ref(), owner.as_ref()])
    }

    pub fn round(vault: &Pubkey, round: u32) -> Pubkey {
        find(&[RoundRecord::SEED, vault.as_ref(), &round.to_le_bytes()])
    }

    pub fn series(vault: &Pubkey, round: u32) -> Pubkey {
        find(&[OptionSeries::SEED, vault.as_ref(), &round.to_le_bytes()])
    }

    pub fn option_mint(series: &Pubkey) -> Pubkey {
        find(&[OptionSeries::MINT_SEED, series.as_ref()])
    }
}

pub mod backstop {
    use super::derived;
    use anchor_lang::prelude::Pubkey;
    use backstop::state::{Consumer, Pool, StakeAccount};

    fn find(seeds: &[&[u8]]) -> Pubkey {
        derived(seeds, &backstop::ID).0
    }

    pub fn pool(collateral_mint: &Pubkey, quote_mint: &Pubkey) -> Pubkey {
        find(&[Pool::SEED, collateral_mint.as_ref(), quote_mint.as_ref()])
    }

    pub fn collateral_vault(pool: &Pubkey) -> Pubkey {
        find(&[Pool::COLLATERAL_SEED, pool.as_ref()])
    }

    pub fn quote_vault(pool: &Pubkey) -> Pubkey {
        find(&[Pool::QUOTE_SEED, pool.as_ref()])
    }

    pub fn consumer(pool: &Pubkey, authority: &Pubkey) -> Pubkey {
        find(&[Consumer::SEED, pool.as_ref(), authority.as_ref()])
    }

    pub fn stake(pool: &Pubkey, band: u8, owner: &Pubkey) -> Pubkey {
        find(&[StakeAccount::SEED, pool.as_ref(), &[band], owner.as_ref()])
    }
}
