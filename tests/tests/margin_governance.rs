//! Bounded governance: bank parameters change only inside hard bounds and
//! only after a timelock; the risk agent moves a maintenance base without
//! timelock but only inside its narrower band, by a bounded step, at a
//! limited rate.

use margin::errors::MarginError;
use margin::state::BankParams;
use rampart_sdk::margin_ix;
use rampart_tests::margin_world::*;
use rampart_tests::*;

const W: u64 = 1_000_000_000_000_000_000;

async fn gov_send(m: &mut MarginMarket, ix: solana_sdk::instruction::Instruction) -> TxResult {
    let g = m.ops.governance.insecure_clone();
    m.chain.send(&[ix], &[&g]).await
}

#[tokio::test]
async fn bank_parameters_wait_for_the_timelock() {
    let mut m = MarginMarket::new().await.unwrap();
    let (gov, btc) = (m.ops.governance.pubkey(), m.btc_mint);
    let stricter = BankParams {
        asset_haircut_init: W / 4,
        ..btc_params()
    };

    // Out of bounds is refused at queue time; intruders are refused.
    let loose = BankParams {
        liability_ratio_init: 2 * W,
        ..btc_params()
    };
    assert_margin_error(
        gov_send(&mut m, margin_ix::queue_bank_params(gov, btc, loose)).await,
        MarginError::ParamOutOfBounds,
    );
    let intruder = m.chain.funded_keypair(1_000_000_000).await;
    let ix = margin_ix::queue_bank_params(intruder.pubkey(), btc, stricter);
    assert_margin_error(
        m.chain.send(&[ix], &[&intruder]).await,
        MarginError::Unauthorized,
    );

    // Nothing queued: nothing to apply.
    assert_margin_error(
        m.chain
            .send(&[margin_ix::apply_bank_params(btc)], &[])
            .await,
        MarginError::TimelockNotElapsed,
    );
    gov_send(&mut m, margin_ix::queue_bank_params(gov, btc, stricter))
        .await
        .unwrap();
    m.chain.advance(3_599);
    assert_margin_error(
        m.chain
            .send(&[margin_ix::apply_bank_params(btc)], &[])
            .await,
        MarginError::TimelockNotElapsed,
    );
    assert_eq!(
        m.bank(btc).await.params,
        btc_params(),
        "not applied before the timelock"
    );
    m.chain.advance(1);
    m.chain
        .send(&[margin_ix::apply_bank_params(btc)], &[])
        .await
        .unwrap();
    assert_eq!(m.bank(btc).await.params, stricter);

    // A queued change can be cancelled.
    gov_send(&mut m, margin_ix::queue_bank_params(gov, btc, btc_params()))
        .await
        .unwrap();
    gov_send(&mut m, margin_ix::cancel_bank_params(gov, btc))
        .await
        .unwrap();
    m.chain.advance(3_600);
    assert_margin_error(
        m.chain
            .send(&[margin_ix::apply_bank_params(btc)], &[])
            .await,
        MarginError::TimelockNotElapsed,
    );
    assert_eq!(m.bank(btc).await.params, stricter);
}

#[tokio::test]
async fn the_risk_agent_stays_on_its_leash() {
    let mut m = MarginMarket::with_btc_maintenance(adaptive_maintenance())
        .await
        .unwrap();
    let btc = m.btc_mint;
    let agent = m.risk_agent.insecure_clone();
    let set = |base: u64| margin_ix::agent_set_maint_base(agent.pubkey(), btc, base);
    // Base 5%: a step to 5.5% is allowed at once, no timelock.
    m.chain
        .send(&[set(55 * (W / 1_000))], &[&agent])
        .await
        .unwrap();
    assert_eq!(m.bank(btc).await.params.maint.base, 55 * (W / 1_000));
    // Again within five minutes: too fast.
    m.chain.advance(60);
    assert_margin_error(
        m.chain.send(&[set(6 * (W / 100))], &[&agent]).await,
        MarginError::RiskAgentTooFast,
    );
    m.chain.advance(300);
    // A step larger than 0.5%, or outside its 3%-8% band: refused.
    assert_margin_error(
        m.chain.send(&[set(7 * (W / 100))], &[&agent]).await,
        MarginError::RiskAgentOutOfBand,
    );
    assert_margin_error(
        m.chain.send(&[set(25 * (W / 1_000))], &[&agent]).await,
        MarginError::RiskAgentOutOfBand,
    );
    assert_eq!(m.bank(btc).await.params.maint.base, 55 * (W / 1_000));
    // Nobody else holds the leash.
    let imposter = m.chain.funded_keypair(1_000_000_000).await;
    let ix = margin_ix::agent_set_maint_base(imposter.pubkey(), btc, 6 * (W / 100));
    assert_margin_error(
        m.chain.send(&[ix], &[&imposter]).await,
        MarginError::Unauthorized,
    );
    m.chain
        .send(&[set(6 * (W / 100))], &[&agent])
        .await
        .unwrap();
}

#[tokio::test]
async fn risk_updates_read_only_the_banks_own_feed() {
    let mut m = MarginMarket::with_btc_maintenance(adaptive_maintenance())
        .await
        .unwrap();
    // The USDC feed offered as BTC's: refused, ratio unchanged.
    let before = m.bank(m.btc_mint).await.effective_maint_ratio;
    let forged = margin_ix::update_risk(m.btc_mint, m.usdc_feed);
    assert_margin_error(m.chain.send(&[forged], &[]).await, MarginError::WrongFeed);
    assert_eq!(m.bank(m.btc_mint).await.effective_maint_ratio, before);
    m.update_btc_risk().await.unwrap();
}

#[tokio::test]
async fn only_protocol_governance_can_initialise_margin() {
    let mut chain = rampart_embedded::Chain::builder().start().await;
    chain.set_clock(T0, SLOT0);
    let (ops, _) =
        rampart_sim::setup::protocol_and_feed(&mut chain, "BTC/USD", EXPO, test_params(), 5_000)
            .await
            .unwrap();
    let intruder = chain.funded_keypair(1_000_000_000).await;
    let payer = chain.payer_pubkey();
    let rules = governance_params(intruder.pubkey());
    let ix = margin_ix::init_margin(payer, intruder.pubkey(), liquidation_params(), rules);
    assert_margin_error(
        chain.send(&[ix], &[&intruder]).await,
        MarginError::Unauthorized,
    );
    let ix = margin_ix::init_margin(payer, ops.governance.pubkey(), liquidation_params(), rules);
    chain.send(&[ix], &[&ops.governance]).await.unwrap();
}
