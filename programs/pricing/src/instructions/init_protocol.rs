use anchor_lang::prelude::*;

use crate::state::ProtocolConfig;

/// Creates the protocol config once. Run it in the same deployment step as
/// the program deploy (see migrations/) so nobody else can claim it.
#[derive(Accounts)]
pub struct InitProtocol<'info> {
    #[account(init, payer = payer, space = ProtocolConfig::SPACE, seeds = [ProtocolConfig::SEED], bump)]
    pub protocol: Account<'info, ProtocolConfig>,
    #[account(mut)]
    pub payer: Signer<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handle_init_protocol(ctx: Context<InitProtocol>, governance: Pubkey) -> Result<()> {
    let protocol = &mut ctx.accounts.protocol;
    protocol.governance = governance;
    protocol.bump = ctx.bumps.protocol;
    Ok(())
}
