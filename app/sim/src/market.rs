//! A margin market on the embedded chain: BTC/USD and USDC/USD feeds (one
//! manual source each), real SPL mints, a bank per mint, funded users.
//! Used by the tests, the benchmarks and (next) the stress simulator.

use anchor_lang::prelude::Pubkey;
use margin::state::{AdaptiveMaintenance, Bank, BankParams, MarginAccount};
use pricing::state::FeedParams;
use solana_sdk::signature::{Keypair, Signer};

use crate::setup;
use rampart_embedded::spl;
use rampart_embedded::{Chain, TxResult};
use rampart_sdk::margin_ix::{self, Flow};
use rampart_sdk::pda;

pub use rampart_sdk::presets::EXPO;
const T0: i64 = 1_700_000_000;
const SLOT0: u64 = 230_000_000;

/// A price in units as a mantissa at [`EXPO`].
pub fn price(units: f64) -> i64 {
    (units * 1e8).round() as i64
}

pub use rampart_sdk::presets::{
    adaptive_maintenance, agent_leashes, btc_interest, btc_params, fixed_maintenance,
    governance_params, liquidation_params, one_source_params, usdc_interest, usdc_params, BTC,
    BTC_DECIMALS, USDC, USDC_DECIMALS,
};

/// What `MarginMarket::configured` varies.
#[derive(Debug, Clone, Copy)]
pub struct MarketConfig {
    pub btc_sources: u8,
    pub btc_feed: FeedParams,
    pub btc_bank: BankParams,
    pub usdc_bank: BankParams,
    pub start_price: f64,
}

pub struct User {
    pub key: Keypair,
    pub btc: Pubkey,
    pub usdc: Pubkey,
}

pub struct MarginMarket {
    pub chain: Chain,
    pub ops: setup::Operators,
    pub btc_feed: Pubkey,
    pub usdc_feed: Pubkey,
    pub btc_source: Vec<Pubkey>,
    pub usdc_source: Vec<Pubkey>,
    pub mint_authority: Keypair,
    pub risk_agent: Keypair,
    pub btc_mint: Pubkey,
    pub usdc_mint: Pubkey,
    pub btc_price: i64,
}

impl MarginMarket {
    pub async fn new() -> anyhow::Result<MarginMarket> {
        Self::with_btc_maintenance(fixed_maintenance()).await
    }

    /// A world whose BTC bank uses the given maintenance shape.
    pub async fn with_btc_maintenance(maint: AdaptiveMaintenance) -> anyhow::Result<MarginMarket> {
        Self::configured(MarketConfig {
            btc_sources: 1,
            btc_feed: one_source_params(),
            btc_bank: BankParams {
                maint,
                ..btc_params()
            },
            usdc_bank: usdc_params(),
            start_price: 30_000.0,
        })
        .await
    }

    /// A world with `config.btc_sources` manual BTC sources under the given
    /// feed rules and bank parameters, BTC at `config.start_price`.
    pub async fn configured(config: MarketConfig) -> anyhow::Result<MarginMarket> {
        let mut chain = Chain::builder().start().await;
        chain.set_clock(T0, SLOT0);
        let (ops, btc_feed) =
            setup::protocol_and_feed(&mut chain, "BTC/USD", EXPO, config.btc_feed, 6_000).await?;
        let usdc_feed =
            setup::feed(&mut chain, &ops, "USDC/USD", EXPO, one_source_params(), 500).await?;
        let btc_source =
            setup::manual_sources(&mut chain, &ops, btc_feed, config.btc_sources).await?;
        let usdc_source = setup::manual_sources(&mut chain, &ops, usdc_feed, 1).await?;
        let payer = chain.payer_pubkey();
        let risk_agent = Keypair::new();
        let rules = governance_params(risk_agent.pubkey());
        let init = [
            margin_ix::init_margin(payer, ops.governance.pubkey(), liquidation_params(), rules),
            margin_ix::set_agent_leashes(
                ops.governance.pubkey(),
                risk_agent.pubkey(),
                rules.agent_base,
                agent_leashes(),
            ),
        ];
        chain.send(&init, &[&ops.governance]).await?;
        let mint_authority = Keypair::new();
        let btc_mint = spl::create_mint(&mut chain, &mint_authority.pubkey(), BTC_DECIMALS).await?;
        let usdc_mint =
            spl::create_mint(&mut chain, &mint_authority.pubkey(), USDC_DECIMALS).await?;
        let mut w = MarginMarket {
            chain,
            ops,
            btc_feed,
            usdc_feed,
            btc_source,
            usdc_source,
            mint_authority,
            risk_agent,
            btc_mint,
            usdc_mint,
            btc_price: price(config.start_price),
        };
        w.tick(config.start_price).await?;
        for (mint, feed, params) in [
            (btc_mint, btc_feed, config.btc_bank),
            (usdc_mint, usdc_feed, config.usdc_bank),
        ] {
            w.create_bank(mint, feed, params).await?;
        }
        Ok(w)
    }

    pub async fn create_bank(
        &mut self,
        mint: Pubkey,
        feed: Pubkey,
        params: BankParams,
    ) -> TxResult {
        let ix = margin_ix::create_bank(
            self.chain.payer_pubkey(),
            self.ops.governance.pubkey(),
            mint,
            feed,
            params,
        );
        let gov = self.ops.governance.insecure_clone();
        self.chain.send(&[ix], &[&gov]).await
    }

    /// Advance 15 s, publish BTC at `btc_usd` on every source and USDC at
    /// 1.0 (0.05% confidence), refresh both.
    pub async fn tick(&mut self, btc_usd: f64) -> anyhow::Result<()> {
        self.chain.advance(15);
        let p = price(btc_usd);
        let quotes = vec![Some((p, (p / 2_000) as u64)); self.btc_source.len()];
        self.publish(&quotes).await?;
        self.refresh_feeds().await?;
        Ok(())
    }

    /// Publish one quote per BTC source (None: the source stays silent)
    /// and USDC at 1.0; no refresh.
    pub async fn publish(&mut self, btc_quotes: &[Option<(i64, u64)>]) -> anyhow::Result<()> {
        if let Some(Some((p, _))) = btc_quotes.iter().find(|q| q.is_some()) {
            self.btc_price = *p;
        }
        setup::push(
            &mut self.chain,
            &self.ops,
            &self.btc_source,
            btc_quotes,
            EXPO,
        )
        .await?;
        let one = price(1.0);
        let usdc = [Some((one, (one / 2_000) as u64))];
        setup::push(&mut self.chain, &self.ops, &self.usdc_source, &usdc, EXPO).await?;
        Ok(())
    }

    /// Refresh the BTC and USDC feeds from their sources.
    pub async fn refresh_feeds(&mut self) -> anyhow::Result<()> {
        setup::refresh(&mut self.chain, self.btc_feed, &self.btc_source).await?;
        setup::refresh(&mut self.chain, self.usdc_feed, &self.usdc_source).await?;
        Ok(())
    }

    /// Hold BTC at `btc_usd` for `ticks` refreshes of 15 s: long enough
    /// (20+) and the TWAP window holds that price alone, so a crash can be
    /// walked down in steps the breaker accepts.
    pub async fn hold(&mut self, btc_usd: f64, ticks: usize) -> anyhow::Result<()> {
        for _ in 0..ticks {
            self.tick(btc_usd).await?;
        }
        Ok(())
    }

    /// Send `amount` USDC to the USDC bank's insurance fund (minted: anyone
    /// may pay into the fund's token account).
    pub async fn fund_usdc_insurance(&mut self, amount: u64) -> anyhow::Result<()> {
        let fund = pda::margin::insurance(&self.usdc_bank());
        let authority = self.mint_authority.insecure_clone();
        let mint = self.usdc_mint;
        spl::mint_to(&mut self.chain, &mint, &authority, &fund, amount).await
    }

    /// Mint `amount` more of `mint` to `user`'s token account (e.g. to pay
    /// interest on top of what was borrowed).
    pub async fn fund(&mut self, user: &User, mint: Pubkey, amount: u64) {
        let account = if mint == self.btc_mint {
            user.btc
        } else {
            user.usdc
        };
        let authority = self.mint_authority.insecure_clone();
        spl::mint_to(&mut self.chain, &mint, &authority, &account, amount)
            .await
            .expect("mint");
    }

    /// A funded user with token accounts holding `btc` and `usdc` (base units) and margin account 0.
    pub async fn user(&mut self, btc: u64, usdc: u64) -> anyhow::Result<User> {
        let key = self.chain.funded_keypair(1_000_000_000).await;
        let btc_account =
            spl::create_token_account(&mut self.chain, &self.btc_mint, &key.pubkey()).await?;
        let usdc_account =
            spl::create_token_account(&mut self.chain, &self.usdc_mint, &key.pubkey()).await?;
        let authority = self.mint_authority.insecure_clone();
        for (mint, account, amount) in [
            (self.btc_mint, btc_account, btc),
            (self.usdc_mint, usdc_account, usdc),
        ] {
            if amount > 0 {
                spl::mint_to(&mut self.chain, &mint, &authority, &account, amount).await?;
            }
        }
        self.chain
            .send(&[margin_ix::open_account(key.pubkey(), 0)], &[&key])
            .await?;
        Ok(User {
            key,
            btc: btc_account,
            usdc: usdc_account,
        })
    }

    pub fn btc_bank(&self) -> Pubkey {
        pda::margin::bank(&self.btc_mint)
    }

    pub fn usdc_bank(&self) -> Pubkey {
        pda::margin::bank(&self.usdc_mint)
    }

    /// A balance action on `mint` for `user`, with health pairs for the
    /// banks the account will use afterwards (`with_btc`, `with_usdc`).
    pub fn flow(&self, user: &User, mint: Pubkey, with_btc: bool, with_usdc: bool) -> Flow {
        let mut health = vec![];
        if with_btc {
            health.push((self.btc_bank(), self.btc_feed).into());
        }
        if with_usdc {
            health.push((self.usdc_bank(), self.usdc_feed).into());
        }
        let user_token = if mint == self.btc_mint {
            user.btc
        } else {
            user.usdc
        };
        Flow {
            owner: user.key.pubkey(),
            account_index: 0,
            mint,
            user_token,
            health,
        }
    }

    pub async fn send_as(
        &mut self,
        user: &User,
        ix: solana_sdk::instruction::Instruction,
    ) -> TxResult {
        self.chain.send(&[ix], &[&user.key]).await
    }

    pub async fn account(&mut self, user: &User) -> MarginAccount {
        self.chain
            .anchor_account(pda::margin::account(&user.key.pubkey(), 0))
            .await
            .expect("margin account")
    }

    pub async fn bank(&mut self, mint: Pubkey) -> Bank {
        self.chain
            .anchor_account(pda::margin::bank(&mint))
            .await
            .expect("bank")
    }

    pub async fn tokens(&mut self, token_account: Pubkey) -> u64 {
        spl::balance(&mut self.chain, &token_account).await
    }

    pub async fn vault(&mut self, mint: Pubkey) -> u64 {
        let vault = pda::margin::vault(&pda::margin::bank(&mint));
        spl::balance(&mut self.chain, &vault).await
    }
}

impl MarginMarket {
    /// A liquidator holding `usdc` and an empty BTC account.
    pub async fn liquidator(&mut self, usdc: u64) -> anyhow::Result<User> {
        self.user(0, usdc).await
    }

    pub fn liquidation(&self, liquidator: &User, victim: &User) -> margin_ix::LiquidationAccounts {
        margin_ix::LiquidationAccounts {
            liquidator: liquidator.key.pubkey(),
            account: pda::margin::account(&victim.key.pubkey(), 0),
            liability_mint: self.usdc_mint,
            collateral_mint: self.btc_mint,
            liquidator_liability_token: liquidator.usdc,
            liquidator_collateral_token: liquidator.btc,
            health: vec![
                (self.btc_bank(), self.btc_feed).into(),
                (self.usdc_bank(), self.usdc_feed).into(),
            ],
            proposal: None,
            proposer: None,
            backstop_feed: self.btc_feed,
        }
    }

    pub async fn liquidate(&mut self, liquidator: &User, victim: &User) -> TxResult {
        let ix = margin_ix::liquidate(&self.liquidation(liquidator, victim));
        self.send_as(liquidator, ix).await
    }

    /// Permissionless risk update of the BTC bank.
    pub async fn update_btc_risk(&mut self) -> TxResult {
        let ix = margin_ix::update_risk(self.btc_mint, self.btc_feed);
        self.chain.send(&[ix], &[]).await
    }

    /// Tokens `user`'s deposit in `mint`'s bank is worth now (its shares at
    /// the pool's price, with interest to the chain's clock).
    pub async fn deposit_worth(&mut self, user: &User, mint: Pubkey) -> u64 {
        let bank_key = pda::margin::bank(&mint);
        let shares = self
            .account(user)
            .await
            .positions
            .iter()
            .find(|p| p.bank == bank_key && !p.is_empty())
            .map_or(0, |p| p.deposit_shares);
        let now = self.chain.clock().unix_timestamp;
        self.bank(mint)
            .await
            .projected(now)
            .and_then(|b| b.deposit_tokens(shares))
            .expect("share value")
    }

    /// `user`'s debt in `mint`'s bank, with interest to the chain's clock.
    pub async fn debt(&mut self, user: &User, mint: Pubkey) -> u64 {
        let bank_key = pda::margin::bank(&mint);
        let scaled = self
            .account(user)
            .await
            .positions
            .iter()
            .find(|p| p.bank == bank_key && !p.is_empty())
            .map_or(0, |p| p.borrow_scaled);
        let now = self.chain.clock().unix_timestamp;
        self.bank(mint)
            .await
            .projected(now)
            .and_then(|b| b.debt_tokens(scaled))
            .expect("debt")
    }

    /// Permissionless write-off of `victim`'s USDC debt (the BTC bank is
    /// passed for the program to see any BTC shares are worth nothing).
    pub async fn write_off_usdc_debt(&mut self, victim: &User) -> TxResult {
        let account = pda::margin::account(&victim.key.pubkey(), 0);
        let ix = margin_ix::write_off_bad_debt(account, self.usdc_mint, &[self.btc_bank()]);
        self.chain.send(&[ix], &[]).await
    }

    /// Under Shutdown: fix both banks' settlement prices.
    pub async fn fix_settlement_prices(&mut self) -> TxResult {
        let ixs = [
            margin_ix::fix_settlement_price(self.btc_mint, self.btc_feed, None),
            margin_ix::fix_settlement_price(self.usdc_mint, self.usdc_feed, None),
        ];
        self.chain.send(&ixs, &[]).await
    }

    /// Under Shutdown: `settler` settles `victim`'s USDC debt against its BTC.
    pub async fn settle(&mut self, settler: &User, victim: &User) -> TxResult {
        let ix = margin_ix::settle_position(&self.liquidation(settler, victim));
        self.send_as(settler, ix).await
    }

    pub async fn insurance(&mut self, mint: Pubkey) -> u64 {
        let vault = pda::margin::insurance(&pda::margin::bank(&mint));
        spl::balance(&mut self.chain, &vault).await
    }

    /// A lender holding `usdc` tokens that supplies `supply` of them.
    pub async fn lender(&mut self, usdc: u64, supply: u64) -> anyhow::Result<User> {
        let lender = self.user(0, usdc).await?;
        let ix = self
            .flow(&lender, self.usdc_mint, false, true)
            .deposit(supply);
        self.send_as(&lender, ix).await?;
        Ok(lender)
    }

    /// A borrower that posts `btc` and borrows `usdc` against it (0 for none).
    pub async fn leveraged_borrower(&mut self, btc: u64, usdc: u64) -> anyhow::Result<User> {
        let b = self.user(btc, 0).await?;
        let ix = self.flow(&b, self.btc_mint, true, false).deposit(btc);
        self.send_as(&b, ix).await?;
        if usdc > 0 {
            let ix = self.flow(&b, self.usdc_mint, true, true).borrow(usdc);
            self.send_as(&b, ix).await?;
        }
        Ok(b)
    }
}
