use anchor_lang::prelude::*;

use crate::state::{AgentEvidence, Leash};

#[event]
pub struct BankCreated {
    pub bank: Pubkey,
    pub mint: Pubkey,
    pub feed: Pubkey,
}

/// Every balance change of a margin account, with the health it left.
#[event]
pub struct BalanceChanged {
    pub account: Pubkey,
    pub bank: Pubkey,
    pub action: u8,
    pub amount: u64,
    pub deposits_after: u64,
    /// Debt with interest accrued to now.
    pub borrows_after: u64,
    /// Initial-requirement margin after the action, WAD quote (0 when not computed).
    pub initial_margin_after: i128,
}

pub mod action {
    pub const DEPOSIT: u8 = 0;
    pub const WITHDRAW: u8 = 1;
    pub const BORROW: u8 = 2;
    pub const REPAY: u8 = 3;
}

/// The adaptive maintenance ratio of a bank moved; the components say why.
#[event]
pub struct MaintenanceRatioUpdated {
    pub bank: Pubkey,
    pub base: u64,
    pub vol_component: u64,
    pub congestion_component: u64,
    /// Clamped target the effective ratio moves toward.
    pub target: u64,
    /// Effective ratio after the per-slot rate limit.
    pub effective: u64,
    pub previous: u64,
    pub slot: u64,
}

#[event]
pub struct Liquidated {
    pub account: Pubkey,
    pub liquidator: Pubkey,
    pub liability_bank: Pubkey,
    pub collateral_bank: Pubkey,
    pub repaid: u64,
    pub seized: u64,
    pub to_liquidator: u64,
    pub to_insurance: u64,
    pub fee: u64,
    pub slots_liquidatable: u64,
    pub maint_margin_before: i128,
    pub maint_margin_after: i128,
    /// Effective maintenance ratio of the liability bank used.
    pub maint_ratio: u64,
}

#[event]
pub struct LiquidationProposed {
    pub proposal: Pubkey,
    pub account: Pubkey,
    pub max_repay: u64,
    pub repay_value: u128,
    pub maint_margin: i128,
    pub expiry_slot: u64,
}

#[event]
pub struct LiquidationApproved {
    pub proposal: Pubkey,
    pub validator: Pubkey,
    pub approvals: u8,
    pub threshold: u8,
}

#[event]
pub struct BankParamsQueued {
    pub bank: Pubkey,
    pub eta: i64,
}

#[event]
pub struct BankParamsApplied {
    pub bank: Pubkey,
    pub cancelled: bool,
}

#[event]
pub struct RiskAgentMovedBase {
    pub bank: Pubkey,
    pub agent: Pubkey,
    pub previous: u64,
    pub base: u64,
    pub evidence: AgentEvidence,
}

#[event]
pub struct RiskAgentMovedCaps {
    pub bank: Pubkey,
    pub agent: Pubkey,
    /// The shares of governance's caps held back before and now (WAD), and
    /// the caps in force now, tokens.
    pub deposit_cut_before: u64,
    pub deposit_cut: u64,
    pub borrow_cut_before: u64,
    pub borrow_cut: u64,
    pub deposit_cap: u64,
    pub borrow_cap: u64,
    pub evidence: AgentEvidence,
}

#[event]
pub struct RiskAgentMovedFeeRamp {
    pub agent: Pubkey,
    pub fee_per_slot_before: u64,
    pub fee_per_slot: u64,
    pub evidence: AgentEvidence,
}

#[event]
pub struct AgentLeashesSet {
    pub agent: Pubkey,
    /// The fee ramp after the set (moved into its new band).
    pub fee_per_slot: u64,
    pub base: Leash,
    pub caps: Leash,
    pub fee_ramp: Leash,
}

#[event]
pub struct MarginStatusChanged {
    /// 0 Active, 1 ReduceOnly, 2 Shutdown.
    pub status: u8,
    /// 0 when it does not lapse.
    pub expires_at: i64,
    pub by_guardians: bool,
    pub signers: u8,
}

/// Debt left on an account with no collateral was written off: the
/// insurance fund paid what it could, lenders absorbed the rest.
#[event]
pub struct BadDebtWrittenOff {
    pub account: Pubkey,
    pub bank: Pubkey,
    pub debt: u64,
    /// Paid from the insurance vault, and from the fund's unswept interest.
    pub from_insurance: u64,
    pub from_fees: u64,
    pub socialised: u64,
    /// Tokens owed to the bank's depositors after the loss, and their shares.
    pub total_deposits_after: u64,
    pub total_deposit_shares: u64,
}

/// Under Shutdown a bank's settlement price was fixed at its feed's last valid TWAP.
#[event]
pub struct SettlementPriceFixed {
    pub bank: Pubkey,
    /// WAD quote per whole token.
    pub price: u128,
    /// The TWAP window ended at this observation time.
    pub twap_ends_at: i64,
}

/// Under Shutdown a position's debt was repaid by `settler` against its
/// collateral at the fixed settlement prices.
#[event]
pub struct PositionSettled {
    pub account: Pubkey,
    pub settler: Pubkey,
    pub liability_bank: Pubkey,
    pub collateral_bank: Pubkey,
    pub repaid: u64,
    pub seized: u64,
    pub debt_left: u64,
}

/// A liquidation sold into a backstop pool (see `liquidate_with_backstop`).
#[event]
pub struct LiquidatedToBackstop {
    pub account: Pubkey,
    pub keeper: Pubkey,
    pub liability_bank: Pubkey,
    pub collateral_bank: Pubkey,
    pub pool: Pubkey,
    pub repaid: u64,
    pub collateral_sold: u64,
    /// The open-liquidation fee at this moment: no band deeper was used.
    pub max_discount_bps: u16,
    pub maint_margin_before: i128,
    pub maint_margin_after: i128,
}

/// An expired, unexecuted liquidation proposal was closed.
#[event]
pub struct ProposalClosed {
    pub proposal: Pubkey,
    pub account: Pubkey,
    /// Approvals it had gathered.
    pub approvals: u8,
}

/// A bank's interest was accrued (emitted when any accrued): the rates
/// are annual and, with utilisation, WAD, read at the utilisation the
/// period started with; the indices are after it.
#[event]
pub struct InterestAccrued {
    pub bank: Pubkey,
    pub secs: u64,
    pub utilization: u128,
    pub borrow_rate: u128,
    pub deposit_rate: u128,
    /// Tokens one scaled unit of debt owes, and one deposit share is worth, WAD.
    pub borrow_index: u128,
    pub deposit_index: u128,
    /// Tokens of interest, and the insurance fund's part of them.
    pub interest: u64,
    pub to_fund: u64,
    pub total_borrows: u64,
    pub total_deposits: u64,
}

/// The insurance fund's interest left the bank's vault for the insurance vault.
#[event]
pub struct FeesSwept {
    pub bank: Pubkey,
    pub amount: u64,
    /// Still owed to the fund (lent out at the time).
    pub pending_after: u64,
}
