//! Rampart margin: cross-margined SPL-token deposits and borrows priced by
//! pricing feeds: banks, accounts, the four balance actions with initial
//! health, an adaptive maintenance ratio per bank, and permissionless
//! partial liquidation paying an insurance fund, with M-of-N validator
//! confirmation of large liquidations. Bad-debt socialisation, timelocked
//! governance and shutdown build on it (issue 3).
#![deny(clippy::float_arithmetic)]
#![allow(unexpected_cfgs)]

use anchor_lang::prelude::*;

pub mod errors;
pub mod events;
pub mod health;
pub mod instructions;
pub mod liquidation;
pub mod state;

use instructions::*;
use state::{BankParams, LiquidationParams, ValidatorSet};

declare_id!("F4dLgdm99LrkmonS9UcRT4wowzEvbQhDDoEG3YNesxCs");

#[program]
pub mod margin {
    use super::*;

    pub fn init_margin(ctx: Context<InitMargin>, liquidation: LiquidationParams) -> Result<()> {
        handle_init_margin(ctx, liquidation)
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

    pub fn repay(ctx: Context<TokenFlow>, amount: u64) -> Result<()> {
        handle_repay(ctx, amount)
    }

    pub fn update_risk(ctx: Context<UpdateRisk>) -> Result<()> {
        handle_update_risk(ctx)
    }

    pub fn liquidate<'info>(ctx: Context<'_, '_, 'info, 'info, Liquidate<'info>>) -> Result<()> {
        handle_liquidate(ctx)
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
}
