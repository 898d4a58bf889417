//! Interest through the real margin program: a quiet borrower drifts into
//! liquidation on interest alone; accrual, repayment and debt-free
//! withdrawals need no price; the rate curve is governed (bounds,
//! authority, timelock) and applies forward only; 100% utilisation accrues
//! at the cap; and the permissionless `accrue` rejects foreign accounts
//! without moving a token. Every event checked carries the rates and indices.

use anchor_lang::error::ErrorCode;
use margin::errors::MarginError;
use margin::events::{FeesSwept, InterestAccrued};
use margin::state::{BankParams, InterestParams};
use rampart_sdk::margin_ix;
use rampart_tests::margin_world::*;
use rampart_tests::*;
use risk_math::interest::{RateModel, SECONDS_PER_YEAR};

const W: u64 = 1_000_000_000_000_000_000;
const DAY: i64 = 86_400;

async fn gov_send(m: &mut MarginMarket, ix: solana_sdk::instruction::Instruction) -> TxResult {
    let g = m.ops.governance.insecure_clone();
    m.chain.send(&[ix], &[&g]).await
}

async fn accrue(m: &mut MarginMarket, mint: Pubkey) -> TxSuccess {
    m.chain
        .send(&[margin_ix::accrue(mint)], &[])
        .await
        .expect("accrue")
}

fn accrued(ok: &TxSuccess) -> InterestAccrued {
    events::decode::<InterestAccrued>(&ok.logs)
        .pop()
        .expect("an InterestAccrued event")
}

/// The annual borrow rate `bank`'s curve gives at `utilization`.
fn rate(params: &InterestParams, utilization: u128) -> u128 {
    params.to_math().borrow_rate(utilization).unwrap()
}

use solana_sdk::pubkey::Pubkey;

/// The bytes of both banks and their four token accounts.
async fn snapshot(m: &mut MarginMarket) -> Vec<Option<Vec<u8>>> {
    let mut out = vec![];
    for bank in [m.usdc_bank(), m.btc_bank()] {
        for k in [
            bank,
            pda::margin::vault(&bank),
            pda::margin::insurance(&bank),
        ] {
            out.push(m.chain.account(k).await.map(|a| a.data));
        }
    }
    out
}

#[tokio::test]
async fn interest_alone_makes_a_quiet_borrower_liquidatable() {
    let mut m = MarginMarket::new().await.unwrap();
    let usdc = m.usdc_mint;
    // 22,000 USDC supplied, 21,000 borrowed against 1 BTC at 30,000:
    // 95.5% utilisation, on USDC's steep slope (8% + 100% × 15.5/20 = 85%).
    let lender = m.lender(22_000 * USDC, 22_000 * USDC).await.unwrap();
    let borrower = m.leveraged_borrower(BTC, 21_000 * USDC).await.unwrap();
    let liquidator = m.liquidator(100_000 * USDC).await.unwrap();
    let expected_rate = rate(&usdc_interest(), 21 * W as u128 / 22);
    assert!(expected_rate > 85 * W as u128 / 100 && expected_rate < 86 * W as u128 / 100);

    // A month on the price has not moved: the debt grew ~7%, the account
    // is still above maintenance (27,000 of BTC after the 10% haircut vs
    // debt × 1.05), and nobody can liquidate it.
    m.chain.advance(30 * DAY);
    m.hold(30_000.0, 25).await.unwrap();
    let debt = m.debt(&borrower, usdc).await;
    assert!(debt > 22_400 * USDC && debt < 22_600 * USDC, "debt {debt}");
    assert_margin_error(
        m.liquidate(&liquidator, &borrower).await,
        MarginError::AccountHealthy,
    );

    // Three more months, still at 30,000, and the borrower never signed a
    // thing: debt × 1.05 is now above 27,000. Liquidatable on interest.
    m.chain.advance(90 * DAY);
    m.hold(30_000.0, 25).await.unwrap();
    let debt = m.debt(&borrower, usdc).await;
    assert!(
        debt as u128 * 105 > 27_000 * USDC as u128 * 100,
        "debt {debt}"
    );
    let ok = m.liquidate(&liquidator, &borrower).await.unwrap();
    let ev = &events::decode::<margin::events::Liquidated>(&ok.logs)[0];
    assert!(ev.maint_margin_before < 0 && ev.maint_margin_after > ev.maint_margin_before);
    // The liquidation accrued the bank first: its event says at what rate.
    let a = accrued(&ok);
    assert_eq!(a.borrow_rate, rate(&usdc_interest(), a.utilization));
    assert!(a.utilization > 95 * W as u128 / 100);
    let bank = m.bank(usdc).await;
    assert_eq!(a.borrow_index, bank.borrow_index);
    // Repaid debt burns scaled units rounded down: at most a unit stays owed.
    let left = m.debt(&borrower, usdc).await;
    assert!(left >= debt - ev.repaid && left <= debt - ev.repaid + 1);
    // The lender's deposit earned the interest less the fund's tenth.
    let worth = m.deposit_worth(&lender, usdc).await;
    let interest = bank.interest_accrued;
    assert_eq!(worth, 22_000 * USDC + interest - bank.fees_accrued);
    assert_eq!(bank.fees_accrued, interest.div_ceil(10).min(interest));
}

#[tokio::test]
async fn accrual_repayment_and_free_withdrawals_need_no_price() {
    let mut m = MarginMarket::new().await.unwrap();
    let (btc, usdc) = (m.btc_mint, m.usdc_mint);
    let lender = m.lender(100_000 * USDC, 100_000 * USDC).await.unwrap();
    let borrower = m.leveraged_borrower(BTC, 15_000 * USDC).await.unwrap();
    // Both feeds go stale and governance halts BTC.
    m.chain.advance(7 * DAY);
    let gov = m.ops.governance.insecure_clone();
    let ix = rampart_sdk::pricing_ix::set_status(gov.pubkey(), m.btc_feed, 2);
    m.chain.send(&[ix], &[&gov]).await.unwrap();
    let borrow = m.flow(&borrower, usdc, true, true);
    assert_error(
        m.send_as(&borrower, borrow.borrow(USDC)).await,
        PricingError::FeedHalted,
    );

    // Accrual needs no price: a week of interest at 15% utilisation.
    let ok = accrue(&mut m, usdc).await;
    let a = accrued(&ok);
    assert_eq!(a.secs as i64, 7 * DAY);
    let u = 15 * W as u128 / 100;
    assert_eq!(a.utilization, u);
    assert_eq!(a.borrow_rate, rate(&usdc_interest(), u));
    assert_eq!(
        a.deposit_rate,
        usdc_interest().to_math().deposit_rate(u).unwrap()
    );
    assert!(a.interest > 0 && a.to_fund == a.interest.div_ceil(10));
    let swept = events::decode::<FeesSwept>(&ok.logs)[0].amount;
    assert_eq!(swept, a.to_fund);
    assert_eq!(m.insurance(usdc).await, swept);

    // Repaying all of it, interest included, needs no price either; then
    // the BTC that backs nothing comes out.
    let owed = m.debt(&borrower, usdc).await;
    assert_eq!(owed, 15_000 * USDC + a.interest);
    m.fund(&borrower, usdc, a.interest).await;
    m.send_as(&borrower, borrow.repay(owed)).await.unwrap();
    assert_eq!(m.debt(&borrower, usdc).await, 0);
    let out = m.flow(&borrower, btc, false, false).withdraw(BTC);
    m.send_as(&borrower, out).await.unwrap();
    assert_eq!(m.tokens(borrower.btc).await, BTC);
    // The lender leaves with principal and interest, less the fund's part.
    let worth = m.deposit_worth(&lender, usdc).await;
    assert_eq!(worth, 100_000 * USDC + a.interest - a.to_fund);
    let out = m.flow(&lender, usdc, false, false).withdraw(worth);
    m.send_as(&lender, out).await.unwrap();
    assert_eq!(m.tokens(lender.usdc).await, worth);
    assert_eq!(m.vault(usdc).await, 0);
}

#[tokio::test]
async fn rate_parameters_are_bounded_governed_and_apply_forward() {
    let mut m = MarginMarket::new().await.unwrap();
    let (gov, usdc) = (m.ops.governance.pubkey(), m.usdc_mint);
    let _lender = m.lender(100_000 * USDC, 100_000 * USDC).await.unwrap();
    let _borrower = m.leveraged_borrower(2 * BTC, 40_000 * USDC).await.unwrap();
    let base = usdc_interest();
    let with = |interest: InterestParams| BankParams {
        interest,
        ..usdc_params()
    };
    let before = format!("{:?}", m.bank(usdc).await);

    // Each bound, refused at queue time with the exact error.
    let out_of_bounds = [
        InterestParams {
            optimal_utilization: 0,
            ..base
        },
        InterestParams {
            optimal_utilization: W,
            ..base
        },
        InterestParams {
            max_rate: 3 * W + 1,
            ..base
        },
        InterestParams {
            base_rate: base.max_rate + 1,
            ..base
        },
        InterestParams {
            slope_low: base.slope_high + 1,
            ..base
        },
        InterestParams {
            slope_high: 10 * W + 1,
            ..base
        },
        InterestParams {
            protocol_fee: W / 2 + 1,
            ..base
        },
    ];
    for bad in out_of_bounds {
        assert_margin_error(
            gov_send(&mut m, margin_ix::queue_bank_params(gov, usdc, with(bad))).await,
            MarginError::ParamOutOfBounds,
        );
    }
    // Someone else's signature.
    let steeper = InterestParams {
        slope_low: 2 * base.slope_low,
        ..base
    };
    let intruder = m.chain.funded_keypair(1_000_000_000).await;
    let ix = margin_ix::queue_bank_params(intruder.pubkey(), usdc, with(steeper));
    assert_margin_error(
        m.chain.send(&[ix], &[&intruder]).await,
        MarginError::Unauthorized,
    );
    assert_eq!(
        format!("{:?}", m.bank(usdc).await),
        before,
        "bank unchanged"
    );

    // Queued, then applied only after the timelock.
    gov_send(
        &mut m,
        margin_ix::queue_bank_params(gov, usdc, with(steeper)),
    )
    .await
    .unwrap();
    m.chain.advance(3_599);
    assert_margin_error(
        m.chain
            .send(&[margin_ix::apply_bank_params(usdc)], &[])
            .await,
        MarginError::TimelockNotElapsed,
    );
    assert_eq!(m.bank(usdc).await.params.interest, base);
    m.chain.advance(1);
    let ok = m
        .chain
        .send(&[margin_ix::apply_bank_params(usdc)], &[])
        .await
        .unwrap();
    // The hour before the change accrued at the old curve...
    let a = accrued(&ok);
    let u = 40 * W as u128 / 100;
    assert_eq!((a.secs, a.utilization), (3_600, u));
    assert_eq!(a.borrow_rate, rate(&base, u));
    assert_eq!(m.bank(usdc).await.params.interest, steeper);
    // ...and the next hour at the new one, twice the rate.
    m.chain.advance(3_600);
    let a = accrued(&accrue(&mut m, usdc).await);
    assert_eq!(a.borrow_rate, rate(&steeper, a.utilization));
    assert!(a.borrow_rate.abs_diff(2 * rate(&base, a.utilization)) <= 1);
}

#[tokio::test]
async fn full_utilisation_accrues_at_the_top_of_the_curve_and_lenders_wait() {
    let mut m = MarginMarket::new().await.unwrap();
    let usdc = m.usdc_mint;
    let lender = m.lender(10_000 * USDC, 10_000 * USDC).await.unwrap();
    let borrower = m.leveraged_borrower(BTC, 10_000 * USDC).await.unwrap();
    assert_eq!(m.vault(usdc).await, 0);
    m.chain.advance(DAY);
    let ok = accrue(&mut m, usdc).await;
    let a = accrued(&ok);
    assert_eq!(a.utilization, W as u128);
    // 0% + 8% + 100% = 108% a year at 100% utilisation (under the 150% cap).
    let top = rate(&usdc_interest(), W as u128);
    assert_eq!((a.borrow_rate, top), (top, 108 * W as u128 / 100));
    // A day of it, compounded per second: 10,000 × (e^(1.08/365) - 1).
    let model: RateModel = usdc_interest().to_math();
    let factor = risk_math::interest::compound(
        risk_math::interest::per_second(model.borrow_rate(W as u128).unwrap()),
        DAY as u64,
    )
    .unwrap();
    let expected = (10_000 * USDC as u128 * factor).div_ceil(W as u128) as u64 - 10_000 * USDC;
    assert!(
        a.interest.abs_diff(expected) <= 1,
        "{} vs {expected}",
        a.interest
    );
    assert!(a.interest > 29 * USDC && a.interest < 30 * USDC);
    // Nothing to sweep: every token is lent out; the fund is owed it.
    assert!(events::decode::<FeesSwept>(&ok.logs).is_empty());
    assert_eq!(m.bank(usdc).await.pending_fees, a.to_fund);
    // A lender cannot leave while everything is lent: the steep rate is
    // what makes borrowers repay.
    let out = m.flow(&lender, usdc, false, false).withdraw(USDC);
    assert_margin_error(
        m.send_as(&lender, out).await,
        MarginError::InsufficientLiquidity,
    );
    assert_eq!(m.tokens(lender.usdc).await, 0);
    // A year untouched at the top of the curve neither overflows nor
    // stalls the bank: e^1.08 ≈ 2.9 times the debt.
    m.chain.advance(SECONDS_PER_YEAR as i64);
    let a = accrued(&accrue(&mut m, usdc).await);
    assert_eq!(a.borrow_rate, top);
    let debt = m.debt(&borrower, usdc).await;
    assert!(debt > 29_000 * USDC && debt < 30_000 * USDC, "{debt}");
}

#[tokio::test]
async fn accrue_rejects_foreign_vaults_and_moves_nothing() {
    let mut m = MarginMarket::new().await.unwrap();
    let (btc, usdc) = (m.btc_mint, m.usdc_mint);
    let _lender = m.lender(100_000 * USDC, 100_000 * USDC).await.unwrap();
    let _borrower = m.leveraged_borrower(BTC, 20_000 * USDC).await.unwrap();
    m.chain.advance(DAY);
    let (usdc_bank, btc_bank) = (m.usdc_bank(), m.btc_bank());
    let before = snapshot(&mut m).await;
    // The fund's fees swept into the lenders' vault, or out of another
    // bank's vault; and another bank's insurance vault as the destination.
    let cases = [
        (2, pda::margin::vault(&usdc_bank)),
        (1, pda::margin::vault(&btc_bank)),
        (2, pda::margin::insurance(&btc_bank)),
    ];
    for (index, substitute) in cases {
        let mut ix = margin_ix::accrue(usdc);
        ix.accounts[index].pubkey = substitute;
        assert_anchor_error(m.chain.send(&[ix], &[]).await, ErrorCode::ConstraintHasOne);
    }
    // A bank that is not a bank PDA: the BTC bank's vault in its place.
    let mut ix = margin_ix::accrue(btc);
    ix.accounts[0].pubkey = pda::margin::vault(&btc_bank);
    assert!(m.chain.send(&[ix], &[]).await.is_err());
    assert_eq!(snapshot(&mut m).await, before, "nothing moved");
    accrue(&mut m, usdc).await;
    assert_ne!(snapshot(&mut m).await, before);
}

/// Review findings on interest, each shown doing harm before its fix:
/// tokens sent straight to a vault were lent out (debt beyond what lenders
/// supplied, which no write-off could then absorb); a deposit smaller than
/// a share's worth minted nothing and was given to the pool.
#[tokio::test]
async fn donated_tokens_are_not_lent_and_sub_share_deposits_are_refused() {
    let mut m = MarginMarket::new().await.unwrap();
    let usdc = m.usdc_mint;
    let lender = m.lender(10_000 * USDC, 10_000 * USDC).await.unwrap();
    let borrower = m.leveraged_borrower(BTC, 10_000 * USDC).await.unwrap();
    // 5,000 USDC arrive in the vault outside any instruction.
    let vault = pda::margin::vault(&m.usdc_bank());
    let authority = m.mint_authority.insecure_clone();
    rampart_embedded::spl::mint_to(&mut m.chain, &usdc, &authority, &vault, 5_000 * USDC)
        .await
        .unwrap();
    let before = snapshot(&mut m).await;
    let held = m.tokens(borrower.usdc).await;
    let borrow = m.flow(&borrower, usdc, true, true).borrow(1_000 * USDC);
    assert_margin_error(
        m.send_as(&borrower, borrow).await,
        MarginError::InsufficientLiquidity,
    );
    assert_eq!(snapshot(&mut m).await, before);
    assert_eq!(m.tokens(borrower.usdc).await, held);

    // A day of interest: a share is now worth more than one token unit.
    m.chain.advance(DAY);
    m.hold(30_000.0, 25).await.unwrap();
    accrue(&mut m, usdc).await;
    let bank = m.bank(usdc).await;
    assert!(bank.total_deposits > bank.total_deposit_shares);
    let dust = m.user(0, 1).await.unwrap();
    let before = snapshot(&mut m).await;
    let deposit = m.flow(&dust, usdc, false, true).deposit(1);
    assert_margin_error(
        m.send_as(&dust, deposit).await,
        MarginError::DepositBelowOneShare,
    );
    assert_eq!(snapshot(&mut m).await, before);
    assert_eq!(m.tokens(dust.usdc).await, 1);

    // `u64::MAX` repays exactly what is owed, whatever the second.
    let owed = m.debt(&borrower, usdc).await;
    m.fund(&borrower, usdc, owed - 10_000 * USDC).await;
    let held = m.tokens(borrower.usdc).await;
    let repay = m.flow(&borrower, usdc, true, true).repay(u64::MAX);
    m.send_as(&borrower, repay).await.unwrap();
    assert_eq!(m.debt(&borrower, usdc).await, 0);
    assert_eq!(m.tokens(borrower.usdc).await, held - owed);
    // And with no debt left, u64::MAX is refused, not a zero repayment.
    let repay = m.flow(&borrower, usdc, true, true).repay(u64::MAX);
    assert_margin_error(
        m.send_as(&borrower, repay).await,
        MarginError::RepayExceedsDebt,
    );
    // The lender's deposit earned the interest less the fund's part.
    assert!(m.deposit_worth(&lender, usdc).await > 10_000 * USDC);
}
