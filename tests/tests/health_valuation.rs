//! One valuation. The client's health of an account (`rampart_sdk::health`
//! over a `Deployment` read through the transport) and the program's
//! (margin's loader walking the real account bytes the client names as
//! remaining accounts) agree to the token unit, on random accounts holding
//! option-vault shares, BTC and USDC, through price moves, interest and a
//! Greeks mark going stale. A liquidation the client plans executes, and
//! its event carries exactly the maintenance margins the client predicted
//! before and after; an account the client calls healthy is refused as
//! healthy.

use anchor_lang::prelude::{AccountInfo, Pubkey};
use margin::errors::MarginError;
use margin::events::Liquidated;
use margin::health::account_health;
use margin::state::MarginAccount;
use margin::valuation::{AccountHealth, Requirement};
use proptest::prelude::*;
use rampart_client::Deployment;
use rampart_embedded::{spl, Chain};
use rampart_sdk::margin_ix::{self, Flow, HealthEntry};
use rampart_sdk::tokens;
use rampart_sim::vault_market::*;
use rampart_tests::margin_world::*;
use rampart_tests::*;

const W: u64 = 1_000_000_000_000_000_000;

/// One random account: what it deposits, and how much of its initial
/// margin it borrows (BTC when it holds no BTC, else USDC).
#[derive(Debug, Clone)]
struct Holding {
    shares: u64,
    btc: u64,
    usdc: u64,
    borrow_pct: u64,
}

/// A step of the market: BTC moves to `btc_pct` of 30,000 after `idle_secs`.
#[derive(Debug, Clone)]
struct Move {
    btc_pct: u64,
    idle_secs: i64,
}

fn holding() -> impl Strategy<Value = Holding> {
    (
        prop_oneof![Just(0u64), 1_000u64..40_000, 1_000u64..40_000],
        prop_oneof![Just(0u64), 1_000_000u64..100_000_000],
        prop_oneof![Just(0u64), 100u64..20_000],
        0u64..=100,
    )
        .prop_map(|(shares, btc, usdc, borrow_pct)| Holding {
            shares: shares * USDC,
            btc,
            usdc: usdc * USDC,
            borrow_pct,
        })
}

fn step() -> impl Strategy<Value = Move> {
    (
        60u64..=125,
        prop_oneof![Just(0i64), 60i64..4 * 3_600, 86_400i64..3 * 86_400],
    )
        .prop_map(|(btc_pct, idle_secs)| Move { btc_pct, idle_secs })
}

/// The program's own health of `account`: margin's loader over the real
/// bytes of the accounts `entries` name, in instruction order, exactly as
/// the remaining accounts of a borrow or a liquidation.
async fn program_health(
    chain: &mut Chain,
    account: &MarginAccount,
    entries: &[HealthEntry],
    requirement: Requirement,
) -> Result<AccountHealth, u32> {
    let keys = entries.iter().flat_map(|e| {
        let (vault, feed) = e.share_vault.map(|s| (s.vault, s.feed)).unzip();
        [Some(e.bank), Some(e.feed), vault, feed]
            .into_iter()
            .flatten()
    });
    let mut infos = vec![];
    for key in keys.collect::<Vec<_>>() {
        let a = chain.account(key).await.expect("health account");
        // Leaked for the 'info lifetime the loader wants; a test's worth.
        infos.push(AccountInfo::new(
            Box::leak(Box::new(key)),
            false,
            false,
            Box::leak(Box::new(a.lamports)),
            Box::leak(a.data.into_boxed_slice()),
            Box::leak(Box::new(a.owner)),
            a.executable,
            a.rent_epoch,
        ));
    }
    let infos: &'static [AccountInfo<'static>] = Box::leak(infos.into_boxed_slice());
    account_health(account, infos, chain.clock(), requirement).map_err(|e| match e {
        anchor_lang::error::Error::AnchorError(a) => a.error_code_number,
        anchor_lang::error::Error::ProgramError(p) => panic!("program error {p}"),
    })
}

struct World {
    vm: VaultMarket,
    users: Vec<VaultUser>,
    liquidator: Keypair,
    seen: Seen,
}

/// What a run went through, so a test can say it covered something.
#[derive(Debug, Default)]
struct Seen {
    compared: usize,
    refusals_compared: usize,
    liquidated: usize,
    share_collateral_seized: usize,
    healthy_refused: usize,
}

impl World {
    async fn deployment(&mut self) -> Deployment {
        Deployment::load(&mut self.vm.m.chain).await.unwrap()
    }

    async fn account(&mut self, i: usize) -> MarginAccount {
        self.vm.m.account(&self.users[i].user).await
    }

    /// Client and program value every account alike, under both
    /// requirements; returns the client's maintenance margins.
    async fn assert_valuations_agree(&mut self) -> Vec<Option<i128>> {
        let d = self.deployment().await;
        let mut margins = vec![];
        for i in 0..self.users.len() {
            let account = self.account(i).await;
            let entries = d.health(Some(&account), &[]);
            for requirement in [Requirement::Initial, Requirement::Maintenance] {
                let client = d.value(&account, requirement);
                let program =
                    program_health(&mut self.vm.m.chain, &account, &entries, requirement).await;
                self.seen.compared += 1;
                self.seen.refusals_compared += usize::from(program.is_err());
                match (&client, &program) {
                    (Ok(c), Ok(p)) => assert_eq!(c, p, "account {i}, {requirement:?}"),
                    // The same refusal: the client names the program's code.
                    (Err(c), Err(p)) => assert!(
                        c.to_string().contains(&format!("({p})")),
                        "account {i}, {requirement:?}: client {c:#}, program {p}"
                    ),
                    _ => panic!(
                        "account {i}, {requirement:?}: client {client:?}, program {program:?}"
                    ),
                }
            }
            margins.push(
                d.value(&account, Requirement::Maintenance)
                    .ok()
                    .map(|h| h.health.margin()),
            );
        }
        margins
    }

    /// Flow for user `i` with the health entries the client builds (a
    /// share bank's with its vault and the vault's feed).
    fn flow(&self, d: &Deployment, account: &MarginAccount, i: usize, mint: Pubkey) -> Flow {
        let u = &self.users[i];
        let user_token = if mint == self.vm.m.btc_mint {
            u.user.btc
        } else if mint == self.vm.m.usdc_mint {
            u.user.usdc
        } else {
            u.holder.shares
        };
        Flow {
            owner: u.holder.owner,
            account_index: 0,
            mint,
            user_token,
            health: d.health(Some(account), &[pda::margin::bank(&mint)]),
        }
    }

    async fn send_as(
        &mut self,
        i: usize,
        ix: anchor_lang::solana_program::instruction::Instruction,
    ) -> TxResult {
        let key = self.users[i].user.key.insecure_clone();
        self.vm.m.chain.send(&[ix], &[&key]).await
    }

    /// Liquidate every account the client finds below maintenance (checking
    /// the event against the client's margins before and after), and try
    /// one the client finds healthy (refused as healthy).
    async fn liquidate_candidates(&mut self) {
        for i in 0..self.users.len() {
            let d = self.deployment().await;
            let account = self.account(i).await;
            if !account.has_debt() {
                continue;
            }
            let Ok(before) = d.value(&account, Requirement::Maintenance) else {
                continue;
            };
            let address = pda::margin::account(&self.users[i].holder.owner, 0);
            let plan =
                rampart_ops::liquidator::plan(&d, self.liquidator.pubkey(), address, &account);
            let Ok(plan) = plan else { continue };
            let liquidator = self.liquidator.insecure_clone();
            let result = self
                .vm
                .m
                .chain
                .send(
                    &[
                        tokens::create_ata_idempotent(
                            &liquidator.pubkey(),
                            &liquidator.pubkey(),
                            &plan.collateral_mint,
                        ),
                        margin_ix::liquidate(&plan),
                    ],
                    &[&liquidator],
                )
                .await;
            if before.health.is_healthy() {
                assert_margin_error(result, MarginError::AccountHealthy);
                self.seen.healthy_refused += 1;
                continue;
            }
            let ok =
                result.unwrap_or_else(|e| panic!("account {i} the client finds liquidatable: {e}"));
            let event = events::decode::<Liquidated>(&ok.logs).remove(0);
            assert_eq!(
                event.maint_margin_before,
                before.health.margin(),
                "account {i}"
            );
            self.seen.liquidated += 1;
            if event.collateral_bank == pda::margin::bank(&self.vm.put.share_mint()) {
                self.seen.share_collateral_seized += 1;
            }
            let d = self.deployment().await;
            let after = d
                .value(&self.account(i).await, Requirement::Maintenance)
                .unwrap();
            assert_eq!(
                event.maint_margin_after,
                after.health.margin(),
                "account {i}"
            );
        }
    }
}

async fn world(holdings: &[Holding]) -> World {
    let mut vm = VaultMarket::new().await.unwrap();
    let v = vm.put;
    let keeper = vm.keeper.pubkey();
    let gov = vm.m.ops.governance.insecure_clone();
    let payer = vm.m.chain.payer_pubkey();
    let ix = margin_ix::create_share_bank(
        payer,
        gov.pubkey(),
        v.vault,
        vm.m.usdc_feed,
        rampart_sdk::presets::share_params(),
    );
    vm.m.chain.send(&[ix], &[&gov]).await.unwrap();
    // Lenders, and a liquidator holding both tokens in its associated accounts.
    for (btc, usdc) in [(10 * BTC, 0), (0, 2_000_000 * USDC)] {
        let lender = vm.m.user(btc, usdc).await.unwrap();
        let (mint, amount) = if btc > 0 {
            (vm.m.btc_mint, btc)
        } else {
            (vm.m.usdc_mint, usdc)
        };
        let ix = vm.m.flow(&lender, mint, btc > 0, usdc > 0).deposit(amount);
        vm.m.send_as(&lender, ix).await.unwrap();
    }
    let liquidator = vm.m.chain.funded_keypair(1_000_000_000).await;
    let authority = vm.m.mint_authority.insecure_clone();
    for (mint, amount) in [
        (vm.m.btc_mint, 100 * BTC),
        (vm.m.usdc_mint, 5_000_000 * USDC),
    ] {
        let create = tokens::create_ata_idempotent(&payer, &liquidator.pubkey(), &mint);
        vm.m.chain.send(&[create], &[]).await.unwrap();
        let ata = tokens::ata(&liquidator.pubkey(), &mint);
        spl::mint_to(&mut vm.m.chain, &mint, &authority, &ata, amount)
            .await
            .unwrap();
    }
    // Every holder's shares come from one vault epoch.
    let mut users = vec![];
    for h in holdings {
        let u = vm.user(&v, h.btc, h.usdc + h.shares).await.unwrap();
        if h.shares > 0 {
            vm.send_as(&u, v.deposit(&u.holder, h.shares, None))
                .await
                .unwrap();
        }
        users.push(u);
    }
    vm.keeper_send(v.process_epoch(keeper, 1)).await.unwrap();
    for (u, h) in users.iter().zip(holdings) {
        if h.shares > 0 {
            vm.send_as(u, v.redeem_shares(&u.holder, Some(1)))
                .await
                .unwrap();
        }
    }
    // Puts sold against about half the vault: the shares' NAV carries an
    // option liability, marked by the Greeks cache while it is fresh.
    vm.keeper_send(v.start_epoch(keeper, 2)).await.unwrap();
    let supplied: u64 = holdings.iter().map(|h| h.shares).sum();
    let notional = (supplied as u128 * BTC as u128 / (60_000 * USDC as u128)) as u64;
    if notional > 0 {
        let buyer = vm.user(&v, 0, 100_000 * USDC).await.unwrap();
        let owner = buyer.holder.owner;
        let options = vm.option_account(&v, 2, &owner).await.unwrap();
        let buy = v.buy_options(2, owner, buyer.user.usdc, options, notional, 10_000 * USDC);
        vm.send_as(&buyer, buy).await.unwrap();
    }
    let mut w = World {
        vm,
        users,
        liquidator,
        seen: Seen::default(),
    };
    // Deposits, then a borrow of part of the initial margin.
    let share_mint = v.share_mint();
    for (i, h) in holdings.iter().enumerate() {
        let (btc_mint, usdc_mint) = (w.vm.m.btc_mint, w.vm.m.usdc_mint);
        for (mint, amount) in [
            (share_mint, h.shares),
            (btc_mint, h.btc),
            (usdc_mint, h.usdc),
        ] {
            if amount > 0 {
                let d = w.deployment().await;
                let account = w.account(i).await;
                let ix = w.flow(&d, &account, i, mint).deposit(amount);
                w.send_as(i, ix).await.unwrap();
            }
        }
        let d = w.deployment().await;
        let account = w.account(i).await;
        let Ok(initial) = d.value(&account, Requirement::Initial) else {
            continue;
        };
        let spare = initial.health.margin().max(0) as u128 * h.borrow_pct as u128 / 100;
        let (mint, unit_usd_wad) = if h.btc == 0 {
            (btc_mint, 30_000 * 11 / 10 * W as u128 / BTC as u128)
        } else {
            (usdc_mint, 11 * W as u128 / 10 / USDC as u128)
        };
        let amount = (spare / unit_usd_wad) as u64;
        if amount > 0 {
            let ix = w.flow(&d, &account, i, mint).borrow(amount);
            // Near the limit the program may refuse: either way the
            // valuations are compared below.
            let _ = w.send_as(i, ix).await;
        }
    }
    w
}

async fn run(holdings: Vec<Holding>, moves: Vec<Move>) -> Seen {
    let mut w = world(&holdings).await;
    w.assert_valuations_agree().await;
    for m in moves {
        if m.idle_secs > 0 {
            // Idle: interest accrues, the feeds go stale (both refuse
            // alike), the Greeks mark ages.
            w.vm.m.chain.advance(m.idle_secs);
            w.assert_valuations_agree().await;
        }
        // Three ticks to the new price (the feed's TWAP and breaker see a move).
        let target = 30_000.0 * m.btc_pct as f64 / 100.0;
        let from = w.vm.m.btc_price as f64 / 1e8;
        for k in 1..=3 {
            let p = from + (target - from) * k as f64 / 3.0;
            w.vm.m.tick(p).await.unwrap();
        }
        w.assert_valuations_agree().await;
        w.liquidate_candidates().await;
        w.assert_valuations_agree().await;
    }
    w.seen
}

/// The case the property must cover whatever the draw: BTC borrowed to
/// the limit against vault shares alone, then BTC rallies. The client
/// finds the account liquidatable, plans the liquidation (the shares are
/// the collateral), and the program executes it at the predicted margins.
#[tokio::test]
async fn btc_borrowed_against_vault_shares_is_liquidated_at_the_predicted_margin() {
    let holdings = vec![
        Holding {
            shares: 40_000 * USDC,
            btc: 0,
            usdc: 0,
            borrow_pct: 95,
        },
        Holding {
            shares: 10_000 * USDC,
            btc: 0,
            usdc: 5_000 * USDC,
            borrow_pct: 50,
        },
    ];
    let rally = vec![Move {
        btc_pct: 125,
        idle_secs: 600,
    }];
    let seen = run(holdings, rally).await;
    assert!(seen.share_collateral_seized >= 1, "{seen:?}");
    assert!(seen.refusals_compared >= 1, "{seen:?}");
    assert!(seen.healthy_refused >= 1, "{seen:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn client_and_program_value_accounts_alike(
        holdings in prop::collection::vec(holding(), 3..6),
        moves in prop::collection::vec(step(), 2..5),
    ) {
        let seen = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(run(holdings, moves));
        prop_assert!(seen.compared > 0);
    }
}

/// The risk view's limits are the program's own, at the same clock: the
/// client's max withdraw and max borrow land and one unit more is refused
/// `InsufficientHealth`; below the client's liquidation price the program
/// liquidates, a little above it the program refuses `AccountHealthy`.
#[tokio::test]
async fn max_withdraw_max_borrow_and_liquidation_price_are_the_programs() {
    use rampart_sdk::health;
    let mut m = MarginMarket::new().await.unwrap();
    m.lender(1_000_000 * USDC, 500_000 * USDC).await.unwrap();
    let b = m.leveraged_borrower(BTC, 10_000 * USDC).await.unwrap();
    let (btc, usdc) = (m.btc_mint, m.usdc_mint);
    let (btc_bank, usdc_bank) = (m.btc_bank(), m.usdc_bank());

    let d = Deployment::load(&mut m.chain).await.unwrap();
    let account = m.account(&b).await;
    let max = health::max_withdraw(&account, &d, &d.clock, btc_bank).unwrap();
    assert!(max > 0 && max < BTC, "{max}");
    let over = m.flow(&b, btc, true, true).withdraw(max + 1);
    assert_margin_error(m.send_as(&b, over).await, MarginError::InsufficientHealth);
    let at = m.flow(&b, btc, true, true).withdraw(max);
    m.send_as(&b, at).await.unwrap();

    // Some collateral back, then borrow up to the limit.
    let ix = m.flow(&b, btc, true, true).deposit(max);
    m.send_as(&b, ix).await.unwrap();
    let d = Deployment::load(&mut m.chain).await.unwrap();
    let account = m.account(&b).await;
    let max = health::max_borrow(&account, &d, &d.clock, usdc_bank).unwrap();
    assert!(max > 0, "{max}");
    let over = m.flow(&b, usdc, true, true).borrow(max + 1);
    assert_margin_error(m.send_as(&b, over).await, MarginError::InsufficientHealth);
    let at = m.flow(&b, usdc, true, true).borrow(max);
    m.send_as(&b, at).await.unwrap();
    let d = Deployment::load(&mut m.chain).await.unwrap();
    let account = m.account(&b).await;
    assert_eq!(
        health::max_borrow(&account, &d, &d.clock, usdc_bank).unwrap(),
        0
    );

    let price = health::liquidation_price(&account, &d, &d.clock, m.btc_feed)
        .unwrap()
        .expect("a borrower against BTC has a liquidation price");
    let usd = price as f64 / 1e8;
    assert!(usd < 30_000.0, "{usd}");
    let liq = m.liquidator(1_000_000 * USDC).await.unwrap();
    m.tick(usd * 1.002).await.unwrap();
    assert_margin_error(m.liquidate(&liq, &b).await, MarginError::AccountHealthy);
    m.tick(usd * 0.998).await.unwrap();
    m.liquidate(&liq, &b).await.unwrap();
}
