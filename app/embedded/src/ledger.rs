//! The embedded chain as the CLI's default: one in-process bank per
//! command, its accounts and clock saved to a ledger directory between
//! commands, so `init`, then `margin deposit`, then `keeper` build on each
//! other as they would on a cluster. Accounts use the Solana CLI's
//! `solana account --output json` shape, so an account cloned from devnet
//! (a Pyth or Switchboard feed, say) loads with `--clone <file>` as is.
//!
//! Nothing is lost when a process is stopped, even by SIGKILL, and the
//! ledger never disagrees with `transactions.jsonl` (what the monitor
//! reads). Each transaction, as it lands, is appended first to
//! `ledger.wal` (its number, logs and what it left in every account it
//! could write), then to `transactions.jsonl` (its number and logs).
//! `accounts.json` is a snapshot that records the last number it holds;
//! opening a ledger applies the write-ahead log past it and appends to
//! `transactions.jsonl` any transaction a kill kept out of it. A line torn
//! by a kill is cut off: a transaction is in both files or in neither.
//! Saving (on exit, and whenever the write-ahead log passes
//! [`WAL_SNAPSHOT_BYTES`]) replaces the snapshot by an atomic rename and
//! then empties the write-ahead log, so it stays small however long a
//! keeper runs. Lines reach the operating system as each transaction
//! lands but are not synced one by one: a power loss can lose the last
//! ones, from the ledger and the log alike.

use std::collections::BTreeMap;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anchor_lang::prelude::{Clock, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use anyhow::Context;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use solana_sdk::account::Account;
use solana_sdk::signature::{Keypair, Signer};

use rampart_client::ledger_log::LoggedTx;
use rampart_client::transport::{Transport, TxSuccess};

use crate::account_json::KeyedAccountJson;
use crate::{Chain, MS_PER_SLOT};

/// A fresh ledger's wallet gets this much SOL (it is the embedded faucet).
const WALLET_LAMPORTS: u64 = 1_000 * 1_000_000_000;
/// A fresh ledger's first slot (any value works; this one looks like mainnet's era).
const FIRST_SLOT: u64 = 250_000_000;
const SNAPSHOT: &str = "accounts.json";
const LOG: &str = "transactions.jsonl";
const WAL: &str = "ledger.wal";
/// Snapshot and empty the write-ahead log past this size (a keeper's pass
/// writes tens of kilobytes of account state).
pub const WAL_SNAPSHOT_BYTES: u64 = 16 << 20;

#[derive(Serialize, Deserialize)]
struct Saved {
    slot: u64,
    unix_timestamp: i64,
    /// Wall-clock second of the save: the chain's clock moves on with real
    /// time between commands, as a cluster's does.
    saved_at: i64,
    /// The last transaction this snapshot holds (0 in ledgers written
    /// before transactions were numbered).
    #[serde(default)]
    seq: u64,
    accounts: Vec<KeyedAccountJson>,
}

/// One line of `ledger.wal`: the transaction's line of
/// `transactions.jsonl`, and its effect, so the entry alone can redo it.
#[derive(Serialize, Deserialize)]
struct Entry {
    tx: LoggedTx,
    /// Wall-clock second it landed.
    wall: i64,
    /// Every account the transaction could write, as it left them (zero
    /// lamports: closed).
    accounts: Vec<KeyedAccountJson>,
}

fn wall_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The complete lines of `file` and where the last of them ends. Bytes
/// after the last newline are a line a kill tore in half; the caller cuts
/// them off.
fn complete_lines(file: &mut std::fs::File) -> anyhow::Result<(Vec<Vec<u8>>, u64)> {
    file.seek(std::io::SeekFrom::Start(0))?;
    let mut bytes = vec![];
    file.read_to_end(&mut bytes)?;
    let complete = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let lines = bytes[..complete]
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    Ok((lines, complete as u64))
}

/// The number of the last transaction `transactions.jsonl` holds, and
/// where its last complete line ends, reading only the file's tail (the
/// log keeps every transaction a ledger ever ran).
fn last_logged(file: &mut std::fs::File) -> anyhow::Result<(u64, u64)> {
    let len = file.metadata()?.len();
    let mut tail = 64 * 1024u64;
    loop {
        let from = len.saturating_sub(tail);
        file.seek(std::io::SeekFrom::Start(from))?;
        let mut bytes = vec![];
        file.read_to_end(&mut bytes)?;
        let end = bytes.iter().rposition(|b| *b == b'\n');
        let start = end.and_then(|e| bytes[..e].iter().rposition(|b| *b == b'\n'));
        // Read further back until the last complete line is whole.
        if from > 0 && start.is_none() {
            tail = tail.saturating_mul(4);
            continue;
        }
        let Some(end) = end else {
            return Ok((0, 0));
        };
        let line = &bytes[start.map_or(0, |i| i + 1)..end];
        let seq = serde_json::from_slice::<LoggedTx>(line).map_or(0, |t| t.seq);
        return Ok((seq, from + end as u64 + 1));
    }
}

/// Read accounts in the Solana CLI's JSON: one object, or an array of them.
pub fn read_accounts_json(path: &Path) -> anyhow::Result<Vec<(Pubkey, Account)>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    let parsed: Vec<KeyedAccountJson> = match serde_json::from_str::<KeyedAccountJson>(&text) {
        Ok(one) => vec![one],
        Err(_) => serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not `solana account --output json` output",
                path.display()
            )
        })?,
    };
    parsed.iter().map(KeyedAccountJson::decode).collect()
}

/// Why the embedded chain is opened.
pub struct LedgerOptions {
    pub dir: PathBuf,
    pub wallet: Keypair,
    /// Account files to load over the ledger's (cloned oracles, say).
    pub clones: Vec<PathBuf>,
    /// Move the clock this many seconds forward before the command.
    pub warp_secs: i64,
}

/// The embedded chain bound to a ledger directory.
pub struct LedgerChain {
    chain: Chain,
    dir: PathBuf,
    /// The clock at open and the wall time then: the chain's clock follows
    /// real time from there, as a validator's does.
    opened: (Clock, std::time::Instant),
    log: std::fs::File,
    wal: std::fs::File,
    /// The number of the last transaction run on this ledger.
    seq: u64,
    _lock: LedgerLock,
}

impl LedgerChain {
    pub async fn open(o: LedgerOptions) -> anyhow::Result<LedgerChain> {
        std::fs::create_dir_all(&o.dir)
            .with_context(|| format!("create ledger directory {}", o.dir.display()))?;
        let lock = LedgerLock::take(&o.dir)?;
        let saved = read_snapshot(&o.dir)?;
        let mut wal = std::fs::OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(o.dir.join(WAL))
            .context("open ledger.wal")?;
        let (lines, good_end) = complete_lines(&mut wal)?;
        if good_end < wal.metadata()?.len() {
            wal.set_len(good_end)
                .context("cut the torn last line of ledger.wal")?;
        }
        let entries = entries_past(&lines, saved.as_ref())?;

        // The transaction log gets every transaction a kill kept out of it.
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(o.dir.join(LOG))
            .context("open transactions.jsonl")?;
        let (logged, log_end) = last_logged(&mut log)?;
        if log_end < log.metadata()?.len() {
            log.set_len(log_end)
                .context("cut the torn last line of transactions.jsonl")?;
        }
        for entry in entries.iter().filter(|e| e.tx.seq > logged) {
            append_line(&mut log, &entry.tx).context("complete transactions.jsonl")?;
        }

        let State {
            accounts,
            clock: (slot, ts),
            seq,
        } = replay(saved.as_ref(), &entries)?;
        let seq = seq.max(logged);

        let mut builder = Chain::builder();
        let has_wallet = accounts.contains_key(&o.wallet.pubkey());
        for (address, account) in accounts {
            builder = builder.with_raw_account(address, account);
        }
        for file in &o.clones {
            for (address, account) in read_accounts_json(file)? {
                builder = builder.with_raw_account(address, account);
            }
        }
        if !has_wallet {
            builder = builder.with_raw_account(
                o.wallet.pubkey(),
                Account::new(WALLET_LAMPORTS, 0, &anchor_lang::system_program::ID),
            );
        }
        let mut chain = builder.start().await;
        chain.set_payer(o.wallet);
        let warp_slots = (o.warp_secs.max(0) * 1_000 / MS_PER_SLOT) as u64;
        chain.set_clock(ts + o.warp_secs.max(0), slot + warp_slots);
        let opened = (chain.clock().clone(), std::time::Instant::now());
        Ok(LedgerChain {
            chain,
            dir: o.dir,
            opened,
            log,
            wal,
            seq,
            _lock: lock,
        })
    }

    pub fn chain_mut(&mut self) -> &mut Chain {
        &mut self.chain
    }

    /// Write every account the ledger knows, and the clock.
    pub async fn save(&mut self) -> anyhow::Result<()> {
        write_snapshot(&self.dir, &mut self.chain, self.seq).await?;
        // The snapshot holds every entry now: a kill before this line only
        // leaves entries the next open skips.
        self.wal.set_len(0).context("empty ledger.wal")?;
        Ok(())
    }

    /// Move the clock to where real time says it is, and at least `step`
    /// slots on (a transaction lands in a later slot than the last one).
    fn follow_wall_clock(&mut self, step: u64) {
        let (start, at) = &self.opened;
        let ms = at.elapsed().as_millis() as i64;
        let now = self.chain.clock().clone();
        let slot = (start.slot + (ms / MS_PER_SLOT) as u64).max(now.slot + step);
        let ts = (start.unix_timestamp + ms / 1_000).max(now.unix_timestamp);
        self.chain.set_clock(ts, slot);
    }

    /// Record the transaction that just ran, landed or not (a refused one
    /// still paid its fee): its effect on every account it could write to
    /// the write-ahead log, then its line to `transactions.jsonl`. From the
    /// first write on it survives a kill.
    async fn commit(&mut self, ok: bool, logs: &[String]) {
        let mut accounts = vec![];
        for address in self.chain.last_writable().to_vec() {
            let account = self.chain.account(address).await.unwrap_or_default();
            accounts.push(KeyedAccountJson::new(&address, &account));
        }
        let clock = self.chain.clock();
        self.seq += 1;
        let entry = Entry {
            tx: LoggedTx {
                seq: self.seq,
                slot: clock.slot,
                unix_timestamp: clock.unix_timestamp,
                ok,
                logs: logs.to_vec(),
            },
            wall: wall_secs(),
            accounts,
        };
        let written =
            append_line(&mut self.wal, &entry).and_then(|()| append_line(&mut self.log, &entry.tx));
        if let Err(e) = written {
            // The transaction has run; the snapshot at exit still keeps it,
            // but a kill before then would lose it.
            tracing::error!(error = %format!("{e:#}"), "ledger.wal or transactions.jsonl not written");
        }
        if self.wal.metadata().map_or(0, |m| m.len()) > WAL_SNAPSHOT_BYTES {
            if let Err(e) = self.save().await {
                tracing::error!(error = %format!("{e:#}"), "ledger snapshot failed");
            }
        }
    }
}

/// Replace `dir`'s snapshot with every account `chain` knows and its
/// clock, as of transaction `seq`: written whole beside the old snapshot,
/// then swapped in by rename, so a kill leaves the old snapshot or the
/// new, never half of one.
async fn write_snapshot(dir: &Path, chain: &mut Chain, seq: u64) -> anyhow::Result<()> {
    let mut accounts = vec![];
    for address in chain.known_accounts() {
        let Some(acc) = chain.account(address).await else {
            continue;
        };
        // Programs, sysvars and builtins come with every new bank.
        if acc.executable
            || acc.owner == anchor_lang::solana_program::sysvar::ID
            || acc.owner == solana_sdk::native_loader::ID
        {
            continue;
        }
        accounts.push(KeyedAccountJson::new(&address, &acc));
    }
    let clock = Chain::clock(chain);
    let saved = Saved {
        slot: clock.slot,
        unix_timestamp: clock.unix_timestamp,
        saved_at: wall_secs(),
        seq,
        accounts,
    };
    let tmp = dir.join("accounts.json.tmp");
    let mut file =
        std::fs::File::create(&tmp).with_context(|| format!("write {}", tmp.display()))?;
    file.write_all(&serde_json::to_vec(&saved)?)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("write {}", tmp.display()))?;
    std::fs::rename(&tmp, dir.join(SNAPSHOT)).context("replace accounts.json")?;
    Ok(())
}

/// Refuse `dir` for a new ledger unless it is absent or an empty
/// directory, named by a last component (not `.` or `..`, which cannot be
/// renamed into place).
pub fn check_new_ledger_dir(dir: &Path) -> anyhow::Result<()> {
    let named = matches!(
        dir.components().next_back(),
        Some(std::path::Component::Normal(_))
    );
    anyhow::ensure!(
        named,
        "{} names no new directory: give a path such as ./demo-ledger",
        dir.display()
    );
    let empty = std::fs::read_dir(dir).map_or(!dir.exists(), |mut d| d.next().is_none());
    anyhow::ensure!(
        empty,
        "{} is not empty: name a new or empty directory",
        dir.display()
    );
    Ok(())
}

/// A new ledger directory holding `chain`'s accounts and clock, signed for
/// by `wallet` (its `wallet.json`): the state a story run on an in-memory
/// chain (the demo) ended in, for the CLI to carry on from. Written whole
/// in a sibling directory, then renamed into place: a failure leaves no
/// half-made ledger, and a directory filled meanwhile by someone else
/// makes the rename fail instead of being overwritten.
pub async fn create(dir: &Path, chain: &mut Chain, wallet: &Keypair) -> anyhow::Result<()> {
    check_new_ledger_dir(dir)?;
    let name = dir
        .file_name()
        .with_context(|| format!("{} names no directory", dir.display()))?;
    let tmp = dir.with_file_name(format!(
        ".{}.new-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)
        .with_context(|| format!("create ledger directory {}", tmp.display()))?;
    let wallet_path = tmp.join("wallet.json");
    let written = match solana_sdk::signature::write_keypair_file(wallet, &wallet_path) {
        Ok(_) => write_snapshot(&tmp, chain, 0).await,
        Err(e) => Err(anyhow::anyhow!("write {}: {e}", wallet_path.display())),
    };
    let moved = written.and_then(|()| {
        // Onto an empty directory, rename replaces it; onto a full one it fails.
        std::fs::rename(&tmp, dir).with_context(|| format!("move the ledger to {}", dir.display()))
    });
    if moved.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    moved
}

/// One JSON line, in one write: a kill tears at most the last line.
fn append_line(file: &mut std::fs::File, value: &impl Serialize) -> anyhow::Result<()> {
    let mut text = serde_json::to_string(value)?;
    text.push('\n');
    file.write_all(text.as_bytes())?;
    Ok(())
}

#[async_trait]
impl Transport for LedgerChain {
    fn payer(&self) -> &Keypair {
        self.chain.payer()
    }

    fn describe(&self) -> String {
        format!("embedded chain (ledger {})", self.dir.display())
    }

    async fn send(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> anyhow::Result<TxSuccess> {
        self.follow_wall_clock(1);
        let out = self.chain.send(ixs, signers).await;
        match &out {
            Ok(s) => self.commit(true, &s.logs).await,
            Err(f) => self.commit(false, &f.logs).await,
        }
        Ok(out?)
    }

    async fn account(&mut self, address: Pubkey) -> anyhow::Result<Option<Account>> {
        Transport::account(&mut self.chain, address).await
    }

    async fn program_accounts(
        &mut self,
        program: Pubkey,
        discriminator: [u8; 8],
    ) -> anyhow::Result<Vec<(Pubkey, Account)>> {
        self.chain.program_accounts(program, discriminator).await
    }

    async fn clock(&mut self) -> anyhow::Result<Clock> {
        self.follow_wall_clock(0);
        Ok(self.chain.clock().clone())
    }

    async fn minimum_balance(&mut self, len: usize) -> anyhow::Result<u64> {
        Ok(self.chain.rent_exempt(len).await)
    }
}

/// `dir`'s snapshot, if it has one.
fn read_snapshot(dir: &Path) -> anyhow::Result<Option<Saved>> {
    let path = dir.join(SNAPSHOT);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is damaged; delete the ledger directory to start over",
                path.display()
            )
        })?)),
        Err(_) => Ok(None),
    }
}

/// The write-ahead log's entries the snapshot does not hold yet (a kill
/// between the snapshot's rename and the log's emptying leaves some it does).
fn entries_past(lines: &[Vec<u8>], saved: Option<&Saved>) -> anyhow::Result<Vec<Entry>> {
    let snapshot_seq = saved.map_or(0, |s| s.seq);
    let mut entries = vec![];
    for (n, line) in lines.iter().enumerate() {
        let entry: Entry = serde_json::from_slice(line).with_context(|| {
            format!(
                "{WAL}: line {} is damaged; delete the ledger directory to start over",
                n + 1
            )
        })?;
        if entry.tx.seq > snapshot_seq {
            entries.push(entry);
        }
    }
    Ok(entries)
}

/// What a ledger holds: its accounts, its clock now (moved on with the
/// wall time since the last write, as a cluster's is), and the number of
/// the last transaction.
struct State {
    accounts: BTreeMap<Pubkey, Account>,
    clock: (u64, i64),
    seq: u64,
}

/// The snapshot, then the write-ahead log past it, in order.
fn replay(saved: Option<&Saved>, entries: &[Entry]) -> anyhow::Result<State> {
    let mut accounts = BTreeMap::new();
    let (mut slot, mut ts, mut at) = match saved {
        Some(s) => (s.slot, s.unix_timestamp, s.saved_at),
        None => (FIRST_SLOT, wall_secs(), wall_secs()),
    };
    for keyed in saved.iter().flat_map(|s| &s.accounts) {
        let (address, account) = keyed.decode()?;
        accounts.insert(address, account);
    }
    let mut seq = saved.map_or(0, |s| s.seq);
    for entry in entries {
        for keyed in &entry.accounts {
            let (address, account) = keyed.decode()?;
            if account.lamports == 0 {
                accounts.remove(&address);
            } else {
                accounts.insert(address, account);
            }
        }
        seq = seq.max(entry.tx.seq);
        if entry.tx.slot >= slot {
            (slot, ts, at) = (entry.tx.slot, entry.tx.unix_timestamp, entry.wall);
        }
    }
    let elapsed = (wall_secs() - at).max(0);
    Ok(State {
        accounts,
        clock: (slot + (elapsed * 1_000 / MS_PER_SLOT) as u64, ts + elapsed),
        seq,
    })
}

/// A ledger read without opening it: its accounts as the files on disk
/// hold them now, while another process (a keeper, `serve`) may hold the
/// ledger and write to it. Reads only; nothing is locked, cut or
/// completed. The monitor names the accounts its events mention from it.
/// A snapshot taken between its two reads can hide the last transactions;
/// read again to see them.
pub struct LedgerView {
    dir: PathBuf,
    accounts: BTreeMap<Pubkey, Account>,
    clock: Clock,
    /// Stands in as the payer; it signs nothing.
    nobody: Keypair,
}

impl LedgerView {
    pub fn read(dir: &Path) -> anyhow::Result<LedgerView> {
        let saved = read_snapshot(dir)?;
        let lines = match std::fs::File::open(dir.join(WAL)) {
            // Only whole lines: the writer may be mid-line.
            Ok(mut wal) => complete_lines(&mut wal)?.0,
            Err(_) => vec![],
        };
        let entries = entries_past(&lines, saved.as_ref())?;
        let state = replay(saved.as_ref(), &entries)?;
        Ok(LedgerView {
            dir: dir.to_path_buf(),
            accounts: state.accounts,
            clock: Clock {
                slot: state.clock.0,
                unix_timestamp: state.clock.1,
                ..Clock::default()
            },
            nobody: Keypair::new(),
        })
    }
}

#[async_trait]
impl Transport for LedgerView {
    fn payer(&self) -> &Keypair {
        &self.nobody
    }

    fn cannot_sign(&self) -> Option<&str> {
        Some("a ledger view only reads")
    }

    fn describe(&self) -> String {
        format!("embedded ledger {} (read only)", self.dir.display())
    }

    async fn send(&mut self, _: &[Instruction], _: &[&Keypair]) -> anyhow::Result<TxSuccess> {
        anyhow::bail!("{} cannot send: it only reads", self.describe())
    }

    async fn account(&mut self, address: Pubkey) -> anyhow::Result<Option<Account>> {
        Ok(self.accounts.get(&address).cloned())
    }

    async fn program_accounts(
        &mut self,
        program: Pubkey,
        discriminator: [u8; 8],
    ) -> anyhow::Result<Vec<(Pubkey, Account)>> {
        Ok(self
            .accounts
            .iter()
            .filter(|(_, a)| a.owner == program && a.data.starts_with(&discriminator))
            .map(|(k, a)| (*k, a.clone()))
            .collect())
    }

    async fn clock(&mut self) -> anyhow::Result<Clock> {
        Ok(self.clock.clone())
    }

    async fn minimum_balance(&mut self, len: usize) -> anyhow::Result<u64> {
        Ok(anchor_lang::prelude::Rent::default().minimum_balance(len))
    }
}

/// One process at a time per ledger: a second writer would lose the
/// first one's transactions when it saves.
struct LedgerLock {
    path: PathBuf,
}

impl LedgerLock {
    fn take(dir: &Path) -> anyhow::Result<LedgerLock> {
        let path = dir.join("lock");
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    let _ = write!(f, "{}", std::process::id());
                    return Ok(LedgerLock { path });
                }
                Err(_) => {
                    let holder = std::fs::read_to_string(&path).unwrap_or_default();
                    let alive = holder
                        .trim()
                        .parse::<u32>()
                        .is_ok_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
                    anyhow::ensure!(
                        !alive,
                        "ledger {} is in use by rampart process {} (stop it, or use another --ledger)",
                        dir.display(),
                        holder.trim()
                    );
                    // The holder died without cleaning up: take the lock over.
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        anyhow::bail!("could not lock ledger {}", dir.display())
    }
}

impl Drop for LedgerLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[async_trait]
impl crate::serve::Backend for LedgerChain {
    fn chain(&mut self) -> &mut Chain {
        &mut self.chain
    }

    fn before_tx(&mut self) {
        self.follow_wall_clock(1);
    }

    async fn after_tx(&mut self, ok: bool, logs: &[String]) {
        self.commit(ok, logs).await;
    }

    async fn persist(&mut self) -> anyhow::Result<()> {
        self.save().await
    }
}
