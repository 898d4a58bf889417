use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};
use risk_math::margin::cover_bad_debt;

use super::accrue::accrue_bank;
use super::token_flow::pay_from_bank;
use crate::errors::MarginError;
use crate::events::BadDebtWrittenOff;
use crate::state::{Bank, MarginAccount};

#[derive(Accounts)]
pub struct WriteOffBadDebt<'info> {
    #[account(mut)]
    pub account: Box<Account<'info, MarginAccount>>,
    #[account(
        mut,
        seeds = [Bank::SEED, bank.mint.as_ref()],
        bump = bank.bump,
        has_one = vault,
        has_one = insurance_vault,
    )]
    pub bank: Box<Account<'info, Bank>>,
    #[account(mut)]
    pub vault: Box<Account<'info, TokenAccount>>,
    #[account(mut)]
    pub insurance_vault: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

impl WriteOffBadDebt<'_> {
    /// Only debt nothing backs any more: every deposit the account still
    /// holds is worth 0 tokens (liquidation or settlement took the rest).
    /// Shares worth nothing count as empty: after a socialised loss one
    /// deposited unit mints a share worth 0, and the owner must not be able
    /// to keep a debt (and, under Shutdown, every lender of the bank) alive
    /// with it. The bank of each position holding shares is passed as a
    /// remaining account so its share price can be read.
    pub fn validate<'info>(&self, remaining: &'info [AccountInfo<'info>]) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        for p in self
            .account
            .positions
            .iter()
            .filter(|p| p.deposit_shares > 0)
        {
            // Worth with interest to now: shares a loan's interest made
            // worth something are collateral again.
            let worth = if p.bank == self.bank.key() {
                self.bank.projected(now)?.deposit_tokens(p.deposit_shares)?
            } else {
                let info = remaining
                    .iter()
                    .find(|a| a.key() == p.bank)
                    .ok_or(MarginError::CollateralBankMissing)?;
                let mut bank = Account::<Bank>::try_from(info)?;
                bank.accrue(now)?;
                bank.deposit_tokens(p.deposit_shares)?
            };
            require!(worth == 0, MarginError::AccountHasCollateral);
        }
        Ok(())
    }
}

/// Permissionless: write off an account's debt (with its interest) in
/// `bank` once it has no collateral of any worth left. The bank's
/// insurance fund pays first (into the vault, then out of its unswept
/// interest fees); only what it cannot cover is socialised across the bank's
/// lenders, by lowering the tokens their shares are worth (O(1) for any
/// number of them).
#[access_control(ctx.accounts.validate(ctx.remaining_accounts))]
pub fn handle_write_off_bad_debt<'info>(
    ctx: Context<'_, '_, 'info, 'info, WriteOffBadDebt<'info>>,
) -> Result<()> {
    let a = ctx.accounts;
    accrue_bank(&mut a.bank, Clock::get()?.unix_timestamp)?;
    let bank_key = a.bank.key();
    let position = a
        .account
        .existing_mut(&bank_key)
        .filter(|p| p.borrow_scaled > 0)
        .ok_or(MarginError::NoDebt)?;
    let debt = a.bank.write_off_from(position)?;
    // The fund pays first: its tokens in the insurance vault, then its
    // fees not yet swept out of this vault (booked on the very interest
    // that will now never be paid). Only the rest is the lenders'.
    let (from_insurance, rest) = cover_bad_debt(debt, a.insurance_vault.amount);
    let from_fees = rest.min(a.bank.pending_fees);
    a.bank.release_fees(from_fees)?;
    // Debt never exceeds what lenders and the fund supplied (`borrow_to`),
    // so the lenders' pool absorbs the rest.
    let socialised = a.bank.socialise_loss(rest - from_fees);
    pay_from_bank(
        &a.token_program,
        &a.bank,
        a.insurance_vault.to_account_info(),
        a.vault.to_account_info(),
        from_insurance,
    )?;
    if !a.account.has_debt() {
        a.account.liquidatable_since_slot = 0;
    }
    emit!(BadDebtWrittenOff {
        account: a.account.key(),
        bank: bank_key,
        debt,
        from_insurance,
        from_fees,
        socialised,
        total_deposits_after: a.bank.total_deposits,
        total_deposit_shares: a.bank.total_deposit_shares,
    });
    Ok(())
}
