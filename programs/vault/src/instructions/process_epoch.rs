use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};
use risk_math::vault::{epoch_fees, price_per_share, shares_for, withdrawal_reserve, EpochFees};

use crate::errors::VaultError;
use crate::events::EpochProcessed;
use crate::signer::VaultAuthority;
use crate::state::{Phase, RoundRecord, Vault};

#[derive(Accounts)]
pub struct ProcessEpoch<'info> {
    #[account(mut, has_one = share_mint, has_one = share_escrow)]
    pub vault: Box<Account<'info, Vault>>,
    #[account(mut)]
    pub share_mint: Box<Account<'info, Mint>>,
    #[account(mut)]
    pub share_escrow: Box<Account<'info, TokenAccount>>,
    /// Created here, once per round: a second processing of the same round fails.
    #[account(
        init,
        payer = keeper,
        space = RoundRecord::SPACE,
        seeds = [RoundRecord::SEED, vault.key().as_ref(), &vault.round.to_le_bytes()],
        bump,
    )]
    pub round_record: Box<Account<'info, RoundRecord>>,
    #[account(mut)]
    pub keeper: Signer<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

/// Permissionless keeper step after settlement: take the epoch's fees
/// (management pro-rated, performance only on profit), fix the round's
/// price per share, set aside the queued withdrawals at that price (their
/// shares burned) and turn the queued deposits into shares at it; then the
/// next round begins.
pub fn handle_process_epoch(ctx: Context<ProcessEpoch>) -> Result<()> {
    let a = ctx.accounts;
    a.vault.require_phase(Phase::Settled)?;
    let vault = &mut a.vault;
    let supply = a.share_mint.supply;
    let ran_an_epoch = vault.series != Pubkey::default() && supply > 0;
    let fees = if ran_an_epoch {
        epoch_fees(
            vault.epoch_start_assets,
            vault.active_assets,
            vault.params.epoch_secs as u64,
            vault.params.management_fee_bps,
            vault.params.performance_fee_bps,
        )
        .map_err(VaultError::from)?
    } else {
        EpochFees {
            management: 0,
            performance: 0,
        }
    };
    let mut nav = vault.active_assets - fees.management - fees.performance;
    let pps = price_per_share(nav, supply).map_err(VaultError::from)?;

    let burned = vault.queued_withdraw_shares;
    let (reserved, withdrawal_fee) =
        withdrawal_reserve(burned, pps, vault.params.withdrawal_fee_bps)
            .map_err(VaultError::from)?;
    nav = nav
        .checked_sub(reserved + withdrawal_fee)
        .ok_or(VaultError::MathOverflow)?;
    let minted = shares_for(vault.pending_deposits, pps).map_err(VaultError::from)?;
    nav = nav
        .checked_add(vault.pending_deposits)
        .ok_or(VaultError::MathOverflow)?;

    vault.fees_accrued += fees.management + fees.performance + withdrawal_fee;
    vault.withdrawal_reserve += reserved;
    vault.queued_withdraw_shares = 0;
    vault.pending_deposits = 0;
    vault.unredeemed_shares += minted;
    vault.active_assets = nav;
    vault.epoch_start_assets = nav;
    let round = vault.round;
    a.round_record.set_inner(RoundRecord {
        vault: vault.key(),
        round,
        price_per_share: pps,
        bump: ctx.bumps.round_record,
    });
    vault.round = round.checked_add(1).ok_or(VaultError::MathOverflow)?;
    vault.phase = Phase::Processed;

    let authority = VaultAuthority {
        vault: &a.vault,
        token_program: &a.token_program,
    };
    authority.burn(
        a.share_mint.to_account_info(),
        a.share_escrow.to_account_info(),
        burned,
    )?;
    authority.mint(
        a.share_mint.to_account_info(),
        a.share_escrow.to_account_info(),
        minted,
    )?;
    emit!(EpochProcessed {
        vault: a.vault.key(),
        round,
        price_per_share: pps,
        management_fee: fees.management,
        performance_fee: fees.performance,
        withdrawal_fee,
        shares_minted: minted,
        shares_burned: burned,
        withdrawal_reserved: reserved,
        active_assets: nav,
    });
    Ok(())
}
