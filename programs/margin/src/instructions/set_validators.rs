use anchor_lang::prelude::*;
use pricing::state::ProtocolConfig;

use crate::errors::MarginError;
use crate::state::{MarginConfig, ValidatorSet};

#[derive(Accounts)]
pub struct SetValidators<'info> {
    #[account(mut, seeds = [MarginConfig::SEED], bump = config.bump, has_one = protocol)]
    pub config: Box<Account<'info, MarginConfig>>,
    #[account(has_one = governance @ MarginError::Unauthorized)]
    pub protocol: Account<'info, ProtocolConfig>,
    pub governance: Signer<'info>,
}

/// Register the liquidation validators (M of N) and the size that needs them.
#[access_control(validators.validate())]
pub fn handle_set_validators(ctx: Context<SetValidators>, validators: ValidatorSet) -> Result<()> {
    ctx.accounts.config.validators = validators;
    Ok(())
}
