//! Rampart option vaults: covered calls and cash-secured puts sold each
//! epoch at an on-chain Black-Scholes price, with strikes chosen by target
//! delta from the pricing program's realized volatility, SPL share and
//! option tokens, queued deposits and withdrawals at each round's price
//! per share, a Greeks cache that gates sales, and settlement on the
//! feed's TWAP ending at expiry.
#![deny(clippy::float_arithmetic)]
#![allow(unexpected_cfgs)]

use anchor_lang::prelude::*;

pub mod errors;
pub mod events;
pub mod instructions;
pub mod market;
pub mod signer;
pub mod state;

use instructions::*;
use state::{Strategy, VaultParams, VaultStatus};

declare_id!("BdKiYFmn1CTEHj1V7zYfwWhLyvMYrE6w1Rvv9ijRGdyj");

#[program]
pub mod vault {
    use super::*;

    pub fn create_vault(
        ctx: Context<CreateVault>,
        strategy: Strategy,
        params: VaultParams,
    ) -> Result<()> {
        handle_create_vault(ctx, strategy, params)
    }

    pub fn set_vault_status(ctx: Context<GovernVault>, status: VaultStatus) -> Result<()> {
        handle_set_vault_status(ctx, status)
    }

    pub fn override_strike(ctx: Context<GovernVault>, strike: u128) -> Result<()> {
        handle_override_strike(ctx, strike)
    }

    pub fn collect_fees(ctx: Context<CollectFees>) -> Result<()> {
        handle_collect_fees(ctx)
    }

    pub fn open_receipt(ctx: Context<OpenReceipt>) -> Result<()> {
        handle_open_receipt(ctx)
    }

    pub fn deposit(ctx: Context<QueueDeposit>, amount: u64) -> Result<()> {
        handle_deposit(ctx, amount)
    }

    pub fn cancel_deposit(ctx: Context<QueueDeposit>, amount: u64) -> Result<()> {
        handle_cancel_deposit(ctx, amount)
    }

    pub fn redeem_shares(ctx: Context<MoveShares>) -> Result<()> {
        handle_redeem_shares(ctx)
    }

    pub fn request_withdrawal(ctx: Context<MoveShares>, shares: u64) -> Result<()> {
        handle_request_withdrawal(ctx, shares)
    }

    pub fn complete_withdrawal(ctx: Context<CompleteWithdrawal>) -> Result<()> {
        handle_complete_withdrawal(ctx)
    }

    pub fn process_epoch(ctx: Context<ProcessEpoch>) -> Result<()> {
        handle_process_epoch(ctx)
    }

    pub fn start_epoch(ctx: Context<StartEpoch>) -> Result<()> {
        handle_start_epoch(ctx)
    }

    pub fn buy_options(ctx: Context<BuyOptions>, amount: u64, max_premium: u64) -> Result<()> {
        handle_buy_options(ctx, amount, max_premium)
    }

    pub fn update_greeks(ctx: Context<UpdateGreeks>) -> Result<()> {
        handle_update_greeks(ctx)
    }

    pub fn settle_epoch(ctx: Context<SettleEpoch>) -> Result<()> {
        handle_settle_epoch(ctx)
    }

    pub fn governance_settle(ctx: Context<GovernanceSettle>, price: u128) -> Result<()> {
        handle_governance_settle(ctx, price)
    }

    pub fn redeem_options(ctx: Context<RedeemOptions>, amount: u64) -> Result<()> {
        handle_redeem_options(ctx, amount)
    }
}
