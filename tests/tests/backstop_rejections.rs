//! Hostile or mistaken backstop calls: each refused with its exact error,
//! and nothing moves: the pool account's bytes, both pool vaults and the
//! caller's token balances are unchanged.

use anchor_lang::error::ErrorCode;
use backstop::errors::BackstopError;
use pricing::errors::PricingError;
use rampart_sdk::backstop_ix::Seller;
use rampart_sdk::pricing_ix;
use rampart_sim::backstop_market::{consumer_limits, pool_params, BackstopMarket};
use rampart_sim::market::{User, BTC, USDC};
use rampart_tests::*;
use solana_sdk::instruction::Instruction;

struct Snapshot {
    pool: Vec<u8>,
    vaults: (u64, u64),
    tokens: Vec<u64>,
}

async fn snapshot(b: &mut BackstopMarket, users: &[&User]) -> Snapshot {
    let pool = b.m.chain.account(b.pool.pool).await.unwrap().data;
    let vaults = b.vaults().await;
    let mut tokens = vec![];
    for u in users {
        tokens.push(b.m.tokens(u.usdc).await);
        tokens.push(b.m.tokens(u.btc).await);
    }
    Snapshot {
        pool,
        vaults,
        tokens,
    }
}

async fn assert_unchanged(b: &mut BackstopMarket, users: &[&User], before: &Snapshot) {
    let after = snapshot(b, users).await;
    assert!(after.pool == before.pool, "pool account changed");
    assert_eq!(after.vaults, before.vaults, "pool vaults changed");
    assert_eq!(after.tokens, before.tokens, "token balances changed");
}

/// A pool with an LP of 50,000 USDC in the 1% band, the price fresh at 30,000.
async fn funded() -> (BackstopMarket, User) {
    let mut b = BackstopMarket::new().await.unwrap();
    let lp = b.new_lp(60_000 * USDC).await.unwrap();
    b.deposit(&lp, 1, 50_000 * USDC).await.unwrap();
    b.m.tick(30_000.0).await.unwrap();
    (b, lp)
}

async fn send(b: &mut BackstopMarket, ix: Instruction, signer: &Keypair) -> TxResult {
    b.m.chain.send(&[ix], &[signer]).await
}

#[tokio::test]
async fn absorb_rejections() {
    let (mut b, lp) = funded().await;
    let other = b.other_protocol.key.insecure_clone();
    let other_user = User {
        key: other.insecure_clone(),
        btc: b.other_protocol.btc,
        usdc: b.other_protocol.usdc,
    };
    let users = vec![&lp, &other_user];
    let before = snapshot(&mut b, &users).await;

    // An unregistered protocol: its consumer record does not exist.
    let stranger = b.m.user(BTC, 0).await.unwrap();
    let seller = Seller {
        authority: stranger.key.pubkey(),
        owner: stranger.key.pubkey(),
        collateral: stranger.btc,
        quote: stranger.usdc,
    };
    let ix = b.pool.absorb(&seller, BTC, u64::MAX, 500, 1);
    let k = stranger.key.insecure_clone();
    assert_anchor_error(send(&mut b, ix, &k).await, ErrorCode::AccountNotInitialized);
    assert_eq!(b.m.tokens(stranger.btc).await, BTC);

    // Seller's token accounts of the wrong mint.
    let mut swapped = b.other_seller();
    std::mem::swap(&mut swapped.collateral, &mut swapped.quote);
    let ix = b.pool.absorb(&swapped, BTC, u64::MAX, 500, 1);
    assert_backstop_error(send(&mut b, ix, &other).await, BackstopError::WrongMint);

    // No band within the seller's discount limit (the LP sits at 1%).
    assert_backstop_error(b.other_absorbs(BTC, 50).await, BackstopError::NoLiquidity);

    // Less than the seller's minimum.
    let ix = b
        .pool
        .absorb(&b.other_seller(), BTC, u64::MAX, 500, 30_000 * USDC);
    assert_backstop_error(
        send(&mut b, ix, &other).await,
        BackstopError::BelowMinimumQuote,
    );

    // A suspended consumer.
    let gov = b.m.ops.governance.insecure_clone();
    let ix = b
        .pool
        .set_consumer(gov.pubkey(), other.pubkey(), consumer_limits(), false);
    send(&mut b, ix, &gov).await.unwrap();
    assert_backstop_error(
        b.other_absorbs(BTC, 500).await,
        BackstopError::ConsumerNotRegistered,
    );
    let ix = b
        .pool
        .set_consumer(gov.pubkey(), other.pubkey(), consumer_limits(), true);
    send(&mut b, ix, &gov).await.unwrap();
    assert_unchanged(&mut b, &users, &before).await;

    // A stale price: a minute and more without a refresh.
    b.m.chain.advance(61);
    assert_error(b.other_absorbs(BTC, 500).await, PricingError::FeedStale);
    b.m.tick(30_000.0).await.unwrap();

    // A halted feed.
    let ix = pricing_ix::set_status(gov.pubkey(), b.m.btc_feed, 2);
    send(&mut b, ix, &gov).await.unwrap();
    assert_error(b.other_absorbs(BTC, 500).await, PricingError::FeedHalted);
    let ix = pricing_ix::set_status(gov.pubkey(), b.m.btc_feed, 0);
    send(&mut b, ix, &gov).await.unwrap();
    assert_unchanged(&mut b, &users, &before).await;
}

#[tokio::test]
async fn limits_cap_a_consumer_and_a_slot() {
    let (mut b, lp) = funded().await;
    // One absorb pays at most 1M per the consumer's per-absorb cap: the
    // 50,000 USDC band pays 50,000 and no more.
    let ok = b.other_absorbs(5 * BTC, 500).await.unwrap();
    let abs = &events::decode::<backstop::events::Absorbed>(&ok.logs)[0];
    assert_eq!(abs.quote_out, 50_000 * USDC);

    // Window allowance: 1.5M per 150 slots. Fill it, then one more is refused.
    let big = b.new_lp(5_000_000 * USDC).await.unwrap();
    b.deposit(&big, 2, 5_000_000 * USDC).await.unwrap();
    b.m.tick(30_000.0).await.unwrap(); // a new slot for the pool's per-slot limit
    let ok = b.other_absorbs(60 * BTC, 500).await.unwrap();
    let abs = &events::decode::<backstop::events::Absorbed>(&ok.logs)[0];
    assert_eq!(abs.quote_out, 1_000_000 * USDC, "per-absorb cap");
    b.m.tick(30_000.0).await.unwrap();
    let ok = b.other_absorbs(60 * BTC, 500).await.unwrap();
    let abs = &events::decode::<backstop::events::Absorbed>(&ok.logs)[0];
    assert_eq!(abs.quote_out, 450_000 * USDC, "what is left of the window");
    let users = [&lp, &big];
    let users: Vec<&User> = users.to_vec();
    let before = snapshot(&mut b, &users).await;
    let btc_before = b.m.tokens(b.other_protocol.btc).await;
    assert_backstop_error(
        b.other_absorbs(BTC, 500).await,
        BackstopError::ConsumerCapReached,
    );
    assert_eq!(b.m.tokens(b.other_protocol.btc).await, btc_before);
    assert_unchanged(&mut b, &users, &before).await;

    // The pool's per-slot limit (2M) binds across consumers: two others
    // take 1M each in one slot, and a third absorb in that slot is refused
    // although its consumer still has allowance.
    let gov = b.m.ops.governance.insecure_clone();
    let third = b.m.user(100 * BTC, 0).await.unwrap();
    let payer = b.m.chain.payer_pubkey();
    let ix = b
        .pool
        .register_consumer(gov.pubkey(), payer, third.key.pubkey(), consumer_limits());
    send(&mut b, ix, &gov).await.unwrap();
    let fourth = b.m.user(100 * BTC, 0).await.unwrap();
    let ix = b
        .pool
        .register_consumer(gov.pubkey(), payer, fourth.key.pubkey(), consumer_limits());
    send(&mut b, ix, &gov).await.unwrap();
    b.m.tick(30_000.0).await.unwrap();
    let seller = |u: &User| Seller {
        authority: u.key.pubkey(),
        owner: u.key.pubkey(),
        collateral: u.btc,
        quote: u.usdc,
    };
    for u in [&third, &fourth] {
        let ix = b.pool.absorb(&seller(u), 60 * BTC, u64::MAX, 500, 1);
        let k = u.key.insecure_clone();
        send(&mut b, ix, &k).await.unwrap();
    }
    assert_eq!(pool_params().max_quote_per_slot, 2_000_000 * USDC);
    let ix = b.pool.absorb(&seller(&third), BTC, u64::MAX, 500, 1);
    let k = third.key.insecure_clone();
    assert_backstop_error(
        send(&mut b, ix, &k).await,
        BackstopError::PoolSlotLimitReached,
    );
    b.m.tick(30_000.0).await.unwrap();
    let ix = b.pool.absorb(&seller(&third), BTC, u64::MAX, 500, 1);
    send(&mut b, ix, &k).await.unwrap();
}

#[tokio::test]
async fn lp_rejections() {
    let (mut b, lp) = funded().await;
    let intruder = b.new_lp(1_000 * USDC).await.unwrap();
    let users = [&lp, &intruder];
    let users: Vec<&User> = users.to_vec();
    let before = snapshot(&mut b, &users).await;
    let lp_key = lp.key.insecure_clone();

    // More than the stake owns.
    assert_backstop_error(
        b.withdraw(&lp, 1, 50_000 * USDC + 1).await,
        BackstopError::InsufficientStake,
    );
    // Someone else's stake: the stake's owner must sign.
    let mut ix = b.pool.withdraw(&BackstopMarket::lp(&intruder), 1, 1);
    ix.accounts[1].pubkey = b.pool.stake(1, &lp.key.pubkey());
    let k = intruder.key.insecure_clone();
    assert_anchor_error(send(&mut b, ix, &k).await, ErrorCode::ConstraintHasOne);
    // Paying into the pool from a BTC account.
    let mut wrong = BackstopMarket::lp(&lp);
    wrong.quote = lp.btc;
    let ix = b.pool.deposit(&wrong, 1, USDC);
    assert_backstop_error(send(&mut b, ix, &lp_key).await, BackstopError::WrongMint);
    // A band the pool does not have.
    let ix = b.pool.open_stake(lp.key.pubkey(), 6);
    assert_backstop_error(send(&mut b, ix, &lp_key).await, BackstopError::NoSuchBand);
    // Zero.
    assert_backstop_error(b.deposit(&lp, 1, 0).await, BackstopError::ZeroAmount);
    assert_unchanged(&mut b, &users, &before).await;

    // A consumer locks withdrawals ahead of a large liquidation: refused
    // until the lock ends; deposits still allowed; the lock is bounded.
    let other = b.other_protocol.key.insecure_clone();
    let slot = b.m.chain.clock().slot;
    let ix = b.pool.lock_withdrawals(other.pubkey(), slot + 10_000);
    send(&mut b, ix, &other).await.unwrap();
    let pool = b.pool_state().await;
    assert_eq!(
        pool.withdrawals_locked_until,
        slot + pool_params().max_lock_slots
    );
    let before = snapshot(&mut b, &users).await;
    assert_backstop_error(
        b.withdraw(&lp, 1, USDC).await,
        BackstopError::WithdrawalsLocked,
    );
    assert_unchanged(&mut b, &users, &before).await;
    b.deposit(&lp, 1, USDC).await.unwrap();
    // Only a registered consumer may lock.
    let ix = b.pool.lock_withdrawals(intruder.key.pubkey(), slot + 100);
    assert_anchor_error(send(&mut b, ix, &k).await, ErrorCode::AccountNotInitialized);
    b.m.chain.advance(61);
    b.withdraw(&lp, 1, USDC).await.unwrap();
}

#[tokio::test]
async fn governance_rejections() {
    let mut b = BackstopMarket::new().await.unwrap();
    let gov = b.m.ops.governance.insecure_clone();
    let payer = b.m.chain.payer_pubkey();
    let intruder = b.m.chain.funded_keypair(1_000_000_000).await;
    // Only governance registers consumers.
    let ix = b.pool.register_consumer(
        intruder.pubkey(),
        payer,
        intruder.pubkey(),
        consumer_limits(),
    );
    assert_backstop_error(
        send(&mut b, ix, &intruder).await,
        BackstopError::Unauthorized,
    );
    // Limits out of bounds.
    let mut limits = consumer_limits();
    limits.max_quote_per_absorb = limits.max_quote_per_window + 1;
    let ix = b
        .pool
        .register_consumer(gov.pubkey(), payer, intruder.pubkey(), limits);
    assert_backstop_error(
        send(&mut b, ix, &gov).await,
        BackstopError::ParamOutOfBounds,
    );

    // Bands must rise strictly within 0.1%-20%; at most eight.
    let usdc = b.m.usdc_mint;
    let eth = rampart_embedded::spl::create_mint(&mut b.m.chain, &b.m.mint_authority.pubkey(), 8)
        .await
        .unwrap();
    let pool = rampart_sdk::backstop_ix::PoolRef::new(eth, usdc, b.m.btc_feed);
    for bad in [
        vec![],
        vec![100, 100],
        vec![5],
        vec![100, 2_001],
        (1..=9).map(|i| i * 100).collect(),
    ] {
        let ix = pool.create(gov.pubkey(), payer, bad, pool_params());
        assert_backstop_error(
            send(&mut b, ix, &gov).await,
            BackstopError::BandsOutOfBounds,
        );
    }
    let mut params = pool_params();
    params.max_lock_slots = 0;
    let ix = pool.create(gov.pubkey(), payer, vec![100], params);
    assert_backstop_error(
        send(&mut b, ix, &gov).await,
        BackstopError::ParamOutOfBounds,
    );
    let ix = pool.create(intruder.pubkey(), payer, vec![100], pool_params());
    assert_backstop_error(
        send(&mut b, ix, &intruder).await,
        BackstopError::Unauthorized,
    );
    assert!(b.m.chain.account(pool.pool).await.is_none());
}
