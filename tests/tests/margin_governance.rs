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
    let set =
        |base: u64| margin_ix::agent_set_maint_base(agent.pubkey(), btc, base, Default::default());
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
        MarginError::RiskAgentStepTooLarge,
    );
    assert_margin_error(
        m.chain.send(&[set(25 * (W / 1_000))], &[&agent]).await,
        MarginError::RiskAgentOutOfBand,
    );
    assert_eq!(m.bank(btc).await.params.maint.base, 55 * (W / 1_000));
    // Nobody else holds the leash.
    let imposter = m.chain.funded_keypair(1_000_000_000).await;
    let ix =
        margin_ix::agent_set_maint_base(imposter.pubkey(), btc, 6 * (W / 100), Default::default());
    assert_margin_error(
        m.chain.send(&[ix], &[&imposter]).await,
        MarginError::Unauthorized,
    );
    m.chain
        .send(&[set(6 * (W / 100))], &[&agent])
        .await
        .unwrap();
}

/// The caps and the fee ramp on their leashes (`presets::agent_leashes`:
/// caps 50%-100% of governance's, a tenth at a time; the ramp 0.001% to
/// 0.005% a slot, 0.001% at a time; five minutes between moves). Every
/// refusal names its reason and leaves the bank and config bytes as they
/// were; a cap the agent set stops new loans with the cap's own error.
#[tokio::test]
async fn the_risk_agent_moves_caps_and_the_fee_ramp_only_on_their_leashes() {
    let mut m = MarginMarket::new().await.unwrap();
    let (usdc, agent) = (m.usdc_mint, m.risk_agent.insecure_clone());
    let (bank_key, config_key) = (m.usdc_bank(), rampart_sdk::pda::margin::config());
    let gov = m.bank(usdc).await.params;
    let (dep, bor) = (gov.deposit_cap, gov.borrow_cap);
    let caps = |d: u64, b: u64| {
        margin_ix::agent_set_caps(agent.pubkey(), usdc, (d, b), Default::default())
    };
    let ramp = |f: u64| margin_ix::agent_set_fee_ramp(agent.pubkey(), f, Default::default());
    let base_ramp = rampart_sdk::presets::liquidation_params().fee_per_slot;

    // Refusals before any move, each with the bank and config unchanged.
    let before = (
        m.chain.account(bank_key).await,
        m.chain.account(config_key).await,
    );
    for (ix, signer, error) in [
        // Above governance's cap: the agent can only tighten.
        (caps(dep, bor + 1), &agent, MarginError::RiskAgentOutOfBand),
        // Below half of it.
        (
            caps(dep, bor / 2 - 1),
            &agent,
            MarginError::RiskAgentOutOfBand,
        ),
        // More than a tenth at once.
        (
            caps(dep, bor - bor / 10 - 1),
            &agent,
            MarginError::RiskAgentStepTooLarge,
        ),
        (
            caps(dep - dep / 10 - 1, bor),
            &agent,
            MarginError::RiskAgentStepTooLarge,
        ),
        (
            ramp(base_ramp * 5 + 1),
            &agent,
            MarginError::RiskAgentOutOfBand,
        ),
        (
            ramp(base_ramp * 3),
            &agent,
            MarginError::RiskAgentStepTooLarge,
        ),
        (ramp(base_ramp / 2), &agent, MarginError::RiskAgentOutOfBand),
    ] {
        assert_margin_error(m.chain.send(&[ix], &[signer]).await, error);
    }
    // Nobody else holds the leash.
    let imposter = m.chain.funded_keypair(1_000_000_000).await;
    let forged_caps = margin_ix::agent_set_caps(
        imposter.pubkey(),
        usdc,
        (dep, bor - bor / 10),
        Default::default(),
    );
    let forged_ramp =
        margin_ix::agent_set_fee_ramp(imposter.pubkey(), base_ramp * 2, Default::default());
    for ix in [forged_caps, forged_ramp] {
        assert_margin_error(
            m.chain.send(&[ix], &[&imposter]).await,
            MarginError::Unauthorized,
        );
    }
    assert_eq!(
        (
            m.chain.account(bank_key).await,
            m.chain.account(config_key).await
        ),
        before,
        "refused moves change nothing"
    );

    // A tenth off the borrow cap and one step up the ramp: accepted.
    m.chain
        .send(&[caps(dep, bor - bor / 10), ramp(base_ramp * 2)], &[&agent])
        .await
        .unwrap();
    let bank = m.bank(usdc).await;
    assert_eq!(
        (bank.deposit_cap(), bank.borrow_cap()),
        (dep, bor - bor / 10)
    );
    assert_eq!(
        bank.params.borrow_cap, bor,
        "governance's cap stays governance's"
    );
    let config: margin::state::MarginConfig = m.chain.anchor_account(config_key).await.unwrap();
    assert_eq!(config.liquidation.fee_per_slot, base_ramp * 2);

    // Again within five minutes: too fast, for either.
    m.chain.advance(60);
    let before = (
        m.chain.account(bank_key).await,
        m.chain.account(config_key).await,
    );
    assert_margin_error(
        m.chain.send(&[caps(dep, bor - bor / 5)], &[&agent]).await,
        MarginError::RiskAgentTooFast,
    );
    assert_margin_error(
        m.chain.send(&[ramp(base_ramp * 3)], &[&agent]).await,
        MarginError::RiskAgentTooFast,
    );
    assert_eq!(
        (
            m.chain.account(bank_key).await,
            m.chain.account(config_key).await
        ),
        before
    );

    // The agent's cap binds a borrower: a loan past it is refused with
    // the cap's error though governance's cap would allow it.
    m.chain.advance(300);
    let mut cap = m.bank(usdc).await.borrow_cap();
    while cap > bor / 2 {
        m.chain
            .send(&[caps(dep, (cap - bor / 10).max(bor / 2))], &[&agent])
            .await
            .unwrap();
        m.chain.advance(300);
        cap = m.bank(usdc).await.borrow_cap();
    }
    assert_eq!(cap, bor / 2);
    m.tick(30_000.0).await.unwrap();
    let _lender = m.lender(bor, bor).await.unwrap();
    let b = m.leveraged_borrower(600 * BTC, 0).await.unwrap();
    let over = m.flow(&b, usdc, true, true).borrow(bor / 2 + 1);
    assert_margin_error(m.send_as(&b, over).await, MarginError::BorrowCapExceeded);
    let at = m.flow(&b, usdc, true, true).borrow(bor / 2);
    m.send_as(&b, at).await.unwrap();

    // Governance closes the caps' leash: the agent may no longer move them.
    let g = m.ops.governance.insecure_clone();
    let mut leashes = rampart_sdk::presets::agent_leashes();
    leashes.caps.max_step = 0;
    let base = rampart_sdk::presets::governance_params(agent.pubkey()).agent_base;
    // Only governance sets leashes, and only within bounds.
    let by_agent = margin_ix::set_agent_leashes(agent.pubkey(), base, leashes);
    assert_margin_error(
        m.chain.send(&[by_agent], &[&agent]).await,
        MarginError::Unauthorized,
    );
    let mut loose = leashes;
    loose.caps.max = W + 1;
    assert_margin_error(
        gov_send(
            &mut m,
            margin_ix::set_agent_leashes(g.pubkey(), base, loose),
        )
        .await,
        MarginError::ParamOutOfBounds,
    );
    gov_send(
        &mut m,
        margin_ix::set_agent_leashes(g.pubkey(), base, leashes),
    )
    .await
    .unwrap();
    m.chain.advance(300);
    assert_margin_error(
        m.chain
            .send(&[caps(dep, bor / 2 + bor / 10)], &[&agent])
            .await,
        MarginError::RiskAgentLeashClosed,
    );
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
