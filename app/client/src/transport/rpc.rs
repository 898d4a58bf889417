//! Any RPC cluster: solana-client's `RpcClient`, with priority fees and a
//! compute-unit limit on every transaction, a fresh blockhash and re-sign
//! when one expires, and confirmation at the chosen commitment.

use std::time::Duration;

use anchor_lang::prelude::{Clock, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::sysvar;
use anyhow::Context;
use async_trait::async_trait;
use solana_client::client_error::{ClientError, ClientErrorKind};
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_client::rpc_config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSendTransactionConfig, RpcTransactionConfig,
};
use solana_client::rpc_filter::{Memcmp, RpcFilterType};
use solana_client::rpc_request::{RpcError, RpcResponseErrorData};
use solana_sdk::account::Account;
use solana_sdk::commitment_config::CommitmentConfig;
use solana_sdk::compute_budget::ComputeBudgetInstruction;
use solana_sdk::hash::Hash;
use solana_sdk::signature::{Keypair, Signature, Signer};
use solana_sdk::transaction::{Transaction, TransactionError};
use solana_transaction_status::option_serializer::OptionSerializer;
use solana_transaction_status::UiTransactionEncoding;

use super::Transport;
use super::{TxFailure, TxSuccess};

/// How transactions are sent.
#[derive(Debug, Clone)]
pub struct SendOptions {
    /// Priority fee, micro-lamports per compute unit (0: none).
    pub priority_fee: u64,
    /// Compute-unit limit requested per transaction (None: the runtime default).
    pub compute_unit_limit: Option<u32>,
    pub commitment: CommitmentConfig,
    /// Times a transaction is re-signed on a fresh blockhash after its
    /// blockhash expired or the node could not be reached.
    pub retries: usize,
    /// Between confirmation polls.
    pub poll: Duration,
    /// Status polls in a row the node may leave unanswered before a sent
    /// transaction is reported as one that may still land (never re-sent).
    pub unanswered_polls: u32,
}

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions {
            priority_fee: 0,
            compute_unit_limit: None,
            commitment: CommitmentConfig::confirmed(),
            retries: 3,
            poll: Duration::from_millis(400),
            unanswered_polls: 150,
        }
    }
}

/// The transaction `send` submits: compute-budget instructions first (when
/// set), then `ixs`, paid by `payer` and signed by it and those of
/// `signers` the instructions need (a missing one is an error naming it).
pub fn build_transaction(
    payer: &Keypair,
    ixs: &[Instruction],
    signers: &[&Keypair],
    blockhash: Hash,
    o: &SendOptions,
) -> anyhow::Result<Transaction> {
    let mut all = Vec::with_capacity(ixs.len() + 2);
    if let Some(limit) = o.compute_unit_limit {
        all.push(ComputeBudgetInstruction::set_compute_unit_limit(limit));
    }
    if o.priority_fee > 0 {
        all.push(ComputeBudgetInstruction::set_compute_unit_price(
            o.priority_fee,
        ));
    }
    all.extend_from_slice(ixs);
    let mut tx = Transaction::new_with_payer(&all, Some(&payer.pubkey()));
    let required = tx.message.signer_keys();
    let mut keys: Vec<&Keypair> = vec![payer];
    keys.extend(
        signers
            .iter()
            .filter(|k| k.pubkey() != payer.pubkey() && required.contains(&&k.pubkey())),
    );
    if let Some(missing) = required
        .iter()
        .find(|r| !keys.iter().any(|k| k.pubkey() == ***r))
    {
        anyhow::bail!("transaction needs a signature from {missing}, which was not given");
    }
    tx.try_sign(&keys, blockhash)?;
    Ok(tx)
}

pub struct RpcTransport {
    client: RpcClient,
    url: String,
    payer: Keypair,
    options: SendOptions,
    /// Read-only: no keypair was found (why not); reads work, sends are
    /// refused with this reason.
    no_signer: Option<String>,
}

impl RpcTransport {
    pub fn new(url: &str, payer: Keypair, options: SendOptions) -> RpcTransport {
        RpcTransport {
            client: RpcClient::new_with_commitment(url.to_string(), options.commitment),
            url: url.to_string(),
            payer,
            options,
            no_signer: None,
        }
    }

    /// A transport that only reads (status, health, banks of any owner):
    /// nothing to sign with, so `send` refuses, saying `why`.
    pub fn read_only(url: &str, options: SendOptions, why: String) -> RpcTransport {
        RpcTransport {
            no_signer: Some(why),
            ..RpcTransport::new(url, Keypair::new(), options)
        }
    }

    /// Submit once; `Ok(None)` means the blockhash expired before it landed.
    async fn submit(
        &self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> anyhow::Result<Option<TxSuccess>> {
        let (blockhash, last_valid) = self
            .client
            .get_latest_blockhash_with_commitment(self.options.commitment)
            .await
            .map_err(|e| rpc_error(e, "get a blockhash"))?;
        let tx = build_transaction(&self.payer, ixs, signers, blockhash, &self.options)?;
        let config = RpcSendTransactionConfig {
            preflight_commitment: Some(self.options.commitment.commitment),
            encoding: Some(UiTransactionEncoding::Base64),
            ..RpcSendTransactionConfig::default()
        };
        let signature = tx.signatures[0];
        // From the send on, the transaction may land whatever the network
        // said: a send that failed in transit may have reached the node. It
        // is re-signed only once its blockhash has expired unseen, so two
        // never land; while the node cannot be asked, nothing is re-sent.
        match self.client.send_transaction_with_config(&tx, config).await {
            Ok(_) => {}
            Err(e) if is_preflight_failure(&e) => return rejected_in_preflight(e).map(|_| None),
            Err(e) => {
                tracing::debug!(%signature, error = %e, "send failed in transit; polling in case it arrived")
            }
        }
        let mut unanswered = 0u32;
        loop {
            let status = match self.client.get_signature_statuses(&[signature]).await {
                Ok(s) => s.value.into_iter().next().flatten(),
                Err(e) => {
                    unanswered += 1;
                    if unanswered > self.options.unanswered_polls {
                        return Err(MayStillLand {
                            signature,
                            error: e.to_string(),
                        }
                        .into());
                    }
                    tokio::time::sleep(self.options.poll).await;
                    continue;
                }
            };
            if let Some(status) = status {
                if status.satisfies_commitment(self.options.commitment) {
                    let logs = self.logs(&signature).await;
                    return match status.err {
                        None => Ok(Some(TxSuccess {
                            logs,
                            compute_units: 0,
                        })),
                        Some(error) => Err(TxFailure { error, logs }.into()),
                    };
                }
            } else if self
                .client
                .get_block_height()
                .await
                .is_ok_and(|height| height > last_valid)
            {
                // Expired unseen: it can never land now, so re-signing is safe.
                return Ok(None);
            }
            tokio::time::sleep(self.options.poll).await;
        }
    }

    /// A landed transaction's logs (empty if the node no longer has them).
    async fn logs(&self, signature: &Signature) -> Vec<String> {
        let commitment = if self.options.commitment == CommitmentConfig::processed() {
            CommitmentConfig::confirmed()
        } else {
            self.options.commitment
        };
        let config = RpcTransactionConfig {
            encoding: Some(UiTransactionEncoding::Base64),
            commitment: Some(commitment),
            max_supported_transaction_version: Some(0),
        };
        match self
            .client
            .get_transaction_with_config(signature, config)
            .await
        {
            Ok(tx) => match tx.transaction.meta.map(|m| m.log_messages) {
                Some(OptionSerializer::Some(logs)) => logs,
                _ => vec![],
            },
            Err(_) => vec![],
        }
    }
}

/// A transaction sent but never confirmed or expired, because the node
/// stopped answering: it may still land, so it is not sent again.
#[derive(Debug)]
pub struct MayStillLand {
    pub signature: Signature,
    pub error: String,
}

impl std::fmt::Display for MayStillLand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "transaction {} was sent but its status could not be read ({}): it may still land, so it was not sent again; check it with `solana confirm {}`",
            self.signature, self.error, self.signature
        )
    }
}

impl std::error::Error for MayStillLand {}

/// Whether the node refused the transaction in preflight (it did not land).
fn is_preflight_failure(e: &ClientError) -> bool {
    matches!(
        &e.kind,
        ClientErrorKind::RpcError(RpcError::RpcResponseError {
            data: RpcResponseErrorData::SendTransactionPreflightFailure(_),
            ..
        })
    )
}

/// A preflight rejection is the program's answer: a [`TxFailure`] with the
/// simulation's logs. An expired blockhash is `Ok` (re-sign and retry).
/// Anything else is the node's or the network's problem.
fn rejected_in_preflight(e: ClientError) -> anyhow::Result<()> {
    if let ClientErrorKind::RpcError(RpcError::RpcResponseError {
        data: RpcResponseErrorData::SendTransactionPreflightFailure(sim),
        message,
        ..
    }) = &e.kind
    {
        return match &sim.err {
            Some(TransactionError::BlockhashNotFound) => Ok(()),
            Some(error) => Err(TxFailure {
                error: error.clone(),
                logs: sim.logs.clone().unwrap_or_default(),
            }
            .into()),
            None => Err(anyhow::anyhow!("transaction refused: {message}")),
        };
    }
    Err(rpc_error(e, "send the transaction"))
}

/// A client error as one line (its `Display` already includes its source).
fn rpc_error(e: ClientError, what: &str) -> anyhow::Error {
    anyhow::anyhow!("{what}: {e}")
}

#[async_trait]
impl Transport for RpcTransport {
    fn cannot_sign(&self) -> Option<&str> {
        self.no_signer.as_deref()
    }

    fn payer(&self) -> &Keypair {
        &self.payer
    }

    fn describe(&self) -> String {
        self.url.clone()
    }

    async fn send(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> anyhow::Result<TxSuccess> {
        if let Some(why) = &self.no_signer {
            anyhow::bail!("this command sends a transaction, which needs a keypair: {why}");
        }
        let mut last_error = None;
        for _ in 0..=self.options.retries {
            match self.submit(ixs, signers).await {
                Ok(Some(done)) => return Ok(done),
                Ok(None) => last_error = Some(anyhow::anyhow!("blockhash expired")),
                Err(e)
                    if e.downcast_ref::<TxFailure>().is_some()
                        || e.downcast_ref::<MayStillLand>().is_some() =>
                {
                    return Err(e)
                }
                Err(e) => last_error = Some(e),
            }
            tokio::time::sleep(self.options.poll).await;
        }
        Err(last_error
            .unwrap_or_else(|| anyhow::anyhow!("not sent"))
            .context(format!(
                "gave up after {} attempts against {}",
                self.options.retries + 1,
                self.url
            )))
    }

    async fn account(&mut self, address: Pubkey) -> anyhow::Result<Option<Account>> {
        let response = self
            .client
            .get_account_with_commitment(&address, self.options.commitment)
            .await
            .map_err(|e| anyhow::anyhow!("fetch account {address} from {}: {e}", self.url))?;
        Ok(response.value)
    }

    async fn program_accounts(
        &mut self,
        program: Pubkey,
        discriminator: [u8; 8],
    ) -> anyhow::Result<Vec<(Pubkey, Account)>> {
        let config = RpcProgramAccountsConfig {
            filters: Some(vec![RpcFilterType::Memcmp(Memcmp::new_base58_encoded(
                0,
                &discriminator,
            ))]),
            account_config: RpcAccountInfoConfig {
                encoding: Some(solana_account_decoder::UiAccountEncoding::Base64),
                commitment: Some(self.options.commitment),
                ..RpcAccountInfoConfig::default()
            },
            ..RpcProgramAccountsConfig::default()
        };
        self.client
            .get_program_accounts_with_config(&program, config)
            .await
            .map_err(|e| anyhow::anyhow!("list accounts of program {program} on {}: {e}", self.url))
    }

    async fn clock(&mut self) -> anyhow::Result<Clock> {
        let acc = self
            .account(sysvar::clock::ID)
            .await?
            .context("the cluster has no clock sysvar")?;
        bincode::deserialize(&acc.data).context("decode the clock sysvar")
    }

    async fn minimum_balance(&mut self, len: usize) -> anyhow::Result<u64> {
        self.client
            .get_minimum_balance_for_rent_exemption(len)
            .await
            .map_err(|e| rpc_error(e, "rent exemption"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use solana_sdk::compute_budget;

    #[test]
    fn offline_transactions_carry_the_fee_settings_and_every_signer() {
        let payer = Keypair::new();
        let owner = Keypair::new();
        let ix = rampart_sdk::margin_ix::open_account(owner.pubkey(), 0);
        let o = SendOptions {
            priority_fee: 5_000,
            compute_unit_limit: Some(300_000),
            ..SendOptions::default()
        };
        let blockhash = Hash::new_unique();
        let stranger = Keypair::new();
        let tx = build_transaction(
            &payer,
            std::slice::from_ref(&ix),
            &[&owner, &payer, &stranger],
            blockhash,
            &o,
        )
        .unwrap();
        let m = &tx.message;
        assert_eq!(m.account_keys[0], payer.pubkey(), "payer pays");
        assert_eq!(m.header.num_required_signatures, 2);
        assert_eq!(tx.signatures.len(), 2);
        tx.verify().expect("every signature verifies");
        assert_eq!(m.recent_blockhash, blockhash);
        let program = |i: usize| m.account_keys[m.instructions[i].program_id_index as usize];
        assert_eq!(m.instructions.len(), 3);
        assert_eq!(program(0), compute_budget::ID);
        assert_eq!(
            m.instructions[0].data,
            ComputeBudgetInstruction::set_compute_unit_limit(300_000).data
        );
        assert_eq!(
            m.instructions[1].data,
            ComputeBudgetInstruction::set_compute_unit_price(5_000).data
        );
        assert_eq!(program(2), margin::ID);
        assert_eq!(m.instructions[2].data, ix.data);

        let plain = build_transaction(
            &payer,
            std::slice::from_ref(&ix),
            &[&owner],
            blockhash,
            &SendOptions::default(),
        )
        .unwrap();
        assert_eq!(
            plain.message.instructions.len(),
            1,
            "no budget unless asked"
        );
        let err = build_transaction(&payer, &[ix], &[], blockhash, &o).unwrap_err();
        assert!(
            err.to_string().contains(&owner.pubkey().to_string()),
            "{err}"
        );
    }
}
