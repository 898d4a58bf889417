//! The embedded chain: an in-process bank with Rampart's programs loaded
//! natively (no SBF toolchain needed), SPL programs, and a controllable
//! clock. The CLI's default transport, the simulator's engine and the one
//! harness every test uses.

use std::collections::BTreeSet;

use anchor_lang::prelude::{AccountInfo, Clock, Pubkey};
use anchor_lang::solana_program::entrypoint::ProgramResult;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{AccountDeserialize, Discriminator, ZeroCopy};
use solana_program_test::{processor, ProgramTest, ProgramTestContext};
use solana_sdk::account::Account;
use solana_sdk::compute_budget::ComputeBudgetInstruction;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::system_instruction;
use solana_sdk::transaction::{Transaction, TransactionError};

pub use rampart_client::transport::{TxFailure, TxResult, TxSuccess};

/// Anchor 0.30's `entry` wants one lifetime for the slice and the accounts;
/// the runtime's builtin signature has two. Leaking the (small) slice of
/// account handles gives it `'static` storage; the account data itself
/// stays owned by the runtime.
fn leak<'a>(accounts: &[AccountInfo<'a>]) -> &'a [AccountInfo<'a>] {
    Box::leak(accounts.to_vec().into_boxed_slice())
}

pub fn pricing_processor(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> ProgramResult {
    pricing::entry(program_id, leak(accounts), data)
}

pub fn margin_processor(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> ProgramResult {
    margin::entry(program_id, leak(accounts), data)
}

pub fn vault_processor(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> ProgramResult {
    vault::entry(program_id, leak(accounts), data)
}

pub fn backstop_processor(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> ProgramResult {
    backstop::entry(program_id, leak(accounts), data)
}

/// Target slot time; the clock helpers advance slots at this pace.
pub const MS_PER_SLOT: i64 = 400;

/// Accounts and programs to preload, then [`ChainBuilder::start`].
pub struct ChainBuilder {
    program_test: ProgramTest,
    preloaded: Vec<Pubkey>,
}

impl Default for ChainBuilder {
    fn default() -> Self {
        // program-test logs every instruction at debug level unless told
        // otherwise; that costs more than the transactions themselves.
        if std::env::var_os("RUST_LOG").is_none() {
            std::env::set_var(
                "RUST_LOG",
                "solana_runtime::message_processor=error,solana_program_test=error,error",
            );
        }
        let mut program_test = ProgramTest::default();
        program_test.prefer_bpf(false);
        program_test.add_program("pricing", pricing::ID, processor!(pricing_processor));
        program_test.add_program("margin", margin::ID, processor!(margin_processor));
        program_test.add_program("vault", vault::ID, processor!(vault_processor));
        program_test.add_program("backstop", backstop::ID, processor!(backstop_processor));
        ChainBuilder {
            program_test,
            preloaded: vec![],
        }
    }
}

impl ChainBuilder {
    /// Load an account (e.g. a cloned oracle) at its real address and owner.
    pub fn with_account(mut self, address: Pubkey, owner: Pubkey, data: Vec<u8>) -> Self {
        let lamports = 1_000_000_000 + data.len() as u64 * 7_000;
        self.program_test.add_account(
            address,
            Account {
                lamports,
                data,
                owner,
                executable: false,
                rent_epoch: 0,
            },
        );
        self
    }

    /// The underlying `ProgramTest`, to register more native programs with
    /// `processor!` (tests use it for CPI attackers).
    /// Load an account exactly as given (a saved ledger, a cloned account).
    pub fn with_raw_account(mut self, address: Pubkey, account: Account) -> Self {
        self.program_test.add_account(address, account);
        self.preloaded.push(address);
        self
    }

    pub fn program_test_mut(&mut self) -> &mut ProgramTest {
        &mut self.program_test
    }

    pub async fn start(self) -> Chain {
        let ctx = self.program_test.start_with_context().await;
        crate::native_stubs::forward_events_to_logs();
        let clock = ctx
            .banks_client
            .clone()
            .get_sysvar::<Clock>()
            .await
            .expect("clock sysvar");
        Chain {
            ctx,
            clock,
            nonce: 0,
            known: self.preloaded.into_iter().collect(),
            recorded: None,
            owners: Default::default(),
            kinds: Default::default(),
            last_writable: vec![],
        }
    }
}

/// A natively run transaction's logs as a validator running the programs
/// as SBF writes them, so any client's log parser (Anchor's event parser
/// among them) reads them as it would on a cluster:
/// - events as `Program data: <base64>` (the native stub can only log
///   them behind `Program log: `);
/// - each program's `invoke` and `success`/`failed` line once (for a
///   natively run program both the runtime and the native entrypoint write
///   one, one right after the other);
/// - a native program's CPI without the stub's extra `Program P invoke [k]`
///   at the caller's depth just before the runtime's `Program P invoke
///   [k+1]` (a parser that tracks the call stack would otherwise hold a
///   frame that never returns and give the caller's later events to P).
pub fn as_validator_logs(logs: Vec<String>) -> Vec<String> {
    let frame = |line: &str| {
        line.starts_with("Program ")
            && (line.contains(" invoke [")
                || line.ends_with(" success")
                || line.contains(" failed: "))
    };
    let mut deduped: Vec<String> = Vec::with_capacity(logs.len());
    for line in logs {
        if let Some(data) = line.strip_prefix("Program log: Program data: ") {
            deduped.push(format!("Program data: {data}"));
        } else if !(frame(&line) && deduped.last() == Some(&line)) {
            deduped.push(line);
        }
    }
    let invoke = |line: &str| -> Option<(String, u32)> {
        let (program, depth) = line.strip_prefix("Program ")?.split_once(" invoke [")?;
        Some((program.to_string(), depth.strip_suffix(']')?.parse().ok()?))
    };
    let mut out = Vec::with_capacity(deduped.len());
    for (i, line) in deduped.iter().enumerate() {
        let stub_invoke = match (invoke(line), deduped.get(i + 1).and_then(|n| invoke(n))) {
            (Some((p, k)), Some((next, k1))) => p == next && k1 == k + 1,
            _ => false,
        };
        if !stub_invoke {
            out.push(line.clone());
        }
    }
    out
}

/// Execute a signed transaction in the bank and say how it went.
async fn execute_on(client: &mut solana_program_test::BanksClient, tx: Transaction) -> TxResult {
    let out = client
        .process_transaction_with_metadata(tx)
        .await
        .map_err(|e| TxFailure {
            error: TransactionError::AccountNotFound,
            logs: vec![format!("banks client: {e}")],
        })?;
    let (logs, compute_units) = out
        .metadata
        .map(|m| (as_validator_logs(m.log_messages), m.compute_units_consumed))
        .unwrap_or_default();
    match out.result {
        Ok(()) => Ok(TxSuccess {
            logs,
            compute_units,
        }),
        Err(error) => Err(TxFailure { error, logs }),
    }
}

/// See [`Chain::handle`].
pub struct BankHandle {
    client: solana_program_test::BanksClient,
    payer: Keypair,
    blockhash: solana_sdk::hash::Hash,
}

impl BankHandle {
    pub fn payer(&self) -> &Keypair {
        &self.payer
    }

    /// Sign with the payer plus `signers` and execute, following the
    /// bank's blockhash when it moved on.
    pub async fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> TxResult {
        let mut keys: Vec<&Keypair> = vec![&self.payer];
        keys.extend(signers.iter().filter(|k| k.pubkey() != self.payer.pubkey()));
        for attempt in 0..2 {
            let tx = Transaction::new_signed_with_payer(
                ixs,
                Some(&self.payer.pubkey()),
                &keys,
                self.blockhash,
            );
            match execute_on(&mut self.client, tx).await {
                Err(f) if attempt == 0 && f.error == TransactionError::BlockhashNotFound => {
                    if let Ok(hash) = self.client.get_latest_blockhash().await {
                        self.blockhash = hash;
                    }
                }
                done => return done,
            }
        }
        unreachable!("the second attempt always returns")
    }

    pub async fn account(&mut self, address: Pubkey) -> Option<Account> {
        self.client.get_account(address).await.ok().flatten()
    }

    pub async fn clock_sysvar(&mut self) -> anyhow::Result<Clock> {
        Ok(self.client.get_sysvar::<Clock>().await?)
    }

    pub async fn rent_exempt(&mut self, len: usize) -> anyhow::Result<u64> {
        Ok(self.client.get_rent().await?.minimum_balance(len))
    }
}

pub struct Chain {
    ctx: ProgramTestContext,
    clock: Clock,
    nonce: u32,
    /// Every address a transaction touched or that was loaded: the bank
    /// cannot list accounts by owner, so this stands in for an index.
    known: BTreeSet<Pubkey>,
    /// Owners seen of known accounts, other than the system program's (an
    /// account leaves a program only by being closed): lets a scan for one
    /// program's accounts skip token accounts and others without fetching.
    owners: std::collections::BTreeMap<Pubkey, Pubkey>,
    /// The discriminator (first 8 bytes) seen of program accounts no
    /// transaction has been able to write since: a scan for one account
    /// type skips the others without fetching them (an agent pass lists
    /// banks among a thousand margin accounts).
    kinds: std::collections::BTreeMap<Pubkey, [u8; 8]>,
    /// Logs of successful transactions since the last take, when recording.
    recorded: Option<Vec<Vec<String>>>,
    /// The accounts the last executed transaction could write: all it can
    /// have changed (the runtime refuses a write to any other), which the
    /// ledger records after it.
    last_writable: Vec<Pubkey>,
}

impl Chain {
    /// Keep every successful transaction's logs until [`Chain::take_logs`]
    /// (the demo narrates events from them).
    pub fn record_logs(&mut self) {
        self.recorded.get_or_insert_with(Vec::new);
    }

    pub fn take_logs(&mut self) -> Vec<Vec<String>> {
        self.recorded
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    pub fn builder() -> ChainBuilder {
        ChainBuilder::default()
    }

    pub fn payer(&self) -> &Keypair {
        &self.ctx.payer
    }

    /// Pay fees from `wallet` from now on (the CLI's `--keypair`).
    pub fn set_payer(&mut self, wallet: Keypair) {
        self.known.insert(wallet.pubkey());
        self.ctx.payer = wallet;
    }

    /// The bank's client (it clones cheaply; each clone is a connection) and
    /// a current blockhash.
    pub async fn banks_client(
        &mut self,
    ) -> (solana_program_test::BanksClient, solana_sdk::hash::Hash) {
        let mut client = self.ctx.banks_client.clone();
        let hash = client
            .get_latest_blockhash()
            .await
            .unwrap_or(self.ctx.last_blockhash);
        (client, hash)
    }

    /// Every known account `program` owns (see [`Chain::known_accounts`]).
    pub async fn accounts_owned_by(&mut self, program: Pubkey) -> Vec<(Pubkey, Account)> {
        self.accounts_of(program, None).await
    }

    /// The accounts `program` owns whose data starts with `discriminator`
    /// (every one with None).
    pub async fn accounts_of(
        &mut self,
        program: Pubkey,
        discriminator: Option<[u8; 8]>,
    ) -> Vec<(Pubkey, Account)> {
        let same_kind = |k: &[u8; 8]| discriminator.is_none_or(|d| d == *k);
        let wanted: Vec<Pubkey> = self
            .known_accounts()
            .into_iter()
            .filter(|a| self.owners.get(a).is_none_or(|o| *o == program))
            .filter(|a| self.kinds.get(a).is_none_or(same_kind))
            .collect();
        // Asked all at once: the bank answers them back to back instead of
        // one round trip between threads each (a scan of a thousand
        // accounts was mostly waiting).
        let client = &self.ctx.banks_client;
        let fetched = futures_util::future::join_all(wanted.iter().map(|address| {
            let mut client = client.clone();
            async move { client.get_account(*address).await.ok().flatten() }
        }))
        .await;
        let mut found = vec![];
        for (address, acc) in wanted.into_iter().zip(fetched) {
            match acc {
                Some(acc) => {
                    if acc.owner != anchor_lang::system_program::ID {
                        self.owners.insert(address, acc.owner);
                    }
                    // An all-zero head is an account not initialised yet: its
                    // type is still to come.
                    let kind = acc.data.get(..8).and_then(|k| <[u8; 8]>::try_from(k).ok());
                    if let Some(kind) = kind.filter(|k| *k != [0; 8]) {
                        self.kinds.insert(address, kind);
                    }
                    let kind_matches =
                        discriminator.is_none_or(|d| acc.data.get(..8) == Some(&d[..]));
                    if acc.owner == program && kind_matches {
                        found.push((address, acc));
                    }
                }
                None => {
                    self.owners.remove(&address);
                    self.kinds.remove(&address);
                }
            }
        }
        found
    }

    /// The accounts the last executed transaction could write, landed or
    /// not (a failed one still charges its fee payer).
    pub fn last_writable(&self) -> &[Pubkey] {
        &self.last_writable
    }

    /// Addresses any transaction touched or the builder loaded, in order.
    pub fn known_accounts(&self) -> Vec<Pubkey> {
        self.known.iter().copied().collect()
    }

    pub fn payer_pubkey(&self) -> Pubkey {
        self.ctx.payer.pubkey()
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Sign with the payer plus `signers` and execute at once (no confirmation polling).
    pub async fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> TxResult {
        let payer = self.ctx.payer.insecure_clone();
        self.send_paid_by(&payer, ixs, signers).await
    }

    /// Like [`Chain::send`], with `payer` paying instead of the chain's payer
    /// (several actors sharing one chain, e.g. racing keepers).
    pub async fn send_paid_by(
        &mut self,
        payer: &Keypair,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> TxResult {
        let mut all = Vec::with_capacity(ixs.len() + 1);
        all.push(self.next_compute_limit());
        all.extend_from_slice(ixs);
        self.execute(payer, &all, signers).await
    }

    /// A varying compute-unit limit keeps otherwise identical transactions
    /// (e.g. repeated refreshes, or a probe's variants) distinct under one
    /// blockhash.
    fn next_compute_limit(&mut self) -> Instruction {
        self.nonce = self.nonce.wrapping_add(1);
        ComputeBudgetInstruction::set_compute_unit_limit(1_400_000 - (self.nonce % 200_000))
    }

    /// Execute exactly these instructions (no compute-budget prefix).
    pub async fn send_exact(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> TxResult {
        let payer = self.ctx.payer.insecure_clone();
        self.execute(&payer, ixs, signers).await
    }

    async fn execute(
        &mut self,
        payer: &Keypair,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> TxResult {
        let Some(mut probe) = crate::shadow::take() else {
            return self.execute_unprobed(payer, ixs, signers).await;
        };
        self.run_variants(&mut *probe, payer, ixs, signers).await;
        let out = self.execute_unprobed(payer, ixs, signers).await;
        if out.is_ok() {
            let after = self.seen(payer, ixs, signers).await;
            probe.observe(&after);
        }
        crate::shadow::put_back(probe);
        out
    }

    /// A probe's view of a transaction about to run.
    async fn seen<'a>(
        &mut self,
        payer: &Keypair,
        ixs: &'a [Instruction],
        signers: &[&Keypair],
    ) -> crate::shadow::Seen<'a> {
        let keys = crate::shadow::keys_of(ixs);
        crate::shadow::Seen {
            ixs,
            payer: payer.pubkey(),
            signers: signers.iter().map(|k| k.pubkey()).collect(),
            accounts: self.snapshot(&keys).await,
        }
    }

    async fn snapshot(
        &mut self,
        keys: &[Pubkey],
    ) -> std::collections::BTreeMap<Pubkey, Option<Account>> {
        let mut out = std::collections::BTreeMap::new();
        for k in keys {
            out.insert(*k, self.account(*k).await);
        }
        out
    }

    /// Run each variant the probe proposes from the current state and tell
    /// it what happened (see `crate::shadow`).
    async fn run_variants(
        &mut self,
        probe: &mut dyn crate::shadow::Probe,
        payer: &Keypair,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) {
        let seen = self.seen(payer, ixs, signers).await;
        for v in probe.variants(&seen) {
            for (k, a) in &v.create {
                self.set_account(*k, a.clone());
            }
            let mut all = v.ixs.clone();
            if all.first().map(|ix| ix.program_id) == Some(solana_sdk::compute_budget::ID) {
                all[0] = self.next_compute_limit();
            }
            let required: BTreeSet<Pubkey> = all
                .iter()
                .flat_map(|ix| ix.accounts.iter().filter(|m| m.is_signer).map(|m| m.pubkey))
                .collect();
            let chosen: Vec<&Keypair> = signers
                .iter()
                .copied()
                .filter(|k| v.signers.contains(&k.pubkey()) && required.contains(&k.pubkey()))
                .collect();
            let signed =
                |k: &Pubkey| *k == payer.pubkey() || chosen.iter().any(|c| c.pubkey() == *k);
            if !required.iter().all(signed) {
                probe.outcome(&v, crate::shadow::Outcome::Unsignable);
                continue;
            }
            let keys = crate::shadow::keys_of(&all);
            let before = self.snapshot(&keys).await;
            let result = self.execute_unprobed(payer, &all, &chosen).await;
            let after = self.snapshot(&keys).await;
            let outcome = match result {
                Ok(_) => crate::shadow::Outcome::Succeeded,
                Err(f) => crate::shadow::Outcome::Refused {
                    error: f.to_string(),
                    changed: crate::shadow::changed(&before, &after, &payer.pubkey()),
                },
            };
            probe.outcome(&v, outcome);
        }
    }

    async fn execute_unprobed(
        &mut self,
        payer: &Keypair,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> TxResult {
        let mut all_signers: Vec<&Keypair> = vec![payer];
        all_signers.extend(
            signers
                .iter()
                .copied()
                .filter(|k| k.pubkey() != payer.pubkey()),
        );
        // The bank registers a new blockhash every 400 ms of wall time, so a
        // long-lived chain must follow it, as any client does.
        for attempt in 0..2 {
            let tx = Transaction::new_signed_with_payer(
                ixs,
                Some(&payer.pubkey()),
                &all_signers,
                self.ctx.last_blockhash,
            );
            match self.execute_signed(tx).await {
                Err(f) if attempt == 0 && f.error == TransactionError::BlockhashNotFound => {
                    self.ctx.last_blockhash = self
                        .ctx
                        .banks_client
                        .get_latest_blockhash()
                        .await
                        .map_err(|e| TxFailure {
                            error: TransactionError::BlockhashNotFound,
                            logs: vec![format!("banks client: {e}")],
                        })?;
                }
                done => return done,
            }
        }
        unreachable!("the second attempt always returns")
    }

    /// Execute a transaction someone else built and signed (the JSON-RPC
    /// endpoint's `sendTransaction`).
    pub async fn execute_signed(&mut self, tx: Transaction) -> TxResult {
        self.known.extend(tx.message.account_keys.iter().copied());
        let message = &tx.message;
        self.last_writable = (0..message.account_keys.len())
            .filter(|&i| message.is_writable(i))
            .map(|i| message.account_keys[i])
            .collect();
        // What it may write may change type (closed, created): seen again.
        for key in &self.last_writable {
            self.kinds.remove(key);
        }
        let out = execute_on(&mut self.ctx.banks_client, tx).await;
        if let (Ok(ok), Some(r)) = (&out, self.recorded.as_mut()) {
            r.push(ok.logs.clone());
        }
        out
    }

    /// Run a signed transaction against the bank's current state without
    /// landing it: its result, logs and compute units (the JSON-RPC
    /// endpoint's `simulateTransaction`, and its preflight).
    pub async fn simulate(
        &mut self,
        tx: Transaction,
    ) -> (Result<(), TransactionError>, Vec<String>, u64) {
        match self.ctx.banks_client.simulate_transaction(tx).await {
            Ok(sim) => {
                let (logs, units) = sim
                    .simulation_details
                    .map(|d| (as_validator_logs(d.logs), d.units_consumed))
                    .unwrap_or_default();
                let result = sim
                    .result
                    .unwrap_or(Err(TransactionError::BlockhashNotFound));
                (result, logs, units)
            }
            Err(e) => (
                Err(TransactionError::AccountNotFound),
                vec![format!("banks client: {e}")],
                0,
            ),
        }
    }

    /// The fee the bank charges for `message`, or None when its blockhash
    /// is no longer valid (too old, or never the bank's).
    pub async fn fee_for_message(&mut self, message: solana_sdk::message::Message) -> Option<u64> {
        self.ctx
            .banks_client
            .get_fee_for_message(message)
            .await
            .ok()
            .flatten()
    }

    /// The hash of the bank's genesis configuration: which chain this is.
    pub fn genesis_hash(&self) -> solana_sdk::hash::Hash {
        self.ctx.genesis_config().hash()
    }

    /// A handle that sends transactions paid by `payer` straight to the
    /// bank, without this chain's lock: several handles run concurrently,
    /// as a busy client's connections do. It reads single accounts but
    /// keeps no index of them (no `program_accounts`).
    pub async fn handle(&mut self, payer: Keypair) -> BankHandle {
        let (client, blockhash) = self.banks_client().await;
        BankHandle {
            client,
            payer,
            blockhash,
        }
    }

    /// Set the clock every program sees.
    pub fn set_clock(&mut self, unix_timestamp: i64, slot: u64) {
        self.clock.unix_timestamp = unix_timestamp;
        self.clock.slot = slot;
        self.ctx.set_sysvar(&self.clock);
    }

    /// Move time forward by `secs` and slots at the 400 ms target pace.
    pub fn advance(&mut self, secs: i64) {
        let slots = (secs * 1_000 / MS_PER_SLOT) as u64;
        self.set_clock(self.clock.unix_timestamp + secs, self.clock.slot + slots);
    }

    pub async fn account(&mut self, address: Pubkey) -> Option<Account> {
        self.ctx
            .banks_client
            .get_account(address)
            .await
            .ok()
            .flatten()
    }

    /// Decode an Anchor (Borsh) account.
    pub async fn anchor_account<T: AccountDeserialize>(&mut self, address: Pubkey) -> Option<T> {
        let acc = self.account(address).await?;
        T::try_deserialize(&mut acc.data.as_slice()).ok()
    }

    /// Decode a zero-copy Anchor account (copied out, so alignment never matters).
    pub async fn zero_copy_account<T: ZeroCopy + Discriminator>(
        &mut self,
        address: Pubkey,
    ) -> Option<T> {
        let acc = self.account(address).await?;
        rampart_client::transport::decode_zero_copy(&acc.data)
    }

    /// Overwrite an account (tests use it to model an oracle account that
    /// was closed and recreated, or rewritten by its own program).
    pub fn set_account(&mut self, address: Pubkey, account: Account) {
        self.known.insert(address);
        self.kinds.remove(&address);
        self.ctx.set_account(&address, &account.into());
    }

    /// Lamports for a rent-exempt account of `len` bytes.
    pub async fn rent_exempt(&mut self, len: usize) -> u64 {
        let rent = self.ctx.banks_client.get_rent().await.unwrap_or_default();
        rent.minimum_balance(len)
    }

    pub async fn balance(&mut self, address: Pubkey) -> u64 {
        self.account(address).await.map_or(0, |a| a.lamports)
    }

    /// A new keypair funded by the payer.
    pub async fn funded_keypair(&mut self, lamports: u64) -> Keypair {
        let kp = Keypair::new();
        let ix = system_instruction::transfer(&self.payer_pubkey(), &kp.pubkey(), lamports);
        self.send(&[ix], &[]).await.expect("fund keypair");
        kp
    }
}
