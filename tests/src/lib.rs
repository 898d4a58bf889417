//! Shared setup for every integration test: a market on the embedded chain
//! with governance, a keeper and manual sources, plus assertions on exact
//! program errors. Tests read as stories on top of this.

use anchor_lang::prelude::Pubkey;

pub mod margin_world;
pub use pricing::errors::PricingError;
pub use pricing::state::{FeedParams, PriceFeed, SourceKind};
pub use rampart_embedded::{Chain, ChainBuilder, TxFailure, TxResult, TxSuccess};
pub use rampart_sdk::events;
pub use rampart_sdk::pda;
pub use rampart_sdk::pricing_ix as ix;
pub use rampart_sim::setup;
pub use solana_sdk::signature::{Keypair, Signer};

/// A realistic mainnet-era clock to start from.
pub const T0: i64 = 1_700_000_000;
pub const SLOT0: u64 = 230_000_000;
/// Prices use 8 decimals, like Pyth (one definition, in the library).
pub use rampart_sim::market::{price, EXPO};

/// The Anchor error number of `e`.
pub fn code(e: PricingError) -> u32 {
    u32::from(e)
}

/// Assert the transaction failed with exactly `expected`.
#[track_caller]
pub fn assert_error(result: TxResult, expected: PricingError) -> TxFailure {
    match result {
        Ok(ok) => panic!(
            "expected {expected:?}, transaction succeeded: {:#?}",
            ok.logs
        ),
        Err(f) => {
            assert_eq!(
                f.custom_code(),
                Some(code(expected)),
                "expected {expected:?}, got {} ({:#?})",
                f.error,
                f.logs
            );
            f
        }
    }
}

/// Assert the transaction failed with exactly this margin error.
#[track_caller]
pub fn assert_margin_error(result: TxResult, expected: margin::errors::MarginError) {
    assert_code(result, u32::from(expected), expected);
}

/// Assert the transaction failed with exactly this backstop error.
#[track_caller]
pub fn assert_backstop_error(result: TxResult, expected: backstop::errors::BackstopError) {
    assert_code(result, u32::from(expected), expected);
}

/// Assert the transaction failed with exactly this vault error.
#[track_caller]
pub fn assert_vault_error(result: TxResult, expected: vault::errors::VaultError) {
    assert_code(result, u32::from(expected), expected);
}

#[track_caller]
fn assert_code(result: TxResult, code: u32, expected: impl std::fmt::Debug) {
    let f = result.expect_err("expected a failure");
    assert_eq!(
        f.custom_code(),
        Some(code),
        "expected {expected:?}, got {} ({:#?})",
        f.error,
        f.logs
    );
}

/// Assert the transaction failed with this Anchor framework error number.
#[track_caller]
pub fn assert_anchor_error(result: TxResult, expected: anchor_lang::error::ErrorCode) {
    let f = result.expect_err("expected a failure");
    assert_eq!(
        f.custom_code(),
        Some(expected as u32),
        "expected {expected:?}, got {} ({:#?})",
        f.error,
        f.logs
    );
}

/// Deterministic xorshift for randomized instruction sequences: a failing
/// seed replays exactly.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Params for manual-source tests: tight enough to exercise every rule,
/// loose enough that 15-second refreshes build a valid TWAP quickly.
pub fn test_params() -> FeedParams {
    FeedParams {
        max_staleness_secs: 60,
        max_staleness_slots: 150,
        max_conf_bps: 100,
        max_spread_bps: 100,
        twap_window_secs: 300,
        twap_max_gap_secs: 120,
        min_sample_spacing_secs: 15,
        twap_clamp_bps: 100,
        breaker_k_sigma_x100: 600,
        breaker_floor_bps: 300,
        breaker_cap_bps: 1_000,
        cooldown_secs: 300,
        max_disagreement_secs: 600,
        vol_half_life_secs: 3_600,
        congestion_half_life_secs: 60,
        confirm_secs: 60,
        reduced_confirm_secs: 300,
        stale_grace_secs: 120,
        twap_min_samples: 5,
        min_quorum: 2,
        confirm_min_sources: 2,
    }
}

/// Protocol + one feed, on a chain started from `builder`.
pub struct Market {
    pub chain: Chain,
    pub governance: Keypair,
    /// Authority of the manual price accounts.
    pub keeper: Keypair,
    pub feed: Pubkey,
    pub sources: Vec<Pubkey>,
}

impl Market {
    /// Start a chain, create the protocol and an empty feed named `name`.
    pub async fn empty(
        builder: ChainBuilder,
        name: &str,
        params: FeedParams,
        clock: (i64, u64),
    ) -> Market {
        let mut chain = builder.start().await;
        chain.set_clock(clock.0, clock.1);
        let (ops, feed) = setup::protocol_and_feed(&mut chain, name, EXPO, params, 5_000)
            .await
            .expect("market");
        Market {
            chain,
            governance: ops.governance,
            keeper: ops.keeper,
            feed,
            sources: vec![],
        }
    }

    /// A feed with `n` manual sources written by the keeper.
    pub async fn with_manual_sources(n: u8, params: FeedParams) -> Market {
        let mut m = Market::empty(Chain::builder(), "BTC/USD", params, (T0, SLOT0)).await;
        let ops = m.operators();
        m.sources = setup::manual_sources(&mut m.chain, &ops, m.feed, n)
            .await
            .expect("manual sources");
        m
    }

    fn operators(&self) -> setup::Operators {
        setup::Operators {
            governance: self.governance.insecure_clone(),
            keeper: self.keeper.insecure_clone(),
        }
    }

    /// Pin an oracle account already loaded in the chain.
    pub async fn add_source(
        &mut self,
        source: Pubkey,
        kind: SourceKind,
        feed_id: [u8; 32],
    ) -> TxResult {
        let ix = ix::add_source(self.governance.pubkey(), self.feed, source, kind, feed_id);
        let r = self.chain.send(&[ix], &[&self.governance]).await;
        if r.is_ok() {
            self.sources.push(source);
        }
        r
    }

    /// Publish manual prices (None leaves that source untouched) with 0.05% confidence.
    pub async fn push(&mut self, prices: &[Option<i64>]) {
        let quotes: Vec<_> = prices
            .iter()
            .map(|p| p.map(|p| (p, (p / 2_000).unsigned_abs())))
            .collect();
        let ops = self.operators();
        setup::push(&mut self.chain, &ops, &self.sources, &quotes, EXPO)
            .await
            .expect("push manual prices");
    }

    pub async fn refresh(&mut self) -> TxResult {
        setup::refresh(&mut self.chain, self.feed, &self.sources).await
    }

    /// Advance `secs`, push `prices`, refresh; panics if the refresh fails.
    pub async fn step(&mut self, secs: i64, prices: &[Option<i64>]) -> TxSuccess {
        self.chain.advance(secs);
        self.push(prices).await;
        self.refresh().await.expect("refresh")
    }

    pub async fn feed(&mut self) -> PriceFeed {
        self.chain
            .zero_copy_account::<PriceFeed>(self.feed)
            .await
            .expect("feed account")
    }

    pub async fn feed_bytes(&mut self) -> Vec<u8> {
        self.chain
            .account(self.feed)
            .await
            .expect("feed account")
            .data
    }

    pub async fn gov_send(&mut self, ix: solana_sdk::instruction::Instruction) -> TxResult {
        let gov = self.governance.insecure_clone();
        self.chain.send(&[ix], &[&gov]).await
    }
}

/// An M-of-N liquidation validator set of `keys`: liquidations repaying
/// `large_usd` or more need `threshold` approvals; proposals live 100 slots.
pub fn validator_set(
    keys: &[&Keypair],
    threshold: u8,
    large_usd: u128,
) -> margin::state::ValidatorSet {
    let mut set = margin::state::ValidatorSet {
        count: keys.len() as u8,
        threshold,
        large_value: large_usd * 1_000_000_000_000_000_000,
        proposal_ttl_slots: 100,
        ..Default::default()
    };
    for (slot, k) in set.keys.iter_mut().zip(keys) {
        *slot = k.pubkey();
    }
    set
}
