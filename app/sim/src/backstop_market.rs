//! A backstop pool on the margin market's chain: BTC bought for USDC in six
//! bands 0.5%-8% under the BTC feed, margin registered as a consumer, plus
//! a second consumer protocol (a plain keypair) to show the shared buffer.
//! Used by the tests and the absorb benchmark.

use anchor_lang::prelude::Pubkey;
use backstop::state::{Pool, StakeAccount};
use solana_sdk::signature::{Keypair, Signer};

use crate::market::{MarginMarket, User};
use rampart_client::transport::TxResult;
use rampart_embedded::spl;
use rampart_sdk::backstop_ix::{Lp, PoolRef, Seller};
use rampart_sdk::pda;

// One definition of the pool a deployment gets and the simulator runs on.
pub use rampart_sdk::presets::{
    backstop_consumer_limits as consumer_limits, backstop_pool_params as pool_params,
    BACKSTOP_DISCOUNTS_BPS as DISCOUNTS_BPS,
};

pub struct BackstopMarket {
    pub m: MarginMarket,
    pub pool: PoolRef,
    /// A second protocol registered as a consumer: its authority signs and
    /// it sells BTC from its own token accounts.
    pub other_protocol: User,
}

impl BackstopMarket {
    pub async fn new() -> anyhow::Result<BackstopMarket> {
        let mut m = MarginMarket::new().await?;
        let pool = PoolRef::new(m.btc_mint, m.usdc_mint, m.btc_feed);
        let other_protocol = m.user(100 * crate::market::BTC, 0).await?;
        let gov = m.ops.governance.insecure_clone();
        let payer = m.chain.payer_pubkey();
        let ixs = [
            pool.create(gov.pubkey(), payer, DISCOUNTS_BPS.to_vec(), pool_params()),
            pool.register_consumer(
                gov.pubkey(),
                payer,
                pda::margin::backstop_authority(),
                consumer_limits(),
            ),
            pool.register_consumer(
                gov.pubkey(),
                payer,
                other_protocol.key.pubkey(),
                consumer_limits(),
            ),
        ];
        m.chain.send(&ixs, &[&gov]).await?;
        Ok(BackstopMarket {
            m,
            pool,
            other_protocol,
        })
    }

    pub fn lp(user: &User) -> Lp {
        Lp {
            owner: user.key.pubkey(),
            quote: user.usdc,
            collateral: user.btc,
        }
    }

    /// A funded LP holding `usdc`.
    pub async fn new_lp(&mut self, usdc: u64) -> anyhow::Result<User> {
        self.m.user(0, usdc).await
    }

    /// Deposit into `band`, opening the stake first if needed.
    pub async fn deposit(&mut self, lp: &User, band: u8, amount: u64) -> TxResult {
        let owner = lp.key.pubkey();
        let mut ixs = vec![];
        if self.stake(lp, band).await.is_none() {
            ixs.push(self.pool.open_stake(owner, band));
        }
        ixs.push(self.pool.deposit(&Self::lp(lp), band, amount));
        self.m.chain.send(&ixs, &[&lp.key]).await
    }

    pub async fn withdraw(&mut self, lp: &User, band: u8, amount: u64) -> TxResult {
        let ix = self.pool.withdraw(&Self::lp(lp), band, amount);
        self.m.chain.send(&[ix], &[&lp.key]).await
    }

    pub async fn stake(&mut self, lp: &User, band: u8) -> Option<StakeAccount> {
        let address = self.pool.stake(band, &lp.key.pubkey());
        self.m.chain.anchor_account(address).await
    }

    /// What `lp` owns in `band` now, computed by the shared math.
    pub async fn claim(&mut self, lp: &User, band: u8) -> risk_math::backstop::Claim {
        let stake = self.stake(lp, band).await.expect("stake");
        let pool = self.pool_state().await;
        let b: risk_math::backstop::Band = pool.bands[band as usize].into();
        b.claim(&stake.snapshot.into()).expect("claim")
    }

    pub async fn pool_state(&mut self) -> Pool {
        self.m
            .chain
            .anchor_account(self.pool.pool)
            .await
            .expect("pool")
    }

    /// The other protocol as a seller of its own BTC.
    pub fn other_seller(&self) -> Seller {
        let key = self.other_protocol.key.pubkey();
        Seller {
            authority: key,
            owner: key,
            collateral: self.other_protocol.btc,
            quote: self.other_protocol.usdc,
        }
    }

    /// The other protocol sells up to `btc` into the pool.
    pub async fn other_absorbs(&mut self, btc: u64, max_discount_bps: u16) -> TxResult {
        let ix = self
            .pool
            .absorb(&self.other_seller(), btc, u64::MAX, max_discount_bps, 1);
        let key = self.other_protocol.key.insecure_clone();
        self.m.chain.send(&[ix], &[&key]).await
    }

    /// Token balances of the pool's vaults: (USDC, BTC).
    pub async fn vaults(&mut self) -> (u64, u64) {
        let (q, c) = (self.pool.quote_vault(), self.pool.collateral_vault());
        (
            spl::balance(&mut self.m.chain, &q).await,
            spl::balance(&mut self.m.chain, &c).await,
        )
    }

    /// Margin's liquidation of `victim` through the backstop, triggered by `keeper`.
    pub async fn liquidate_with_backstop(&mut self, keeper: &Keypair, victim: &User) -> TxResult {
        let keeper_user = User {
            key: keeper.insecure_clone(),
            btc: Pubkey::default(),
            usdc: Pubkey::default(),
        };
        let l = self.m.liquidation(&keeper_user, victim);
        let ix = rampart_sdk::margin_ix::liquidate_with_backstop(&l);
        self.m.chain.send(&[ix], &[keeper]).await
    }
}
