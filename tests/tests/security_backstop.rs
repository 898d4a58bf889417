//! Exploit tests for the backstop findings of the independent review
//! (issue 13), on the real programs: each failed on the code as reviewed.

use backstop::errors::BackstopError;
use backstop::events::StakeSettled;
use rampart_sim::backstop_market::BackstopMarket;
use rampart_sim::market::{BTC, USDC};
use rampart_tests::*;

/// Finding 5: four 1-unit stakes from fresh keys, each placed before one of
/// four full drains of the 0.5% band and never touched again, held every
/// slot of the band's frozen history; from then on the band took only
/// partial fills, its product sank to the floor and it absorbed nearly
/// nothing (before the fix a second large absorb got 0 from it). Now the
/// band rescales instead of sinking, and anyone settles the stale stakes
/// (the keeper does): the history is free again and the attacker's bought
/// BTC stays theirs.
#[tokio::test]
async fn four_untouched_dust_stakes_cannot_disable_a_band() {
    let mut b = BackstopMarket::new().await.unwrap();
    let lp = b.new_lp(10_000_000 * USDC).await.unwrap();
    let mut attackers = vec![];
    for _ in 0..4 {
        let attacker = b.new_lp(USDC).await.unwrap();
        b.deposit(&attacker, 0, 1).await.unwrap();
        b.deposit(&lp, 0, 100_000 * USDC).await.unwrap();
        // A seller drains the band (and only it: 0.5% is the limit).
        b.other_absorbs(10 * BTC, 50).await.unwrap();
        b.m.chain.advance(1);
        attackers.push(attacker);
    }
    let pool = b.pool_state().await;
    assert!(
        pool.bands[0].frozen.iter().all(|f| f.stakes > 0),
        "history full"
    );

    // Two large absorbs: the band keeps buying nearly all it holds.
    for _ in 0..2 {
        b.deposit(&lp, 0, 400_000 * USDC).await.unwrap();
        let band_quote = b.pool_state().await.bands[0].quote;
        let ok = b.other_absorbs(100 * BTC, 50).await.unwrap();
        let abs = &events::decode::<backstop::events::Absorbed>(&ok.logs)[0];
        assert!(
            abs.quote_out as u128 * 1_000 >= band_quote as u128 * 999,
            "the band paid {} of {band_quote}",
            abs.quote_out
        );
        b.m.chain.advance(1);
    }

    // Anyone settles the attackers' stakes (and the LP's, left a scale
    // behind by the last drain): no signature but the fee payer's.
    let mut owed = vec![];
    for a in attackers.iter().chain([&lp]) {
        let stake = b.pool.stake(0, &a.key.pubkey());
        let claim = b.claim(a, 0).await;
        let ok =
            b.m.chain
                .send(&[b.pool.settle_stake(stake)], &[])
                .await
                .unwrap();
        let ev = &events::decode::<StakeSettled>(&ok.logs)[0];
        assert_eq!(ev.collateral_owed, claim.collateral);
        assert_eq!(b.claim(a, 0).await, claim, "settling changes nothing owned");
        owed.push(claim.collateral);
    }
    owed.pop();
    let pool = b.pool_state().await;
    assert!(
        pool.bands[0].frozen.iter().all(|f| f.stakes == 0),
        "history freed"
    );
    assert_eq!(pool.bands[0].stakes_behind, 0);

    // A current stake has nothing to settle: refused, bytes unchanged.
    b.deposit(&lp, 0, 1_000 * USDC).await.unwrap();
    let lp_stake = b.pool.stake(0, &lp.key.pubkey());
    let lp_stake_before = b.m.chain.account(lp_stake).await.unwrap().data;
    assert_backstop_error(
        b.m.chain.send(&[b.pool.settle_stake(lp_stake)], &[]).await,
        BackstopError::StakeCurrent,
    );
    assert_eq!(
        b.m.chain.account(lp_stake).await.unwrap().data,
        lp_stake_before
    );

    // A full drain works again, and each attacker collects what it bought.
    let band_quote = b.pool_state().await.bands[0].quote;
    let ok = b.other_absorbs(100 * BTC, 50).await.unwrap();
    let abs = &events::decode::<backstop::events::Absorbed>(&ok.logs)[0];
    assert_eq!(abs.quote_out, band_quote);
    for (a, owed) in attackers.iter().zip(owed) {
        b.withdraw(a, 0, 0).await.unwrap();
        assert_eq!(b.m.tokens(a.btc).await, owed);
    }
}

/// Finding 8: bands discount from min(spot, TWAP), margin limited their
/// depth against spot. After a crash and a bounce (TWAP under spot) the
/// account sold BTC through the backstop at the TWAP less the band
/// discount, below the spot / 1.02 an open liquidator pays. Now the limit
/// is held against spot on both sides: no band qualifies, the backstop
/// refuses (`NoLiquidity`) with every balance unchanged, and the keeper's
/// fallback, the open liquidation, pays the account the fair price.
#[tokio::test]
async fn the_backstop_never_buys_below_what_an_open_liquidator_pays() {
    let mut b = BackstopMarket::new().await.unwrap();
    b.m.lender(200_000 * USDC, 200_000 * USDC).await.unwrap();
    let victim = b.m.leveraged_borrower(BTC, 21_000 * USDC).await.unwrap();
    let lp = b.new_lp(50_000 * USDC).await.unwrap();
    b.deposit(&lp, 0, 50_000 * USDC).await.unwrap();
    // The crash: a TWAP window at 22,000, then a bounce to 24,000 (still
    // below the account's maintenance).
    b.m.hold(26_000.0, 25).await.unwrap();
    b.m.hold(22_000.0, 25).await.unwrap();
    b.m.tick(24_000.0).await.unwrap();

    let account = rampart_sdk::pda::margin::account(&victim.key.pubkey(), 0);
    let before = (
        b.m.chain.account(account).await.unwrap().data,
        b.vaults().await,
        b.m.vault(b.m.btc_mint).await,
        b.m.vault(b.m.usdc_mint).await,
    );
    let keeper = b.m.chain.funded_keypair(1_000_000_000).await;
    assert_backstop_error(
        b.liquidate_with_backstop(&keeper, &victim).await,
        BackstopError::NoLiquidity,
    );
    let after = (
        b.m.chain.account(account).await.unwrap().data,
        b.vaults().await,
        b.m.vault(b.m.btc_mint).await,
        b.m.vault(b.m.usdc_mint).await,
    );
    assert_eq!(before, after);

    // The open liquidation: 1.02 × repaid value in BTC at spot, no deeper.
    let liq = b.m.liquidator(100_000 * USDC).await.unwrap();
    let ok = b.m.liquidate(&liq, &victim).await.unwrap();
    let ev = &events::decode::<margin::events::Liquidated>(&ok.logs)[0];
    let at_fee = ev.repaid as u128 * 102 * BTC as u128 / (100 * 24_000 * USDC as u128);
    assert!(ev.seized as u128 <= at_fee + 1);
}
