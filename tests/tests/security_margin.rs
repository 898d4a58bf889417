//! Exploit tests for the margin findings of the independent review (issue
//! 13). Each test plays the attack on the real programs and asserts the
//! safe outcome: on the code as reviewed every one of them failed (the
//! harm happened); the note of issue 13 lists the failures seen.

use anchor_lang::prelude::Pubkey;
use margin::errors::MarginError;
use margin::events::{Liquidated, MaintenanceRatioUpdated, SettlementPriceFixed};
use margin::state::{BankParams, GuardianSet, MarginStatus};
use rampart_sdk::margin_ix;
use rampart_tests::margin_world::*;
use rampart_tests::*;

const W: u128 = 1_000_000_000_000_000_000;
const WU: u64 = W as u64;

async fn shut_down(m: &mut MarginMarket) {
    let gov = m.ops.governance.insecure_clone();
    let ix = margin_ix::set_margin_status(gov.pubkey(), MarginStatus::Shutdown);
    m.chain.send(&[ix], &[&gov]).await.unwrap();
}

/// (deposit shares, borrows) of `account` in `mint`'s bank.
fn position(account: &margin::state::MarginAccount, mint: Pubkey) -> (u64, u64) {
    let bank = rampart_sdk::pda::margin::bank(&mint);
    account
        .positions
        .iter()
        .find(|p| p.bank == bank && !p.is_empty())
        .map_or((0, 0), |p| (p.deposit_shares, p.borrow_scaled))
}

/// Finding 1: a borrow from the bank an account has deposits in nets
/// against them instead of holding both, so Shutdown can wind down: before
/// the fix the 1 unit owed to the USDC bank could never be settled (one
/// bank, no pair) and every USDC lender's withdrawal failed with
/// `SettlementPending` for good.
#[tokio::test]
async fn same_bank_borrow_nets_and_the_shutdown_winds_down() {
    let mut m = MarginMarket::new().await.unwrap();
    m.hold(30_000.0, 25).await.unwrap();
    let (usdc, btc) = (m.usdc_mint, m.btc_mint);
    let lender = m.lender(100_000 * USDC, 100_000 * USDC).await.unwrap();

    // Deposit 10 units, borrow 1 unit from the same bank.
    let griefer = m.user(0, 10).await.unwrap();
    let ix = m.flow(&griefer, usdc, false, true).deposit(10);
    m.send_as(&griefer, ix).await.unwrap();
    let ix = m.flow(&griefer, usdc, false, true).borrow(1);
    m.send_as(&griefer, ix).await.unwrap();
    let account = m.account(&griefer).await;
    assert_eq!(
        position(&account, usdc),
        (9, 0),
        "the borrow came out of the account's own deposit"
    );
    assert_eq!(m.tokens(griefer.usdc).await, 1);
    assert_eq!(m.bank(usdc).await.total_borrows().unwrap(), 0);

    // A borrow larger than the deposit: the deposit goes first, the rest is debt.
    let b = m.user(2 * BTC, 10_000 * USDC).await.unwrap();
    let ix = m.flow(&b, btc, true, false).deposit(2 * BTC);
    m.send_as(&b, ix).await.unwrap();
    let ix = m.flow(&b, usdc, true, true).deposit(10_000 * USDC);
    m.send_as(&b, ix).await.unwrap();
    let deposits_before = m.bank(usdc).await.total_deposits;
    let ix = m.flow(&b, usdc, true, true).borrow(15_000 * USDC);
    m.send_as(&b, ix).await.unwrap();
    let account = m.account(&b).await;
    assert_eq!(position(&account, usdc), (0, 5_000 * USDC));
    let bank = m.bank(usdc).await;
    assert_eq!(bank.total_borrows().unwrap(), 5_000 * USDC);
    assert_eq!(bank.total_deposits, deposits_before - 10_000 * USDC);
    assert_eq!(m.tokens(b.usdc).await, 15_000 * USDC);

    // A deposit into a bank the account owes repays first.
    let ix = m.flow(&b, usdc, true, true).deposit(6_000 * USDC);
    m.send_as(&b, ix).await.unwrap();
    let account = m.account(&b).await;
    let (shares, debt) = position(&account, usdc);
    assert_eq!(debt, 0);
    assert_eq!(
        m.bank(usdc).await.deposit_tokens(shares).unwrap(),
        1_000 * USDC
    );
    assert_eq!(m.bank(usdc).await.total_borrows().unwrap(), 0);

    // Shutdown: nothing is owed to the USDC bank, every lender is paid.
    shut_down(&mut m).await;
    m.chain.advance(60);
    let ix = m.flow(&lender, usdc, false, true).withdraw(100_000 * USDC);
    m.send_as(&lender, ix).await.unwrap();
    let ix = m.flow(&griefer, usdc, false, true).withdraw(9);
    m.send_as(&griefer, ix).await.unwrap();
    assert_eq!(m.tokens(lender.usdc).await, 100_000 * USDC);
    assert_eq!(m.tokens(griefer.usdc).await, 10);
}

/// Finding 1, variant: after a socialised loss a 1-unit deposit mints a
/// share worth 0 tokens. Before the fix such dust counted as collateral:
/// `write_off_bad_debt` refused (`AccountHasCollateral`) for ever, the BTC
/// bank's borrows never reached 0, and under Shutdown no BTC lender could
/// leave. Shares worth nothing are now empty for the write-off (the banks
/// of the account's other positions are passed to show it).
#[tokio::test]
async fn worthless_dust_shares_do_not_block_write_off_or_the_wind_down() {
    let mut m = MarginMarket::new().await.unwrap();
    let (usdc, btc) = (m.usdc_mint, m.btc_mint);
    // A USDC loss socialised first: each USDC share is then worth < 1 token.
    m.lender(80_000 * USDC, 80_000 * USDC).await.unwrap();
    let sunk = m.leveraged_borrower(BTC, 20_000 * USDC).await.unwrap();
    m.hold(22_000.0, 25).await.unwrap();
    m.hold(16_000.0, 25).await.unwrap();
    let liq = m.user(0, 100_000 * USDC).await.unwrap();
    m.liquidate(&liq, &sunk).await.unwrap();
    m.write_off_usdc_debt(&sunk).await.unwrap();
    let pool = m.bank(usdc).await.pool();
    assert!(pool.total_tokens < pool.total_shares);

    // The attacker: USDC collateral, BTC debt.
    let btc_lender = m.user(10 * BTC, 0).await.unwrap();
    let ix = m.flow(&btc_lender, btc, true, false).deposit(10 * BTC);
    m.send_as(&btc_lender, ix).await.unwrap();
    let v = m.user(0, 10_000 * USDC + 1).await.unwrap();
    let ix = m.flow(&v, usdc, false, true).deposit(10_000 * USDC);
    m.send_as(&v, ix).await.unwrap();
    let ix = m.flow(&v, btc, true, true).borrow(BTC / 4);
    m.send_as(&v, ix).await.unwrap();
    // BTC rallies; the account is under water and liquidated of all its USDC.
    for p in [22_000.0, 30_000.0, 40_000.0, 45_000.0] {
        m.hold(p, 25).await.unwrap();
    }
    let btc_liq = m.user(BTC, 0).await.unwrap();
    let mut l = m.liquidation(&btc_liq, &v);
    l.liability_mint = btc;
    l.collateral_mint = usdc;
    l.liquidator_liability_token = btc_liq.btc;
    l.liquidator_collateral_token = btc_liq.usdc;
    m.send_as(&btc_liq, margin_ix::liquidate(&l)).await.unwrap();
    assert_eq!(m.deposit_worth(&v, usdc).await, 0);
    assert!(m.debt(&v, btc).await > 0);

    // One unit back in: a share worth nothing.
    let ix = m.flow(&v, usdc, false, true).deposit(1);
    m.send_as(&v, ix).await.unwrap();
    let account = m.account(&v).await;
    let (dust, _) = position(&account, usdc);
    assert!(dust > 0);
    assert_eq!(m.bank(usdc).await.deposit_tokens(dust).unwrap(), 0);

    shut_down(&mut m).await;
    m.chain.advance(60);
    let account_key = rampart_sdk::pda::margin::account(&v.key.pubkey(), 0);
    // Without the USDC bank the program cannot see the shares are worthless.
    let blind = margin_ix::write_off_bad_debt(account_key, btc, &[]);
    assert_margin_error(
        m.chain.send(&[blind], &[]).await,
        MarginError::CollateralBankMissing,
    );
    let write_off = margin_ix::write_off_bad_debt(account_key, btc, &[m.usdc_bank()]);
    m.chain.send(&[write_off], &[]).await.unwrap();
    assert_eq!(m.debt(&v, btc).await, 0);
    assert_eq!(m.bank(btc).await.total_borrows().unwrap(), 0);
    // The BTC lender leaves with what the pool holds for them.
    let worth = m.deposit_worth(&btc_lender, btc).await;
    assert!(worth > 9 * BTC);
    let ix = m.flow(&btc_lender, btc, false, false).withdraw(worth);
    m.send_as(&btc_lender, ix).await.unwrap();
    assert_eq!(m.tokens(btc_lender.btc).await, worth);
}

/// 2-of-3 validators ("large" from $1,000), 500,000 USDC lent, a borrower
/// with 1 BTC owing 21,000 USDC and a liquidator with 100,000 USDC.
struct Validated {
    m: MarginMarket,
    validators: Vec<Keypair>,
    borrower: User,
    liq: User,
}

async fn validated() -> Validated {
    let mut m = MarginMarket::new().await.unwrap();
    let validators: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    let g = m.ops.governance.insecure_clone();
    let set = validator_set(&validators.iter().collect::<Vec<_>>(), 2, 1_000);
    m.chain
        .send(&[margin_ix::set_validators(g.pubkey(), set)], &[&g])
        .await
        .unwrap();
    m.lender(1_000_000 * USDC, 500_000 * USDC).await.unwrap();
    let borrower = m.leveraged_borrower(BTC, 21_000 * USDC).await.unwrap();
    let liq = m.liquidator(100_000 * USDC).await.unwrap();
    Validated {
        m,
        validators,
        borrower,
        liq,
    }
}

/// `quiet_secs` pass at 30,000, BTC falls to `price`, the approved
/// liquidation runs: at the base fee.
async fn relapse(
    m: &mut MarginMarket,
    validators: &[Keypair],
    liq: &User,
    l: &mut margin_ix::LiquidationAccounts,
    quiet_secs: i64,
    price: f64,
) {
    m.chain.advance(quiet_secs);
    m.hold(30_000.0, 25).await.unwrap();
    m.tick(price).await.unwrap();
    approved(m, validators, liq, l).await;
    let ok = m.send_as(liq, margin_ix::liquidate(l)).await.unwrap();
    assert_base_fee(&events::decode::<Liquidated>(&ok.logs)[0]);
}

/// The liquidation's fee ramp started at it: a few slots at most, so the
/// fee rate (WAD) is the 2% base, not the 5% cap.
#[track_caller]
fn assert_base_fee(ev: &Liquidated) {
    assert!(
        ev.slots_liquidatable < 10,
        "the ramp starts at this liquidation: {} slots",
        ev.slots_liquidatable
    );
    let params = liquidation_params();
    assert!(
        ev.fee < params.fee_base + 10 * params.fee_per_slot,
        "fee {}",
        ev.fee
    );
}

/// BTC dips to 24,000, a liquidation is proposed and approved, BTC falls to
/// 23,500 before it runs: capped at the approved size, it leaves the
/// account below maintenance, marked liquidatable. Returns the accounts of
/// that liquidation (its proposal closed).
async fn dip_left_below_maintenance(
    m: &mut MarginMarket,
    validators: &[Keypair],
    liq: &User,
    borrower: &User,
) -> margin_ix::LiquidationAccounts {
    m.tick(24_000.0).await.unwrap();
    let mut l = m.liquidation(liq, borrower);
    approved(m, validators, liq, &mut l).await;
    m.tick(23_500.0).await.unwrap();
    let ok = m.send_as(liq, margin_ix::liquidate(&l)).await.unwrap();
    let ev = &events::decode::<Liquidated>(&ok.logs)[0];
    assert!(ev.maint_margin_after < 0, "still below maintenance");
    assert!(m.account(borrower).await.liquidatable_since_slot > 0);
    l
}

/// `proposer` proposes the liquidation `l` describes and two validators
/// approve it; `l` then carries the proposal.
async fn approved(
    m: &mut MarginMarket,
    validators: &[Keypair],
    proposer: &User,
    l: &mut margin_ix::LiquidationAccounts,
) {
    l.proposal = None;
    m.send_as(proposer, margin_ix::propose_liquidation(l))
        .await
        .unwrap();
    let proposal = l.proposal_address();
    for v in &validators[..2] {
        let ix = margin_ix::approve_liquidation(v.pubkey(), proposal);
        m.chain.send(&[ix], &[v]).await.unwrap();
    }
    l.proposal = Some(proposal);
}

/// Finding 2: an account that dipped once (a large liquidation was
/// proposed), recovered by itself and dips again two weeks later is
/// liquidated at the base fee, not at the cap the two-week-old mark would
/// have ramped it to. Before the fix the proposal set
/// `liquidatable_since_slot` and nothing cleared it: the relapse paid 5%.
#[tokio::test]
async fn recovery_then_relapse_is_liquidated_at_the_base_fee() {
    let Validated {
        mut m,
        validators,
        borrower,
        liq,
    } = validated().await;

    // The dip: proposed, never executed; BTC recovers, the proposal expires.
    m.tick(24_000.0).await.unwrap();
    let mut l = m.liquidation(&liq, &borrower);
    m.send_as(&liq, margin_ix::propose_liquidation(&l))
        .await
        .unwrap();
    assert_eq!(m.account(&borrower).await.liquidatable_since_slot, 0);
    m.hold(30_000.0, 25).await.unwrap();
    let proposal = l.proposal_address();
    m.chain
        .send(
            &[margin_ix::close_expired_proposal(
                proposal,
                liq.key.pubkey(),
            )],
            &[],
        )
        .await
        .unwrap();

    // Two weeks later, the relapse.
    relapse(&mut m, &validators, &liq, &mut l, 14 * 86_400, 24_000.0).await;
}

/// Finding 2, second part: a healthy pass clears the mark. An approved
/// liquidation capped at its proposal leaves the account below maintenance
/// after BTC fell further; BTC recovers and the owner borrows a little: the
/// borrow's health pass clears the mark, so a later relapse starts the fee
/// ramp over. Before the fix the mark survived the borrow.
#[tokio::test]
async fn a_healthy_borrow_clears_the_liquidatable_mark() {
    let Validated {
        mut m,
        validators,
        borrower,
        liq,
    } = validated().await;
    let _ = dip_left_below_maintenance(&mut m, &validators, &liq, &borrower).await;

    // Recovery, then a borrow that meets the initial requirement.
    m.hold(30_000.0, 25).await.unwrap();
    m.hold(40_000.0, 25).await.unwrap();
    let ix = m.flow(&borrower, m.usdc_mint, true, true).borrow(USDC);
    m.send_as(&borrower, ix).await.unwrap();
    assert_eq!(m.account(&borrower).await.liquidatable_since_slot, 0);
}

/// Finding 2, parameters: a bank whose maintenance haircut and ratio leave
/// no liquidation able to improve health at the fee cap is refused.
#[tokio::test]
async fn bank_params_no_liquidation_can_improve_are_refused() {
    let mut m = MarginMarket::new().await.unwrap();
    let mint = rampart_embedded::spl::create_mint(&mut m.chain, &m.mint_authority.pubkey(), 6)
        .await
        .unwrap();
    // A maintenance ratio below the 5% fee cap: repaying 1 unit frees
    // 1.01 of requirement and can cost up to 1.05 × (1 - haircut).
    let mut weak = usdc_params();
    weak.maint.min = WU / 100;
    weak.maint.base = WU / 100;
    weak.maint.max = WU / 100;
    let usdc_feed = m.usdc_feed;
    assert_margin_error(
        m.create_bank(mint, usdc_feed, weak).await,
        MarginError::ParamOutOfBounds,
    );
    // No haircut at all on the collateral side.
    let no_haircut = BankParams {
        asset_haircut_maint: 0,
        ..usdc_params()
    };
    assert_margin_error(
        m.create_bank(mint, usdc_feed, no_haircut).await,
        MarginError::ParamOutOfBounds,
    );
    // And the same through the timelocked update of an existing bank.
    let g = m.ops.governance.insecure_clone();
    let ix = margin_ix::queue_bank_params(g.pubkey(), m.usdc_mint, weak);
    assert_margin_error(
        m.chain.send(&[ix], &[&g]).await,
        MarginError::ParamOutOfBounds,
    );
    m.create_bank(mint, usdc_feed, usdc_params()).await.unwrap();
}

/// Finding 3: the settlement price is the TWAP of the window ending at the
/// shutdown, not at whatever the feed reads when someone first calls.
/// Before the fix an attacker waited for the crisis low after the shutdown
/// and fixed the BTC bank at 25,000.
#[tokio::test]
async fn settlement_price_is_the_twap_ending_at_the_shutdown() {
    // Feeds keep refreshing during the shutdown: the crash comes after.
    let (fixed, shutdown_since, _) = fixed_after_shutdown(&[(32_000.0, 25), (25_000.0, 25)]).await;
    assert_eq!(fixed.price, 40_000 * W);
    assert!(fixed.twap_ends_at <= shutdown_since);
}

/// BTC at 40,000, Shutdown, then `after` (price, ticks) with the feeds
/// refreshing: the BTC bank's fixed settlement price, the shutdown time
/// and the time of the fix.
async fn fixed_after_shutdown(after: &[(f64, usize)]) -> (SettlementPriceFixed, i64, i64) {
    let mut m = MarginMarket::new().await.unwrap();
    m.hold(40_000.0, 25).await.unwrap();
    shut_down(&mut m).await;
    for (price, ticks) in after {
        m.hold(*price, *ticks).await.unwrap();
    }
    let ok = m.fix_settlement_prices().await.unwrap();
    let fixed = events::decode::<SettlementPriceFixed>(&ok.logs).remove(0);
    let config: margin::state::MarginConfig = m
        .chain
        .anchor_account(rampart_sdk::pda::margin::config())
        .await
        .unwrap();
    (fixed, config.shutdown_since, m.chain.clock().unix_timestamp)
}

fn guardian_set(keys: &[Keypair]) -> GuardianSet {
    let mut set = GuardianSet {
        count: keys.len() as u8,
        threshold: 2,
        max_pause_secs: 86_400,
        ..Default::default()
    };
    for (slot, k) in set.keys.iter_mut().zip(keys) {
        *slot = k.pubkey();
    }
    set
}

async fn guardians_set(
    m: &mut MarginMarket,
    signers: &[Keypair],
    status: MarginStatus,
    secs: u32,
) -> TxResult {
    let keys: Vec<_> = signers.iter().map(|k| k.pubkey()).collect();
    let ix = margin_ix::guardian_set_status(&keys, status, secs);
    let refs: Vec<&Keypair> = signers.iter().collect();
    m.chain.send(&[ix], &refs).await
}

async fn status(m: &mut MarginMarket) -> MarginStatus {
    let config: margin::state::MarginConfig = m
        .chain
        .anchor_account(rampart_sdk::pda::margin::config())
        .await
        .unwrap();
    config.effective_status(m.chain.clock().unix_timestamp)
}

/// Finding 6: guardians may only tighten governance's status. Before the
/// fix two guardians lifted a governance Shutdown with Active, and a
/// guardian pause over a governance ReduceOnly lapsed to Active.
#[tokio::test]
async fn guardians_only_tighten_and_lapse_back_to_governance() {
    let mut m = MarginMarket::new().await.unwrap();
    let guardians: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    let g = m.ops.governance.insecure_clone();
    let ix = margin_ix::set_guardians(g.pubkey(), guardian_set(&guardians));
    m.chain.send(&[ix], &[&g]).await.unwrap();

    let ix = margin_ix::set_margin_status(g.pubkey(), MarginStatus::Shutdown);
    m.chain.send(&[ix], &[&g]).await.unwrap();
    let config_before = m
        .chain
        .account(rampart_sdk::pda::margin::config())
        .await
        .unwrap()
        .data;
    assert_margin_error(
        guardians_set(&mut m, &guardians[..2], MarginStatus::Active, 0).await,
        MarginError::GuardiansCannotLoosen,
    );
    assert_margin_error(
        guardians_set(&mut m, &guardians[..2], MarginStatus::ReduceOnly, 3_600).await,
        MarginError::GuardiansCannotLoosen,
    );
    let config_after = m
        .chain
        .account(rampart_sdk::pda::margin::config())
        .await
        .unwrap()
        .data;
    assert_eq!(config_before, config_after);
    assert_eq!(status(&mut m).await, MarginStatus::Shutdown);

    // Governance ReduceOnly; guardians pause harder; the pause lapses back.
    let ix = margin_ix::set_margin_status(g.pubkey(), MarginStatus::ReduceOnly);
    m.chain.send(&[ix], &[&g]).await.unwrap();
    guardians_set(&mut m, &guardians[1..], MarginStatus::Shutdown, 3_600)
        .await
        .unwrap();
    assert_eq!(status(&mut m).await, MarginStatus::Shutdown);
    m.chain.advance(3_601);
    assert_eq!(status(&mut m).await, MarginStatus::ReduceOnly);
    // Guardians lifting their own pause early also returns to governance's.
    guardians_set(&mut m, &guardians[1..], MarginStatus::Shutdown, 3_600)
        .await
        .unwrap();
    guardians_set(&mut m, &guardians[..2], MarginStatus::Active, 0)
        .await
        .unwrap();
    assert_eq!(status(&mut m).await, MarginStatus::ReduceOnly);
}

/// Finding 7: the adaptive ratio's rate limit does not bank idle time.
/// Before the fix a bank left alone for a day moved 5% → 10% in the one
/// update right after a volatility spike (`step × slots elapsed`).
#[tokio::test]
async fn idle_time_does_not_bank_maintenance_ratio_moves() {
    let mut m = MarginMarket::with_btc_maintenance(adaptive_maintenance())
        .await
        .unwrap();
    m.hold(30_000.0, 25).await.unwrap();
    m.update_btc_risk().await.unwrap();
    // A quiet day with nobody updating the bank.
    m.chain.advance(86_400);
    m.hold(30_000.0, 25).await.unwrap();
    // A violent minute, then one update.
    for p in [33_000.0, 30_000.0, 33_000.0, 30_000.0] {
        m.tick(p).await.unwrap();
    }
    let ok = m.update_btc_risk().await.unwrap();
    let ev = &events::decode::<MaintenanceRatioUpdated>(&ok.logs)[0];
    assert!(
        ev.target > ev.previous + WU / 50,
        "the spike raised the target"
    );
    let step = adaptive_maintenance().max_change_per_slot;
    assert!(
        ev.effective - ev.previous <= margin::state::MAX_RATE_LIMIT_SLOTS * step,
        "moved {} in one update",
        ev.effective - ev.previous
    );
}

async fn lamports<const N: usize>(m: &mut MarginMarket, keys: [Pubkey; N]) -> [u64; N] {
    let mut out = [0; N];
    for (o, k) in out.iter_mut().zip(keys) {
        *o = m.chain.account(k).await.map_or(0, |a| a.lamports);
    }
    out
}

/// Finding 8, minor: a small liquidation that closes a matching approved
/// proposal returns its rent to the proposer who paid it. Before the fix
/// the executor kept it.
#[tokio::test]
async fn a_closed_proposal_returns_its_rent_to_the_proposer() {
    let Validated {
        mut m,
        validators,
        borrower,
        liq: executor,
    } = validated().await;
    let proposer = m.liquidator(0).await.unwrap();
    m.tick(24_000.0).await.unwrap();
    let mut l = m.liquidation(&proposer, &borrower);
    approved(&mut m, &validators, &proposer, &mut l).await;
    let proposal = l.proposal_address();
    // BTC recovers to just under maintenance: what is left is small.
    m.tick(24_450.0).await.unwrap();
    let rent = m.chain.account(proposal).await.unwrap().lamports;
    let wallets = [proposer.key.pubkey(), executor.key.pubkey()];
    let before = lamports(&mut m, wallets).await;

    let mut l = m.liquidation(&executor, &borrower);
    l.proposal = Some(proposal);
    l.proposer = Some(proposer.key.pubkey());
    // Naming someone else as the proposer is refused.
    let mut wrong = m.liquidation(&executor, &borrower);
    wrong.proposal = Some(proposal);
    assert_margin_error(
        m.send_as(&executor, margin_ix::liquidate(&wrong)).await,
        MarginError::ProposalMismatch,
    );
    let ok = m
        .send_as(&executor, margin_ix::liquidate(&l))
        .await
        .unwrap();
    let ev = &events::decode::<Liquidated>(&ok.logs)[0];
    assert!(
        ev.repaid < 1_000 * USDC,
        "a small liquidation: {}",
        ev.repaid
    );
    assert!(m.chain.account(proposal).await.is_none(), "closed");
    let after = lamports(&mut m, wallets).await;
    assert_eq!(after[0], before[0] + rent, "the proposer has its rent back");
    assert_eq!(after[1], before[1], "the chain's payer pays the fee");
}

/// Review of the fix for finding 3: the feed keeps 200 observations, so
/// the window ending at the shutdown is overwritten about an hour later.
/// A wind-down nobody fixed in time must still settle, at the earliest
/// window still covered after the shutdown, not fail for good (and not at
/// the newest price either).
#[tokio::test]
async fn a_late_settlement_price_uses_the_earliest_window_still_covered() {
    let (fixed, shutdown_since, now) =
        fixed_after_shutdown(&[(40_000.0, 230), (25_000.0, 30)]).await;
    assert_eq!(fixed.price, 40_000 * W);
    assert!(fixed.twap_ends_at > shutdown_since);
    assert!(fixed.twap_ends_at < now - 30 * 15, "not the crash after it");
}

/// Review of the fix for finding 2: an account can recover with no
/// transaction at all. An approved liquidation capped at its proposal
/// leaves it below maintenance (the mark stays); BTC recovers; two days
/// later it dips again. The mark, a day old with no liquidation since, is
/// forgotten: the relapse starts the ramp at 0.
#[tokio::test]
async fn a_mark_with_no_liquidation_for_a_day_is_forgotten() {
    let Validated {
        mut m,
        validators,
        borrower,
        liq,
    } = validated().await;
    let mut l = dip_left_below_maintenance(&mut m, &validators, &liq, &borrower).await;

    // Recovery by price alone, two quiet days, then the relapse.
    m.hold(30_000.0, 25).await.unwrap();
    relapse(&mut m, &validators, &liq, &mut l, 2 * 86_400, 23_000.0).await;
}

/// Review of the fix for finding 2: a deposit haircut that the adaptive
/// excess can widen past the initial one would let an account pass the
/// initial requirement while below maintenance. Refused.
#[tokio::test]
async fn maintenance_haircut_that_can_exceed_the_initial_one_is_refused() {
    let mut m = MarginMarket::new().await.unwrap();
    let mint = rampart_embedded::spl::create_mint(&mut m.chain, &m.mint_authority.pubkey(), 6)
        .await
        .unwrap();
    // 5% initial, 2% maintenance, widened by up to 10% − 5% = 5%: 7% > 5%.
    let loose = BankParams {
        maint: adaptive_maintenance(),
        ..usdc_params()
    };
    let usdc_feed = m.usdc_feed;
    assert_margin_error(
        m.create_bank(mint, usdc_feed, loose).await,
        MarginError::ParamOutOfBounds,
    );
    let tight = BankParams {
        asset_haircut_init: WU / 10,
        ..loose
    };
    m.create_bank(mint, usdc_feed, tight).await.unwrap();
}
