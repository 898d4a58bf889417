//! Emergency status: M-of-N guardians pause margin for a bounded time and
//! the pause lapses unless renewed; governance can set a lasting status.
//! A pause stops new risk but never stops repaying or withdrawing what
//! backs no debt.

use margin::errors::MarginError;
use margin::state::{GuardianSet, MarginStatus};
use rampart_sdk::margin_ix;
use rampart_tests::margin_world::*;
use rampart_tests::*;

fn guardian_set(keys: &[&Keypair], threshold: u8) -> GuardianSet {
    let mut set = GuardianSet {
        count: keys.len() as u8,
        threshold,
        max_pause_secs: 86_400,
        ..Default::default()
    };
    for (slot, k) in set.keys.iter_mut().zip(keys) {
        *slot = k.pubkey();
    }
    set
}

async fn with_guardians() -> (MarginMarket, Vec<Keypair>) {
    let mut m = MarginMarket::new().await.unwrap();
    let guardians: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    let set = guardian_set(&guardians.iter().collect::<Vec<_>>(), 2);
    let g = m.ops.governance.insecure_clone();
    m.chain
        .send(&[margin_ix::set_guardians(g.pubkey(), set)], &[&g])
        .await
        .unwrap();
    (m, guardians)
}

async fn guardians_set(
    m: &mut MarginMarket,
    signers: &[&Keypair],
    status: MarginStatus,
    secs: u32,
) -> TxResult {
    let keys: Vec<_> = signers.iter().map(|k| k.pubkey()).collect();
    let ix = margin_ix::guardian_set_status(&keys, status, secs);
    m.chain.send(&[ix], signers).await
}

#[tokio::test]
async fn guardian_shutdown_stops_new_risk_then_lapses() {
    let (mut m, g) = with_guardians().await;
    let lender = m.user(0, 100_000 * USDC).await.unwrap();
    let ix = m
        .flow(&lender, m.usdc_mint, false, true)
        .deposit(50_000 * USDC);
    m.send_as(&lender, ix).await.unwrap();
    let b = m.user(2 * BTC, 0).await.unwrap();
    let ix = m.flow(&b, m.btc_mint, true, false).deposit(BTC);
    m.send_as(&b, ix).await.unwrap();
    let ix = m.flow(&b, m.usdc_mint, true, true).borrow(10_000 * USDC);
    m.send_as(&b, ix).await.unwrap();

    // One guardian is not enough, nor is one guardian signing twice.
    assert_margin_error(
        guardians_set(&mut m, &[&g[0]], MarginStatus::Shutdown, 3_600).await,
        MarginError::NotEnoughGuardians,
    );
    let twice = margin_ix::guardian_set_status(
        &[g[0].pubkey(), g[0].pubkey()],
        MarginStatus::Shutdown,
        3_600,
    );
    assert_margin_error(
        m.chain.send(&[twice], &[&g[0]]).await,
        MarginError::NotEnoughGuardians,
    );
    assert_margin_error(
        guardians_set(&mut m, &[&g[0], &g[1]], MarginStatus::Shutdown, 86_401).await,
        MarginError::ParamOutOfBounds,
    );

    guardians_set(&mut m, &[&g[0], &g[2]], MarginStatus::Shutdown, 3_600)
        .await
        .unwrap();
    let deposit = m.flow(&b, m.btc_mint, true, true).deposit(BTC);
    assert_margin_error(
        m.send_as(&b, deposit.clone()).await,
        MarginError::ProtocolStatusForbids,
    );
    let borrow = m.flow(&b, m.usdc_mint, true, true).borrow(USDC);
    assert_margin_error(
        m.send_as(&b, borrow.clone()).await,
        MarginError::ProtocolStatusForbids,
    );
    // Users can always get out: repay, and withdraw what backs no debt.
    m.send_as(&b, m.flow(&b, m.usdc_mint, true, true).repay(10_000 * USDC))
        .await
        .unwrap();
    m.send_as(&b, m.flow(&b, m.btc_mint, true, false).withdraw(BTC))
        .await
        .unwrap();
    m.send_as(
        &lender,
        m.flow(&lender, m.usdc_mint, false, true)
            .withdraw(50_000 * USDC),
    )
    .await
    .unwrap();

    // An hour later the pause has lapsed by itself.
    m.tick(30_000.0).await.unwrap();
    m.chain.advance(3_600);
    m.tick(30_000.0).await.unwrap();
    m.send_as(&b, deposit).await.unwrap();
}

#[tokio::test]
async fn reduce_only_blocks_borrows_but_not_deposits() {
    let (mut m, g) = with_guardians().await;
    let b = m.user(2 * BTC, 0).await.unwrap();
    guardians_set(&mut m, &[&g[1], &g[2]], MarginStatus::ReduceOnly, 3_600)
        .await
        .unwrap();
    m.send_as(&b, m.flow(&b, m.btc_mint, true, false).deposit(BTC))
        .await
        .unwrap();
    let borrow = m.flow(&b, m.usdc_mint, true, true).borrow(USDC);
    assert_margin_error(
        m.send_as(&b, borrow).await,
        MarginError::ProtocolStatusForbids,
    );
    // Guardians can lift it early.
    guardians_set(&mut m, &[&g[0], &g[1]], MarginStatus::Active, 0)
        .await
        .unwrap();
    assert_eq!(
        m.chain
            .anchor_account::<margin::state::MarginConfig>(rampart_sdk::pda::margin::config())
            .await
            .unwrap()
            .status,
        MarginStatus::Active
    );
}

#[tokio::test]
async fn governance_status_lasts_and_guardians_are_governed() {
    let (mut m, g) = with_guardians().await;
    let gov = m.ops.governance.insecure_clone();
    m.chain
        .send(
            &[margin_ix::set_margin_status(
                gov.pubkey(),
                MarginStatus::Shutdown,
            )],
            &[&gov],
        )
        .await
        .unwrap();
    m.chain.advance(100 * 86_400);
    m.tick(30_000.0).await.unwrap();
    let b = m.user(BTC, 0).await.unwrap();
    let deposit = m.flow(&b, m.btc_mint, true, false).deposit(BTC);
    assert_margin_error(
        m.send_as(&b, deposit).await,
        MarginError::ProtocolStatusForbids,
    );

    let intruder = m.chain.funded_keypair(1_000_000_000).await;
    let refs: Vec<&Keypair> = g.iter().collect();
    let ix = margin_ix::set_guardians(intruder.pubkey(), guardian_set(&refs, 2));
    assert_margin_error(
        m.chain.send(&[ix], &[&intruder]).await,
        MarginError::Unauthorized,
    );
    let ix = margin_ix::set_margin_status(intruder.pubkey(), MarginStatus::Active);
    assert_margin_error(
        m.chain.send(&[ix], &[&intruder]).await,
        MarginError::Unauthorized,
    );
    let weak = margin_ix::set_guardians(gov.pubkey(), guardian_set(&refs, 1));
    assert_margin_error(
        m.chain.send(&[weak], &[&gov]).await,
        MarginError::ParamOutOfBounds,
    );
}
