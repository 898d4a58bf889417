use anchor_lang::prelude::*;

#[event]
pub struct PoolCreated {
    pub pool: Pubkey,
    pub feed: Pubkey,
    pub collateral_mint: Pubkey,
    pub quote_mint: Pubkey,
    pub discounts_bps: Vec<u16>,
}

#[event]
pub struct ConsumerRegistered {
    pub pool: Pubkey,
    pub consumer: Pubkey,
    pub authority: Pubkey,
    pub max_quote_per_absorb: u64,
    pub max_quote_per_window: u64,
    pub window_slots: u64,
    pub active: bool,
}

#[event]
pub struct StakeChanged {
    pub pool: Pubkey,
    pub band: u8,
    pub owner: Pubkey,
    pub deposited: u64,
    pub withdrawn: u64,
    /// Collateral bought by this stake since its last touch, paid out now.
    pub collateral_paid: u64,
    /// Quote the stake owns after the change.
    pub quote_after: u64,
    pub band_quote_after: u64,
}

/// A stake settled by anyone: its bought collateral is now owed to it.
#[event]
pub struct StakeSettled {
    pub pool: Pubkey,
    pub band: u8,
    pub owner: Pubkey,
    /// Quote the stake owns, now in the band's current epoch and scale.
    pub quote: u64,
    /// Collateral kept for it, paid on its owner's next touch.
    pub collateral_owed: u64,
}

/// One band's share of an absorb.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BandFillRecord {
    pub band: u8,
    pub discount_bps: u16,
    pub quote: u64,
    pub collateral: u64,
}

#[event]
pub struct Absorbed {
    pub pool: Pubkey,
    /// The consumer account and the protocol authority behind it.
    pub consumer: Pubkey,
    pub consumer_authority: Pubkey,
    pub collateral_in: u64,
    pub quote_out: u64,
    /// Reference price, quote per whole collateral token, WAD.
    pub reference_price: u128,
    pub fills: Vec<BandFillRecord>,
}

#[event]
pub struct WithdrawalsLocked {
    pub pool: Pubkey,
    pub consumer: Pubkey,
    pub until_slot: u64,
}
