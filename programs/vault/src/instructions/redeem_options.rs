use anchor_lang::prelude::*;
use anchor_spl::token::{self, Burn, Mint, Token, TokenAccount};
use risk_math::Rounding;

use crate::errors::VaultError;
use crate::events::OptionsRedeemed;
use crate::signer::pay_out;
use crate::state::{OptionSeries, Vault};

#[derive(Accounts)]
pub struct RedeemOptions<'info> {
    #[account(mut, has_one = asset_vault)]
    pub vault: Box<Account<'info, Vault>>,
    #[account(
        has_one = vault @ VaultError::WrongVaultAccount,
        has_one = option_mint @ VaultError::WrongVaultAccount,
    )]
    pub series: Box<Account<'info, OptionSeries>>,
    #[account(mut)]
    pub option_mint: Box<Account<'info, Mint>>,
    #[account(mut)]
    pub asset_vault: Box<Account<'info, TokenAccount>>,
    pub holder: Signer<'info>,
    #[account(mut, constraint = holder_options.mint == series.option_mint @ VaultError::WrongVaultAccount)]
    pub holder_options: Box<Account<'info, TokenAccount>>,
    #[account(mut, constraint = holder_asset.mint == vault.asset_mint @ VaultError::WrongVaultAccount)]
    pub holder_asset: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

/// Burn `amount` options of a settled series for their payoff (rounded
/// down), from the reserve set aside at settlement. Never blocked.
pub fn handle_redeem_options(ctx: Context<RedeemOptions>, amount: u64) -> Result<()> {
    require!(amount > 0, VaultError::ZeroAmount);
    let a = ctx.accounts;
    require!(a.series.settled, VaultError::SeriesNotSettled);
    let payoff = a
        .series
        .terms(&a.vault)
        .payoff(amount, a.series.settlement_price, Rounding::Down)
        .map_err(VaultError::from)?;
    let burn = Burn {
        mint: a.option_mint.to_account_info(),
        from: a.holder_options.to_account_info(),
        authority: a.holder.to_account_info(),
    };
    token::burn(
        CpiContext::new(a.token_program.to_account_info(), burn),
        amount,
    )?;
    pay_out(
        &mut a.vault,
        |v| &mut v.payoff_reserve,
        &a.token_program,
        a.asset_vault.to_account_info(),
        a.holder_asset.to_account_info(),
        payoff,
    )?;
    emit!(OptionsRedeemed {
        vault: a.vault.key(),
        holder: a.holder.key(),
        amount,
        payoff,
    });
    Ok(())
}
