use anchor_lang::prelude::*;

use crate::errors::MarginError;

pub const MAX_POSITIONS: usize = 8;

/// How long a liquidatable mark is remembered without a liquidation: a day
/// at the 400 ms target. An account may recover with no transaction at
/// all (the price comes back) and nothing on chain can see it; a dip a day
/// or more after the last liquidation is treated as a new one.
pub const RAMP_MEMORY_SLOTS: u64 = 216_000;

#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct Position {
    pub bank: Pubkey,
    /// Shares of the bank's deposit pool (see `Bank::deposit_tokens` for their worth).
    pub deposit_shares: u64,
    /// Scaled debt (see `Bank::debt_tokens` for the tokens it owes).
    pub borrow_scaled: u64,
    /// Principal in: tokens deposited and tokens borrowed, each reduced in
    /// proportion as the balance leaves (`risk_math::interest::reduce_basis`),
    /// so worth − basis is the interest earned and debt − basis the
    /// interest owed. Shown to users; no rule reads them.
    pub deposit_basis: u64,
    pub borrow_basis: u64,
}

impl Position {
    pub fn is_empty(&self) -> bool {
        self.deposit_shares == 0 && self.borrow_scaled == 0
    }
}

/// A user's cross-margined balances across banks.
#[account]
#[derive(Debug, InitSpace)]
pub struct MarginAccount {
    pub owner: Pubkey,
    /// Active positions first; a position is freed when emptied.
    pub positions: [Position; MAX_POSITIONS],
    /// First slot a liquidation found this account below maintenance (0 = healthy).
    pub liquidatable_since_slot: u64,
    /// Slot of the last liquidation: a mark older than `RAMP_MEMORY_SLOTS`
    /// with no liquidation since no longer ramps the fee.
    pub last_liquidated_slot: u64,
    pub index: u8,
    pub bump: u8,
}

impl MarginAccount {
    /// Slots the liquidation fee has ramped at `slot`: since the mark,
    /// unless there is none or it is older than `RAMP_MEMORY_SLOTS` without
    /// a liquidation.
    pub fn ramp_slots(&self, slot: u64) -> u64 {
        let forgotten = slot.saturating_sub(self.last_liquidated_slot) > RAMP_MEMORY_SLOTS;
        if self.liquidatable_since_slot == 0 || forgotten {
            0
        } else {
            slot.saturating_sub(self.liquidatable_since_slot)
        }
    }

    pub const SEED: &'static [u8] = b"account";
    /// Sized from the types (InitSpace), never summed by hand.
    pub const SPACE: usize = 8 + MarginAccount::INIT_SPACE;

    pub fn active(&self) -> impl Iterator<Item = &Position> {
        self.positions.iter().filter(|p| !p.is_empty())
    }

    pub fn has_debt(&self) -> bool {
        self.positions.iter().any(|p| p.borrow_scaled > 0)
    }

    /// Shares held anywhere, worth something or not (see
    /// `write_off_bad_debt` for the banks that tell the difference).
    pub fn has_deposits(&self) -> bool {
        self.positions.iter().any(|p| p.deposit_shares > 0)
    }

    /// The existing position for `bank`.
    pub fn existing(&self, bank: &Pubkey) -> Option<&Position> {
        self.positions
            .iter()
            .find(|p| &p.bank == bank && !p.is_empty())
    }

    /// The existing position for `bank`, to change.
    pub fn existing_mut(&mut self, bank: &Pubkey) -> Option<&mut Position> {
        self.positions
            .iter_mut()
            .find(|p| &p.bank == bank && !p.is_empty())
    }

    /// The position for `bank`, opening one if needed.
    pub fn position_mut(&mut self, bank: &Pubkey) -> Result<&mut Position> {
        if let Some(i) = self
            .positions
            .iter()
            .position(|p| &p.bank == bank && !p.is_empty())
        {
            return Ok(&mut self.positions[i]);
        }
        let free = self
            .positions
            .iter()
            .position(Position::is_empty)
            .ok_or(MarginError::TooManyPositions)?;
        self.positions[free] = Position {
            bank: *bank,
            ..Position::default()
        };
        Ok(&mut self.positions[free])
    }
}
