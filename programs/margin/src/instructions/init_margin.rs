use anchor_lang::prelude::*;
use pricing::state::ProtocolConfig;

use crate::errors::MarginError;
use crate::state::{GovernanceParams, LiquidationParams, MarginConfig, MarginStatus};

#[derive(Accounts)]
pub struct InitMargin<'info> {
    /// The pricing program's protocol config: its governance governs margin.
    #[account(seeds = [ProtocolConfig::SEED], bump = protocol.bump, seeds::program = pricing::ID, has_one = governance @ MarginError::Unauthorized)]
    pub protocol: Account<'info, ProtocolConfig>,
    pub governance: Signer<'info>,
    #[account(init, payer = payer, space = MarginConfig::SPACE, seeds = [MarginConfig::SEED], bump)]
    pub config: Account<'info, MarginConfig>,
    #[account(mut)]
    pub payer: Signer<'info>,
    pub system_program: Program<'info, System>,
}

#[access_control(liquidation.validate())]
#[access_control(governance.validate())]
pub fn handle_init_margin(
    ctx: Context<InitMargin>,
    liquidation: LiquidationParams,
    governance: GovernanceParams,
) -> Result<()> {
    let config = &mut ctx.accounts.config;
    config.governance = governance;
    config.protocol = ctx.accounts.protocol.key();
    config.status = MarginStatus::Active;
    config.liquidation = liquidation;
    config.bump = ctx.bumps.config;
    Ok(())
}
