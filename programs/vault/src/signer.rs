//! The vault PDA signs for its asset vault, share mint, escrow and option
//! mints; its seeds are rebuilt here, once.

use anchor_lang::prelude::*;
use anchor_spl::token::{self, Burn, MintTo, Token, Transfer};

use crate::state::{Strategy, Vault};

/// Seeds of a vault: (underlying, quote, strategy, epoch length).
pub struct VaultSeeds {
    underlying: Pubkey,
    quote: Pubkey,
    strategy: [u8; 1],
    epoch: [u8; 4],
    bump: [u8; 1],
}

impl VaultSeeds {
    pub fn of(underlying: Pubkey, quote: Pubkey, strategy: Strategy, epoch_secs: u32) -> Self {
        VaultSeeds {
            underlying,
            quote,
            strategy: strategy.seed(),
            epoch: epoch_secs.to_le_bytes(),
            bump: [0],
        }
    }

    pub fn signer(vault: &Vault) -> Self {
        let mut s = Self::of(
            vault.underlying_mint,
            vault.quote_mint,
            vault.strategy,
            vault.params.epoch_secs,
        );
        s.bump = [vault.bump];
        s
    }

    pub fn seeds(&self) -> [&[u8]; 6] {
        [
            Vault::SEED,
            self.underlying.as_ref(),
            self.quote.as_ref(),
            &self.strategy,
            &self.epoch,
            &self.bump,
        ]
    }
}

/// Token moves signed by the vault PDA. Nothing happens for amount 0.
pub struct VaultAuthority<'a, 'info> {
    pub vault: &'a Account<'info, Vault>,
    pub token_program: &'a Program<'info, Token>,
}

impl<'info> VaultAuthority<'_, 'info> {
    fn signed<A: ToAccountMetas + ToAccountInfos<'info>>(
        &self,
        accounts: A,
        amount: u64,
        op: fn(CpiContext<'_, '_, '_, 'info, A>, u64) -> Result<()>,
    ) -> Result<()> {
        if amount == 0 {
            return Ok(());
        }
        let s = VaultSeeds::signer(self.vault);
        let seeds = s.seeds();
        let signer: &[&[&[u8]]] = &[&seeds];
        op(
            CpiContext::new_with_signer(self.token_program.to_account_info(), accounts, signer),
            amount,
        )
    }

    pub fn transfer(
        &self,
        from: AccountInfo<'info>,
        to: AccountInfo<'info>,
        amount: u64,
    ) -> Result<()> {
        let authority = self.vault.to_account_info();
        self.signed(
            Transfer {
                from,
                to,
                authority,
            },
            amount,
            token::transfer,
        )
    }

    pub fn mint(
        &self,
        mint: AccountInfo<'info>,
        to: AccountInfo<'info>,
        amount: u64,
    ) -> Result<()> {
        let authority = self.vault.to_account_info();
        self.signed(
            MintTo {
                mint,
                to,
                authority,
            },
            amount,
            token::mint_to,
        )
    }

    /// Burn from a token account the vault owns (the share escrow).
    pub fn burn(
        &self,
        mint: AccountInfo<'info>,
        from: AccountInfo<'info>,
        amount: u64,
    ) -> Result<()> {
        let authority = self.vault.to_account_info();
        self.signed(
            Burn {
                mint,
                from,
                authority,
            },
            amount,
            token::burn,
        )
    }
}

/// Pay `amount` from the asset vault to `to`, out of one of the vault's
/// buckets (pending deposits, withdrawal reserve, payoff reserve, fees):
/// the bucket shrinks by exactly what leaves, so the books stay whole.
pub fn pay_out<'info>(
    vault: &mut Account<'info, Vault>,
    bucket: fn(&mut Vault) -> &mut u64,
    token_program: &Program<'info, Token>,
    asset_vault: AccountInfo<'info>,
    to: AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    let held = bucket(vault);
    *held = held
        .checked_sub(amount)
        .ok_or(crate::errors::VaultError::MathOverflow)?;
    VaultAuthority {
        vault,
        token_program,
    }
    .transfer(asset_vault, to, amount)
}
