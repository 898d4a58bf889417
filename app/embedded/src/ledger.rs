//! The embedded chain as the CLI's default: one in-process bank per
//! command, its accounts and clock saved to a ledger directory between
//! commands, so `init`, then `margin deposit`, then `keeper` build on each
//! other as they would on a cluster. Accounts use the Solana CLI's
//! `solana account --output json` shape, so an account cloned from devnet
//! (a Pyth or Switchboard feed, say) loads with `--clone <file>` as is.
//! Every transaction's logs are appended to `transactions.jsonl`, which
//! `rampart monitor` follows.

use std::io::Write;
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

#[derive(Serialize, Deserialize)]
struct Saved {
    slot: u64,
    unix_timestamp: i64,
    /// Wall-clock second of the save: the chain's clock moves on with real
    /// time between commands, as a cluster's does.
    saved_at: i64,
    accounts: Vec<KeyedAccountJson>,
}

fn wall_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
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
    _lock: LedgerLock,
}

impl LedgerChain {
    pub async fn open(o: LedgerOptions) -> anyhow::Result<LedgerChain> {
        std::fs::create_dir_all(&o.dir)
            .with_context(|| format!("create ledger directory {}", o.dir.display()))?;
        let lock = LedgerLock::take(&o.dir)?;
        let state_path = o.dir.join("accounts.json");
        let saved: Option<Saved> = match std::fs::read_to_string(&state_path) {
            Ok(text) => Some(serde_json::from_str(&text).with_context(|| {
                format!(
                    "{} is damaged; delete the ledger directory to start over",
                    state_path.display()
                )
            })?),
            Err(_) => None,
        };
        let mut builder = Chain::builder();
        let mut has_wallet = false;
        let (slot, ts) = match &saved {
            Some(s) => {
                let elapsed = (wall_secs() - s.saved_at).max(0);
                (
                    s.slot + (elapsed * 1_000 / MS_PER_SLOT) as u64,
                    s.unix_timestamp + elapsed,
                )
            }
            None => (FIRST_SLOT, wall_secs()),
        };
        for keyed in saved.iter().flat_map(|s| &s.accounts) {
            let (address, account) = keyed.decode()?;
            has_wallet |= address == o.wallet.pubkey();
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
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(o.dir.join("transactions.jsonl"))
            .context("open transactions.jsonl")?;
        let opened = (chain.clock().clone(), std::time::Instant::now());
        Ok(LedgerChain {
            chain,
            dir: o.dir,
            opened,
            log,
            _lock: lock,
        })
    }

    pub fn chain_mut(&mut self) -> &mut Chain {
        &mut self.chain
    }

    /// Write every account the ledger knows, and the clock.
    pub async fn save(&mut self) -> anyhow::Result<()> {
        let mut accounts = vec![];
        for address in self.chain.known_accounts() {
            let Some(acc) = self.chain.account(address).await else {
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
        let clock = self.chain.clock();
        let saved = Saved {
            slot: clock.slot,
            unix_timestamp: clock.unix_timestamp,
            saved_at: wall_secs(),
            accounts,
        };
        let tmp = self.dir.join("accounts.json.tmp");
        std::fs::write(&tmp, serde_json::to_vec(&saved)?)
            .with_context(|| format!("write {}", tmp.display()))?;
        std::fs::rename(&tmp, self.dir.join("accounts.json")).context("replace accounts.json")?;
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

    fn append_log(&mut self, ok: bool, logs: &[String]) {
        let clock = self.chain.clock();
        let line = LoggedTx {
            slot: clock.slot,
            unix_timestamp: clock.unix_timestamp,
            ok,
            logs: logs.to_vec(),
        };
        if let Ok(mut text) = serde_json::to_string(&line) {
            text.push('\n');
            // The log feeds the monitor only; a full disk must not fail a transaction.
            let _ = self.log.write_all(text.as_bytes());
        }
    }
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
            Ok(s) => self.append_log(true, &s.logs),
            Err(f) => self.append_log(false, &f.logs),
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

    fn after_tx(&mut self, ok: bool, logs: &[String]) {
        self.append_log(ok, logs);
    }

    async fn persist(&mut self) -> anyhow::Result<()> {
        self.save().await
    }
}
