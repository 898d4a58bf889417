//! The embedded ledger's transaction log, `<ledger>/transactions.jsonl`:
//! every `rampart` process on a ledger appends one line per transaction,
//! and the monitor follows it. The line format lives here, beside the
//! transport, so the writer (the embedded chain) and the reader (the
//! monitor) share it without depending on each other.

use serde::{Deserialize, Serialize};

/// One line of `transactions.jsonl`.
#[derive(Serialize, Deserialize)]
pub struct LoggedTx {
    /// The transaction's place in the ledger's history (1, 2, ...; 0 in
    /// logs written before it was numbered): the ledger's write-ahead log
    /// numbers its entries the same way, so recovery can tell which
    /// transactions the log still lacks.
    #[serde(default)]
    pub seq: u64,
    pub slot: u64,
    pub unix_timestamp: i64,
    pub ok: bool,
    pub logs: Vec<String>,
}
