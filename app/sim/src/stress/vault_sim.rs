//! Option-vault depositors in a stress run: an hourly covered-call vault on
//! the scenario's BTC feed, depositors in from the start, a buyer taking a
//! quarter of each epoch's options, and a keeper rolling epochs (settle at
//! the TWAP ending at expiry, process, start) whenever the feed allows.
//! Records the NAV per share in USD at the reference price.

use solana_sdk::signature::{Keypair, Signer};
use vault::state::{Strategy, Vault, VaultParams};

use crate::market::{MarginMarket, User, BTC};
use rampart_embedded::spl;
use rampart_sdk::vault_ix::roll_instructions;
use rampart_sdk::vault_ix::{Holder, VaultRef};

pub const EPOCH_SECS: u32 = 3_600;
/// Each depositor puts in this much BTC.
const DEPOSIT: u64 = BTC;

/// Hourly epochs, sold during the first half hour at 25-delta; the
/// vault's other parameters are the weekly test vault's.
fn params(depositors: usize) -> VaultParams {
    VaultParams {
        epoch_secs: EPOCH_SECS,
        sale_window_secs: 1_800,
        deposit_cap: (depositors as u64 + 1) * DEPOSIT,
        user_deposit_cap: DEPOSIT,
        min_supply: BTC / 100,
        ..crate::vault_market::vault_params(BTC, BTC, BTC / 100)
    }
}

pub struct VaultSim {
    v: VaultRef,
    keeper: Keypair,
    buyer: User,
    depositors: Vec<User>,
    /// The round whose options are live (0 before the first start).
    live: u32,
    expiry: i64,
    pub nav_start: Option<f64>,
    pub epochs_started: usize,
    pub settlements: usize,
    pub settlement_retries: usize,
}

impl VaultSim {
    /// The vault, `depositors` depositors of 1 BTC each and a buyer.
    pub async fn open(m: &mut MarginMarket, depositors: usize) -> anyhow::Result<VaultSim> {
        let v = VaultRef::new(
            m.btc_mint,
            m.usdc_mint,
            Strategy::CoveredCall,
            EPOCH_SECS,
            m.btc_feed,
        );
        let gov = m.ops.governance.insecure_clone();
        let payer = m.chain.payer_pubkey();
        let create = v.create(
            gov.pubkey(),
            payer,
            Strategy::CoveredCall,
            params(depositors),
        );
        m.chain.send(&[create], &[&gov]).await?;
        let mut users = vec![];
        for _ in 0..depositors {
            let u = m.user(DEPOSIT, 0).await?;
            let h = holder(m, &v, &u).await?;
            m.chain
                .send(
                    &[v.open_receipt(h.owner), v.deposit(&h, DEPOSIT, None)],
                    &[&u.key],
                )
                .await?;
            users.push(u);
        }
        let buyer = m.user(100 * BTC, 0).await?;
        let keeper = m.chain.funded_keypair(10_000_000_000).await;
        Ok(VaultSim {
            v,
            keeper,
            buyer,
            depositors: users,
            live: 0,
            expiry: 0,
            nav_start: None,
            epochs_started: 0,
            settlements: 0,
            settlement_retries: 0,
        })
    }

    /// BTC minted for the vault's users.
    pub fn minted_btc(&self) -> u64 {
        self.depositors.len() as u64 * DEPOSIT + 100 * BTC
    }

    /// Every BTC token account of the vault's users, and the vault's own.
    pub fn btc_holders(&self) -> Vec<anchor_lang::prelude::Pubkey> {
        let mut out: Vec<_> = self.depositors.iter().map(|u| u.btc).collect();
        out.push(self.buyer.btc);
        out.push(self.v.assets());
        out
    }

    /// The keeper's work this step, then the NAV per share in USD at `reference`.
    pub async fn step(&mut self, m: &mut MarginMarket, now: i64, reference: f64) -> Option<f64> {
        if self.live > 0 && now >= self.expiry {
            let settle = self.v.settle_epoch(self.live);
            match m.chain.send(&[settle], &[]).await {
                Ok(_) => {
                    self.settlements += 1;
                    self.live = 0;
                }
                // Refused while the feed is halted or the window uncovered: retry.
                Err(_) => self.settlement_retries += 1,
            }
        }
        if self.live == 0 {
            // Refused while the feed is Restricted or halted (no option
            // sales): the keeper tries again next step.
            let _ = self.roll(m).await;
        }
        let vault: Vault = m.chain.anchor_account(self.v.vault).await?;
        // Margin's view: the Greeks mark is trusted while fresh by spot.
        let spot = (reference * 1e18) as u128;
        let per_share = vault.nav_per_share(now, Some(spot)).ok()? as f64 / 1e18;
        let nav = per_share * reference;
        self.nav_start.get_or_insert(nav);
        Some(nav)
    }

    /// The keeper's roll plan (the CLI's and keeper's own), then a buyer
    /// takes a quarter of the new epoch.
    async fn roll(&mut self, m: &mut MarginMarket) -> anyhow::Result<()> {
        let k = self.keeper.insecure_clone();
        let vault: Vault = m
            .chain
            .anchor_account(self.v.vault)
            .await
            .ok_or_else(|| anyhow::anyhow!("vault"))?;
        let Some((live, ixs)) = roll_instructions(&self.v, &vault, k.pubkey()) else {
            return Ok(());
        };
        m.chain.send(&ixs, &[&k]).await?;
        self.live = live;
        self.epochs_started += 1;
        let series: vault::state::OptionSeries = m
            .chain
            .anchor_account(self.v.series(live))
            .await
            .ok_or_else(|| anyhow::anyhow!("series"))?;
        self.expiry = series.expiry_ts;
        let buyer = self.buyer.key.insecure_clone();
        let options =
            spl::create_token_account(&mut m.chain, &self.v.option_mint(live), &buyer.pubkey())
                .await?;
        let amount = series.capacity / 4;
        if amount > 0 {
            let buy = self.v.buy_options(
                live,
                buyer.pubkey(),
                self.buyer.btc,
                options,
                amount,
                amount,
            );
            let _ = m.chain.send(&[buy], &[&buyer]).await;
        }
        Ok(())
    }
}

async fn holder(m: &mut MarginMarket, v: &VaultRef, u: &User) -> anyhow::Result<Holder> {
    let shares = spl::create_token_account(&mut m.chain, &v.share_mint(), &u.key.pubkey()).await?;
    Ok(Holder {
        owner: u.key.pubkey(),
        asset: u.btc,
        shares,
    })
}
