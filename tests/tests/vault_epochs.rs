//! Full epochs of both vaults with real SPL tokens: queued deposits and a
//! cancellation, strikes by target delta, options sold at the on-chain
//! model price, settlement on the TWAP at expiry, fees only on profit,
//! withdrawals at the price of the round they were requested in, option
//! redemption, and every asset unit accounted for after each step.

use rampart_sim::vault_market::*;
use rampart_tests::margin_world::{BTC, USDC};
use rampart_tests::*;
use risk_math::vault::{epoch_fees, price_per_share, shares_for, withdrawal_payout};
use risk_math::{Rounding, WAD};
use vault::events::{EpochProcessed, EpochSettled, EpochStarted, GreeksUpdated, OptionsSold};
use vault::state::Phase;

const WEEK: u64 = EPOCH_SECS as u64;

#[tokio::test]
async fn covered_call_profitable_epoch_then_losing_epoch() {
    let mut vm = VaultMarket::new().await.unwrap();
    let v = vm.call;
    let alice = vm.user(&v, 10 * BTC, 0).await.unwrap();
    let bob = vm.user(&v, 10 * BTC, 0).await.unwrap();
    let carol = vm.user(&v, 10 * BTC, 0).await.unwrap();
    let buyer = vm.user(&v, 10 * BTC, 0).await.unwrap();

    // Round 1: deposits queue; Bob takes half of his back before processing.
    vm.send_as(&alice, v.deposit(&alice.holder, 4 * BTC, None))
        .await
        .unwrap();
    vm.send_as(&bob, v.deposit(&bob.holder, BTC, None))
        .await
        .unwrap();
    vm.send_as(&bob, v.cancel_deposit(&bob.holder, BTC / 2))
        .await
        .unwrap();
    assert_eq!(vm.m.tokens(bob.user.btc).await, 10 * BTC - BTC / 2);
    assert_eq!(vm.vault(&v).await.pending_deposits, 4 * BTC + BTC / 2);
    vm.assert_books(&v).await;

    // Process round 1 (shares 1:1) and start the first epoch in round 2.
    let keeper = vm.keeper.pubkey();
    let ok = vm.keeper_send(v.process_epoch(keeper, 1)).await.unwrap();
    let processed = &events::decode::<EpochProcessed>(&ok.logs)[0];
    assert_eq!(processed.price_per_share, WAD);
    assert_eq!(processed.shares_minted, 4 * BTC + BTC / 2);
    // Processing the same round again is refused, not applied twice.
    vm.m.chain.advance(1);
    let again = vm.keeper_send(v.process_epoch(keeper, 2)).await;
    assert_vault_error(again, vault::errors::VaultError::StepOutOfOrder);
    let ok = vm.keeper_send(v.start_epoch(keeper, 2)).await.unwrap();
    let started = &events::decode::<EpochStarted>(&ok.logs)[0];
    let spot = started.spot;
    assert!(started.strike > spot && started.strike <= spot * 13 / 10);
    assert_eq!(started.capacity, 4 * BTC + BTC / 2);
    let g = vm.vault(&v).await.greeks;
    assert!(
        (g.delta - (WAD / 4) as i128).abs() < 1_000_000_000,
        "25-delta call: {}",
        g.delta
    );

    // A buyer takes 2 BTC of calls at the model price plus 1%, paid in BTC.
    let options = vm.option_account(&v, 2, &buyer.holder.owner).await.unwrap();
    let buy = v.buy_options(2, buyer.holder.owner, buyer.user.btc, options, 2 * BTC, BTC);
    let ok = vm.send_as(&buyer, buy).await.unwrap();
    let sold = &events::decode::<OptionsSold>(&ok.logs)[0];
    let premium = sold.premium;
    assert!(premium > 0);
    assert_eq!(vm.m.tokens(buyer.user.btc).await, 10 * BTC - premium);
    assert_eq!(vm.m.tokens(options).await, 2 * BTC);
    // Hedgers read the vault's short position from the refreshed cache.
    let ok = vm.m.chain.send(&[v.update_greeks(2)], &[]).await.unwrap();
    let g = &events::decode::<GreeksUpdated>(&ok.logs)[0];
    assert_eq!(g.options_sold, 2 * BTC);
    assert_eq!(g.vault_delta, -2 * g.delta);
    assert!(g.vault_vega < 0 && g.vault_gamma < 0 && g.vault_theta > 0);
    // Carol deposits during the epoch: queued for round 2's price.
    vm.send_as(&carol, v.deposit(&carol.holder, BTC, None))
        .await
        .unwrap();
    vm.assert_books(&v).await;

    // Expires below the strike: the options are worthless, the premium is profit.
    let ok = vm
        .expire_and_settle(&v, 2, 29_000.0)
        .await
        .unwrap()
        .unwrap();
    let settled = &events::decode::<EpochSettled>(&ok.logs)[0];
    assert_eq!(settled.settlement_price, 29_000 * WAD);
    assert_eq!(settled.payoff_reserved, 0);
    assert_vault_error(
        vm.m.chain.send(&[v.settle_epoch(2)], &[]).await,
        vault::errors::VaultError::StepOutOfOrder,
    );

    // Round 2 processing: fees on the profitable epoch, then Carol's shares.
    let ok = vm.keeper_send(v.process_epoch(keeper, 2)).await.unwrap();
    let p2 = &events::decode::<EpochProcessed>(&ok.logs)[0];
    let end = 4 * BTC + BTC / 2 + premium;
    let fees = epoch_fees(4 * BTC + BTC / 2, end, WEEK, 200, 1_000).unwrap();
    assert_eq!(p2.performance_fee, premium / 10);
    assert_eq!(
        (p2.management_fee, p2.performance_fee),
        (fees.management, fees.performance)
    );
    let pps2 =
        price_per_share(end - fees.management - fees.performance, 4 * BTC + BTC / 2).unwrap();
    assert_eq!(p2.price_per_share, pps2);
    assert!(pps2 > WAD, "a profitable epoch raises the share price");
    assert_eq!(p2.shares_minted, shares_for(BTC, pps2).unwrap());
    vm.assert_books(&v).await;

    // Alice's round-1 deposit becomes 4 BTC of shares, in her account.
    vm.send_as(&alice, v.redeem_shares(&alice.holder, Some(1)))
        .await
        .unwrap();
    assert_eq!(vm.m.tokens(alice.holder.shares).await, 4 * BTC);

    // Round 3: a losing epoch. Alice asks to withdraw everything during it.
    let ok = vm.keeper_send(v.start_epoch(keeper, 3)).await.unwrap();
    let strike3 = events::decode::<EpochStarted>(&ok.logs)[0].strike;
    vm.send_as(&alice, v.request_withdrawal(&alice.holder, 4 * BTC, None))
        .await
        .unwrap();
    assert_eq!(vm.m.tokens(alice.holder.shares).await, 0);
    let options3 = vm.option_account(&v, 3, &buyer.holder.owner).await.unwrap();
    let buy = v.buy_options(
        3,
        buyer.holder.owner,
        buyer.user.btc,
        options3,
        3 * BTC,
        BTC,
    );
    let premium3 =
        events::decode::<OptionsSold>(&vm.send_as(&buyer, buy).await.unwrap().logs)[0].premium;
    let before_settle = vm.vault(&v).await.active_assets;
    let ok = vm
        .expire_and_settle(&v, 3, 40_000.0)
        .await
        .unwrap()
        .unwrap();
    let s3 = &events::decode::<EpochSettled>(&ok.logs)[0];
    let series = vm.series(&v, 3).await;
    let owed = series
        .terms(&vm.vault(&v).await)
        .payoff(3 * BTC, 40_000 * WAD, Rounding::Up)
        .unwrap();
    assert_eq!(s3.payoff_reserved, owed);
    assert!(
        owed > premium3,
        "the calls ended deep in the money: a losing epoch"
    );
    assert_eq!(before_settle - owed, s3.active_assets);
    assert!(strike3 < 40_000 * WAD);

    let ok = vm.keeper_send(v.process_epoch(keeper, 3)).await.unwrap();
    let p3 = &events::decode::<EpochProcessed>(&ok.logs)[0];
    assert_eq!(p3.performance_fee, 0, "no performance fee after a loss");
    assert!(p3.price_per_share < pps2);
    assert_eq!(p3.shares_burned, 4 * BTC);
    vm.assert_books(&v).await;

    // Alice is paid at round 3's price, less the withdrawal fee, exactly.
    vm.send_as(&alice, v.complete_withdrawal(&alice.holder, 3))
        .await
        .unwrap();
    let paid = withdrawal_payout(4 * BTC, p3.price_per_share, 50).unwrap();
    assert_eq!(vm.m.tokens(alice.user.btc).await, 6 * BTC + paid);
    // The buyer redeems the in-the-money calls.
    let redeem = v.redeem_options(3, buyer.holder.owner, options3, buyer.user.btc, 3 * BTC);
    vm.send_as(&buyer, redeem).await.unwrap();
    let payoff = series
        .terms(&vm.vault(&v).await)
        .payoff(3 * BTC, 40_000 * WAD, Rounding::Down)
        .unwrap();
    assert_eq!(
        vm.m.tokens(buyer.user.btc).await,
        10 * BTC - premium - premium3 + payoff
    );
    assert_eq!(vm.vault(&v).await.phase, Phase::Processed);
    vm.assert_books(&v).await;
}

#[tokio::test]
async fn cash_secured_put_losing_epoch_then_profitable_epoch() {
    let mut vm = VaultMarket::new().await.unwrap();
    let v = vm.put;
    let keeper = vm.keeper.pubkey();
    let alice = vm.user(&v, 0, 100_000 * USDC).await.unwrap();
    let dave = vm.user(&v, 0, 100_000 * USDC).await.unwrap();
    let buyer = vm.user(&v, 0, 100_000 * USDC).await.unwrap();
    vm.send_as(&alice, v.deposit(&alice.holder, 60_000 * USDC, None))
        .await
        .unwrap();
    vm.send_as(&dave, v.deposit(&dave.holder, 30_000 * USDC, None))
        .await
        .unwrap();
    vm.keeper_send(v.process_epoch(keeper, 1)).await.unwrap();
    let ok = vm.keeper_send(v.start_epoch(keeper, 2)).await.unwrap();
    let started = &events::decode::<EpochStarted>(&ok.logs)[0];
    assert!(started.strike < started.spot && started.strike >= started.spot * 7 / 10);
    let series = vm.series(&v, 2).await;
    let terms = series.terms(&vm.vault(&v).await);
    // 90,000 USDC backs exactly as many puts as it can pay at the strike.
    assert_eq!(started.capacity, terms.capacity(90_000 * USDC).unwrap());
    let g = vm.vault(&v).await.greeks;
    assert!(
        (g.delta + (WAD / 4) as i128).abs() < 1_000_000_000,
        "25-delta put: {}",
        g.delta
    );

    let options = vm.option_account(&v, 2, &buyer.holder.owner).await.unwrap();
    let buy = v.buy_options(
        2,
        buyer.holder.owner,
        buyer.user.usdc,
        options,
        2 * BTC,
        10_000 * USDC,
    );
    let premium =
        events::decode::<OptionsSold>(&vm.send_as(&buyer, buy).await.unwrap().logs)[0].premium;
    // Dave asks to leave during the epoch: his shares bear this epoch.
    vm.send_as(
        &dave,
        v.request_withdrawal(&dave.holder, 30_000 * USDC, Some(1)),
    )
    .await
    .unwrap();

    // BTC falls to 24,000: the puts pay (K - 24,000) per BTC.
    let ok = vm
        .expire_and_settle(&v, 2, 24_000.0)
        .await
        .unwrap()
        .unwrap();
    let owed = terms.payoff(2 * BTC, 24_000 * WAD, Rounding::Up).unwrap();
    assert_eq!(
        events::decode::<EpochSettled>(&ok.logs)[0].payoff_reserved,
        owed
    );
    let ok = vm.keeper_send(v.process_epoch(keeper, 2)).await.unwrap();
    let p2 = &events::decode::<EpochProcessed>(&ok.logs)[0];
    assert_eq!(p2.performance_fee, 0);
    let end = 90_000 * USDC + premium - owed;
    let nav = end - p2.management_fee;
    assert_eq!(
        p2.price_per_share,
        price_per_share(nav, 90_000 * USDC).unwrap()
    );
    assert!(p2.price_per_share < WAD);
    let dave_gets = withdrawal_payout(30_000 * USDC, p2.price_per_share, 50).unwrap();
    vm.assert_books(&v).await;

    // Round 3 is profitable (BTC at 32,000): Dave's value was fixed at
    // round 2's price and neither gains nor loses from it.
    vm.keeper_send(v.start_epoch(keeper, 3)).await.unwrap();
    let options3 = vm.option_account(&v, 3, &buyer.holder.owner).await.unwrap();
    let buy = v.buy_options(
        3,
        buyer.holder.owner,
        buyer.user.usdc,
        options3,
        BTC,
        10_000 * USDC,
    );
    let premium3 =
        events::decode::<OptionsSold>(&vm.send_as(&buyer, buy).await.unwrap().logs)[0].premium;
    let ok = vm
        .expire_and_settle(&v, 3, 32_000.0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        events::decode::<EpochSettled>(&ok.logs)[0].payoff_reserved,
        0
    );
    let ok = vm.keeper_send(v.process_epoch(keeper, 3)).await.unwrap();
    let p3 = &events::decode::<EpochProcessed>(&ok.logs)[0];
    assert!(p3.performance_fee > 0 && p3.performance_fee <= premium3 / 10);
    assert!(p3.price_per_share > p2.price_per_share);
    vm.send_as(&dave, v.complete_withdrawal(&dave.holder, 2))
        .await
        .unwrap();
    assert_eq!(vm.m.tokens(dave.user.usdc).await, 70_000 * USDC + dave_gets);
    // Completing twice pays nothing more.
    assert_vault_error(
        vm.send_as(&dave, v.complete_withdrawal(&dave.holder, 2))
            .await,
        vault::errors::VaultError::NothingToWithdraw,
    );
    // The buyer's round-2 puts pay out; fees go to governance's account.
    let redeem = v.redeem_options(2, buyer.holder.owner, options, buyer.user.usdc, 2 * BTC);
    vm.send_as(&buyer, redeem).await.unwrap();
    let payoff = terms.payoff(2 * BTC, 24_000 * WAD, Rounding::Down).unwrap();
    assert_eq!(
        vm.m.tokens(buyer.user.usdc).await,
        100_000 * USDC - premium - premium3 + payoff
    );
    let fees = vm.vault(&v).await.fees_accrued;
    let treasury = vm.m.user(0, 0).await.unwrap();
    let gov = vm.m.ops.governance.insecure_clone();
    vm.m.chain
        .send(&[v.collect_fees(gov.pubkey(), treasury.usdc)], &[&gov])
        .await
        .unwrap();
    assert_eq!(vm.m.tokens(treasury.usdc).await, fees);
    vm.assert_books(&v).await;
}

#[tokio::test]
async fn a_shut_down_vault_starts_no_epoch_but_keeps_paying_withdrawals() {
    let mut vm = VaultMarket::new().await.unwrap();
    let v = vm.call;
    let keeper = vm.keeper.pubkey();
    let u = vm.user(&v, 10 * BTC, 0).await.unwrap();
    vm.send_as(&u, v.deposit(&u.holder, 5 * BTC, None))
        .await
        .unwrap();
    let round = vm.roll(&v).await.unwrap();
    vm.expire_and_settle(&v, round, 29_000.0)
        .await
        .unwrap()
        .unwrap();
    let gov = vm.m.ops.governance.insecure_clone();
    let shutdown = v.set_status(gov.pubkey(), vault::state::VaultStatus::Shutdown);
    vm.m.chain.send(&[shutdown], &[&gov]).await.unwrap();

    // The settled epoch is processed; no new one starts, no deposits come in.
    let ok = vm
        .keeper_send(v.process_epoch(keeper, round))
        .await
        .unwrap();
    let p = &events::decode::<EpochProcessed>(&ok.logs)[0];
    assert_vault_error(
        vm.keeper_send(v.start_epoch(keeper, round + 1)).await,
        vault::errors::VaultError::VaultNotActive,
    );
    assert_vault_error(
        vm.send_as(&u, v.deposit(&u.holder, BTC, Some(1))).await,
        vault::errors::VaultError::VaultNotActive,
    );
    // The holder asks to leave; the idle round is processed (no fees: no
    // epoch ran) and pays at the same price per share.
    vm.send_as(&u, v.request_withdrawal(&u.holder, 5 * BTC, Some(1)))
        .await
        .unwrap();
    vm.m.chain.advance(60);
    let ok = vm
        .keeper_send(v.process_epoch(keeper, round + 1))
        .await
        .unwrap();
    let idle = &events::decode::<EpochProcessed>(&ok.logs)[0];
    assert_eq!((idle.management_fee, idle.performance_fee), (0, 0));
    assert_eq!(idle.price_per_share, p.price_per_share);
    vm.send_as(&u, v.complete_withdrawal(&u.holder, round + 1))
        .await
        .unwrap();
    let paid = withdrawal_payout(5 * BTC, p.price_per_share, 50).unwrap();
    assert_eq!(vm.m.tokens(u.user.btc).await, 5 * BTC + paid);
    vm.assert_books(&v).await;
}
