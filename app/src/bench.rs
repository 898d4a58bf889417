//! Throughput of `refresh` through the embedded bank.

use std::time::Instant;

use pricing::state::FeedParams;

use crate::embedded::Chain;
use crate::setup;

#[derive(Debug, Clone, Copy)]
pub struct RefreshBench {
    pub refreshes: usize,
    pub secs: f64,
}

impl RefreshBench {
    pub fn per_sec(&self) -> f64 {
        self.refreshes as f64 / self.secs
    }
}

/// Time `n` refreshes of a three-source feed, one per simulated second.
/// Only the refresh transactions are timed; the price pushes that keep
/// the sources fresh are not.
pub async fn refresh_throughput(n: usize) -> anyhow::Result<RefreshBench> {
    let mut chain = Chain::builder().start().await;
    chain.set_clock(1_700_000_000, 230_000_000);
    let (ops, feed) = setup::protocol_and_feed(
        &mut chain,
        "BENCH/USD",
        -8,
        FeedParams::default_crypto(),
        5_000,
    )
    .await?;
    let sources = setup::manual_sources(&mut chain, &ops, feed, 3).await?;
    let mut timed = 0f64;
    for i in 0..n {
        chain.advance(1);
        if i % 10 == 0 {
            let p = 3_000_000_000_000 + (i as i64 % 7) * 1_000_000;
            let quotes = [
                Some((p, 1_000_000)),
                Some((p + 500_000, 1_000_000)),
                Some((p - 500_000, 1_000_000)),
            ];
            setup::push(&mut chain, &ops, &sources, &quotes, -8).await?;
        }
        let start = Instant::now();
        setup::refresh(&mut chain, feed, &sources).await?;
        timed += start.elapsed().as_secs_f64();
    }
    Ok(RefreshBench {
        refreshes: n,
        secs: timed,
    })
}
