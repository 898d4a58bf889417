//! The embedded chain behind a Solana JSON-RPC endpoint and its websocket,
//! answering the subset of methods @solana/web3.js 1.x, Anchor's
//! TypeScript client, wallet adapters and `RpcClient` (so `rampart --url`)
//! use, in the validator's own shapes: requests and responses go through
//! the validator's types (`solana-rpc-client-api`, `solana-account-decoder`,
//! `solana-transaction-status`), so encodings, filters and errors are
//! theirs. `rampart serve` gives a frontend or a script a local cluster
//! without a validator; the tests drive the RPC transport and the real
//! JavaScript clients through it.
//!
//! Semantics a client can rely on:
//! - One bank, no forks: a transaction is final when `sendTransaction`
//!   returns, so every commitment level (`processed`, `confirmed`,
//!   `finalized`) sees the same state, and statuses say `finalized`.
//! - Preflight as a validator's: a transaction is simulated first and, if
//!   it fails, refused with -32002 and the simulation's error and logs; it
//!   never lands. With `skipPreflight` it lands, fails, pays its fee and
//!   reports its error in its status, as on a cluster.
//! - History: the last [`HISTORY`] transactions answer `getSignatureStatuses`,
//!   `getTransaction` and `getSignaturesForAddress`; older ones are
//!   forgotten, as a validator's status cache forgets them.
//! - Websocket (on the next port): `accountSubscribe`, `programSubscribe`,
//!   `signatureSubscribe`, `logsSubscribe`, `slotSubscribe` and their
//!   unsubscribes. A subscriber that falls [`NOTE_QUEUE`] notifications
//!   behind is disconnected (close code 1008), never silently skipped.
//! - A method not listed in [`METHODS`] answers the validator's -32601
//!   "Method not found".

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use solana_account_decoder::parse_account_data::AccountAdditionalData;
use solana_account_decoder::parse_token::token_amount_to_ui_amount;
use solana_account_decoder::{UiAccount, UiAccountEncoding};
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSendTransactionConfig,
    RpcSignatureSubscribeConfig, RpcSignaturesForAddressConfig, RpcSimulateTransactionConfig,
    RpcTokenAccountsFilter, RpcTransactionConfig, RpcTransactionLogsFilter,
};
use solana_rpc_client_api::filter::RpcFilterType;
use solana_rpc_client_api::response::{
    RpcBlockhash, RpcConfirmedTransactionStatusWithSignature, RpcKeyedAccount, RpcLogsResponse,
    RpcSimulateTransactionResult, SlotInfo,
};
use solana_sdk::account::{Account, AccountSharedData};
use solana_sdk::epoch_info::EpochInfo;
use solana_sdk::epoch_schedule::EpochSchedule;
use solana_sdk::hash::Hash;
use solana_sdk::message::Message;
use solana_sdk::program_pack::Pack;
use solana_sdk::signature::{Signature, Signer};
use solana_sdk::transaction::{Transaction, TransactionError, VersionedTransaction};
use solana_transaction_status::{
    ConfirmedTransactionWithStatusMeta, TransactionConfirmationStatus, TransactionStatusMeta,
    TransactionWithStatusMeta, UiTransactionEncoding, VersionedTransactionWithStatusMeta,
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;

use crate::{Chain, MS_PER_SLOT};

/// Transactions remembered for status queries, `getTransaction` and
/// `getSignaturesForAddress` (a validator's status cache holds about 300
/// slots' worth); older ones are forgotten so memory stays bounded.
pub const HISTORY: usize = 50_000;
/// Notifications a websocket connection may fall behind by before it is
/// closed rather than silently missing some.
pub const NOTE_QUEUE: usize = 16_384;
/// The JSON-RPC methods answered (the README lists them too).
pub const METHODS: &[&str] = &[
    "getAccountInfo",
    "getBalance",
    "getBlockHeight",
    "getBlockTime",
    "getEpochInfo",
    "getEpochSchedule",
    "getFeeForMessage",
    "getFirstAvailableBlock",
    "getGenesisHash",
    "getHealth",
    "getIdentity",
    "getLatestBlockhash",
    "getMinimumBalanceForRentExemption",
    "getMultipleAccounts",
    "getProgramAccounts",
    "getRecentPrioritizationFees",
    "getSignatureStatuses",
    "getSignaturesForAddress",
    "getSlot",
    "getTokenAccountBalance",
    "getTokenAccountsByOwner",
    "getTokenSupply",
    "getTransaction",
    "getVersion",
    "isBlockhashValid",
    "requestAirdrop",
    "sendTransaction",
    "simulateTransaction",
];
const SLOTS_PER_EPOCH: u64 = 432_000;
const VERSION: &str = "1.18.26";

/// A transaction that landed (or, sent with `skipPreflight`, landed and
/// failed), for status and history queries.
struct Landed {
    slot: u64,
    block_time: i64,
    logs: Vec<String>,
    compute_units: u64,
    fee: u64,
    pre_balances: Vec<u64>,
    post_balances: Vec<u64>,
    err: Option<TransactionError>,
    tx: Transaction,
}

#[derive(Default)]
struct History {
    by_signature: HashMap<Signature, Landed>,
    /// Oldest first.
    order: VecDeque<Signature>,
}

impl History {
    fn insert(&mut self, signature: Signature, landed: Landed) {
        if self.order.len() >= HISTORY {
            if let Some(old) = self.order.pop_front() {
                self.by_signature.remove(&old);
            }
        }
        self.order.push_back(signature);
        self.by_signature.insert(signature, landed);
    }
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
    history: Mutex<History>,
    /// `sendTransaction` calls seen (tests count retries with it).
    pub sends: AtomicUsize,
    /// Refuse this many upcoming sends with an expired blockhash (tests).
    pub expire_next: AtomicUsize,
    /// Answer this many upcoming status polls with an internal error, as
    /// a node that stopped answering does (tests).
    pub fail_status_polls: AtomicUsize,
    /// Every transaction that lands, for websocket subscribers.
    notes: tokio::sync::broadcast::Sender<Arc<Note>>,
    /// Subscription ids, unique across connections as a validator's are.
    next_subscription: AtomicU64,
    genesis: Hash,
}

/// A landed transaction as websocket subscribers see it.
struct Note {
    slot: u64,
    signature: Signature,
    keys: Vec<Pubkey>,
    logs: Vec<String>,
    err: Option<TransactionError>,
    /// Every account it could write, as it left them (closed: empty).
    accounts: Vec<(Pubkey, Account)>,
}

impl Node {
    pub fn new(mut chain: impl Backend + 'static) -> Arc<Node> {
        let genesis = chain.chain().genesis_hash();
        Arc::new(Node {
            chain: Mutex::new(Box::new(chain)),
            history: Mutex::new(History::default()),
            sends: AtomicUsize::new(0),
            expire_next: AtomicUsize::new(0),
            fail_status_polls: AtomicUsize::new(0),
            notes: tokio::sync::broadcast::channel(NOTE_QUEUE).0,
            next_subscription: AtomicU64::new(1),
            genesis,
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

/// HTTP/1.1 with keep-alive: a JSON-RPC request (or a batch of them) per
/// POST; `OPTIONS` answers a browser's CORS preflight and `GET /health`
/// the load balancer's probe, as the validator's RPC does.
async fn connection(node: Arc<Node>, stream: TcpStream) -> std::io::Result<()> {
    // Small request/response pairs: no Nagle delay waiting on the client's
    // delayed ACK (about 40 ms a response otherwise).
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    loop {
        let mut request_line = String::new();
        if read.read_line(&mut request_line).await? == 0 {
            return Ok(());
        }
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if read.read_line(&mut line).await? == 0 {
                return Ok(());
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
        let method = request_line.split_whitespace().next().unwrap_or("");
        let (status, text) = match method {
            "OPTIONS" => ("204 No Content", String::new()),
            "GET" if request_line.contains("/health") => ("200 OK", "ok".to_string()),
            _ => ("200 OK", reply(&node, &body).await.to_string()),
        };
        // Head and body in one write: one segment for a small response.
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Methods: POST, GET, OPTIONS\r\n\
             Access-Control-Allow-Headers: *\r\nAccess-Control-Max-Age: 86400\r\n\r\n{text}",
            text.len()
        );
        write.write_all(response.as_bytes()).await?;
    }
}

/// The reply to one request body: a request, or a batch of them.
async fn reply(node: &Node, body: &[u8]) -> Value {
    let one = |id: Value, out: Result<Value, Value>| match out {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(error) => json!({"jsonrpc": "2.0", "id": id, "error": error}),
    };
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(batch)) => {
            let mut out = vec![];
            for req in batch {
                let result =
                    handle(node, req["method"].as_str().unwrap_or(""), &req["params"]).await;
                out.push(one(req["id"].clone(), result));
            }
            Value::Array(out)
        }
        Ok(req) => {
            let result = handle(node, req["method"].as_str().unwrap_or(""), &req["params"]).await;
            one(req["id"].clone(), result)
        }
        Err(e) => json!({"jsonrpc": "2.0", "id": null,
                         "error": {"code": -32700, "message": format!("Parse error: {e}")}}),
    }
}

fn invalid(msg: impl std::fmt::Display) -> Value {
    json!({"code": -32602, "message": format!("Invalid params: {msg}")})
}

/// A -32602 with the validator's own wording (no "Invalid params:" prefix).
fn invalid_param(msg: &str) -> Value {
    json!({"code": -32602, "message": msg})
}

fn pubkey(v: &Value) -> Result<Pubkey, Value> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid(format!("{v} is not a pubkey")))
}

fn signature(v: &Value) -> Result<Signature, Value> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid(format!("{v} is not a signature")))
}

/// An optional config object, in the validator's type.
fn config<T: DeserializeOwned + Default>(v: &Value) -> Result<T, Value> {
    if v.is_null() {
        return Ok(T::default());
    }
    serde_json::from_value(v.clone()).map_err(invalid)
}

fn to_json(v: impl serde::Serialize) -> Result<Value, Value> {
    serde_json::to_value(v).map_err(invalid)
}

/// The mint's decimals for a token account or mint (what `jsonParsed`
/// needs to show amounts), read from the chain.
async fn token_decimals(chain: &mut Chain, account: &Account) -> Option<u8> {
    if account.owner != spl_token::ID {
        return None;
    }
    if let Ok(mint) = spl_token::state::Mint::unpack(&account.data) {
        return Some(mint.decimals);
    }
    let token = spl_token::state::Account::unpack(&account.data).ok()?;
    let mint = chain.account(token.mint).await?;
    spl_token::state::Mint::unpack(&mint.data)
        .ok()
        .map(|m| m.decimals)
}

/// An account in the encoding and slice the request asked for (base64 by
/// default, as web3.js asks).
async fn encode(
    chain: &mut Chain,
    key: &Pubkey,
    account: &Account,
    cfg: &RpcAccountInfoConfig,
) -> UiAccount {
    let encoding = cfg.encoding.unwrap_or(UiAccountEncoding::Base64);
    let additional = match encoding {
        UiAccountEncoding::JsonParsed => Some(AccountAdditionalData {
            spl_token_decimals: token_decimals(chain, account).await,
        }),
        _ => None,
    };
    UiAccount::encode(key, account, encoding, additional, cfg.data_slice)
}

/// Whether `account` passes every filter of a program-accounts request.
fn passes(filters: &[RpcFilterType], account: &Account) -> bool {
    let shared = AccountSharedData::from(account.clone());
    filters.iter().all(|f| f.allows(&shared))
}

/// Decode a wire transaction (base58 unless `encoding` says base64).
fn wire_transaction(
    p: &Value,
    encoding: Option<UiTransactionEncoding>,
) -> Result<Transaction, Value> {
    let encoded = p.as_str().ok_or_else(|| invalid("transaction"))?;
    let bytes = match encoding {
        Some(UiTransactionEncoding::Base64) => base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(invalid)?,
        _ => solana_sdk::bs58::decode(encoded)
            .into_vec()
            .map_err(invalid)?,
    };
    let tx: VersionedTransaction = bincode::deserialize(&bytes).map_err(invalid)?;
    tx.into_legacy_transaction().ok_or_else(|| {
        invalid("versioned (v0) transactions are not supported by rampart serve; send a legacy transaction")
    })
}

/// The validator's refusal of a transaction whose preflight failed.
fn preflight_failure(err: TransactionError, logs: Vec<String>, units: u64) -> Value {
    json!({"code": -32002, "message": format!("Transaction simulation failed: {err}"),
    "data": RpcSimulateTransactionResult {
        err: Some(err), logs: Some(logs), accounts: None, units_consumed: Some(units),
        return_data: None, inner_instructions: None,
    }})
}

async fn handle(node: &Node, method: &str, p: &Value) -> Result<Value, Value> {
    let (slot, now) = {
        let mut backend = node.chain.lock().await;
        let clock = backend.chain().clock();
        (clock.slot, clock.unix_timestamp)
    };
    let ctx = json!({"slot": slot, "apiVersion": VERSION});
    let with_ctx = |value: Value| json!({"context": ctx, "value": value});
    match method {
        "getVersion" => Ok(json!({"solana-core": VERSION, "feature-set": 0})),
        "getHealth" => Ok(json!("ok")),
        "getIdentity" => Ok(json!({"identity": node.genesis.to_string()})),
        "getSlot" | "getBlockHeight" => Ok(json!(slot)),
        "getFirstAvailableBlock" => Ok(json!(0)),
        "getGenesisHash" => Ok(json!(node.genesis.to_string())),
        "getRecentPrioritizationFees" => Ok(json!([])),
        "getEpochSchedule" => to_json(EpochSchedule::custom(
            SLOTS_PER_EPOCH,
            SLOTS_PER_EPOCH,
            false,
        )),
        "getEpochInfo" => {
            let transaction_count = node.history.lock().await.order.len() as u64;
            to_json(EpochInfo {
                epoch: slot / SLOTS_PER_EPOCH,
                slot_index: slot % SLOTS_PER_EPOCH,
                slots_in_epoch: SLOTS_PER_EPOCH,
                absolute_slot: slot,
                block_height: slot,
                transaction_count: Some(transaction_count),
            })
        }
        "getBlockTime" => {
            let asked = p[0].as_u64().ok_or_else(|| invalid("slot"))?;
            if asked > slot {
                return Err(
                    json!({"code": -32004, "message": format!("Block not available for slot {asked}")}),
                );
            }
            // Slots advance with the clock, one every MS_PER_SLOT.
            let back = ((slot - asked) as i64).saturating_mul(MS_PER_SLOT) / 1_000;
            Ok(json!(now - back))
        }
        "getLatestBlockhash" => {
            let (_, hash) = node.chain.lock().await.chain().banks_client().await;
            Ok(with_ctx(to_json(RpcBlockhash {
                blockhash: hash.to_string(),
                last_valid_block_height: slot + 150,
            })?))
        }
        "isBlockhashValid" => {
            let hash: Hash = p[0]
                .as_str()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| invalid("blockhash"))?;
            let probe = Message::new_with_blockhash(&[], Some(&Pubkey::new_unique()), &hash);
            let fee = node.chain.lock().await.chain().fee_for_message(probe).await;
            Ok(with_ctx(json!(fee.is_some())))
        }
        "getFeeForMessage" => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(p[0].as_str().ok_or_else(|| invalid("message"))?)
                .map_err(invalid)?;
            let message: Message = bincode::deserialize(&bytes).map_err(invalid)?;
            let fee = node
                .chain
                .lock()
                .await
                .chain()
                .fee_for_message(message)
                .await;
            Ok(with_ctx(json!(fee)))
        }
        "getMinimumBalanceForRentExemption" => {
            let len = p[0].as_u64().ok_or_else(|| invalid("length"))? as usize;
            Ok(json!(
                node.chain.lock().await.chain().rent_exempt(len).await
            ))
        }
        "getBalance" => {
            let key = pubkey(&p[0])?;
            Ok(with_ctx(json!(
                node.chain.lock().await.chain().balance(key).await
            )))
        }
        "getAccountInfo" => {
            let key = pubkey(&p[0])?;
            let cfg: RpcAccountInfoConfig = config(&p[1])?;
            let mut backend = node.chain.lock().await;
            let chain = backend.chain();
            let value = match chain.account(key).await {
                Some(a) => to_json(encode(chain, &key, &a, &cfg).await)?,
                None => Value::Null,
            };
            Ok(with_ctx(value))
        }
        "getMultipleAccounts" => {
            let cfg: RpcAccountInfoConfig = config(&p[1])?;
            let mut backend = node.chain.lock().await;
            let chain = backend.chain();
            let mut out = vec![];
            for k in p[0].as_array().ok_or_else(|| invalid("keys"))? {
                let key = pubkey(k)?;
                out.push(match chain.account(key).await {
                    Some(a) => to_json(encode(chain, &key, &a, &cfg).await)?,
                    None => Value::Null,
                });
            }
            Ok(with_ctx(Value::Array(out)))
        }
        "getProgramAccounts" => {
            let program = pubkey(&p[0])?;
            let cfg: RpcProgramAccountsConfig = config(&p[1])?;
            let filters = cfg.filters.unwrap_or_default();
            for f in &filters {
                f.verify().map_err(invalid)?;
            }
            let mut backend = node.chain.lock().await;
            let chain = backend.chain();
            let mut out = vec![];
            for (key, account) in chain.accounts_owned_by(program).await {
                if passes(&filters, &account) {
                    let account = encode(chain, &key, &account, &cfg.account_config).await;
                    out.push(RpcKeyedAccount {
                        pubkey: key.to_string(),
                        account,
                    });
                }
            }
            let out = to_json(out)?;
            Ok(if cfg.with_context == Some(true) {
                with_ctx(out)
            } else {
                out
            })
        }
        "getTokenAccountsByOwner" => {
            let owner = pubkey(&p[0])?;
            let filter: RpcTokenAccountsFilter =
                serde_json::from_value(p[1].clone()).map_err(invalid)?;
            let cfg: RpcAccountInfoConfig = config(&p[2])?;
            let (program, mint) = match filter {
                RpcTokenAccountsFilter::Mint(m) => (spl_token::ID, Some(pubkey(&json!(m))?)),
                RpcTokenAccountsFilter::ProgramId(id) => (pubkey(&json!(id))?, None),
            };
            if program != spl_token::ID {
                return Err(invalid(format!("unrecognized token program id {program}")));
            }
            let mut backend = node.chain.lock().await;
            let chain = backend.chain();
            let mut out = vec![];
            for (key, account) in chain.accounts_owned_by(spl_token::ID).await {
                let Ok(token) = spl_token::state::Account::unpack(&account.data) else {
                    continue;
                };
                if token.owner == owner && mint.is_none_or(|m| m == token.mint) {
                    let account = encode(chain, &key, &account, &cfg).await;
                    out.push(RpcKeyedAccount {
                        pubkey: key.to_string(),
                        account,
                    });
                }
            }
            Ok(with_ctx(to_json(out)?))
        }
        "getTokenAccountBalance" => {
            let key = pubkey(&p[0])?;
            let mut backend = node.chain.lock().await;
            let chain = backend.chain();
            let account = chain
                .account(key)
                .await
                .ok_or_else(|| invalid_param("Invalid param: could not find account"))?;
            let token = spl_token::state::Account::unpack(&account.data)
                .map_err(|_| invalid_param("Invalid param: not a Token account"))?;
            let decimals = token_decimals(chain, &account)
                .await
                .ok_or_else(|| invalid_param("Invalid param: could not find mint"))?;
            Ok(with_ctx(to_json(token_amount_to_ui_amount(
                token.amount,
                decimals,
            ))?))
        }
        "getTokenSupply" => {
            let key = pubkey(&p[0])?;
            let account = node
                .chain
                .lock()
                .await
                .chain()
                .account(key)
                .await
                .ok_or_else(|| invalid_param("Invalid param: could not find account"))?;
            let mint = spl_token::state::Mint::unpack(&account.data)
                .map_err(|_| invalid_param("Invalid param: not a Token mint"))?;
            Ok(with_ctx(to_json(token_amount_to_ui_amount(
                mint.supply,
                mint.decimals,
            ))?))
        }
        "requestAirdrop" => airdrop(node, p).await,
        "sendTransaction" => send(node, p).await,
        "simulateTransaction" => simulate(node, p).await,
        "getSignatureStatuses" => {
            let fail = node
                .fail_status_polls
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if fail {
                return Err(json!({"code": -32603, "message": "Internal error"}));
            }
            let history = node.history.lock().await;
            let mut statuses = vec![];
            for s in p[0].as_array().ok_or_else(|| invalid("signatures"))? {
                let sig = signature(s)?;
                statuses.push(match history.by_signature.get(&sig) {
                    Some(l) => json!({
                        "slot": l.slot, "confirmations": null, "err": l.err,
                        "status": match &l.err { None => json!({"Ok": null}), Some(e) => json!({"Err": e}) },
                        "confirmationStatus": TransactionConfirmationStatus::Finalized,
                    }),
                    None => Value::Null,
                });
            }
            Ok(with_ctx(Value::Array(statuses)))
        }
        "getSignaturesForAddress" => {
            let address = pubkey(&p[0])?;
            let cfg: RpcSignaturesForAddressConfig = config(&p[1])?;
            let limit = cfg.limit.unwrap_or(1_000).min(1_000);
            let before: Option<Signature> = cfg.before.map(|s| signature(&json!(s))).transpose()?;
            let until: Option<Signature> = cfg.until.map(|s| signature(&json!(s))).transpose()?;
            let history = node.history.lock().await;
            let mut out = vec![];
            // Newest first, starting after `before`, stopping at `until`.
            let mut started = before.is_none();
            for sig in history.order.iter().rev() {
                if !started {
                    started = Some(*sig) == before;
                    continue;
                }
                if Some(*sig) == until || out.len() == limit {
                    break;
                }
                let l = &history.by_signature[sig];
                if l.tx.message.account_keys.contains(&address) {
                    out.push(RpcConfirmedTransactionStatusWithSignature {
                        signature: sig.to_string(),
                        slot: l.slot,
                        err: l.err.clone(),
                        memo: None,
                        block_time: Some(l.block_time),
                        confirmation_status: Some(TransactionConfirmationStatus::Finalized),
                    });
                }
            }
            to_json(out)
        }
        "getTransaction" => {
            let sig = signature(&p[0])?;
            let cfg: RpcTransactionConfig = match &p[1] {
                Value::String(_) => RpcTransactionConfig {
                    encoding: Some(serde_json::from_value(p[1].clone()).map_err(invalid)?),
                    ..Default::default()
                },
                other => config(other)?,
            };
            let history = node.history.lock().await;
            let Some(l) = history.by_signature.get(&sig) else {
                return Ok(Value::Null);
            };
            let confirmed = ConfirmedTransactionWithStatusMeta {
                slot: l.slot,
                block_time: Some(l.block_time),
                tx_with_meta: TransactionWithStatusMeta::Complete(
                    VersionedTransactionWithStatusMeta {
                        transaction: VersionedTransaction::from(l.tx.clone()),
                        meta: TransactionStatusMeta {
                            status: l.err.clone().map_or(Ok(()), Err),
                            fee: l.fee,
                            pre_balances: l.pre_balances.clone(),
                            post_balances: l.post_balances.clone(),
                            log_messages: Some(l.logs.clone()),
                            compute_units_consumed: Some(l.compute_units),
                            ..Default::default()
                        },
                    },
                ),
            };
            let encoded = confirmed
                .encode(
                    cfg.encoding.unwrap_or(UiTransactionEncoding::Json),
                    cfg.max_supported_transaction_version,
                )
                .map_err(invalid)?;
            to_json(encoded)
        }
        _ => Err(json!({"code": -32601, "message": "Method not found"})),
    }
}

/// Lamports of every key of `tx`, in order.
async fn balances(chain: &mut Chain, tx: &Transaction) -> Vec<u64> {
    let mut out = vec![];
    for k in &tx.message.account_keys {
        out.push(chain.balance(*k).await);
    }
    out
}

/// Run `tx` for real and remember it: its status, its history entry and
/// its note to subscribers. With `preflight`, a transaction the
/// simulation refuses never runs.
async fn land(node: &Node, tx: Transaction, preflight: bool) -> Result<Signature, Value> {
    let signature = tx.signatures[0];
    let mut backend = node.chain.lock().await;
    backend.before_tx();
    if preflight {
        let (result, logs, units) = backend.chain().simulate(tx.clone()).await;
        if let Err(err) = result {
            return Err(preflight_failure(err, logs, units));
        }
    }
    let fee = backend
        .chain()
        .fee_for_message(tx.message.clone())
        .await
        .ok_or_else(|| preflight_failure(TransactionError::BlockhashNotFound, vec![], 0))?;
    let pre_balances = balances(backend.chain(), &tx).await;
    let out = backend.chain().execute_signed(tx.clone()).await;
    let (err, logs, compute_units) = match out {
        Ok(ok) => (None, ok.logs, ok.compute_units),
        // A program refused it (sent with skipPreflight): it landed, paid
        // its fee and failed, as on a cluster.
        Err(f) if matches!(f.error, TransactionError::InstructionError(..)) => {
            (Some(f.error), f.logs, 0)
        }
        // Never executed (already processed, fee payer unable to pay, the
        // bank unreachable): nothing landed.
        Err(f) => return Err(preflight_failure(f.error, f.logs, 0)),
    };
    backend.after_tx(err.is_none(), &logs).await;
    let chain = backend.chain();
    let post_balances = balances(chain, &tx).await;
    let clock = chain.clock().clone();
    let mut accounts = vec![];
    for key in chain.last_writable().to_vec() {
        accounts.push((key, chain.account(key).await.unwrap_or_default()));
    }
    drop(backend);
    let keys = tx.message.account_keys.clone();
    node.history.lock().await.insert(
        signature,
        Landed {
            slot: clock.slot,
            block_time: clock.unix_timestamp,
            logs: logs.clone(),
            compute_units,
            fee,
            pre_balances,
            post_balances,
            err: err.clone(),
            tx,
        },
    );
    // Nobody listening is fine.
    let _ = node.notes.send(Arc::new(Note {
        slot: clock.slot,
        signature,
        keys,
        logs,
        err,
        accounts,
    }));
    Ok(signature)
}

async fn send(node: &Node, p: &Value) -> Result<Value, Value> {
    node.sends.fetch_add(1, Ordering::SeqCst);
    let cfg: RpcSendTransactionConfig = config(&p[1])?;
    let tx = wire_transaction(&p[0], cfg.encoding)?;
    let expire = node
        .expire_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if expire {
        return Err(preflight_failure(
            TransactionError::BlockhashNotFound,
            vec![],
            0,
        ));
    }
    // The bank's metadata path executes without checking signatures (the
    // embedded transport signs its own); a transaction from outside must
    // prove them, as a validator's sigverify stage does.
    if tx.verify().is_err() {
        return Err(preflight_failure(
            TransactionError::SignatureFailure,
            vec![],
            0,
        ));
    }
    let signature = land(node, tx, !cfg.skip_preflight).await?;
    Ok(json!(signature.to_string()))
}

async fn simulate(node: &Node, p: &Value) -> Result<Value, Value> {
    let cfg: RpcSimulateTransactionConfig = config(&p[1])?;
    let mut tx = wire_transaction(&p[0], cfg.encoding)?;
    if cfg.sig_verify && cfg.replace_recent_blockhash {
        return Err(invalid(
            "sigVerify may not be used with replaceRecentBlockhash",
        ));
    }
    if cfg.sig_verify && tx.verify().is_err() {
        return Err(
            json!({"code": -32003, "message": "Transaction signature verification failure"}),
        );
    }
    let mut backend = node.chain.lock().await;
    backend.before_tx();
    let chain = backend.chain();
    if cfg.replace_recent_blockhash {
        tx.message.recent_blockhash = chain.banks_client().await.1;
    }
    let slot = chain.clock().slot;
    let (result, logs, units) = chain.simulate(tx).await;
    // The accounts the request names, as they are now (the simulation's
    // own post-state is not kept by the bank's simulate call).
    let accounts = match cfg.accounts {
        None => None,
        Some(want) => {
            let acfg = RpcAccountInfoConfig {
                encoding: want.encoding,
                ..Default::default()
            };
            let mut out = vec![];
            for a in &want.addresses {
                let key = pubkey(&json!(a))?;
                out.push(match chain.account(key).await {
                    Some(acc) => Some(encode(chain, &key, &acc, &acfg).await),
                    None => None,
                });
            }
            Some(out)
        }
    };
    let value = RpcSimulateTransactionResult {
        err: result.err(),
        logs: Some(logs),
        accounts,
        units_consumed: Some(units),
        return_data: None,
        inner_instructions: None,
    };
    Ok(json!({"context": {"slot": slot, "apiVersion": VERSION}, "value": to_json(value)?}))
}

/// A transfer from the embedded faucet (the chain's payer), landed as any
/// transaction is: its signature is real and confirms.
async fn airdrop(node: &Node, p: &Value) -> Result<Value, Value> {
    let to = pubkey(&p[0])?;
    let lamports = p[1].as_u64().ok_or_else(|| invalid("lamports"))?;
    let tx = {
        let mut backend = node.chain.lock().await;
        let chain = backend.chain();
        let (_, blockhash) = chain.banks_client().await;
        let faucet = chain.payer().insecure_clone();
        let ix = solana_sdk::system_instruction::transfer(&faucet.pubkey(), &to, lamports);
        Transaction::new_signed_with_payer(&[ix], Some(&faucet.pubkey()), &[&faucet], blockhash)
    };
    let signature = land(node, tx, true).await?;
    Ok(json!(signature.to_string()))
}

/// The websocket side: `accountSubscribe`, `programSubscribe`,
/// `signatureSubscribe`, `logsSubscribe`, `slotSubscribe` and their
/// unsubscribes, notifications as a validator sends them.
pub async fn serve_pubsub(node: Arc<Node>, listener: TcpListener) {
    accept(node, listener, pubsub_connection).await
}

/// What one subscription listens for.
enum Sub {
    /// Transactions mentioning this key (None: all).
    Logs(Option<Pubkey>),
    /// One transaction: notified once, then gone.
    Signature(Signature),
    Account(Pubkey, RpcAccountInfoConfig),
    Program(Pubkey, Vec<RpcFilterType>, RpcAccountInfoConfig),
    Slot,
}

fn notification(method: &str, subscription: u64, result: Value) -> String {
    json!({"jsonrpc": "2.0", "method": method,
           "params": {"result": result, "subscription": subscription}})
    .to_string()
}

/// The notifications one landed transaction owes one subscription.
async fn notify(node: &Node, sub: &Sub, id: u64, note: &Note, last_slot: u64) -> Vec<String> {
    let ctx = json!({"slot": note.slot});
    match sub {
        Sub::Logs(mention) => {
            if mention.is_some_and(|m| !note.keys.contains(&m)) {
                return vec![];
            }
            let value = RpcLogsResponse {
                signature: note.signature.to_string(),
                err: note.err.clone(),
                logs: note.logs.clone(),
            };
            vec![notification(
                "logsNotification",
                id,
                json!({"context": ctx, "value": value}),
            )]
        }
        Sub::Signature(s) if *s == note.signature => {
            vec![notification(
                "signatureNotification",
                id,
                json!({"context": ctx, "value": {"err": note.err}}),
            )]
        }
        Sub::Signature(_) => vec![],
        Sub::Account(key, cfg) => {
            let mut out = vec![];
            for (k, account) in note.accounts.iter().filter(|(k, _)| k == key) {
                let mut backend = node.chain.lock().await;
                let value = encode(backend.chain(), k, account, cfg).await;
                out.push(notification(
                    "accountNotification",
                    id,
                    json!({"context": ctx, "value": value}),
                ));
            }
            out
        }
        Sub::Program(program, filters, cfg) => {
            let mut out = vec![];
            for (k, account) in &note.accounts {
                if account.owner != *program || !passes(filters, account) {
                    continue;
                }
                let mut backend = node.chain.lock().await;
                let value = RpcKeyedAccount {
                    pubkey: k.to_string(),
                    account: encode(backend.chain(), k, account, cfg).await,
                };
                out.push(notification(
                    "programNotification",
                    id,
                    json!({"context": ctx, "value": value}),
                ));
            }
            out
        }
        Sub::Slot if note.slot > last_slot => {
            let info = SlotInfo {
                slot: note.slot,
                parent: note.slot.saturating_sub(1),
                root: note.slot,
            };
            vec![notification("slotNotification", id, json!(info))]
        }
        Sub::Slot => vec![],
    }
}

/// A subscribe request: the subscription, or the validator's error.
fn subscription(method: &str, params: &Value) -> Result<Sub, Value> {
    match method {
        "logsSubscribe" => {
            let filter: RpcTransactionLogsFilter =
                serde_json::from_value(params[0].clone()).map_err(invalid)?;
            match filter {
                RpcTransactionLogsFilter::All | RpcTransactionLogsFilter::AllWithVotes => {
                    Ok(Sub::Logs(None))
                }
                RpcTransactionLogsFilter::Mentions(keys) if keys.len() == 1 => {
                    Ok(Sub::Logs(Some(pubkey(&json!(keys[0]))?)))
                }
                RpcTransactionLogsFilter::Mentions(_) => {
                    Err(invalid("Invalid Request: Only 1 address supported"))
                }
            }
        }
        "signatureSubscribe" => {
            let _: RpcSignatureSubscribeConfig = config(&params[1])?;
            Ok(Sub::Signature(signature(&params[0])?))
        }
        "accountSubscribe" => Ok(Sub::Account(pubkey(&params[0])?, config(&params[1])?)),
        "programSubscribe" => {
            let cfg: RpcProgramAccountsConfig = config(&params[1])?;
            let filters = cfg.filters.unwrap_or_default();
            for f in &filters {
                f.verify().map_err(invalid)?;
            }
            Ok(Sub::Program(
                pubkey(&params[0])?,
                filters,
                cfg.account_config,
            ))
        }
        "slotSubscribe" => Ok(Sub::Slot),
        _ => Err(json!({"code": -32601, "message": "Method not found"})),
    }
}

async fn pubsub_connection(node: Arc<Node>, stream: TcpStream) -> anyhow::Result<()> {
    use futures_util::{SinkExt, StreamExt};
    use tokio::sync::broadcast::error::RecvError;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::Message;
    stream.set_nodelay(true)?;
    let mut ws = tokio_tungstenite::accept_async(stream).await?;
    // Subscribed before any request is read: a transaction that lands
    // after a subscribe request is seen, whatever the timing.
    let mut notes = node.notes.subscribe();
    let mut subs: Vec<(u64, Sub)> = vec![];
    let mut last_slot = 0u64;
    let mut slot = tokio::time::interval(std::time::Duration::from_millis(MS_PER_SLOT as u64));
    slot.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            msg = ws.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Ping(p))) => { ws.send(Message::Pong(p)).await?; continue; }
                    // Complete the closing handshake: the reply tungstenite
                    // queued echoes the client's code (1000 for a normal
                    // close); a client seeing any other code, or none,
                    // reconnects (web3.js does, forever).
                    Some(Ok(Message::Close(_))) => {
                        let _ = ws.flush().await;
                        return Ok(());
                    }
                    None => return Ok(()),
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(e.into()),
                };
                let req: Value = match serde_json::from_str(&text) {
                    Ok(r) => r,
                    Err(e) => {
                        let err = json!({"jsonrpc": "2.0", "id": null,
                                         "error": {"code": -32700, "message": format!("Parse error: {e}")}});
                        ws.send(Message::Text(err.to_string())).await?;
                        continue;
                    }
                };
                let method = req["method"].as_str().unwrap_or("");
                let reply = if let Some(kind) = method.strip_suffix("Unsubscribe") {
                    let id = req["params"][0].as_u64().unwrap_or(0);
                    let before = subs.len();
                    subs.retain(|(s, sub)| *s != id || !matches_kind(sub, kind));
                    if subs.len() < before {
                        json!({"jsonrpc": "2.0", "result": true, "id": req["id"]})
                    } else {
                        json!({"jsonrpc": "2.0", "id": req["id"],
                               "error": {"code": -32602, "message": "Invalid subscription id."}})
                    }
                } else {
                    match subscription(method, &req["params"]) {
                        Ok(sub) => {
                            let id = node.next_subscription.fetch_add(1, Ordering::SeqCst);
                            subs.push((id, sub));
                            json!({"jsonrpc": "2.0", "result": id, "id": req["id"]})
                        }
                        Err(error) => json!({"jsonrpc": "2.0", "id": req["id"], "error": error}),
                    }
                };
                ws.send(Message::Text(reply.to_string())).await?;
            }
            _ = slot.tick(), if subs.iter().any(|(_, s)| matches!(s, Sub::Signature(_))) => {
                // A signature that had already landed when it was
                // subscribed to is notified at the next slot, as a
                // validator does (never before the subscribe reply, which
                // the client must have read to match the notification).
                // Gathered under the lock, sent after it: a slow client must
                // not hold up the transactions that record into the history.
                let mut due = vec![];
                {
                    let history = node.history.lock().await;
                    for (id, sub) in &subs {
                        let Sub::Signature(sig) = sub else { continue };
                        if let Some(l) = history.by_signature.get(sig) {
                            due.push((*id, notification("signatureNotification", *id,
                                json!({"context": {"slot": l.slot}, "value": {"err": l.err}}))));
                        }
                    }
                }
                for (_, n) in &due {
                    ws.send(Message::Text(n.clone())).await?;
                }
                subs.retain(|(id, _)| !due.iter().any(|(d, _)| d == id));
            }
            note = notes.recv() => {
                let note = match note {
                    Ok(n) => n,
                    Err(RecvError::Lagged(missed)) => {
                        let reason = format!("subscriber too slow: {missed} notifications behind");
                        ws.send(Message::Close(Some(CloseFrame { code: CloseCode::Policy, reason: reason.into() }))).await?;
                        return Ok(());
                    }
                    Err(RecvError::Closed) => return Ok(()),
                };
                let mut done = vec![];
                for (id, sub) in &subs {
                    for n in notify(&node, sub, *id, &note, last_slot).await {
                        ws.send(Message::Text(n)).await?;
                        if matches!(sub, Sub::Signature(_)) {
                            done.push(*id);
                        }
                    }
                }
                last_slot = last_slot.max(note.slot);
                subs.retain(|(id, _)| !done.contains(id));
            }
        }
    }
}

/// Whether an `<kind>Unsubscribe` applies to `sub`.
fn matches_kind(sub: &Sub, kind: &str) -> bool {
    matches!(
        (sub, kind),
        (Sub::Logs(_), "logs")
            | (Sub::Signature(_), "signature")
            | (Sub::Account(..), "account")
            | (Sub::Program(..), "program")
            | (Sub::Slot, "slot")
    )
}
