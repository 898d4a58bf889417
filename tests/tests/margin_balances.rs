//! Margin accounts with real SPL tokens: deposits, withdrawals, borrows and
//! repayments reconcile to the token unit; every rejection has its exact
//! error and leaves balances unchanged; a stale or halted oracle never
//! locks funds that back no debt.

use margin::errors::MarginError;
use margin::state::BankParams;
use rampart_tests::margin_world::*;
use rampart_tests::*;

/// Everything that must not move when an action is rejected.
async fn snapshot(w: &mut MarginMarket, u: &User) -> (u64, u64, u64, u64, String) {
    let acc = w.account(u).await;
    let (btc_mint, usdc_mint) = (w.btc_mint, w.usdc_mint);
    (
        w.tokens(u.btc).await,
        w.tokens(u.usdc).await,
        w.vault(btc_mint).await,
        w.vault(usdc_mint).await,
        format!("{:?}", acc.positions),
    )
}

/// A lender supplies USDC liquidity; a borrower posts 1 BTC.
async fn lender_and_borrower(w: &mut MarginMarket) -> (User, User) {
    let lender = w.lender(1_000_000 * USDC, 500_000 * USDC).await.unwrap();
    (lender, w.leveraged_borrower(BTC, 0).await.unwrap())
}

#[tokio::test]
async fn deposit_withdraw_round_trip_reconciles_to_the_unit() {
    let mut w = MarginMarket::new().await.unwrap();
    let u = w.user(3 * BTC + 7, 0).await.unwrap();
    let flow = w.flow(&u, w.btc_mint, true, false);
    w.send_as(&u, flow.deposit(2 * BTC + 5)).await.unwrap();
    w.send_as(&u, flow.withdraw(BTC + 3)).await.unwrap();
    let pos = w.account(&u).await.positions[0];
    assert_eq!(
        (pos.bank, pos.deposit_shares, pos.borrow_scaled),
        (w.btc_bank(), BTC + 2, 0)
    );
    let btc_mint = w.btc_mint;
    assert_eq!(w.tokens(u.btc).await, 2 * BTC + 5);
    assert_eq!(w.vault(btc_mint).await, BTC + 2);
    assert_eq!(
        w.tokens(u.btc).await + w.vault(btc_mint).await,
        3 * BTC + 7,
        "no unit created or lost"
    );
    assert_eq!(w.bank(btc_mint).await.total_deposits, BTC + 2);
    // Withdrawing the rest frees the position.
    w.send_as(&u, flow.withdraw(BTC + 2)).await.unwrap();
    assert!(w.account(&u).await.positions.iter().all(|p| p.is_empty()));
}

#[tokio::test]
async fn borrow_and_repay_within_initial_health() {
    let mut w = MarginMarket::new().await.unwrap();
    let (_lender, b) = lender_and_borrower(&mut w).await;
    // 1 BTC at 30,000 counts ~23,976 (80% of a conservatively low price);
    // 21,000 USDC of debt needs ~23,123 (110% of a conservatively high price).
    let borrow = w.flow(&b, w.usdc_mint, true, true);
    w.send_as(&b, borrow.borrow(21_000 * USDC)).await.unwrap();
    assert_eq!(w.tokens(b.usdc).await, 21_000 * USDC);
    let before = snapshot(&mut w, &b).await;
    // 1,000 more would need ~24,224: refused, nothing moves.
    assert_margin_error(
        w.send_as(&b, borrow.borrow(1_000 * USDC)).await,
        MarginError::InsufficientHealth,
    );
    assert_eq!(snapshot(&mut w, &b).await, before);
    // Withdrawing collateral that backs the debt is refused too.
    let withdraw = w.flow(&b, w.btc_mint, true, true);
    assert_margin_error(
        w.send_as(&b, withdraw.withdraw(BTC / 10)).await,
        MarginError::InsufficientHealth,
    );
    assert_eq!(snapshot(&mut w, &b).await, before);

    w.send_as(&b, borrow.repay(21_000 * USDC)).await.unwrap();
    assert_margin_error(
        w.send_as(&b, borrow.repay(1)).await,
        MarginError::RepayExceedsDebt,
    );
    let usdc_mint = w.usdc_mint;
    assert_eq!(w.bank(usdc_mint).await.total_borrows().unwrap(), 0);
    let only_btc = w.flow(&b, w.btc_mint, true, false);
    w.send_as(&b, only_btc.withdraw(BTC)).await.unwrap();
    assert_eq!(w.tokens(b.btc).await, BTC);
}

#[tokio::test]
async fn a_stale_or_halted_oracle_blocks_risk_but_never_locks_funds() {
    let mut w = MarginMarket::new().await.unwrap();
    let (lender, b) = lender_and_borrower(&mut w).await;
    let borrow = w.flow(&b, w.usdc_mint, true, true);
    w.send_as(&b, borrow.borrow(1_000 * USDC)).await.unwrap();

    // Prices go stale: borrowing more is refused with the reader's exact error.
    w.chain.advance(120);
    assert_error(
        w.send_as(&b, borrow.borrow(USDC)).await,
        PricingError::FeedStale,
    );
    // Governance halts BTC: still refused, now as halted.
    w.tick(30_000.0).await.unwrap();
    let (gov, btc_feed) = (w.ops.governance.pubkey(), w.btc_feed);
    let g = w.ops.governance.insecure_clone();
    w.chain
        .send(&[ix::set_status(gov, btc_feed, 2)], &[&g])
        .await
        .unwrap();
    assert_error(
        w.send_as(&b, borrow.borrow(USDC)).await,
        PricingError::FeedHalted,
    );

    // But debt can always be repaid (with the interest it accrued,
    // needing no price) and debt-free collateral withdrawn.
    let usdc = w.usdc_mint;
    let owed = w.debt(&b, usdc).await;
    assert!(owed > 1_000 * USDC, "interest accrued: {owed}");
    w.fund(&b, usdc, owed - 1_000 * USDC).await;
    w.send_as(&b, borrow.repay(owed)).await.unwrap();
    let withdraw = w.flow(&b, w.btc_mint, false, false);
    w.send_as(&b, withdraw.withdraw(BTC)).await.unwrap();
    let lend_out = w.flow(&lender, w.usdc_mint, false, false);
    let worth = w.deposit_worth(&lender, usdc).await;
    w.send_as(&lender, lend_out.withdraw(worth)).await.unwrap();
    assert_eq!(w.tokens(b.btc).await, BTC);
    // The lender got the interest less the fund's tenth (rounded up).
    let interest = owed - 1_000 * USDC;
    assert_eq!(
        w.tokens(lender.usdc).await,
        1_000_000 * USDC + worth - 500_000 * USDC
    );
    assert!(worth + interest.div_ceil(10) + 1 >= 500_000 * USDC + interest);
    assert_eq!(w.bank(usdc).await.total_borrows().unwrap(), 0);
}

#[tokio::test]
async fn hostile_inputs_get_exact_errors_and_move_nothing() {
    let mut w = MarginMarket::new().await.unwrap();
    let (_lender, b) = lender_and_borrower(&mut w).await;
    let intruder = w.user(BTC, 0).await.unwrap();
    let before = snapshot(&mut w, &b).await;

    // Someone else signs for the borrower's account.
    let mut theft = w.flow(&b, w.btc_mint, true, false);
    theft.owner = intruder.key.pubkey();
    theft.user_token = intruder.btc;
    let mut ix = theft.withdraw(BTC);
    ix.accounts[1].pubkey = rampart_sdk::pda::margin::account(&b.key.pubkey(), 0);
    assert_margin_error(w.send_as(&intruder, ix).await, MarginError::NotAccountOwner);

    // A USDC token account offered for a BTC deposit.
    let mut foreign = w.flow(&b, w.btc_mint, true, false);
    foreign.user_token = b.usdc;
    assert_margin_error(
        w.send_as(&b, foreign.deposit(1)).await,
        MarginError::WrongMint,
    );

    // The USDC feed passed as BTC's price: a forged feed.
    let mut forged = w.flow(&b, w.usdc_mint, true, true);
    forged.health[0].feed = w.usdc_feed;
    assert_margin_error(
        w.send_as(&b, forged.borrow(USDC)).await,
        MarginError::WrongFeed,
    );
    // Health accounts missing.
    let bare = w.flow(&b, w.usdc_mint, false, false);
    assert_margin_error(
        w.send_as(&b, bare.borrow(USDC)).await,
        MarginError::HealthAccountsMismatch,
    );

    assert_margin_error(
        w.send_as(&b, w.flow(&b, w.btc_mint, true, false).deposit(0))
            .await,
        MarginError::ZeroAmount,
    );
    assert_margin_error(
        w.send_as(&b, w.flow(&b, w.btc_mint, true, false).withdraw(BTC + 1))
            .await,
        MarginError::InsufficientDeposit,
    );
    assert_eq!(snapshot(&mut w, &b).await, before);
}

#[tokio::test]
async fn caps_and_bank_governance_are_enforced() {
    let mut w = MarginMarket::new().await.unwrap();
    let whale = w.user(1_001 * BTC, 0).await.unwrap();
    let before = snapshot(&mut w, &whale).await;
    let flow = w.flow(&whale, w.btc_mint, true, false);
    assert_margin_error(
        w.send_as(&whale, flow.deposit(1_000 * BTC + 1)).await,
        MarginError::DepositCapExceeded,
    );
    assert_eq!(snapshot(&mut w, &whale).await, before);

    // Only governance creates banks, and only with parameters inside bounds.
    let authority = w.mint_authority.insecure_clone();
    let eth = rampart_embedded::spl::create_mint(&mut w.chain, &authority.pubkey(), 8)
        .await
        .unwrap();
    let payer = w.chain.payer_pubkey();
    let btc_feed = w.btc_feed;
    let intruder = w.chain.funded_keypair(1_000_000_000).await;
    let ix =
        rampart_sdk::margin_ix::create_bank(payer, intruder.pubkey(), eth, btc_feed, btc_params());
    assert_margin_error(
        w.chain.send(&[ix], &[&intruder]).await,
        MarginError::Unauthorized,
    );
    let loose_maint = BankParams {
        asset_haircut_maint: btc_params().asset_haircut_init + 1,
        ..btc_params()
    };
    assert_margin_error(
        w.create_bank(eth, btc_feed, loose_maint).await,
        MarginError::ParamOutOfBounds,
    );
    // A bank must be priced by a pricing feed, not any account.
    let not_a_feed = w.usdc_bank();
    let f = w
        .create_bank(eth, not_a_feed, btc_params())
        .await
        .expect_err("not a feed");
    assert_eq!(
        f.custom_code(),
        Some(anchor_lang::error::ErrorCode::AccountOwnedByWrongProgram as u32)
    );
    w.create_bank(eth, btc_feed, btc_params()).await.unwrap();
}

/// `u64::MAX` means all of it, as worth at the transaction's second: a
/// repay clears the debt with its interest, then a withdraw takes the whole
/// deposit with the interest it earned, to the unit, and leaves the
/// position empty. Against debt, all of the collateral is refused by the
/// initial requirement with nothing moved.
#[tokio::test]
async fn withdraw_and_repay_of_everything_are_exact_to_the_unit() {
    let mut w = MarginMarket::new().await.unwrap();
    let lender = w.lender(100_000 * USDC, 100_000 * USDC).await.unwrap();
    let b = w.leveraged_borrower(BTC, 21_000 * USDC).await.unwrap();
    w.hold(30_000.0, 20).await.unwrap();
    let (btc_mint, usdc_mint) = (w.btc_mint, w.usdc_mint);

    let before = snapshot(&mut w, &b).await;
    let all_btc = w.flow(&b, btc_mint, true, true).withdraw(u64::MAX);
    assert_margin_error(
        w.send_as(&b, all_btc).await,
        MarginError::InsufficientHealth,
    );
    assert_eq!(snapshot(&mut w, &b).await, before);

    // The borrower's wallet covers the interest too.
    let authority = w.mint_authority.insecure_clone();
    rampart_embedded::spl::mint_to(&mut w.chain, &usdc_mint, &authority, &b.usdc, 1_000 * USDC)
        .await
        .unwrap();
    let debt = w.debt(&b, usdc_mint).await;
    assert!(debt > 21_000 * USDC, "interest accrued: {debt}");
    let wallet = w.tokens(b.usdc).await;
    let repay = w.flow(&b, usdc_mint, true, true).repay(u64::MAX);
    let ok = w.send_as(&b, repay).await.unwrap();
    let repaid = events::decode::<margin::events::BalanceChanged>(&ok.logs)[0].amount;
    assert!(repaid >= debt, "{repaid} < {debt}");
    assert_eq!(w.tokens(b.usdc).await, wallet - repaid);
    assert_eq!(w.debt(&b, usdc_mint).await, 0);

    let worth = w.deposit_worth(&lender, usdc_mint).await;
    assert!(worth > 100_000 * USDC, "the loan's interest: {worth}");
    let vault = w.vault(usdc_mint).await;
    let all_usdc = w.flow(&lender, usdc_mint, false, true).withdraw(u64::MAX);
    let ok = w.send_as(&lender, all_usdc).await.unwrap();
    let withdrawn = events::decode::<margin::events::BalanceChanged>(&ok.logs)[0].amount;
    assert_eq!(withdrawn, worth);
    assert_eq!(w.tokens(lender.usdc).await, worth);
    assert_eq!(w.vault(usdc_mint).await, vault - worth);
    let position = w
        .account(&lender)
        .await
        .positions
        .into_iter()
        .find(|p| p.bank == rampart_sdk::pda::margin::bank(&usdc_mint));
    assert!(position.is_none_or(|p| p.is_empty()), "{position:?}");
    assert_eq!(w.bank(usdc_mint).await.total_deposits, 0);

    // Nothing left: all of nothing is refused.
    let again = w.flow(&lender, usdc_mint, false, true).withdraw(u64::MAX);
    assert_margin_error(
        w.send_as(&lender, again).await,
        MarginError::InsufficientDeposit,
    );
}
