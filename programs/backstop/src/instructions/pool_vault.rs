//! Paying out of the pool's vaults: the one token CPI the pool signs, kept
//! beside the instructions that pay (state stays plain data).

use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, Transfer};

use crate::state::Pool;

/// Move `amount` out of one of the pool's vaults, signed by the pool PDA.
pub fn pay_from_pool<'info>(
    pool: &Account<'info, Pool>,
    token_program: &Program<'info, Token>,
    from: AccountInfo<'info>,
    to: AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    if amount == 0 {
        return Ok(());
    }
    let seeds: &[&[u8]] = &[
        Pool::SEED,
        pool.collateral_mint.as_ref(),
        pool.quote_mint.as_ref(),
        &[pool.bump],
    ];
    let accounts = Transfer {
        from,
        to,
        authority: pool.to_account_info(),
    };
    token::transfer(
        CpiContext::new_with_signer(token_program.to_account_info(), accounts, &[seeds]),
        amount,
    )
}
