//! Same-transaction manipulation guard for `refresh` (the Kamino Scope
//! rule): refresh must be a top-level instruction of this program, and only
//! compute-budget instructions or other refreshes may come before it. A
//! transaction therefore cannot move an oracle (or borrow, swap, ...) and
//! then refresh on the moved price.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::sysvar::instructions::{
    load_current_index_checked, load_instruction_at_checked,
};
use anchor_lang::Discriminator;

use crate::errors::PricingError;

pub const COMPUTE_BUDGET_ID: Pubkey = pubkey!("ComputeBudget111111111111111111111111111111");

pub fn require_refresh_first(instructions_sysvar: &AccountInfo) -> Result<()> {
    let current = load_current_index_checked(instructions_sysvar)? as usize;
    let top = load_instruction_at_checked(current, instructions_sysvar)?;
    // Under CPI the top-level instruction belongs to the calling program.
    require_keys_eq!(top.program_id, crate::ID, PricingError::RefreshViaCpi);
    for i in 0..current {
        let ix = load_instruction_at_checked(i, instructions_sysvar)?;
        let is_refresh = ix.program_id == crate::ID
            && ix.data.get(..8) == Some(&crate::instruction::Refresh::DISCRIMINATOR[..]);
        require!(
            ix.program_id == COMPUTE_BUDGET_ID || is_refresh,
            PricingError::RefreshNotFirst
        );
    }
    Ok(())
}
