use anchor_lang::prelude::*;
use anchor_spl::token::Token;
use backstop::program::Backstop;
use backstop::state::Pool;
use risk_math::backstop::BPS;
use risk_math::WAD;

use super::debt_for_collateral::*;
use crate::errors::MarginError;
use crate::events::LiquidatedToBackstop;
use crate::liquidation::{mark_liquidatable, plan};
use crate::state::{Bank, LiquidationProposal, MarginAccount, MarginConfig, MarginStatus};

/// Seed of the margin PDA registered as a consumer with backstop pools.
pub const BACKSTOP_AUTHORITY_SEED: &[u8] = b"backstop_authority";

#[derive(Accounts)]
pub struct LiquidateWithBackstop<'info> {
    #[account(seeds = [MarginConfig::SEED], bump = config.bump)]
    pub config: Box<Account<'info, MarginConfig>>,
    /// Anyone may trigger it.
    pub keeper: Signer<'info>,
    #[account(mut)]
    pub account: Box<Account<'info, MarginAccount>>,
    pub banks: BankPair<'info>,
    /// A backstop pool buying the collateral bank's token for the liability bank's.
    #[account(
        mut,
        constraint = pool.collateral_mint == banks.collateral_bank.mint @ MarginError::WrongMint,
        constraint = pool.quote_mint == banks.liability_bank.mint @ MarginError::WrongMint,
    )]
    pub pool: Box<Account<'info, Pool>>,
    /// CHECK: the backstop requires the pool's own feed.
    pub pool_feed: UncheckedAccount<'info>,
    /// CHECK: the backstop requires this program's consumer record of the pool.
    #[account(mut)]
    pub consumer: UncheckedAccount<'info>,
    /// CHECK: this program's PDA, the consumer authority; signs the absorb.
    #[account(seeds = [BACKSTOP_AUTHORITY_SEED], bump)]
    pub backstop_authority: UncheckedAccount<'info>,
    /// CHECK: the backstop requires the pool's quote vault.
    #[account(mut)]
    pub pool_quote_vault: UncheckedAccount<'info>,
    /// CHECK: the backstop requires the pool's collateral vault.
    #[account(mut)]
    pub pool_collateral_vault: UncheckedAccount<'info>,
    /// Required for large liquidations: approved by M of N validators.
    #[account(mut)]
    pub proposal: Option<Box<Account<'info, LiquidationProposal>>>,
    /// CHECK: with a proposal, its proposer (checked against it), who gets
    /// the proposal's rent back when it is closed.
    #[account(mut)]
    pub proposer: Option<UncheckedAccount<'info>>,
    pub backstop_program: Program<'info, Backstop>,
    pub token_program: Program<'info, Token>,
    // remaining_accounts: [bank, feed] for every active position of `account`.
}

/// Liquidate by selling the account's collateral into a backstop pool
/// instead of to an open-market liquidator: the pool's bands buy it at
/// their discount to the oracle price, never deeper than the liquidation
/// fee an open liquidator would earn now, so the account does at least as
/// well; the quote received repays its debt in the same transaction. Sized
/// and gated like `liquidate` (partial, M-of-N for large ones, refused under
/// Shutdown, health must improve). What the backstop cannot take (no
/// liquidity within the fee, consumer or per-slot limits) is left for
/// `liquidate`: keepers try this first and fall back to it.
pub fn handle_liquidate_with_backstop<'info>(
    ctx: Context<'_, '_, 'info, 'info, LiquidateWithBackstop<'info>>,
) -> Result<()> {
    let clock = Clock::get()?;
    let remaining = ctx.remaining_accounts;
    let authority_bump = ctx.bumps.backstop_authority;
    let a = ctx.accounts;
    require!(
        a.config.effective_status(clock.unix_timestamp) != MarginStatus::Shutdown,
        MarginError::ProtocolStatusForbids
    );
    a.banks.accrue(clock.unix_timestamp)?;
    let (liability_key, collateral_key) = a.banks.keys();
    let p = plan(
        &a.config,
        &a.account,
        &a.banks.liability_bank,
        &a.banks.collateral_bank,
        remaining,
        &clock,
    )?;
    mark_liquidatable(&mut a.account, &clock);
    let size = p.approved_size(
        &a.config,
        a.proposal.as_deref().map(|b| &**b),
        (a.account.key(), liability_key, collateral_key),
        &clock,
    )?;
    // An open liquidator pays spot / (1 + fee) per collateral unit: a
    // discount to spot of fee / (1 + fee), rounded down. The backstop holds
    // the limit against its feed's spot whatever its bands discount from.
    let max_discount_bps =
        (p.pair.fee.saturating_mul(BPS) / (WAD + p.pair.fee)).min(u16::MAX as u128) as u16;

    let collateral_before = a.banks.collateral_vault.amount;
    let quote_before = a.banks.liability_vault.amount;
    a.sell_to_backstop(size.seize, size.repay, max_discount_bps, authority_bump)?;
    a.banks.collateral_vault.reload()?;
    a.banks.liability_vault.reload()?;
    let sold = collateral_before
        .checked_sub(a.banks.collateral_vault.amount)
        .ok_or(MarginError::MathOverflow)?;
    let repaid = a
        .banks
        .liability_vault
        .amount
        .checked_sub(quote_before)
        .ok_or(MarginError::MathOverflow)?;
    a.banks.book(&mut a.account, repaid, sold)?;

    let after = p.conclude(
        &mut a.account,
        (&a.banks.liability_bank, &a.banks.collateral_bank),
        repaid,
        a.proposal.as_deref_mut(),
        a.proposer.as_ref().map(|p| p.to_account_info()),
        remaining,
        &clock,
    )?;
    emit!(LiquidatedToBackstop {
        account: a.account.key(),
        keeper: a.keeper.key(),
        liability_bank: liability_key,
        collateral_bank: collateral_key,
        pool: a.pool.key(),
        repaid,
        collateral_sold: sold,
        max_discount_bps,
        maint_margin_before: p.before.health.margin(),
        maint_margin_after: after.margin(),
    });
    Ok(())
}

impl<'info> LiquidateWithBackstop<'info> {
    /// CPI into the backstop's `absorb`: the collateral bank PDA signs for
    /// its vault, this program's consumer PDA signs as the consumer.
    fn sell_to_backstop(
        &self,
        max_collateral: u64,
        max_quote: u64,
        max_discount_bps: u16,
        authority_bump: u8,
    ) -> Result<()> {
        let mint = self.banks.collateral_bank.mint;
        let bank_seeds: &[&[u8]] = &[
            Bank::SEED,
            mint.as_ref(),
            &[self.banks.collateral_bank.bump],
        ];
        let authority_seeds: &[&[u8]] = &[BACKSTOP_AUTHORITY_SEED, &[authority_bump]];
        let accounts = backstop::cpi::accounts::Absorb {
            pool: self.pool.to_account_info(),
            feed: self.pool_feed.to_account_info(),
            consumer: self.consumer.to_account_info(),
            authority: self.backstop_authority.to_account_info(),
            seller: self.banks.collateral_bank.to_account_info(),
            seller_collateral: self.banks.collateral_vault.to_account_info(),
            seller_quote: self.banks.liability_vault.to_account_info(),
            quote_vault: self.pool_quote_vault.to_account_info(),
            collateral_vault: self.pool_collateral_vault.to_account_info(),
            token_program: self.token_program.to_account_info(),
        };
        backstop::cpi::absorb(
            CpiContext::new_with_signer(
                self.backstop_program.to_account_info(),
                accounts,
                &[bank_seeds, authority_seeds],
            ),
            max_collateral,
            max_quote,
            max_discount_bps,
            1,
        )
    }
}
