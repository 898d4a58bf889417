//! Every real oracle snapshot in tests/fixtures/oracle-accounts decodes to
//! the values its README lists, from the real bytes loaded in the bank at
//! the real address and owner; the edge cases are rejected precisely.

use anchor_lang::prelude::Pubkey;
use pricing::events::{FeedRefreshed, SourceChecked};
use pricing::sources::{owners, pyth_legacy, pyth_receiver, switchboard_on_demand, switchboard_v2};
use rampart_sim::fixtures::oracle_snapshot;
use rampart_tests::*;

const SOL_FEED_ID: [u8; 32] =
    hex32("ef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d");
const USDC_FEED_ID: [u8; 32] =
    hex32("eaa020c61cc479712813461ce153894a96a6c00b21ed0cfc2798d1f9a9e9c94a");

const fn hex32(s: &str) -> [u8; 32] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not lowercase hex"),
        }
    }
    let b = s.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = nibble(b[2 * i]) << 4 | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

/// A real account snapshot, how to pin it, and the clock to read it at
/// (just after its own publish time and slot unless a case says otherwise).
struct Snapshot {
    kind: &'static str,
    address: &'static str,
    owner: Pubkey,
    ts: i64,
    slot: u64,
    source_kind: SourceKind,
    feed_id: [u8; 32],
}

const PYTH_SOL: Snapshot = Snapshot {
    kind: "pyth-legacy",
    address: "H6ARHf6YXhGYeQfUzQNGk6rDNnLBQKrenN712K4AQJEG",
    owner: owners::PYTH_LEGACY[0],
    ts: 1_720_094_645,
    slot: 275_626_831,
    source_kind: SourceKind::PythLegacy,
    feed_id: [0; 32],
};
/// Devnet 2021, timestamp 0. The clock sits at the account's own slot, so
/// only the time can fail it.
const PYTH_DEVNET_TS0: Snapshot = Snapshot {
    kind: "pyth-legacy",
    address: "J83w4HKfqxwcq3BEMMkPFSppX3gqekLyLJBexebFVkix",
    owner: owners::PYTH_LEGACY[1],
    ts: 1_700_000_000,
    slot: 64_338_668,
    source_kind: SourceKind::PythLegacy,
    feed_id: [0; 32],
};
const RECEIVER_SOL: Snapshot = Snapshot {
    kind: "pyth-price-update-v2",
    address: "7UVimffxr9ow1uXYxsr4LHAcV58mLzhmwaeKvJ1pjLiE",
    owner: owners::PYTH_RECEIVER[0],
    ts: 1_721_133_402,
    slot: 277_875_167,
    source_kind: SourceKind::PythReceiver,
    feed_id: SOL_FEED_ID,
};
const RECEIVER_USDC_PARTIAL: Snapshot = Snapshot {
    kind: "pyth-price-update-v2",
    address: "En8hkHLkRe9d9DraYmBTrus518BvmVH448YcvmrFM6Ce",
    owner: owners::PYTH_RECEIVER[0],
    ts: 1_734_648_615,
    slot: 308_552_321,
    source_kind: SourceKind::PythReceiver,
    feed_id: USDC_FEED_ID,
};
const SWITCHBOARD_V2_SOL: Snapshot = Snapshot {
    kind: "switchboard-v2",
    address: "GvDMxPzN1sCj7L26YDK2HnMRXEQmQ2aemov8YBtPS7vR",
    owner: owners::SWITCHBOARD_V2[0],
    ts: 1_646_686_511,
    slot: 123_929_314,
    source_kind: SourceKind::SwitchboardV2,
    feed_id: [0; 32],
};
const ON_DEMAND_SOL: Snapshot = Snapshot {
    kind: "switchboard-on-demand",
    address: "BSzfJs4d1tAkSDqkepnfzEVcx2WtDVnwwXa2giy9PLeP",
    owner: owners::SWITCHBOARD_ON_DEMAND[0],
    ts: 1_723_244_190,
    slot: 282_612_970,
    source_kind: SourceKind::SwitchboardOnDemand,
    feed_id: [0; 32],
};
const ON_DEMAND_EMPTY: Snapshot = Snapshot {
    kind: "switchboard-on-demand",
    address: "56PpAg9fHx2yHEwdTkvCH5R5x2PAsDoNANUhdbvLXLM6",
    owner: owners::SWITCHBOARD_ON_DEMAND[0],
    ts: 1_722_903_094,
    slot: 282_000_000,
    source_kind: SourceKind::SwitchboardOnDemand,
    feed_id: [0; 32],
};

/// Loose enough that a single real snapshot is judged only on its own merits.
fn single_source_params() -> FeedParams {
    FeedParams {
        min_quorum: 1,
        max_conf_bps: 500,
        ..test_params()
    }
}

/// A feed on a chain holding the real account at its address and owner.
async fn market_on(s: &Snapshot) -> (Market, Pubkey) {
    let snap = oracle_snapshot(s.kind, s.address).unwrap();
    let builder = Chain::builder().with_account(snap.address, s.owner, snap.data);
    let m = Market::empty(
        builder,
        "SOL/USD",
        single_source_params(),
        (s.ts + 5, s.slot + 2),
    )
    .await;
    (m, snap.address)
}

/// The same, with the account pinned as the feed's only source.
async fn pinned(s: &Snapshot) -> (Market, Pubkey) {
    let (mut m, source) = market_on(s).await;
    m.add_source(source, s.source_kind, s.feed_id)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", s.kind));
    (m, source)
}

async fn check(m: &mut Market, source: Pubkey) -> TxResult {
    let ix = ix::check_source(m.feed, source, 0);
    m.chain.send(&[ix], &[]).await
}

#[test]
fn snapshots_decode_to_documented_values() {
    let d = oracle_snapshot(
        "pyth-legacy",
        "H6ARHf6YXhGYeQfUzQNGk6rDNnLBQKrenN712K4AQJEG",
    )
    .unwrap()
    .data;
    let q = pyth_legacy::parse(&d).unwrap();
    assert_eq!(
        (q.price, q.price_expo, q.conf, q.publish_ts, q.slot),
        (13_272_457_249, -8, 13_518_041, 1_720_094_645, 275_626_831)
    );

    let d = oracle_snapshot(
        "pyth-legacy",
        "J83w4HKfqxwcq3BEMMkPFSppX3gqekLyLJBexebFVkix",
    )
    .unwrap()
    .data;
    let q = pyth_legacy::parse(&d).unwrap();
    assert_eq!(
        (q.price, q.price_expo, q.conf, q.publish_ts, q.slot),
        (32_112_500_000, -9, 30_000_000, 0, 64_338_668)
    );

    let d = oracle_snapshot(
        "pyth-price-update-v2",
        "7UVimffxr9ow1uXYxsr4LHAcV58mLzhmwaeKvJ1pjLiE",
    )
    .unwrap()
    .data;
    let u = pyth_receiver::decode(&d).unwrap();
    assert_eq!(u.verification, pyth_receiver::Verification::Full);
    assert_eq!(u.feed_id, SOL_FEED_ID);
    assert_eq!(
        (
            u.price,
            u.conf,
            u.exponent,
            u.publish_time,
            u.ema_price,
            u.posted_slot
        ),
        (
            15_679_769_099,
            16_197_271,
            -8,
            1_721_133_402,
            15_660_921_800,
            277_875_167
        )
    );

    let d = oracle_snapshot(
        "pyth-price-update-v2",
        "En8hkHLkRe9d9DraYmBTrus518BvmVH448YcvmrFM6Ce",
    )
    .unwrap()
    .data;
    let u = pyth_receiver::decode(&d).unwrap();
    assert_eq!(
        u.verification,
        pyth_receiver::Verification::Partial { num_signatures: 3 }
    );
    assert_eq!(u.feed_id, USDC_FEED_ID);
    assert_eq!(
        (u.price, u.conf, u.exponent, u.publish_time),
        (100_000_132, 120_032, -8, 1_734_648_615)
    );

    let d = oracle_snapshot(
        "switchboard-v2",
        "GvDMxPzN1sCj7L26YDK2HnMRXEQmQ2aemov8YBtPS7vR",
    )
    .unwrap()
    .data;
    let q = switchboard_v2::parse(&d).unwrap();
    assert_eq!(
        (q.price, q.price_expo, q.publish_ts, q.slot),
        (8_129_742_876, -8, 1_646_686_511, 123_929_314)
    );
    let round = switchboard_v2::decode(&d).unwrap();
    assert_eq!((round.num_success, round.min_oracle_results), (3, 2));
    assert_std_dev(q.conf, q.conf_expo, 0.00729193);

    let d = oracle_snapshot(
        "switchboard-v2",
        "CUgoqwiQ4wCt6Tthkrgx5saAEpLBjPCdHshVa4Pbfcx2",
    )
    .unwrap()
    .data;
    let q = switchboard_v2::parse(&d).unwrap();
    assert_eq!(
        (q.price, q.price_expo, q.publish_ts, q.slot),
        (17_573_514, -7, 1_646_686_511, 123_929_314)
    );
    assert_std_dev(q.conf, q.conf_expo, 0.00244998);

    let d = oracle_snapshot(
        "switchboard-on-demand",
        "BSzfJs4d1tAkSDqkepnfzEVcx2WtDVnwwXa2giy9PLeP",
    )
    .unwrap()
    .data;
    let r = switchboard_on_demand::decode(&d).unwrap();
    assert_eq!(
        (r.value, r.num_samples, r.slot, r.last_update_timestamp),
        (155_594_045_270_000_000_000, 2, 282_612_970, 1_723_244_190)
    );
    assert_eq!(r.std_dev, 240_161_790_000_000_000);

    let d = oracle_snapshot(
        "switchboard-on-demand",
        "56PpAg9fHx2yHEwdTkvCH5R5x2PAsDoNANUhdbvLXLM6",
    )
    .unwrap()
    .data;
    let r = switchboard_on_demand::decode(&d).unwrap();
    assert_eq!(
        (r.value, r.num_samples, r.slot, r.last_update_timestamp),
        (0, 0, 0, 1_722_903_094)
    );
}

fn assert_std_dev(mantissa: u128, expo: i32, expected: f64) {
    let v = mantissa as f64 * 10f64.powi(expo);
    assert!((v - expected).abs() < 1e-8, "std dev {v} vs {expected}");
}

/// Load each good snapshot into the bank, pin it, check it and refresh a
/// feed on it: the published price is the documented one at the feed's exponent (-8).
#[tokio::test]
async fn real_accounts_price_a_feed_in_the_bank() {
    let cases = [
        (&PYTH_SOL, 13_272_457_249),
        (&RECEIVER_SOL, 15_679_769_099),
        (&SWITCHBOARD_V2_SOL, 8_129_742_876),
        (&ON_DEMAND_SOL, 15_559_404_527),
    ];
    for (snapshot, expected_price) in cases {
        let kind = snapshot.kind;
        let (mut m, source) = pinned(snapshot).await;
        let ok = check(&mut m, source)
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        let checked = &events::decode::<SourceChecked>(&ok.logs)[0];
        assert_eq!(
            (checked.price, checked.publish_ts),
            (expected_price, snapshot.ts),
            "{kind}"
        );

        let ok = m.refresh().await.unwrap_or_else(|e| panic!("{kind}: {e}"));
        let refreshed = &events::decode::<FeedRefreshed>(&ok.logs)[0];
        assert_eq!(
            (refreshed.price, refreshed.valid_mask, refreshed.manual_mask),
            (expected_price, 1, 0),
            "{kind}"
        );
        assert_eq!(m.feed().await.price, expected_price, "{kind}");
    }
}

#[tokio::test]
async fn timestamp_zero_is_stale_not_fresh() {
    let (mut m, source) = pinned(&PYTH_DEVNET_TS0).await;
    assert_error(check(&mut m, source).await, PricingError::SourceStale);
}

#[tokio::test]
async fn partially_verified_update_is_rejected() {
    let (mut m, source) = pinned(&RECEIVER_USDC_PARTIAL).await;
    assert_error(
        check(&mut m, source).await,
        PricingError::SourceNotFullyVerified,
    );
    // In a refresh the source is excluded (quorum of one lost) and its error recorded.
    let before = m.feed().await;
    m.refresh().await.unwrap();
    let after = m.feed().await;
    assert_eq!(
        after.sources[0].last_error,
        code(PricingError::SourceNotFullyVerified)
    );
    assert_eq!(
        (after.price, after.price_ts, after.obs_len),
        (before.price, before.price_ts, before.obs_len)
    );
}

#[tokio::test]
async fn empty_switchboard_result_is_no_result_never_zero() {
    let (mut m, source) = pinned(&ON_DEMAND_EMPTY).await;
    assert_error(check(&mut m, source).await, PricingError::SourceNoResult);
}

#[tokio::test]
async fn pinning_rejects_wrong_owner_kind_and_feed_id() {
    let (mut m, source) = market_on(&RECEIVER_SOL).await;
    // A receiver account offered as a Switchboard feed: wrong owner for that kind.
    assert_error(
        m.add_source(source, SourceKind::SwitchboardV2, [0; 32])
            .await,
        PricingError::SourceWrongOwner,
    );
    // The right kind with another market's feed id.
    assert_error(
        m.add_source(source, SourceKind::PythReceiver, USDC_FEED_ID)
            .await,
        PricingError::SourceFeedIdMismatch,
    );
    assert_eq!(m.feed().await.num_sources, 0);

    // Bytes of a real Pyth account at an address owned by an unknown program.
    let forged = Snapshot {
        owner: Pubkey::new_unique(),
        ..PYTH_SOL
    };
    let (mut m, source) = market_on(&forged).await;
    assert_error(
        m.add_source(source, SourceKind::PythLegacy, [0; 32]).await,
        PricingError::SourceWrongOwner,
    );
}

#[tokio::test]
async fn receiver_account_reposted_for_another_feed_fails_refresh() {
    let (mut m, source) = pinned(&RECEIVER_SOL).await;
    m.refresh().await.unwrap();
    // The write authority re-posts the pinned account with the USDC update.
    let mut acc = m.chain.account(source).await.unwrap();
    acc.data = oracle_snapshot(RECEIVER_USDC_PARTIAL.kind, RECEIVER_USDC_PARTIAL.address)
        .unwrap()
        .data;
    m.chain.set_account(source, acc);
    m.chain.advance(15);
    let before = m.feed_bytes().await;
    assert_error(m.refresh().await, PricingError::SourceFeedIdMismatch);
    assert_eq!(m.feed_bytes().await, before);
}
