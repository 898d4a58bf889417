//! Cost of one absorb as bands fill and LP counts grow: the product/sum
//! accounting makes it independent of the number of LPs.
//! `cargo bench -p risk-math --bench backstop`

use criterion::{black_box, criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use risk_math::backstop::{absorb, unit_price, AbsorbLimits, Band, Stake};
use risk_math::WAD;

const DISCOUNTS: [u16; 6] = [50, 100, 200, 300, 500, 800];

/// Six bands of 1M USDC each, shared by `lps` stakes per band.
fn bands(lps: u64) -> Vec<Band> {
    DISCOUNTS
        .iter()
        .map(|d| {
            let mut band = Band::new(*d);
            for _ in 0..lps {
                band.touch(&mut Stake::default(), 1_000_000_000_000 / lps, 0)
                    .unwrap();
            }
            band
        })
        .collect()
}

fn absorb_cost(c: &mut Criterion) {
    let price = unit_price(30_000 * WAD, 8, 6).unwrap();
    let mut group = c.benchmark_group("absorb");
    for lps in [1u64, 100, 10_000] {
        let start = bands(lps);
        // 1 BTC fits the first band; 150 BTC (4.5M USDC) spans five bands.
        for (label, btc) in [("1 band", 1u64), ("5 bands", 150)] {
            group.bench_with_input(BenchmarkId::new(label, lps), &lps, |b, _| {
                b.iter_batched(
                    || start.clone(),
                    |mut bands| {
                        absorb(
                            black_box(&mut bands),
                            price,
                            AbsorbLimits {
                                max_collateral: btc * 100_000_000,
                                max_quote: u64::MAX,
                                max_discount_bps: 800,
                            },
                        )
                        .unwrap()
                    },
                    BatchSize::SmallInput,
                )
            });
        }
    }
    group.finish();
}

criterion_group!(benches, absorb_cost);
criterion_main!(benches);
