//! Random sequences of real instructions (deposit, withdraw, borrow, repay,
//! price moves, risk updates, liquidation) by several users, checking after
//! every step that no token is created or destroyed and that the books
//! agree with the vaults, exactly. Rejected actions are expected (health,
//! caps, balances); they must change nothing. Bad debt left by a crash is
//! written off against the lenders' pool, which must still add up.
//!
//! The market crashes and rallies, so accounts recover and relapse: a
//! liquidation's fee ramp never reaches back past the account's last
//! healthy borrow. Borrowers also deposit into the bank they owe (netted:
//! no position ever holds both) and anyone deposits dust (after a loss, a
//! share worth 0). Each sequence ends in a Shutdown that must wind down
//! completely: every debt settled or written off, every depositor paid.
//!
//! Interest runs throughout: time jumps by minutes to days at random, and
//! anyone may `accrue` a bank (sweeping the fund's interest to the
//! insurance vault). Every instruction accrues the banks it touches first,
//! so the books must balance exactly with interest at every step:
//! vault = deposits + the fund's unswept fees - debt with interest.

use rampart_tests::margin_world::*;
use rampart_tests::{Rng, Signer};

struct Books {
    btc_total: u64,
    usdc_total: u64,
}

async fn check_invariants(
    m: &mut MarginMarket,
    users: &[&User],
    liquidator: &User,
    books: &Books,
    step: usize,
) {
    for (mint, total, bank_key) in [
        (m.btc_mint, books.btc_total, m.btc_bank()),
        (m.usdc_mint, books.usdc_total, m.usdc_bank()),
    ] {
        let mut held = 0;
        let (mut shares, mut worth, mut scaled, mut owed) = (0u64, 0u64, 0u64, 0u64);
        let bank = m.bank(mint).await;
        for u in users.iter().copied().chain(std::iter::once(liquidator)) {
            held += m
                .tokens(if mint == m.btc_mint { u.btc } else { u.usdc })
                .await;
            if let Some(acc) =
                m.chain
                    .anchor_account::<margin::state::MarginAccount>(
                        rampart_sdk::pda::margin::account(&u.key.pubkey(), 0),
                    )
                    .await
            {
                for p in acc
                    .positions
                    .iter()
                    .filter(|p| p.bank == bank_key && !p.is_empty())
                {
                    shares += p.deposit_shares;
                    worth += bank.deposit_tokens(p.deposit_shares).unwrap();
                    scaled += p.borrow_scaled;
                    owed += bank.debt_tokens(p.borrow_scaled).unwrap();
                }
            }
        }
        let vault = m.vault(mint).await;
        let insurance = m.insurance(mint).await;
        assert_eq!(
            held + vault + insurance,
            total,
            "step {step}: tokens of {mint} created or destroyed"
        );
        let debt = bank.total_borrows().unwrap();
        assert_eq!(
            vault as u128 + debt as u128,
            bank.total_deposits as u128 + bank.pending_fees as u128,
            "step {step}: vault != deposits + fees - debt with interest"
        );
        assert_eq!(
            (shares, scaled),
            (bank.total_deposit_shares, bank.borrow_scaled),
            "step {step}: positions != bank totals"
        );
        // Each loan rounds its debt up: together they owe at least the
        // bank's total, and at most a unit per loan more.
        assert!(
            owed >= debt && owed - debt <= users.len() as u64,
            "step {step}: loans owe {owed}, bank total {debt}"
        );
        for u in users.iter().copied().chain(std::iter::once(liquidator)) {
            if let Some(acc) =
                m.chain
                    .anchor_account::<margin::state::MarginAccount>(
                        rampart_sdk::pda::margin::account(&u.key.pubkey(), 0),
                    )
                    .await
            {
                assert!(
                    acc.positions
                        .iter()
                        .all(|p| p.deposit_shares == 0 || p.borrow_scaled == 0),
                    "step {step}: a position holds deposits and debt in one bank"
                );
            }
        }
        // Rounding keeps what the positions are worth within the pool, by
        // less than one token per position.
        assert!(
            worth <= bank.total_deposits && bank.total_deposits - worth <= users.len() as u64 + 1,
            "step {step}: positions worth {worth}, pool {}",
            bank.total_deposits
        );
    }
}

struct Outcome {
    accruals: usize,
    /// USDC interest accrued over the sequence, and the fund's part.
    interest: u64,
    fees: u64,
    succeeded: usize,
    liquidations: usize,
    write_offs: usize,
    /// Liquidations of an account that borrowed healthily since its last one.
    relapses: usize,
    settled: usize,
}

async fn run(seed: u64, steps: usize, jumps: bool) -> Outcome {
    let mut rng = Rng(seed);
    let mut m = MarginMarket::new().await.unwrap();
    // Borrowers post BTC and borrow USDC; a lender supplies USDC liquidity.
    let mut borrowers = vec![];
    for _ in 0..4 {
        borrowers.push(m.user(3 * BTC, 0).await.unwrap());
    }
    let lender = m.user(0, 2_000_000 * USDC).await.unwrap();
    let ix = m
        .flow(&lender, m.usdc_mint, false, true)
        .deposit(1_000_000 * USDC);
    m.send_as(&lender, ix).await.unwrap();
    // Each borrower starts leveraged: 2 BTC posted, 38,000 USDC borrowed.
    for b in &borrowers {
        let deposit = m.flow(b, m.btc_mint, true, false).deposit(2 * BTC);
        m.send_as(b, deposit).await.unwrap();
        let borrow = m.flow(b, m.usdc_mint, true, true).borrow(38_000 * USDC);
        m.send_as(b, borrow).await.unwrap();
    }
    let liquidator = m.liquidator(1_000_000 * USDC).await.unwrap();
    let books = Books {
        btc_total: 4 * 3 * BTC,
        usdc_total: 2_000_000 * USDC + 1_000_000 * USDC,
    };
    let mut holders: Vec<&User> = borrowers.iter().collect();
    holders.push(&lender);
    let mut price = 30_000.0;
    let (mut succeeded, mut liquidations, mut write_offs, mut relapses) = (0, 0, 0, 0);
    let mut accruals = 0;
    // Per borrower: the slot of its last healthy borrow, and whether it was
    // liquidated before that borrow.
    let mut healthy_since: Vec<Option<(u64, bool)>> = vec![None; borrowers.len()];
    let mut liquidated_once = vec![false; borrowers.len()];
    // Interest events draw from their own stream, so the actions above
    // run as they would without them.
    let mut time_rng = Rng(seed.rotate_left(17) ^ 0xA5A5_A5A5);
    for step in 0..steps {
        match time_rng.below(12) {
            0 if jumps => {
                // Time passes: a minute to three days without a transaction
                // (interest alone moves the books), then fresh prices long
                // enough to cover a TWAP window again.
                m.chain.advance(60 + time_rng.below(3 * 86_400) as i64);
                m.hold(price, 25).await.unwrap();
                let _ = m.update_btc_risk().await;
            }
            1 => {
                let mint = if time_rng.below(2) == 0 {
                    m.usdc_mint
                } else {
                    m.btc_mint
                };
                let r = m
                    .chain
                    .send(&[rampart_sdk::margin_ix::accrue(mint)], &[])
                    .await;
                accruals += usize::from(r.is_ok());
            }
            _ => {}
        }
        check_invariants(&mut m, &holders, &liquidator, &books, step).await;
        let who = rng.below(borrowers.len() as u64) as usize;
        let u = &borrowers[who];
        let (btc_mint, usdc_mint) = (m.btc_mint, m.usdc_mint);
        let result = match rng.below(16) {
            0 => {
                m.send_as(
                    u,
                    m.flow(u, btc_mint, true, true)
                        .deposit(1 + rng.below(BTC / 10)),
                )
                .await
            }
            1 => {
                m.send_as(
                    &lender,
                    m.flow(&lender, usdc_mint, false, true)
                        .deposit(1 + rng.below(100_000 * USDC)),
                )
                .await
            }
            2 => {
                m.send_as(
                    u,
                    m.flow(u, btc_mint, true, true)
                        .withdraw(1 + rng.below(BTC / 2)),
                )
                .await
            }
            3 => {
                m.send_as(
                    &lender,
                    m.flow(&lender, usdc_mint, false, true)
                        .withdraw(1 + rng.below(100_000 * USDC)),
                )
                .await
            }
            4 | 5 => {
                let r = m
                    .send_as(
                        u,
                        m.flow(u, usdc_mint, true, true)
                            .borrow(1 + rng.below(30_000 * USDC)),
                    )
                    .await;
                if r.is_ok() {
                    healthy_since[who] = Some((m.chain.clock().slot, liquidated_once[who]));
                }
                r
            }
            6 => {
                m.send_as(
                    u,
                    m.flow(u, usdc_mint, true, true)
                        .repay(1 + rng.below(5_000 * USDC)),
                )
                .await
            }
            7 | 8 | 15 => {
                // Price moves -6%..+2% per tick: a drifting, crashing market.
                price *= 0.94 + rng.below(800) as f64 / 10_000.0;
                m.tick(price).await.unwrap();
                m.update_btc_risk().await
            }
            12 => {
                // Half the time a rally of 3-8% (accounts recover, and
                // relapse later), else another crash tick: still a falling
                // market overall.
                price *= if rng.below(2) == 0 {
                    1.03 + rng.below(500) as f64 / 10_000.0
                } else {
                    0.94 + rng.below(800) as f64 / 10_000.0
                };
                m.tick(price).await.unwrap();
                m.update_btc_risk().await
            }
            13 => {
                // A deposit into the bank the borrower owes: it repays first.
                m.send_as(
                    u,
                    m.flow(u, usdc_mint, true, true)
                        .deposit(1 + rng.below(1_000 * USDC)),
                )
                .await
            }
            14 => {
                // Dust: after a loss, one unit may mint a share worth 0.
                let dust = 1 + rng.below(3);
                let who = if rng.below(2) == 0 { u } else { &lender };
                m.send_as(who, m.flow(who, usdc_mint, true, true).deposit(dust))
                    .await
            }
            9 => {
                let r = m.write_off_usdc_debt(u).await;
                write_offs += usize::from(r.is_ok());
                r
            }
            _ => {
                let r = m.liquidate(&liquidator, u).await;
                if let Ok(ok) = &r {
                    liquidations += 1;
                    let ev =
                        &rampart_tests::events::decode::<margin::events::Liquidated>(&ok.logs)[0];
                    let started = m.chain.clock().slot - ev.slots_liquidatable;
                    if let Some((healthy, was_liquidated)) = healthy_since[who] {
                        assert!(
                            started >= healthy,
                            "step {step}: the fee ramp reaches back to slot {started}, before the healthy borrow at {healthy}"
                        );
                        relapses += usize::from(was_liquidated);
                    }
                    liquidated_once[who] = true;
                }
                r
            }
        };
        succeeded += usize::from(result.is_ok());
        check_invariants(&mut m, &holders, &liquidator, &books, step).await;
    }
    let settled = wind_down(&mut m, &borrowers, &lender, &liquidator, &holders, &books).await;
    let usdc = m.bank(m.usdc_mint).await;
    Outcome {
        accruals,
        interest: usdc.interest_accrued,
        fees: usdc.fees_accrued,
        succeeded,
        liquidations,
        write_offs,
        relapses,
        settled,
    }
}

/// Shutdown after the sequence: both prices fixed, every remaining debt
/// settled against collateral or written off, then every depositor
/// withdraws everything. Nothing may stay stuck: both banks end with no
/// borrows, and the vaults keep only rounding dust. Returns the number of
/// positions settled.
async fn wind_down(
    m: &mut MarginMarket,
    borrowers: &[User],
    lender: &User,
    liquidator: &User,
    holders: &[&User],
    books: &Books,
) -> usize {
    let gov = m.ops.governance.insecure_clone();
    let ix = rampart_sdk::margin_ix::set_margin_status(
        gov.pubkey(),
        margin::state::MarginStatus::Shutdown,
    );
    m.chain.send(&[ix], &[&gov]).await.unwrap();
    m.fix_settlement_prices().await.unwrap();
    let (btc_mint, usdc_mint) = (m.btc_mint, m.usdc_mint);
    let mut settled = 0;
    for b in borrowers {
        if m.debt(b, usdc_mint).await > 0 && m.deposit_worth(b, btc_mint).await > 0 {
            m.settle(liquidator, b).await.unwrap();
            settled += 1;
        }
        if m.debt(b, usdc_mint).await > 0 {
            m.write_off_usdc_debt(b).await.unwrap();
        }
    }
    for mint in [btc_mint, usdc_mint] {
        assert_eq!(
            m.bank(mint).await.borrow_scaled,
            0,
            "a debt survived the wind-down"
        );
    }
    for u in borrowers.iter().chain([lender]) {
        for mint in [btc_mint, usdc_mint] {
            let worth = m.deposit_worth(u, mint).await;
            if worth > 0 {
                let ix = m.flow(u, mint, false, false).withdraw(worth);
                m.send_as(u, ix).await.unwrap();
            }
        }
    }
    // The fund's interest still in the vaults goes to the insurance vaults.
    for mint in [btc_mint, usdc_mint] {
        let ix = rampart_sdk::margin_ix::accrue(mint);
        m.chain.send(&[ix], &[]).await.unwrap();
        assert_eq!(m.bank(mint).await.pending_fees, 0);
    }
    check_invariants(m, holders, liquidator, books, usize::MAX).await;
    for mint in [btc_mint, usdc_mint] {
        let dust = m.vault(mint).await;
        assert!(
            dust <= holders.len() as u64 + 1,
            "{dust} units stuck in the vault of {mint}"
        );
    }
    settled
}

#[tokio::test]
async fn random_sequences_conserve_every_token() {
    let (mut total_liquidations, mut total_write_offs, mut total_relapses) = (0, 0, 0);
    // The first three run on 15-second ticks only; the last also jumps
    // minutes to days at random, so interest moves the books on its own.
    for (seed, jumps) in [
        (0x9E37_79B9_7F4A_7C15, false),
        (0xD1B5_4A32_D192_ED03, false),
        (0x2545_F491_4F6C_DD1D, false),
        (0x4F1B_BCDC_BFA5_3E0B, true),
    ] {
        let o = run(seed, 400, jumps).await;
        println!(
            "seed {seed:#x}: {}/400 actions succeeded, {} liquidations ({} relapses after a healthy borrow), {} write-offs, {} positions settled in the shutdown, {} accrue calls, {} USDC units of interest ({} to the fund), books exact after every step",
            o.succeeded, o.liquidations, o.relapses, o.write_offs, o.settled, o.accruals, o.interest, o.fees
        );
        assert!(
            o.interest > 0 && o.fees > 0 && o.accruals > 0,
            "interest must run through the sequence"
        );
        total_relapses += o.relapses;
        assert!(
            o.succeeded > 100,
            "the sequence must mostly exercise real state changes"
        );
        total_liquidations += o.liquidations;
        total_write_offs += o.write_offs;
    }
    assert!(
        total_liquidations >= 10,
        "the crash paths must reach liquidations ({total_liquidations})"
    );
    assert!(
        total_write_offs >= 1,
        "the crash paths must leave bad debt to write off"
    );
    assert!(
        total_relapses >= 1,
        "the rallies must bring an account back to a healthy borrow and a second liquidation"
    );
}
