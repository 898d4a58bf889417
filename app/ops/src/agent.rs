//! `rampart agent`: the autonomous risk agent. Each pass it reads the live
//! state of every bank others borrow from, decides the maintenance base it
//! wants by a stated rule, and moves the bank toward it through
//! `agent_set_maint_base`, whose band, step and interval the margin program
//! enforces (a wrong or stolen agent key can do no more than that leash).
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
//!   summed over accounts, the 99th percentile over paths.
//!
//! The agent explains itself: [`Decision`] carries the inputs, the loss at
//! every candidate base and the one that fired; `--dry-run` prints it and
//! sends nothing.

use std::time::Duration;

use anchor_lang::prelude::{Clock, Pubkey};
use margin::state::{Bank, MarginAccount, MarginConfig};
use serde::Serialize;

use rampart_client::transport::{self, Transport};
use rampart_client::Deployment;
use rampart_sdk::health::{self, Lookup, Requirement};
use rampart_sdk::margin_ix;
use rampart_sdk::rng::Rng;

const WAD: f64 = 1e18;
const YEAR_SECS: f64 = 365.0 * 86_400.0;

/// What the chain lets the agent do (margin's governance parameters).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Leash {
    pub agent: Pubkey,
    pub base_min: u64,
    pub base_max: u64,
    pub max_step: u64,
    pub min_interval_secs: u32,
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
    pub exposures: Vec<Exposure>,
    pub insurance_usd: f64,
    pub backstop_usd: f64,
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
    pub inputs: BankInputs,
}

/// The leash as margin's config holds it.
pub async fn leash(t: &mut dyn Transport) -> anyhow::Result<Leash> {
    let config: MarginConfig = transport::require(t, rampart_sdk::pda::margin::config()).await?;
    let g = config.governance;
    Ok(Leash {
        agent: g.risk_agent,
        base_min: g.agent_base_min,
        base_max: g.agent_base_max,
        max_step: g.agent_max_step,
        min_interval_secs: g.agent_min_interval_secs,
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
    let (lo, hi) = (leash.base_min.max(m.min), leash.base_max.min(m.max));
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
pub async fn read(t: &mut dyn Transport, leash: &Leash) -> anyhow::Result<Vec<BankInputs>> {
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
        let cands = candidates(leash, bank);
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

        let mut exposures = vec![];
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
            let mut liquidated_at = vec![];
            for ratio in &ratios {
                let price = health::liquidation_price_at_maint_ratio(
                    a,
                    &d,
                    clock,
                    feed_key,
                    (*key, *ratio),
                )?;
                liquidated_at.push(match price {
                    Some(p) => Some(p as f64 * scale),
                    // No liquidation price: unexposed to the feed, or
                    // liquidatable already (then at any price).
                    None if !health::healthy_at_maint_ratio(a, &d, clock, (*key, *ratio))? => {
                        Some(f64::MAX)
                    }
                    None => None,
                });
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
            vol_annual: feed_reading.vol_annual_wad as f64 / WAD,
            congestion_bps: feed_reading.congestion_bps,
            accounts: owing.len(),
            debt_usd,
            exposures,
            insurance_usd: tokens(insurance, bank.decimals) * l_spot,
            backstop_usd: tokens(backstop, bank.decimals) * l_spot,
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

/// The loss quantile at every candidate base (USD), by seeded Monte Carlo.
pub fn losses(inputs: &BankInputs, rule: &RuleParams) -> Vec<f64> {
    let n = inputs.candidates.len();
    let steps = (rule.horizon_secs / rule.step_secs.max(1)).max(1) as usize;
    // Congestion stretches the delay (10_000 bps = on target).
    let delay = rule.delay_secs as f64 * (inputs.congestion_bps.max(10_000) as f64 / 10_000.0);
    let delay_steps = (delay / rule.step_secs.max(1) as f64).ceil() as usize;
    let dt = rule.step_secs as f64 / YEAR_SECS;
    let sigma = inputs.vol_annual.max(0.0);
    let mut rng = Rng::new(rule.seed);
    let mut per_path: Vec<Vec<f64>> = vec![Vec::with_capacity(rule.paths); n];
    let mut path = vec![0.0; steps + delay_steps + 1];
    let mut running_min = vec![0.0; steps + 1];
    for _ in 0..rule.paths {
        path[0] = inputs.spot;
        for k in 1..path.len() {
            let z = rng.normal();
            path[k] = path[k - 1] * ((-sigma * sigma / 2.0) * dt + sigma * dt.sqrt() * z).exp();
        }
        running_min[0] = path[0];
        for k in 1..=steps {
            running_min[k] = running_min[k - 1].min(path[k]);
        }
        for (c, losses) in per_path.iter_mut().enumerate() {
            let mut loss = 0.0;
            for e in &inputs.exposures {
                let Some(at) = e.liquidated_at[c] else {
                    continue;
                };
                // The first step the price is at or under the threshold.
                let k = running_min.partition_point(|m| *m > at);
                if k > steps {
                    continue;
                }
                let done = path[k + delay_steps];
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

/// The rule applied to `inputs`, and what the leash lets the agent send now.
pub fn decide(inputs: BankInputs, leash: &Leash, rule: &RuleParams, now: i64) -> Decision {
    let losses = losses(&inputs, rule);
    let capacity = inputs.insurance_usd + inputs.backstop_usd;
    let fits = inputs
        .candidates
        .iter()
        .zip(&losses)
        .find(|(_, l)| **l <= capacity);
    let (wanted, why) = match fits {
        Some((b, l)) => (
            *b,
            format!(
                "the smallest base whose 99% one-hour loss (${l:.2}) fits the capacity (${capacity:.2})"
            ),
        ),
        None => (
            *inputs.candidates.last().unwrap_or(&inputs.base),
            format!(
                "no base in the band keeps the 99% one-hour loss within the capacity (${capacity:.2}); the most protective one"
            ),
        ),
    };
    let ready_at = inputs.last_change_ts + leash.min_interval_secs as i64;
    let (next, waiting_until) = if wanted == inputs.base {
        (None, None)
    } else if inputs.last_change_ts > 0 && now < ready_at {
        (None, Some(ready_at))
    } else {
        let step = leash.max_step;
        let next = if wanted > inputs.base {
            inputs.base.saturating_add(step).min(wanted)
        } else {
            inputs.base.saturating_sub(step).max(wanted)
        };
        (Some(next), None)
    };
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
        inputs,
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
        out
    }
}

/// One pass: read, decide, and (unless `dry_run`) send each move.
pub async fn pass(
    t: &mut dyn Transport,
    rule: &RuleParams,
    dry_run: bool,
) -> anyhow::Result<Vec<(Decision, Option<anyhow::Result<()>>)>> {
    let leash = leash(t).await?;
    if !dry_run {
        ensure_agent(t, &leash)?;
    }
    let now = t.clock().await?.unix_timestamp;
    let mut out = vec![];
    for inputs in read(t, &leash).await? {
        let decision = decide(inputs, &leash, rule, now);
        let sent = match (dry_run, decision.next) {
            (false, Some(base)) => {
                let ix = margin_ix::agent_set_maint_base(leash.agent, decision.mint, base);
                Some(t.send(&[ix], &[]).await.map(|_| ()))
            }
            _ => None,
        };
        out.push((decision, sent));
    }
    Ok(out)
}

fn ensure_agent(t: &dyn Transport, leash: &Leash) -> anyhow::Result<()> {
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
    mut report: impl FnMut(&[(Decision, Option<anyhow::Result<()>>)]),
) -> anyhow::Result<u64> {
    if let Some(why) = t.cannot_sign() {
        anyhow::bail!(
            "the agent sends transactions, which needs a keypair: {why} (or use --dry-run)"
        );
    }
    let l = leash(t).await?;
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
            insurance_usd: insurance,
            backstop_usd: 0.0,
        }
    }

    fn leash() -> Leash {
        Leash {
            agent: Pubkey::new_unique(),
            base_min: 30_000_000_000_000_000,
            base_max: 80_000_000_000_000_000,
            max_step: 5_000_000_000_000_000,
            min_interval_secs: 300,
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
            decide(inputs(vol, insurance, congestion), &leash(), &rule(), 1_000).wanted
        };
        let calm = wanted(0.3, 0.0, 10_000);
        let wild = wanted(3.0, 0.0, 10_000);
        let jammed = wanted(3.0, 0.0, 50_000);
        let covered = wanted(3.0, 1e9, 10_000);
        assert!(calm <= wild && wild <= jammed, "{calm} {wild} {jammed}");
        assert!(wild > calm, "volatility raises the base: {calm} -> {wild}");
        assert_eq!(covered, leash().base_min, "a fund that covers everything");
        let d = decide(inputs(3.0, 0.0, 50_000), &leash(), &rule(), 1_000);
        let next = d.next.expect("a move");
        assert_eq!(
            next.abs_diff(d.base),
            leash().max_step.min(d.wanted.abs_diff(d.base))
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
        let d = decide(recent, &leash(), &rule(), 1_000);
        assert_eq!((d.next, d.waiting_until), (None, Some(1_200)));
    }
}
