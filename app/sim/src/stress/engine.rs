//! One scenario under one policy, through the real programs in the
//! embedded bank: a funded population of BTC-collateralised USDC borrowers,
//! sources publishing the scenario's quotes, and a keeper that refreshes,
//! updates risk and liquidates as fast as the scenario's network allows.

use anchor_lang::prelude::{Clock, Pubkey};
use backstop::state::{ConsumerLimits, PoolParams};
use margin::errors::MarginError;
use margin::events::{Liquidated, LiquidatedToBackstop};
use margin::state::{Bank, MarginAccount, ValidatorSet};
use pricing::events::FeedRefreshed;
use pricing::state::PriceFeed;
use rampart_sdk::health::{self, Lookup, Requirement};
use risk_math::breaker::Status;
use vault::state::Vault;

use super::feeds::{Rng, Tick};
use super::metrics::{Observed, Recorder, RunResult};
use super::policy::{agent_interval, Policy};
use super::scenario::{Fault, Scenario};
use super::vault_sim::VaultSim;
use crate::backstop_market::{BackstopMarket, DISCOUNTS_BPS};
use crate::market::{
    btc_params, price, usdc_params, MarginMarket, MarketConfig, User, BTC, EXPO, USDC,
};
use crate::setup;
use margin::state::BankParams;
use rampart_client::transport::TxSuccess;
use rampart_sdk::backstop_ix::PoolRef;
use rampart_sdk::margin_ix;
use solana_sdk::signature::Keypair;
use solana_sdk::signature::Signer;

const W: f64 = 1e18;
/// A USDC token unit in WAD dollars.
const USDC_UNIT_WAD: i128 = 1_000_000_000_000;
const WAD: u128 = 1_000_000_000_000_000_000;
/// A liquidation is wrongful when the account was solvent at the
/// reference price by more than this share of its collateral.
const WRONGFUL_CUSHION: f64 = 0.0025;

/// An account as the keeper tracks it (the chain decides; this only
/// chooses whom to try).
struct Tracked {
    user: User,
    sats: u64,
    /// The account as the chain holds it, re-read after every transaction
    /// that changes it (interest moves only the bank's index, which each
    /// step's snapshot carries).
    account: MarginAccount,
    /// When it first became liquidatable at the reference price.
    due_since: Option<i64>,
}

impl Tracked {
    /// Scaled USDC debt: with the bank's index, the debt with interest at
    /// any step.
    fn scaled(&self, usdc_bank: &Pubkey) -> u64 {
        self.account
            .existing(usdc_bank)
            .map_or(0, |p| p.borrow_scaled)
    }
}

/// Steps between the keeper's sweeps of the insurance fund's interest.
const SWEEP_EVERY_STEPS: usize = 240;

/// The accounts a step's valuations read: both banks as an accrual now
/// would leave them, and both feeds. Accounts are valued through the
/// margin program's own valuation (`rampart_sdk::health`), as the keeper's
/// and the program's decisions are.
struct Snapshot {
    banks: [(Pubkey, Bank); 2],
    feeds: [(Pubkey, PriceFeed); 2],
    clock: Clock,
}

impl Lookup for Snapshot {
    fn bank_at(&self, key: &Pubkey) -> Option<&Bank> {
        self.banks.iter().find(|(k, _)| k == key).map(|(_, b)| b)
    }

    fn feed_at(&self, key: &Pubkey) -> Option<&PriceFeed> {
        self.feeds.iter().find(|(k, _)| k == key).map(|(_, f)| f)
    }

    fn vault_at(&self, _: &Pubkey) -> Option<&Vault> {
        None
    }
}

impl Snapshot {
    /// Maintenance margin (assets minus liabilities, WAD USD) of
    /// `account`; None when the program could not value it now (a stale
    /// or halted feed).
    fn margin(&self, account: &MarginAccount) -> Option<i128> {
        health::value(account, self, &self.clock, Requirement::Maintenance)
            .ok()
            .map(|h| h.health.margin())
    }

    /// The same accounts with every feed printing the scenario's reference
    /// price (BTC at `btc`, USDC at one dollar), fresh and unrestricted:
    /// what the program would decide if the oracle showed the true price.
    fn at_reference(&self, btc: f64, btc_feed: &Pubkey) -> Snapshot {
        let mut feeds = self.feeds;
        for (key, feed) in feeds.iter_mut() {
            let units = if key == btc_feed { btc } else { 1.0 };
            feed.price = price(units) as u64;
            feed.conf = 0;
            feed.price_ts = self.clock.unix_timestamp;
            feed.status = Status::Active as u8;
            feed.pause_flags = 0;
        }
        Snapshot {
            banks: self.banks.clone(),
            feeds,
            clock: self.clock.clone(),
        }
    }
}

pub async fn run(
    scenario: &Scenario,
    ticks: &[Tick],
    policy: &Policy,
    mut progress: impl FnMut(),
) -> anyhow::Result<RunResult> {
    let start = ticks.first().map_or(scenario.price, |t| t.reference);
    let peak = ticks.iter().map(|t| t.reference).fold(start, f64::max);
    // The population: 0.05-2 BTC each, borrowing 30%-71% of its value
    // (the initial limit is about 72%), opening at the start or, with
    // `openings spread`, at a random step.
    let mut rng = Rng::new(scenario.seed ^ 0xACC0_0175);
    let mut openings: Vec<Vec<(u64, f64)>> = vec![vec![]; ticks.len().max(1)];
    for _ in 0..scenario.accounts {
        let sats = 5_000_000 + (rng.unit() * 195_000_000.0) as u64;
        let ltv = 0.30 + rng.unit() * 0.41;
        let at = if scenario.spread_openings {
            (rng.unit() * ticks.len() as f64) as usize
        } else {
            0
        };
        openings[at.min(ticks.len().saturating_sub(1))].push((sats, ltv));
    }
    let total_sats: u64 = openings.iter().flatten().map(|p| p.0).sum();
    // Debt can reach this at most (every account opening at the peak).
    let max_debt = (total_sats as f64 / BTC as f64 * peak * 0.71 * USDC as f64) as u64 + USDC;
    // Caps sized to the population: the scenario tests prices, not caps.
    let mut m = MarginMarket::configured(MarketConfig {
        btc_sources: policy.sources,
        btc_feed: policy.feed,
        btc_bank: BankParams {
            maint: policy.maint,
            deposit_cap: total_sats * 2,
            borrow_cap: total_sats,
            ..btc_params()
        },
        usdc_bank: BankParams {
            deposit_cap: max_debt * 4,
            borrow_cap: max_debt * 2,
            // The agent's lever: the base it moves, 5% to 8% as deployed.
            maint: match policy.agent {
                true => usdc_agent_maintenance(),
                false => usdc_params().maint,
            },
            ..usdc_params()
        },
        start_price: start,
    })
    .await?;
    let mut rec = Recorder::new(policy, scenario.onset);
    let lender = m.lender(max_debt * 2, max_debt * 2).await?;
    let insurance = max_debt / 100;
    m.fund_usdc_insurance(insurance).await?;
    let liquidator = m.liquidator(max_debt * 2).await?;
    rec.minted_usdc = max_debt * 4 + insurance;
    let validators = if policy.m_of_n {
        m_of_n(&mut m, scenario).await?
    } else {
        Validators::default()
    };
    // The backstop LP puts up a fifth of the largest possible open interest.
    let pool = match policy.backstop {
        true => Some(backstop_pool(&mut m, policy, max_debt / 5).await?),
        false => None,
    };
    if pool.is_some() {
        rec.minted_usdc += max_debt / 5;
    }
    let mut vault = match scenario.depositors {
        0 => None,
        n => Some(VaultSim::open(&mut m, n).await?),
    };
    if let Some(v) = &vault {
        rec.minted_btc += v.minted_btc();
    }
    let mut accounts: Vec<Tracked> = Vec::with_capacity(scenario.accounts);
    let mut refused: Vec<User> = vec![];

    let mut net = Rng::new(scenario.seed ^ 0x0E7);
    let mut next_agent = ticks.first().map_or(0, |t| t.t);
    if policy.agent {
        // The agent pays its own fees.
        let fund = solana_sdk::system_instruction::transfer(
            &m.chain.payer_pubkey(),
            &m.risk_agent.pubkey(),
            1_000_000_000,
        );
        m.chain.send(&[fund], &[]).await?;
    }
    let (mut now, mut slot) = (m.chain.clock().unix_timestamp, m.chain.clock().slot);
    let mut prev_t = ticks.first().map_or(0, |t| t.t);
    for (i, tick) in ticks.iter().enumerate() {
        let dt = (tick.t - prev_t).max(1);
        prev_t = tick.t;
        now += dt;
        slot += (dt * 1_000 / tick.slot_ms.max(1)) as u64;
        m.chain.set_clock(now, slot);
        // The oracle side: every source publishes (one transaction); USDC,
        // which is not under test, is refreshed every step (a refresh must
        // lead its own transaction).
        let quotes: Vec<Option<(i64, u64)>> = tick.quotes[..policy.sources as usize]
            .iter()
            .map(|q| q.map(|q| (price(q.price), price(q.conf).max(1) as u64)))
            .collect();
        let keeper = m.ops.keeper.insecure_clone();
        let one = price(1.0);
        let mut ixs = setup::push_ixs(&m.btc_source, &keeper.pubkey(), &quotes, EXPO);
        ixs.extend(setup::push_ixs(
            &m.usdc_source,
            &keeper.pubkey(),
            &[Some((one, (one / 2_000) as u64))],
            EXPO,
        ));
        m.chain.send(&ixs, &[&keeper]).await?;
        setup::refresh(&mut m.chain, m.usdc_feed, &m.usdc_source).await?;
        rec.transactions += 2;

        // The keeper: refresh BTC and update the adaptive threshold, each
        // transaction lost with the scenario's drop probability.
        let dropped = |net: &mut Rng| net.unit() < tick.drop;
        let mut refreshed = None;
        if tick.keeper_online {
            if !dropped(&mut net) {
                let ix = rampart_sdk::pricing_ix::refresh(m.btc_feed, &m.btc_source);
                if let Ok(ok) = m.chain.send(&[ix], &[]).await {
                    refreshed = events::decode_one::<FeedRefreshed>(&ok.logs);
                }
                rec.transactions += 1;
            }
            if !dropped(&mut net) {
                let _ = m.update_btc_risk().await;
                rec.transactions += 1;
            }
        }
        let feed: PriceFeed = m
            .chain
            .zero_copy_account(m.btc_feed)
            .await
            .ok_or_else(|| anyhow::anyhow!("BTC feed missing"))?;
        let status = feed.status();
        let spot = feed.price as f64 * 10f64.powi(EXPO);
        let fresh = now - feed.price_ts <= policy.feed.max_staleness_secs as i64;
        let twap = refreshed
            .filter(|e| e.twap_valid)
            .map(|e| e.twap as f64 * 10f64.powi(EXPO));
        let btc_bank = m.bank(m.btc_mint).await;
        // USDC as an accrual now would leave it: debts with interest to now.
        let usdc_bank = m.bank(m.usdc_mint).await.projected(now)?;
        let usdc_feed: PriceFeed = m
            .chain
            .zero_copy_account(m.usdc_feed)
            .await
            .ok_or_else(|| anyhow::anyhow!("USDC feed missing"))?;
        let snapshot = Snapshot {
            banks: [
                (m.btc_bank(), btc_bank.projected(now)?),
                (m.usdc_bank(), usdc_bank.clone()),
            ],
            feeds: [(m.btc_feed, feed), (m.usdc_feed, usdc_feed)],
            clock: m.chain.clock().clone(),
        };
        let at_reference = snapshot.at_reference(tick.reference, &m.btc_feed);
        let usdc_key = m.usdc_bank();

        // Borrowers opening now (refused while the feed cannot price them:
        // such a user keeps its BTC, deposited or not).
        for (sats, ltv) in openings[i].iter().copied() {
            let debt = ((sats as f64 / BTC as f64 * spot * ltv * USDC as f64) as u64).max(USDC);
            let user = m.user(sats, 0).await?;
            rec.minted_btc += sats;
            let deposit = m.flow(&user, m.btc_mint, true, false).deposit(sats);
            let borrow = m.flow(&user, m.usdc_mint, true, true).borrow(debt);
            rec.transactions += 6;
            if m.chain.send(&[deposit, borrow], &[&user.key]).await.is_ok() {
                rec.open_interest += debt;
                let account = m.account(&user).await;
                accounts.push(Tracked {
                    user,
                    sats,
                    account,
                    due_since: None,
                });
            } else {
                rec.openings_refused += 1;
                refused.push(user);
            }
        }

        // Keeper: try every account the published price says is (nearly)
        // liquidatable; the program decides.
        let can_liquidate = tick.keeper_online && status != Status::Halted && fresh;
        for a in accounts.iter_mut() {
            let debt = usdc_bank.debt_tokens(a.scaled(&usdc_key))?;
            let reference_margin = at_reference
                .margin(&a.account)
                .ok_or_else(|| anyhow::anyhow!("an account the reference price cannot value"))?;
            let due_at_reference = debt > 0 && reference_margin < 0;
            if due_at_reference && a.due_since.is_none() {
                a.due_since = Some(tick.t);
            } else if !due_at_reference {
                a.due_since = None;
            }
            // Within 0.1% of the debt of liquidatable, by the valuation
            // the program will apply.
            let near = debt > 0
                && snapshot
                    .margin(&a.account)
                    .is_some_and(|margin| margin < debt as i128 * USDC_UNIT_WAD / 1_000);
            if !(can_liquidate && near) || dropped(&mut net) {
                continue;
            }
            let keeper = Keeper {
                liquidator: &liquidator,
                validators: &validators,
                backstop: pool.is_some(),
            };
            let Some(done) = keeper.liquidate(&mut m, &a.user, &mut rec).await else {
                continue;
            };
            // Wrongful: solvent at the reference price by more than the
            // honest sources' noise (25 bps of the collateral).
            let cushion = a.sats as f64 / BTC as f64 * tick.reference * WRONGFUL_CUSHION;
            let solvent = reference_margin as f64 / W > cushion;
            let seized_usd = done.seized as f64 / BTC as f64 * tick.reference;
            rec.liquidation(
                done.repaid,
                solvent,
                a.due_since.map(|since| tick.t - since),
                seized_usd - done.repaid as f64 / USDC as f64,
                seized_usd,
            );
            a.account = m.account(&a.user).await;
            a.sats -= done.seized;
            // Restored to the buffer: a later fall starts a new wait.
            a.due_since = None;
        }
        let nav = match vault.as_mut() {
            Some(v) => v.step(&mut m, now, tick.reference).await,
            None => None,
        };
        let usdc_bank = m.bank(m.usdc_mint).await.projected(now)?;
        let mut bad_debt = 0.0;
        for a in &accounts {
            let debt = usdc_bank.debt_tokens(a.scaled(&usdc_key))? as f64 / USDC as f64;
            bad_debt += (debt - a.sats as f64 / BTC as f64 * tick.reference).max(0.0);
        }
        // The risk agent, each interval: its rule, absent, or a thief.
        if policy.agent && tick.t >= next_agent {
            next_agent = tick.t + agent_interval(super::step_of(scenario, ticks));
            agent_turn(&mut m, scenario, tick.t, &mut rec).await?;
        }
        // The keeper sweeps the insurance fund's interest now and then.
        if tick.keeper_online && i % SWEEP_EVERY_STEPS == SWEEP_EVERY_STEPS - 1 {
            let _ = m.chain.send(&[margin_ix::accrue(m.usdc_mint)], &[]).await;
            rec.transactions += 1;
        }
        rec.step(
            tick,
            Observed {
                status,
                published: fresh.then_some(spot),
                twap,
                maint_ratio: btc_bank.effective_maint_ratio as f64 / W,
                bad_debt,
                vault_nav: nav,
            },
        );
        progress();
    }

    // Value conservation: every token minted is in exactly one account.
    let users = [&lender, &liquidator]
        .into_iter()
        .chain(accounts.iter().map(|a| &a.user))
        .chain(&refused);
    let (mut btc_holders, mut usdc_holders): (Vec<_>, Vec<_>) =
        users.map(|u| (u.btc, u.usdc)).unzip();
    if let Some(v) = &vault {
        btc_holders.extend(v.btc_holders());
        rec.vault(v);
    }
    if let Some((pool, lp)) = &pool {
        btc_holders.extend([lp.btc, pool.collateral_vault()]);
        usdc_holders.extend([lp.usdc, pool.quote_vault()]);
    }
    let (mut btc, mut usdc) = (0u64, 0u64);
    for h in &btc_holders {
        btc += m.tokens(*h).await;
    }
    for h in &usdc_holders {
        usdc += m.tokens(*h).await;
    }
    for (mint, total) in [(m.btc_mint, &mut btc), (m.usdc_mint, &mut usdc)] {
        *total += m.vault(mint).await;
        *total += m.insurance(mint).await;
    }
    // The last of the fund's interest, then what interest did over the run.
    m.chain.send(&[margin_ix::accrue(m.usdc_mint)], &[]).await?;
    let usdc_bank = m.bank(m.usdc_mint).await;
    rec.interest = usdc_bank.interest_accrued;
    rec.fund_interest = usdc_bank.fees_accrued;
    rec.insurance_left = m.insurance(m.usdc_mint).await;
    rec.held_btc = btc;
    rec.held_usdc = usdc;
    Ok(rec.finish())
}

/// The USDC bank under an agent: its base moves 5% to 8% (the `usdc`
/// preset's range) and the effective ratio follows it, nothing else.
fn usdc_agent_maintenance() -> margin::state::AdaptiveMaintenance {
    margin::state::AdaptiveMaintenance {
        max: 8 * (WAD as u64 / 100),
        ..crate::market::fixed_maintenance()
    }
}

/// One turn of the risk agent (`rampart_ops::agent`, the same code `rampart
/// agent` runs) on this chain: its decision sent under its key, nothing
/// when the scenario has it offline, or a thief's step up when its key is
/// compromised. The keeper's `update_risk` then moves the effective ratio
/// toward the new base.
async fn agent_turn(
    m: &mut MarginMarket,
    scenario: &Scenario,
    t: i64,
    rec: &mut Recorder,
) -> anyhow::Result<()> {
    let within = |from: &i64, to: &i64| (*from..*to).contains(&t);
    let offline = scenario
        .faults
        .iter()
        .any(|f| matches!(f, Fault::AgentOffline { from, to } if within(from, to)));
    let compromised = scenario
        .faults
        .iter()
        .any(|f| matches!(f, Fault::AgentCompromised { from, to } if within(from, to)));
    if offline && !compromised {
        return Ok(());
    }
    let payer = m.chain.payer().insecure_clone();
    m.chain.set_payer(m.risk_agent.insecure_clone());
    let moved = if compromised {
        thief_turn(m).await?
    } else {
        let rule = rampart_ops::agent::RuleParams {
            paths: 200,
            ..Default::default()
        };
        rampart_ops::agent::pass(&mut m.chain, &rule, false)
            .await
            .is_ok_and(|done| done.moved())
    };
    m.chain.set_payer(payer);
    rec.transactions += 1;
    if moved {
        rec.agent_moves += 1;
        let ix = margin_ix::update_risk(m.usdc_mint, m.usdc_feed);
        let _ = m.chain.send(&[ix], &[]).await;
        rec.transactions += 1;
    }
    Ok(())
}

/// A stolen agent key pushes every parameter toward its most harmful edge
/// as fast as the leashes allow: the USDC maintenance base up (healthy
/// borrowers liquidated sooner), USDC's caps down (no new deposits or
/// loans), the fee ramp up (liquidated accounts paying the fee cap
/// sooner). Whether anything was accepted.
async fn thief_turn(m: &mut MarginMarket) -> anyhow::Result<bool> {
    let leashes = rampart_ops::agent::leashes(&mut m.chain).await?;
    let agent = m.risk_agent.pubkey();
    let bank = m.bank(m.usdc_mint).await;
    let (base, floor) = (
        bank.params.maint.base,
        margin::state::AgentEvidence::default(),
    );
    let mut ixs = vec![];
    let up = (base + leashes.base.max_step).min(leashes.base.max.min(bank.params.maint.max));
    if up > base {
        ixs.push(margin_ix::agent_set_maint_base(
            agent,
            m.usdc_mint,
            up,
            floor,
        ));
    }
    let cuts = (bank.agent_deposit_cut, bank.agent_borrow_cut);
    let more = |held: u64| (held + leashes.caps.max_step).min(leashes.caps.max);
    if leashes.caps.max_step > 0 && (more(cuts.0), more(cuts.1)) != cuts {
        let ix = margin_ix::agent_set_caps(agent, m.usdc_mint, (more(cuts.0), more(cuts.1)), floor);
        ixs.push(ix);
    }
    let mut accepted = false;
    for ix in ixs {
        // One at a time: a move the leash refuses does not sink the others.
        accepted |= m.chain.send(&[ix], &[]).await.is_ok();
    }
    let ramp = leashes.fee_per_slot;
    let steeper = (leashes.fee_per_slot_now + ramp.max_step).min(ramp.max);
    if ramp.max_step > 0 && steeper > leashes.fee_per_slot_now {
        let ix = margin_ix::agent_set_fee_ramp(agent, steeper, floor);
        accepted |= m.chain.send(&[ix], &[]).await.is_ok();
    }
    Ok(accepted)
}

/// The liquidation validators: the honest ones sign approvals; the
/// colluding ones (the scenario's `validators_collude`) never do.
#[derive(Default)]
struct Validators {
    honest: Vec<Keypair>,
}

/// Three validators, two approvals for liquidations repaying the
/// scenario's `large_usd` or more.
async fn m_of_n(m: &mut MarginMarket, scenario: &Scenario) -> anyhow::Result<Validators> {
    let keys: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    let mut set = ValidatorSet {
        count: 3,
        threshold: 2,
        large_value: scenario.large_usd as u128 * WAD,
        proposal_ttl_slots: 150,
        ..Default::default()
    };
    for (slot, k) in set.keys.iter_mut().zip(&keys) {
        *slot = k.pubkey();
    }
    let gov = m.ops.governance.insecure_clone();
    m.chain
        .send(&[margin_ix::set_validators(gov.pubkey(), set)], &[&gov])
        .await?;
    let colluding = scenario
        .faults
        .iter()
        .map(|f| match f {
            Fault::ValidatorsCollude { count } => *count,
            _ => 0,
        })
        .max()
        .unwrap_or(0);
    Ok(Validators {
        honest: keys.into_iter().skip(colluding).collect(),
    })
}

/// What one liquidation took from the account.
struct Done {
    repaid: u64,
    seized: u64,
}

/// The keeper's liquidation path under the policy.
struct Keeper<'a> {
    liquidator: &'a User,
    validators: &'a Validators,
    /// Try the backstop pool first.
    backstop: bool,
}

impl Keeper<'_> {
    /// Liquidate `victim`: through the backstop first when the policy has
    /// one, else (or for what it cannot take) by the open liquidator; a
    /// large liquidation goes through the M-of-N flow (an expired proposal
    /// is closed first, then propose, honest approvals, execute). None when
    /// the chain refused.
    async fn liquidate(
        &self,
        m: &mut MarginMarket,
        victim: &User,
        rec: &mut Recorder,
    ) -> Option<Done> {
        let liquidator = self.liquidator;
        let mut l = m.liquidation(liquidator, victim);
        if self.backstop {
            rec.transactions += 1;
            let ix = margin_ix::liquidate_with_backstop(&l);
            if let Ok(ok) = m.send_as(liquidator, ix).await {
                let ev = events::decode_one::<LiquidatedToBackstop>(&ok.logs)?;
                rec.backstop_absorbs += 1;
                return Some(Done {
                    repaid: ev.repaid,
                    seized: ev.collateral_sold,
                });
            }
        }
        rec.transactions += 1;
        let err = match m.send_as(liquidator, margin_ix::liquidate(&l)).await {
            Ok(ok) => return liquidated(&ok),
            Err(e) => e,
        };
        let needs_approval = u32::from(MarginError::LargeLiquidationNeedsApproval);
        if err.custom_code() != Some(needs_approval) {
            return None;
        }
        rec.large_attempts += 1;
        let proposal = l.proposal_address();
        let close = margin_ix::close_expired_proposal(proposal, liquidator.key.pubkey());
        let _ = m.chain.send(&[close], &[]).await;
        let _ = m
            .send_as(liquidator, margin_ix::propose_liquidation(&l))
            .await;
        rec.transactions += 2;
        for v in &self.validators.honest {
            let ix = margin_ix::approve_liquidation(v.pubkey(), proposal);
            let _ = m.chain.send(&[ix], &[v]).await;
            rec.transactions += 1;
        }
        l.proposal = Some(proposal);
        rec.transactions += 1;
        let ok = m.send_as(liquidator, margin_ix::liquidate(&l)).await.ok()?;
        rec.large_liquidations += 1;
        liquidated(&ok)
    }
}

fn liquidated(ok: &TxSuccess) -> Option<Done> {
    let ev = events::decode_one::<Liquidated>(&ok.logs)?;
    Some(Done {
        repaid: ev.repaid,
        seized: ev.seized,
    })
}

/// A backstop pool for BTC/USDC on the policy's feed, margin registered as
/// its consumer, and one LP spreading `capital` over the six bands.
async fn backstop_pool(
    m: &mut MarginMarket,
    policy: &Policy,
    capital: u64,
) -> anyhow::Result<(PoolRef, User)> {
    let pool = PoolRef::new(m.btc_mint, m.usdc_mint, m.btc_feed);
    let gov = m.ops.governance.insecure_clone();
    let payer = m.chain.payer_pubkey();
    let params = PoolParams {
        max_price_age_secs: policy.feed.max_staleness_secs.max(5),
        max_quote_per_slot: capital,
        max_lock_slots: 150,
    };
    let limits = ConsumerLimits {
        max_quote_per_absorb: capital,
        max_quote_per_window: capital,
        window_slots: 1,
    };
    let authority = rampart_sdk::pda::margin::backstop_authority();
    let ixs = [
        pool.create(gov.pubkey(), payer, DISCOUNTS_BPS.to_vec(), params),
        pool.register_consumer(gov.pubkey(), payer, authority, limits),
    ];
    m.chain.send(&ixs, &[&gov]).await?;
    let lp = m.user(0, capital).await?;
    let per_band = capital / DISCOUNTS_BPS.len() as u64;
    for band in 0..DISCOUNTS_BPS.len() as u8 {
        let ixs = [
            pool.open_stake(lp.key.pubkey(), band),
            pool.deposit(&BackstopMarket::lp(&lp), band, per_band),
        ];
        m.chain.send(&ixs, &[&lp.key]).await?;
    }
    Ok((pool, lp))
}

/// Event decoding shortcut: the first event of type `E`, if any.
mod events {
    pub fn decode_one<
        E: anchor_lang::Event + anchor_lang::AnchorDeserialize + anchor_lang::Discriminator,
    >(
        logs: &[String],
    ) -> Option<E> {
        rampart_sdk::events::decode::<E>(logs).into_iter().next()
    }
}
