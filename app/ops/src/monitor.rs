//! `rampart monitor`: Rampart's events as they happen — breaker trips,
//! maintenance-ratio changes, liquidations, settlements and the rest —
//! decoded from program logs, with a count per event on exit. On a
//! cluster it subscribes to the programs' logs over the RPC websocket; on
//! the embedded chain it follows the ledger's transaction log, which every
//! `rampart` process on that ledger appends to.

use std::collections::BTreeMap;
use std::io::{BufRead, Seek};
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use futures_util::StreamExt;
use serde::Serialize;
use solana_client::nonblocking::pubsub_client::PubsubClient;
use solana_client::rpc_config::{RpcTransactionLogsConfig, RpcTransactionLogsFilter};
use solana_sdk::commitment_config::CommitmentConfig;

use rampart_client::ledger_log::LoggedTx;
use rampart_sdk::idl_events::{decode_logs, Event};

/// Events seen, by name.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub transactions: u64,
    pub events: BTreeMap<String, u64>,
}

impl Summary {
    fn add(&mut self, events: &[Event]) {
        self.transactions += 1;
        for e in events {
            *self.events.entry(e.name.clone()).or_default() += 1;
        }
    }

    pub fn table(&self) -> String {
        let rows: Vec<Vec<String>> = self
            .events
            .iter()
            .map(|(k, v)| vec![k.clone(), v.to_string()])
            .collect();
        format!(
            "{} transactions with Rampart events\n{}",
            self.transactions,
            rampart_sdk::fmt::table(&["event", "count"], &rows)
        )
    }
}

/// The events an operator watches for, marked in the live output.
pub fn is_alert(name: &str) -> bool {
    matches!(
        name,
        "pricing::BreakerTripped"
            | "pricing::BreakerResumed"
            | "pricing::FeedStatusSet"
            | "margin::MaintenanceRatioUpdated"
            | "margin::Liquidated"
            | "margin::LiquidatedToBackstop"
            | "margin::LiquidationProposed"
            | "margin::BadDebtWrittenOff"
            | "margin::MarginStatusChanged"
            | "vault::EpochSettled"
    )
}

/// Follow `<ledger>/transactions.jsonl` (from its end, or its start).
pub async fn follow_ledger(
    dir: &Path,
    from_start: bool,
    stop: impl std::future::Future<Output = ()>,
    mut on_event: impl FnMut(u64, &Event),
) -> anyhow::Result<Summary> {
    let path = dir.join("transactions.jsonl");
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(&path)
        .with_context(|| format!("open {}", path.display()))?;
    let mut reader = std::io::BufReader::new(file);
    if !from_start {
        reader.seek(std::io::SeekFrom::End(0))?;
    }
    let mut summary = Summary::default();
    let mut partial = String::new();
    tokio::pin!(stop);
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line)?;
        if n > 0 {
            partial.push_str(&line);
            if !partial.ends_with('\n') {
                continue; // a writer is mid-line
            }
            if let Ok(tx) = serde_json::from_str::<LoggedTx>(partial.trim_end()) {
                let events = decode_logs(&tx.logs);
                if !events.is_empty() && tx.ok {
                    summary.add(&events);
                    events.iter().for_each(|e| on_event(tx.slot, e));
                }
            }
            partial.clear();
            continue;
        }
        tokio::select! {
            _ = &mut stop => return Ok(summary),
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
}

/// Subscribe to every Rampart program's logs on a cluster.
pub async fn follow_rpc(
    ws_url: &str,
    stop: impl std::future::Future<Output = ()>,
    mut on_event: impl FnMut(u64, &Event),
) -> anyhow::Result<Summary> {
    let client = PubsubClient::new(ws_url)
        .await
        .with_context(|| format!("connect to {ws_url}"))?;
    let mut streams = vec![];
    for program in [pricing::ID, margin::ID, vault::ID, backstop::ID] {
        let (stream, _unsubscribe) = client
            .logs_subscribe(
                RpcTransactionLogsFilter::Mentions(vec![program.to_string()]),
                RpcTransactionLogsConfig {
                    commitment: Some(CommitmentConfig::confirmed()),
                },
            )
            .await
            .with_context(|| format!("subscribe to {program}'s logs"))?;
        streams.push(stream);
    }
    let mut all = futures_util::stream::select_all(streams);
    let mut summary = Summary::default();
    // A transaction touching two programs arrives once per subscription.
    let mut seen = std::collections::VecDeque::with_capacity(256);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return Ok(summary),
            next = all.next() => {
                let Some(msg) = next else { anyhow::bail!("{ws_url} closed the subscription") };
                if msg.value.err.is_some() || seen.contains(&msg.value.signature) {
                    continue;
                }
                if seen.len() == 256 {
                    seen.pop_front();
                }
                seen.push_back(msg.value.signature.clone());
                let events = decode_logs(&msg.value.logs);
                if !events.is_empty() {
                    summary.add(&events);
                    events.iter().for_each(|e| on_event(msg.context.slot, e));
                }
            }
        }
    }
}
