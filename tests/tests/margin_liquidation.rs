//! Liquidation: partial, paid by the rising fee with the insurance fund's
//! share, exact to the token unit; refused for healthy accounts and on
//! halted feeds; and the adaptive maintenance threshold liquidating earlier
//! and smaller than a fixed one on the same crash.

use margin::errors::MarginError;
use margin::events::{Liquidated, MaintenanceRatioUpdated};
use rampart_tests::margin_world::*;
use rampart_tests::*;

/// Lender supplies USDC; the borrower posts 1 BTC and borrows 21,000 USDC at 30,000.
async fn leveraged(w: &mut MarginMarket) -> User {
    w.lender(1_000_000 * USDC, 500_000 * USDC).await.unwrap();
    w.leveraged_borrower(BTC, 21_000 * USDC).await.unwrap()
}

#[tokio::test]
async fn crash_liquidates_partially_and_pays_the_fund() {
    let mut w = MarginMarket::new().await.unwrap();
    let b = leveraged(&mut w).await;
    let liq = w.liquidator(100_000 * USDC).await.unwrap();
    // Healthy at 30,000: maintenance needs 22,050 against 27,000.
    assert_margin_error(w.liquidate(&liq, &b).await, MarginError::AccountHealthy);

    // BTC falls to 24,000: 21,600 of collateral against 22,050 required.
    w.tick(24_000.0).await.unwrap();
    let (btc_mint, usdc_mint) = (w.btc_mint, w.usdc_mint);
    let usdc_vault_before = w.vault(usdc_mint).await;
    let ok = w.liquidate(&liq, &b).await.unwrap();
    let ev = &events::decode::<Liquidated>(&ok.logs)[0];
    println!(
        "repaid {} USDC units, seized {} sat ({} to liquidator, {} to insurance), margin {} -> {}",
        ev.repaid,
        ev.seized,
        ev.to_liquidator,
        ev.to_insurance,
        ev.maint_margin_before,
        ev.maint_margin_after
    );

    // Restored to the $10 buffer, within one token unit of each side.
    let unit = 24_000 * 10i128.pow(10) + 2 * 10i128.pow(12);
    assert!(ev.maint_margin_before < 0);
    assert!(
        (ev.maint_margin_after - 10 * 10i128.pow(18)).abs() <= unit,
        "{}",
        ev.maint_margin_after
    );
    // Partial: most of the debt remains.
    let usdc = w.usdc_mint;
    let debt = w.debt(&b, usdc).await;
    // The only loan: what it owes is the principal left plus the bank's interest.
    let interest = w.bank(usdc).await.interest_accrued;
    assert!(interest > 0);
    assert!((debt + ev.repaid).abs_diff(21_000 * USDC + interest) <= 1);
    assert!(ev.repaid < 21_000 * USDC / 2, "repaid {}", ev.repaid);
    // The fee at first sight is the 2% base: seized ≈ repaid × 1.02 at 24,000.
    let seized_usd = ev.seized as f64 / 1e8 * 24_000.0;
    let repaid_usd = ev.repaid as f64 / 1e6;
    assert!(
        (seized_usd / repaid_usd - 1.02).abs() < 1e-4,
        "{seized_usd} vs {repaid_usd}"
    );
    // A quarter of the fee to the fund, rounded up.
    let fee_tokens = ev.seized - (repaid_usd / 24_000.0 * 1e8).ceil() as u64;
    assert_eq!(ev.to_insurance, fee_tokens.div_ceil(4));

    // Every token accounted for.
    assert_eq!(w.tokens(liq.btc).await, ev.to_liquidator);
    assert_eq!(w.insurance(btc_mint).await, ev.to_insurance);
    let btc_left = w
        .account(&b)
        .await
        .positions
        .iter()
        .find(|p| p.bank == w.btc_bank())
        .unwrap()
        .deposit_shares;
    assert_eq!(w.vault(btc_mint).await, btc_left);
    assert_eq!(btc_left + ev.to_liquidator + ev.to_insurance, BTC);
    assert_eq!(w.tokens(liq.usdc).await, 100_000 * USDC - ev.repaid);
    assert_eq!(w.vault(usdc_mint).await, usdc_vault_before + ev.repaid);

    // Health restored: nothing more to liquidate.
    assert_margin_error(w.liquidate(&liq, &b).await, MarginError::AccountHealthy);
}

#[tokio::test]
async fn no_liquidation_on_a_halted_feed() {
    let mut w = MarginMarket::new().await.unwrap();
    let b = leveraged(&mut w).await;
    let liq = w.liquidator(100_000 * USDC).await.unwrap();
    w.tick(24_000.0).await.unwrap();
    let (gov, feed) = (w.ops.governance.pubkey(), w.btc_feed);
    let g = w.ops.governance.insecure_clone();
    w.chain
        .send(&[ix::set_status(gov, feed, 2)], &[&g])
        .await
        .unwrap();
    let before = (
        w.tokens(liq.usdc).await,
        format!("{:?}", w.account(&b).await.positions),
    );
    assert_error(w.liquidate(&liq, &b).await, PricingError::FeedHalted);
    assert_eq!(
        (
            w.tokens(liq.usdc).await,
            format!("{:?}", w.account(&b).await.positions)
        ),
        before
    );
}

/// What happened on one crash path.
#[derive(Debug)]
struct Outcome {
    /// BTC price at the first successful liquidation.
    first_price: f64,
    first_repaid: u64,
    /// Effective BTC maintenance ratio then, and the largest it reached.
    ratio_at_first: u64,
    max_ratio: u64,
}

/// Calm, then a volatile slide with stretched slots; try to liquidate at every step.
async fn crash(maint: margin::state::AdaptiveMaintenance) -> Outcome {
    let mut w = MarginMarket::with_btc_maintenance(maint).await.unwrap();
    let b = leveraged(&mut w).await;
    let liq = w.liquidator(1_000_000 * USDC).await.unwrap();
    let mut max_ratio = 0;
    // A calm hour around 30,000, the keeper updating the bank's risk every
    // pass (idle slots are not banked: issue 13, finding 7).
    for i in 0..240 {
        w.tick(30_000.0 + if i % 2 == 0 { 15.0 } else { -15.0 })
            .await
            .unwrap();
        w.update_btc_risk().await.unwrap();
    }
    let mut price = 30_000.0;
    for step in 0..400 {
        // Down 1.5%, up 1%: a violent slide, with slots stretched to 1.2 s.
        price *= if step % 2 == 0 { 0.985 } else { 1.01 };
        let (ts, slot) = (w.chain.clock().unix_timestamp, w.chain.clock().slot);
        w.chain.set_clock(ts, slot.saturating_sub(25)); // tick adds 37 slots for 15 s: 12 net
        w.tick(price).await.unwrap();
        let ok = w.update_btc_risk().await.unwrap();
        let r = &events::decode::<MaintenanceRatioUpdated>(&ok.logs)[0];
        max_ratio = max_ratio.max(r.effective);
        if let Ok(ok) = w.liquidate(&liq, &b).await {
            let ev = &events::decode::<Liquidated>(&ok.logs)[0];
            return Outcome {
                first_price: price,
                first_repaid: ev.repaid,
                ratio_at_first: r.effective,
                max_ratio,
            };
        }
    }
    panic!("never liquidated (price {price})");
}

/// The adaptive threshold climbs with volatility and congestion at its rate
/// limit and liquidates earlier (at a higher price) than the fixed one. It
/// is not always smaller: with the ratio rising one step per slot (no jump
/// from banked idle time) the first shortfall is whatever the slide's step
/// overshoots, at a higher ratio.
#[tokio::test]
async fn adaptive_threshold_liquidates_earlier_than_fixed() {
    let fixed = crash(fixed_maintenance()).await;
    let adaptive = crash(adaptive_maintenance()).await;
    println!("fixed:    {fixed:?}\nadaptive: {adaptive:?}");
    assert_eq!(
        fixed.max_ratio,
        fixed_maintenance().base,
        "fixed never moves"
    );
    assert!(
        adaptive.ratio_at_first > fixed.ratio_at_first,
        "the threshold rose with volatility and congestion"
    );
    assert!(
        adaptive.first_price > fixed.first_price,
        "adaptive liquidates earlier (at a higher price)"
    );
    assert!(
        fixed.first_repaid > 0 && adaptive.first_repaid > 0,
        "partial liquidations"
    );
}

/// An owner cannot liquidate their own account (the fee would come back to
/// them): refused by name, nothing moves; an outside liquidator then can.
#[tokio::test]
async fn an_owner_cannot_liquidate_their_own_account() {
    let mut w = MarginMarket::new().await.unwrap();
    let b = leveraged(&mut w).await;
    w.tick(24_000.0).await.unwrap();
    let address = rampart_sdk::pda::margin::account(&solana_sdk::signer::Signer::pubkey(&b.key), 0);
    let (btc_mint, usdc_mint) = (w.btc_mint, w.usdc_mint);
    let watched = [
        address,
        rampart_sdk::pda::margin::vault(&rampart_sdk::pda::margin::bank(&btc_mint)),
        rampart_sdk::pda::margin::vault(&rampart_sdk::pda::margin::bank(&usdc_mint)),
        b.btc,
        b.usdc,
    ];
    let mut before = vec![];
    for k in watched {
        before.push(w.chain.account(k).await);
    }
    assert!(
        w.tokens(b.usdc).await >= 21_000 * USDC,
        "the owner could repay"
    );

    assert_margin_error(w.liquidate(&b, &b).await, MarginError::SelfLiquidation);
    for (k, was) in watched.iter().zip(&before) {
        assert_eq!(&w.chain.account(*k).await, was, "{k} changed");
    }

    let liq = w.liquidator(100_000 * USDC).await.unwrap();
    let ok = w.liquidate(&liq, &b).await.unwrap();
    assert_eq!(events::decode::<Liquidated>(&ok.logs).len(), 1);
}
