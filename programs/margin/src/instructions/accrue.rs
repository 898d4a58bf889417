use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use super::token_flow::pay_from_bank;
use crate::events::{FeesSwept, InterestAccrued};
use crate::state::Bank;

#[derive(Accounts)]
pub struct Accrue<'info> {
    #[account(
        mut,
        seeds = [Bank::SEED, bank.mint.as_ref()],
        bump = bank.bump,
        has_one = vault,
        has_one = insurance_vault,
    )]
    pub bank: Account<'info, Bank>,
    #[account(mut)]
    pub vault: Account<'info, TokenAccount>,
    #[account(mut)]
    pub insurance_vault: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
}

/// Permissionless: accrue the bank's interest to now and move the fund's
/// fees from the vault to the insurance vault, as far as the vault's
/// liquidity allows (what is lent out is swept by a later call). Needs no
/// price: interest runs whatever the oracles say.
pub fn handle_accrue(ctx: Context<Accrue>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let a = ctx.accounts;
    accrue_bank(&mut a.bank, now)?;
    let swept = a.bank.pending_fees.min(a.vault.amount);
    a.bank.release_fees(swept)?;
    pay_from_bank(
        &a.token_program,
        &a.bank,
        a.vault.to_account_info(),
        a.insurance_vault.to_account_info(),
        swept,
    )?;
    if swept > 0 {
        emit!(FeesSwept {
            bank: a.bank.key(),
            amount: swept,
            pending_after: a.bank.pending_fees,
        });
    }
    Ok(())
}

/// Accrue `bank` to `now`, announcing any interest. Every instruction
/// that reads or writes a bank's balances calls this first.
pub fn accrue_bank(bank: &mut Account<Bank>, now: i64) -> Result<()> {
    let accrual = bank.accrue(now)?;
    if accrual.interest > 0 {
        emit!(InterestAccrued {
            bank: bank.key(),
            secs: accrual.secs,
            utilization: accrual.utilization,
            borrow_rate: accrual.borrow_rate,
            deposit_rate: accrual.deposit_rate,
            borrow_index: bank.borrow_index,
            deposit_index: bank.book().deposit_index().unwrap_or(0),
            interest: accrual.interest,
            to_fund: accrual.to_fund,
            total_borrows: bank.total_borrows()?,
            total_deposits: bank.total_deposits,
        });
    }
    Ok(())
}
