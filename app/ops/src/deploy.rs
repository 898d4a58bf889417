//! `rampart init`: stand up (or complete) a deployment from a TOML file —
//! protocol config, tokens, feeds and their sources, margin banks, option
//! vaults, liquidation validators. Idempotent: what exists is left alone
//! and reported, so running it twice changes nothing; a deployment whose
//! governance is someone else is refused rather than half-configured.
//! The committed `migrations/*.toml` are the deployments Anchor's
//! `[scripts]` run.

use std::path::Path;

use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use anyhow::Context;
use margin::state::{BankParams, GuardianSet, MarginConfig, ValidatorSet, MAX_VALIDATORS};
use pricing::state::{FeedParams, ProtocolConfig, SourceKind};
use serde::{Deserialize, Serialize};
use solana_sdk::program_pack::Pack;
use solana_sdk::signature::Signer;
use solana_sdk::system_instruction;
use vault::state::Strategy;

use backstop::state::Pool;
use rampart_client::deployment::vault_name;
use rampart_client::transport::{self, Transport};
use rampart_sdk::backstop_ix::PoolRef;
use rampart_sdk::margin_ix;
use rampart_sdk::pda;
use rampart_sdk::presets;
use rampart_sdk::pricing_ix;
use rampart_sdk::vault_ix;

const WAD: u128 = 1_000_000_000_000_000_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployConfig {
    #[serde(default)]
    pub token: Vec<TokenConfig>,
    #[serde(default)]
    pub feed: Vec<FeedConfig>,
    #[serde(default)]
    pub bank: Vec<BankConfig>,
    #[serde(default)]
    pub vault: Vec<VaultConfig>,
    #[serde(default)]
    pub backstop: Vec<BackstopConfig>,
    #[serde(default)]
    pub validators: Option<ValidatorConfig>,
    #[serde(default)]
    pub guardians: Option<GuardianConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    pub symbol: String,
    pub decimals: u8,
    /// An existing mint; without it, init creates one at an address
    /// derived from the wallet and the symbol, the wallet minting.
    pub mint: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    /// "BASE/QUOTE"; the base names the token a bank on this feed prices.
    pub name: String,
    #[serde(default = "default_expo")]
    pub expo: i32,
    /// Realized volatility to start from, bps a year.
    pub initial_vol_bps: u32,
    /// `crypto` (three sources, quorum 2) or `one-source`.
    #[serde(default = "default_preset")]
    pub preset: String,
    /// Manual price accounts the wallet writes (localnet, demos).
    #[serde(default)]
    pub manual_sources: u8,
    /// Oracle accounts: Pyth, Switchboard.
    #[serde(default)]
    pub source: Vec<SourceConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// `pyth-legacy`, `pyth-receiver`, `switchboard-v2`, `switchboard-on-demand`.
    pub kind: String,
    pub account: String,
    /// Pyth receiver feed id, hex (other kinds: omit).
    pub feed_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankConfig {
    /// The token this bank lends and takes as collateral; omit it with
    /// `vault`.
    pub token: Option<String>,
    /// A bank of an option vault's shares, by the vault's name (e.g.
    /// `BTC-put-1h`): collateral only, priced at the vault's NAV per share
    /// times `feed`, which must be the vault's asset's feed.
    pub vault: Option<String>,
    pub feed: String,
    /// `btc` (volatile collateral), `usdc` (stablecoin) or `shares`
    /// (vault shares: never lent) parameters.
    pub preset: String,
    /// Deposit cap in whole tokens (default: the preset's).
    pub deposit_cap: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultConfig {
    /// The feed pricing the underlying (settlement and Greeks).
    pub feed: String,
    pub underlying: String,
    pub quote: String,
    /// `covered-call` or `cash-secured-put`.
    pub strategy: String,
    pub epoch_secs: u32,
    /// Whole asset tokens.
    pub deposit_cap: u64,
    pub user_deposit_cap: u64,
}

/// A backstop pool: LPs' quote tokens in six bands under `feed`, buying
/// `collateral` from margin's liquidations (margin is registered as its
/// consumer with the preset limits).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackstopConfig {
    /// The token the pool buys (a margin bank's).
    pub collateral: String,
    /// The token it pays with (a margin bank's).
    pub quote: String,
    /// Prices `collateral` in `quote`: the collateral bank's feed.
    pub feed: String,
}

/// Guardians: M of N keys who together can pause margin (reduce-only or
/// shutdown) for at most `max_pause_secs`, without governance's timelock.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardianConfig {
    /// Pubkeys; `wallet` stands for the wallet running init.
    pub keys: Vec<String>,
    pub threshold: u8,
    pub max_pause_secs: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorConfig {
    /// Pubkeys; `wallet` stands for the wallet running init.
    pub keys: Vec<String>,
    pub threshold: u8,
    /// Liquidations repaying at least this many USD need the approvals.
    pub large_value_usd: u64,
    pub proposal_ttl_slots: u64,
}

fn default_expo() -> i32 {
    presets::EXPO
}

fn default_preset() -> String {
    "crypto".into()
}

/// What init did with one item.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Step {
    pub what: String,
    pub address: String,
    pub created: bool,
}

pub fn load(path: &Path) -> anyhow::Result<DeployConfig> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    toml::from_str(&text).map_err(|e| {
        let msg = e.message().to_string();
        let line = e
            .span()
            .map(|s| text[..s.start].lines().count().max(1))
            .map_or(String::new(), |l| format!("line {l}: "));
        anyhow::anyhow!("{}: {line}{msg}", path.display())
    })
}

fn feed_params(preset: &str) -> anyhow::Result<FeedParams> {
    match preset {
        "crypto" => Ok(FeedParams::default_crypto()),
        "one-source" => Ok(presets::one_source_params()),
        other => anyhow::bail!("unknown feed preset {other:?} (crypto, one-source)"),
    }
}

fn bank_params(preset: &str, decimals: u8, cap: Option<u64>) -> anyhow::Result<BankParams> {
    let mut p = match preset {
        "btc" => presets::btc_deployed_params(),
        "usdc" => presets::usdc_deployed_params(),
        "btc-fixed" => presets::btc_params(),
        "usdc-fixed" => presets::usdc_params(),
        "shares" => presets::share_params(),
        other => anyhow::bail!(
            "unknown bank preset {other:?} (btc, usdc: adaptive maintenance; btc-fixed, usdc-fixed: a fixed 5%; shares)"
        ),
    };
    let unit = 10u64.pow(decimals as u32);
    let lent = p.borrow_cap > 0;
    let (deposit_cap, borrow_cap) = match cap {
        Some(c) => (
            c.saturating_mul(unit),
            if lent { c.saturating_mul(unit) / 2 } else { 0 },
        ),
        // Presets are written for 8-decimal BTC and 6-decimal USDC.
        None => (p.deposit_cap, p.borrow_cap),
    };
    p.deposit_cap = deposit_cap;
    p.borrow_cap = borrow_cap;
    Ok(p)
}

pub fn strategy(name: &str) -> anyhow::Result<Strategy> {
    match name {
        "covered-call" | "call" => Ok(Strategy::CoveredCall),
        "cash-secured-put" | "put" => Ok(Strategy::CashSecuredPut),
        other => anyhow::bail!("unknown strategy {other:?} (covered-call, cash-secured-put)"),
    }
}

fn source_kind(name: &str) -> anyhow::Result<SourceKind> {
    Ok(match name {
        "pyth-legacy" => SourceKind::PythLegacy,
        "pyth-receiver" => SourceKind::PythReceiver,
        "switchboard-v2" => SourceKind::SwitchboardV2,
        "switchboard-on-demand" => SourceKind::SwitchboardOnDemand,
        other => anyhow::bail!(
            "unknown source kind {other:?} (pyth-legacy, pyth-receiver, switchboard-v2, switchboard-on-demand)"
        ),
    })
}

fn pubkey(s: &str, what: &str) -> anyhow::Result<Pubkey> {
    s.parse()
        .map_err(|_| anyhow::anyhow!("{what}: {s:?} is not a base58 public key"))
}

/// The mint init creates for `symbol` when the config names none.
pub fn derived_mint(wallet: &Pubkey, symbol: &str) -> Pubkey {
    Pubkey::create_with_seed(wallet, &mint_seed(symbol), &spl_token::ID)
        .expect("seed is at most 32 bytes")
}

fn mint_seed(symbol: &str) -> String {
    format!("rampart-mint-{symbol}").chars().take(32).collect()
}

/// Check the whole file before sending anything, so a typo in the last
/// vault does not leave a half-made deployment.
fn validate(c: &DeployConfig) -> anyhow::Result<()> {
    let symbol = |s: &str| c.token.iter().any(|t| t.symbol == s);
    let feed = |s: &str| c.feed.iter().any(|f| f.name == s);
    for f in &c.feed {
        feed_params(&f.preset)?;
        anyhow::ensure!(
            f.name.len() <= 32,
            "feed name {:?} is over 32 bytes",
            f.name
        );
        anyhow::ensure!(
            f.manual_sources as usize + f.source.len() > 0,
            "feed {} has no sources",
            f.name
        );
        for s in &f.source {
            source_kind(&s.kind)?;
            pubkey(&s.account, "source account")?;
        }
    }
    let vault_names: Vec<String> = c
        .vault
        .iter()
        .map(|v| {
            Ok(vault_name(
                &v.underlying,
                strategy(&v.strategy)?,
                v.epoch_secs,
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    for b in &c.bank {
        match (&b.token, &b.vault) {
            (Some(t), None) => {
                anyhow::ensure!(symbol(t), "bank: no token {t:?} in the file");
            }
            (None, Some(v)) => {
                anyhow::ensure!(
                    vault_names.contains(v),
                    "bank: no vault {v:?} in the file (vaults: {})",
                    vault_names.join(", ")
                );
                anyhow::ensure!(
                    b.preset == "shares",
                    "bank of {v} shares: use the `shares` preset (shares are never lent)"
                );
            }
            _ => anyhow::bail!(
                "bank on {}: name exactly one of `token` and `vault`",
                b.feed
            ),
        }
        anyhow::ensure!(feed(&b.feed), "bank: no feed {:?} in the file", b.feed);
        bank_params(&b.preset, 0, b.deposit_cap)?;
    }
    for v in &c.vault {
        for s in [&v.underlying, &v.quote] {
            anyhow::ensure!(symbol(s), "vault: no token {s:?} in the file");
        }
        anyhow::ensure!(feed(&v.feed), "vault: no feed {:?} in the file", v.feed);
        strategy(&v.strategy)?;
    }
    let bank_token = |s: &str| c.bank.iter().any(|b| b.token.as_deref() == Some(s));
    for p in &c.backstop {
        for t in [&p.collateral, &p.quote] {
            anyhow::ensure!(
                bank_token(t),
                "backstop {}/{}: no margin bank of token {t:?} in the file",
                p.collateral,
                p.quote
            );
        }
        anyhow::ensure!(
            p.collateral != p.quote,
            "backstop {}/{}: the pool buys one token with another",
            p.collateral,
            p.quote
        );
        anyhow::ensure!(feed(&p.feed), "backstop: no feed {:?} in the file", p.feed);
        // The bands read this feed as the collateral's price in the quote
        // token, and the margin program checks only the pool's mints: it
        // must be the collateral bank's feed in dollars with a dollar
        // stablecoin as the quote, or a `COLLATERAL/QUOTE` feed.
        let bank_of = |token: &str| c.bank.iter().find(|b| b.token.as_deref() == Some(token));
        let collateral_feed = bank_of(&p.collateral).map(|b| b.feed.as_str());
        let dollar_quote = bank_of(&p.quote).is_some_and(|b| b.preset.starts_with("usdc"));
        let cross = format!("{}/{}", p.collateral, p.quote);
        anyhow::ensure!(
            p.feed == cross || (collateral_feed == Some(p.feed.as_str()) && dollar_quote),
            "backstop {cross}: feed {:?} does not price {} in {} (use the {} bank's feed {:?} with a dollar stablecoin quote, or a {cross:?} feed)",
            p.feed,
            p.collateral,
            p.quote,
            p.collateral,
            collateral_feed.unwrap_or_default()
        );
    }
    if let Some(v) = &c.validators {
        // The program's own rule, checked before anything is sent.
        key_set("validators", &v.keys, v.threshold)?;
        anyhow::ensure!(
            (10..=216_000).contains(&v.proposal_ttl_slots),
            "validators: proposal_ttl_slots must be 10..=216000"
        );
    }
    if let Some(g) = &c.guardians {
        key_set("guardians", &g.keys, g.threshold)?;
        anyhow::ensure!(
            (3_600..=30 * 86_400).contains(&g.max_pause_secs),
            "guardians: max_pause_secs must be 3600..=2592000 (an hour to 30 days)"
        );
    }
    Ok(())
}

/// The program's rule for an M-of-N key set: 2 to 8 keys, a majority.
fn key_set(what: &str, keys: &[String], threshold: u8) -> anyhow::Result<()> {
    anyhow::ensure!(
        (2..=MAX_VALIDATORS).contains(&keys.len()),
        "{what}: 2 to {MAX_VALIDATORS} keys"
    );
    anyhow::ensure!(
        (keys.len() as u8 / 2 + 1..=keys.len() as u8).contains(&threshold),
        "{what}: the threshold must be a majority of the {} keys",
        keys.len()
    );
    for k in keys.iter().filter(|k| *k != "wallet") {
        let key = pubkey(k, what)?;
        anyhow::ensure!(key != Pubkey::default(), "{what}: {k} is the default key");
    }
    let mut distinct = keys.to_vec();
    distinct.sort();
    distinct.dedup();
    anyhow::ensure!(
        distinct.len() == keys.len(),
        "{what}: every key must be different"
    );
    Ok(())
}

/// `keys` as the program stores a key set (`wallet` is the init wallet),
/// each once (`wallet` beside the wallet's own address is one key twice).
fn key_array(keys: &[String], wallet: Pubkey) -> anyhow::Result<[Pubkey; MAX_VALIDATORS]> {
    let mut out = [Pubkey::default(); MAX_VALIDATORS];
    for (i, k) in keys.iter().enumerate().take(MAX_VALIDATORS) {
        let key = if k == "wallet" {
            wallet
        } else {
            pubkey(k, "key")?
        };
        anyhow::ensure!(
            !out[..i].contains(&key),
            "{key} appears twice in a key set (\"wallet\" is {wallet})"
        );
        out[i] = key;
    }
    Ok(out)
}

struct Init<'a> {
    t: &'a mut dyn Transport,
    steps: Vec<Step>,
    progress: &'a (dyn Fn(&Step) + Sync),
}

impl Init<'_> {
    fn wallet(&self) -> Pubkey {
        self.t.payer().pubkey()
    }

    async fn exists(&mut self, address: Pubkey) -> anyhow::Result<bool> {
        Ok(self.t.account(address).await?.is_some())
    }

    /// Send `ixs` unless `address` exists; record the step either way.
    async fn ensure(
        &mut self,
        what: String,
        address: Pubkey,
        ixs: Vec<solana_sdk::instruction::Instruction>,
    ) -> anyhow::Result<()> {
        let created = !self.exists(address).await?;
        if created {
            self.t
                .send(&ixs, &[])
                .await
                .with_context(|| format!("create {what}"))?;
        }
        let step = Step {
            what,
            address: address.to_string(),
            created,
        };
        self.record(step);
        Ok(())
    }

    fn record(&mut self, step: Step) {
        (self.progress)(&step);
        self.steps.push(step);
    }
}

/// Apply `config` with the transport's wallet as governance.
pub async fn init(
    t: &mut dyn Transport,
    config: &DeployConfig,
    progress: &(dyn Fn(&Step) + Sync),
) -> anyhow::Result<Vec<Step>> {
    validate(config)?;
    if let Some(why) = t.cannot_sign() {
        anyhow::bail!("init sends transactions, which needs a keypair: {why}");
    }
    let mut i = Init {
        t,
        steps: vec![],
        progress,
    };
    let wallet = i.wallet();
    if let Some(p) = transport::fetch::<ProtocolConfig>(i.t, pda::protocol()).await? {
        anyhow::ensure!(
            p.governance == wallet,
            "the protocol's governance is {}, not this wallet ({wallet}): run init with that keypair",
            p.governance
        );
    }
    i.ensure(
        "protocol config".into(),
        pda::protocol(),
        vec![pricing_ix::init_protocol(wallet, wallet)],
    )
    .await?;
    let rules = presets::governance_params(wallet);
    i.ensure(
        "margin config".into(),
        pda::margin::config(),
        vec![
            margin_ix::init_margin(wallet, wallet, presets::liquidation_params(), rules),
            margin_ix::set_agent_leashes(
                wallet,
                wallet,
                rules.agent_base,
                presets::agent_leashes(),
            ),
        ],
    )
    .await?;
    let mut mints = std::collections::BTreeMap::new();
    for tk in &config.token {
        let mint = match &tk.mint {
            Some(m) => pubkey(m, "token mint")?,
            None => derived_mint(&wallet, &tk.symbol),
        };
        let rent = i.t.minimum_balance(spl_token::state::Mint::LEN).await?;
        let ixs = vec![
            system_instruction::create_account_with_seed(
                &wallet,
                &mint,
                &wallet,
                &mint_seed(&tk.symbol),
                rent,
                spl_token::state::Mint::LEN as u64,
                &spl_token::ID,
            ),
            spl_token::instruction::initialize_mint2(
                &spl_token::ID,
                &mint,
                &wallet,
                None,
                tk.decimals,
            )?,
        ];
        if tk.mint.is_some() {
            anyhow::ensure!(
                i.exists(mint).await?,
                "token {}: mint {mint} does not exist on this cluster",
                tk.symbol
            );
        }
        i.ensure(format!("token {}", tk.symbol), mint, ixs).await?;
        mints.insert(tk.symbol.clone(), (mint, tk.decimals));
    }
    for f in &config.feed {
        let feed = pda::feed(&f.name);
        let params = feed_params(&f.preset)?;
        let create =
            pricing_ix::create_feed(wallet, wallet, &f.name, f.expo, params, f.initial_vol_bps);
        i.ensure(format!("feed {}", f.name), feed, vec![create])
            .await?;
        for index in 0..f.manual_sources {
            let manual = pda::manual_price(&feed, index);
            let ixs = vec![
                pricing_ix::init_manual_price(wallet, wallet, feed, index, wallet),
                pricing_ix::add_source(wallet, feed, manual, SourceKind::Manual, [0; 32]),
            ];
            i.ensure(
                format!("feed {} manual source {index}", f.name),
                manual,
                ixs,
            )
            .await?;
        }
        for s in &f.source {
            let account = pubkey(&s.account, "source account")?;
            let pinned = transport::fetch_zero_copy::<pricing::state::PriceFeed>(i.t, feed)
                .await?
                .is_some_and(|pf| pf.active_sources().iter().any(|c| c.account == account));
            let mut feed_id = [0u8; 32];
            if let Some(hex) = &s.feed_id {
                let bytes = decode_hex(hex).with_context(|| format!("feed_id of {account}"))?;
                anyhow::ensure!(bytes.len() == 32, "feed_id of {account} must be 32 bytes");
                feed_id.copy_from_slice(&bytes);
            }
            let step = Step {
                what: format!("feed {} source {} {}", f.name, s.kind, account),
                address: account.to_string(),
                created: !pinned,
            };
            if !pinned {
                let ix =
                    pricing_ix::add_source(wallet, feed, account, source_kind(&s.kind)?, feed_id);
                i.t.send(&[ix], &[])
                    .await
                    .with_context(|| step.what.clone())?;
            }
            i.record(step);
        }
    }
    for b in &config.bank {
        let Some(token) = &b.token else { continue };
        let (mint, decimals) = mints[token];
        let params = bank_params(&b.preset, decimals, b.deposit_cap)?;
        let ix = margin_ix::create_bank(wallet, wallet, mint, pda::feed(&b.feed), params);
        i.ensure(
            format!("margin bank {token}"),
            pda::margin::bank(&mint),
            vec![ix],
        )
        .await?;
    }
    let mut vaults = std::collections::BTreeMap::new();
    for v in &config.vault {
        let (underlying, _) = mints[&v.underlying];
        let (quote, _) = mints[&v.quote];
        let strategy = strategy(&v.strategy)?;
        let feed = pda::feed(&v.feed);
        let r = vault_ix::VaultRef::new(underlying, quote, strategy, v.epoch_secs, feed);
        let (_, asset_decimals) = mints[match strategy {
            Strategy::CoveredCall => &v.underlying,
            Strategy::CashSecuredPut => &v.quote,
        }];
        let unit = 10u64.pow(asset_decimals as u32);
        let mut params = presets::vault_params(
            v.deposit_cap.saturating_mul(unit),
            v.user_deposit_cap.saturating_mul(unit),
            unit / 100,
        );
        params.epoch_secs = v.epoch_secs;
        params.sale_window_secs = (v.epoch_secs / 4).max(60);
        let ix = r.create(wallet, wallet, strategy, params);
        let name = vault_name(&v.underlying, strategy, v.epoch_secs);
        i.ensure(format!("vault {name}"), r.vault, vec![ix]).await?;
        vaults.insert(name, (r, asset_decimals));
    }
    // Banks of vault shares, once their vaults exist.
    for b in &config.bank {
        let Some(name) = &b.vault else { continue };
        let (r, decimals) = &vaults[name];
        let params = bank_params(&b.preset, *decimals, b.deposit_cap)?;
        let ix = margin_ix::create_share_bank(wallet, wallet, r.vault, pda::feed(&b.feed), params);
        i.ensure(
            format!("margin bank {name} shares"),
            pda::margin::bank(&r.share_mint()),
            vec![ix],
        )
        .await?;
    }
    if let Some(v) = &config.validators {
        let want = ValidatorSet {
            keys: key_array(&v.keys, wallet)?,
            count: v.keys.len() as u8,
            threshold: v.threshold,
            large_value: v.large_value_usd as u128 * WAD,
            proposal_ttl_slots: v.proposal_ttl_slots,
        };
        let config = transport::require::<MarginConfig>(i.t, pda::margin::config()).await?;
        let created = config.validators != want;
        if created {
            let ix = margin_ix::set_validators(wallet, want);
            i.t.send(&[ix], &[])
                .await
                .context("set liquidation validators")?;
        }
        let step = Step {
            what: format!("liquidation validators {}-of-{}", v.threshold, v.keys.len()),
            address: pda::margin::config().to_string(),
            created,
        };
        i.record(step);
    }
    if let Some(g) = &config.guardians {
        let want = GuardianSet {
            keys: key_array(&g.keys, wallet)?,
            count: g.keys.len() as u8,
            threshold: g.threshold,
            max_pause_secs: g.max_pause_secs,
        };
        let config = transport::require::<MarginConfig>(i.t, pda::margin::config()).await?;
        let created = config.guardians != want;
        if created {
            let ix = margin_ix::set_guardians(wallet, want);
            i.t.send(&[ix], &[]).await.context("set guardians")?;
        }
        let step = Step {
            what: format!("guardians {}-of-{}", g.threshold, g.keys.len()),
            address: pda::margin::config().to_string(),
            created,
        };
        i.record(step);
    }
    for p in &config.backstop {
        let (collateral, _) = mints[&p.collateral];
        let (quote, _) = mints[&p.quote];
        let pool = PoolRef::new(collateral, quote, pda::feed(&p.feed));
        let name = format!("backstop pool {}/{}", p.collateral, p.quote);
        if let Some(existing) = transport::fetch::<Pool>(i.t, pool.pool).await? {
            anyhow::ensure!(
                existing.feed == pool.feed,
                "{name} exists with feed {}, not the file's {} ({})",
                existing.feed,
                p.feed,
                pool.feed
            );
        }
        let create = pool.create(
            wallet,
            wallet,
            presets::BACKSTOP_DISCOUNTS_BPS.to_vec(),
            presets::backstop_pool_params(),
        );
        i.ensure(name.clone(), pool.pool, vec![create]).await?;
        // Margin's liquidations sell into it through this consumer record.
        let authority = pda::margin::backstop_authority();
        let register = pool.register_consumer(
            wallet,
            wallet,
            authority,
            presets::backstop_consumer_limits(),
        );
        i.ensure(
            format!("{name} consumer margin"),
            pool.consumer(&authority),
            vec![register],
        )
        .await?;
    }
    Ok(i.steps)
}

fn decode_hex(s: &str) -> anyhow::Result<Vec<u8>> {
    let s = s.trim_start_matches("0x");
    anyhow::ensure!(s.len().is_multiple_of(2), "odd number of hex digits");
    (0..s.len())
        .step_by(2)
        .map(|k| u8::from_str_radix(&s[k..k + 2], 16).map_err(|e| anyhow::anyhow!("{e}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> std::path::PathBuf {
        rampart_sdk::idl::workspace_root()
    }

    #[test]
    fn committed_deployment_files_parse_and_anchor_scripts_point_at_them() {
        let localnet = load(&root().join("migrations/localnet.toml")).unwrap();
        validate(&localnet).unwrap();
        assert_eq!(localnet.feed.len(), 2);
        // devnet ships with placeholders an operator must replace: refused by name.
        let devnet = load(&root().join("migrations/devnet.toml")).unwrap();
        let err = validate(&devnet).unwrap_err().to_string();
        assert!(err.contains("REPLACE_WITH_VALIDATOR_2_PUBKEY"), "{err}");
        let anchor = std::fs::read_to_string(root().join("Anchor.toml")).unwrap();
        for file in ["migrations/localnet.toml", "migrations/devnet.toml"] {
            assert!(
                anchor.contains(&format!("init --config {file}")),
                "{file} in [scripts]"
            );
        }
    }

    #[test]
    fn mistakes_in_a_deployment_file_are_refused_before_anything_is_sent() {
        let parse = |text: &str| -> anyhow::Result<DeployConfig> {
            let c: DeployConfig = toml::from_str(text)?;
            validate(&c)?;
            Ok(c)
        };
        let feed = "[[feed]]\nname = \"BTC/USD\"\ninitial_vol_bps = 1\nmanual_sources = 1\n";
        let e = parse(&format!(
            "{feed}[[bank]]\ntoken = \"BTC\"\nfeed = \"BTC/USD\"\npreset = \"btc\"\n"
        ));
        assert!(e.unwrap_err().to_string().contains("no token \"BTC\""));
        let e = parse("[[feed]]\nname = \"X/USD\"\ninitial_vol_bps = 1\n");
        assert!(e.unwrap_err().to_string().contains("has no sources"));
        let e = parse(&format!("{feed}preset = \"exotic\"\n"));
        assert!(e.is_err());
        let e = parse("[[token]]\nsymbol = \"BTC\"\ndecimals = 8\ncolour = \"red\"\n");
        assert!(e.unwrap_err().to_string().contains("unknown field"));
        let e = parse("[validators]\nkeys = [\"wallet\"]\nthreshold = 1\nlarge_value_usd = 1\nproposal_ttl_slots = 100\n");
        assert!(e.unwrap_err().to_string().contains("2 to 8 keys"));
        let e = parse(
            "[guardians]\nkeys = [\"wallet\", \"wallet\"]\nthreshold = 2\nmax_pause_secs = 3600\n",
        );
        assert!(e
            .unwrap_err()
            .to_string()
            .contains("guardians: every key must be different"));

        // A backstop pool priced on another market's feed is refused.
        let localnet = std::fs::read_to_string(root().join("migrations/localnet.toml")).unwrap();
        let wrong = localnet.replace(
            "quote = \"USDC\"\nfeed = \"BTC/USD\"",
            "quote = \"USDC\"\nfeed = \"USDC/USD\"",
        );
        assert_ne!(wrong, localnet);
        let e = parse(&wrong).unwrap_err().to_string();
        assert!(
            e.contains("backstop BTC/USDC: feed \"USDC/USD\" does not price BTC in USDC"),
            "{e}"
        );
    }
}
