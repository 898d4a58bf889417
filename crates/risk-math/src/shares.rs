//! Deposits as shares of a bank's pool of tokens.
//!
//! A lender holds shares; the bank holds `total_shares` and the tokens owed
//! to all lenders, `total_tokens`. Shares are worth
//! `shares × total_tokens / total_shares`, so a loss socialised across
//! lenders is one subtraction from `total_tokens` (O(1), whatever the number
//! of lenders) and every lender bears it in proportion. Without losses the
//! two totals move together and a share is worth exactly one token.
//!
//! Every rounding favours the pool over the individual: shares minted round
//! down, shares burned round up, a position's worth rounds down. The sum of
//! every position's worth therefore never exceeds `total_tokens`.

use crate::fixed::{mul_div, MathError, MathResult, Rounding};

/// A bank's deposit pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pool {
    pub total_shares: u64,
    pub total_tokens: u64,
}

impl Pool {
    /// Tokens `shares` are worth, rounded down.
    pub fn tokens_of(&self, shares: u64) -> MathResult<u64> {
        if self.total_shares == 0 {
            return Ok(0);
        }
        to_u64(mul_div(
            shares as u128,
            self.total_tokens as u128,
            self.total_shares as u128,
            Rounding::Down,
        )?)
    }

    /// Deposit `amount` tokens: the shares minted (rounded down). Fails with
    /// `OutOfDomain` when losses wiped the pool out while shares remain:
    /// new money would otherwise be handed to the old, worthless shares.
    pub fn deposit(&mut self, amount: u64) -> MathResult<u64> {
        let minted = if self.total_shares == 0 {
            amount
        } else if self.total_tokens == 0 {
            return Err(MathError::OutOfDomain);
        } else {
            to_u64(mul_div(
                amount as u128,
                self.total_shares as u128,
                self.total_tokens as u128,
                Rounding::Down,
            )?)?
        };
        self.total_shares = self
            .total_shares
            .checked_add(minted)
            .ok_or(MathError::Overflow)?;
        self.total_tokens = self
            .total_tokens
            .checked_add(amount)
            .ok_or(MathError::Overflow)?;
        Ok(minted)
    }

    /// Take `amount` tokens out of a position holding `position_shares`:
    /// the shares burned (rounded up). When what would remain is worth no
    /// whole token it is burned too, so an emptied position really is empty
    /// (its dust stays with the pool). Fails with `OutOfDomain` when the
    /// position is worth less than `amount`.
    pub fn withdraw(&mut self, amount: u64, position_shares: u64) -> MathResult<u64> {
        if amount > self.tokens_of(position_shares)? {
            return Err(MathError::OutOfDomain);
        }
        let mut burned = to_u64(mul_div(
            amount as u128,
            self.total_shares as u128,
            self.total_tokens.max(1) as u128,
            Rounding::Up,
        )?)?
        .min(position_shares);
        let mut after = *self;
        after.total_shares -= burned;
        after.total_tokens -= amount;
        if after.tokens_of(position_shares - burned)? == 0 {
            burned = position_shares;
        }
        self.total_shares -= burned;
        self.total_tokens -= amount;
        Ok(burned)
    }

    /// Cancel `shares` worth nothing (a position that must hold no
    /// deposit, e.g. one now borrowing in this pool): the pool's tokens
    /// stay with the other shares.
    pub fn forfeit(&mut self, shares: u64) -> MathResult<()> {
        self.total_shares = self
            .total_shares
            .checked_sub(shares)
            .ok_or(MathError::Overflow)?;
        Ok(())
    }

    /// Lenders lose `amount` tokens in proportion to their shares. Returns
    /// what was actually socialised (at most the whole pool).
    pub fn socialise_loss(&mut self, amount: u64) -> u64 {
        let loss = amount.min(self.total_tokens);
        self.total_tokens -= loss;
        loss
    }
}

fn to_u64(v: u128) -> MathResult<u64> {
    u64::try_from(v).map_err(|_| MathError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn one_to_one_until_a_loss() {
        let mut pool = Pool::default();
        assert_eq!(pool.deposit(1_000).unwrap(), 1_000);
        assert_eq!(pool.deposit(500).unwrap(), 500);
        assert_eq!(pool.withdraw(300, 1_000).unwrap(), 300);
        assert_eq!(pool.tokens_of(700).unwrap(), 700);
        assert_eq!(
            pool,
            Pool {
                total_shares: 1_200,
                total_tokens: 1_200
            }
        );
    }

    #[test]
    fn a_loss_is_shared_in_proportion() {
        let mut pool = Pool::default();
        let a = pool.deposit(3_000).unwrap();
        let b = pool.deposit(1_000).unwrap();
        assert_eq!(pool.socialise_loss(400), 400);
        assert_eq!(pool.tokens_of(a).unwrap(), 2_700);
        assert_eq!(pool.tokens_of(b).unwrap(), 900);
        // A later depositor buys in at the reduced price and bears none of it.
        let c = pool.deposit(900).unwrap();
        assert_eq!(pool.tokens_of(c).unwrap(), 900);
        assert_eq!(c, 1_000);
    }

    #[test]
    fn a_wiped_out_pool_takes_no_new_money() {
        let mut pool = Pool::default();
        pool.deposit(10).unwrap();
        assert_eq!(pool.socialise_loss(25), 10);
        assert_eq!(pool.deposit(5), Err(MathError::OutOfDomain));
        assert_eq!(pool.tokens_of(10).unwrap(), 0);
    }

    #[test]
    fn withdrawing_more_than_owned_fails_and_dust_is_swept() {
        let mut pool = Pool::default();
        let a = pool.deposit(10).unwrap();
        pool.deposit(20).unwrap();
        pool.socialise_loss(1); // 29 tokens for 30 shares
        assert_eq!(pool.withdraw(10, a), Err(MathError::OutOfDomain));
        let worth = pool.tokens_of(a).unwrap();
        assert_eq!(worth, 9);
        // 9 tokens burn ceil(9·30/29) = 10 shares: all of them.
        assert_eq!(pool.withdraw(worth, a).unwrap(), a);
    }

    proptest! {
        /// Random deposits, withdrawals and losses: the positions' worth
        /// never exceeds the pool, every token a position was worth can be
        /// withdrawn, and a loss costs each position at most its proportional
        /// share plus one token of rounding.
        #[test]
        fn positions_never_claim_more_than_the_pool(
            ops in prop::collection::vec((0u8..4, 0usize..5, 1u64..1_000_000_000), 1..200)
        ) {
            let mut pool = Pool::default();
            let mut shares = [0u64; 5];
            for (kind, who, amount) in ops {
                match kind {
                    0 | 1 => {
                        if let Ok(minted) = pool.deposit(amount) {
                            shares[who] += minted;
                        }
                    }
                    2 => {
                        let worth = pool.tokens_of(shares[who]).unwrap();
                        let take = amount.min(worth);
                        let burned = pool.withdraw(take, shares[who]).unwrap();
                        prop_assert!(burned <= shares[who]);
                        shares[who] -= burned;
                        prop_assert!(shares[who] == 0 || pool.tokens_of(shares[who]).unwrap() > 0);
                    }
                    _ => {
                        let before: Vec<u64> =
                            shares.iter().map(|s| pool.tokens_of(*s).unwrap()).collect();
                        let total_before = pool.total_tokens;
                        let loss = pool.socialise_loss(amount % (total_before / 2 + 1));
                        for (s, b) in shares.iter().zip(before) {
                            let after = pool.tokens_of(*s).unwrap();
                            let fair = mul_div(b as u128, loss as u128, total_before.max(1) as u128, Rounding::Up).unwrap() as u64;
                            prop_assert!(after <= b);
                            prop_assert!(b - after <= fair + 1, "lost {} > fair {}", b - after, fair);
                        }
                    }
                }
                let worth: u64 = shares.iter().map(|s| pool.tokens_of(*s).unwrap()).sum();
                prop_assert!(worth <= pool.total_tokens);
                prop_assert_eq!(shares.iter().sum::<u64>(), pool.total_shares);
            }
        }
    }
}
