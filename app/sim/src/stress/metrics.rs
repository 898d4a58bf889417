//! What a run measures, step by step, and the figures it reports.

use risk_math::breaker::Status;
use serde::{Deserialize, Serialize};

use super::feeds::{Tick, SOURCES};
use super::policy::Policy;
use crate::market::USDC;

/// The per-step series the charts draw.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Series {
    pub t: Vec<i64>,
    pub reference: Vec<f64>,
    pub sources: Vec<Vec<Option<f64>>>,
    /// The feed's published price while fresh.
    pub consensus: Vec<Option<f64>>,
    pub twap: Vec<Option<f64>>,
    pub halted: Vec<bool>,
    /// The BTC bank's effective maintenance ratio.
    pub maint_ratio: Vec<f64>,
    /// Debt not covered by collateral at the reference price, USD.
    pub bad_debt: Vec<f64>,
    /// The option vault's NAV per share at the reference price, USD.
    pub vault_nav: Vec<Option<f64>>,
}

/// Most points a run keeps per series (for the JSON and the charts).
const MAX_POINTS: usize = 2_000;

impl Series {
    /// At most `max` points: each bucket of consecutive steps keeps its
    /// last prices, whether it was halted at any step, and its highest
    /// threshold and bad debt, so no halt or peak is lost.
    fn downsample(self, max: usize) -> Series {
        let n = self.t.len();
        if n <= max {
            return self;
        }
        let per = n.div_ceil(max);
        let ends: Vec<usize> = (0..n)
            .step_by(per)
            .map(|start| (start + per).min(n) - 1)
            .collect();
        let last = |v: &Vec<Option<f64>>| ends.iter().map(|e| v[*e]).collect();
        let peak = |v: &Vec<f64>| {
            ends.iter()
                .map(|e| {
                    v[e + 1 - per.min(e + 1)..=*e]
                        .iter()
                        .copied()
                        .fold(f64::MIN, f64::max)
                })
                .collect()
        };
        Series {
            t: ends.iter().map(|e| self.t[*e]).collect(),
            reference: ends.iter().map(|e| self.reference[*e]).collect(),
            sources: self.sources.iter().map(last).collect(),
            consensus: last(&self.consensus),
            twap: last(&self.twap),
            halted: ends
                .iter()
                .map(|e| self.halted[e + 1 - per.min(e + 1)..=*e].iter().any(|h| *h))
                .collect(),
            maint_ratio: peak(&self.maint_ratio),
            bad_debt: peak(&self.bad_debt),
            vault_nav: last(&self.vault_nav),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunResult {
    pub policy: String,
    pub bad_debt_usd: f64,
    pub bad_debt_pct_of_open_interest: f64,
    /// The most debt uncovered at the reference price at any step.
    pub peak_bad_debt_usd: f64,
    pub insurance_drawdown_usd: f64,
    /// USDC interest borrowers accrued over the run, and the insurance
    /// fund's share of it (the spread that refills the fund), USD.
    pub interest_usd: f64,
    pub fund_interest_usd: f64,
    pub liquidations: usize,
    /// Liquidations that needed M-of-N approval: tried, and executed.
    pub large_attempts: usize,
    pub large_liquidations: usize,
    /// Liquidations the backstop pool absorbed.
    pub backstop_absorbs: usize,
    /// Maintenance-base changes the risk agent made (policies with an agent).
    pub agent_moves: usize,
    /// What liquidated accounts gave up beyond their repaid debt, as a
    /// share of the collateral taken, at the reference price (bps).
    pub liquidation_discount_bps: f64,
    pub liquidated_usd: f64,
    /// Liquidations of accounts that were solvent at the reference price.
    pub wrongful_liquidations: usize,
    pub max_price_error_bps: f64,
    pub p99_price_error_bps: f64,
    pub halted_secs: i64,
    /// Time the feed served Restricted (no new risk; liquidations and
    /// settlement running).
    pub restricted_secs: i64,
    pub time_to_halt_secs: Option<i64>,
    /// From liquidatable at the reference price to liquidated.
    pub liquidation_delay_mean_secs: f64,
    pub liquidation_delay_max_secs: i64,
    /// Debt borrowed by the population, USD, and borrowers the chain refused
    /// (halted or stale feed when they came).
    pub open_interest_usd: f64,
    pub openings_refused: usize,
    /// Vault depositors: NAV per share change (USD) over the run, epochs
    /// started, settlements, and settlement attempts refused (halted feed
    /// or uncovered TWAP window). None without a vault.
    pub depositor_pnl_pct: Option<f64>,
    pub vault_epochs: usize,
    pub vault_settlements: usize,
    pub vault_settlements_refused: usize,
    /// Every token minted sits in exactly one account at the end.
    pub value_conserved: bool,
    pub transactions: usize,
    pub series: Series,
}

/// What the chain showed after one step.
pub struct Observed {
    pub status: Status,
    /// The feed's price while fresh.
    pub published: Option<f64>,
    pub twap: Option<f64>,
    pub maint_ratio: f64,
    /// Debt uncovered at the reference price, USD.
    pub bad_debt: f64,
    /// The vault's NAV per share, USD.
    pub vault_nav: Option<f64>,
}

pub struct Recorder {
    policy: String,
    onset: i64,
    pub open_interest: u64,
    pub openings_refused: usize,
    pub minted_btc: u64,
    pub minted_usdc: u64,
    pub held_btc: u64,
    pub held_usdc: u64,
    pub insurance_left: u64,
    /// USDC interest accrued and the fund's part, token units.
    pub interest: u64,
    pub fund_interest: u64,
    insurance_start: Option<u64>,
    vault: Option<(f64, usize, usize, usize)>,
    pub transactions: usize,
    liquidations: usize,
    pub large_attempts: usize,
    pub large_liquidations: usize,
    pub backstop_absorbs: usize,
    /// Maintenance-base changes the risk agent made (policies with an agent).
    pub agent_moves: usize,
    discount_usd: f64,
    seized_usd: f64,
    liquidated: u64,
    wrongful: usize,
    delays: Vec<i64>,
    errors: Vec<f64>,
    halted_secs: i64,
    restricted_secs: i64,
    first_halt: Option<i64>,
    last_t: Option<i64>,
    series: Series,
}

impl Recorder {
    pub fn new(policy: &Policy, onset: i64) -> Recorder {
        Recorder {
            policy: policy.name.into(),
            onset,
            open_interest: 0,
            openings_refused: 0,
            minted_btc: 0,
            minted_usdc: 0,
            held_btc: 0,
            held_usdc: 0,
            insurance_left: 0,
            interest: 0,
            fund_interest: 0,
            insurance_start: None,
            vault: None,
            transactions: 0,
            liquidations: 0,
            large_attempts: 0,
            large_liquidations: 0,
            backstop_absorbs: 0,
            agent_moves: 0,
            discount_usd: 0.0,
            seized_usd: 0.0,
            liquidated: 0,
            wrongful: 0,
            delays: vec![],
            errors: vec![],
            halted_secs: 0,
            restricted_secs: 0,
            first_halt: None,
            last_t: None,
            series: Series {
                sources: vec![vec![]; SOURCES],
                ..Series::default()
            },
        }
    }

    /// The vault's totals at the end (its NAV path is in the series).
    pub fn vault(&mut self, v: &super::vault_sim::VaultSim) {
        self.vault = Some((
            v.nav_start.unwrap_or(0.0),
            v.epochs_started,
            v.settlements,
            v.settlement_retries,
        ));
    }

    /// One liquidation: `discount_usd` is what the account gave up beyond
    /// the debt repaid, valued at the reference price, of `seized_usd`.
    pub fn liquidation(
        &mut self,
        repaid: u64,
        wrongful: bool,
        delay: Option<i64>,
        discount_usd: f64,
        seized_usd: f64,
    ) {
        self.discount_usd += discount_usd;
        self.seized_usd += seized_usd;
        self.liquidations += 1;
        self.liquidated += repaid;
        self.wrongful += usize::from(wrongful);
        if let Some(d) = delay {
            self.delays.push(d);
        }
    }

    pub fn step(&mut self, tick: &Tick, seen: Observed) {
        let Observed {
            status,
            published,
            twap,
            maint_ratio,
            bad_debt,
            vault_nav,
        } = seen;
        let dt = self.last_t.map_or(0, |last| tick.t - last);
        self.last_t = Some(tick.t);
        let halted = status == Status::Halted;
        if status == Status::Restricted {
            self.restricted_secs += dt;
        }
        if halted {
            self.halted_secs += dt;
            if self.first_halt.is_none() && tick.t >= self.onset {
                self.first_halt = Some(tick.t);
            }
        }
        if let (Some(p), false) = (published, halted) {
            self.errors
                .push((p - tick.reference).abs() / tick.reference * 10_000.0);
        }
        let s = &mut self.series;
        s.t.push(tick.t);
        s.reference.push(tick.reference);
        for (i, q) in tick.quotes.iter().enumerate() {
            s.sources[i].push(q.map(|q| q.price));
        }
        s.consensus.push(published.filter(|_| !halted));
        s.twap.push(twap);
        s.halted.push(halted);
        s.maint_ratio.push(maint_ratio);
        s.bad_debt.push(bad_debt);
        s.vault_nav.push(vault_nav);
    }

    pub fn finish(mut self) -> RunResult {
        let start = *self.insurance_start.get_or_insert(self.open_interest / 100);
        self.errors.sort_by(|a, b| a.total_cmp(b));
        let p99 = self
            .errors
            .get(
                ((self.errors.len() as f64 * 0.99) as usize)
                    .min(self.errors.len().saturating_sub(1)),
            )
            .copied()
            .unwrap_or(0.0);
        let bad_debt = self.series.bad_debt.last().copied().unwrap_or(0.0);
        let oi = self.open_interest as f64 / USDC as f64;
        RunResult {
            policy: self.policy,
            bad_debt_usd: bad_debt,
            bad_debt_pct_of_open_interest: if oi > 0.0 { bad_debt / oi * 100.0 } else { 0.0 },
            peak_bad_debt_usd: self.series.bad_debt.iter().copied().fold(0.0, f64::max),
            insurance_drawdown_usd: (bad_debt.min(start as f64 / USDC as f64))
                .max((start.saturating_sub(self.insurance_left)) as f64 / USDC as f64),
            interest_usd: self.interest as f64 / USDC as f64,
            fund_interest_usd: self.fund_interest as f64 / USDC as f64,
            liquidations: self.liquidations,
            large_attempts: self.large_attempts,
            large_liquidations: self.large_liquidations,
            backstop_absorbs: self.backstop_absorbs,
            agent_moves: self.agent_moves,
            liquidation_discount_bps: if self.seized_usd > 0.0 {
                self.discount_usd / self.seized_usd * 10_000.0
            } else {
                0.0
            },
            liquidated_usd: self.liquidated as f64 / USDC as f64,
            wrongful_liquidations: self.wrongful,
            max_price_error_bps: self.errors.last().copied().unwrap_or(0.0),
            p99_price_error_bps: p99,
            halted_secs: self.halted_secs,
            restricted_secs: self.restricted_secs,
            time_to_halt_secs: self.first_halt.map(|t| t - self.onset),
            liquidation_delay_mean_secs: if self.delays.is_empty() {
                0.0
            } else {
                self.delays.iter().sum::<i64>() as f64 / self.delays.len() as f64
            },
            liquidation_delay_max_secs: self.delays.iter().copied().max().unwrap_or(0),
            depositor_pnl_pct: self.vault.and_then(|(start, ..)| {
                let end = self.series.vault_nav.iter().rev().find_map(|n| *n)?;
                (start > 0.0).then(|| (end / start - 1.0) * 100.0)
            }),
            vault_epochs: self.vault.map_or(0, |v| v.1),
            vault_settlements: self.vault.map_or(0, |v| v.2),
            vault_settlements_refused: self.vault.map_or(0, |v| v.3),
            open_interest_usd: oi,
            openings_refused: self.openings_refused,
            value_conserved: self.held_btc == self.minted_btc && self.held_usdc == self.minted_usdc,
            transactions: self.transactions,
            series: self.series.downsample(MAX_POINTS),
        }
    }
}
