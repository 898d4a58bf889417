//! Bounded governance: bank parameters change only inside hard bounds and
//! only after a timelock; the risk agent moves a maintenance base without
//! timelock but only inside its narrower band, by a bounded step, at a
//! limited rate.

use anchor_lang::prelude::Pubkey;
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

    // Volatility lifts the effective ratio above the base, which widens the
    // deposits' maintenance haircut by the excess. Lowering the base lowers
    // the effective ratio with it, so that haircut does not jump at once
    // (it did: the excess grew by the step until the rate limit caught up).
    for _ in 0..20 {
        m.chain.advance(60);
        m.tick(30_000.0).await.unwrap();
        m.update_btc_risk().await.unwrap();
    }
    m.chain.advance(300);
    let before = m.bank(btc).await;
    assert!(
        before.effective_maint_ratio > before.params.maint.base,
        "{} over {}",
        before.effective_maint_ratio,
        before.params.maint.base
    );
    m.chain
        .send(&[set(55 * (W / 1_000))], &[&agent])
        .await
        .unwrap();
    let after = m.bank(btc).await;
    assert_eq!(after.maint_asset_haircut(), before.maint_asset_haircut());
    assert_eq!(
        after.effective_maint_ratio,
        before.effective_maint_ratio - 5 * (W / 1_000)
    );
}

/// The bank's and the config's bytes, to show a refusal changed neither.
async fn state(
    m: &mut MarginMarket,
    bank: Pubkey,
    config: Pubkey,
) -> (
    Option<solana_sdk::account::Account>,
    Option<solana_sdk::account::Account>,
) {
    (m.chain.account(bank).await, m.chain.account(config).await)
}

/// The caps and the fee ramp on their leashes (`presets::agent_leashes`:
/// up to half of governance's caps held back, a tenth at a time; the ramp
/// 0.001% to 0.005% a slot, 0.001% at a time; five minutes between moves).
/// Every refusal names its reason and leaves the bank and config bytes as
/// they were; a cap the agent set stops new loans with the cap's own
/// error; governance rotates the agent's key, resets the ramp with the
/// leash, and applying its parameters clears what the agent held back.
#[tokio::test]
async fn the_risk_agent_moves_caps_and_the_fee_ramp_only_on_their_leashes() {
    let mut m = MarginMarket::new().await.unwrap();
    let (usdc, agent) = (m.usdc_mint, m.risk_agent.insecure_clone());
    let (bank_key, config_key) = (m.usdc_bank(), rampart_sdk::pda::margin::config());
    let bor = m.bank(usdc).await.params.borrow_cap;
    let caps = |d: u64, b: u64| {
        margin_ix::agent_set_caps(agent.pubkey(), usdc, (d, b), Default::default())
    };
    let ramp = |f: u64| margin_ix::agent_set_fee_ramp(agent.pubkey(), f, Default::default());
    let base_ramp = rampart_sdk::presets::liquidation_params().fee_per_slot;

    // Refusals before any move, each with the bank and config unchanged.
    let before = state(&mut m, bank_key, config_key).await;
    for (ix, error) in [
        // More than half held back.
        (caps(0, W / 2 + 1), MarginError::RiskAgentOutOfBand),
        // More than a tenth at once.
        (caps(0, W / 10 + 1), MarginError::RiskAgentStepTooLarge),
        (caps(W / 10 + 1, 0), MarginError::RiskAgentStepTooLarge),
        (ramp(base_ramp * 5 + 1), MarginError::RiskAgentOutOfBand),
        (ramp(base_ramp * 3), MarginError::RiskAgentStepTooLarge),
        (ramp(base_ramp / 2), MarginError::RiskAgentOutOfBand),
    ] {
        assert_margin_error(m.chain.send(&[ix], &[&agent]).await, error);
    }
    // Nobody else holds the leash.
    let imposter = m.chain.funded_keypair(1_000_000_000).await;
    let forged = [
        margin_ix::agent_set_caps(imposter.pubkey(), usdc, (0, W / 10), Default::default()),
        margin_ix::agent_set_fee_ramp(imposter.pubkey(), base_ramp * 2, Default::default()),
    ];
    for ix in forged {
        assert_margin_error(
            m.chain.send(&[ix], &[&imposter]).await,
            MarginError::Unauthorized,
        );
    }
    assert_eq!(
        state(&mut m, bank_key, config_key).await,
        before,
        "refused moves change nothing"
    );

    // A tenth of the borrow cap held back and one step up the ramp: accepted.
    m.chain
        .send(&[caps(0, W / 10), ramp(base_ramp * 2)], &[&agent])
        .await
        .unwrap();
    let bank = m.bank(usdc).await;
    assert_eq!(bank.borrow_cap(), bor - bor / 10);
    assert_eq!(
        bank.params.borrow_cap, bor,
        "governance's cap stays governance's"
    );
    let config: margin::state::MarginConfig = m.chain.anchor_account(config_key).await.unwrap();
    assert_eq!(config.liquidation.fee_per_slot, base_ramp * 2);

    // Again within five minutes: too fast, for either.
    m.chain.advance(60);
    let before = state(&mut m, bank_key, config_key).await;
    assert_margin_error(
        m.chain.send(&[caps(0, W / 5)], &[&agent]).await,
        MarginError::RiskAgentTooFast,
    );
    assert_margin_error(
        m.chain.send(&[ramp(base_ramp * 3)], &[&agent]).await,
        MarginError::RiskAgentTooFast,
    );
    assert_eq!(state(&mut m, bank_key, config_key).await, before);

    // Half held back binds a borrower: a loan past it is refused with the
    // cap's error though governance's cap would allow it.
    for held in [W / 5, W / 10 * 3, W / 10 * 4, W / 2] {
        m.chain.advance(300);
        m.chain.send(&[caps(0, held)], &[&agent]).await.unwrap();
    }
    assert_eq!(m.bank(usdc).await.borrow_cap(), bor / 2);
    m.tick(30_000.0).await.unwrap();
    let _lender = m.lender(bor, bor).await.unwrap();
    let b = m.leveraged_borrower(600 * BTC, 0).await.unwrap();
    let over = m.flow(&b, usdc, true, true).borrow(bor / 2 + 1);
    assert_margin_error(m.send_as(&b, over).await, MarginError::BorrowCapExceeded);
    let at = m.flow(&b, usdc, true, true).borrow(bor / 2);
    m.send_as(&b, at).await.unwrap();

    // Only governance sets leashes, and only within bounds.
    let g = m.ops.governance.insecure_clone();
    let base = rampart_sdk::presets::governance_params(agent.pubkey()).agent_base;
    let leashes = rampart_sdk::presets::agent_leashes();
    let by_agent = margin_ix::set_agent_leashes(agent.pubkey(), agent.pubkey(), base, leashes);
    assert_margin_error(
        m.chain.send(&[by_agent], &[&agent]).await,
        MarginError::Unauthorized,
    );
    let mut loose = leashes;
    loose.caps.max = W + 1;
    assert_margin_error(
        gov_send(
            &mut m,
            margin_ix::set_agent_leashes(g.pubkey(), agent.pubkey(), base, loose),
        )
        .await,
        MarginError::ParamOutOfBounds,
    );

    // The key is stolen: governance names a new agent, closes the caps'
    // leash and pins the ramp back to its own figure with a band of one.
    let new_agent = m.chain.funded_keypair(1_000_000_000).await;
    let mut pinned = leashes;
    pinned.caps = margin::state::Leash::default();
    pinned.fee_per_slot.max = base_ramp;
    gov_send(
        &mut m,
        margin_ix::set_agent_leashes(g.pubkey(), new_agent.pubkey(), base, pinned),
    )
    .await
    .unwrap();
    let config: margin::state::MarginConfig = m.chain.anchor_account(config_key).await.unwrap();
    assert_eq!(
        config.liquidation.fee_per_slot, base_ramp,
        "the ramp back in its band"
    );
    m.chain.advance(300);
    assert_margin_error(
        m.chain.send(&[caps(0, W / 10 * 4)], &[&agent]).await,
        MarginError::Unauthorized,
    );
    let closed = margin_ix::agent_set_caps(
        new_agent.pubkey(),
        usdc,
        (0, W / 10 * 4),
        Default::default(),
    );
    assert_margin_error(
        m.chain.send(&[closed], &[&new_agent]).await,
        MarginError::RiskAgentLeashClosed,
    );
    // Applying governance's parameters clears what was held back.
    let params = m.bank(usdc).await.params;
    gov_send(
        &mut m,
        margin_ix::queue_bank_params(g.pubkey(), usdc, params),
    )
    .await
    .unwrap();
    m.chain.advance(3_600);
    m.chain
        .send(&[margin_ix::apply_bank_params(usdc)], &[])
        .await
        .unwrap();
    assert_eq!(m.bank(usdc).await.borrow_cap(), bor);
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
