//! Standing up a market on a chain: the protocol config, a feed, and
//! manual sources. Shared by the CLI, benchmarks and tests.

use anchor_lang::prelude::Pubkey;
use anyhow::Context;
use pricing::state::{FeedParams, SourceKind};
use solana_sdk::instruction::Instruction;
use solana_sdk::signature::{Keypair, Signer};

use rampart_embedded::{Chain, TxResult};
use rampart_sdk::pda;
use rampart_sdk::pricing_ix as ix;

/// Who runs a market: governance and the keeper that writes manual prices.
pub struct Operators {
    pub governance: Keypair,
    pub keeper: Keypair,
}

/// Fund governance and a keeper, create the protocol config and the feed `name`.
pub async fn protocol_and_feed(
    chain: &mut Chain,
    name: &str,
    expo: i32,
    params: FeedParams,
    initial_vol_bps: u32,
) -> anyhow::Result<(Operators, Pubkey)> {
    let governance = chain.funded_keypair(10_000_000_000).await;
    let keeper = chain.funded_keypair(10_000_000_000).await;
    let payer = chain.payer_pubkey();
    chain
        .send(&[ix::init_protocol(payer, governance.pubkey())], &[])
        .await
        .context("init protocol")?;
    let ops = Operators { governance, keeper };
    let feed = feed(chain, &ops, name, expo, params, initial_vol_bps).await?;
    Ok((ops, feed))
}

/// Create another feed `name` under an existing protocol.
pub async fn feed(
    chain: &mut Chain,
    ops: &Operators,
    name: &str,
    expo: i32,
    params: FeedParams,
    initial_vol_bps: u32,
) -> anyhow::Result<Pubkey> {
    let payer = chain.payer_pubkey();
    let ix = ix::create_feed(
        payer,
        ops.governance.pubkey(),
        name,
        expo,
        params,
        initial_vol_bps,
    );
    chain
        .send(&[ix], &[&ops.governance])
        .await
        .with_context(|| format!("create feed {name}"))?;
    Ok(pda::feed(name))
}

/// Create `n` manual price accounts written by the keeper and pin them as sources.
pub async fn manual_sources(
    chain: &mut Chain,
    ops: &Operators,
    feed: Pubkey,
    n: u8,
) -> anyhow::Result<Vec<Pubkey>> {
    let mut sources = Vec::with_capacity(n as usize);
    for i in 0..n {
        let manual = pda::manual_price(&feed, i);
        let (payer, gov) = (chain.payer_pubkey(), ops.governance.pubkey());
        let ixs = [
            ix::init_manual_price(payer, gov, feed, i, ops.keeper.pubkey()),
            ix::add_source(gov, feed, manual, SourceKind::Manual, [0; 32]),
        ];
        chain
            .send(&ixs, &[&ops.governance])
            .await
            .with_context(|| format!("manual source {i}"))?;
        sources.push(manual);
    }
    Ok(sources)
}

/// Manual price pushes for the sources that have a `(price, conf)`; None leaves a source untouched.
pub fn push_ixs(
    sources: &[Pubkey],
    keeper: &Pubkey,
    quotes: &[Option<(i64, u64)>],
    expo: i32,
) -> Vec<Instruction> {
    quotes
        .iter()
        .zip(sources)
        .filter_map(|(q, s)| {
            q.map(|(price, conf)| ix::push_manual_price(*s, *keeper, price, conf, expo))
        })
        .collect()
}

/// Push quotes (one transaction, signed by the keeper) when there are any.
pub async fn push(
    chain: &mut Chain,
    ops: &Operators,
    sources: &[Pubkey],
    quotes: &[Option<(i64, u64)>],
    expo: i32,
) -> anyhow::Result<()> {
    let ixs = push_ixs(sources, &ops.keeper.pubkey(), quotes, expo);
    if !ixs.is_empty() {
        chain
            .send(&ixs, &[&ops.keeper])
            .await
            .context("push manual prices")?;
    }
    Ok(())
}

pub async fn refresh(chain: &mut Chain, feed: Pubkey, sources: &[Pubkey]) -> TxResult {
    chain.send(&[ix::refresh(feed, sources)], &[]).await
}
