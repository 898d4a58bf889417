//! Shadow transactions on the embedded chain, for the account-substitution
//! test. A [`Probe`] installed for the process sees every transaction a
//! [`Chain`](crate::Chain) is about to execute and may propose
//! variants of it (an account swapped, a signature dropped). The chain runs
//! each variant first, from the same state, and reports whether it was
//! refused and whether any account it names changed, byte for byte and
//! lamport for lamport (the fee payer's lamports aside: a refused
//! transaction still pays its fee). Then it runs the real transaction.
//!
//! It lives beside the chain rather than in a test because it must run
//! inside `Chain::send` for every transaction the fixtures send, from the
//! first `init_protocol` on.

use std::collections::BTreeMap;
use std::sync::Mutex;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use solana_sdk::account::Account;

/// A transaction as the chain is about to run it.
pub struct Seen<'a> {
    pub ixs: &'a [Instruction],
    pub payer: Pubkey,
    /// Keys whose signatures the chain holds for it.
    pub signers: Vec<Pubkey>,
    /// Every account the instructions name, as it is now.
    pub accounts: BTreeMap<Pubkey, Option<Account>>,
}

/// A variant the chain must see refused with nothing changed.
#[derive(Debug, Clone)]
pub struct Variant {
    /// What was changed, e.g. `margin::deposit account: another user's`.
    pub label: String,
    pub ixs: Vec<Instruction>,
    /// The original signers this variant is signed by (a subset).
    pub signers: Vec<Pubkey>,
    /// Accounts to create first (forged copies under another owner).
    pub create: Vec<(Pubkey, Account)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Refused with `error`; `changed` lists accounts that differ after.
    Refused { error: String, changed: Vec<Pubkey> },
    /// The variant landed.
    Succeeded,
    /// It needs a signature the chain does not hold: not run.
    Unsignable,
}

pub trait Probe: Send {
    /// Variants of `tx` to run before it.
    fn variants(&mut self, tx: &Seen) -> Vec<Variant>;
    fn outcome(&mut self, variant: &Variant, outcome: Outcome);
    /// The real transaction landed; `after` holds its accounts now.
    fn observe(&mut self, after: &Seen);
}

static PROBE: Mutex<Option<Box<dyn Probe>>> = Mutex::new(None);

/// Install `probe` for every chain of this process until [`uninstall`].
pub fn install(probe: Box<dyn Probe>) {
    *PROBE.lock().unwrap_or_else(|e| e.into_inner()) = Some(probe);
}

/// Remove the installed probe and hand it back.
pub fn uninstall() -> Option<Box<dyn Probe>> {
    PROBE.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// Take the probe for one transaction: none is installed, or another
/// transaction (a variant) already holds it.
pub(crate) fn take() -> Option<Box<dyn Probe>> {
    uninstall()
}

pub(crate) fn put_back(probe: Box<dyn Probe>) {
    install(probe)
}

/// Every account key the instructions name, with the programs.
pub fn keys_of(ixs: &[Instruction]) -> Vec<Pubkey> {
    let mut keys: Vec<Pubkey> = ixs
        .iter()
        .flat_map(|ix| ix.accounts.iter().map(|m| m.pubkey))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// The accounts that differ between two snapshots; `payer`'s lamports are
/// allowed to fall (fees).
pub fn changed(
    before: &BTreeMap<Pubkey, Option<Account>>,
    after: &BTreeMap<Pubkey, Option<Account>>,
    payer: &Pubkey,
) -> Vec<Pubkey> {
    after
        .iter()
        .filter(|(k, a)| {
            let b = before.get(k).cloned().flatten();
            match (b, a) {
                (Some(mut b), Some(a)) if *k == payer => {
                    b.lamports = a.lamports.min(b.lamports);
                    b != *a
                }
                (b, a) => b.as_ref() != a.as_ref(),
            }
        })
        .map(|(k, _)| *k)
        .collect()
}
