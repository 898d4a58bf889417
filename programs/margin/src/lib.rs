//! Rampart margin: cross-margined SPL-token deposits and borrows priced by
//! pricing feeds: banks, accounts, the four balance actions with initial
//! health, an adaptive maintenance ratio per bank, and permissionless
//! partial liquidation paying an insurance fund, with M-of-N validator
//! confirmation of large liquidations; timelocked bank parameters and a
//! risk agent on a leash; M-of-N guardian pauses that lapse unless renewed.
//! Loans pay interest by utilisation (a kinked curve per bank), carried by
//! one borrow index per bank; lenders earn it less the insurance fund's fee.
//! Deposits are shares of a per-bank pool, so bad debt beyond the insurance
//! fund is socialised across lenders in O(1); under Shutdown every position
//! settles at its banks' last valid TWAPs and lenders are paid once their
//! bank's loans are all settled.
#![deny(clippy::float_arithmetic)]
#![allow(unexpected_cfgs)]

use anchor_lang::prelude::*;

pub mod errors;
pub mod events;
pub mod health;
pub mod instructions;
pub mod liquidation;
pub mod state;
pub mod valuation;

use instructions::*;
use state::{
    AgentEvidence, AgentLeashes, BankParams, GovernanceParams, GuardianSet, Leash,
    LiquidationParams, MarginStatus, ValidatorSet,
};

declare_id!("F4dLgdm99LrkmonS9UcRT4wowzEvbQhDDoEG3YNesxCs");

#[program]
pub mod margin {
    use super::*;

    pub fn init_margin(
        ctx: Context<InitMargin>,
        liquidation: LiquidationParams,
        governance: GovernanceParams,
    ) -> Result<()> {
        handle_init_margin(ctx, liquidation, governance)
    }

    pub fn queue_bank_params(ctx: Context<GovernBank>, params: BankParams) -> Result<()> {
        handle_queue_bank_params(ctx, params)
    }

    pub fn cancel_bank_params(ctx: Context<GovernBank>) -> Result<()> {
        handle_cancel_bank_params(ctx)
    }

    pub fn apply_bank_params(ctx: Context<ApplyBankParams>) -> Result<()> {
        handle_apply_bank_params(ctx)
    }

    pub fn agent_set_maint_base(
        ctx: Context<AgentMoveBank>,
        base: u64,
        evidence: AgentEvidence,
    ) -> Result<()> {
        handle_agent_set_maint_base(ctx, base, evidence)
    }

    pub fn agent_set_caps(
        ctx: Context<AgentMoveBank>,
        deposit_cut: u64,
        borrow_cut: u64,
        evidence: AgentEvidence,
    ) -> Result<()> {
        handle_agent_set_caps(ctx, deposit_cut, borrow_cut, evidence)
    }

    pub fn agent_set_fee_ramp(
        ctx: Context<AgentSetFeeRamp>,
        fee_per_slot: u64,
        evidence: AgentEvidence,
    ) -> Result<()> {
        handle_agent_set_fee_ramp(ctx, fee_per_slot, evidence)
    }

    pub fn set_margin_status(ctx: Context<GovernConfig>, status: MarginStatus) -> Result<()> {
        handle_set_margin_status(ctx, status)
    }

    pub fn set_agent_leashes(
        ctx: Context<GovernConfig>,
        risk_agent: Pubkey,
        base: Leash,
        leashes: AgentLeashes,
    ) -> Result<()> {
        handle_set_agent_leashes(ctx, risk_agent, base, leashes)
    }

    pub fn set_guardians(ctx: Context<GovernConfig>, guardians: GuardianSet) -> Result<()> {
        handle_set_guardians(ctx, guardians)
    }

    pub fn guardian_set_status(
        ctx: Context<GuardianSetStatus>,
        status: MarginStatus,
        duration_secs: u32,
    ) -> Result<()> {
        handle_guardian_set_status(ctx, status, duration_secs)
    }

    pub fn create_bank(ctx: Context<CreateBank>, params: BankParams) -> Result<()> {
        handle_create_bank(ctx, params)
    }

    pub fn open_account(ctx: Context<OpenAccount>, index: u8) -> Result<()> {
        handle_open_account(ctx, index)
    }

    pub fn deposit(ctx: Context<TokenFlow>, amount: u64) -> Result<()> {
        handle_deposit(ctx, amount)
    }

    /// Withdraw `amount` tokens of a deposit (`u64::MAX`: all of it, as worth
    /// at the transaction's second), keeping the initial requirement.
    pub fn withdraw<'info>(
        ctx: Context<'_, '_, 'info, 'info, TokenFlow<'info>>,
        amount: u64,
    ) -> Result<()> {
        handle_withdraw(ctx, amount)
    }

    pub fn borrow<'info>(
        ctx: Context<'_, '_, 'info, 'info, TokenFlow<'info>>,
        amount: u64,
    ) -> Result<()> {
        handle_borrow(ctx, amount)
    }

    /// Repay `amount` tokens of a borrow (`u64::MAX`: all of it, with
    /// interest to the transaction's second).
    pub fn repay(ctx: Context<TokenFlow>, amount: u64) -> Result<()> {
        handle_repay(ctx, amount)
    }

    pub fn accrue(ctx: Context<Accrue>) -> Result<()> {
        handle_accrue(ctx)
    }

    pub fn update_risk(ctx: Context<UpdateRisk>) -> Result<()> {
        handle_update_risk(ctx)
    }

    pub fn liquidate<'info>(ctx: Context<'_, '_, 'info, 'info, Liquidate<'info>>) -> Result<()> {
        handle_liquidate(ctx)
    }

    pub fn liquidate_with_backstop<'info>(
        ctx: Context<'_, '_, 'info, 'info, LiquidateWithBackstop<'info>>,
    ) -> Result<()> {
        handle_liquidate_with_backstop(ctx)
    }

    pub fn lock_backstop(ctx: Context<LockBackstop>) -> Result<()> {
        handle_lock_backstop(ctx)
    }

    pub fn set_validators(ctx: Context<SetValidators>, validators: ValidatorSet) -> Result<()> {
        handle_set_validators(ctx, validators)
    }

    pub fn propose_liquidation<'info>(
        ctx: Context<'_, '_, 'info, 'info, ProposeLiquidation<'info>>,
    ) -> Result<()> {
        handle_propose_liquidation(ctx)
    }

    pub fn approve_liquidation(ctx: Context<ApproveLiquidation>) -> Result<()> {
        handle_approve_liquidation(ctx)
    }

    pub fn close_expired_proposal(ctx: Context<CloseExpiredProposal>) -> Result<()> {
        handle_close_expired_proposal(ctx)
    }

    pub fn write_off_bad_debt<'info>(
        ctx: Context<'_, '_, 'info, 'info, WriteOffBadDebt<'info>>,
    ) -> Result<()> {
        handle_write_off_bad_debt(ctx)
    }

    pub fn fix_settlement_price(ctx: Context<FixSettlementPrice>) -> Result<()> {
        handle_fix_settlement_price(ctx)
    }

    pub fn settle_position(ctx: Context<SettlePosition>) -> Result<()> {
        handle_settle_position(ctx)
    }
}
