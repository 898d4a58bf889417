//! The embedded chain behind a Solana JSON-RPC endpoint: the subset of
//! methods `RpcClient` (and so `rampart --url`) uses, answered by the
//! in-process bank. `rampart serve` gives a frontend or a script a local
//! cluster URL without a validator; the tests use it to drive the RPC
//! transport, request and response handling included, with no network.
//! Transactions execute on arrival; a failing one is refused the way a
//! validator's preflight refuses it (error -32002 with the simulation's
//! error and logs), so it never lands. [`serve_pubsub`] adds the websocket
//! side (`logsSubscribe`) the monitor uses.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anchor_lang::prelude::Pubkey;
use base64::Engine;
use serde_json::{json, Value};
use solana_sdk::signature::Signature;
use solana_sdk::transaction::{Transaction, TransactionError};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;

use crate::account_json::KeyedAccountJson;
use crate::Chain;

/// A landed transaction, for status and `getTransaction` queries.
struct Landed {
    slot: u64,
    logs: Vec<String>,
    compute_units: u64,
    tx: Transaction,
}

/// The chain behind the endpoint: a bare embedded chain (tests) or the
/// CLI's ledger, which also follows wall time, logs transactions for the
/// monitor and saves on exit.
#[async_trait::async_trait]
pub trait Backend: Send {
    fn chain(&mut self) -> &mut Chain;
    /// Before each transaction.
    fn before_tx(&mut self) {}
    /// After each transaction, landed or not.
    async fn after_tx(&mut self, _ok: bool, _logs: &[String]) {}
    async fn persist(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
}

impl Backend for Chain {
    fn chain(&mut self) -> &mut Chain {
        self
    }
}

/// What the server shares between connections.
pub struct Node {
    pub chain: Mutex<Box<dyn Backend>>,
    landed: Mutex<HashMap<Signature, Landed>>,
    /// `sendTransaction` calls seen (tests count retries with it).
    pub sends: AtomicUsize,
    /// Refuse this many upcoming sends with an expired blockhash (tests).
    pub expire_next: AtomicUsize,
    /// Every landed transaction, for websocket log subscribers.
    logs: tokio::sync::broadcast::Sender<LogNote>,
}

/// A landed transaction as log subscribers see it.
#[derive(Clone)]
struct LogNote {
    slot: u64,
    signature: String,
    keys: Vec<Pubkey>,
    logs: Vec<String>,
}

impl Node {
    pub fn new(chain: impl Backend + 'static) -> Arc<Node> {
        Arc::new(Node {
            chain: Mutex::new(Box::new(chain)),
            landed: Mutex::new(HashMap::new()),
            sends: AtomicUsize::new(0),
            expire_next: AtomicUsize::new(0),
            logs: tokio::sync::broadcast::channel(1_024).0,
        })
    }
}

/// Serve JSON-RPC for `node` on `listener` until the task is dropped.
pub async fn serve(node: Arc<Node>, listener: TcpListener) {
    accept(node, listener, |n, s| async move {
        connection(n, s).await.map_err(Into::into)
    })
    .await
}

/// One task per connection; a broken connection only ends that connection.
async fn accept<F, Fut>(node: Arc<Node>, listener: TcpListener, handle: F)
where
    F: Fn(Arc<Node>, TcpStream) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(handle(node.clone(), stream));
    }
}

/// HTTP/1.1 with keep-alive: one JSON-RPC request per POST.
async fn connection(node: Arc<Node>, stream: TcpStream) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    loop {
        let mut length = 0usize;
        let mut first = true;
        loop {
            let mut line = String::new();
            if read.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            if first {
                first = false;
                continue; // the request line: every call is POST /
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        read.read_exact(&mut body).await?;
        let reply = match serde_json::from_slice::<Value>(&body) {
            Ok(req) => {
                let id = req["id"].clone();
                match handle(&node, req["method"].as_str().unwrap_or(""), &req["params"]).await {
                    Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
                    Err(error) => json!({"jsonrpc": "2.0", "id": id, "error": error}),
                }
            }
            Err(e) => {
                json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": e.to_string()}})
            }
        };
        let text = reply.to_string();
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            text.len()
        );
        write.write_all(head.as_bytes()).await?;
        write.write_all(text.as_bytes()).await?;
    }
}

fn invalid(msg: impl std::fmt::Display) -> Value {
    json!({"code": -32602, "message": format!("Invalid params: {msg}")})
}

fn pubkey(v: &Value) -> Result<Pubkey, Value> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid(format!("{v} is not a pubkey")))
}

fn account_json(address: &Pubkey, a: &solana_sdk::account::Account) -> Value {
    serde_json::to_value(KeyedAccountJson::new(address, a).account).unwrap_or(Value::Null)
}

async fn handle(node: &Node, method: &str, p: &Value) -> Result<Value, Value> {
    let slot = node.chain.lock().await.chain().clock().slot;
    let ctx = json!({"slot": slot, "apiVersion": "1.18.26"});
    match method {
        "getVersion" => Ok(json!({"solana-core": "1.18.26", "feature-set": 0})),
        "getHealth" => Ok(json!("ok")),
        "getSlot" | "getBlockHeight" => Ok(json!(slot)),
        "getLatestBlockhash" => {
            let (_, hash) = node.chain.lock().await.chain().banks_client().await;
            Ok(
                json!({"context": ctx, "value": {"blockhash": hash.to_string(), "lastValidBlockHeight": slot + 150}}),
            )
        }
        "isBlockhashValid" => Ok(json!({"context": ctx, "value": true})),
        "getMinimumBalanceForRentExemption" => {
            let len = p[0].as_u64().ok_or_else(|| invalid("length"))? as usize;
            Ok(json!(
                node.chain.lock().await.chain().rent_exempt(len).await
            ))
        }
        "getBalance" => {
            let key = pubkey(&p[0])?;
            Ok(json!({"context": ctx, "value": node.chain.lock().await.chain().balance(key).await}))
        }
        "getAccountInfo" => {
            let key = pubkey(&p[0])?;
            let acc = node.chain.lock().await.chain().account(key).await;
            Ok(json!({"context": ctx, "value": acc.map(|a| account_json(&key, &a))}))
        }
        "getMultipleAccounts" => {
            let mut out = vec![];
            for k in p[0].as_array().ok_or_else(|| invalid("keys"))? {
                let key = pubkey(k)?;
                let acc = node.chain.lock().await.chain().account(key).await;
                out.push(acc.map(|a| account_json(&key, &a)));
            }
            Ok(json!({"context": ctx, "value": out}))
        }
        "getProgramAccounts" => program_accounts(node, p).await,
        "requestAirdrop" => {
            let key = pubkey(&p[0])?;
            let lamports = p[1].as_u64().ok_or_else(|| invalid("lamports"))?;
            let mut backend = node.chain.lock().await;
            let chain = backend.chain();
            let ix =
                solana_sdk::system_instruction::transfer(&chain.payer_pubkey(), &key, lamports);
            chain.send(&[ix], &[]).await.map_err(invalid)?;
            Ok(json!(Signature::new_unique().to_string()))
        }
        "sendTransaction" => send(node, p).await,
        "getSignatureStatuses" => {
            let landed = node.landed.lock().await;
            let statuses: Vec<Value> = p[0]
                .as_array()
                .ok_or_else(|| invalid("signatures"))?
                .iter()
                .map(|s| {
                    let sig: Option<Signature> = s.as_str().and_then(|s| s.parse().ok());
                    match sig.and_then(|sig| landed.get(&sig)) {
                        Some(l) => json!({"slot": l.slot, "confirmations": null, "err": null,
                                          "status": {"Ok": null}, "confirmationStatus": "finalized"}),
                        None => Value::Null,
                    }
                })
                .collect();
            Ok(json!({"context": ctx, "value": statuses}))
        }
        "getTransaction" => {
            let sig: Signature = p[0]
                .as_str()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| invalid("signature"))?;
            let landed = node.landed.lock().await;
            let Some(l) = landed.get(&sig) else {
                return Ok(Value::Null);
            };
            let bytes = bincode::serialize(&l.tx).map_err(invalid)?;
            Ok(json!({
                "slot": l.slot,
                "blockTime": null,
                "transaction": [base64::engine::general_purpose::STANDARD.encode(bytes), "base64"],
                "meta": {
                    "err": null, "status": {"Ok": null}, "fee": 5000,
                    "preBalances": [], "postBalances": [],
                    "innerInstructions": null, "preTokenBalances": null, "postTokenBalances": null,
                    "rewards": null, "logMessages": l.logs, "computeUnitsConsumed": l.compute_units,
                },
            }))
        }
        other => Err(json!({"code": -32601, "message": format!("Method not found: {other}")})),
    }
}

async fn send(node: &Node, p: &Value) -> Result<Value, Value> {
    node.sends.fetch_add(1, Ordering::SeqCst);
    let encoded = p[0].as_str().ok_or_else(|| invalid("transaction"))?;
    let bytes = match p[1]["encoding"].as_str() {
        Some("base64") => base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(invalid)?,
        _ => solana_sdk::bs58::decode(encoded)
            .into_vec()
            .map_err(invalid)?,
    };
    let tx: Transaction = bincode::deserialize(&bytes).map_err(invalid)?;
    let expire = node
        .expire_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let refused = |err: TransactionError, logs: Vec<String>| {
        json!({"code": -32002, "message": format!("Transaction simulation failed: {err}"),
               "data": {"err": err, "logs": logs, "accounts": null, "unitsConsumed": 0,
                        "returnData": null, "innerInstructions": null}})
    };
    if expire {
        return Err(refused(TransactionError::BlockhashNotFound, vec![]));
    }
    // The bank's metadata path executes without checking signatures (the
    // embedded transport signs its own); a transaction from outside must
    // prove them, as a validator's sigverify stage does.
    if tx.verify().is_err() {
        return Err(refused(TransactionError::SignatureFailure, vec![]));
    }
    let signature = tx.signatures[0];
    let mut backend = node.chain.lock().await;
    backend.before_tx();
    let out = backend.chain().execute_signed(tx.clone()).await;
    match &out {
        Ok(ok) => backend.after_tx(true, &ok.logs).await,
        Err(f) => backend.after_tx(false, &f.logs).await,
    }
    match out {
        Ok(ok) => {
            let slot = backend.chain().clock().slot;
            // Nobody listening is fine.
            let _ = node.logs.send(LogNote {
                slot,
                signature: signature.to_string(),
                keys: tx.message.account_keys.clone(),
                logs: ok.logs.clone(),
            });
            node.landed.lock().await.insert(
                signature,
                Landed {
                    slot,
                    logs: ok.logs,
                    compute_units: ok.compute_units,
                    tx,
                },
            );
            Ok(json!(signature.to_string()))
        }
        Err(f) => Err(refused(f.error, f.logs)),
    }
}

async fn program_accounts(node: &Node, p: &Value) -> Result<Value, Value> {
    let program = pubkey(&p[0])?;
    let mut filters: Vec<(usize, Vec<u8>)> = vec![];
    for f in p[1]["filters"].as_array().into_iter().flatten() {
        let m = &f["memcmp"];
        let offset = m["offset"]
            .as_u64()
            .ok_or_else(|| invalid("memcmp offset"))? as usize;
        if let Some(raw) = m["bytes"].as_array() {
            let bytes = raw
                .iter()
                .map(|b| b.as_u64().unwrap_or(256) as u8)
                .collect();
            filters.push((offset, bytes));
            continue;
        }
        let text = m["bytes"].as_str().ok_or_else(|| invalid("memcmp bytes"))?;
        let bytes = match m["encoding"].as_str() {
            Some("base64") => base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(invalid)?,
            _ => solana_sdk::bs58::decode(text).into_vec().map_err(invalid)?,
        };
        filters.push((offset, bytes));
    }
    let owned = node
        .chain
        .lock()
        .await
        .chain()
        .accounts_owned_by(program)
        .await;
    let out: Vec<Value> = owned
        .iter()
        .filter(|(_, a)| {
            filters
                .iter()
                .all(|(o, b)| a.data.get(*o..o + b.len()) == Some(&b[..]))
        })
        .map(|(k, a)| json!({"pubkey": k.to_string(), "account": account_json(k, a)}))
        .collect();
    Ok(json!(out))
}

/// The websocket side: `logsSubscribe` (`"all"` or `{"mentions": [key]}`)
/// and `logsUnsubscribe`, notifications as a validator sends them.
pub async fn serve_pubsub(node: Arc<Node>, listener: TcpListener) {
    accept(node, listener, pubsub_connection).await
}

async fn pubsub_connection(node: Arc<Node>, stream: TcpStream) -> anyhow::Result<()> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let mut ws = tokio_tungstenite::accept_async(stream).await?;
    let mut notes = node.logs.subscribe();
    // Subscription id -> the key a transaction must mention (None: all).
    let mut subs: Vec<(u64, Option<Pubkey>)> = vec![];
    let mut next_id = 1u64;
    loop {
        tokio::select! {
            msg = ws.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Ping(p))) => { ws.send(Message::Pong(p)).await?; continue; }
                    Some(Ok(Message::Close(_))) | None => return Ok(()),
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(e.into()),
                };
                let req: Value = serde_json::from_str(&text)?;
                let reply = match req["method"].as_str() {
                    Some("logsSubscribe") => {
                        let filter = &req["params"][0];
                        let mention = match filter["mentions"][0].as_str() {
                            Some(k) => Some(k.parse::<Pubkey>().map_err(|e| anyhow::anyhow!("{e}"))?),
                            None => None,
                        };
                        subs.push((next_id, mention));
                        next_id += 1;
                        json!({"jsonrpc": "2.0", "result": next_id - 1, "id": req["id"]})
                    }
                    Some("logsUnsubscribe") => {
                        let id = req["params"][0].as_u64().unwrap_or(0);
                        subs.retain(|(s, _)| *s != id);
                        json!({"jsonrpc": "2.0", "result": true, "id": req["id"]})
                    }
                    other => json!({"jsonrpc": "2.0", "id": req["id"],
                        "error": {"code": -32601, "message": format!("Method not found: {other:?}")}}),
                };
                ws.send(Message::Text(reply.to_string())).await?;
            }
            note = notes.recv() => {
                let Ok(note) = note else { continue };
                for (id, mention) in &subs {
                    if mention.is_some_and(|m| !note.keys.contains(&m)) {
                        continue;
                    }
                    let msg = json!({"jsonrpc": "2.0", "method": "logsNotification", "params": {
                        "result": {"context": {"slot": note.slot},
                                   "value": {"signature": note.signature, "err": null, "logs": note.logs}},
                        "subscription": id}});
                    ws.send(Message::Text(msg.to_string())).await?;
                }
            }
        }
    }
}
