use anchor_lang::prelude::*;
use anchor_spl::token::Token;
use risk_math::margin::settlement_size;

use super::debt_for_collateral::*;
use crate::errors::MarginError;
use crate::events::PositionSettled;
use crate::state::{MarginAccount, MarginConfig};

#[derive(Accounts)]
pub struct SettlePosition<'info> {
    #[account(seeds = [MarginConfig::SEED], bump = config.bump)]
    pub config: Box<Account<'info, MarginConfig>>,
    pub settler: Signer<'info>,
    #[account(mut)]
    pub account: Box<Account<'info, MarginAccount>>,
    pub pair: DebtForCollateral<'info>,
    pub token_program: Program<'info, Token>,
}

impl SettlePosition<'_> {
    pub fn validate(&self) -> Result<()> {
        self.config.require_shutdown(Clock::get()?.unix_timestamp)
    }
}

/// Permissionless under Shutdown: the settler repays the account's debt in
/// one bank and receives collateral from another worth exactly that at the
/// two banks' fixed settlement prices (the last valid TWAPs; no fee,
/// rounding against the account). Lenders are repaid in their own token;
/// the owner keeps the rest of the collateral. When the collateral does not
/// cover the debt all of it goes, and what is left is bad debt for
/// `write_off_bad_debt`.
#[access_control(ctx.accounts.validate())]
pub fn handle_settle_position(ctx: Context<SettlePosition>) -> Result<()> {
    let a = ctx.accounts;
    let since = a.config.shutdown_since;
    let pair = &mut a.pair.banks;
    pair.accrue(Clock::get()?.unix_timestamp)?;
    let liability_price = pair.liability_bank.current_settlement_price(since)?;
    let collateral_price = pair.collateral_bank.current_settlement_price(since)?;
    let (debt, held) = pair.balances(&mut a.account)?;
    require!(debt > 0 && held > 0, MarginError::NothingToLiquidate);
    let size = settlement_size(
        debt,
        pair.liability_bank.decimals,
        liability_price,
        held,
        pair.collateral_bank.decimals,
        collateral_price,
    )
    .map_err(MarginError::from)?;
    pair.book(&mut a.account, size.repay, size.seize)?;
    a.pair
        .transfer(&a.settler, &a.token_program, size.repay, size.seize)?;
    let (liability_bank, collateral_bank) = a.pair.banks.keys();
    emit!(PositionSettled {
        account: a.account.key(),
        settler: a.settler.key(),
        liability_bank,
        collateral_bank,
        repaid: size.repay,
        seized: size.seize,
        debt_left: debt - size.repay,
    });
    Ok(())
}
