//! The risk agent's leashes (how far it may move which parameter) and the
//! evidence it attaches to every move.

use anchor_lang::prelude::*;

use crate::errors::MarginError;

/// How far the risk agent may move one parameter without timelock: within
/// [`min`, `max`], by at most `max_step` at a time, and not again within
/// `min_interval_secs`. A leash with `max_step` 0 is closed (the agent may
/// not move that parameter at all): the zeroed default of a config made
/// before the parameter had a leash.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, Default, InitSpace,
)]
pub struct Leash {
    pub min: u64,
    pub max: u64,
    pub max_step: u64,
    pub min_interval_secs: u32,
}

impl Leash {
    /// A band inside [0, `top`], a step of at most `step_cap`, at least a
    /// minute between moves; a closed leash needs nothing else.
    pub fn validate(&self, top: u64, step_cap: u64) -> Result<()> {
        if self.max_step == 0 {
            return Ok(());
        }
        require!(
            self.min <= self.max && self.max <= top,
            MarginError::ParamOutOfBounds
        );
        require!(self.max_step <= step_cap, MarginError::ParamOutOfBounds);
        require!(self.min_interval_secs >= 60, MarginError::ParamOutOfBounds);
        Ok(())
    }

    /// Whether the agent may move a parameter from `from` to `to` at `now`,
    /// having last moved it at `last_moved` (0: never): the one check every
    /// agent instruction makes.
    pub fn allows(&self, from: u64, to: u64, last_moved: i64, now: i64) -> Result<()> {
        require!(self.max_step > 0, MarginError::RiskAgentLeashClosed);
        require!(
            (self.min..=self.max).contains(&to),
            MarginError::RiskAgentOutOfBand
        );
        require!(
            to.abs_diff(from) <= self.max_step,
            MarginError::RiskAgentStepTooLarge
        );
        require!(
            last_moved == 0 || now.saturating_sub(last_moved) >= self.min_interval_secs as i64,
            MarginError::RiskAgentTooFast
        );
        Ok(())
    }
}

/// The risk agent's leashes beyond the maintenance base.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, Default, InitSpace,
)]
pub struct AgentLeashes {
    /// How much of a bank's deposit and borrow caps the agent holds back,
    /// in WAD shares of the caps governance set (so it can tighten them,
    /// never loosen them, and they scale when governance changes its caps):
    /// up to all of them, a step of at most a quarter.
    pub caps: Leash,
    /// The liquidation fee's ramp per slot (WAD), within the bound
    /// governance's own parameters have (1% a slot).
    pub fee_per_slot: Leash,
}

impl AgentLeashes {
    pub fn validate(&self) -> Result<()> {
        let w = risk_math::WAD as u64;
        self.caps.validate(w, w / 4)?;
        self.fee_per_slot.validate(w / 100, w / 1_000)
    }
}

/// What the agent read and the figure that fired, as it reports them. The
/// program records them in the move's event without checking them: the
/// leash, not this evidence, bounds what a move can do; the evidence is
/// there so anyone can audit the agent's reasoning from the chain.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, Default, InitSpace,
)]
pub struct AgentEvidence {
    /// The estimated 99% one-hour loss from late liquidations at the value
    /// the agent moves toward, and the capacity it must fit (insurance
    /// fund plus backstop), quote WAD.
    pub loss: u128,
    pub capacity: u128,
    /// The debt the estimate covers, quote WAD, and how many accounts owe it.
    pub debt: u128,
    pub accounts: u32,
    /// The collateral feed's realized volatility and congestion it read.
    pub vol_annual_bps: u64,
    pub congestion_bps: u64,
}
