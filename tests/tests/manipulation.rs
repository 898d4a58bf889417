//! Manipulation and the circuit breaker: a one-slot spike on one source
//! cannot move the price; two compromised sources halt the feed instead of
//! publishing; governance halts stick. Plus congestion measured from the
//! clock. (Real moves, staleness and the Restricted status: `graded_breaker.rs`.)

use anchor_lang::prelude::{AccountInfo, Pubkey};
use pricing::events::{BreakerResumed, BreakerTripped, FeedRefreshed};
use pricing::read::{read_feed, read_loaded, ReadPolicy};
use rampart_tests::*;
use risk_math::breaker::{HaltReason, Status};

const P: i64 = 3_000_000_000_000; // 30,000.00000000

fn bps(a: u64, b: u64) -> f64 {
    (a as f64 - b as f64).abs() / b as f64 * 1e4
}

/// Three sources quoting around P with small disagreement, 15 s apart.
async fn calm_market(steps: usize) -> Market {
    let mut m = Market::with_manual_sources(3, test_params()).await;
    for i in 0..steps {
        let wiggle = (i as i64 % 5 - 2) * 300_000; // +-0.002%
        m.step(
            15,
            &[Some(P + wiggle), Some(P + 200_000), Some(P - 200_000)],
        )
        .await;
    }
    m
}

fn policy() -> ReadPolicy {
    ReadPolicy {
        max_age_secs: 60,
        allow_restricted: false,
        twap_window_secs: 0,
        require_twap: true,
        operation: 0,
    }
}

#[tokio::test]
async fn one_slot_spike_on_one_source_moves_nothing() {
    let mut m = calm_market(30).await;
    let before = m.feed().await;
    let twap_before = read_loaded(&before, m.chain.clock(), &policy())
        .unwrap()
        .twap
        .unwrap();

    // One slot later, source 1 prints +50%.
    let (ts, slot) = (m.chain.clock().unix_timestamp, m.chain.clock().slot);
    m.chain.set_clock(ts + 15, slot + 1);
    m.push(&[Some(P), Some(P + P / 2), Some(P - 200_000)]).await;
    let ok = m.refresh().await.unwrap();
    let ev = &events::decode::<FeedRefreshed>(&ok.logs)[0];
    let after = m.feed().await;
    let twap_after = read_loaded(&after, m.chain.clock(), &policy())
        .unwrap()
        .twap
        .unwrap();

    let consensus_move = bps(after.price, before.price);
    let twap_move = bps(twap_after, twap_before);
    println!("spike: consensus moved {consensus_move:.3} bps, TWAP moved {twap_move:.3} bps");
    assert!(
        consensus_move <= 10.0,
        "consensus moved {consensus_move} bps"
    );
    assert!(
        twap_move <= consensus_move,
        "TWAP moved {twap_move} bps > consensus {consensus_move}"
    );
    assert_eq!(
        ev.outlier_mask, 0b010,
        "the spiking source is reported as an outlier"
    );
    assert_eq!(ev.source_errors[1], code(PricingError::SourceOutlier));
    assert!(events::decode::<BreakerTripped>(&ok.logs).is_empty());
    assert_eq!(after.status, Status::Active as u8);

    // Back to normal next slot: still active, no trip.
    m.step(15, &[Some(P), Some(P), Some(P)]).await;
    assert_eq!(m.feed().await.status, Status::Active as u8);
}

#[tokio::test]
async fn two_of_three_compromised_halts_instead_of_publishing() {
    let mut m = calm_market(30).await;
    let before = m.feed().await;
    let ok = m
        .step(15, &[Some(P + P / 2), Some(P + P / 2), Some(P)])
        .await;
    let trip = &events::decode::<BreakerTripped>(&ok.logs)[0];
    assert_eq!(trip.reason, HaltReason::PriceJump as u8);
    assert!(trip.move_bps > trip.allowed_move_bps);
    assert_eq!(trip.candidate_price as i64, P + P / 2);
    let after = m.feed().await;
    assert_eq!(after.status, Status::Halted as u8);
    assert_eq!(
        (after.price, after.price_ts),
        (before.price, before.price_ts),
        "the wrong price is never published"
    );
    assert_eq!(
        read_loaded(&after, m.chain.clock(), &policy()).unwrap_err(),
        PricingError::FeedHalted.into()
    );

    // The attackers keep it up for three hours. The honest source keeps
    // dissenting: the breaker never resumes on its own, the halted feed
    // publishes nothing, and the TWAP does not learn from a split vote.
    for _ in 0..720 {
        m.step(15, &[Some(P + P / 2), Some(P + P / 2), Some(P)])
            .await;
    }
    let f = m.feed().await;
    // No trustworthy sample in the window: the TWAP is unavailable, not wrong.
    let now = m.chain.clock().unix_timestamp;
    assert!(f.twap(now, f.params.twap_window_secs).unwrap().is_err());
    let last_sample = f.newest_observation().unwrap().price as i64;
    assert!(
        (last_sample - P).abs() < P / 1_000,
        "last TWAP sample {last_sample} is honest"
    );
    assert_eq!(f.status, Status::Halted as u8);
    assert_eq!((f.price, f.price_ts), (before.price, before.price_ts));

    // Governance removes the two compromised sources; the feed can then
    // resume on the honest one.
    let (gov, feed) = (m.governance.pubkey(), m.feed);
    m.gov_send(ix::update_params(
        gov,
        feed,
        FeedParams {
            min_quorum: 1,
            ..test_params()
        },
    ))
    .await
    .unwrap();
    m.gov_send(ix::remove_source(gov, feed, 0)).await.unwrap();
    m.gov_send(ix::remove_source(gov, feed, 0)).await.unwrap();
    m.sources.drain(..2);
    m.gov_send(ix::set_status(gov, feed, Status::Active as u8))
        .await
        .unwrap();
    m.step(15, &[Some(P)]).await;
    let f = m.feed().await;
    assert_eq!((f.status, f.price as i64), (Status::Active as u8, P));
}

#[tokio::test]
async fn governance_halt_is_sticky_and_resume_is_explicit() {
    let mut m = calm_market(30).await;
    let (gov, feed) = (m.governance.pubkey(), m.feed);
    m.gov_send(ix::set_status(gov, feed, Status::Halted as u8))
        .await
        .unwrap();
    for _ in 0..40 {
        m.step(15, &[Some(P), Some(P), Some(P)]).await;
    }
    let f = m.feed().await;
    assert_eq!(
        (f.status, f.halt_reason),
        (Status::Halted as u8, HaltReason::Governance as u8)
    );

    m.gov_send(ix::set_status(gov, feed, Status::Restricted as u8))
        .await
        .unwrap();
    // Nothing was published while halted; Restricted publishes again.
    m.step(15, &[Some(P), Some(P), Some(P)]).await;
    let f = m.feed().await;
    let restricted = ReadPolicy {
        allow_restricted: true,
        ..policy()
    };
    assert_eq!(
        read_loaded(&f, m.chain.clock(), &policy()).unwrap_err(),
        PricingError::FeedRestricted.into()
    );
    assert_eq!(
        read_loaded(&f, m.chain.clock(), &restricted)
            .unwrap()
            .status,
        Status::Restricted
    );

    let ok = m
        .gov_send(ix::set_status(gov, feed, Status::Active as u8))
        .await
        .unwrap();
    assert!(
        events::decode::<BreakerResumed>(&ok.logs).is_empty(),
        "resume event only when leaving Halted"
    );
    assert_eq!(m.feed().await.status, Status::Active as u8);
    assert_error(
        m.gov_send(ix::set_status(gov, feed, 7)).await,
        PricingError::InvalidStatus,
    );
}

#[tokio::test]
async fn congestion_is_measured_from_the_clock() {
    let mut m = calm_market(10).await;
    // advance(15) moves 37 slots: 405 ms each, about 1% over target.
    let on_target = m.feed().await.congestion_bps();
    assert!((9_900..=10_200).contains(&on_target), "{on_target}");
    // Slots stretch to 1.2 s for ten minutes.
    for _ in 0..40 {
        let (ts, slot) = (m.chain.clock().unix_timestamp, m.chain.clock().slot);
        m.chain.set_clock(ts + 15, slot + 12);
        m.push(&[Some(P), Some(P), Some(P)]).await;
        m.refresh().await.unwrap();
    }
    let c = m.feed().await.congestion_bps();
    println!("congestion after 10 min of 1.25 s slots: {c} bps");
    assert!((29_000..=31_500).contains(&c), "{c}");
}

#[tokio::test]
async fn readers_get_precise_errors() {
    let mut m = calm_market(4).await;
    let f = m.feed().await;
    // Four samples do not make a valid 300 s TWAP (needs five).
    assert_eq!(
        read_loaded(&f, m.chain.clock(), &policy()).unwrap_err(),
        PricingError::TwapUnavailable.into()
    );
    let no_twap = ReadPolicy {
        require_twap: false,
        ..policy()
    };
    let r = read_loaded(&f, m.chain.clock(), &no_twap).unwrap();
    assert_eq!((r.twap, r.expo), (None, EXPO));
    assert!(r.vol_annual_wad > 0);

    m.chain.advance(61);
    assert_eq!(
        read_loaded(&f, m.chain.clock(), &no_twap).unwrap_err(),
        PricingError::FeedStale.into()
    );

    let (gov, feed) = (m.governance.pubkey(), m.feed);
    m.gov_send(ix::set_pause_flags(
        gov,
        feed,
        pricing::state::pause::LIQUIDATION,
    ))
    .await
    .unwrap();
    m.step(15, &[Some(P), Some(P), Some(P)]).await;
    let f = m.feed().await;
    let liquidation = ReadPolicy {
        operation: pricing::state::pause::LIQUIDATION,
        ..no_twap
    };
    assert_eq!(
        read_loaded(&f, m.chain.clock(), &liquidation).unwrap_err(),
        PricingError::OperationPaused.into()
    );
    assert!(read_loaded(&f, m.chain.clock(), &no_twap).is_ok());
}

/// An `AccountInfo` as another program would receive it.
fn account_info(owner: Pubkey, data: Vec<u8>) -> &'static AccountInfo<'static> {
    let key: &'static Pubkey = Box::leak(Box::new(Pubkey::new_unique()));
    let owner: &'static Pubkey = Box::leak(Box::new(owner));
    let lamports: &'static mut u64 = Box::leak(Box::new(1_000_000_000));
    let data: &'static mut [u8] = Box::leak(data.into_boxed_slice());
    Box::leak(Box::new(AccountInfo::new(
        key, false, false, lamports, data, owner, false, 0,
    )))
}

#[tokio::test]
async fn read_feed_checks_owner_and_account_type() {
    use anchor_lang::error::ErrorCode;
    let mut m = calm_market(30).await;
    let clock = m.chain.clock().clone();
    let bytes = m.feed_bytes().await;
    let no_twap = ReadPolicy {
        require_twap: false,
        ..policy()
    };

    let genuine = account_info(pricing::ID, bytes.clone());
    assert_eq!(
        read_feed(genuine, &clock, &no_twap).unwrap().price,
        m.feed().await.price
    );

    // The same bytes under another program: a forged feed.
    let forged = account_info(Pubkey::new_unique(), bytes);
    assert_eq!(
        read_feed(forged, &clock, &no_twap).unwrap_err(),
        ErrorCode::AccountOwnedByWrongProgram.into()
    );

    // A pricing-owned account of another type (a manual price).
    let manual = m.chain.account(m.sources[0]).await.unwrap().data;
    let wrong_type = account_info(pricing::ID, manual);
    assert_eq!(
        read_feed(wrong_type, &clock, &no_twap).unwrap_err(),
        ErrorCode::AccountDiscriminatorMismatch.into()
    );
}
