use anchor_lang::prelude::*;
use risk_math::vault::shares_for;

use super::RoundRecord;
use crate::errors::VaultError;

/// One user's queue in one vault: a deposit waiting for its round to be
/// processed, shares minted for them but not yet redeemed, and a
/// withdrawal request.
#[account]
#[derive(Debug, InitSpace)]
pub struct DepositReceipt {
    pub vault: Pubkey,
    pub owner: Pubkey,
    pub deposit_round: u32,
    pub deposit_amount: u64,
    pub unredeemed_shares: u64,
    pub withdraw_round: u32,
    pub withdraw_shares: u64,
    pub bump: u8,
}

impl DepositReceipt {
    pub const SEED: &'static [u8] = b"receipt";
    pub const SPACE: usize = 8 + DepositReceipt::INIT_SPACE;

    /// A deposit from an already processed round, which needs that
    /// round's record to become shares.
    pub fn processed_deposit(&self, current_round: u32) -> bool {
        self.deposit_amount > 0 && self.deposit_round < current_round
    }

    /// Turn a processed round's deposit into unredeemed shares at that
    /// round's price. Returns the shares (0 if nothing was pending).
    pub fn convert_deposit(
        &mut self,
        current_round: u32,
        record: Option<&RoundRecord>,
    ) -> Result<u64> {
        if !self.processed_deposit(current_round) {
            return Ok(0);
        }
        let record = record.ok_or(VaultError::RoundRecordMissing)?;
        require!(
            record.vault == self.vault && record.round == self.deposit_round,
            VaultError::RoundRecordMissing
        );
        let shares = shares_for(self.deposit_amount, record.price_per_share)
            .map_err(|_| VaultError::MathOverflow)?;
        self.unredeemed_shares = self
            .unredeemed_shares
            .checked_add(shares)
            .ok_or(VaultError::MathOverflow)?;
        self.deposit_amount = 0;
        Ok(shares)
    }
}
