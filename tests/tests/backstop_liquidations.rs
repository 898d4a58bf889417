//! A crash drives liquidations through margin into the backstop: the
//! liquidated accounts sell at the bands' discounts (better than the open
//! liquidation fee), LPs end with BTC bought at exactly those discounts in
//! proportion to their deposits, and no token is created or lost.

use backstop::events::Absorbed;
use margin::events::LiquidatedToBackstop;
use rampart_sim::backstop_market::BackstopMarket;
use rampart_sim::market::{User, BTC, USDC};
use rampart_tests::*;
use risk_math::backstop::{band_price, unit_price};
use risk_math::fixed::{mul_div, Rounding};
use risk_math::WAD;

/// Every USDC and BTC token account the story touches.
async fn totals(b: &mut BackstopMarket, users: &[&User]) -> (u128, u128) {
    let (mut usdc, mut btc) = (0u128, 0u128);
    for u in users {
        usdc += b.m.tokens(u.usdc).await as u128;
        btc += b.m.tokens(u.btc).await as u128;
    }
    let (q, c) = b.vaults().await;
    usdc += q as u128 + b.m.vault(b.m.usdc_mint).await as u128;
    btc += c as u128 + b.m.vault(b.m.btc_mint).await as u128;
    usdc += b.m.insurance(b.m.usdc_mint).await as u128;
    btc += b.m.insurance(b.m.btc_mint).await as u128;
    (usdc, btc)
}

#[tokio::test]
async fn a_crash_is_absorbed_by_the_bands_at_their_discounts() {
    let mut b = BackstopMarket::new().await.unwrap();
    let lender = b.m.lender(200_000 * USDC, 200_000 * USDC).await.unwrap();
    let borrowers = [
        b.m.leveraged_borrower(BTC, 21_000 * USDC).await.unwrap(),
        b.m.leveraged_borrower(2 * BTC, 42_000 * USDC)
            .await
            .unwrap(),
        b.m.leveraged_borrower(BTC / 2, 10_500 * USDC)
            .await
            .unwrap(),
    ];
    // Three LPs: two share the 0.5% band 3:1, one sits in the 1% band.
    let (lp_a, lp_b, lp_c) = (
        b.new_lp(6_000 * USDC).await.unwrap(),
        b.new_lp(2_000 * USDC).await.unwrap(),
        b.new_lp(50_000 * USDC).await.unwrap(),
    );
    b.deposit(&lp_a, 0, 6_000 * USDC).await.unwrap();
    b.deposit(&lp_b, 0, 2_000 * USDC).await.unwrap();
    b.deposit(&lp_c, 1, 50_000 * USDC).await.unwrap();
    let keeper = b.m.chain.funded_keypair(1_000_000_000).await;
    let mut everyone: Vec<&User> = vec![&lender, &lp_a, &lp_b, &lp_c];
    everyone.extend(borrowers.iter());
    let before = totals(&mut b, &everyone).await;

    // BTC walks down from 30,000 to 24,000: every borrower falls below
    // maintenance (1.05 x debt > 0.9 x collateral below 24,500).
    b.m.hold(27_000.0, 25).await.unwrap();
    b.m.hold(24_000.0, 25).await.unwrap();

    let mut absorbed_quote = 0u64;
    let mut absorbed_btc = 0u64;
    let mut fills_at = [(0u64, 0u64); 2];
    for victim in &borrowers {
        let debt_before = b.m.debt(victim, b.m.usdc_mint).await;
        let ok = b.liquidate_with_backstop(&keeper, victim).await.unwrap();
        let liq = &events::decode::<LiquidatedToBackstop>(&ok.logs)[0];
        let abs = &events::decode::<Absorbed>(&ok.logs)[0];
        assert_eq!(abs.consumer_authority, pda::margin::backstop_authority());
        assert_eq!(abs.quote_out, liq.repaid);
        assert_eq!(abs.collateral_in, liq.collateral_sold);
        assert_eq!(
            b.m.debt(victim, b.m.usdc_mint).await,
            debt_before - liq.repaid
        );
        assert!(liq.maint_margin_after > liq.maint_margin_before);
        // The 2% open-liquidation fee as a discount to spot: an open
        // liquidator pays spot / 1.02, 1.96% under it.
        assert_eq!(liq.max_discount_bps, 196, "the 2% open-liquidation fee");

        // Each band bought at its discount to the reference price, to the unit.
        let unit = unit_price(abs.reference_price, 8, 6).unwrap();
        for f in &abs.fills {
            let p = band_price(unit, f.discount_bps).unwrap();
            let worth = mul_div(f.collateral as u128, p, WAD, Rounding::Down).unwrap() as u64;
            assert!(f.quote <= worth, "a band paid above its price");
            let one_unit = (p / WAD) as u64 + 1;
            assert!(worth - f.quote <= one_unit, "{} vs {worth}", f.quote);
            fills_at[f.band as usize].0 += f.quote;
            fills_at[f.band as usize].1 += f.collateral;
        }
        absorbed_quote += abs.quote_out;
        absorbed_btc += abs.collateral_in;
        // The account paid the band discount (0.5% or 1%) instead of 2%:
        // it gave up less BTC than an open liquidation would have taken.
        let at_fee = mul_div(liq.repaid as u128 * 100, WAD, unit * 98, Rounding::Down).unwrap();
        assert!((liq.collateral_sold as u128) < at_fee);
    }
    assert!(fills_at[0].0 == 8_000 * USDC, "the 0.5% band emptied first");
    assert!(fills_at[1].0 > 0, "then the 1% band");
    assert_eq!(
        totals(&mut b, &everyone).await,
        before,
        "no token created or lost"
    );

    // LPs collect: the 0.5% band's BTC splits 3:1; each LP's BTC is worth
    // its spent USDC at its band's discount.
    let pool = b.pool_state().await;
    let (q, c) = b.vaults().await;
    assert_eq!(q, pool.bands.iter().map(|x| x.quote).sum::<u64>());
    assert_eq!(c, pool.bands.iter().map(|x| x.collateral).sum::<u64>());
    assert_eq!(c, absorbed_btc);
    assert_eq!(q, 58_000 * USDC - absorbed_quote);
    for (lp, band, deposit) in [
        (&lp_a, 0u8, 6_000 * USDC),
        (&lp_b, 0, 2_000 * USDC),
        (&lp_c, 1, 50_000 * USDC),
    ] {
        let claim = b.claim(lp, band).await;
        let (spent, bought) = fills_at[band as usize];
        let band_total = if band == 0 {
            8_000 * USDC
        } else {
            50_000 * USDC
        };
        let expect_btc = (bought as u128 * deposit as u128 / band_total as u128) as u64;
        assert!(claim.collateral <= expect_btc && expect_btc - claim.collateral <= 1);
        let expect_quote =
            deposit - (spent as u128 * deposit as u128).div_ceil(band_total as u128) as u64;
        assert!(claim.quote <= expect_quote && expect_quote - claim.quote <= 1);
        b.withdraw(lp, band, claim.quote).await.unwrap();
        assert_eq!(b.m.tokens(lp.btc).await, claim.collateral);
        assert_eq!(b.m.tokens(lp.usdc).await, claim.quote);
    }
    let (q, c) = b.vaults().await;
    assert!(
        q <= 2 && c <= 2,
        "only rounding dust stays: {q} USDC units, {c} sats"
    );
    assert_eq!(totals(&mut b, &everyone).await, before);
}

#[tokio::test]
async fn two_protocols_share_one_buffer_and_each_absorb_names_its_consumer() {
    let mut b = BackstopMarket::new().await.unwrap();
    let lp = b.new_lp(100_000 * USDC).await.unwrap();
    b.deposit(&lp, 2, 100_000 * USDC).await.unwrap();
    b.m.tick(30_000.0).await.unwrap();
    let ok = b.other_absorbs(BTC, 300).await.unwrap();
    let abs = &events::decode::<Absorbed>(&ok.logs)[0];
    assert_eq!(abs.consumer_authority, b.other_protocol.key.pubkey());
    assert_eq!(
        abs.consumer,
        b.pool.consumer(&b.other_protocol.key.pubkey())
    );
    assert_eq!(abs.fills.len(), 1);
    assert_eq!(abs.fills[0].discount_bps, 200);
    assert_eq!(abs.quote_out, 29_400 * USDC, "1 BTC at 30,000 less 2%");
    assert_eq!(b.m.tokens(b.other_protocol.usdc).await, 29_400 * USDC);
    let consumer: backstop::state::Consumer = b.m.chain.anchor_account(abs.consumer).await.unwrap();
    assert_eq!(consumer.total_quote, 29_400 * USDC);
    assert_eq!(consumer.total_collateral, BTC);
}

/// Margin's validators: 2 of 3 keys approve liquidations repaying $1,000
/// or more; proposals live 100 slots.
async fn validators(b: &mut BackstopMarket) -> Vec<Keypair> {
    let validators: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    let mut set = margin::state::ValidatorSet {
        count: 3,
        threshold: 2,
        large_value: 1_000 * WAD,
        proposal_ttl_slots: 100,
        ..Default::default()
    };
    for (slot, k) in set.keys.iter_mut().zip(&validators) {
        *slot = k.pubkey();
    }
    let g = b.m.ops.governance.insecure_clone();
    let ix = rampart_sdk::margin_ix::set_validators(g.pubkey(), set);
    b.m.chain.send(&[ix], &[&g]).await.unwrap();
    validators
}

async fn approved(
    b: &mut BackstopMarket,
    proposal: anchor_lang::prelude::Pubkey,
) -> Option<margin::state::LiquidationProposal> {
    b.m.chain.anchor_account(proposal).await
}

/// A dust fill cannot spend an approved large liquidation. Anyone (the
/// borrower, say) stakes 1 USDC in the first band and calls
/// `liquidate_with_backstop` with the approved proposal: the bands take a
/// dollar's worth, and the proposal stays open with its approval reduced
/// by what was repaid; the keeper's open liquidation under it then runs in
/// full. (Before the fix any fill closed the proposal, so a borrower could
/// spend every approval of its own liquidation this way, for a dollar
/// each, and the large liquidation never ran.)
#[tokio::test]
async fn a_dust_fill_cannot_spend_an_approved_large_liquidation() {
    use rampart_sdk::margin_ix;

    let mut b = BackstopMarket::new().await.unwrap();
    let validators = validators(&mut b).await;
    b.m.lender(100_000 * USDC, 100_000 * USDC).await.unwrap();
    let victim = b.m.leveraged_borrower(BTC, 21_000 * USDC).await.unwrap();
    let dust = b.new_lp(USDC).await.unwrap();
    b.deposit(&dust, 0, USDC).await.unwrap();
    let keeper = b.m.liquidator(50_000 * USDC).await.unwrap();
    b.m.hold(24_000.0, 25).await.unwrap();

    let mut l = b.m.liquidation(&keeper, &victim);
    b.m.chain
        .send(&[margin_ix::propose_liquidation(&l)], &[&keeper.key])
        .await
        .unwrap();
    let proposal = l.proposal_address();
    l.proposal = Some(proposal);
    l.proposer = Some(keeper.key.pubkey());
    for v in &validators[..2] {
        b.m.chain
            .send(
                &[margin_ix::approve_liquidation(v.pubkey(), proposal)],
                &[v],
            )
            .await
            .unwrap();
    }
    let allowed = approved(&mut b, proposal).await.unwrap().max_repay;
    assert!(allowed > 1_000 * USDC, "a large one: {allowed}");

    // The dust sale, triggered by someone other than the keeper.
    let griefer = b.m.liquidator(0).await.unwrap();
    let mut dust_sale = b.m.liquidation(&griefer, &victim);
    dust_sale.proposal = Some(proposal);
    dust_sale.proposer = Some(keeper.key.pubkey());
    let ok =
        b.m.chain
            .send(
                &[margin_ix::liquidate_with_backstop(&dust_sale)],
                &[&griefer.key],
            )
            .await
            .unwrap();
    let sold = &events::decode::<LiquidatedToBackstop>(&ok.logs)[0];
    assert!(
        sold.repaid > 0 && sold.repaid <= USDC,
        "a dollar: {}",
        sold.repaid
    );
    let left = approved(&mut b, proposal)
        .await
        .expect("the approval survives a partial fill");
    assert_eq!(left.max_repay, allowed - sold.repaid);
    assert_eq!(left.approval_count(), 2);

    // The keeper's liquidation under the same approval runs in full.
    let usdc_before = b.m.tokens(keeper.usdc).await;
    let ok =
        b.m.chain
            .send(&[margin_ix::liquidate(&l)], &[&keeper.key])
            .await
            .unwrap();
    let liq = &events::decode::<margin::events::Liquidated>(&ok.logs)[0];
    assert!(
        liq.repaid > 1_000 * USDC && liq.repaid <= allowed - sold.repaid,
        "{}",
        liq.repaid
    );
    assert_eq!(usdc_before - b.m.tokens(keeper.usdc).await, liq.repaid);
    assert!(
        b.m.chain.account(proposal).await.is_none(),
        "closed once the account is healthy"
    );
}

/// A large liquidation (M-of-N) through the backstop: once approved,
/// anyone locks the pool's withdrawals until the proposal expires; an LP
/// cannot leave ahead of it; the liquidation then executes into the bands
/// and closes the proposal.
#[tokio::test]
async fn an_approved_large_liquidation_locks_withdrawals_until_it_runs() {
    use margin::errors::MarginError;
    use rampart_sdk::margin_ix;

    let mut b = BackstopMarket::new().await.unwrap();
    let validators = validators(&mut b).await;
    b.m.lender(100_000 * USDC, 100_000 * USDC).await.unwrap();
    let victim = b.m.leveraged_borrower(BTC, 21_000 * USDC).await.unwrap();
    let lp = b.new_lp(20_000 * USDC).await.unwrap();
    b.deposit(&lp, 0, 20_000 * USDC).await.unwrap();
    let keeper = b.m.chain.funded_keypair(1_000_000_000).await;
    let keeper_user = User {
        key: keeper.insecure_clone(),
        btc: lp.btc,
        usdc: lp.usdc,
    };
    b.m.hold(24_000.0, 25).await.unwrap();

    let mut l = b.m.liquidation(&keeper_user, &victim);
    b.m.chain
        .send(&[margin_ix::propose_liquidation(&l)], &[&keeper])
        .await
        .unwrap();
    let proposal = l.proposal_address();
    l.proposal = Some(proposal);
    // One approval of two: no lock yet, and the liquidation is refused.
    let v0 = validators[0].insecure_clone();
    b.m.chain
        .send(
            &[margin_ix::approve_liquidation(v0.pubkey(), proposal)],
            &[&v0],
        )
        .await
        .unwrap();
    assert_margin_error(
        b.m.chain.send(&[margin_ix::lock_backstop(&l)], &[]).await,
        MarginError::NotEnoughApprovals,
    );
    let v1 = validators[1].insecure_clone();
    b.m.chain
        .send(
            &[margin_ix::approve_liquidation(v1.pubkey(), proposal)],
            &[&v1],
        )
        .await
        .unwrap();
    let ok =
        b.m.chain
            .send(&[margin_ix::lock_backstop(&l)], &[])
            .await
            .unwrap();
    let locked = &events::decode::<backstop::events::WithdrawalsLocked>(&ok.logs)[0];
    let expiry =
        b.m.chain
            .anchor_account::<margin::state::LiquidationProposal>(proposal)
            .await
            .unwrap()
            .expiry_slot;
    assert_eq!(
        locked.until_slot, expiry,
        "locked until the proposal expires"
    );
    assert_eq!(
        locked.consumer,
        b.pool.consumer(&pda::margin::backstop_authority())
    );
    assert_backstop_error(
        b.withdraw(&lp, 0, USDC).await,
        backstop::errors::BackstopError::WithdrawalsLocked,
    );

    let ix = margin_ix::liquidate_with_backstop(&l);
    let ok = b.m.chain.send(&[ix], &[&keeper]).await.unwrap();
    let liq = &events::decode::<LiquidatedToBackstop>(&ok.logs)[0];
    assert!(liq.repaid > 1_000 * USDC, "a large one: {}", liq.repaid);
    assert!(
        b.m.chain.account(proposal).await.is_none(),
        "proposal closed"
    );
    let claim = b.claim(&lp, 0).await;
    assert_eq!(claim.quote, 20_000 * USDC - liq.repaid);
    assert_eq!(claim.collateral, liq.collateral_sold);
    // After the lock the LP leaves with the rest and the BTC bought.
    b.m.chain.advance(61);
    b.m.tick(24_000.0).await.unwrap();
    b.withdraw(&lp, 0, claim.quote).await.unwrap();
    assert_eq!(b.m.tokens(lp.btc).await, liq.collateral_sold);
}

/// Margin's backstop path refuses a healthy account and a consumer record
/// that is not margin's own, and nothing moves.
#[tokio::test]
async fn margin_backstop_rejections() {
    use margin::errors::MarginError;
    use rampart_sdk::margin_ix;

    let mut b = BackstopMarket::new().await.unwrap();
    b.m.lender(100_000 * USDC, 100_000 * USDC).await.unwrap();
    let victim = b.m.leveraged_borrower(BTC, 21_000 * USDC).await.unwrap();
    let lp = b.new_lp(20_000 * USDC).await.unwrap();
    b.deposit(&lp, 0, 20_000 * USDC).await.unwrap();
    let keeper = b.m.chain.funded_keypair(1_000_000_000).await;
    b.m.tick(30_000.0).await.unwrap();
    assert_margin_error(
        b.liquidate_with_backstop(&keeper, &victim).await,
        MarginError::AccountHealthy,
    );
    b.m.hold(24_000.0, 25).await.unwrap();
    let vaults = b.vaults().await;
    let debt = b.m.debt(&victim, b.m.usdc_mint).await;

    // The other protocol's consumer record: margin's PDA is not its authority.
    let keeper_user = User {
        key: keeper.insecure_clone(),
        btc: lp.btc,
        usdc: lp.usdc,
    };
    let mut ix = margin_ix::liquidate_with_backstop(&b.m.liquidation(&keeper_user, &victim));
    let margin_consumer = b.pool.consumer(&pda::margin::backstop_authority());
    let other_consumer = b.pool.consumer(&b.other_protocol.key.pubkey());
    for meta in ix
        .accounts
        .iter_mut()
        .filter(|m| m.pubkey == margin_consumer)
    {
        meta.pubkey = other_consumer;
    }
    assert_anchor_error(
        b.m.chain.send(&[ix], &[&keeper]).await,
        anchor_lang::error::ErrorCode::ConstraintSeeds,
    );
    assert_eq!(b.vaults().await, vaults);
    assert_eq!(b.m.debt(&victim, b.m.usdc_mint).await, debt);
    b.liquidate_with_backstop(&keeper, &victim).await.unwrap();
}
