//! Cost of the math kernels one `refresh` runs.
//! `cargo bench -p risk-math --bench kernels`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use risk_math::breaker::allowed_move_bps;
use risk_math::consensus::{consensus, ConsensusParams, Quote};
use risk_math::fixed::{exp_wad, ln_wad, mul_div, Rounding, WAD};
use risk_math::margin::{health, liquidation_size, Balance, LiquidationPair};
use risk_math::twap::{twap_over, CoverageRules, Observation};
use risk_math::volatility::{update_variance, variance_from_annual_bps};

fn kernels(c: &mut Criterion) {
    c.bench_function("ln_wad", |b| b.iter(|| ln_wad(black_box(3 * WAD / 2))));
    c.bench_function("exp_wad", |b| {
        b.iter(|| exp_wad(black_box(-(WAD as i128) / 3)))
    });
    c.bench_function("mul_div 256-bit", |b| {
        b.iter(|| {
            mul_div(
                black_box(u128::MAX / 3),
                black_box(6),
                black_box(7),
                Rounding::Down,
            )
        })
    });

    let quotes: Vec<Quote> = (0..8)
        .map(|i| Quote {
            source_index: i,
            price: 3_000_000_000_000 + i as u64 * 1_000_000,
            conf: 1_000_000,
        })
        .collect();
    let params = ConsensusParams {
        min_quorum: 3,
        max_spread_bps: 100,
    };
    c.bench_function("consensus of 8 sources", |b| {
        b.iter(|| consensus(black_box(&quotes), params))
    });

    let mut obs = vec![Observation {
        ts: 0,
        price: 3_000_000_000_000,
        cumulative: 0,
    }];
    for i in 1..200 {
        let last = *obs.last().unwrap();
        obs.push(
            last.next(i * 15, 3_000_000_000_000 + (i as u64 % 9) * 1_000_000)
                .unwrap(),
        );
    }
    let rules = CoverageRules {
        min_samples: 5,
        max_gap_secs: 120,
    };
    c.bench_function("twap over full 200-sample ring", |b| {
        b.iter(|| twap_over(obs.len(), |i| obs[i], black_box(2_990), 2_900, rules))
    });

    let var = variance_from_annual_bps(5_000);
    c.bench_function("ewma variance update", |b| {
        b.iter(|| {
            update_variance(
                black_box(var),
                3_000_000_000_000,
                black_box(3_003_000_000_000),
                15,
                3_600,
            )
        })
    });
    // Margin: an account with 16 balances (8 deposits, 8 borrows).
    let balances: Vec<Balance> = (0..16)
        .map(|i| Balance {
            amount: 1_000_000_000 + i as u64,
            decimals: if i % 2 == 0 { 6 } else { 8 },
            price: (1 + i as u128) * 1_000 * WAD,
            is_liability: i >= 8,
            haircut_or_ratio: WAD / 10,
        })
        .collect();
    c.bench_function("health of 16 balances", |b| {
        b.iter(|| health(black_box(&balances)))
    });
    let pair = LiquidationPair {
        margin: -(500 * WAD as i128),
        liability_amount: 20_000_000_000,
        liability_decimals: 6,
        liability_price: WAD,
        liability_ratio: WAD / 20,
        collateral_amount: 100_000_000,
        collateral_decimals: 8,
        collateral_price: 22_000 * WAD,
        collateral_haircut: WAD / 10,
        fee: WAD / 50,
    };
    c.bench_function("partial liquidation sizing", |b| {
        b.iter(|| liquidation_size(black_box(&pair), WAD, 10 * WAD))
    });
    c.bench_function("breaker allowed move", |b| {
        b.iter(|| allowed_move_bps(black_box(var), 1_800, 600, 300, 1_000))
    });
}

criterion_group!(benches, kernels);
criterion_main!(benches);
