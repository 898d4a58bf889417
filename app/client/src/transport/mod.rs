//! One way to talk to a chain, two implementations: the embedded
//! in-process bank (the `rampart-embedded` crate) and any RPC cluster
//! ([`rpc::RpcTransport`]). The CLI, the keeper and the monitor only see
//! this trait, so every command runs unchanged on both.

pub mod rpc;
pub mod wallet;

use anchor_lang::prelude::{Clock, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{AccountDeserialize, Discriminator};
use async_trait::async_trait;
use solana_sdk::account::Account;
use solana_sdk::instruction::InstructionError;
use solana_sdk::signature::Keypair;
use solana_sdk::transaction::TransactionError;

/// A transaction that executed.
#[derive(Debug, Clone)]
pub struct TxSuccess {
    pub logs: Vec<String>,
    pub compute_units: u64,
}

/// A transaction the chain rejected, with its logs.
#[derive(Debug, Clone)]
pub struct TxFailure {
    pub error: TransactionError,
    pub logs: Vec<String>,
}

impl TxFailure {
    /// The program's custom error code (Anchor error number), if that is what failed.
    pub fn custom_code(&self) -> Option<u32> {
        match &self.error {
            TransactionError::InstructionError(_, InstructionError::Custom(code)) => Some(*code),
            _ => None,
        }
    }
}

impl std::fmt::Display for TxFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let last_log = self
            .logs
            .iter()
            .rev()
            .find(|l| l.contains("Error"))
            .map(String::as_str)
            .unwrap_or("");
        write!(f, "{}: {}", self.error, last_log)
    }
}

impl std::error::Error for TxFailure {}

pub type TxResult = Result<TxSuccess, TxFailure>;

#[async_trait]
pub trait Transport: Send {
    /// Who pays fees and signs every transaction.
    fn payer(&self) -> &Keypair;

    /// Why this transport cannot sign, when it cannot (an RPC transport
    /// opened without any keypair): reads work, sends are refused, and
    /// `payer` is a stand-in nobody holds.
    fn cannot_sign(&self) -> Option<&str> {
        None
    }

    /// The wallet's address, or an error saying why there is none.
    fn wallet(&self) -> anyhow::Result<Pubkey> {
        match self.cannot_sign() {
            Some(why) => anyhow::bail!("no wallet to act as: {why}"),
            None => Ok(solana_sdk::signature::Signer::pubkey(self.payer())),
        }
    }

    /// Where this transport points: "embedded (<ledger>)" or the RPC URL.
    fn describe(&self) -> String;

    /// Sign with the payer plus `signers`, submit, and wait until it landed.
    /// A transaction the chain rejected is a [`crate::transport::TxFailure`] inside the error
    /// (downcast it for the program's error code); anything else (network,
    /// timeout) is a plain error. The logs carry the programs' events.
    async fn send(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> anyhow::Result<TxSuccess>;

    async fn account(&mut self, address: Pubkey) -> anyhow::Result<Option<Account>>;

    /// Every account owned by `program` whose data starts with `discriminator`.
    async fn program_accounts(
        &mut self,
        program: Pubkey,
        discriminator: [u8; 8],
    ) -> anyhow::Result<Vec<(Pubkey, Account)>>;

    async fn clock(&mut self) -> anyhow::Result<Clock>;

    /// Lamports a rent-exempt account of `len` bytes needs.
    async fn minimum_balance(&mut self, len: usize) -> anyhow::Result<u64>;
}

/// Decode an Anchor account of type `T` at `address` (None when absent).
pub async fn fetch<T: AccountDeserialize>(
    t: &mut dyn Transport,
    address: Pubkey,
) -> anyhow::Result<Option<T>> {
    let Some(acc) = t.account(address).await? else {
        return Ok(None);
    };
    T::try_deserialize(&mut acc.data.as_slice())
        .map(Some)
        .map_err(|e| anyhow::anyhow!("account {address} is not a {}: {e}", type_name::<T>()))
}

/// Like [`fetch`], but absence is an error naming what was expected.
pub async fn require<T: AccountDeserialize>(
    t: &mut dyn Transport,
    address: Pubkey,
) -> anyhow::Result<T> {
    fetch(t, address)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no {} account at {address}", type_name::<T>()))
}

/// Decode a zero-copy Anchor account (copied out, so alignment never matters).
pub async fn fetch_zero_copy<T: anchor_lang::ZeroCopy + Discriminator>(
    t: &mut dyn Transport,
    address: Pubkey,
) -> anyhow::Result<Option<T>> {
    let Some(acc) = t.account(address).await? else {
        return Ok(None);
    };
    Ok(decode_zero_copy(&acc.data))
}

pub fn decode_zero_copy<T: anchor_lang::ZeroCopy + Discriminator>(data: &[u8]) -> Option<T> {
    let body = data.get(8..8 + std::mem::size_of::<T>())?;
    (data[..8] == T::DISCRIMINATOR).then(|| bytemuck::pod_read_unaligned(body))
}

/// Every account of Anchor type `T` owned by `program`.
pub async fn all<T: AccountDeserialize + Discriminator>(
    t: &mut dyn Transport,
    program: Pubkey,
) -> anyhow::Result<Vec<(Pubkey, T)>> {
    decoded(t, program, T::DISCRIMINATOR, |data| {
        T::try_deserialize(&mut &data[..]).ok()
    })
    .await
}

/// Every zero-copy account of type `T` owned by `program`.
pub async fn all_zero_copy<T: anchor_lang::ZeroCopy + Discriminator>(
    t: &mut dyn Transport,
    program: Pubkey,
) -> anyhow::Result<Vec<(Pubkey, T)>> {
    decoded(t, program, T::DISCRIMINATOR, decode_zero_copy).await
}

/// The accounts `program_accounts` lists, those that decode.
async fn decoded<T>(
    t: &mut dyn Transport,
    program: Pubkey,
    discriminator: [u8; 8],
    decode: impl Fn(&[u8]) -> Option<T>,
) -> anyhow::Result<Vec<(Pubkey, T)>> {
    let raw = t.program_accounts(program, discriminator).await?;
    Ok(raw
        .into_iter()
        .filter_map(|(k, a)| decode(&a.data).map(|v| (k, v)))
        .collect())
}

fn type_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    full.rsplit("::").next().unwrap_or(full)
}
