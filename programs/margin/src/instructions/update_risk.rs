use anchor_lang::prelude::*;
use pricing::read::{read_loaded, ReadPolicy};
use pricing::state::PriceFeed;
use risk_math::margin::{adaptive_target, rate_limited};

use crate::errors::MarginError;
use crate::events::MaintenanceRatioUpdated;
use crate::state::{Bank, MAX_RATE_LIMIT_SLOTS};

#[derive(Accounts)]
pub struct UpdateRisk<'info> {
    #[account(mut, seeds = [Bank::SEED, bank.mint.as_ref()], bump = bank.bump, has_one = feed @ MarginError::WrongFeed)]
    pub bank: Account<'info, Bank>,
    pub feed: AccountLoader<'info, PriceFeed>,
}

/// Permissionless: move the bank's maintenance ratio toward
/// base + vol_mult·σ·sqrt(horizon) + congestion_mult·excess (clamped), by
/// at most the per-slot limit for the slots since the last update, counting
/// at most `MAX_RATE_LIMIT_SLOTS` of them: a quiet spell banks no moves, so
/// the first update after a volatility spike cannot jump the ratio to its
/// maximum and liquidate at once. Keepers call it as
/// volatility and congestion change; the event carries the components.
pub fn handle_update_risk(ctx: Context<UpdateRisk>) -> Result<()> {
    let clock = Clock::get()?;
    let bank = &mut ctx.accounts.bank;
    let policy = ReadPolicy {
        max_age_secs: bank.params.max_price_age_secs,
        allow_restricted: true,
        twap_window_secs: 0,
        require_twap: false,
        operation: 0,
    };
    let reading = read_loaded(&*ctx.accounts.feed.load()?, &clock, &policy)?;
    let params = bank.params.maint.to_math();
    let target = adaptive_target(
        &params,
        reading.variance_per_sec_wad,
        reading.congestion_bps,
    )
    .map_err(MarginError::from)?;
    let previous = bank.effective_maint_ratio;
    let slots = clock
        .slot
        .saturating_sub(bank.ratio_slot)
        .min(MAX_RATE_LIMIT_SLOTS);
    let effective = rate_limited(
        previous as u128,
        target.target,
        slots,
        params.max_change_per_slot,
    );
    let narrow = |v: u128| u64::try_from(v).map_err(|_| MarginError::MathOverflow);
    bank.effective_maint_ratio = narrow(effective)?;
    bank.ratio_slot = clock.slot;
    emit!(MaintenanceRatioUpdated {
        bank: bank.key(),
        base: narrow(target.base)?,
        vol_component: narrow(target.vol_component)?,
        congestion_component: narrow(target.congestion_component)?,
        target: narrow(target.target)?,
        effective: bank.effective_maint_ratio,
        previous,
        slot: clock.slot,
    });
    Ok(())
}
