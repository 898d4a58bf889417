//! Option vaults on the margin market's chain: a BTC covered-call vault
//! and a BTC/USDC cash-secured-put vault on the same feed, weekly epochs,
//! and helpers to drive epochs through the keeper steps. Used by the
//! tests and the epoch benchmark.

use anchor_lang::prelude::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use vault::state::{OptionSeries, Strategy, Vault};

use crate::market::{MarginMarket, User, BTC, USDC};
use rampart_client::transport::TxResult;
use rampart_embedded::spl;
use rampart_sdk::vault_ix::{Holder, VaultRef};

pub use rampart_sdk::presets::{vault_params, EPOCH_SECS};

/// A user of a vault: the margin market's funded user plus a share account.
pub struct VaultUser {
    pub user: User,
    pub holder: Holder,
}

pub struct VaultMarket {
    pub m: MarginMarket,
    pub call: VaultRef,
    pub put: VaultRef,
    pub keeper: Keypair,
}

impl VaultMarket {
    /// The margin market's chain with both vaults created, and BTC moving
    /// ±0.05% every 15 s for ten minutes so the feed shows real volatility.
    pub async fn new() -> anyhow::Result<VaultMarket> {
        let mut m = MarginMarket::new().await?;
        let (btc, usdc, feed) = (m.btc_mint, m.usdc_mint, m.btc_feed);
        let call = VaultRef::new(btc, usdc, Strategy::CoveredCall, EPOCH_SECS, feed);
        let put = VaultRef::new(btc, usdc, Strategy::CashSecuredPut, EPOCH_SECS, feed);
        let gov = m.ops.governance.insecure_clone();
        let payer = m.chain.payer_pubkey();
        let ixs = [
            call.create(
                gov.pubkey(),
                payer,
                Strategy::CoveredCall,
                vault_params(1_000 * BTC, 100 * BTC, BTC / 100),
            ),
            put.create(
                gov.pubkey(),
                payer,
                Strategy::CashSecuredPut,
                vault_params(30_000_000 * USDC, 3_000_000 * USDC, 100 * USDC),
            ),
        ];
        m.chain.send(&ixs, &[&gov]).await?;
        let keeper = m.chain.funded_keypair(10_000_000_000).await;
        let mut vm = VaultMarket {
            m,
            call,
            put,
            keeper,
        };
        vm.wiggle(30_000.0).await?;
        Ok(vm)
    }

    /// Forty 15-second ticks alternating ±0.05% around `btc_usd`.
    pub async fn wiggle(&mut self, btc_usd: f64) -> anyhow::Result<()> {
        for i in 0..40 {
            let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
            self.m.tick(btc_usd * (1.0 + sign * 0.0005)).await?;
        }
        Ok(())
    }

    /// A user holding `btc` and `usdc`, with a share account and a receipt in `v`.
    pub async fn user(&mut self, v: &VaultRef, btc: u64, usdc: u64) -> anyhow::Result<VaultUser> {
        let user = self.m.user(btc, usdc).await?;
        let shares =
            spl::create_token_account(&mut self.m.chain, &v.share_mint(), &user.key.pubkey())
                .await?;
        self.m
            .chain
            .send(&[v.open_receipt(user.key.pubkey())], &[&user.key])
            .await?;
        let asset = if v.asset_mint == self.m.btc_mint {
            user.btc
        } else {
            user.usdc
        };
        let holder = Holder {
            owner: user.key.pubkey(),
            asset,
            shares,
        };
        Ok(VaultUser { user, holder })
    }

    pub async fn vault(&mut self, v: &VaultRef) -> Vault {
        self.m.chain.anchor_account(v.vault).await.expect("vault")
    }

    pub async fn series(&mut self, v: &VaultRef, round: u32) -> OptionSeries {
        self.m
            .chain
            .anchor_account(v.series(round))
            .await
            .expect("series")
    }

    pub async fn send_as(
        &mut self,
        u: &VaultUser,
        ix: solana_sdk::instruction::Instruction,
    ) -> TxResult {
        self.m.chain.send(&[ix], &[&u.user.key]).await
    }

    pub async fn keeper_send(&mut self, ix: solana_sdk::instruction::Instruction) -> TxResult {
        let k = self.keeper.insecure_clone();
        self.m.chain.send(&[ix], &[&k]).await
    }

    /// Keeper: process the current round, then start the next epoch.
    /// Returns the round the new epoch runs in.
    pub async fn roll(&mut self, v: &VaultRef) -> anyhow::Result<u32> {
        let round = self.vault(v).await.round;
        let keeper = self.keeper.pubkey();
        self.keeper_send(v.process_epoch(keeper, round)).await?;
        self.keeper_send(v.start_epoch(keeper, round + 1)).await?;
        Ok(round + 1)
    }

    /// Jump to shortly before `round`'s expiry, tick BTC at `btc_usd`
    /// across it (so the settlement window is covered), and settle.
    pub async fn expire_and_settle(
        &mut self,
        v: &VaultRef,
        round: u32,
        btc_usd: f64,
    ) -> anyhow::Result<TxResult> {
        self.expire_at(v, round, btc_usd).await?;
        Ok(self.m.chain.send(&[v.settle_epoch(round)], &[]).await)
    }

    /// Jump to shortly before `round`'s expiry and tick BTC at `btc_usd` past it.
    pub async fn expire_at(
        &mut self,
        v: &VaultRef,
        round: u32,
        btc_usd: f64,
    ) -> anyhow::Result<()> {
        let expiry = self.series(v, round).await.expiry_ts;
        let now = self.m.chain.clock().unix_timestamp;
        let target = expiry - 600;
        if target > now {
            self.m.chain.advance(target - now);
        }
        for _ in 0..45 {
            self.m.tick(btc_usd).await?;
        }
        Ok(())
    }

    /// Every asset unit in the vault's token account is in exactly one bucket.
    pub async fn assert_books(&mut self, v: &VaultRef) {
        let vault = self.vault(v).await;
        let held = spl::balance(&mut self.m.chain, &v.assets()).await;
        assert_eq!(
            Some(held),
            vault.assets_owed(),
            "asset vault {held} vs buckets {vault:?}"
        );
    }

    /// A token account of `round`'s option mint for `owner`.
    pub async fn option_account(
        &mut self,
        v: &VaultRef,
        round: u32,
        owner: &Pubkey,
    ) -> anyhow::Result<Pubkey> {
        spl::create_token_account(&mut self.m.chain, &v.option_mint(round), owner).await
    }
}
