use anchor_lang::prelude::*;

use super::move_shares::*;
use crate::errors::VaultError;
use crate::signer::VaultAuthority;

/// Move the shares minted for the user's processed deposits from the
/// escrow to the user's share account, where they can be traded or posted
/// as collateral.
pub fn handle_redeem_shares(ctx: Context<MoveShares>) -> Result<()> {
    let a = ctx.accounts;
    a.convert_earlier_deposit()?;
    let shares = a.receipt.unredeemed_shares;
    a.receipt.unredeemed_shares = 0;
    a.vault.unredeemed_shares = a
        .vault
        .unredeemed_shares
        .checked_sub(shares)
        .ok_or(VaultError::MathOverflow)?;
    VaultAuthority {
        vault: &a.vault,
        token_program: &a.token_program,
    }
    .transfer(
        a.share_escrow.to_account_info(),
        a.owner_shares.to_account_info(),
        shares,
    )
}
