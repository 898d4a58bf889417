use anchor_lang::prelude::*;

#[event]
pub struct BankCreated {
    pub bank: Pubkey,
    pub mint: Pubkey,
    pub feed: Pubkey,
}

/// Every balance change of a margin account, with the health it left.
#[event]
pub struct BalanceChanged {
    pub account: Pubkey,
    pub bank: Pubkey,
    pub action: u8,
    pub amount: u64,
    pub deposits_after: u64,
    pub borrows_after: u64,
    /// Initial-requirement margin after the action, WAD quote (0 when not computed).
    pub initial_margin_after: i128,
}

pub mod action {
    pub const DEPOSIT: u8 = 0;
    pub const WITHDRAW: u8 = 1;
    pub const BORROW: u8 = 2;
    pub const REPAY: u8 = 3;
}
