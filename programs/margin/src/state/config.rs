use anchor_lang::prelude::*;

use crate::errors::MarginError;
use crate::state::agent::{AgentLeashes, Leash};

/// Global margin status, in rising severity: governance sets a lasting
/// one, M-of-N guardians may add a stricter one for a bounded time.
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    InitSpace,
)]
pub enum MarginStatus {
    Active,
    ReduceOnly,
    Shutdown,
}

/// How liquidations pay, WAD unless noted.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct LiquidationParams {
    /// Liquidator fee when an account first becomes liquidatable...
    pub fee_base: u64,
    /// ...rising this much per slot it stays liquidatable...
    pub fee_per_slot: u64,
    /// ...up to this cap.
    pub fee_cap: u64,
    /// Share of the fee paid to the insurance fund.
    pub insurance_share: u64,
    /// A partial liquidation restores the maintenance margin to this (quote, WAD;
    /// u128 because a WAD quote value overflows u64 above 18.4 units).
    pub buffer: u128,
    /// Debt worth less than this after a partial liquidation is closed entirely (quote, WAD).
    pub min_remaining_value: u128,
}

impl LiquidationParams {
    pub fn validate(&self) -> Result<()> {
        let w = risk_math::WAD as u64;
        require!(
            self.fee_base <= self.fee_cap && self.fee_cap <= w / 5,
            crate::errors::MarginError::ParamOutOfBounds
        );
        require!(
            self.fee_per_slot <= w / 100,
            crate::errors::MarginError::ParamOutOfBounds
        );
        require!(
            self.insurance_share <= w,
            crate::errors::MarginError::ParamOutOfBounds
        );
        Ok(())
    }
}

/// Timelock and the risk agent's leash on maintenance bases, WAD where a ratio.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct GovernanceParams {
    /// Queued bank-parameter changes apply only after this long.
    pub timelock_secs: u32,
    /// Moves the parameters its leashes allow, without timelock.
    pub risk_agent: Pubkey,
    /// A bank's maintenance base (WAD; also inside the bank's own [min, max]).
    pub agent_base: Leash,
}

impl GovernanceParams {
    /// Timelock 1 minute to 30 days; the agent's base band inside [0, 50%]
    /// with a step of at most 1% and at least a minute between changes.
    pub fn validate(&self) -> Result<()> {
        require!(
            (60..=30 * 86_400).contains(&self.timelock_secs),
            MarginError::ParamOutOfBounds
        );
        Self::validate_base_leash(&self.agent_base)
    }

    /// The base's band inside [0, 50%], a step of at most 1%.
    pub fn validate_base_leash(leash: &Leash) -> Result<()> {
        let w = risk_math::WAD as u64;
        leash.validate(w / 2, w / 100)
    }
}

pub const MAX_VALIDATORS: usize = 8;

/// An M-of-N key set: 2 to 8 distinct, non-default keys and a strict
/// majority threshold. Shared by validators and guardians.
fn validate_key_set(keys: &[Pubkey; MAX_VALIDATORS], count: u8, threshold: u8) -> Result<()> {
    let n = count as usize;
    require!(
        (2..=MAX_VALIDATORS).contains(&n),
        MarginError::ParamOutOfBounds
    );
    require!(
        threshold as usize * 2 > n && threshold as usize <= n,
        MarginError::ParamOutOfBounds
    );
    let keys = &keys[..n];
    let distinct = keys
        .iter()
        .enumerate()
        .all(|(i, k)| *k != Pubkey::default() && !keys[..i].contains(k));
    require!(distinct, MarginError::ParamOutOfBounds);
    Ok(())
}

/// Guardians who can pause margin quickly, M of N, for a bounded time.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, Default, InitSpace,
)]
pub struct GuardianSet {
    pub keys: [Pubkey; MAX_VALIDATORS],
    pub count: u8,
    pub threshold: u8,
    /// Longest pause one decision may impose; renewing needs M signatures again.
    pub max_pause_secs: u32,
}

impl GuardianSet {
    /// 2 to 8 distinct keys, a majority threshold, pauses of 1 hour to 30 days.
    pub fn validate(&self) -> Result<()> {
        validate_key_set(&self.keys, self.count, self.threshold)?;
        require!(
            (3_600..=30 * 86_400).contains(&self.max_pause_secs),
            MarginError::ParamOutOfBounds
        );
        Ok(())
    }

    /// Distinct registered guardians among `signers`.
    pub fn count_signers<'a>(&self, signers: impl Iterator<Item = &'a Pubkey>) -> u32 {
        let mut seen = 0u8;
        for key in signers {
            if let Some(i) = self.keys[..self.count as usize]
                .iter()
                .position(|k| k == key)
            {
                seen |= 1 << i;
            }
        }
        seen.count_ones()
    }
}

/// Who must confirm a large liquidation, and what "large" is.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, Default, InitSpace,
)]
pub struct ValidatorSet {
    pub keys: [Pubkey; MAX_VALIDATORS],
    pub count: u8,
    /// Approvals required (M of `count`).
    pub threshold: u8,
    /// Liquidations repaying at least this value (quote, WAD) need M approvals.
    pub large_value: u128,
    /// A proposal expires this many slots after it is made.
    pub proposal_ttl_slots: u64,
}

impl ValidatorSet {
    /// At least 2 of at most 8 distinct keys, a majority threshold, and a
    /// lifetime between 10 slots and a day.
    pub fn validate(&self) -> Result<()> {
        validate_key_set(&self.keys, self.count, self.threshold)?;
        require!(
            (10..=216_000).contains(&self.proposal_ttl_slots),
            crate::errors::MarginError::ParamOutOfBounds
        );
        Ok(())
    }

    pub fn index_of(&self, key: &Pubkey) -> Option<usize> {
        self.keys[..self.count as usize]
            .iter()
            .position(|k| k == key)
    }
}

#[account]
#[derive(Debug, InitSpace)]
pub struct MarginConfig {
    /// The pricing program's protocol config, whose governance governs margin too.
    pub protocol: Pubkey,
    pub status: MarginStatus,
    pub liquidation: LiquidationParams,
    /// Empty (count 0) until governance registers validators: then every
    /// liquidation is treated as small.
    pub validators: ValidatorSet,
    pub governance: GovernanceParams,
    pub guardians: GuardianSet,
    /// When the guardians' status lapses (0 or past: none in force).
    pub status_expires_at: i64,
    /// When the current Shutdown began: settlement prices fixed before it are stale.
    pub shutdown_since: i64,
    pub bump: u8,
    /// The guardians' status while `status_expires_at` is ahead: only ever
    /// stricter than governance's `status`, which it never replaces.
    pub guardian_status: MarginStatus,
    /// The agent's leashes on caps and the fee ramp (closed until
    /// governance sets them), and when it last moved the fee ramp.
    pub agent_leashes: AgentLeashes,
    pub agent_fee_moved_at: i64,
    /// Room for later settings without a migration.
    pub reserved: [u8; 439],
}

impl MarginConfig {
    /// Governance's lasting status. A guardian pause in force stays in
    /// force on top of it until it lapses.
    pub fn set_governance_status(&mut self, status: MarginStatus, now: i64) {
        let before = self.effective_status(now);
        self.status = status;
        self.note_shutdown(before, now);
    }

    /// The guardians' status until `expires_at` (Active with 0: lift their
    /// pause). Refused unless it leaves governance's status in force or
    /// tightens it: guardians can stop risk quickly, never restart it.
    pub fn set_guardian_status(
        &mut self,
        status: MarginStatus,
        expires_at: i64,
        now: i64,
    ) -> Result<()> {
        let lifts_own_pause = status == MarginStatus::Active && self.guardian_pause_in_force(now);
        require!(
            lifts_own_pause || status > self.status,
            MarginError::GuardiansCannotLoosen
        );
        let before = self.effective_status(now);
        self.guardian_status = status;
        self.status_expires_at = expires_at;
        self.note_shutdown(before, now);
        Ok(())
    }

    fn guardian_pause_in_force(&self, now: i64) -> bool {
        self.status_expires_at != 0 && now < self.status_expires_at
    }

    fn note_shutdown(&mut self, before: MarginStatus, now: i64) {
        if before != MarginStatus::Shutdown && self.effective_status(now) == MarginStatus::Shutdown
        {
            self.shutdown_since = now;
        }
    }

    /// Fail unless margin is shut down now.
    pub fn require_shutdown(&self, now: i64) -> Result<()> {
        require!(
            self.effective_status(now) == MarginStatus::Shutdown,
            MarginError::NotShutDown
        );
        Ok(())
    }

    /// The status in force at `now`: governance's, or the guardians'
    /// stricter one until it lapses (back to governance's, not to Active).
    pub fn effective_status(&self, now: i64) -> MarginStatus {
        if self.guardian_pause_in_force(now) {
            self.status.max(self.guardian_status)
        } else {
            self.status
        }
    }

    pub const SEED: &'static [u8] = b"margin";
    /// Sized from the types (InitSpace), never summed by hand.
    pub const SPACE: usize = 8 + MarginConfig::INIT_SPACE;
}
