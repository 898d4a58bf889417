//! `rampart agent`: the autonomous risk agent. Each pass it reads the live
//! state of every bank others borrow from, decides the maintenance base,
//! borrow cap and liquidation fee ramp it wants by a stated rule, and moves
//! toward them through `agent_set_maint_base`, `agent_set_caps` and
//! `agent_set_fee_ramp`, whose bands, steps and intervals the margin
//! program enforces (a wrong or stolen agent key can do no more than those
//! leashes).
//!
//! **The rule**, per bank `L` with borrowers: the smallest maintenance base
//! in the agent's band whose estimated 99% one-hour loss from liquidations
//! that complete too late fits the capacity that would absorb it (`L`'s
//! insurance fund plus the backstop quote waiting to buy collateral for
//! `L`'s token). The loss is a seeded Monte Carlo:
//!
//! - every account owing `L`, as it is: its largest collateral moves with
//!   that collateral's feed, the rest of its collateral stays put;
//! - price paths over one hour in one-minute steps, geometric Brownian
//!   motion at the feed's own realized volatility (`vol_annual` of the
//!   pricing program's reading);
//! - under a candidate base, an account is liquidated at the first step
//!   its collateral price is at or under its liquidation price at the
//!   maintenance ratio that base gives (the program's adaptive target: the
//!   base plus the volatility and congestion components, clamped), and the
//!   liquidation completes `delay` later, at the price then (the keeper's
//!   interval, stretched by the feed's observed congestion);
//! - the loss is what the collateral then falls short of the debt;
//!   summed over accounts, the 99th percentile over paths. An account that
//!   stays healthy at the highest base even at the lowest price any path
//!   reaches cannot add to any path's loss: it is counted, not valued
//!   further (the estimate is the same, and calm markets cost little).
//!
//! Then the **borrow cap**: `L`'s borrows scaled by capacity / loss at the
//! base chosen (the open interest at which the loss, growing with it,
//! would use the whole capacity), inside the caps' leash; with no loss,
//! the leash's top. Deposits stay capped where they are: collateral makes
//! borrowers safer, and the borrow cap is what bounds the open interest.
//! And the **fee ramp**, one for the whole protocol: steeper (liquidators
//! paid sooner) while some bank's loss exceeds its capacity at every base
//! in the band, back to the leash's floor otherwise.
//!
//! The agent explains itself: [`Decision`] carries the inputs, the loss at
//! every candidate base and the one that fired; `--dry-run` prints it and
//! sends nothing.

use std::time::Duration;

use anchor_lang::prelude::{Clock, Pubkey};
use margin::state::{AgentEvidence, Bank, Leash, MarginAccount, MarginConfig};
use serde::Serialize;

use rampart_client::transport::{self, Transport};
use rampart_client::Deployment;
use rampart_sdk::health::{self, Lookup, Requirement};
use rampart_sdk::margin_ix;
use rampart_sdk::rng::Rng;

const WAD: f64 = 1e18;
const YEAR_SECS: f64 = 365.0 * 86_400.0;

/// What the chain lets the agent do (margin's config): its key and its
/// leash on each parameter, and the fee ramp now.
#[derive(Debug, Clone, Copy)]
pub struct Leashes {
    pub agent: Pubkey,
    pub base: Leash,
    /// WAD shares of governance's caps.
    pub caps: Leash,
    pub fee_per_slot: Leash,
    pub fee_per_slot_now: u64,
    pub fee_moved_at: i64,
}

/// How the rule estimates the loss.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RuleParams {
    pub paths: usize,
    pub horizon_secs: i64,
    pub step_secs: i64,
    /// The quantile of the loss that must fit the capacity.
    pub quantile: f64,
    /// Seconds from crossing the threshold to a completed liquidation on
    /// an uncongested chain (the keeper's interval).
    pub delay_secs: i64,
    pub seed: u64,
}

impl Default for RuleParams {
    fn default() -> RuleParams {
        RuleParams {
            paths: 2_000,
            horizon_secs: 3_600,
            step_secs: 60,
            quantile: 0.99,
            delay_secs: 60,
            seed: 7,
        }
    }
}

/// One account owing the bank, reduced to what a price move does to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exposure {
    /// Whole tokens of the collateral that moves with the feed.
    pub qty: f64,
    /// The collateral price (USD) at which the collateral is worth the debt.
    pub bankrupt_at: f64,
    /// Per candidate base: the price it is liquidated at or under (None:
    /// no price of this feed makes it liquidatable).
    pub liquidated_at: Vec<Option<f64>>,
}

/// What the agent read about one bank others borrow from.
#[derive(Debug, Clone, Serialize)]
pub struct BankInputs {
    pub bank: Pubkey,
    pub mint: Pubkey,
    pub symbol: String,
    pub base: u64,
    pub last_change_ts: i64,
    /// Bases the agent may choose (the band, in steps), and the
    /// maintenance ratio each gives now.
    pub candidates: Vec<u64>,
    pub ratios: Vec<u64>,
    /// The collateral feed the borrowers' largest collateral moves with.
    pub feed: String,
    pub spot: f64,
    pub vol_annual: f64,
    pub congestion_bps: u64,
    pub accounts: usize,
    pub debt_usd: f64,
    /// The accounts some path may liquidate, and how many of the rest stay
    /// healthy at the highest base even at the lowest simulated price.
    pub exposures: Vec<Exposure>,
    pub out_of_reach: usize,
    pub lowest_simulated: f64,
    /// The price paths the loss is estimated over (the same ones that
    /// found which accounts are out of reach).
    #[serde(skip)]
    pub paths: std::sync::Arc<Paths>,
    pub insurance_usd: f64,
    pub backstop_usd: f64,
    /// The bank's book and caps, tokens: governance's caps, and when the
    /// agent last moved what it holds back of them.
    pub decimals: u8,
    pub borrows: u64,
    pub gov_caps: (u64, u64),
    /// The shares of them the agent holds back now (WAD).
    pub cuts_now: (u64, u64),
    pub caps_moved_at: i64,
}

/// What the agent decided for one bank, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub symbol: String,
    pub mint: Pubkey,
    pub base: u64,
    /// The p99 loss (USD) at every candidate base, in the candidates' order.
    pub losses: Vec<(u64, f64)>,
    pub capacity_usd: f64,
    /// The base the rule wants.
    pub wanted: u64,
    /// The base it sends now (one leash step toward `wanted`), if any.
    pub next: Option<u64>,
    /// When the leash's interval lets it move again, if not yet.
    pub waiting_until: Option<i64>,
    pub why: String,
    /// The p99 loss at the wanted base (USD), the figure that fired.
    pub loss_usd: f64,
    /// Whether no base in the band fits the capacity.
    pub over_capacity: bool,
    pub caps: Move<(u64, u64)>,
    pub inputs: BankInputs,
}

/// A parameter the agent wants somewhere, and what its leash lets it do now.
#[derive(Debug, Clone, Serialize)]
pub struct Move<T> {
    pub now: T,
    pub wanted: T,
    /// What it sends now (one leash step toward `wanted`), if anything.
    pub next: Option<T>,
    /// When the leash's interval lets it move again, if not yet.
    pub waiting_until: Option<i64>,
    pub why: String,
}

/// What the agent decided for the protocol's liquidation fee ramp.
#[derive(Debug, Clone, Serialize)]
pub struct FeeDecision {
    pub ramp: Move<u64>,
    /// The bank whose loss drove it (the worst loss over capacity), if any.
    pub worst: Option<(String, f64, f64)>,
}

/// The leashes as margin's config holds them.
pub async fn leashes(t: &mut dyn Transport) -> anyhow::Result<Leashes> {
    let config: MarginConfig = transport::require(t, rampart_sdk::pda::margin::config()).await?;
    Ok(Leashes {
        agent: config.governance.risk_agent,
        base: config.governance.agent_base,
        caps: config.agent_leashes.caps,
        fee_per_slot: config.agent_leashes.fee_per_slot,
        fee_per_slot_now: config.liquidation.fee_per_slot,
        fee_moved_at: config.agent_fee_moved_at,
    })
}

fn usd(wad: u128) -> f64 {
    wad as f64 / WAD
}

fn tokens(amount: u64, decimals: u8) -> f64 {
    amount as f64 / 10f64.powi(decimals as i32)
}

/// The candidate bases: the leash's band inside the bank's own [min, max],
/// in steps of the leash's step.
fn candidates(leash: &Leash, bank: &Bank) -> Vec<u64> {
    let m = bank.params.maint;
    let (lo, hi) = (leash.min.max(m.min), leash.max.min(m.max));
    let step = leash.max_step.max(1);
    let mut out = vec![];
    let mut b = lo;
    while b <= hi {
        out.push(b);
        b = match b.checked_add(step) {
            Some(n) => n,
            None => break,
        };
    }
    if out.last() != Some(&hi) && lo <= hi {
        out.push(hi);
    }
    out
}

/// Read every input the rule needs, for each bank with borrowers.
pub async fn read(
    t: &mut dyn Transport,
    leashes: &Leashes,
    rule: &RuleParams,
) -> anyhow::Result<Vec<BankInputs>> {
    let d = Deployment::load(t).await?;
    let accounts = transport::all::<MarginAccount>(t, margin::ID).await?;
    let clock: &Clock = &d.clock;
    // An account the valuation refuses (a stale feed, say) is a risk the
    // rule cannot see: decide nothing rather than decide without it.
    let mut valued = vec![];
    for (k, a) in &accounts {
        let positions = health::positions(a, &d, clock, Requirement::Maintenance).map_err(|e| {
            anyhow::anyhow!("account {k} cannot be valued now, so the agent decides nothing: {e:#}")
        })?;
        valued.push((a, positions));
    }
    let mut out = vec![];
    for (key, bank) in &d.banks {
        let owing: Vec<&(&MarginAccount, Vec<health::PositionValue>)> = valued
            .iter()
            .filter(|(_, positions)| positions.iter().any(|p| p.bank == *key && p.debt > 0))
            .collect();
        if owing.is_empty() {
            continue;
        }
        let cands = candidates(&leashes.base, bank);
        let Some(own_feed) = d.feed_at(&bank.feed) else {
            continue;
        };
        let own_reading = reading(own_feed, clock, bank)?;
        let ratios: Vec<u64> = cands
            .iter()
            .map(|b| {
                let mut p = bank.params.maint.to_math();
                p.base = *b as u128;
                risk_math::margin::adaptive_target(
                    &p,
                    own_reading.variance_per_sec_wad,
                    own_reading.congestion_bps,
                )
                .map(|r| r.target as u64)
                .map_err(|e| anyhow::anyhow!("{e:?}"))
            })
            .collect::<anyhow::Result<_>>()?;
        // The feed the borrowers' collateral moves with: the one behind the
        // largest collateral by value across them.
        let mut by_feed: Vec<(Pubkey, f64)> = vec![];
        for (_, positions) in owing.iter() {
            for p in positions.iter().filter(|p| p.bank != *key && p.deposit > 0) {
                let Some(b) = d.bank_at(&p.bank) else {
                    continue;
                };
                let v = tokens(p.deposit, p.decimals) * usd(p.spot);
                match by_feed.iter_mut().find(|(f, _)| *f == b.feed) {
                    Some((_, total)) => *total += v,
                    None => by_feed.push((b.feed, v)),
                }
            }
        }
        let Some((feed_key, _)) = by_feed.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1)) else {
            continue;
        };
        let feed = d
            .feed_at(&feed_key)
            .ok_or_else(|| anyhow::anyhow!("no feed {feed_key}"))?;
        let feed_reading = reading(feed, clock, bank)?;
        let scale = 10f64.powi(feed_reading.expo);
        let spot = feed_reading.price as f64 * scale;

        let vol_annual = feed_reading.vol_annual_wad as f64 / WAD;
        let paths = std::sync::Arc::new(Paths::simulate(
            spot,
            vol_annual,
            feed_reading.congestion_bps,
            rule,
        ));
        let lowest = paths.lowest;
        let top = (*key, *ratios.last().unwrap_or(&bank.effective_maint_ratio));
        let lowest_price = (lowest / scale).floor().max(1.0) as u64;

        let mut exposures = vec![];
        let mut out_of_reach = 0;
        let mut debt_usd = 0.0;
        for (a, positions) in owing.iter().copied() {
            let mut debt = 0.0;
            for p in positions.iter() {
                let v = tokens(p.debt, p.decimals) * usd(p.spot);
                debt += v;
                if p.bank == *key {
                    debt_usd += v;
                }
            }
            let (mut qty, mut other) = (0.0, 0.0);
            for p in positions.iter().filter(|p| p.deposit > 0) {
                let moves = d.bank_at(&p.bank).is_some_and(|b| b.feed == feed_key);
                if moves {
                    qty += tokens(p.deposit, p.decimals);
                } else {
                    other += tokens(p.deposit, p.decimals) * usd(p.spot);
                }
            }
            if qty <= 0.0 {
                continue;
            }
            // A higher base only raises the liquidation price: healthy at
            // the top one at the lowest price any path reaches, the account
            // is liquidated on no path under any candidate.
            if health::healthy_at_maint_ratio(a, &d, clock, top, Some((feed_key, lowest_price)))? {
                out_of_reach += 1;
                continue;
            }
            // From the highest base down, each search starting from the
            // price above scaled by the ratios (exact when only the debt's
            // requirement moves, close otherwise).
            let mut liquidated_at = vec![None; ratios.len()];
            let mut near: Option<(u64, u64)> = None;
            for (i, ratio) in ratios.iter().enumerate().rev() {
                let guess = near.map(|(price, above)| {
                    (price as f64 * (WAD + *ratio as f64) / (WAD + above as f64)) as u64
                });
                let price = health::liquidation_price_at_maint_ratio(
                    a,
                    &d,
                    clock,
                    feed_key,
                    (*key, *ratio),
                    guess,
                )?;
                near = price.map(|p| (p, *ratio)).or(near);
                liquidated_at[i] = match price {
                    Some(p) => Some(p as f64 * scale),
                    // No liquidation price: unexposed to the feed, or
                    // liquidatable already (then at any price).
                    None if !health::healthy_at_maint_ratio(
                        a,
                        &d,
                        clock,
                        (*key, *ratio),
                        None,
                    )? =>
                    {
                        Some(f64::MAX)
                    }
                    None => None,
                };
            }
            exposures.push(Exposure {
                qty,
                bankrupt_at: ((debt - other) / qty).max(0.0),
                liquidated_at,
            });
        }
        let insurance = rampart_client::tokens::balance(t, &bank.insurance_vault).await?;
        let l_spot = usd(::pricing::read::to_wad(own_reading.price, own_reading.expo)
            .map_err(|e| anyhow::anyhow!("{e}"))?);
        let backstop: u64 = d
            .pools
            .iter()
            .filter(|(_, p)| p.quote_mint == bank.mint)
            .flat_map(|(_, p)| p.bands.iter().map(|b| b.quote))
            .sum();
        out.push(BankInputs {
            bank: *key,
            mint: bank.mint,
            symbol: d.symbol(bank),
            base: bank.params.maint.base,
            last_change_ts: bank.agent_last_change_ts,
            candidates: cands,
            ratios,
            feed: d.feed_name_of(&feed_key),
            spot,
            vol_annual,
            congestion_bps: feed_reading.congestion_bps,
            accounts: owing.len(),
            debt_usd,
            exposures,
            out_of_reach,
            lowest_simulated: lowest,
            paths,
            insurance_usd: tokens(insurance, bank.decimals) * l_spot,
            backstop_usd: tokens(backstop, bank.decimals) * l_spot,
            decimals: bank.decimals,
            borrows: bank.total_borrows().unwrap_or(u64::MAX),
            gov_caps: (bank.params.deposit_cap, bank.params.borrow_cap),
            cuts_now: (bank.agent_deposit_cut, bank.agent_borrow_cut),
            caps_moved_at: bank.agent_caps_moved_at,
        });
    }
    Ok(out)
}

/// The pricing program's own reading of `feed`, as `update_risk` reads it.
fn reading(
    feed: &::pricing::state::PriceFeed,
    clock: &Clock,
    bank: &Bank,
) -> anyhow::Result<::pricing::read::FeedReading> {
    let policy = ::pricing::read::ReadPolicy {
        max_age_secs: bank.params.max_price_age_secs,
        allow_restricted: true,
        twap_window_secs: 0,
        require_twap: false,
        operation: 0,
    };
    ::pricing::read::read_loaded(feed, clock, &policy)
        .map_err(|e| anyhow::anyhow!("the feed cannot be read now: {e}"))
}

/// The seeded price paths the loss is estimated over: geometric Brownian
/// motion from `spot` at `vol_annual`, one-minute steps (the rule's) over
/// the horizon plus the liquidation delay after it.
#[derive(Debug, Default)]
pub struct Paths {
    /// Steps in the horizon, and from a crossing to a completed liquidation.
    pub steps: usize,
    pub delay_steps: usize,
    len: usize,
    prices: Vec<f64>,
    /// Per path, the lowest price so far at each step of the horizon.
    running_min: Vec<f64>,
    /// The lowest price any path reaches within the horizon.
    pub lowest: f64,
}

impl Paths {
    pub fn simulate(spot: f64, vol_annual: f64, congestion_bps: u64, rule: &RuleParams) -> Paths {
        let steps = (rule.horizon_secs / rule.step_secs.max(1)).max(1) as usize;
        // Congestion stretches the delay (10_000 bps = on target).
        let delay = rule.delay_secs as f64 * (congestion_bps.max(10_000) as f64 / 10_000.0);
        let delay_steps = (delay / rule.step_secs.max(1) as f64).ceil() as usize;
        let dt = rule.step_secs as f64 / YEAR_SECS;
        let sigma = vol_annual.max(0.0);
        let len = steps + delay_steps + 1;
        let mut rng = Rng::new(rule.seed);
        let mut prices = Vec::with_capacity(rule.paths * len);
        let mut running_min = Vec::with_capacity(rule.paths * (steps + 1));
        let mut lowest = spot;
        for _ in 0..rule.paths {
            let start = prices.len();
            prices.push(spot);
            for k in 1..len {
                let z = rng.normal();
                let last = prices[start + k - 1];
                prices.push(last * ((-sigma * sigma / 2.0) * dt + sigma * dt.sqrt() * z).exp());
            }
            let mut low = spot;
            for k in 0..=steps {
                low = low.min(prices[start + k]);
                running_min.push(low);
            }
            lowest = lowest.min(low);
        }
        Paths {
            steps,
            delay_steps,
            len,
            prices,
            running_min,
            lowest,
        }
    }

    fn count(&self) -> usize {
        self.prices.len() / self.len.max(1)
    }
}

/// The loss quantile at every candidate base (USD), by seeded Monte Carlo
/// over the inputs' paths.
pub fn losses(inputs: &BankInputs, rule: &RuleParams) -> Vec<f64> {
    let paths = &inputs.paths;
    let n = inputs.candidates.len();
    let mut per_path: Vec<Vec<f64>> = vec![Vec::with_capacity(paths.count()); n];
    for i in 0..paths.count() {
        let path = &paths.prices[i * paths.len..(i + 1) * paths.len];
        let running_min = &paths.running_min[i * (paths.steps + 1)..(i + 1) * (paths.steps + 1)];
        for (c, losses) in per_path.iter_mut().enumerate() {
            let mut loss = 0.0;
            for e in &inputs.exposures {
                let Some(at) = e.liquidated_at[c] else {
                    continue;
                };
                // The first step the price is at or under the threshold.
                let k = running_min.partition_point(|m| *m > at);
                if k > paths.steps {
                    continue;
                }
                let done = path[k + paths.delay_steps];
                loss += e.qty * (e.bankrupt_at - done).max(0.0);
            }
            losses.push(loss);
        }
    }
    per_path
        .into_iter()
        .map(|mut v| {
            v.sort_by(f64::total_cmp);
            let i = ((v.len() as f64 * rule.quantile).ceil() as usize).clamp(1, v.len()) - 1;
            v[i]
        })
        .collect()
}

/// `now` moved one `step` toward `wanted` (at once when within a step).
fn toward(now: u64, wanted: u64, step: u64) -> u64 {
    if wanted > now {
        now.saturating_add(step).min(wanted)
    } else {
        now.saturating_sub(step).max(wanted)
    }
}

/// When a leash's interval next allows a move, if not yet (`moved_at` 0: never moved).
fn not_before(leash: &Leash, moved_at: i64, now: i64) -> Option<i64> {
    let ready_at = moved_at.saturating_add(leash.min_interval_secs as i64);
    (moved_at > 0 && now < ready_at).then_some(ready_at)
}

/// What a leash lets the agent send now for a parameter that `moves`
/// (wants to be elsewhere): the `step` toward it, or, inside the leash's
/// interval, nothing and when it may move next.
fn leashed<T>(
    moves: bool,
    leash: &Leash,
    moved_at: i64,
    now: i64,
    step: impl FnOnce() -> T,
) -> (Option<T>, Option<i64>) {
    if !moves {
        (None, None)
    } else if let Some(at) = not_before(leash, moved_at, now) {
        (None, Some(at))
    } else {
        (Some(step()), None)
    }
}

/// The rule applied to `inputs`, and what the leashes let the agent send now.
pub fn decide(inputs: BankInputs, leashes: &Leashes, rule: &RuleParams, now: i64) -> Decision {
    let leash = &leashes.base;
    let losses = losses(&inputs, rule);
    let capacity = inputs.insurance_usd + inputs.backstop_usd;
    let fits = inputs
        .candidates
        .iter()
        .zip(&losses)
        .find(|(_, l)| **l <= capacity);
    let (wanted, loss, why) = match fits {
        Some((b, l)) => (
            *b,
            *l,
            format!(
                "the smallest base whose 99% one-hour loss (${l:.2}) fits the capacity (${capacity:.2})"
            ),
        ),
        None => (
            *inputs.candidates.last().unwrap_or(&inputs.base),
            losses.last().copied().unwrap_or(0.0),
            format!(
                "no base in the band keeps the 99% one-hour loss within the capacity (${capacity:.2}); the most protective one"
            ),
        ),
    };
    let (next, waiting_until) = leashed(
        wanted != inputs.base && leash.max_step > 0,
        leash,
        inputs.last_change_ts,
        now,
        || toward(inputs.base, wanted, leash.max_step),
    );
    let caps = caps(&inputs, &leashes.caps, loss, capacity, now);
    let over_capacity = fits.is_none();
    Decision {
        symbol: inputs.symbol.clone(),
        mint: inputs.mint,
        base: inputs.base,
        losses: inputs.candidates.iter().copied().zip(losses).collect(),
        capacity_usd: capacity,
        wanted,
        next,
        waiting_until,
        why,
        loss_usd: loss,
        over_capacity,
        caps,
        inputs,
    }
}

/// The borrow cap the rule wants: borrows x capacity / loss (where the
/// loss, growing with the open interest, would use the whole capacity),
/// governance's whole cap with no loss; as the share of governance's cap
/// held back (the leash's unit), inside the leash's band. Deposits keep
/// what is held back of them (inside the band). Moves smaller than 1% of
/// governance's cap wait, so interest accruing does not send a move a pass.
fn caps(
    inputs: &BankInputs,
    leash: &Leash,
    loss: f64,
    capacity: f64,
    now: i64,
) -> Move<(u64, u64)> {
    let gov_borrow = inputs.gov_caps.1;
    let (deposit_now, borrow_now) = inputs.cuts_now;
    let (borrow_cap, why) = if loss <= 0.0 {
        (
            gov_borrow as f64,
            "no loss expected: nothing held back of governance's cap".to_string(),
        )
    } else {
        let headroom = capacity / loss;
        (
            inputs.borrows as f64 * headroom,
            format!(
                "borrows x capacity / loss = {:.2} x {headroom:.3}: open interest past it would lose more than the capacity",
                tokens(inputs.borrows, inputs.decimals)
            ),
        )
    };
    let held = (1.0 - borrow_cap / (gov_borrow as f64).max(1.0)).max(0.0);
    let wanted = (
        deposit_now.clamp(leash.min, leash.max),
        ((held * WAD).min(WAD) as u64).clamp(leash.min, leash.max),
    );
    let moves = leash.max_step > 0
        && (borrow_now.abs_diff(wanted.1) >= WAD as u64 / 100 || deposit_now != wanted.0);
    let (next, waiting_until) = leashed(moves, leash, inputs.caps_moved_at, now, || {
        (
            toward(deposit_now, wanted.0, leash.max_step),
            toward(borrow_now, wanted.1, leash.max_step),
        )
    });
    Move {
        now: (deposit_now, borrow_now),
        wanted,
        next,
        waiting_until,
        why,
    }
}

/// The fee ramp the rule wants: the leash's top while some bank's loss
/// exceeds its capacity at every base in its band, its floor otherwise.
pub fn decide_fee(decisions: &[Decision], leashes: &Leashes, now: i64) -> Option<FeeDecision> {
    let leash = &leashes.fee_per_slot;
    if leash.max_step == 0 {
        return None;
    }
    let worst = decisions
        .iter()
        .filter(|d| d.over_capacity)
        .max_by(|a, b| (a.loss_usd - a.capacity_usd).total_cmp(&(b.loss_usd - b.capacity_usd)))
        .map(|d| (d.symbol.clone(), d.loss_usd, d.capacity_usd));
    let current = leashes.fee_per_slot_now;
    let (wanted, why) = match &worst {
        Some((symbol, loss, capacity)) => (
            leash.max,
            format!("{symbol}'s loss (${loss:.2}) exceeds its capacity (${capacity:.2}) at every base: liquidators paid sooner"),
        ),
        None => (
            leash.min,
            "every bank's loss fits its capacity: the ramp at the leash's floor".to_string(),
        ),
    };
    let (next, waiting_until) =
        leashed(wanted != current, leash, leashes.fee_moved_at, now, || {
            toward(current, wanted, leash.max_step)
        });
    Some(FeeDecision {
        ramp: Move {
            now: current,
            wanted,
            next,
            waiting_until,
            why,
        },
        worst,
    })
}

/// The evidence a move carries on chain: the figure that fired and its inputs.
fn evidence(d: &Decision) -> AgentEvidence {
    let wad = |usd: f64| (usd.max(0.0) * WAD).min(u128::MAX as f64) as u128;
    let i = &d.inputs;
    AgentEvidence {
        loss: wad(d.loss_usd),
        capacity: wad(d.capacity_usd),
        debt: wad(i.debt_usd),
        accounts: i.accounts.min(u32::MAX as usize) as u32,
        vol_annual_bps: (i.vol_annual * 10_000.0).round().max(0.0) as u64,
        congestion_bps: i.congestion_bps,
    }
}

fn pct(wad: u64) -> String {
    format!("{:.2}%", wad as f64 / 1e16)
}

impl Decision {
    /// What it decided and why, for a person.
    pub fn explain(&self) -> String {
        let i = &self.inputs;
        let congestion = match i.congestion_bps {
            0 => "slot times not observed yet".to_string(),
            c => format!("slots at {:.2}x target", c as f64 / 10_000.0),
        };
        let mut out = format!(
            "{} (borrowed against {}): {} {} ${:.2}; {} at {:.2}, volatility {:.1}% a year, {congestion}\n",
            self.symbol,
            i.feed,
            i.accounts,
            if i.accounts == 1 { "account owes" } else { "accounts owe" },
            i.debt_usd,
            i.feed,
            i.spot,
            i.vol_annual * 100.0,
        );
        out.push_str(&format!(
            "  capacity: insurance ${:.2} + backstop ${:.2} = ${:.2}\n  99% one-hour loss from late liquidations, by maintenance base:\n",
            i.insurance_usd, i.backstop_usd, self.capacity_usd
        ));
        for ((b, loss), ratio) in self.losses.iter().zip(&i.ratios) {
            let mark = match (*b == self.base, *b == self.wanted) {
                (true, true) => "  <- now, wanted",
                (true, false) => "  <- now",
                (false, true) => "  <- wanted",
                _ => "",
            };
            out.push_str(&format!(
                "    base {:>6} (ratio {:>6})  ${loss:.2}{mark}\n",
                pct(*b),
                pct(*ratio)
            ));
        }
        out.push_str(&format!("  rule: {}\n", self.why));
        if i.out_of_reach > 0 {
            out.push_str(&format!(
                "  ({} of the accounts stay healthy at the highest base even at ${:.2}, the lowest price any path reaches)\n",
                i.out_of_reach, i.lowest_simulated
            ));
        }
        let action = match (self.next, self.waiting_until) {
            (Some(n), _) => format!(
                "move the base {} -> {} (one step of at most {} toward {}: the leash)",
                pct(self.base),
                pct(n),
                pct(n.abs_diff(self.base)),
                pct(self.wanted)
            ),
            (None, Some(t)) => format!(
                "hold at {}: the leash allows the next move at {} UTC",
                pct(self.base),
                rampart_sdk::fmt::utc(t)
            ),
            (None, None) => format!("hold at {}: it is where the rule wants it", pct(self.base)),
        };
        out.push_str(&format!("  decision: {action}\n"));
        let c = &self.caps;
        let amount = |v: u64| format!("{:.2} {}", tokens(v, i.decimals), self.symbol);
        let cap = |held: u64| {
            format!(
                "{} ({} held back)",
                amount(margin::state::cut(i.gov_caps.1, held)),
                pct(held)
            )
        };
        out.push_str(&format!(
            "  borrow cap: {} of governance's {}; borrowed {}; {}\n",
            cap(c.now.1),
            amount(i.gov_caps.1),
            amount(i.borrows),
            c.why
        ));
        let action = match (c.next, c.waiting_until) {
            (Some((_, b)), _) => format!(
                "move the borrow cap {} -> {} (toward {})",
                cap(c.now.1),
                cap(b),
                cap(c.wanted.1)
            ),
            (None, Some(t)) => format!(
                "hold the caps: the leash allows the next move at {} UTC",
                rampart_sdk::fmt::utc(t)
            ),
            (None, None) => "hold the caps".to_string(),
        };
        out.push_str(&format!("  decision: {action}\n"));
        out
    }
}

impl FeeDecision {
    /// What it decided for the fee ramp and why, for a person.
    pub fn explain(&self) -> String {
        let r = &self.ramp;
        let per_slot = |wad: u64| format!("{:.4}% a slot", wad as f64 / 1e16);
        let action = match (r.next, r.waiting_until) {
            (Some(n), _) => format!(
                "move it {} -> {} (toward {})",
                per_slot(r.now),
                per_slot(n),
                per_slot(r.wanted)
            ),
            (None, Some(t)) => format!(
                "hold at {}: the leash allows the next move at {} UTC",
                per_slot(r.now),
                rampart_sdk::fmt::utc(t)
            ),
            (None, None) => format!("hold at {}", per_slot(r.now)),
        };
        format!(
            "liquidation fee ramp: {}\n  rule: {}\n  decision: {action}\n",
            per_slot(r.now),
            r.why
        )
    }
}

/// What one pass decided, and what the chain said to each move sent.
pub struct Pass {
    pub banks: Vec<(Decision, Option<anyhow::Result<()>>)>,
    pub fee: Option<(FeeDecision, Option<anyhow::Result<()>>)>,
}

impl Pass {
    /// Whether any move was sent and accepted.
    pub fn moved(&self) -> bool {
        let ok = |sent: &Option<anyhow::Result<()>>| sent.as_ref().is_some_and(|r| r.is_ok());
        self.banks.iter().any(|(_, s)| ok(s)) || self.fee.as_ref().is_some_and(|(_, s)| ok(s))
    }
}

/// One pass: read, decide, and (unless `dry_run`) send each move: a
/// bank's base and caps in one transaction, the fee ramp in its own.
pub async fn pass(t: &mut dyn Transport, rule: &RuleParams, dry_run: bool) -> anyhow::Result<Pass> {
    let leashes = leashes(t).await?;
    if !dry_run {
        ensure_agent(t, &leashes)?;
    }
    let now = t.clock().await?.unix_timestamp;
    let decisions: Vec<Decision> = read(t, &leashes, rule)
        .await?
        .into_iter()
        .map(|inputs| decide(inputs, &leashes, rule, now))
        .collect();
    let fee = decide_fee(&decisions, &leashes, now);
    let mut banks = vec![];
    for d in decisions {
        let mut ixs = vec![];
        if let Some(base) = d.next {
            ixs.push(margin_ix::agent_set_maint_base(
                leashes.agent,
                d.mint,
                base,
                evidence(&d),
            ));
        }
        if let Some(caps) = d.caps.next {
            ixs.push(margin_ix::agent_set_caps(
                leashes.agent,
                d.mint,
                caps,
                evidence(&d),
            ));
        }
        let sent = match dry_run || ixs.is_empty() {
            true => None,
            false => Some(t.send(&ixs, &[]).await.map(|_| ())),
        };
        banks.push((d, sent));
    }
    let fee = match fee {
        Some(f) => {
            let sent = match (dry_run, f.ramp.next) {
                (false, Some(ramp)) => {
                    let fired = banks
                        .iter()
                        .map(|(d, _)| d)
                        .find(|d| f.worst.as_ref().is_some_and(|w| w.0 == d.symbol))
                        .map(evidence)
                        .unwrap_or_default();
                    let ix = margin_ix::agent_set_fee_ramp(leashes.agent, ramp, fired);
                    Some(t.send(&[ix], &[]).await.map(|_| ()))
                }
                _ => None,
            };
            Some((f, sent))
        }
        None => None,
    };
    Ok(Pass { banks, fee })
}

fn ensure_agent(t: &dyn Transport, leash: &Leashes) -> anyhow::Result<()> {
    let wallet = t.wallet()?;
    anyhow::ensure!(
        wallet == leash.agent,
        "this wallet ({wallet}) is not margin's risk agent ({}): run with the agent's keypair, or --dry-run",
        leash.agent
    );
    Ok(())
}

/// Passes every `interval` until `stop` (or `max_passes`); a wallet that
/// is not the agent is refused before the first.
pub async fn run(
    t: &mut dyn Transport,
    rule: &RuleParams,
    interval: Duration,
    max_passes: Option<u64>,
    stop: impl std::future::Future<Output = ()>,
    mut report: impl FnMut(&Pass),
) -> anyhow::Result<u64> {
    if let Some(why) = t.cannot_sign() {
        anyhow::bail!(
            "the agent sends transactions, which needs a keypair: {why} (or use --dry-run)"
        );
    }
    let l = leashes(t).await?;
    ensure_agent(t, &l)?;
    tokio::pin!(stop);
    let mut passes = 0;
    loop {
        match pass(t, rule, false).await {
            Ok(done) => report(&done),
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "agent pass failed"),
        }
        passes += 1;
        if max_passes.is_some_and(|m| passes >= m) {
            return Ok(passes);
        }
        tokio::select! {
            _ = &mut stop => return Ok(passes),
            _ = tokio::time::sleep(interval) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(vol: f64, insurance: f64, delay_congestion_bps: u64) -> BankInputs {
        // Ten accounts of 1 BTC owing 24,000 to 24,900 USDC at BTC 25,000,
        // liquidated at 24,000 x (1 + base): at a low base some only once
        // the collateral is worth less than the debt; a higher base
        // liquidates them sooner, at a higher price.
        let candidates: Vec<u64> = (6..=16).map(|i| i * 5_000_000_000_000_000).collect();
        let exposures = (0..10)
            .map(|i| Exposure {
                qty: 1.0,
                bankrupt_at: 24_000.0 + 100.0 * i as f64,
                liquidated_at: candidates
                    .iter()
                    .map(|b| Some(24_000.0 * (1.0 + *b as f64 / 1e18)))
                    .collect(),
            })
            .collect();
        BankInputs {
            bank: Pubkey::new_unique(),
            mint: Pubkey::new_unique(),
            symbol: "USDC".into(),
            base: 50_000_000_000_000_000,
            last_change_ts: 0,
            ratios: candidates.clone(),
            candidates,
            feed: "BTC/USD".into(),
            spot: 25_000.0,
            vol_annual: vol,
            congestion_bps: delay_congestion_bps,
            accounts: 10,
            debt_usd: 240_000.0,
            exposures,
            out_of_reach: 0,
            lowest_simulated: 0.0,
            paths: std::sync::Arc::new(Paths::simulate(
                25_000.0,
                vol,
                delay_congestion_bps,
                &rule(),
            )),
            insurance_usd: insurance,
            backstop_usd: 0.0,
            decimals: 6,
            borrows: 240_000_000_000,
            gov_caps: (2_000_000_000_000, 1_000_000_000_000),
            cuts_now: (0, 0),
            caps_moved_at: 0,
        }
    }

    fn leashes() -> Leashes {
        let w = WAD as u64;
        Leashes {
            agent: Pubkey::new_unique(),
            base: Leash {
                min: 30_000_000_000_000_000,
                max: 80_000_000_000_000_000,
                max_step: 5_000_000_000_000_000,
                min_interval_secs: 300,
            },
            caps: Leash {
                min: 0,
                max: w / 2,
                max_step: w / 10,
                min_interval_secs: 300,
            },
            fee_per_slot: Leash {
                min: w / 100_000,
                max: w / 20_000,
                max_step: w / 100_000,
                min_interval_secs: 300,
            },
            fee_per_slot_now: w / 100_000,
            fee_moved_at: 0,
        }
    }

    fn rule() -> RuleParams {
        RuleParams {
            paths: 400,
            ..RuleParams::default()
        }
    }

    #[test]
    fn a_higher_base_never_loses_more() {
        let l = losses(&inputs(3.0, 0.0, 30_000), &rule());
        assert!(l.windows(2).all(|w| w[1] <= w[0] + 1e-9), "{l:?}");
        assert!(
            l[0] > 0.0,
            "a wild market loses something at the lowest base: {l:?}"
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_decision() {
        let a = losses(&inputs(2.0, 0.0, 10_000), &rule());
        let b = losses(&inputs(2.0, 0.0, 10_000), &rule());
        assert_eq!(a, b);
    }

    /// More volatility or congestion asks for a higher base; more capacity
    /// lets it lower; the leash bounds the move to one step.
    #[test]
    fn the_rule_moves_with_risk_and_capacity_within_the_leash() {
        let wanted = |vol, insurance, congestion| {
            decide(
                inputs(vol, insurance, congestion),
                &leashes(),
                &rule(),
                1_000,
            )
            .wanted
        };
        let calm = wanted(0.3, 0.0, 10_000);
        let wild = wanted(3.0, 0.0, 10_000);
        let jammed = wanted(3.0, 0.0, 50_000);
        let covered = wanted(3.0, 1e9, 10_000);
        assert!(calm <= wild && wild <= jammed, "{calm} {wild} {jammed}");
        assert!(wild > calm, "volatility raises the base: {calm} -> {wild}");
        assert_eq!(covered, leashes().base.min, "a fund that covers everything");
        let d = decide(inputs(3.0, 0.0, 50_000), &leashes(), &rule(), 1_000);
        let next = d.next.expect("a move");
        assert_eq!(
            next.abs_diff(d.base),
            leashes().base.max_step.min(d.wanted.abs_diff(d.base))
        );
        assert!(
            d.explain()
                .contains("decision: move the base 5.00% -> 5.50%"),
            "{}",
            d.explain()
        );
        // Inside the interval it waits, and says until when.
        let mut recent = inputs(3.0, 0.0, 50_000);
        recent.last_change_ts = 900;
        let d = decide(recent, &leashes(), &rule(), 1_000);
        assert_eq!((d.next, d.waiting_until), (None, Some(1_200)));
    }

    /// Over capacity at every base: the borrow cap wants to stop new loans
    /// (the leash's floor, half governance's cap) and moves a tenth of it;
    /// the fee ramp steepens one step. Covered: the cap stays at the top,
    /// the ramp at its floor.
    #[test]
    fn the_caps_and_the_fee_ramp_follow_the_loss_within_their_leashes() {
        let (l, w) = (leashes(), WAD as u64);
        let d = decide(inputs(3.0, 0.0, 50_000), &l, &rule(), 1_000);
        assert!(d.over_capacity && d.loss_usd > 0.0, "{d:?}");
        assert_eq!(
            d.caps.wanted,
            (0, w / 2),
            "half held back: the leash's most"
        );
        assert_eq!(d.caps.next, Some((0, w / 10)), "a tenth at a time");
        let fee = decide_fee(std::slice::from_ref(&d), &l, 1_000).expect("a leash");
        assert_eq!(fee.ramp.wanted, l.fee_per_slot.max);
        assert_eq!(fee.ramp.next, Some(2 * l.fee_per_slot.min));
        assert!(
            fee.explain().contains("0.0010% a slot -> 0.0020% a slot"),
            "{}",
            fee.explain()
        );
        assert!(
            d.explain()
                .contains("move the borrow cap 1000000.00 USDC (0.00% held back) -> 900000.00 USDC (10.00% held back)"),
            "{}",
            d.explain()
        );

        let covered = decide(inputs(3.0, 1e9, 10_000), &l, &rule(), 1_000);
        assert_eq!(covered.caps.next, None, "{:?}", covered.caps);
        let fee = decide_fee(std::slice::from_ref(&covered), &l, 1_000).expect("a leash");
        assert_eq!((fee.ramp.wanted, fee.ramp.next), (l.fee_per_slot.min, None));

        // A closed leash: no fee decision, no caps move.
        let closed = Leashes {
            caps: Leash::default(),
            fee_per_slot: Leash::default(),
            ..l
        };
        let d = decide(inputs(3.0, 0.0, 50_000), &closed, &rule(), 1_000);
        assert_eq!(d.caps.next, None);
        assert!(decide_fee(&[d], &closed, 1_000).is_none());
    }
}
