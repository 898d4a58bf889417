//! A deployment read from the chain through any [`Transport`]: every
//! feed, margin bank and option vault, and the chain's clock when read.
//! Markets are found by name from the chain itself (feed names are on
//! chain, a bank's token is its feed's base), so no local state is needed
//! beyond the wallet. It is also the account lookup the health valuation
//! (`rampart_sdk::health`) reads.

use ::backstop::state::Pool;
use ::margin::state::{Bank, MarginAccount};
use ::pricing::state::PriceFeed;
use ::vault::state::{Strategy, Vault};
use anchor_lang::prelude::{Clock, Pubkey};
use rampart_sdk::event_units::{Names, Side, TokenUnit};
use rampart_sdk::health::{self, AccountHealth, Lookup, Requirement};

use crate::transport::{self, Transport};
use rampart_sdk::margin_ix::HealthEntry;
use rampart_sdk::vault_ix::VaultRef;

/// A vault's name: `<underlying>-<call|put>-<tenor>`, e.g. `BTC-call-1h`.
pub fn vault_name(underlying: &str, strategy: Strategy, epoch_secs: u32) -> String {
    let kind = match strategy {
        Strategy::CoveredCall => "call",
        Strategy::CashSecuredPut => "put",
    };
    let tenor = match epoch_secs {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s => format!("{s}s"),
    };
    format!("{underlying}-{kind}-{tenor}")
}

/// The feed name stored on chain (zero-padded bytes).
pub fn feed_name(feed: &PriceFeed) -> String {
    let end = feed.name.iter().position(|b| *b == 0).unwrap_or(32);
    String::from_utf8_lossy(&feed.name[..end]).into_owned()
}

/// Everything deployed: feeds, margin banks, option vaults.
pub struct Deployment {
    pub feeds: Vec<(Pubkey, PriceFeed)>,
    pub banks: Vec<(Pubkey, Bank)>,
    pub vaults: Vec<(Pubkey, Vault)>,
    /// Backstop pools, each buying a bank's token with another's.
    pub pools: Vec<(Pubkey, Pool)>,
    /// The chain's clock when the deployment was read: banks are projected
    /// to it and accounts valued at it.
    pub clock: Clock,
}

impl Deployment {
    pub async fn load(t: &mut dyn Transport) -> anyhow::Result<Deployment> {
        let mut feeds = transport::all_zero_copy::<PriceFeed>(t, ::pricing::ID).await?;
        feeds.sort_by_key(|(_, f)| feed_name(f));
        // Banks as an accrual now would leave them: every debt and deposit
        // the client shows or sizes with includes interest to the chain's
        // clock, as the program's own health reads them.
        let clock = t.clock().await?;
        let now = clock.unix_timestamp;
        let banks = transport::all::<Bank>(t, ::margin::ID)
            .await?
            .into_iter()
            .map(|(k, b)| Ok((k, b.projected(now)?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut d = Deployment {
            feeds,
            banks,
            vaults: transport::all::<Vault>(t, ::vault::ID).await?,
            pools: transport::all::<Pool>(t, ::backstop::ID).await?,
            clock,
        };
        let names: Vec<String> = d.banks.iter().map(|(_, b)| d.symbol(b)).collect();
        let mut order: Vec<usize> = (0..d.banks.len()).collect();
        order.sort_by_key(|i| names[*i].clone());
        d.banks = order.into_iter().map(|i| d.banks[i].clone()).collect();
        anyhow::ensure!(
            !d.feeds.is_empty(),
            "nothing is deployed on {}: run `rampart init --config migrations/localnet.toml` first",
            t.describe()
        );
        Ok(d)
    }

    pub fn feed_name_of(&self, feed: &Pubkey) -> String {
        self.feeds
            .iter()
            .find(|(k, _)| k == feed)
            .map_or_else(|| feed.to_string(), |(_, f)| feed_name(f))
    }

    pub fn feed(&self, name: &str) -> anyhow::Result<(Pubkey, &PriceFeed)> {
        self.feeds
            .iter()
            // `btc/usd` names BTC/USD, as `--token btc` names BTC.
            .find(|(_, f)| feed_name(f).eq_ignore_ascii_case(name))
            .map(|(k, f)| (*k, f))
            .ok_or_else(|| {
                let known: Vec<String> = self.feeds.iter().map(|(_, f)| feed_name(f)).collect();
                anyhow::anyhow!("no feed {name:?} (deployed: {})", known.join(", "))
            })
    }

    /// A bank's token symbol: the base of its feed's name, or for a bank of
    /// vault shares the vault's name (`BTC-put-1h`).
    pub fn symbol(&self, bank: &Bank) -> String {
        if bank.is_share_bank() {
            if let Some((_, v)) = self.vaults.iter().find(|(k, _)| *k == bank.share_vault) {
                return self.vault_name(v);
            }
        }
        let name = self.feed_name_of(&bank.feed);
        name.split('/').next().unwrap_or(&name).to_string()
    }

    pub fn bank(&self, symbol: &str) -> anyhow::Result<(Pubkey, &Bank)> {
        self.banks
            .iter()
            .find(|(_, b)| self.symbol(b).eq_ignore_ascii_case(symbol))
            .map(|(k, b)| (*k, b))
            .ok_or_else(|| {
                let known: Vec<String> = self.banks.iter().map(|(_, b)| self.symbol(b)).collect();
                anyhow::anyhow!(
                    "no margin bank for token {symbol:?} (deployed: {})",
                    known.join(", ")
                )
            })
    }

    pub fn bank_by_key(&self, key: &Pubkey) -> anyhow::Result<&Bank> {
        self.banks
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, b)| b)
            .ok_or_else(|| anyhow::anyhow!("bank {key} is not part of this deployment"))
    }

    /// A token's symbol from its mint (the bank's), else the mint address.
    pub fn symbol_of_mint(&self, mint: &Pubkey) -> String {
        self.banks
            .iter()
            .find(|(_, b)| b.mint == *mint)
            .map_or_else(|| mint.to_string(), |(_, b)| self.symbol(b))
    }

    pub fn vault_name(&self, v: &Vault) -> String {
        vault_name(
            &self.symbol_of_mint(&v.underlying_mint),
            v.strategy,
            v.params.epoch_secs,
        )
    }

    pub fn vault(&self, name: &str) -> anyhow::Result<(VaultRef, &Vault)> {
        self.vaults
            .iter()
            .find(|(_, v)| self.vault_name(v).eq_ignore_ascii_case(name))
            .map(|(_, v)| (vault_ref(v), v))
            .ok_or_else(|| {
                let known: Vec<String> = self
                    .vaults
                    .iter()
                    .map(|(_, v)| self.vault_name(v))
                    .collect();
                anyhow::anyhow!("no vault {name:?} (deployed: {})", known.join(", "))
            })
    }

    /// A pool's name: `<collateral>/<quote>` by the banks' symbols (`BTC/USDC`).
    pub fn pool_name(&self, pool: &Pool) -> String {
        format!(
            "{}/{}",
            self.symbol_of_mint(&pool.collateral_mint),
            self.symbol_of_mint(&pool.quote_mint)
        )
    }

    /// The backstop pool named `name` (`BTC/USDC`, any case), or the only
    /// one when `name` is None.
    pub fn pool(&self, name: Option<&str>) -> anyhow::Result<(Pubkey, &Pool)> {
        let known = || {
            let names: Vec<String> = self.pools.iter().map(|(_, p)| self.pool_name(p)).collect();
            if names.is_empty() {
                "none: add a [[backstop]] to the deployment file and run init".to_string()
            } else {
                names.join(", ")
            }
        };
        let found = match name {
            Some(n) => self
                .pools
                .iter()
                .find(|(_, p)| self.pool_name(p).eq_ignore_ascii_case(n)),
            None if self.pools.len() == 1 => self.pools.first(),
            None => anyhow::bail!("name the backstop pool with --pool (deployed: {})", known()),
        };
        found
            .map(|(k, p)| (*k, p))
            .ok_or_else(|| anyhow::anyhow!("no backstop pool {name:?} (deployed: {})", known()))
    }

    /// The pool buying `collateral_mint` for `quote_mint`, if one is deployed.
    pub fn pool_buying(&self, collateral_mint: &Pubkey, quote_mint: &Pubkey) -> Option<&Pool> {
        self.pools
            .iter()
            .find(|(_, p)| p.collateral_mint == *collateral_mint && p.quote_mint == *quote_mint)
            .map(|(_, p)| p)
    }

    /// Health-check entries for every bank `account` uses, plus `also`
    /// (with its vault and the vault's feed for a bank of vault shares).
    pub fn health(&self, account: Option<&MarginAccount>, also: &[Pubkey]) -> Vec<HealthEntry> {
        health::entries(self, account, also)
    }

    /// `account`'s health as the program would compute it now.
    pub fn value(
        &self,
        account: &MarginAccount,
        requirement: Requirement,
    ) -> anyhow::Result<AccountHealth> {
        health::value(account, self, &self.clock, requirement)
    }
}

impl Lookup for Deployment {
    fn bank_at(&self, key: &Pubkey) -> Option<&Bank> {
        self.banks.iter().find(|(k, _)| k == key).map(|(_, b)| b)
    }

    fn feed_at(&self, key: &Pubkey) -> Option<&PriceFeed> {
        self.feeds.iter().find(|(k, _)| k == key).map(|(_, f)| f)
    }

    fn vault_at(&self, key: &Pubkey) -> Option<&Vault> {
        self.vaults.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// Event fields in this deployment's tokens, feeds and names.
impl Names for Deployment {
    fn name(&self, key: &Pubkey) -> Option<String> {
        if let Some(b) = self.bank_at(key) {
            return Some(self.symbol(b));
        }
        if let Some(f) = self.feed_at(key) {
            return Some(feed_name(f));
        }
        if let Some(v) = self.vault_at(key) {
            return Some(self.vault_name(v));
        }
        if let Some((_, p)) = self.pools.iter().find(|(k, _)| k == key) {
            return Some(self.pool_name(p));
        }
        self.banks
            .iter()
            .any(|(_, b)| b.mint == *key)
            .then(|| self.symbol_of_mint(key))
    }

    fn token(&self, holder: &Pubkey, side: Side) -> Option<TokenUnit> {
        let unit = |symbol: String, decimals: u8| Some(TokenUnit { symbol, decimals });
        match side {
            Side::Bank(_) => {
                let b = self.bank_at(holder)?;
                unit(self.symbol(b), b.decimals)
            }
            Side::PoolCollateral | Side::PoolQuote => {
                let (_, p) = self.pools.iter().find(|(k, _)| k == holder)?;
                if side == Side::PoolQuote {
                    unit(self.symbol_of_mint(&p.quote_mint), p.quote_decimals)
                } else {
                    unit(
                        self.symbol_of_mint(&p.collateral_mint),
                        p.collateral_decimals,
                    )
                }
            }
            Side::VaultAsset | Side::VaultShares | Side::VaultOptions => {
                let v = self.vault_at(holder)?;
                let asset_decimals = match v.strategy {
                    Strategy::CoveredCall => v.underlying_decimals,
                    Strategy::CashSecuredPut => v.quote_decimals,
                };
                match side {
                    Side::VaultAsset => unit(self.symbol_of_mint(&v.asset_mint), asset_decimals),
                    // Shares have the asset's decimals; options the underlying's.
                    Side::VaultShares => {
                        unit(format!("{} shares", self.vault_name(v)), asset_decimals)
                    }
                    _ => unit(
                        format!("{} options", self.vault_name(v)),
                        v.underlying_decimals,
                    ),
                }
            }
        }
    }

    fn feed_expo(&self, feed: &Pubkey) -> Option<i32> {
        self.feed_at(feed).map(|f| f.expo)
    }
}

pub fn vault_ref(v: &Vault) -> VaultRef {
    VaultRef::new(
        v.underlying_mint,
        v.quote_mint,
        v.strategy,
        v.params.epoch_secs,
        v.feed,
    )
}
