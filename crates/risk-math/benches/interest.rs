//! Cost of accruing one touched bank: what every margin instruction now
//! pays per bank before it reads a balance.
//! `cargo bench -p risk-math --bench interest`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use risk_math::interest::{Book, RateModel};
use risk_math::WAD;

fn usdc_curve() -> RateModel {
    RateModel {
        base_rate: 0,
        slope_low: 8 * WAD / 100,
        slope_high: WAD,
        optimal_utilization: 80 * WAD / 100,
        max_rate: 3 * WAD / 2,
        protocol_fee: WAD / 10,
    }
}

/// A bank with 1,000,000 USDC deposited and 850,000 lent, last accrued at 0.
fn book() -> Book {
    let mut book = Book::new(0);
    book.pool.deposit(1_000_000_000_000).unwrap();
    book.borrow(850_000_000_000).unwrap();
    book
}

fn accrual(c: &mut Criterion) {
    let model = usdc_curve();
    // A bank touched every slot, every few minutes, and after a quiet day
    // or year (the squaring runs one step per bit of the gap).
    for (name, gap) in [
        ("accrue one bank, 1 s gap", 1i64),
        ("accrue one bank, 5 min gap", 300),
        ("accrue one bank, 1 day gap", 86_400),
        ("accrue one bank, 1 year gap", 31_536_000),
    ] {
        c.bench_function(name, |b| {
            b.iter_batched(
                book,
                |mut bk| bk.accrue(&model, black_box(gap)).unwrap(),
                criterion::BatchSize::SmallInput,
            )
        });
    }
    c.bench_function("accrue one bank, nothing to do (same second)", |b| {
        b.iter_batched(
            book,
            |mut bk| bk.accrue(&model, black_box(0)).unwrap(),
            criterion::BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, accrual);
criterion_main!(benches);
