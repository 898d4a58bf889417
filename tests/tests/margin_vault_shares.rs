//! Option-vault shares as margin collateral: the margin program reads the
//! vault account (owner and type checked) and prices a share at the
//! vault's NAV per share times the price of the vault's asset, with the
//! bank's haircut. Outstanding options are marked at the vault's fresh
//! Greeks-cache price, so a buyer paying the model price cannot push
//! share collateral down; a stale mark falls back to the options' worst
//! case. Shares are never lent.

use margin::errors::MarginError;
use margin::events::BalanceChanged;
use margin::state::BankParams;
use rampart::margin_ix::{self, HealthEntry};
use rampart::vault_market::*;
use rampart_tests::margin_world::*;
use rampart_tests::*;
use vault::events::OptionsSold;

const W: u64 = 1_000_000_000_000_000_000;

/// The put vault's shares count 80% of their value initially, 90% for maintenance.
fn share_params() -> BankParams {
    BankParams {
        asset_haircut_init: W / 5,
        asset_haircut_maint: W / 10,
        deposit_cap: 10_000_000 * USDC,
        borrow_cap: 0,
        ..usdc_params()
    }
}

#[tokio::test]
async fn put_vault_shares_back_a_btc_loan_at_their_nav() {
    let mut vm = VaultMarket::new().await.unwrap();
    let v = vm.put;
    let keeper = vm.keeper.pubkey();
    let gov = vm.m.ops.governance.insecure_clone();
    let payer = vm.m.chain.payer_pubkey();
    let (usdc_feed, btc_mint) = (vm.m.usdc_feed, vm.m.btc_mint);
    let share_mint = v.share_mint();
    let ix = margin_ix::create_share_bank(payer, gov.pubkey(), v.vault, usdc_feed, share_params());
    // A share bank must name the vault whose shares it holds: the call
    // vault for the put vault's share mint is refused.
    let mut wrong = ix.clone();
    wrong.accounts[8].pubkey = vm.call.vault;
    assert_margin_error(
        vm.m.chain.send(&[wrong], &[&gov]).await,
        MarginError::WrongMint,
    );
    vm.m.chain.send(&[ix], &[&gov]).await.unwrap();

    // Alice holds 50,000 shares of the put vault (1 USDC each), BTC lenders supply BTC.
    let alice = vm.user(&v, 0, 100_000 * USDC).await.unwrap();
    vm.send_as(&alice, v.deposit(&alice.holder, 50_000 * USDC, None))
        .await
        .unwrap();
    vm.keeper_send(v.process_epoch(keeper, 1)).await.unwrap();
    vm.send_as(&alice, v.redeem_shares(&alice.holder, Some(1)))
        .await
        .unwrap();
    let btc_lender = vm.m.user(10 * BTC, 0).await.unwrap();
    let ix =
        vm.m.flow(&btc_lender, btc_mint, true, false)
            .deposit(10 * BTC);
    vm.m.send_as(&btc_lender, ix).await.unwrap();

    let share_bank = rampart::pda::margin::bank(&share_mint);
    let share_entry = HealthEntry {
        bank: share_bank,
        feed: usdc_feed,
        share_vault: Some(v.vault),
    };
    let btc_entry: HealthEntry = (vm.m.btc_bank(), vm.m.btc_feed).into();
    let flow = |mint, user_token, with_btc: bool| margin_ix::Flow {
        owner: alice.holder.owner,
        account_index: 0,
        mint,
        user_token,
        health: [Some(share_entry), with_btc.then_some(btc_entry)]
            .into_iter()
            .flatten()
            .collect(),
    };
    vm.send_as(
        &alice,
        flow(share_mint, alice.holder.shares, false).deposit(50_000 * USDC),
    )
    .await
    .unwrap();
    assert_eq!(vm.m.vault(share_mint).await, 50_000 * USDC);

    // Shares are collateral only.
    assert_margin_error(
        vm.send_as(
            &alice,
            flow(share_mint, alice.holder.shares, false).borrow(1),
        )
        .await,
        MarginError::SharesNotBorrowable,
    );
    // The vault account must come with the share bank's entry.
    let mut missing = flow(btc_mint, alice.user.btc, true);
    missing.health[0].share_vault = None;
    assert_margin_error(
        vm.send_as(&alice, missing.borrow(BTC)).await,
        MarginError::HealthAccountsMismatch,
    );

    // 50,000 shares × 1.0 × ~0.999 (USDC, conservatively) × 80% ≈ 39,960 of
    // borrowing power: 1 BTC (33,000+ with its 10%) fits, 1.25 BTC does not.
    assert_margin_error(
        vm.send_as(
            &alice,
            flow(btc_mint, alice.user.btc, true).borrow(BTC + BTC / 4),
        )
        .await,
        MarginError::InsufficientHealth,
    );
    let ok = vm
        .send_as(&alice, flow(btc_mint, alice.user.btc, true).borrow(BTC))
        .await
        .unwrap();
    let margin_before = events::decode::<BalanceChanged>(&ok.logs)[0].initial_margin_after;
    assert!(margin_before > 0);
    assert_eq!(vm.m.tokens(alice.user.btc).await, BTC);

    // The vault sells 1.5 BTC of puts at the model price plus 1%: the
    // premium comes in and the options are marked at the model, so Alice's
    // collateral does not fall (it rises by the spread).
    vm.keeper_send(v.start_epoch(keeper, 2)).await.unwrap();
    let buyer = vm.user(&v, 0, 100_000 * USDC).await.unwrap();
    let options = vm.option_account(&v, 2, &buyer.holder.owner).await.unwrap();
    let buy = v.buy_options(
        2,
        buyer.holder.owner,
        buyer.user.usdc,
        options,
        BTC + BTC / 2,
        10_000 * USDC,
    );
    let sold = &events::decode::<OptionsSold>(&vm.send_as(&buyer, buy).await.unwrap().logs)[0];
    assert!(sold.premium > 0);
    let ok = vm
        .send_as(&alice, flow(btc_mint, alice.user.btc, true).borrow(1))
        .await
        .unwrap();
    let margin_after_sale = events::decode::<BalanceChanged>(&ok.logs)[0].initial_margin_after;
    assert!(
        margin_after_sale >= margin_before - 30_000 * (W as i128) / 100_000_000,
        "a fair sale must not cut share collateral: {margin_before} -> {margin_after_sale}"
    );

    // Four hours later the Greeks cache is stale: the options count at
    // their worst case (1.5 × strike), and Alice can no longer borrow.
    for _ in 0..4 {
        vm.m.chain.advance(3_600);
        vm.wiggle(30_000.0).await.unwrap();
    }
    assert_margin_error(
        vm.send_as(&alice, flow(btc_mint, alice.user.btc, true).borrow(1))
            .await,
        MarginError::InsufficientHealth,
    );
    // A keeper refreshes the cache and the fair mark is back.
    vm.m.chain.send(&[v.update_greeks(2)], &[]).await.unwrap();
    vm.send_as(&alice, flow(btc_mint, alice.user.btc, true).borrow(1))
        .await
        .unwrap();
}
