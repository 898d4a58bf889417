use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};
use risk_math::vault::{process_round, FeeRates, RoundBooks};

use crate::errors::VaultError;
use crate::events::EpochProcessed;
use crate::signer::VaultAuthority;
use crate::state::{Phase, RoundRecord, Vault, VaultStatus};

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

/// Permissionless keeper step after settlement (or, in a paused vault,
/// after the last processing): take the epoch's fees
/// (management pro-rated, performance only on profit), fix the round's
/// price per share, set aside the queued withdrawals at that price (their
/// shares burned) and turn the queued deposits into shares at it; then the
/// next round begins.
pub fn handle_process_epoch(ctx: Context<ProcessEpoch>) -> Result<()> {
    let a = ctx.accounts;
    // Normally after settlement. A paused or shut-down vault starts no
    // epoch, so it may process round after round from `Processed`: its
    // withdrawals must keep flowing.
    let idle = a.vault.phase == Phase::Processed && a.vault.status != VaultStatus::Active;
    if !idle {
        a.vault.require_phase(Phase::Settled)?;
    }
    let vault = &mut a.vault;
    let params = vault.params;
    let o = process_round(
        &RoundBooks {
            active: vault.active_assets,
            start: vault.epoch_start_assets,
            pending_deposits: vault.pending_deposits,
            queued_withdraw_shares: vault.queued_withdraw_shares,
            supply: a.share_mint.supply,
            epoch_ran: !idle && vault.series != Pubkey::default(),
        },
        &FeeRates {
            epoch_secs: params.epoch_secs as u64,
            management_bps: params.management_fee_bps,
            performance_bps: params.performance_fee_bps,
            withdrawal_bps: params.withdrawal_fee_bps,
        },
    )
    .map_err(VaultError::from)?;
    let (burned, minted, pps) = (
        vault.queued_withdraw_shares,
        o.shares_minted,
        o.price_per_share,
    );
    let fees = [o.fees.management, o.fees.performance, o.withdrawal_fee]
        .into_iter()
        .try_fold(0u64, u64::checked_add)
        .ok_or(VaultError::MathOverflow)?;
    vault.fees_accrued = vault
        .fees_accrued
        .checked_add(fees)
        .ok_or(VaultError::MathOverflow)?;
    vault.withdrawal_reserve = vault
        .withdrawal_reserve
        .checked_add(o.withdrawal_reserve)
        .ok_or(VaultError::MathOverflow)?;
    vault.unredeemed_shares = vault
        .unredeemed_shares
        .checked_add(minted)
        .ok_or(VaultError::MathOverflow)?;
    vault.share_supply = a
        .share_mint
        .supply
        .checked_sub(burned)
        .and_then(|s| s.checked_add(minted))
        .ok_or(VaultError::MathOverflow)?;
    vault.queued_withdraw_shares = 0;
    vault.pending_deposits = 0;
    vault.active_assets = o.active;
    vault.epoch_start_assets = o.active;
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
        management_fee: o.fees.management,
        performance_fee: o.fees.performance,
        withdrawal_fee: o.withdrawal_fee,
        shares_minted: minted,
        shares_burned: burned,
        withdrawal_reserved: o.withdrawal_reserve,
        active_assets: o.active,
    });
    Ok(())
}
