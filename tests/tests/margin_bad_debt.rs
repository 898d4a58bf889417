//! Bad debt: once liquidation has taken all of an account's collateral,
//! the debt left is written off, paid by the insurance fund first and
//! only then shared by the lenders in proportion to their deposits, to the
//! token unit. Later depositors bear none of it.

use margin::errors::MarginError;
use margin::events::BadDebtWrittenOff;
use rampart_tests::margin_world::*;
use rampart_tests::*;

/// Two lenders (3:1), a borrower with 1 BTC owing 20,000 USDC, 1,000 USDC
/// in the insurance fund, and BTC walked down to 16,000: the account's
/// collateral is worth less than its debt.
async fn underwater() -> (MarginMarket, User, User, User) {
    let mut m = MarginMarket::new().await.unwrap();
    let a = m.lender(60_000 * USDC, 60_000 * USDC).await.unwrap();
    let b = m.lender(20_000 * USDC, 20_000 * USDC).await.unwrap();
    let borrower = m.leveraged_borrower(BTC, 20_000 * USDC).await.unwrap();
    m.fund_usdc_insurance(1_000 * USDC).await.unwrap();
    m.hold(22_000.0, 25).await.unwrap();
    m.hold(16_000.0, 25).await.unwrap();
    (m, a, b, borrower)
}

#[tokio::test]
async fn insurance_pays_first_then_lenders_share_the_rest() {
    let (mut m, a, b, borrower) = underwater().await;
    let usdc = m.usdc_mint;
    let account = rampart_sdk::pda::margin::account(&borrower.key.pubkey(), 0);

    // While the account holds collateral its debt is not bad debt yet.
    assert_margin_error(
        m.write_off_usdc_debt(&borrower).await,
        MarginError::AccountHasCollateral,
    );
    assert_eq!(m.insurance(usdc).await, 1_000 * USDC);

    // Liquidation takes every satoshi: 1 BTC at 16,000 pays for 16,000 / 1.02
    // of debt (the 2% fee), leaving the rest owed with nothing behind it.
    let liq = m.liquidator(100_000 * USDC).await.unwrap();
    let liquidated = m.liquidate(&liq, &borrower).await.unwrap();
    let repaid = events::decode::<margin::events::Liquidated>(&liquidated.logs)[0].repaid;
    assert_eq!(m.deposit_worth(&borrower, m.btc_mint).await, 0);
    assert!(!m.account(&borrower).await.has_deposits());
    assert_eq!(repaid, 15_686_274_510, "16,000 / 1.02, rounded up");
    // What is left is the principal not repaid plus the interest the loan
    // accrued while the price fell (the only loan: the bank's interest).
    let debt = m.debt(&borrower, usdc).await;
    let interest = m.bank(usdc).await.interest_accrued;
    assert!(interest > 0);
    assert!(
        (debt + repaid).abs_diff(20_000 * USDC + interest) <= 1,
        "debt {debt} + repaid {repaid} != principal + interest {interest}"
    );

    let pending_before = m.bank(usdc).await.pending_fees;
    let ok = m.write_off_usdc_debt(&borrower).await.unwrap();
    let ev = &events::decode::<BadDebtWrittenOff>(&ok.logs)[0];
    assert_eq!(ev.account, account);
    assert_eq!(ev.debt, debt);
    // The fund pays first: its 1,000 USDC, then the fees it booked on this
    // bank's interest and had not swept yet; the lenders the rest.
    let fees_before = pending_before;
    assert_eq!(ev.from_insurance, 1_000 * USDC);
    assert_eq!(ev.from_fees, fees_before);
    assert!(ev.from_fees > 0);
    assert_eq!(ev.socialised, debt - 1_000 * USDC - ev.from_fees);
    assert_eq!(m.insurance(usdc).await, 0);
    assert_eq!(m.debt(&borrower, usdc).await, 0);
    let bank = m.bank(usdc).await;
    assert_eq!(bank.total_borrows().unwrap(), 0);
    // Lenders had earned the interest less the fund's part; the loss comes
    // out of that.
    let earned = bank.interest_accrued - bank.fees_accrued;
    assert_eq!(bank.total_deposits, 80_000 * USDC + earned - ev.socialised);
    assert_eq!(bank.total_deposit_shares, 80_000 * USDC);
    assert_eq!(ev.total_deposits_after, bank.total_deposits);

    // Each lender loses in proportion: 3/4 and 1/4 of the pool.
    let worth_a = m.deposit_worth(&a, usdc).await;
    let worth_b = m.deposit_worth(&b, usdc).await;
    assert_eq!(worth_a, bank.total_deposits * 3 / 4);
    assert_eq!(worth_b, bank.total_deposits / 4);
    assert!(worth_a < 60_000 * USDC && worth_b < 20_000 * USDC);
    assert!(worth_a + worth_b <= bank.total_deposits);
    // The vault holds exactly what the lenders and the fund are owed.
    assert_eq!(m.vault(usdc).await, bank.total_deposits + bank.pending_fees);

    // Asking for a unit more than the share is worth is refused; the exact
    // worth is paid, and the position is then empty.
    let too_much = m.flow(&a, usdc, false, true).withdraw(worth_a + 1);
    assert_margin_error(
        m.send_as(&a, too_much).await,
        MarginError::InsufficientDeposit,
    );
    for (lender, worth) in [(&a, worth_a), (&b, worth_b)] {
        let ix = m.flow(lender, usdc, false, true).withdraw(worth);
        m.send_as(lender, ix).await.unwrap();
        assert_eq!(m.tokens(lender.usdc).await, worth);
    }
    // The last lender's shares are the whole pool: the unit A's rounding
    // left behind is B's, and then the lenders together have received
    // exactly what they were owed after the loss: their principal and the
    // interest they earned, less the socialised debt.
    let rest = m.deposit_worth(&b, usdc).await;
    assert!(rest <= 1);
    if rest > 0 {
        let ix = m.flow(&b, usdc, false, true).withdraw(rest);
        m.send_as(&b, ix).await.unwrap();
    }
    assert_eq!(
        m.tokens(a.usdc).await + m.tokens(b.usdc).await,
        80_000 * USDC + earned - ev.socialised
    );
    // The fund's fees went to the loss: nothing is left for it to sweep.
    assert_eq!(m.bank(usdc).await.pending_fees, 0);
    assert_eq!(m.vault(usdc).await, 0);
    for lender in [&a, &b] {
        assert!(m.account(lender).await.active().next().is_none());
    }

    // Written off once: nothing left to write off.
    assert_margin_error(m.write_off_usdc_debt(&borrower).await, MarginError::NoDebt);
}

#[tokio::test]
async fn a_later_depositor_bears_none_of_an_earlier_loss() {
    let (mut m, _a, _b, borrower) = underwater().await;
    let liq = m.liquidator(100_000 * USDC).await.unwrap();
    m.liquidate(&liq, &borrower).await.unwrap();
    m.write_off_usdc_debt(&borrower).await.unwrap();
    let usdc = m.usdc_mint;
    let c = m.lender(10_000 * USDC, 10_000 * USDC).await.unwrap();
    let worth = m.deposit_worth(&c, usdc).await;
    assert!(
        10_000 * USDC - worth <= 1,
        "a new deposit is worth what was paid in (less a unit of rounding): {worth}"
    );
}

/// Everything a write-off could move: the USDC fund and vault, the
/// account's positions and the USDC bank's bytes.
async fn usdc_books(m: &mut MarginMarket, who: &User) -> (u64, u64, String, Vec<u8>) {
    let (usdc, bank) = (m.usdc_mint, m.usdc_bank());
    (
        m.insurance(usdc).await,
        m.vault(usdc).await,
        format!("{:?}", m.account(who).await.positions),
        m.chain.account(bank).await.unwrap().data,
    )
}

#[tokio::test]
async fn write_off_rejects_foreign_accounts_and_moves_nothing() {
    let (mut m, _a, _b, borrower) = underwater().await;
    let liq = m.liquidator(100_000 * USDC).await.unwrap();
    m.liquidate(&liq, &borrower).await.unwrap();
    let usdc = m.usdc_mint;
    let account = rampart_sdk::pda::margin::account(&borrower.key.pubkey(), 0);
    let before = usdc_books(&mut m, &borrower).await;

    // The BTC bank's insurance vault in place of the USDC bank's.
    let mut ix = rampart_sdk::margin_ix::write_off_bad_debt(account, usdc, &[]);
    ix.accounts[3].pubkey = rampart_sdk::pda::margin::insurance(&m.btc_bank());
    assert_anchor_error(
        m.chain.send(&[ix], &[]).await,
        anchor_lang::error::ErrorCode::ConstraintHasOne,
    );
    // The right bank with another bank's vault.
    let mut ix = rampart_sdk::margin_ix::write_off_bad_debt(account, usdc, &[]);
    ix.accounts[2].pubkey = rampart_sdk::pda::margin::vault(&m.btc_bank());
    assert_anchor_error(
        m.chain.send(&[ix], &[]).await,
        anchor_lang::error::ErrorCode::ConstraintHasOne,
    );
    // A bank the account owes nothing to.
    let ix = rampart_sdk::margin_ix::write_off_bad_debt(account, m.btc_mint, &[]);
    assert_margin_error(m.chain.send(&[ix], &[]).await, MarginError::NoDebt);
    // A margin account copied under another owner program is not an account.
    let mut forged = m.chain.account(account).await.unwrap();
    forged.owner = pricing::ID;
    let fake = anchor_lang::prelude::Pubkey::new_unique();
    m.chain.set_account(fake, forged);
    let ix = rampart_sdk::margin_ix::write_off_bad_debt(fake, usdc, &[]);
    assert_anchor_error(
        m.chain.send(&[ix], &[]).await,
        anchor_lang::error::ErrorCode::AccountOwnedByWrongProgram,
    );

    assert_eq!(usdc_books(&mut m, &borrower).await, before);
}
