//! The embedded ledger's transaction log, `<ledger>/transactions.jsonl`:
//! every `rampart` process on a ledger appends one line per transaction,
//! and the monitor follows it. The line format lives here, beside the
//! transport, so the writer (the embedded chain) and the reader (the
//! monitor) share it without depending on each other.

use serde::{Deserialize, Serialize};

/// One line of `transactions.jsonl`.
#[derive(Serialize, Deserialize)]
pub struct LoggedTx {
    pub slot: u64,
    pub unix_timestamp: i64,
    pub ok: bool,
    pub logs: Vec<String>,
}
