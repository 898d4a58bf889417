//! The graded breaker through the pricing program and its readers: every
//! transition (Active → Restricted → Halted and back to the governance
//! status) with its event, and what Restricted refuses (exact errors,
//! nothing changed) and still runs (a liquidation, a repay, a free
//! withdrawal, a deposit, a vault settlement).

use anchor_lang::prelude::Pubkey;
use margin::events::Liquidated;
use pricing::events::{BreakerResumed, BreakerTripped, FeedRestricted, MoveConfirmed};
use pricing::read::{read_loaded, ReadPolicy};
use rampart_sim::vault_market::VaultMarket;
use rampart_tests::margin_world::*;
use rampart_tests::*;
use risk_math::breaker::{HaltReason, Status};

const P: i64 = 3_000_000_000_000; // 30,000.00000000

/// Three sources at P, 15 s apart, long enough for a valid TWAP.
async fn calm_market() -> Market {
    let mut m = Market::with_manual_sources(3, test_params()).await;
    for _ in 0..30 {
        m.step(15, &[Some(P), Some(P), Some(P)]).await;
    }
    m
}

fn any_status() -> ReadPolicy {
    ReadPolicy {
        max_age_secs: 60,
        allow_restricted: true,
        twap_window_secs: 0,
        require_twap: false,
        operation: 0,
    }
}

#[tokio::test]
async fn a_move_every_source_carries_is_published_restricted_confirmed_and_reanchored() {
    let mut m = calm_market().await;
    let crash = P - P / 5; // -20%
    let ok = m.step(15, &[Some(crash), Some(crash), Some(crash)]).await;
    assert!(events::decode::<BreakerTripped>(&ok.logs).is_empty());
    let r = &events::decode::<FeedRestricted>(&ok.logs)[0];
    assert_eq!(r.reason, HaltReason::UnconfirmedMove as u8);
    assert!(r.published);
    let f = m.feed().await;
    // Published at once, Restricted, confidence widened by the part of the
    // move beyond the band (2,000 bps - 300 bps of the price).
    assert_eq!(
        (f.status, f.price as i64),
        (Status::Restricted as u8, crash)
    );
    let widened = crash as u64 * 1_700 / 10_000;
    assert!(f.conf >= widened, "conf {} < {widened}", f.conf);
    // Risk-increasing readers are refused; risk-reducing ones are served.
    let open_risk = ReadPolicy {
        allow_restricted: false,
        ..any_status()
    };
    assert_eq!(
        read_loaded(&f, m.chain.clock(), &open_risk).unwrap_err(),
        PricingError::FeedRestricted.into()
    );
    assert_eq!(
        read_loaded(&f, m.chain.clock(), &any_status())
            .unwrap()
            .price as i64,
        crash
    );

    // Carried for confirm_secs (60): confirmed and re-anchored.
    let mut confirmed = None;
    let mut resumed = None;
    for i in 1..=60 {
        let ok = m.step(15, &[Some(crash), Some(crash), Some(crash)]).await;
        if !events::decode::<MoveConfirmed>(&ok.logs).is_empty() {
            confirmed = Some(i * 15);
        }
        if let Some(r) = events::decode::<BreakerResumed>(&ok.logs).first() {
            assert!(!r.by_governance);
            resumed = Some(i * 15);
            break;
        }
        assert_eq!(m.feed().await.price as i64, crash, "published throughout");
    }
    let confirmed = confirmed.expect("confirmed");
    assert_eq!(confirmed, 60);
    let resumed = resumed.expect("back to Active once the TWAP caught up");
    // Bound: confirmation plus one TWAP window (300 s) plus a sample.
    assert!(resumed <= 60 + 300 + 15, "resumed after {resumed} s");
    let f = m.feed().await;
    assert_eq!(
        (f.status, f.halt_reason, f.reanchor_since),
        (Status::Active as u8, HaltReason::None as u8, 0)
    );
    let twap = read_loaded(&f, m.chain.clock(), &any_status())
        .unwrap()
        .twap
        .unwrap();
    assert!((twap as i64 - crash).abs() * 10_000 / crash <= 300);
}

#[tokio::test]
async fn a_move_only_the_fresh_sources_carry_waits_for_the_reduced_confirmation() {
    let mut m = calm_market().await;
    // Source 2 goes silent while the market is calm: stale after 60 s, and
    // the two others still make a quorum.
    for _ in 0..5 {
        m.step(15, &[Some(P), Some(P), None]).await;
    }
    let before = m.feed().await;
    assert_eq!(
        (before.status, before.valid_mask),
        (Status::Active as u8, 0b011)
    );
    let crash = P - P / 5;
    let mut confirmed_after = None;
    for i in 1..=40 {
        let ok = m.step(15, &[Some(crash), Some(crash), None]).await;
        if let Some(c) = events::decode::<MoveConfirmed>(&ok.logs).first() {
            assert_eq!(c.valid_sources, 2);
            confirmed_after = Some(i * 15);
            break;
        }
        if i == 1 {
            let r = &events::decode::<FeedRestricted>(&ok.logs)[0];
            assert_eq!(r.reason, HaltReason::UnconfirmedMove as u8);
            assert!(!r.published);
        }
        // Reduced evidence: Restricted, the move not published.
        let f = m.feed().await;
        assert_eq!(
            (f.status, f.halt_reason),
            (Status::Restricted as u8, HaltReason::UnconfirmedMove as u8)
        );
        assert_eq!((f.price, f.price_ts), (before.price, before.price_ts));
    }
    let after = confirmed_after.expect("confirmed");
    // reduced_confirm_secs (300) after the first refresh that saw the move.
    assert_eq!(after, 300 + 15, "confirmed after {after} s");
    let f = m.feed().await;
    assert_eq!(
        (f.status, f.price as i64),
        (Status::Restricted as u8, crash)
    );
}

#[tokio::test]
async fn a_majority_the_third_source_contradicts_halts() {
    let mut m = calm_market().await;
    let was = m.feed().await;
    let lie = P - P / 5;
    let ok = m.step(15, &[Some(lie), Some(lie), Some(P)]).await;
    let trip = &events::decode::<BreakerTripped>(&ok.logs)[0];
    assert_eq!(trip.reason, HaltReason::PriceJump as u8);
    let f = m.feed().await;
    assert_eq!(f.status, Status::Halted as u8);
    assert_eq!((f.price, f.price_ts), (was.price, was.price_ts));
    assert_eq!(
        read_loaded(&f, m.chain.clock(), &any_status()).unwrap_err(),
        PricingError::FeedHalted.into()
    );
}

#[tokio::test]
async fn stale_sources_get_a_bounded_grace_on_the_last_consensus_then_halt() {
    let mut m = calm_market().await;
    let before = m.feed().await;
    // Sources 1 and 2 go silent: after 60 s they are stale, quorum is lost.
    m.chain.advance(61);
    m.push(&[Some(P), None, None]).await;
    let ok = m.refresh().await.unwrap();
    assert!(events::decode::<BreakerTripped>(&ok.logs).is_empty());
    let r = &events::decode::<FeedRestricted>(&ok.logs)[0];
    assert_eq!(r.reason, HaltReason::StaleGrace as u8);
    let f = m.feed().await;
    assert_eq!(
        (f.status, f.price, f.conf, f.price_ts),
        (
            Status::Restricted as u8,
            before.price,
            before.conf,
            before.price_ts
        )
    );
    // The reader's own maximum age still holds (a feed parameter never
    // extends it): refused at 60 s, served to a reader that accepts 120 s,
    // with the confidence widened by sigma * sqrt(age).
    assert_eq!(
        read_loaded(&f, m.chain.clock(), &any_status()).unwrap_err(),
        PricingError::FeedStale.into()
    );
    let patient = ReadPolicy {
        max_age_secs: 120,
        ..any_status()
    };
    let served = read_loaded(&f, m.chain.clock(), &patient).unwrap();
    assert_eq!(served.price, before.price);
    assert!(served.conf > before.conf);
    // Past the grace: halted, price untouched, readers refused.
    m.chain.advance(60);
    m.push(&[Some(P), None, None]).await;
    let ok = m.refresh().await.unwrap();
    let trip = &events::decode::<BreakerTripped>(&ok.logs)[0];
    assert_eq!(trip.reason, HaltReason::QuorumLost as u8);
    let f = m.feed().await;
    assert_eq!((f.status, f.price), (Status::Halted as u8, before.price));
    assert_eq!(
        read_loaded(&f, m.chain.clock(), &any_status()).unwrap_err(),
        PricingError::FeedHalted.into()
    );
    // Staleness is no attack: the first consensus back resumes at once.
    let ok = m.step(15, &[Some(P), Some(P), Some(P)]).await;
    assert_eq!(events::decode::<BreakerResumed>(&ok.logs).len(), 1);
    assert_eq!(m.feed().await.status, Status::Active as u8);
}

#[tokio::test]
async fn an_unconfident_source_gets_no_staleness_grace() {
    let mut m = calm_market().await;
    m.chain.advance(61);
    // Source 0 fresh but with 5% confidence (over the 1% limit); the
    // others silent: quorum lost, not only to staleness.
    let ops = setup::Operators {
        governance: m.governance.insecure_clone(),
        keeper: m.keeper.insecure_clone(),
    };
    let sources = m.sources.clone();
    setup::push(
        &mut m.chain,
        &ops,
        &sources,
        &[Some((P, (P / 20) as u64)), None, None],
        EXPO,
    )
    .await
    .unwrap();
    let ok = m.refresh().await.unwrap();
    let trip = &events::decode::<BreakerTripped>(&ok.logs)[0];
    assert_eq!(trip.reason, HaltReason::QuorumLost as u8);
}

#[tokio::test]
async fn a_trip_on_a_governance_restricted_feed_resumes_to_restricted() {
    let mut m = calm_market().await;
    let (gov, feed) = (m.governance.pubkey(), m.feed);
    m.gov_send(ix::set_status(gov, feed, Status::Restricted as u8))
        .await
        .unwrap();
    let lie = P - P / 5;
    m.step(15, &[Some(lie), Some(lie), Some(P)]).await;
    assert_eq!(m.feed().await.status, Status::Halted as u8);
    let mut resumed = false;
    for _ in 0..40 {
        let ok = m.step(15, &[Some(P), Some(P), Some(P)]).await;
        resumed |= !events::decode::<BreakerResumed>(&ok.logs).is_empty();
    }
    assert!(resumed);
    let f = m.feed().await;
    // Never Active: that would reopen the borrowing governance closed.
    assert_eq!(
        (f.status, f.halt_reason, f.gov_status),
        (
            Status::Restricted as u8,
            HaltReason::Governance as u8,
            Status::Restricted as u8
        )
    );
}

/// A margin market on three BTC sources with the default band (300 bps):
/// a lender, a borrower at 21,000 USDC against 1 BTC, and a liquidator.
async fn three_source_margin() -> (MarginMarket, User, User, User) {
    let mut w = MarginMarket::configured(MarketConfig {
        btc_sources: 3,
        btc_feed: FeedParams {
            min_quorum: 2,
            breaker_floor_bps: 300,
            twap_clamp_bps: 200,
            confirm_min_sources: 2,
            ..one_source_params()
        },
        btc_bank: btc_params(),
        usdc_bank: usdc_params(),
        start_price: 30_000.0,
    })
    .await
    .unwrap();
    w.hold(30_000.0, 25).await.unwrap();
    let lender = w.lender(1_000_000 * USDC, 500_000 * USDC).await.unwrap();
    let borrower = w.leveraged_borrower(BTC, 21_000 * USDC).await.unwrap();
    let liquidator = w.liquidator(100_000 * USDC).await.unwrap();
    (w, lender, borrower, liquidator)
}

#[tokio::test]
async fn restricted_refuses_new_risk_and_keeps_liquidation_repay_and_free_withdrawals() {
    let (mut w, lender, borrower, liquidator) = three_source_margin().await;
    // A genuine crash every source carries: Restricted, published.
    w.tick(24_000.0).await.unwrap();
    let feed: PriceFeed = w.chain.zero_copy_account(w.btc_feed).await.unwrap();
    assert_eq!(
        (feed.status, feed.halt_reason),
        (Status::Restricted as u8, HaltReason::UnconfirmedMove as u8)
    );

    // New risk: refused by name, and nothing changes.
    let account = pda::margin::account(&borrower.key.pubkey(), 0);
    let watched = [
        account,
        w.usdc_bank(),
        w.btc_bank(),
        borrower.usdc,
        borrower.btc,
    ];
    let before = snapshot(&mut w, &watched).await;
    let (btc, usdc) = (w.btc_mint, w.usdc_mint);
    let borrow = w.flow(&borrower, usdc, true, true).borrow(100 * USDC);
    assert_error(
        w.send_as(&borrower, borrow).await,
        PricingError::FeedRestricted,
    );
    let withdraw = w.flow(&borrower, btc, true, true).withdraw(BTC / 100);
    assert_error(
        w.send_as(&borrower, withdraw).await,
        PricingError::FeedRestricted,
    );
    assert_eq!(snapshot(&mut w, &watched).await, before);

    // What reduces risk runs: a liquidation at the published price...
    let ok = w.liquidate(&liquidator, &borrower).await.unwrap();
    let liq = &events::decode::<Liquidated>(&ok.logs)[0];
    assert!(liq.repaid > 0 && liq.maint_margin_before < 0);
    // ... a repay, a deposit, and a withdrawal that backs no debt.
    let debt = w.debt(&borrower, usdc).await;
    let repay = w.flow(&borrower, usdc, true, true).repay(100 * USDC);
    w.send_as(&borrower, repay).await.unwrap();
    // Less 100 USDC, and at most the unit a partial repay's rounding
    // leaves owed (scaled debt burns rounded down).
    let left = w.debt(&borrower, usdc).await;
    assert!(left >= debt - 100 * USDC && left <= debt - 100 * USDC + 1);
    let held = w.tokens(lender.usdc).await;
    let free = w.flow(&lender, usdc, false, true).withdraw(1_000 * USDC);
    w.send_as(&lender, free).await.unwrap();
    assert_eq!(w.tokens(lender.usdc).await, held + 1_000 * USDC);
    let deposit = w.flow(&lender, usdc, false, true).deposit(1_000 * USDC);
    w.send_as(&lender, deposit).await.unwrap();
}

/// The bytes of each account, to show a refused instruction changed nothing.
async fn snapshot(w: &mut MarginMarket, keys: &[Pubkey]) -> Vec<Vec<u8>> {
    let mut out = vec![];
    for k in keys {
        out.push(w.chain.account(*k).await.expect("account").data);
    }
    out
}

#[tokio::test]
async fn a_restricted_feed_settles_option_epochs_but_sells_none() {
    let mut vm = VaultMarket::new().await.unwrap();
    let v = vm.call;
    let alice = vm.user(&v, 10 * BTC, 0).await.unwrap();
    vm.send_as(&alice, v.deposit(&alice.holder, 4 * BTC, None))
        .await
        .unwrap();
    let round = vm.roll(&v).await.unwrap();
    let gov = vm.m.ops.governance.insecure_clone();
    let restrict = ix::set_status(gov.pubkey(), vm.m.btc_feed, Status::Restricted as u8);
    vm.m.chain.send(&[restrict], &[&gov]).await.unwrap();

    // Settlement at the expiry TWAP runs on a Restricted feed.
    let settled = vm.expire_and_settle(&v, round, 29_000.0).await.unwrap();
    settled.expect("settles while Restricted");
    assert!(vm.series(&v, round).await.settled);
    // Starting the next epoch sells options: refused, nothing started.
    let keeper = vm.keeper.pubkey();
    vm.keeper_send(v.process_epoch(keeper, round))
        .await
        .unwrap();
    let before = vm.vault(&v).await;
    assert_error(
        vm.keeper_send(v.start_epoch(keeper, round + 1)).await,
        PricingError::FeedRestricted,
    );
    assert_eq!(vm.vault(&v).await.round, before.round);
    vm.assert_books(&v).await;
}
