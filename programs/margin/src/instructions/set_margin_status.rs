use anchor_lang::prelude::*;
use pricing::state::ProtocolConfig;

use crate::errors::MarginError;
use crate::events::MarginStatusChanged;
use crate::state::{GuardianSet, MarginConfig, MarginStatus};

/// Margin config, mutable, with the shared protocol governance signer.
#[derive(Accounts)]
pub struct GovernConfig<'info> {
    #[account(mut, seeds = [MarginConfig::SEED], bump = config.bump, has_one = protocol)]
    pub config: Box<Account<'info, MarginConfig>>,
    #[account(has_one = governance @ MarginError::Unauthorized)]
    pub protocol: Account<'info, ProtocolConfig>,
    pub governance: Signer<'info>,
}

/// Governance sets its status; it does not lapse. A guardian pause in
/// force stays on top of it until it lapses.
pub fn handle_set_margin_status(ctx: Context<GovernConfig>, status: MarginStatus) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    ctx.accounts.config.set_governance_status(status, now);
    emit!(MarginStatusChanged {
        status: status as u8,
        expires_at: 0,
        by_guardians: false,
        signers: 1
    });
    Ok(())
}

/// Governance registers the guardian set.
#[access_control(guardians.validate())]
pub fn handle_set_guardians(ctx: Context<GovernConfig>, guardians: GuardianSet) -> Result<()> {
    ctx.accounts.config.guardians = guardians;
    Ok(())
}

#[derive(Accounts)]
pub struct GuardianSetStatus<'info> {
    #[account(mut, seeds = [MarginConfig::SEED], bump = config.bump)]
    pub config: Box<Account<'info, MarginConfig>>,
    // remaining_accounts: the signing guardians.
}

/// M of N guardians, signing this one transaction, set a status stricter
/// than governance's for at most `max_pause_secs` (or lift their own pause
/// with Active). The pause lapses by itself, back to governance's status,
/// unless guardians renew it; they can never loosen governance's status.
pub fn handle_guardian_set_status(
    ctx: Context<GuardianSetStatus>,
    status: MarginStatus,
    duration_secs: u32,
) -> Result<()> {
    let config = &mut ctx.accounts.config;
    let signers = ctx
        .remaining_accounts
        .iter()
        .filter(|a| a.is_signer)
        .map(|a| a.key);
    let count = config.guardians.count_signers(signers);
    require!(
        config.guardians.count > 0 && count >= config.guardians.threshold as u32,
        MarginError::NotEnoughGuardians
    );
    let now = Clock::get()?.unix_timestamp;
    let expires_at = if status == MarginStatus::Active {
        0
    } else {
        require!(
            duration_secs > 0 && duration_secs <= config.guardians.max_pause_secs,
            MarginError::ParamOutOfBounds
        );
        now + duration_secs as i64
    };
    config.set_guardian_status(status, expires_at, now)?;
    emit!(MarginStatusChanged {
        status: status as u8,
        expires_at,
        by_guardians: true,
        signers: count as u8
    });
    Ok(())
}
