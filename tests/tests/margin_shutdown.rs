//! Emergency shutdown winds margin down at one price for everyone: each
//! bank's settlement price is fixed once at its feed's last valid TWAP
//! (even on a feed halted since), every debt is settled against its
//! collateral at those prices, bad debt is written off, and then every
//! user withdraws exactly what they are owed.

use margin::errors::MarginError;
use margin::events::{PositionSettled, SettlementPriceFixed};
use margin::state::MarginStatus;
use rampart_sdk::margin_ix;
use rampart_tests::margin_world::*;
use rampart_tests::*;

const WAD: u128 = 1_000_000_000_000_000_000;

struct WindDown {
    m: MarginMarket,
    lender: User,
    /// 2 BTC owing 30,000 USDC: solvent at 25,000.
    solvent: User,
    /// 1 BTC owing 28,000 USDC: underwater at 25,000.
    underwater: User,
    settler: User,
}

/// Borrowed at 40,000; BTC walked down to 25,000 with nobody liquidating;
/// 1,000 USDC in the insurance fund.
async fn before_shutdown() -> WindDown {
    let mut m = MarginMarket::new().await.unwrap();
    m.hold(40_000.0, 25).await.unwrap();
    let lender = m.lender(100_000 * USDC, 100_000 * USDC).await.unwrap();
    let solvent = m.leveraged_borrower(2 * BTC, 30_000 * USDC).await.unwrap();
    let underwater = m.leveraged_borrower(BTC, 28_000 * USDC).await.unwrap();
    m.fund_usdc_insurance(1_000 * USDC).await.unwrap();
    m.hold(32_000.0, 25).await.unwrap();
    m.hold(25_000.0, 25).await.unwrap();
    let settler = m.liquidator(100_000 * USDC).await.unwrap();
    WindDown {
        m,
        lender,
        solvent,
        underwater,
        settler,
    }
}

async fn shut_down(m: &mut MarginMarket) {
    let gov = m.ops.governance.insecure_clone();
    let ix = margin_ix::set_margin_status(gov.pubkey(), MarginStatus::Shutdown);
    m.chain.send(&[ix], &[&gov]).await.unwrap();
}

/// Governance halts the BTC feed: spot can no longer be read.
async fn halt_btc_feed(m: &mut MarginMarket) {
    let gov = m.ops.governance.insecure_clone();
    let ix = ix::set_status(gov.pubkey(), m.btc_feed, 2);
    m.chain.send(&[ix], &[&gov]).await.unwrap();
}

#[tokio::test]
async fn shutdown_settles_at_the_last_valid_twap_and_pays_everyone() {
    let WindDown {
        mut m,
        lender,
        solvent,
        underwater,
        settler,
    } = before_shutdown().await;
    let (btc, usdc) = (m.btc_mint, m.usdc_mint);

    // Nothing settles while margin is running.
    assert_margin_error(m.fix_settlement_prices().await, MarginError::NotShutDown);
    assert_margin_error(m.settle(&settler, &solvent).await, MarginError::NotShutDown);

    shut_down(&mut m).await;
    halt_btc_feed(&mut m).await;
    m.chain.advance(3_600);
    // Liquidation at spot is over (and the feed is halted anyway); settling
    // needs the prices fixed first; lenders wait until every loan is settled.
    assert_margin_error(
        m.liquidate(&settler, &underwater).await,
        MarginError::ProtocolStatusForbids,
    );
    assert_margin_error(
        m.settle(&settler, &solvent).await,
        MarginError::SettlementPriceNotFixed,
    );
    let withdraw_all = m.flow(&lender, usdc, false, true).withdraw(USDC);
    assert_margin_error(
        m.send_as(&lender, withdraw_all).await,
        MarginError::SettlementPending,
    );

    // An hour after the halt, the last valid TWAP of the halted feed is
    // still 25,000: the price its source last published for 6 minutes.
    let ok = m.fix_settlement_prices().await.unwrap();
    let fixed = events::decode::<SettlementPriceFixed>(&ok.logs);
    assert_eq!(fixed[0].price, 25_000 * WAD);
    assert_eq!(fixed[1].price, WAD);
    assert!(fixed[0].twap_ends_at < m.chain.clock().unix_timestamp - 3_600 + 1);
    assert_margin_error(
        m.fix_settlement_prices().await,
        MarginError::SettlementPriceAlreadyFixed,
    );

    // The solvent account: 30,000 USDC of debt with the interest it
    // accrued (loans cost interest until repaid, shutdown or not; lenders'
    // money is still lent) for BTC at 25,000 exactly, rounded up: 1.2 BTC
    // and a little.
    let debt = m.debt(&solvent, usdc).await;
    assert!(debt > 30_000 * USDC);
    let ok = m.settle(&settler, &solvent).await.unwrap();
    let ev = &events::decode::<PositionSettled>(&ok.logs)[0];
    assert_eq!(
        (ev.repaid, ev.seized, ev.debt_left),
        (debt, debt.div_ceil(250), 0)
    );
    let (solvent_debt, solvent_seized) = (debt, ev.seized);
    // The underwater one: all its BTC for the 25,000 USDC it is worth.
    let debt = m.debt(&underwater, usdc).await;
    let ok = m.settle(&settler, &underwater).await.unwrap();
    let ev = &events::decode::<PositionSettled>(&ok.logs)[0];
    assert_eq!(
        (ev.repaid, ev.seized, ev.debt_left),
        (25_000 * USDC, BTC, debt - 25_000 * USDC)
    );
    let left = ev.debt_left;
    assert_margin_error(
        m.settle(&settler, &underwater).await,
        MarginError::NothingToLiquidate,
    );
    // Its 3,000 USDC and interest left: 1,000 from the fund, the rest
    // shared by the lender (out of the interest it earned, first).
    let ok = m.write_off_usdc_debt(&underwater).await.unwrap();
    let off = &events::decode::<margin::events::BadDebtWrittenOff>(&ok.logs)[0];
    assert_eq!((off.debt, off.from_insurance), (left, 1_000 * USDC));
    assert_eq!(off.socialised, left - 1_000 * USDC - off.from_fees);
    assert_eq!(m.insurance(usdc).await, 0);
    let bank = m.bank(usdc).await;
    assert_eq!(bank.total_borrows().unwrap(), 0);
    let earned = bank.interest_accrued - bank.fees_accrued;

    // Now everyone leaves with what they are owed, with no price read.
    let owed = m.deposit_worth(&lender, usdc).await;
    assert_eq!(owed, 100_000 * USDC + earned - off.socialised);
    let ix = m.flow(&lender, usdc, false, false).withdraw(owed);
    m.send_as(&lender, ix).await.unwrap();
    assert_eq!(m.tokens(lender.usdc).await, owed);
    let ix = m
        .flow(&solvent, btc, false, false)
        .withdraw(2 * BTC - solvent_seized);
    m.send_as(&solvent, ix).await.unwrap();
    assert_eq!(m.tokens(solvent.btc).await, 2 * BTC - solvent_seized);
    assert_eq!(m.tokens(settler.btc).await, BTC + solvent_seized);
    assert_eq!(
        m.tokens(settler.usdc).await,
        100_000 * USDC - solvent_debt - 25_000 * USDC
    );
    // The fund's interest (and the units loans' rounding left it) is
    // swept to the insurance vault.
    let pending = m.bank(usdc).await.pending_fees;
    // The fund's fees (and the units loans' rounding left it), less those
    // the write-off took.
    let booked = pending + off.from_fees;
    assert!(booked >= bank.fees_accrued && booked <= bank.fees_accrued + 4);
    m.chain.send(&[margin_ix::accrue(usdc)], &[]).await.unwrap();
    assert_eq!(m.insurance(usdc).await, pending);
    // Both vaults are empty: every token went to someone it was owed to.
    assert_eq!((m.vault(btc).await, m.vault(usdc).await), (0, 0));
    // Deposits stay closed.
    let deposit = m.flow(&lender, usdc, false, true).deposit(USDC);
    assert_margin_error(
        m.send_as(&lender, deposit).await,
        MarginError::ProtocolStatusForbids,
    );
}

#[tokio::test]
async fn settlement_rejects_wrong_accounts_and_moves_nothing() {
    let WindDown {
        mut m,
        solvent,
        settler,
        ..
    } = before_shutdown().await;
    shut_down(&mut m).await;
    // A feed that is not the bank's.
    let ix = margin_ix::fix_settlement_price(m.btc_mint, m.usdc_feed, None);
    assert_margin_error(m.chain.send(&[ix], &[]).await, MarginError::WrongFeed);
    m.fix_settlement_prices().await.unwrap();

    let before = (
        m.tokens(settler.usdc).await,
        m.vault(m.btc_mint).await,
        format!("{:?}", m.account(&solvent).await.positions),
    );
    // Paying with BTC where USDC is owed.
    let mut l = m.liquidation(&settler, &solvent);
    l.liquidator_liability_token = settler.btc;
    let ix = margin_ix::settle_position(&l);
    assert_margin_error(m.send_as(&settler, ix).await, MarginError::WrongMint);
    // The same bank on both sides.
    let mut l = m.liquidation(&settler, &solvent);
    l.collateral_mint = m.usdc_mint;
    l.liquidator_collateral_token = settler.usdc;
    let ix = margin_ix::settle_position(&l);
    assert_margin_error(
        m.send_as(&settler, ix).await,
        MarginError::NothingToLiquidate,
    );
    // Another bank's vault as the collateral vault.
    let mut ix = margin_ix::settle_position(&m.liquidation(&settler, &solvent));
    ix.accounts[6].pubkey = rampart_sdk::pda::margin::vault(&m.usdc_bank());
    assert_anchor_error(
        m.send_as(&settler, ix).await,
        anchor_lang::error::ErrorCode::ConstraintAddress,
    );
    // The settler must sign.
    let mut ix = margin_ix::settle_position(&m.liquidation(&settler, &solvent));
    ix.accounts[1].is_signer = false;
    let payer = m.chain.payer().insecure_clone();
    let r = m.chain.send(&[ix], &[&payer]).await;
    assert_anchor_error(r, anchor_lang::error::ErrorCode::AccountNotSigner);

    let after = (
        m.tokens(settler.usdc).await,
        m.vault(m.btc_mint).await,
        format!("{:?}", m.account(&solvent).await.positions),
    );
    assert_eq!(after, before);
}

#[tokio::test]
async fn a_new_shutdown_needs_new_settlement_prices() {
    let WindDown {
        mut m,
        solvent,
        settler,
        ..
    } = before_shutdown().await;
    shut_down(&mut m).await;
    m.fix_settlement_prices().await.unwrap();
    // Governance resumes; BTC recovers to 35,000; a second shutdown must not
    // settle at the first one's 25,000.
    let gov = m.ops.governance.insecure_clone();
    let ix = margin_ix::set_margin_status(gov.pubkey(), MarginStatus::Active);
    m.chain.send(&[ix], &[&gov]).await.unwrap();
    m.hold(30_000.0, 25).await.unwrap();
    m.hold(35_000.0, 25).await.unwrap();
    shut_down(&mut m).await;
    assert_margin_error(
        m.settle(&settler, &solvent).await,
        MarginError::SettlementPriceNotFixed,
    );
    let ok = m.fix_settlement_prices().await.unwrap();
    assert_eq!(
        events::decode::<SettlementPriceFixed>(&ok.logs)[0].price,
        35_000 * WAD
    );
    let debt = m.debt(&solvent, m.usdc_mint).await;
    let ok = m.settle(&settler, &solvent).await.unwrap();
    let ev = &events::decode::<PositionSettled>(&ok.logs)[0];
    // The debt (30,000 and its interest) / 35,000 BTC, rounded up against the account.
    assert_eq!((ev.repaid, ev.seized), (debt, debt.div_ceil(350)));
}
