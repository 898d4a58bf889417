//! Hostile and mistimed vault instructions: each fails with its exact
//! error and moves nothing.

use rampart_sdk::vault_ix::VaultRef;
use rampart_sim::vault_market::*;
use rampart_tests::margin_world::{BTC, USDC};
use rampart_tests::*;
use vault::errors::VaultError;
use vault::events::EpochSettled;
use vault::state::{Strategy, VaultStatus};

/// Everything a rejected instruction could move in the call vault: the
/// vault account's bytes and the asset vault's balance.
async fn books(vm: &mut VaultMarket) -> (Vec<u8>, u64) {
    let v = vm.call;
    (
        vm.m.chain.account(v.vault).await.unwrap().data,
        vm.m.tokens(v.assets()).await,
    )
}

#[tokio::test]
async fn deposits_and_withdrawals_reject_what_they_must() {
    let mut vm = VaultMarket::new().await.unwrap();
    let v = vm.call;
    let whale = vm.user(&v, 2_000 * BTC, 100 * USDC).await.unwrap();
    let before = books(&mut vm).await;
    let before_tokens = vm.m.tokens(whale.user.btc).await;

    // Over the per-user cap (100 BTC a round) and the vault cap (1,000 BTC).
    assert_vault_error(
        vm.send_as(&whale, v.deposit(&whale.holder, 100 * BTC + 1, None))
            .await,
        VaultError::UserCapExceeded,
    );
    let mut others = vec![];
    for _ in 0..10 {
        let u = vm.user(&v, 100 * BTC, 0).await.unwrap();
        vm.send_as(&u, v.deposit(&u.holder, 100 * BTC, None))
            .await
            .unwrap();
        others.push(u);
    }
    let before = (books(&mut vm).await.1, before.1 + 1_000 * BTC);
    assert_eq!(before.0, before.1);
    assert_vault_error(
        vm.send_as(&whale, v.deposit(&whale.holder, 1, None)).await,
        VaultError::DepositCapExceeded,
    );
    // The wrong token: USDC into the BTC vault.
    let mut usdc_holder = whale.holder;
    usdc_holder.asset = whale.user.usdc;
    assert_vault_error(
        vm.send_as(&whale, v.deposit(&usdc_holder, USDC, None))
            .await,
        VaultError::WrongVaultAccount,
    );
    // Someone else's receipt: the seeds name the signer.
    let mut theirs = v.deposit(&whale.holder, BTC, None);
    theirs.accounts[1].pubkey = rampart_sdk::pda::vault::receipt(&v.vault, &others[0].holder.owner);
    assert_anchor_error(
        vm.send_as(&whale, theirs).await,
        anchor_lang::error::ErrorCode::ConstraintSeeds,
    );
    assert_eq!(vm.m.tokens(whale.user.btc).await, before_tokens);
    assert_eq!(books(&mut vm).await.1, before.1);

    // Cancelling more than queued, and after processing.
    let u = &others[0];
    assert_vault_error(
        vm.send_as(u, v.cancel_deposit(&u.holder, 100 * BTC + 1))
            .await,
        VaultError::CancelExceedsDeposit,
    );
    let keeper = vm.keeper.pubkey();
    vm.keeper_send(v.process_epoch(keeper, 1)).await.unwrap();
    assert_vault_error(
        vm.send_as(u, v.cancel_deposit(&u.holder, 1)).await,
        VaultError::DepositAlreadyProcessed,
    );
    // Withdrawing more shares than owned; converting without the round record.
    assert_vault_error(
        vm.send_as(u, v.request_withdrawal(&u.holder, 100 * BTC + 1, Some(1)))
            .await,
        VaultError::InsufficientShares,
    );
    assert_vault_error(
        vm.send_as(u, v.request_withdrawal(&u.holder, BTC, None))
            .await,
        VaultError::RoundRecordMissing,
    );
    // Nothing processed for this user yet.
    assert_vault_error(
        vm.send_as(u, v.complete_withdrawal(&u.holder, 1)).await,
        VaultError::NothingToWithdraw,
    );
    // Holders may leave entirely, but not down to a dust supply (below
    // 0.01 BTC of shares) whose price a donation could move.
    for o in &others[1..] {
        vm.send_as(o, v.request_withdrawal(&o.holder, 100 * BTC, Some(1)))
            .await
            .unwrap();
    }
    assert_vault_error(
        vm.send_as(u, v.request_withdrawal(&u.holder, 100 * BTC - 1, Some(1)))
            .await,
        VaultError::BelowMinSupply,
    );
    vm.send_as(u, v.request_withdrawal(&u.holder, 100 * BTC, Some(1)))
        .await
        .unwrap();
}

#[tokio::test]
async fn epoch_steps_run_in_order_once() {
    let mut vm = VaultMarket::new().await.unwrap();
    let v = vm.call;
    let keeper = vm.keeper.pubkey();
    let u = vm.user(&v, 10 * BTC, 0).await.unwrap();
    vm.send_as(&u, v.deposit(&u.holder, 5 * BTC, None))
        .await
        .unwrap();
    // Start before processing; settle with no epoch running.
    assert_vault_error(
        vm.keeper_send(v.start_epoch(keeper, 1)).await,
        VaultError::StepOutOfOrder,
    );
    let round = vm.roll(&v).await.unwrap();
    let before = books(&mut vm).await;
    // Process while trading; start twice; settle before expiry.
    vm.m.chain.advance(1);
    assert_vault_error(
        vm.keeper_send(v.process_epoch(keeper, round)).await,
        VaultError::StepOutOfOrder,
    );
    // A second start would create the round's series again: the system
    // program refuses (AccountAlreadyInUse) before any vault code runs.
    let twice = vm
        .keeper_send(v.start_epoch(keeper, round))
        .await
        .unwrap_err();
    assert_eq!(twice.custom_code(), Some(0));
    assert!(twice.logs.iter().any(|l| l.contains("already in use")));
    assert_vault_error(
        vm.m.chain.send(&[v.settle_epoch(round)], &[]).await,
        VaultError::NotExpired,
    );
    assert_eq!(books(&mut vm).await, before);
}

#[tokio::test]
async fn sales_need_fresh_greeks_and_settlement_a_valid_twap() {
    let mut vm = VaultMarket::new().await.unwrap();
    let v = vm.call;
    let u = vm.user(&v, 10 * BTC, 0).await.unwrap();
    let buyer = vm.user(&v, 10 * BTC, 0).await.unwrap();
    vm.send_as(&u, v.deposit(&u.holder, 5 * BTC, None))
        .await
        .unwrap();
    let round = vm.roll(&v).await.unwrap();
    let options = vm
        .option_account(&v, round, &buyer.holder.owner)
        .await
        .unwrap();
    let buy = |amount, max| {
        v.buy_options(
            round,
            buyer.holder.owner,
            buyer.user.btc,
            options,
            amount,
            max,
        )
    };

    // Four hours on, with fresh prices, the cache is too old to sell on.
    for _ in 0..4 {
        vm.m.chain.advance(3_600);
        vm.wiggle(30_000.0).await.unwrap();
    }
    let before = (books(&mut vm).await, vm.m.tokens(buyer.user.btc).await);
    assert_vault_error(
        vm.send_as(&buyer, buy(BTC, BTC)).await,
        VaultError::GreeksStale,
    );
    // Beyond capacity, or above the buyer's limit.
    assert_vault_error(
        vm.send_as(&buyer, buy(5 * BTC + 1, BTC)).await,
        VaultError::CapacityExceeded,
    );
    vm.m.chain
        .send(&[v.update_greeks(round)], &[])
        .await
        .unwrap();
    assert_vault_error(
        vm.send_as(&buyer, buy(BTC, 1)).await,
        VaultError::SlippageExceeded,
    );
    // Another series' mint as the buyer's option account.
    let mut wrong = buy(BTC, BTC);
    wrong.accounts[7].pubkey = vm.m.user(0, 0).await.unwrap().btc;
    assert_vault_error(
        vm.send_as(&buyer, wrong).await,
        VaultError::WrongVaultAccount,
    );
    // Paused by governance: no sales (and no deposits), cancelling still works.
    let gov = vm.m.ops.governance.insecure_clone();
    let intruder = vm.m.user(0, 0).await.unwrap();
    assert_vault_error(
        vm.m.chain
            .send(
                &[v.set_status(intruder.key.pubkey(), VaultStatus::Paused)],
                &[&intruder.key],
            )
            .await,
        VaultError::Unauthorized,
    );
    vm.m.chain
        .send(&[v.set_status(gov.pubkey(), VaultStatus::Paused)], &[&gov])
        .await
        .unwrap();
    assert_vault_error(
        vm.send_as(&buyer, buy(BTC, BTC)).await,
        VaultError::VaultNotActive,
    );
    assert_vault_error(
        vm.send_as(&u, v.deposit(&u.holder, BTC, None)).await,
        VaultError::VaultNotActive,
    );
    vm.m.chain
        .send(&[v.set_status(gov.pubkey(), VaultStatus::Active)], &[&gov])
        .await
        .unwrap();
    // Options of an unsettled series pay nothing yet.
    vm.send_as(&buyer, buy(BTC, BTC)).await.unwrap();
    let redeem = v.redeem_options(round, buyer.holder.owner, options, buyer.user.btc, BTC);
    assert_vault_error(
        vm.send_as(&buyer, redeem.clone()).await,
        VaultError::SeriesNotSettled,
    );
    let after_buy = books(&mut vm).await;
    assert_ne!(after_buy, before.0);

    // Expiry passes with no price after it: no TWAP to settle on.
    let expiry = vm.series(&v, round).await.expiry_ts;
    let now = vm.m.chain.clock().unix_timestamp;
    vm.m.chain.advance(expiry - now + 10);
    assert_error(
        vm.m.chain.send(&[v.settle_epoch(round)], &[]).await,
        PricingError::TwapUnavailable,
    );
    // A halted feed settles nothing either.
    let feed = vm.m.btc_feed;
    vm.m.chain
        .send(&[ix::set_status(gov.pubkey(), feed, 2)], &[&gov])
        .await
        .unwrap();
    assert_error(
        vm.m.chain.send(&[v.settle_epoch(round)], &[]).await,
        PricingError::FeedHalted,
    );
    // Governance's fallback waits for the grace period, then settles (audited).
    assert_vault_error(
        vm.m.chain
            .send(
                &[v.governance_settle(gov.pubkey(), round, 31_000 * risk_math::WAD)],
                &[&gov],
            )
            .await,
        VaultError::GracePeriodNotOver,
    );
    assert_eq!(books(&mut vm).await, after_buy);
    vm.m.chain.advance(3_600);
    let ok =
        vm.m.chain
            .send(
                &[v.governance_settle(gov.pubkey(), round, 31_000 * risk_math::WAD)],
                &[&gov],
            )
            .await
            .unwrap();
    let settled = &events::decode::<EpochSettled>(&ok.logs)[0];
    assert!(settled.by_governance);
    vm.send_as(&buyer, redeem).await.unwrap();
    vm.assert_books(&v).await;
}

#[tokio::test]
async fn vault_parameters_have_hard_bounds() {
    let mut vm = VaultMarket::new().await.unwrap();
    let (btc, usdc, feed) = (vm.m.btc_mint, vm.m.usdc_mint, vm.m.btc_feed);
    let gov = vm.m.ops.governance.insecure_clone();
    let payer = vm.m.chain.payer_pubkey();
    let good = vault_params(BTC, BTC, 1);
    // Each on its own (unused) epoch length, so only the bound can fail.
    let two_days = 2 * 86_400;
    for bad in [
        vault::state::VaultParams {
            epoch_secs: 60,
            sale_window_secs: 30,
            ..good
        },
        vault::state::VaultParams {
            epoch_secs: two_days,
            performance_fee_bps: 5_000,
            ..good
        },
        vault::state::VaultParams {
            epoch_secs: two_days,
            target_delta: 9 * risk_math::WAD as u64 / 10,
            ..good
        },
        vault::state::VaultParams {
            epoch_secs: two_days,
            max_otm: risk_math::WAD as u64,
            ..good
        },
        vault::state::VaultParams {
            epoch_secs: two_days,
            user_deposit_cap: 2 * BTC,
            ..good
        },
    ] {
        let v = VaultRef::new(btc, usdc, Strategy::CoveredCall, bad.epoch_secs, feed);
        let ix = v.create(gov.pubkey(), payer, Strategy::CoveredCall, bad);
        assert_vault_error(
            vm.m.chain.send(&[ix], &[&gov]).await,
            VaultError::ParamOutOfBounds,
        );
    }
    // The asset must match the strategy: a put vault holding BTC.
    let fine = vault::state::VaultParams {
        epoch_secs: two_days,
        ..good
    };
    let put = VaultRef::new(btc, usdc, Strategy::CashSecuredPut, two_days, feed);
    let mut wrong = put.create(gov.pubkey(), payer, Strategy::CashSecuredPut, fine);
    wrong.accounts[5].pubkey = btc;
    assert_vault_error(
        vm.m.chain.send(&[wrong], &[&gov]).await,
        VaultError::WrongVaultAccount,
    );
    let call = VaultRef::new(btc, usdc, Strategy::CoveredCall, two_days, feed);
    let create_call = call.create(gov.pubkey(), payer, Strategy::CoveredCall, fine);
    let intruder = vm.m.user(0, 0).await.unwrap();
    let mut by_intruder = create_call.clone();
    by_intruder.accounts[1].pubkey = intruder.key.pubkey();
    assert_vault_error(
        vm.m.chain.send(&[by_intruder], &[&intruder.key]).await,
        VaultError::Unauthorized,
    );
    vm.m.chain.send(&[create_call], &[&gov]).await.unwrap();
}

#[tokio::test]
async fn governance_strike_override_is_audited_and_a_spot_move_stales_the_cache() {
    let mut vm = VaultMarket::new().await.unwrap();
    let v = vm.call;
    let keeper = vm.keeper.pubkey();
    let gov = vm.m.ops.governance.insecure_clone();
    let u = vm.user(&v, 10 * BTC, 0).await.unwrap();
    vm.send_as(&u, v.deposit(&u.holder, 5 * BTC, None))
        .await
        .unwrap();
    vm.keeper_send(v.process_epoch(keeper, 1)).await.unwrap();
    // Only governance may override, and the override is an event.
    let strike = 33_000 * risk_math::WAD;
    assert_vault_error(
        vm.send_as(&u, v.override_strike(u.holder.owner, strike))
            .await,
        VaultError::Unauthorized,
    );
    let ok =
        vm.m.chain
            .send(&[v.override_strike(gov.pubkey(), strike)], &[&gov])
            .await
            .unwrap();
    assert_eq!(
        events::decode::<vault::events::StrikeOverridden>(&ok.logs)[0].strike,
        strike
    );
    let ok = vm.keeper_send(v.start_epoch(keeper, 2)).await.unwrap();
    let started = &events::decode::<vault::events::EpochStarted>(&ok.logs)[0];
    assert_eq!(started.strike, strike);
    assert_ne!(started.model_strike, strike);
    // Not while options are trading.
    assert_vault_error(
        vm.m.chain
            .send(&[v.override_strike(gov.pubkey(), strike)], &[&gov])
            .await,
        VaultError::StepOutOfOrder,
    );

    // Spot 6% above the cached spot: the cache is stale however young.
    let buyer = vm.user(&v, 10 * BTC, 0).await.unwrap();
    let options = vm.option_account(&v, 2, &buyer.holder.owner).await.unwrap();
    let buy = v.buy_options(2, buyer.holder.owner, buyer.user.btc, options, BTC, BTC);
    vm.m.tick(31_800.0).await.unwrap();
    assert_vault_error(
        vm.send_as(&buyer, buy.clone()).await,
        VaultError::GreeksStale,
    );
    vm.m.chain.send(&[v.update_greeks(2)], &[]).await.unwrap();
    vm.send_as(&buyer, buy).await.unwrap();
    assert_eq!(vm.m.tokens(options).await, BTC);
}

#[tokio::test]
async fn foreign_and_forged_accounts_are_refused_everywhere() {
    let mut vm = VaultMarket::new().await.unwrap();
    let v = vm.call;
    let keeper = vm.keeper.pubkey();
    let gov = vm.m.ops.governance.insecure_clone();
    let intruder = vm.user(&v, 10 * BTC, 10 * USDC).await.unwrap();
    let u = vm.user(&v, 10 * BTC, 0).await.unwrap();
    vm.send_as(&u, v.deposit(&u.holder, 5 * BTC, None))
        .await
        .unwrap();
    vm.keeper_send(v.process_epoch(keeper, 1)).await.unwrap();

    // Another feed than the vault's, and the vault's own feed gone stale.
    let mut other_feed = v.start_epoch(keeper, 2);
    other_feed.accounts[1].pubkey = vm.m.usdc_feed;
    assert_anchor_error(
        vm.keeper_send(other_feed).await,
        anchor_lang::error::ErrorCode::ConstraintHasOne,
    );
    vm.m.chain.advance(120);
    assert_error(
        vm.keeper_send(v.start_epoch(keeper, 2)).await,
        PricingError::FeedStale,
    );
    vm.wiggle(30_000.0).await.unwrap();
    vm.keeper_send(v.start_epoch(keeper, 2)).await.unwrap();
    let before = books(&mut vm).await;

    // Shares redeemed into an account of another mint; a withdrawal
    // completed against another round's record.
    let mut wrong_mint = u.holder;
    wrong_mint.shares = u.user.usdc;
    assert_vault_error(
        vm.send_as(&u, v.redeem_shares(&wrong_mint, Some(1))).await,
        VaultError::WrongVaultAccount,
    );
    vm.send_as(&u, v.request_withdrawal(&u.holder, BTC, Some(1)))
        .await
        .unwrap();
    assert_vault_error(
        vm.send_as(&u, v.complete_withdrawal(&u.holder, 1)).await,
        VaultError::NothingToWithdraw,
    );
    // Governance-only instructions from an intruder.
    let treasury = intruder.user.btc;
    let by = intruder.holder.owner;
    for ix in [
        v.collect_fees(by, treasury),
        v.governance_settle(by, 2, 30_000 * risk_math::WAD),
        v.set_status(by, VaultStatus::Shutdown),
    ] {
        assert_vault_error(
            vm.m.chain.send(&[ix], &[&intruder.user.key]).await,
            VaultError::Unauthorized,
        );
    }
    // Fees paid into an account of another mint.
    assert_vault_error(
        vm.m.chain
            .send(&[v.collect_fees(gov.pubkey(), intruder.user.usdc)], &[&gov])
            .await,
        VaultError::WrongVaultAccount,
    );
    // Options redeemed from an account of another mint.
    let redeem = v.redeem_options(2, by, intruder.user.btc, intruder.user.btc, 1);
    assert_vault_error(
        vm.m.chain.send(&[redeem], &[&intruder.user.key]).await,
        VaultError::WrongVaultAccount,
    );
    // A vault account copied under another owner program is not a vault.
    let mut forged = vm.m.chain.account(v.vault).await.unwrap();
    forged.owner = pricing::ID;
    let fake = anchor_lang::prelude::Pubkey::new_unique();
    vm.m.chain.set_account(fake, forged);
    let mut ix = v.update_greeks(2);
    ix.accounts[0].pubkey = fake;
    assert_anchor_error(
        vm.m.chain.send(&[ix], &[]).await,
        anchor_lang::error::ErrorCode::AccountOwnedByWrongProgram,
    );
    let after = books(&mut vm).await;
    assert_eq!(after.1, before.1, "no asset moved");
}
