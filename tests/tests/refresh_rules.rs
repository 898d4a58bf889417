//! Every rule refresh and governance enforce, each proved with its exact
//! error and, for hard rejections, the feed account unchanged byte for byte.

use anchor_lang::prelude::{AccountInfo, Pubkey};
use anchor_lang::solana_program::entrypoint::ProgramResult;
use anchor_lang::solana_program::program::invoke;
use pricing::events::{BreakerTripped, FeedRefreshed};
use pricing::state::pause;
use rampart_tests::*;
use risk_math::breaker::{HaltReason, Status};
use solana_program_test::processor;
use solana_sdk::system_instruction;

const P: i64 = 3_000_000_000_000; // 30,000.00000000

/// Three manual sources with a calm history long enough for a valid TWAP.
async fn calm_market() -> Market {
    let mut m = Market::with_manual_sources(3, test_params()).await;
    for _ in 0..25 {
        m.step(15, &[Some(P), Some(P + 100_000), Some(P - 100_000)])
            .await;
    }
    m
}

#[tokio::test]
async fn bad_sources_are_excluded_with_their_exact_error() {
    let mut m = calm_market().await;
    let cases: [(Option<i64>, u64, PricingError); 2] = [
        (Some(-P), 0, PricingError::SourceNonPositive),
        (
            Some(P),
            (P / 50) as u64,
            PricingError::SourceConfidenceTooWide,
        ), // 2% > 1% limit
    ];
    for (bad_price, conf, expected) in cases {
        m.chain.advance(15);
        m.push(&[Some(P), Some(P + 100_000), None]).await;
        let keeper = m.keeper.insecure_clone();
        m.chain
            .send(
                &[ix::push_manual_price(
                    m.sources[2],
                    keeper.pubkey(),
                    bad_price.unwrap(),
                    conf,
                    EXPO,
                )],
                &[&keeper],
            )
            .await
            .unwrap();
        assert_error(
            m.chain
                .send(&[ix::check_source(m.feed, m.sources[2], 2)], &[])
                .await,
            expected,
        );
        let ok = m.refresh().await.unwrap();
        let ev = &events::decode::<FeedRefreshed>(&ok.logs)[0];
        assert_eq!(ev.source_errors[2], code(expected), "{expected:?}");
        assert_eq!(ev.valid_mask, 0b011);
        // Median of the two good sources; the bad one has no influence.
        assert_eq!(ev.price as i64, P + 50_000);
        assert_eq!(m.feed().await.status, Status::Active as u8);
    }
}

#[tokio::test]
async fn stale_source_is_excluded_by_seconds_and_by_slots() {
    let mut m = calm_market().await;
    // Source 2 stops publishing; 61 s later it is stale.
    m.step(30, &[Some(P), Some(P), None]).await;
    let ok = m.step(31, &[Some(P), Some(P), None]).await;
    assert_eq!(
        events::decode::<FeedRefreshed>(&ok.logs)[0].source_errors[2],
        code(PricingError::SourceStale)
    );

    // Slots alone: wall time barely moves but 151 slots pass (staleness is 150 slots).
    let mut m = calm_market().await;
    let (ts, slot) = (m.chain.clock().unix_timestamp, m.chain.clock().slot);
    m.chain.set_clock(ts + 1, slot + 151);
    m.push(&[Some(P), Some(P), None]).await;
    let ok = m.refresh().await.unwrap();
    assert_eq!(
        events::decode::<FeedRefreshed>(&ok.logs)[0].source_errors[2],
        code(PricingError::SourceStale)
    );
}

#[tokio::test]
async fn quorum_lost_halts_without_publishing() {
    let mut m = calm_market().await;
    let before = m.feed().await;
    // Only one fresh source of three, quorum two, and the last consensus
    // older than the staleness grace (120 s; the grace itself is in
    // graded_breaker.rs).
    m.chain.advance(121);
    m.push(&[Some(P * 2), None, None]).await;
    let ok = m.refresh().await.unwrap();
    let trip = &events::decode::<BreakerTripped>(&ok.logs)[0];
    assert_eq!(trip.reason, HaltReason::QuorumLost as u8);
    let after = m.feed().await;
    assert_eq!(
        (after.status, after.halt_reason),
        (Status::Halted as u8, HaltReason::QuorumLost as u8)
    );
    assert_eq!(
        (after.price, after.conf, after.price_ts),
        (before.price, before.conf, before.price_ts)
    );
    assert_eq!(after.variance_per_sec, before.variance_per_sec);
}

#[tokio::test]
async fn spread_exceeded_halts_without_publishing() {
    let mut m = Market::with_manual_sources(2, test_params()).await;
    for _ in 0..25 {
        m.step(15, &[Some(P), Some(P)]).await;
    }
    let before = m.feed().await;
    // Two sources, quorum two, 5% apart: no two agree within 1%.
    let ok = m.step(15, &[Some(P), Some(P + P / 20)]).await;
    let ev = &events::decode::<FeedRefreshed>(&ok.logs)[0];
    assert_eq!(ev.agreeing_mask, 0);
    assert_eq!(
        events::decode::<BreakerTripped>(&ok.logs)[0].reason,
        HaltReason::Disagreement as u8
    );
    let after = m.feed().await;
    assert_eq!(
        (after.price, after.price_ts),
        (before.price, before.price_ts)
    );
    assert_eq!(after.status, Status::Halted as u8);
}

#[tokio::test]
async fn wrong_accounts_fail_the_refresh_and_change_nothing() {
    let mut m = calm_market().await;
    m.chain.advance(15);
    m.push(&[Some(P), Some(P), Some(P)]).await;
    let before = m.feed_bytes().await;

    // An account that is not the pinned one at that position.
    let mut swapped = m.sources.clone();
    swapped.swap(0, 1);
    assert_error(
        m.chain.send(&[ix::refresh(m.feed, &swapped)], &[]).await,
        PricingError::SourceNotPinned,
    );
    // Too few accounts.
    assert_error(
        m.chain
            .send(&[ix::refresh(m.feed, &m.sources[..2])], &[])
            .await,
        PricingError::SourceCountMismatch,
    );
    assert_eq!(m.feed_bytes().await, before);
}

#[tokio::test]
async fn pinned_account_with_a_new_owner_is_refused() {
    let mut m = calm_market().await;
    // The pinned account is closed and recreated under another program.
    let mut acc = m.chain.account(m.sources[0]).await.unwrap();
    acc.owner = Pubkey::new_unique();
    m.chain.set_account(m.sources[0], acc);
    m.chain.advance(15);
    let before = m.feed_bytes().await;
    assert_error(m.refresh().await, PricingError::SourceWrongOwner);
    assert_eq!(m.feed_bytes().await, before);
}

#[tokio::test]
async fn refresh_must_lead_its_transaction() {
    let mut m = calm_market().await;
    m.chain.advance(15);
    m.push(&[Some(P), Some(P), Some(P)]).await;
    let before = m.feed_bytes().await;
    let payer = m.chain.payer_pubkey();
    let transfer = system_instruction::transfer(&payer, &Pubkey::new_unique(), 1_000_000);
    let refresh = ix::refresh(m.feed, &m.sources);
    assert_error(
        m.chain.send(&[transfer, refresh.clone()], &[]).await,
        PricingError::RefreshNotFirst,
    );
    assert_eq!(m.feed_bytes().await, before);
    // Compute-budget instructions and other refreshes may come first.
    m.chain.send(&[refresh], &[]).await.unwrap();
}

/// A program that calls refresh through CPI, like an attacker bundling a
/// price move and a refresh in one instruction.
fn cpi_attacker(_program_id: &Pubkey, accounts: &[AccountInfo], _data: &[u8]) -> ProgramResult {
    let sources: Vec<Pubkey> = accounts[3..].iter().map(|a| *a.key).collect();
    let ix = ix::refresh(*accounts[0].key, &sources);
    invoke(&ix, accounts)
}

#[tokio::test]
async fn refresh_through_cpi_is_refused() {
    let attacker = Pubkey::new_unique();
    let mut builder = Chain::builder();
    builder
        .program_test_mut()
        .add_program("cpi_attacker", attacker, processor!(cpi_attacker));
    let mut m = Market::empty(builder, "BTC/USD", test_params(), (T0, SLOT0)).await;
    for i in 0..3u8 {
        let manual = pda::manual_price(&m.feed, i);
        let (payer, gov) = (m.chain.payer_pubkey(), m.governance.pubkey());
        let ixs = [
            ix::init_manual_price(payer, gov, m.feed, i, m.keeper.pubkey()),
            ix::add_source(gov, m.feed, manual, SourceKind::Manual, [0; 32]),
        ];
        let g = m.governance.insecure_clone();
        m.chain.send(&ixs, &[&g]).await.unwrap();
        m.sources.push(manual);
    }
    m.push(&[Some(P), Some(P), Some(P)]).await;
    let before = m.feed_bytes().await;
    let mut metas = ix::refresh(m.feed, &m.sources).accounts;
    metas.insert(
        2,
        solana_sdk::instruction::AccountMeta::new_readonly(pricing::ID, false),
    );
    let attack = solana_sdk::instruction::Instruction {
        program_id: attacker,
        accounts: metas,
        data: vec![],
    };
    assert_error(
        m.chain.send(&[attack], &[]).await,
        PricingError::RefreshViaCpi,
    );
    assert_eq!(m.feed_bytes().await, before);
}

#[tokio::test]
async fn paused_refresh_is_refused() {
    let mut m = calm_market().await;
    let feed = m.feed;
    let gov = m.governance.pubkey();
    m.gov_send(ix::set_pause_flags(gov, feed, pause::REFRESH))
        .await
        .unwrap();
    m.chain.advance(15);
    let before = m.feed_bytes().await;
    assert_error(m.refresh().await, PricingError::OperationPaused);
    assert_eq!(m.feed_bytes().await, before);
    assert_error(
        m.gov_send(ix::set_pause_flags(gov, feed, 1 << 9)).await,
        PricingError::ParamOutOfBounds,
    );
}

#[tokio::test]
async fn parameters_stay_inside_hard_bounds() {
    let mut m = Market::with_manual_sources(1, test_params()).await;
    let (gov, feed) = (m.governance.pubkey(), m.feed);
    let before = m.feed_bytes().await;
    let out_of_bounds = [
        FeedParams {
            max_spread_bps: 0,
            ..test_params()
        },
        FeedParams {
            max_staleness_secs: 3_601,
            ..test_params()
        },
        FeedParams {
            breaker_k_sigma_x100: 50,
            ..test_params()
        },
        FeedParams {
            min_quorum: 9,
            ..test_params()
        },
        FeedParams {
            twap_clamp_bps: 9_000,
            ..test_params()
        },
        // 5 samples 100 s apart cannot fit a 300 s window.
        FeedParams {
            min_sample_spacing_secs: 100,
            ..test_params()
        },
        // The graded breaker's parameters and their cross-checks.
        FeedParams {
            confirm_secs: 5,
            ..test_params()
        },
        FeedParams {
            reduced_confirm_secs: 30,
            ..test_params()
        },
        FeedParams {
            stale_grace_secs: 3_601,
            ..test_params()
        },
        FeedParams {
            confirm_min_sources: 1,
            ..test_params()
        },
        FeedParams {
            confirm_min_sources: 9,
            ..test_params()
        },
        FeedParams {
            breaker_cap_bps: 200,
            ..test_params()
        },
        FeedParams {
            breaker_cap_bps: 9_000,
            ..test_params()
        },
    ];
    for params in out_of_bounds {
        assert_error(
            m.gov_send(ix::update_params(gov, feed, params)).await,
            PricingError::ParamOutOfBounds,
        );
    }
    assert_eq!(m.feed_bytes().await, before);
    let tighter = FeedParams {
        max_spread_bps: 50,
        ..test_params()
    };
    m.gov_send(ix::update_params(gov, feed, tighter))
        .await
        .unwrap();
    assert_eq!(m.feed().await.params.max_spread_bps, 50);

    let payer = m.chain.payer_pubkey();
    assert_error(
        m.gov_send(ix::create_feed(
            payer,
            gov,
            "ETH/USD",
            3,
            test_params(),
            5_000,
        ))
        .await,
        PricingError::InvalidExponent,
    );
    assert_error(
        m.gov_send(ix::create_feed(
            payer,
            gov,
            "ETH/USD",
            -8,
            test_params(),
            10,
        ))
        .await,
        PricingError::ParamOutOfBounds,
    );
}

#[tokio::test]
async fn only_governance_governs() {
    let mut m = Market::with_manual_sources(1, test_params()).await;
    let intruder = m.chain.funded_keypair(1_000_000_000).await;
    let (feed, payer, who) = (m.feed, m.chain.payer_pubkey(), intruder.pubkey());
    let before = m.feed_bytes().await;
    let attempts = [
        ix::update_params(
            who,
            feed,
            FeedParams {
                max_spread_bps: 2_000,
                ..test_params()
            },
        ),
        ix::set_status(who, feed, Status::Halted as u8),
        ix::set_pause_flags(who, feed, pause::ALL),
        ix::remove_source(who, feed, 0),
        ix::add_source(who, feed, Pubkey::new_unique(), SourceKind::Manual, [0; 32]),
        ix::create_feed(payer, who, "ETH/USD", -8, test_params(), 5_000),
        ix::set_governance(who, who),
        ix::init_manual_price(payer, who, feed, 7, who),
    ];
    for attempt in attempts {
        assert_error(
            m.chain.send(&[attempt], &[&intruder]).await,
            PricingError::Unauthorized,
        );
    }
    assert_eq!(m.feed_bytes().await, before);
    // The manual price's authority is the keeper, not governance or anyone else.
    assert_error(
        m.chain
            .send(
                &[ix::push_manual_price(m.sources[0], who, P, 1, EXPO)],
                &[&intruder],
            )
            .await,
        PricingError::Unauthorized,
    );
    // The protocol can be created only once.
    assert_anchor_error_any(m.chain.send(&[ix::init_protocol(payer, who)], &[]).await);
}

#[track_caller]
fn assert_anchor_error_any(result: TxResult) {
    let f = result.expect_err("second init must fail");
    assert!(
        f.logs.iter().any(|l| l.contains("already in use")),
        "{:#?}",
        f.logs
    );
}

#[tokio::test]
async fn sources_are_pinned_once_and_removable() {
    let mut m = Market::with_manual_sources(2, test_params()).await;
    let (gov, feed, s0) = (m.governance.pubkey(), m.feed, m.sources[0]);
    assert_error(
        m.gov_send(ix::add_source(gov, feed, s0, SourceKind::Manual, [0; 32]))
            .await,
        PricingError::SourceAlreadyPinned,
    );
    // A manual account of another feed: owned by pricing, but not for this feed.
    let payer = m.chain.payer_pubkey();
    m.gov_send(ix::create_feed(
        payer,
        gov,
        "ETH/USD",
        -8,
        test_params(),
        5_000,
    ))
    .await
    .unwrap();
    let eth = pda::feed("ETH/USD");
    m.gov_send(ix::init_manual_price(payer, gov, eth, 0, gov))
        .await
        .unwrap();
    let foreign = pda::manual_price(&eth, 0);
    assert_error(
        m.gov_send(ix::add_source(
            gov,
            feed,
            foreign,
            SourceKind::Manual,
            [0; 32],
        ))
        .await,
        PricingError::ManualFeedMismatch,
    );

    assert_error(
        m.gov_send(ix::remove_source(gov, feed, 2)).await,
        PricingError::SourceIndexOutOfRange,
    );
    m.gov_send(ix::remove_source(gov, feed, 0)).await.unwrap();
    let f = m.feed().await;
    assert_eq!((f.num_sources, f.sources[0].account), (1, m.sources[1]));
}
