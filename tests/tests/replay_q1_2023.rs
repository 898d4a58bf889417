//! The real-data replay: three BTC sources over Q1 2023 through `refresh`
//! in the bank. Multi-source consensus must stay close to BTC/USD through
//! the USDC depeg, where a single BTC/USDC source is off by >10%.

use rampart_sim::replay;
use risk_math::breaker::HaltReason;

#[tokio::test]
async fn q1_2023_three_sources_beat_one_through_the_usdc_depeg() {
    let r = replay::run(&replay::ReplayInput::q1_2023(), None, |_, _| {})
        .await
        .expect("replay");
    println!("{r}");
    assert_eq!(r.steps, 25_920, "every 5 minutes of the quarter");

    // Whole quarter: consensus tracks BTC/USD; a USDC-only feed does not.
    assert!(r.consensus_all.p99_bps < 50.0, "{:?}", r.consensus_all);
    assert!(r.consensus_all.max_bps < 200.0, "{:?}", r.consensus_all);
    assert!(
        r.single_source[2].all.max_bps > 1_000.0,
        "{:?}",
        r.single_source[2].all
    );
    // The depeg: USDC is dropped as an outlier instead of averaged in.
    assert!(
        r.single_source[2].window.p99_bps > 1_000.0,
        "{:?}",
        r.single_source[2].window
    );
    assert!(
        r.consensus_window.p99_bps < 100.0,
        "{:?}",
        r.consensus_window
    );
    assert!(r.consensus_window.max_bps * 5.0 < r.single_source[2].window.max_bps);
    assert!(
        r.outlier_steps[2] > 300,
        "USDC was an outlier for most of the depeg: {:?}",
        r.outlier_steps
    );
    assert_eq!(r.outlier_steps[0], 0, "BTC/USD is never the outlier");
    // Real gaps are real staleness.
    assert!(
        r.stale_steps[2] > 2_000 && r.stale_steps[1] > 900,
        "{:?}",
        r.stale_steps
    );

    // The breaker halts only on real disagreement (the depeg week) and on
    // quorum lost past the staleness grace; never on a move all sources
    // carry. The feed serves more than 99.5% of the quarter.
    assert!(r.trips.iter().all(|t| t.reason != HaltReason::PriceJump));
    assert!(r.trips.iter().any(|t| t.reason == HaltReason::Disagreement
        && (replay::DEPEG.0..replay::DEPEG.1).contains(&t.ts)));
    assert!(r
        .trips
        .iter()
        .all(|t| t.ts >= 1_672_531_500 && t.ts <= 1_680_307_500));
    let halted = r.halted_steps as f64 / r.steps as f64;
    assert!(
        halted < 0.005,
        "halted {:.1}% of the quarter",
        halted * 100.0
    );
}
