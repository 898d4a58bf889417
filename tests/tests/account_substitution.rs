//! Every instruction of every program, from the committed IDLs, against
//! account substitution (issue 13). Two worlds walk the protocol's life
//! (pricing, margin and the backstop through a crash, a large liquidation
//! and a shutdown; both vaults through their epochs). Before each of the
//! first two landings of an instruction, a probe installed in the embedded
//! chain (`rampart_embedded::shadow`) runs variants of that very transaction from
//! the same state, for each account slot the IDL names:
//! - **another**: another account of the same type (another user's or
//!   market's: same owner and discriminator; for token accounts the same
//!   mint);
//! - **forged**: a copy with identical data and lamports but another owner;
//! - **aliased**: the same account in two mutable slots;
//! - **unsigned**: a signer slot without its signature;
//! - and for the remaining accounts (health entries, sources, guardians):
//!   **forged**, **foreign**, **omitted** and **reordered** entries.
//!
//! Every variant must be refused with every account it names unchanged,
//! byte for byte (the fee payer's fee aside). The few that may land by
//! design are listed in `INTENDED` with the reason, and not run. The test
//! prints the count of (instruction, slot, mutation) cases run.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use margin::state::{GuardianSet, MarginStatus, ValidatorSet};
use rampart_embedded::shadow::{Outcome, Probe, Seen, Variant};
use rampart_sdk::margin_ix;
use rampart_sim::backstop_market::BackstopMarket;
use rampart_sim::market::{btc_params, User, BTC, USDC};
use rampart_sim::vault_market::*;
use rampart_tests::*;
use solana_sdk::account::Account;

/// Variants that land by design, not run: (program::instruction, slot,
/// mutation, why).
const INTENDED: &[(&str, &str, &str, &str)] = &[
    (
        "pricing::push_manual_price",
        "manual_price",
        "own other",
        "the other manual source has the same publisher (the keeper): it may push there too; a foreign publisher is refused in refresh_rules",
    ),
    (
        "margin::create_bank",
        "feed",
        "another",
        "governance names a new bank's feed: any pricing feed is its choice, and the bank PDA is per mint",
    ),
    (
        "backstop::create_pool",
        "feed",
        "another",
        "governance names a new pool's feed: any pricing feed is its choice, and the pool PDA is per mint pair",
    ),
    (
        "vault::create_vault",
        "feed",
        "another",
        "governance names a new vault's feed: any pricing feed is its choice",
    ),
    (
        "pricing::update_params",
        "feed",
        "another",
        GOVERNED_TARGET,
    ),
    (
        "pricing::set_pause_flags",
        "feed",
        "another",
        GOVERNED_TARGET,
    ),
    (
        "pricing::set_status",
        "feed",
        "another",
        GOVERNED_TARGET,
    ),
    (
        "pricing::remove_source",
        "feed",
        "another",
        GOVERNED_TARGET,
    ),
    (
        "pricing::add_source",
        "feed",
        "another",
        GOVERNED_TARGET,
    ),
    (
        "margin::queue_bank_params",
        "bank",
        "another",
        GOVERNED_TARGET,
    ),
    (
        "margin::cancel_bank_params",
        "bank",
        "another",
        GOVERNED_TARGET,
    ),
    (
        "vault::set_vault_status",
        "vault",
        "another",
        GOVERNED_TARGET,
    ),
    (
        "vault::override_strike",
        "vault",
        "another",
        GOVERNED_TARGET,
    ),
    (
        "backstop::set_consumer",
        "consumer",
        "another",
        GOVERNED_TARGET,
    ),
    ("margin::deposit", "remaining[0]", "forged", NO_HEALTH_READ),
    ("margin::deposit", "remaining[0]", "foreign", NO_HEALTH_READ),
    ("margin::deposit", "remaining[last]", "omitted", NO_HEALTH_READ),
    ("margin::deposit", "remaining[0..2]", "reordered", NO_HEALTH_READ),
    ("margin::repay", "remaining[0]", "forged", NO_HEALTH_READ),
    ("margin::repay", "remaining[0]", "foreign", NO_HEALTH_READ),
    ("margin::repay", "remaining[last]", "omitted", NO_HEALTH_READ),
    ("margin::repay", "remaining[0..2]", "reordered", NO_HEALTH_READ),
    ("margin::borrow", "user_token", "another", OWN_DESTINATION),
    ("margin::withdraw", "user_token", "another", OWN_DESTINATION),
    ("backstop::deposit", "owner_collateral", "another", OWN_DESTINATION),
    ("backstop::withdraw", "owner_collateral", "another", OWN_DESTINATION),
    ("backstop::withdraw", "owner_quote", "another", OWN_DESTINATION),
    ("backstop::absorb", "seller_quote", "another", OWN_DESTINATION),
    ("margin::liquidate", "pair.collateral_token", "another", OWN_DESTINATION),
    ("vault::cancel_deposit", "owner_token", "another", OWN_DESTINATION),
    ("vault::redeem_shares", "owner_shares", "another", OWN_DESTINATION),
    ("vault::redeem_options", "holder_asset", "another", OWN_DESTINATION),
    ("vault::complete_withdrawal", "owner_token", "another", OWN_DESTINATION),
    ("vault::buy_options", "buyer_options", "another", OWN_DESTINATION),
    ("vault::collect_fees", "to", "another", GOVERNED_TARGET),
    ("margin::settle_position", "pair.collateral_token", "another", OWN_DESTINATION),
    ("margin::liquidate", "account", "another", PERMISSIONLESS_TARGET),
    ("margin::liquidate_with_backstop", "account", "another", PERMISSIONLESS_TARGET),
    ("margin::settle_position", "account", "another", PERMISSIONLESS_TARGET),
    ("margin::write_off_bad_debt", "remaining[0]", "forged", NO_SHARES_READ),
    ("margin::write_off_bad_debt", "remaining[0]", "foreign", NO_SHARES_READ),
    ("margin::write_off_bad_debt", "remaining[last]", "omitted", NO_SHARES_READ),
    ("margin::write_off_bad_debt", "remaining[0..2]", "reordered", NO_SHARES_READ),
    (
        "margin::guardian_set_status",
        "remaining[0..2]",
        "reordered",
        "the signing guardians are counted as a set: their order does not matter",
    ),
    (
        "backstop::withdraw",
        "stake",
        "own other",
        "the owner's own stake in another band: which of its stakes it withdraws from is its choice",
    ),
    (
        "backstop::settle_stake",
        "stake",
        "another",
        "permissionless and owner-neutral by design: any stale stake of the pool may be settled",
    ),
    (
        "margin::agent_set_maint_base",
        "bank",
        "another",
        "the risk agent may move any bank's maintenance base, within governance's band",
    ),
    (
        "margin::agent_set_caps",
        "bank",
        "another",
        "the risk agent may hold back any bank's caps, within governance's band",
    ),
];

/// Health entries an instruction does not read (deposits and repayments
/// only reduce risk, so they read no price): whatever is passed is ignored.
const NO_HEALTH_READ: &str = "the instruction reads no health entries: extra accounts are ignored";

/// A destination for the signer's own tokens: any token account of the mint.
const OWN_DESTINATION: &str =
    "the signer sends its own tokens out: any token account of the right mint may receive them";

/// A write-off reads the bank of a position only where the account still
/// holds shares (to see they are worth nothing); with none, extra banks are
/// ignored, and a dust position's bank is looked up by its own key
/// (`security_margin.rs` covers that case).
const NO_SHARES_READ: &str =
    "the account holds no shares: no bank entry is read, extras are ignored";

/// Permissionless actions on any account that qualifies.
const PERMISSIONLESS_TARGET: &str =
    "permissionless: any account that qualifies (below maintenance, or under Shutdown) may be liquidated or settled by anyone";

/// Why governance acting on another account of the same kind is no defect.
const GOVERNED_TARGET: &str =
    "governance governs every account of that kind in its protocol: which one is its choice";

/// One account slot of an instruction, as the IDL declares it.
#[derive(Debug, Clone)]
struct Slot {
    name: String,
    writable: bool,
    signer: bool,
    optional: bool,
    fixed: bool,
}

#[derive(Debug, Clone)]
struct IdlIx {
    program: String,
    name: String,
    slots: Vec<Slot>,
}

fn flatten(accounts: &serde_json::Value, prefix: &str, out: &mut Vec<Slot>) {
    for a in accounts.as_array().expect("accounts") {
        let name = format!("{prefix}{}", a["name"].as_str().expect("name"));
        if let Some(inner) = a.get("accounts") {
            flatten(inner, &format!("{name}."), out);
            continue;
        }
        let flag = |k: &str| a.get(k).and_then(|v| v.as_bool()).unwrap_or(false);
        out.push(Slot {
            name,
            writable: flag("writable"),
            signer: flag("signer"),
            optional: flag("optional"),
            fixed: a.get("address").is_some(),
        });
    }
}

/// (program id, discriminator) -> instruction, from the committed IDLs.
fn load_idls() -> BTreeMap<(Pubkey, [u8; 8]), IdlIx> {
    let mut out = BTreeMap::new();
    for program in ["pricing", "margin", "vault", "backstop"] {
        let path = format!("{}/../idl/{program}.json", env!("CARGO_MANIFEST_DIR"));
        let idl: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("IDL")).expect("JSON");
        let id: Pubkey = idl["address"].as_str().unwrap().parse().unwrap();
        for ix in idl["instructions"].as_array().unwrap() {
            let d: Vec<u8> = ix["discriminator"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b.as_u64().unwrap() as u8)
                .collect();
            let mut slots = vec![];
            flatten(&ix["accounts"], "", &mut slots);
            out.insert(
                (id, d.try_into().unwrap()),
                IdlIx {
                    program: program.into(),
                    name: ix["name"].as_str().unwrap().into(),
                    slots,
                },
            );
        }
    }
    out
}

/// What a substitution case is about, for the report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Case {
    ix: String,
    slot: String,
    mutation: &'static str,
}

#[derive(Default)]
struct Results {
    run: BTreeSet<Case>,
    cases_run: usize,
    intended_skipped: usize,
    /// Instructions whose real transaction landed after its variants ran.
    covered: BTreeSet<String>,
    defects: Vec<String>,
}

struct SubstitutionProbe {
    idl: BTreeMap<(Pubkey, [u8; 8]), IdlIx>,
    /// Accounts seen, by type: owner and discriminator (token accounts:
    /// mint), in the order they first appeared. Keys are random, so a set
    /// ordered by key would pick a different substitute each run; first
    /// seen makes every run walk the same cases.
    registry: BTreeMap<(Pubkey, Vec<u8>), Vec<Pubkey>>,
    /// The data each registered account last had.
    data: BTreeMap<Pubkey, Vec<u8>>,
    /// How often each instruction was probed in this world.
    probed: BTreeMap<String, usize>,
    /// The cases of the variants handed to the chain, in order: the chain
    /// reports one outcome per variant, in the same order.
    cases: std::collections::VecDeque<Case>,
    /// Outcomes of the variants of the transaction about to run.
    pending: Vec<(Case, Outcome)>,
    pending_ixs: Vec<String>,
    results: Arc<Mutex<Results>>,
}

const PROGRAMS: [Pubkey; 4] = [pricing::ID, margin::ID, vault::ID, backstop::ID];
/// The SPL token program.
const TOKEN_PROGRAM: Pubkey = solana_sdk::pubkey!("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");

fn type_key(acc: &Account) -> Option<(Pubkey, Vec<u8>)> {
    if acc.owner == TOKEN_PROGRAM {
        return match acc.data.len() {
            165 => Some((acc.owner, acc.data[..32].to_vec())),
            82 => Some((acc.owner, b"mint".to_vec())),
            _ => None,
        };
    }
    (PROGRAMS.contains(&acc.owner) && acc.data.len() >= 8)
        .then(|| (acc.owner, acc.data[..8].to_vec()))
}

impl SubstitutionProbe {
    /// A probe for one world (its registry holds that chain's accounts).
    fn for_world(
        idl: &BTreeMap<(Pubkey, [u8; 8]), IdlIx>,
        results: &Arc<Mutex<Results>>,
    ) -> Box<SubstitutionProbe> {
        Box::new(SubstitutionProbe {
            idl: idl.clone(),
            registry: BTreeMap::new(),
            data: BTreeMap::new(),
            probed: BTreeMap::new(),
            cases: Default::default(),
            pending: vec![],
            pending_ixs: vec![],
            results: results.clone(),
        })
    }

    /// Another account of `acc`'s type, not in the transaction: one that
    /// names none of the transaction's signers (another user's or market's)
    /// with `own` false, one that names a signer (the signer's own other
    /// account, e.g. its stake in another band) with `own` true.
    fn another(&self, key: &Pubkey, acc: &Account, tx: &Seen, own: bool) -> Option<Pubkey> {
        let t = type_key(acc)?;
        let names_a_signer = |data: &[u8]| {
            tx.signers
                .iter()
                .any(|s| data.windows(32).any(|w| w == s.as_ref()))
        };
        self.registry
            .get(&t)?
            .iter()
            .filter(|k| *k != key && !tx.accounts.contains_key(k))
            .find(|k| {
                let data = self.data.get(k).map(Vec::as_slice).unwrap_or_default();
                names_a_signer(data) == own
            })
            .copied()
    }

    /// A copy of `acc` at a new address owned by another program.
    fn forged(acc: &Account) -> (Pubkey, Account) {
        let mut copy = acc.clone();
        copy.owner = if acc.owner == margin::ID {
            pricing::ID
        } else {
            margin::ID
        };
        (Pubkey::new_unique(), copy)
    }

    fn variants_of(&self, tx: &Seen, k: usize, ix: &IdlIx) -> Vec<(Case, Variant)> {
        let original = &tx.ixs[k];
        let label = format!("{}::{}", ix.program, ix.name);
        let mut out = vec![];
        let mut push = |slot: &str,
                        mutation: &'static str,
                        metas: Vec<AccountMeta>,
                        signers: Vec<Pubkey>,
                        create: Vec<(Pubkey, Account)>| {
            let case = Case {
                ix: label.clone(),
                slot: slot.into(),
                mutation,
            };
            let mut ixs = tx.ixs.to_vec();
            ixs[k] = Instruction {
                program_id: original.program_id,
                accounts: metas,
                data: original.data.clone(),
            };
            out.push((
                case.clone(),
                Variant {
                    label: format!("{} {} {}", case.ix, case.slot, case.mutation),
                    ixs,
                    signers,
                    create,
                },
            ));
        };
        let metas = &original.accounts;
        let named = ix.slots.len().min(metas.len());
        for (i, slot) in ix.slots.iter().enumerate().take(named) {
            let meta = &metas[i];
            if slot.optional && meta.pubkey == original.program_id {
                continue; // an optional account passed as None
            }
            let with = |key: Pubkey| {
                let mut m = metas.clone();
                m[i].pubkey = key;
                m
            };
            if slot.fixed {
                push(
                    &slot.name,
                    "another",
                    with(Pubkey::new_unique()),
                    tx.signers.clone(),
                    vec![],
                );
                continue;
            }
            // Without its signature here, unless another instruction of the
            // transaction needs it (then the message signs it for all).
            let signed_elsewhere = tx.ixs.iter().enumerate().any(|(j, other)| {
                j != k
                    && other
                        .accounts
                        .iter()
                        .any(|m| m.is_signer && m.pubkey == meta.pubkey)
            });
            if slot.signer && meta.pubkey != tx.payer && !signed_elsewhere {
                let mut m = metas.clone();
                for x in m.iter_mut().filter(|x| x.pubkey == meta.pubkey) {
                    x.is_signer = false;
                }
                let signers = tx
                    .signers
                    .iter()
                    .filter(|s| **s != meta.pubkey)
                    .copied()
                    .collect();
                push(&slot.name, "unsigned", m, signers, vec![]);
            }
            let acc = tx.accounts.get(&meta.pubkey).cloned().flatten();
            if let Some(acc) = acc.as_ref().filter(|a| type_key(a).is_some()) {
                if !slot.signer {
                    if let Some(other) = self.another(&meta.pubkey, acc, tx, false) {
                        push(
                            &slot.name,
                            "another",
                            with(other),
                            tx.signers.clone(),
                            vec![],
                        );
                    }
                    if let Some(own) = self.another(&meta.pubkey, acc, tx, true) {
                        push(
                            &slot.name,
                            "own other",
                            with(own),
                            tx.signers.clone(),
                            vec![],
                        );
                    }
                }
                let (fake, copy) = Self::forged(acc);
                push(
                    &slot.name,
                    "forged",
                    with(fake),
                    tx.signers.clone(),
                    vec![(fake, copy)],
                );
            }
            if slot.writable {
                let partner = (0..named).find(|j| {
                    *j != i
                        && metas[*j].is_writable
                        && metas[*j].pubkey != meta.pubkey
                        && !ix.slots[*j].fixed
                });
                if let Some(j) = partner {
                    let mut m = metas.clone();
                    m[j].pubkey = meta.pubkey;
                    m[j].is_signer = meta.is_signer;
                    push(
                        &format!("{}={}", ix.slots[j].name, slot.name),
                        "aliased",
                        m,
                        tx.signers.clone(),
                        vec![],
                    );
                }
            }
        }
        let remaining: Vec<AccountMeta> = metas[named..].to_vec();
        if !remaining.is_empty() {
            let base = metas[..named].to_vec();
            let rebuilt = |rest: Vec<AccountMeta>| {
                let mut m = base.clone();
                m.extend(rest);
                m
            };
            if let Some(acc) = tx.accounts.get(&remaining[0].pubkey).cloned().flatten() {
                if type_key(&acc).is_some() {
                    let (fake, copy) = Self::forged(&acc);
                    let mut r = remaining.clone();
                    r[0].pubkey = fake;
                    push(
                        "remaining[0]",
                        "forged",
                        rebuilt(r),
                        tx.signers.clone(),
                        vec![(fake, copy)],
                    );
                }
                if let Some(other) = self.another(&remaining[0].pubkey, &acc, tx, false) {
                    let mut r = remaining.clone();
                    r[0].pubkey = other;
                    push(
                        "remaining[0]",
                        "foreign",
                        rebuilt(r),
                        tx.signers.clone(),
                        vec![],
                    );
                }
            }
            let mut r = remaining.clone();
            let last = r.pop().map(|m| m.pubkey);
            let signers = tx
                .signers
                .iter()
                .filter(|s| Some(**s) != last || metas[..named].iter().any(|m| m.pubkey == **s))
                .copied()
                .collect();
            push("remaining[last]", "omitted", rebuilt(r), signers, vec![]);
            if remaining.len() >= 2 && remaining[0].pubkey != remaining[1].pubkey {
                let mut r = remaining.clone();
                r.swap(0, 1);
                push(
                    "remaining[0..2]",
                    "reordered",
                    rebuilt(r),
                    tx.signers.clone(),
                    vec![],
                );
            }
        }
        out
    }
}

fn intended(case: &Case) -> bool {
    INTENDED
        .iter()
        .any(|(ix, slot, m, _)| *ix == case.ix && *slot == case.slot && *m == case.mutation)
}

impl Probe for SubstitutionProbe {
    fn variants(&mut self, tx: &Seen) -> Vec<Variant> {
        self.cases.clear();
        self.pending.clear();
        self.pending_ixs.clear();
        let mut all = vec![];
        for (k, ix) in tx.ixs.iter().enumerate() {
            let Some(d) = ix.data.get(..8) else { continue };
            let Some(idl) = self
                .idl
                .get(&(ix.program_id, d.try_into().unwrap()))
                .cloned()
            else {
                continue;
            };
            let label = format!("{}::{}", idl.program, idl.name);
            let seen = self.probed.entry(label.clone()).or_default();
            if *seen >= 2 {
                continue;
            }
            *seen += 1;
            self.pending_ixs.push(label);
            for (case, v) in self.variants_of(tx, k, &idl) {
                if intended(&case) {
                    self.results.lock().unwrap().intended_skipped += 1;
                    continue;
                }
                self.cases.push_back(case);
                all.push(v);
            }
        }
        all
    }

    fn outcome(&mut self, variant: &Variant, outcome: Outcome) {
        if outcome == Outcome::Succeeded {
            eprintln!("LANDED: {}", variant.label);
        }
        let case = self.cases.pop_front().expect("one outcome per variant");
        self.pending.push((case, outcome));
    }

    fn observe(&mut self, after: &Seen) {
        for (key, acc) in &after.accounts {
            if let Some(acc) = acc {
                if let Some(t) = type_key(acc) {
                    let seen = self.registry.entry(t).or_default();
                    if !seen.contains(key) {
                        seen.push(*key);
                    }
                    self.data.insert(*key, acc.data.clone());
                }
            }
        }
        let mut r = self.results.lock().unwrap();
        for ix in self.pending_ixs.drain(..) {
            r.covered.insert(ix);
        }
        for (case, outcome) in self.pending.drain(..) {
            r.cases_run += 1;
            match outcome {
                Outcome::Succeeded => r.defects.push(format!(
                    "{} {} {}: landed",
                    case.ix, case.slot, case.mutation
                )),
                Outcome::Refused { changed, error } if !changed.is_empty() => {
                    r.defects.push(format!(
                        "{} {} {}: refused ({error}) but changed {changed:?}",
                        case.ix, case.slot, case.mutation
                    ))
                }
                Outcome::Refused { .. } => {}
                Outcome::Unsignable => r.defects.push(format!(
                    "{} {} {}: the probe built an unsignable variant",
                    case.ix, case.slot, case.mutation
                )),
            }
            r.run.insert(case);
        }
    }
}

fn validator_set(keys: &[Keypair]) -> ValidatorSet {
    let mut set = ValidatorSet {
        count: keys.len() as u8,
        threshold: 2,
        large_value: 15_000 * 1_000_000_000_000_000_000,
        proposal_ttl_slots: 100,
        ..Default::default()
    };
    for (slot, k) in set.keys.iter_mut().zip(keys) {
        *slot = k.pubkey();
    }
    set
}

/// Pricing, margin and the backstop: deposits, borrows, a crash with open,
/// backstop and large liquidations, governance, guardians, a shutdown.
async fn margin_and_backstop_world() {
    let mut b = BackstopMarket::new().await.unwrap();
    let gov = b.m.ops.governance.insecure_clone();
    let (btc, usdc) = (b.m.btc_mint, b.m.usdc_mint);
    let validators: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    b.m.chain
        .send(
            &[margin_ix::set_validators(
                gov.pubkey(),
                validator_set(&validators),
            )],
            &[&gov],
        )
        .await
        .unwrap();
    let guardians: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    let mut set = GuardianSet {
        count: 3,
        threshold: 2,
        max_pause_secs: 86_400,
        ..Default::default()
    };
    for (slot, k) in set.keys.iter_mut().zip(&guardians) {
        *slot = k.pubkey();
    }
    b.m.chain
        .send(&[margin_ix::set_guardians(gov.pubkey(), set)], &[&gov])
        .await
        .unwrap();

    // Pricing governance: params, pause flags, status, a source added and removed.
    let feed = b.m.usdc_feed;
    let params =
        b.m.chain
            .zero_copy_account::<PriceFeed>(feed)
            .await
            .unwrap()
            .params;
    for ix in [
        ix::update_params(gov.pubkey(), feed, params),
        ix::set_pause_flags(gov.pubkey(), feed, 0),
        ix::set_status(gov.pubkey(), feed, 0),
    ] {
        b.m.chain.send(&[ix], &[&gov]).await.unwrap();
    }
    let extra = rampart_sdk::pda::manual_price(&feed, 1);
    let payer = b.m.chain.payer_pubkey();
    let keeper_key = b.m.ops.keeper.pubkey();
    let ixs = [
        ix::init_manual_price(payer, gov.pubkey(), feed, 1, keeper_key),
        ix::add_source(gov.pubkey(), feed, extra, SourceKind::Manual, [0; 32]),
    ];
    b.m.chain.send(&ixs, &[&gov]).await.unwrap();
    let keeper = b.m.ops.keeper.insecure_clone();
    let push = ix::push_manual_price(extra, keeper.pubkey(), price(1.0), 50_000, EXPO);
    b.m.chain.send(&[push], &[&keeper]).await.unwrap();
    b.m.chain
        .send(&[ix::check_source(feed, extra, 1)], &[])
        .await
        .unwrap();
    b.m.chain
        .send(&[ix::remove_source(gov.pubkey(), feed, 1)], &[&gov])
        .await
        .unwrap();

    // Margin: lenders, borrowers, every balance action.
    let lender = b.m.lender(1_000_000 * USDC, 500_000 * USDC).await.unwrap();
    let btc_lender = b.m.user(10 * BTC, 0).await.unwrap();
    let ix = b.m.flow(&btc_lender, btc, true, false).deposit(5 * BTC);
    b.m.send_as(&btc_lender, ix).await.unwrap();
    let borrowers: Vec<User> = {
        let mut v = vec![];
        for _ in 0..3 {
            v.push(b.m.leveraged_borrower(BTC, 21_000 * USDC).await.unwrap());
        }
        v
    };
    let large =
        b.m.leveraged_borrower(2 * BTC, 42_000 * USDC)
            .await
            .unwrap();
    let ix =
        b.m.flow(&borrowers[0], usdc, true, true)
            .repay(1_000 * USDC);
    b.m.send_as(&borrowers[0], ix).await.unwrap();
    // Withdrawals against debt read health (the probe takes the first two);
    // a lender's, with no debt, reads no price.
    for _ in 0..2 {
        let ix = b.m.flow(&borrowers[0], btc, true, true).withdraw(BTC / 100);
        b.m.send_as(&borrowers[0], ix).await.unwrap();
    }
    let ix = b.m.flow(&lender, usdc, false, true).withdraw(1_000 * USDC);
    b.m.send_as(&lender, ix).await.unwrap();
    b.m.update_btc_risk().await.unwrap();
    b.m.update_btc_risk().await.unwrap();

    // Bank governance: queue, cancel, queue again, apply; the risk agent.
    let adaptive = margin::state::BankParams {
        maint: rampart_sim::market::adaptive_maintenance(),
        ..btc_params()
    };
    let q = margin_ix::queue_bank_params(gov.pubkey(), btc, adaptive);
    b.m.chain
        .send(std::slice::from_ref(&q), &[&gov])
        .await
        .unwrap();
    b.m.chain
        .send(&[margin_ix::cancel_bank_params(gov.pubkey(), btc)], &[&gov])
        .await
        .unwrap();
    b.m.chain.advance(1);
    b.m.chain.send(&[q], &[&gov]).await.unwrap();
    b.m.chain.advance(3_601);
    b.m.tick(30_000.0).await.unwrap();
    b.m.chain
        .send(&[margin_ix::apply_bank_params(btc)], &[])
        .await
        .unwrap();
    // Interest on the USDC loans, the fund's part swept.
    b.m.chain
        .send(&[margin_ix::accrue(usdc)], &[])
        .await
        .unwrap();
    let agent = b.m.risk_agent.insecure_clone();
    b.m.chain
        .send(
            &[margin_ix::agent_set_maint_base(
                agent.pubkey(),
                btc,
                55 * 10u64.pow(15),
                Default::default(),
            )],
            &[&agent],
        )
        .await
        .unwrap();
    let caps = (10u64.pow(17), 10u64.pow(17));
    let ramp = 2 * rampart_sdk::presets::liquidation_params().fee_per_slot;
    b.m.chain
        .send(
            &[
                margin_ix::agent_set_caps(agent.pubkey(), usdc, caps, Default::default()),
                margin_ix::agent_set_fee_ramp(agent.pubkey(), ramp, Default::default()),
            ],
            &[&agent],
        )
        .await
        .unwrap();

    // The backstop: stakes in two bands, a seller, a consumer update.
    let lps = [
        b.new_lp(100_000 * USDC).await.unwrap(),
        b.new_lp(100_000 * USDC).await.unwrap(),
    ];
    for lp in &lps {
        b.deposit(lp, 0, 20_000 * USDC).await.unwrap();
        b.deposit(lp, 1, 20_000 * USDC).await.unwrap();
    }
    b.withdraw(&lps[0], 1, 1_000 * USDC).await.unwrap();
    b.other_absorbs(BTC / 10, 50).await.unwrap();
    let other = b.other_protocol.key.pubkey();
    let ix = b.pool.set_consumer(
        gov.pubkey(),
        other,
        rampart_sim::backstop_market::consumer_limits(),
        true,
    );
    b.m.chain.send(&[ix], &[&gov]).await.unwrap();
    let slot = b.m.chain.clock().slot;
    let ix = b.pool.lock_withdrawals(other, slot + 5);
    let k = b.other_protocol.key.insecure_clone();
    b.m.chain.send(&[ix], &[&k]).await.unwrap();
    b.m.chain.advance(10);
    b.m.tick(30_000.0).await.unwrap();
    // A drain of the 0.5% band leaves its stakes behind: anyone settles them.
    b.other_absorbs(10 * BTC, 50).await.unwrap();
    for lp in &lps {
        let stake = b.pool.stake(0, &lp.key.pubkey());
        b.m.chain
            .send(&[b.pool.settle_stake(stake)], &[])
            .await
            .unwrap();
    }

    // The crash: open, backstop and large liquidations.
    b.m.hold(27_000.0, 25).await.unwrap();
    b.m.hold(23_000.0, 25).await.unwrap();
    let liq = b.m.liquidator(1_000_000 * USDC).await.unwrap();
    b.m.liquidate(&liq, &borrowers[0]).await.unwrap();
    let keeper = b.m.chain.funded_keypair(1_000_000_000).await;
    b.liquidate_with_backstop(&keeper, &borrowers[1])
        .await
        .unwrap();
    // A proposal left to expire and be closed, then one approved and run.
    let mut l = b.m.liquidation(&liq, &large);
    b.m.send_as(&liq, margin_ix::propose_liquidation(&l))
        .await
        .unwrap();
    let proposal = l.proposal_address();
    b.m.chain.advance(60);
    b.m.tick(23_000.0).await.unwrap();
    let close = margin_ix::close_expired_proposal(proposal, liq.key.pubkey());
    b.m.chain.send(&[close], &[]).await.unwrap();
    b.m.send_as(&liq, margin_ix::propose_liquidation(&l))
        .await
        .unwrap();
    for v in &validators[..2] {
        let ix = margin_ix::approve_liquidation(v.pubkey(), proposal);
        b.m.chain.send(&[ix], &[v]).await.unwrap();
    }
    l.proposal = Some(proposal);
    b.m.chain
        .send(&[margin_ix::lock_backstop(&l)], &[])
        .await
        .unwrap();
    b.m.send_as(&liq, margin_ix::liquidate(&l)).await.unwrap();

    // Guardians pause and lift; governance shuts margin down; wind-down.
    let keys: Vec<Pubkey> = guardians[..2].iter().map(|k| k.pubkey()).collect();
    let refs: Vec<&Keypair> = guardians[..2].iter().collect();
    let pause = margin_ix::guardian_set_status(&keys, MarginStatus::ReduceOnly, 3_600);
    b.m.chain.send(&[pause], &refs).await.unwrap();
    let lift = margin_ix::guardian_set_status(&keys, MarginStatus::Active, 0);
    b.m.chain.send(&[lift], &refs).await.unwrap();
    b.m.hold(16_000.0, 25).await.unwrap();
    let ix = margin_ix::set_margin_status(gov.pubkey(), MarginStatus::Shutdown);
    b.m.chain.send(&[ix], &[&gov]).await.unwrap();
    b.m.fix_settlement_prices().await.unwrap();
    for v in &borrowers[1..] {
        if b.m.debt(v, usdc).await > 0 && b.m.deposit_worth(v, btc).await > 0 {
            b.m.settle(&liq, v).await.unwrap();
        }
    }
    for v in &borrowers[1..] {
        if b.m.debt(v, usdc).await > 0 && b.m.deposit_worth(v, btc).await == 0 {
            b.m.write_off_usdc_debt(v).await.unwrap();
        }
    }

    // Pricing governance hands over last.
    let next = Keypair::new();
    b.m.chain
        .send(&[ix::set_governance(gov.pubkey(), next.pubkey())], &[&gov])
        .await
        .unwrap();
}

/// Both vaults through epochs: deposits and a cancellation, shares,
/// options bought and redeemed, withdrawals, fees, a governance settlement,
/// a strike override and a status change.
async fn vault_world() {
    let mut vm = VaultMarket::new().await.unwrap();
    let keeper = vm.keeper.pubkey();
    let gov = vm.m.ops.governance.insecure_clone();
    let v = vm.call;
    let alice = vm.user(&v, 10 * BTC, 0).await.unwrap();
    let bob = vm.user(&v, 10 * BTC, 0).await.unwrap();
    let buyer = vm.user(&v, 10 * BTC, 0).await.unwrap();
    for u in [&alice, &bob] {
        vm.send_as(u, v.deposit(&u.holder, 4 * BTC, None))
            .await
            .unwrap();
    }
    vm.send_as(&bob, v.cancel_deposit(&bob.holder, BTC))
        .await
        .unwrap();
    vm.keeper_send(v.process_epoch(keeper, 1)).await.unwrap();
    vm.send_as(&alice, v.redeem_shares(&alice.holder, Some(1)))
        .await
        .unwrap();
    vm.send_as(&bob, v.redeem_shares(&bob.holder, Some(1)))
        .await
        .unwrap();
    vm.m.chain
        .send(
            &[v.override_strike(gov.pubkey(), 33_000 * risk_math::WAD)],
            &[&gov],
        )
        .await
        .unwrap();
    vm.keeper_send(v.start_epoch(keeper, 2)).await.unwrap();
    let options = vm.option_account(&v, 2, &buyer.holder.owner).await.unwrap();
    let buy = v.buy_options(2, buyer.holder.owner, buyer.user.btc, options, 2 * BTC, BTC);
    vm.send_as(&buyer, buy).await.unwrap();
    vm.m.chain.send(&[v.update_greeks(2)], &[]).await.unwrap();
    vm.send_as(&alice, v.request_withdrawal(&alice.holder, 2 * BTC, None))
        .await
        .unwrap();
    vm.expire_and_settle(&v, 2, 36_000.0)
        .await
        .unwrap()
        .unwrap();
    let redeem = v.redeem_options(2, buyer.holder.owner, options, buyer.user.btc, 2 * BTC);
    vm.send_as(&buyer, redeem).await.unwrap();
    vm.keeper_send(v.process_epoch(keeper, 2)).await.unwrap();
    vm.send_as(&alice, v.complete_withdrawal(&alice.holder, 2))
        .await
        .unwrap();
    let treasury = vm.m.user(0, 0).await.unwrap();
    vm.m.chain
        .send(&[v.collect_fees(gov.pubkey(), treasury.btc)], &[&gov])
        .await
        .unwrap();

    // The put vault: an epoch whose feed halts, settled by governance.
    let p = vm.put;
    let carol = vm.user(&p, 0, 100_000 * USDC).await.unwrap();
    vm.send_as(&carol, p.deposit(&carol.holder, 50_000 * USDC, None))
        .await
        .unwrap();
    let round = vm.roll(&p).await.unwrap();
    let expiry = vm.series(&p, round).await.expiry_ts;
    let now = vm.m.chain.clock().unix_timestamp;
    vm.m.chain.advance(expiry - now + 10);
    let halt = ix::set_status(gov.pubkey(), vm.m.btc_feed, 2);
    vm.m.chain.send(&[halt], &[&gov]).await.unwrap();
    vm.m.chain.advance(3_700);
    vm.m.chain
        .send(
            &[p.governance_settle(gov.pubkey(), round, 31_000 * risk_math::WAD)],
            &[&gov],
        )
        .await
        .unwrap();
    let status = p.set_status(gov.pubkey(), vault::state::VaultStatus::Paused);
    vm.m.chain.send(&[status], &[&gov]).await.unwrap();
}

#[tokio::test]
async fn every_instruction_refuses_substituted_accounts() {
    let idl = load_idls();
    let results = Arc::new(Mutex::new(Results::default()));
    rampart_embedded::shadow::install(SubstitutionProbe::for_world(&idl, &results));
    margin_and_backstop_world().await;
    rampart_embedded::shadow::install(SubstitutionProbe::for_world(&idl, &results));
    vault_world().await;
    rampart_embedded::shadow::uninstall();

    let r = results.lock().unwrap();
    let all: BTreeSet<String> = idl
        .values()
        .map(|ix| format!("{}::{}", ix.program, ix.name))
        .collect();
    let missing: Vec<&String> = all.difference(&r.covered).collect();
    let mut by_mutation: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &r.run {
        *by_mutation.entry(c.mutation).or_default() += 1;
    }
    println!(
        "account substitution: {} cases run ({} distinct (instruction, slot, mutation)) over {} of {} instructions; {} intended cases not run; by mutation {:?}",
        r.cases_run,
        r.run.len(),
        r.covered.len(),
        all.len(),
        r.intended_skipped,
        by_mutation
    );
    assert!(missing.is_empty(), "instructions never walked: {missing:?}");
    assert!(
        r.defects.is_empty(),
        "{} substitutions were not refused cleanly:\n{}",
        r.defects.len(),
        r.defects.join("\n")
    );
}
