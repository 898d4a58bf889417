//! The embedded chain behind the one `Transport` trait: the chain itself,
//! a bank handle (another payer on the same bank), and a chain shared by
//! several actors (keepers racing in tests, the demo's users).

use std::sync::Arc;

use anchor_lang::prelude::{Clock, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use async_trait::async_trait;
use rampart_client::transport::{Transport, TxSuccess};
use solana_sdk::account::Account;
use solana_sdk::signature::Keypair;
use tokio::sync::Mutex;

use crate::{BankHandle, Chain};

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
        Ok(self.accounts_of(program, Some(discriminator)).await)
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

/// One embedded chain shared by several actors (keepers racing in tests,
/// the demo's users), each paying and signing with its own keypair.
#[derive(Clone)]
pub struct SharedChain {
    chain: Arc<Mutex<Chain>>,
    payer: Arc<Keypair>,
}

impl SharedChain {
    pub fn new(chain: Arc<Mutex<Chain>>, payer: Keypair) -> SharedChain {
        SharedChain {
            chain,
            payer: Arc::new(payer),
        }
    }
}

#[async_trait]
impl Transport for SharedChain {
    fn payer(&self) -> &Keypair {
        &self.payer
    }

    fn describe(&self) -> String {
        "shared embedded chain".into()
    }

    async fn send(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> anyhow::Result<TxSuccess> {
        let mut chain = self.chain.lock().await;
        Ok(chain.send_paid_by(&self.payer, ixs, signers).await?)
    }

    async fn account(&mut self, address: Pubkey) -> anyhow::Result<Option<Account>> {
        Ok(self.chain.lock().await.account(address).await)
    }

    async fn program_accounts(
        &mut self,
        program: Pubkey,
        discriminator: [u8; 8],
    ) -> anyhow::Result<Vec<(Pubkey, Account)>> {
        let mut chain = self.chain.lock().await;
        Transport::program_accounts(&mut *chain, program, discriminator).await
    }

    async fn clock(&mut self) -> anyhow::Result<Clock> {
        Ok(self.chain.lock().await.clock().clone())
    }

    async fn minimum_balance(&mut self, len: usize) -> anyhow::Result<u64> {
        Ok(self.chain.lock().await.rent_exempt(len).await)
    }
}
