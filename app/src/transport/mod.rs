//! One way to talk to a chain, two implementations: the embedded
//! in-process bank ([`crate::embedded::Chain`]) and any RPC cluster
//! ([`rpc::RpcTransport`]). The CLI, the keeper and the monitor only see
//! this trait, so every command runs unchanged on both.

pub mod ledger;
pub mod rpc;
pub mod wallet;

use anchor_lang::prelude::{Clock, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{AccountDeserialize, Discriminator};
use async_trait::async_trait;
use solana_sdk::account::Account;
use solana_sdk::signature::Keypair;

use crate::embedded::{BankHandle, Chain, TxSuccess};

#[async_trait]
pub trait Transport: Send {
    /// Who pays fees and signs every transaction.
    fn payer(&self) -> &Keypair;

    /// Where this transport points: "embedded (<ledger>)" or the RPC URL.
    fn describe(&self) -> String;

    /// Sign with the payer plus `signers`, submit, and wait until it landed.
    /// A transaction the chain rejected is a [`crate::embedded::TxFailure`] inside the error
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

#[async_trait]
impl Transport for Chain {
    fn payer(&self) -> &Keypair {
        Chain::payer(self)
    }

    fn describe(&self) -> String {
        "embedded chain".into()
    }

    async fn send(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> anyhow::Result<TxSuccess> {
        Ok(Chain::send(self, ixs, signers).await?)
    }

    async fn account(&mut self, address: Pubkey) -> anyhow::Result<Option<Account>> {
        Ok(Chain::account(self, address).await)
    }

    async fn program_accounts(
        &mut self,
        program: Pubkey,
        discriminator: [u8; 8],
    ) -> anyhow::Result<Vec<(Pubkey, Account)>> {
        let mut owned = self.accounts_owned_by(program).await;
        owned.retain(|(_, a)| a.data.get(..8) == Some(&discriminator[..]));
        Ok(owned)
    }

    async fn clock(&mut self) -> anyhow::Result<Clock> {
        Ok(Chain::clock(self).clone())
    }

    async fn minimum_balance(&mut self, len: usize) -> anyhow::Result<u64> {
        Ok(self.rent_exempt(len).await)
    }
}

#[async_trait]
impl Transport for BankHandle {
    fn payer(&self) -> &Keypair {
        BankHandle::payer(self)
    }

    fn describe(&self) -> String {
        "embedded bank handle".into()
    }

    async fn send(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> anyhow::Result<TxSuccess> {
        Ok(BankHandle::send(self, ixs, signers).await?)
    }

    async fn account(&mut self, address: Pubkey) -> anyhow::Result<Option<Account>> {
        Ok(BankHandle::account(self, address).await)
    }

    async fn program_accounts(
        &mut self,
        _program: Pubkey,
        _discriminator: [u8; 8],
    ) -> anyhow::Result<Vec<(Pubkey, Account)>> {
        anyhow::bail!("a bank handle keeps no account index: list accounts through the chain")
    }

    async fn clock(&mut self) -> anyhow::Result<Clock> {
        self.clock_sysvar().await
    }

    async fn minimum_balance(&mut self, len: usize) -> anyhow::Result<u64> {
        self.rent_exempt(len).await
    }
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
