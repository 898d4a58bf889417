//! Cost of option pricing: `cargo bench -p risk-math --bench options`.
//!
//! Operation count of one `greeks` call (by construction): 1 ln (atanh
//! series, ~20 terms), 4 exp (discount factor, φ in each of the two CDF
//! pairs, φ(d1)), 1 integer sqrt (Newton, ~7 steps), 2 CDF pairs (each at
//! most ~40 series terms for |d| < 3, or 60 continued-fraction steps
//! beyond), and about 25 checked 128x128/128 multiply-divides.
//!
//! `strike_for_delta` is closed-form: one inverse normal CDF (Newton on
//! Φ, typically 4-6 CDF + density evaluations), one sqrt and one exp; no
//! search over strikes.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use risk_math::fixed::WAD;
use risk_math::options::{
    greeks, implied_vol, normal_cdf, price, strike_for_delta, years_from_secs, BsInputs, OptionKind,
};

fn options(c: &mut Criterion) {
    let atm = BsInputs {
        spot: 30_000 * WAD,
        strike: 30_000 * WAD,
        vol: WAD * 6 / 10,
        years: years_from_secs(7 * 86_400),
        rate: (WAD / 20) as i128,
    };
    let otm = BsInputs {
        strike: 36_000 * WAD,
        ..atm
    };
    c.bench_function("greeks set, ATM 7-day call", |b| {
        b.iter(|| greeks(OptionKind::Call, black_box(&atm)))
    });
    c.bench_function("greeks set, 20% OTM 7-day call", |b| {
        b.iter(|| greeks(OptionKind::Call, black_box(&otm)))
    });
    c.bench_function("price only, ATM 7-day put", |b| {
        b.iter(|| price(OptionKind::Put, black_box(&atm)))
    });
    c.bench_function("normal cdf, series region (x = 1.3)", |b| {
        b.iter(|| normal_cdf(black_box(13 * WAD as i128 / 10)))
    });
    c.bench_function("normal cdf, tail region (x = 4.2)", |b| {
        b.iter(|| normal_cdf(black_box(42 * WAD as i128 / 10)))
    });
    c.bench_function("strike for 25-delta, 7-day call", |b| {
        b.iter(|| strike_for_delta(OptionKind::Call, black_box(WAD / 4), black_box(&atm)))
    });
    c.bench_function("strike for 25-delta, 7-day put", |b| {
        b.iter(|| strike_for_delta(OptionKind::Put, black_box(WAD / 4), black_box(&atm)))
    });
    let target = price(OptionKind::Call, &atm).unwrap();
    c.bench_function("implied vol, ATM 7-day call", |b| {
        b.iter(|| implied_vol(OptionKind::Call, black_box(&atm), target))
    });
}

criterion_group!(benches, options);
criterion_main!(benches);
