use anchor_lang::prelude::*;
use anchor_spl::token::{self, Mint, Token, TokenAccount, Transfer};
use pricing::state::PriceFeed;

use crate::errors::VaultError;
use crate::events::OptionsSold;
use crate::market::{model, read_market, require_fresh};
use crate::signer::VaultAuthority;
use crate::state::{OptionSeries, Phase, Vault};

#[derive(Accounts)]
pub struct BuyOptions<'info> {
    #[account(mut, has_one = feed, has_one = asset_vault, has_one = series)]
    pub vault: Box<Account<'info, Vault>>,
    #[account(mut, has_one = option_mint)]
    pub series: Box<Account<'info, OptionSeries>>,
    #[account(mut)]
    pub option_mint: Box<Account<'info, Mint>>,
    pub feed: AccountLoader<'info, PriceFeed>,
    #[account(mut)]
    pub asset_vault: Box<Account<'info, TokenAccount>>,
    pub buyer: Signer<'info>,
    #[account(mut, constraint = buyer_asset.mint == vault.asset_mint @ VaultError::WrongVaultAccount)]
    pub buyer_asset: Box<Account<'info, TokenAccount>>,
    #[account(mut, constraint = buyer_options.mint == series.option_mint @ VaultError::WrongVaultAccount)]
    pub buyer_options: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

/// Buy `amount` options (underlying base units) during the sale window
/// at the on-chain Black-Scholes price plus the spread, paying at most
/// `max_premium` asset units. Refused on a stale Greeks cache, a stale,
/// halted or reduce-only feed, and a paused vault; never beyond what the
/// collateral backs. The premium joins the share holders' assets.
pub fn handle_buy_options(ctx: Context<BuyOptions>, amount: u64, max_premium: u64) -> Result<()> {
    require!(amount > 0, VaultError::ZeroAmount);
    let a = ctx.accounts;
    a.vault.require_phase(Phase::Trading)?;
    a.vault.require_active()?;
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    require!(now < a.series.sale_end_ts, VaultError::SaleClosed);
    let sold = a
        .series
        .sold
        .checked_add(amount)
        .ok_or(VaultError::MathOverflow)?;
    require!(sold <= a.series.capacity, VaultError::CapacityExceeded);
    let market = read_market(&*a.feed.load()?, &clock, &a.vault.params, true)?;
    require_fresh(&a.vault.greeks, &market, now, &a.vault.params)?;
    let terms = a.series.terms(&a.vault);
    let unit = model(terms.kind, &market, terms.strike, a.series.expiry_ts - now)?;
    let premium = terms
        .premium(
            amount,
            unit.price.max(0) as u128,
            a.vault.params.spread_bps,
            market.spot,
        )
        .map_err(VaultError::from)?;
    require!(premium <= max_premium, VaultError::SlippageExceeded);

    let transfer = Transfer {
        from: a.buyer_asset.to_account_info(),
        to: a.asset_vault.to_account_info(),
        authority: a.buyer.to_account_info(),
    };
    token::transfer(
        CpiContext::new(a.token_program.to_account_info(), transfer),
        premium,
    )?;
    VaultAuthority {
        vault: &a.vault,
        token_program: &a.token_program,
    }
    .mint(
        a.option_mint.to_account_info(),
        a.buyer_options.to_account_info(),
        amount,
    )?;
    let worst = terms.max_payoff(amount).map_err(VaultError::from)?;
    a.vault.max_option_liability = a
        .vault
        .max_option_liability
        .checked_add(worst)
        .ok_or(VaultError::MathOverflow)?;
    a.vault.options_sold = sold;
    a.series.sold = sold;
    a.series.premium_collected = a
        .series
        .premium_collected
        .checked_add(premium)
        .ok_or(VaultError::MathOverflow)?;
    a.vault.active_assets = a
        .vault
        .active_assets
        .checked_add(premium)
        .ok_or(VaultError::MathOverflow)?;
    emit!(OptionsSold {
        vault: a.vault.key(),
        buyer: a.buyer.key(),
        amount,
        premium,
        unit_price: unit.price.max(0) as u128,
        spot: market.spot,
    });
    Ok(())
}
