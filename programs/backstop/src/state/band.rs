//! A band as stored: the same fields as `risk_math::backstop::Band`, which
//! does all the arithmetic; these types only carry it in and out of the
//! account (and give the IDL its shape).

use anchor_lang::prelude::*;
use risk_math::backstop::{Band, Frozen, Stake, HISTORY};

// The IDL needs a literal length; it must stay the math crate's.
const _: () = assert!(HISTORY == 4);

#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct FrozenSum {
    pub epoch: u32,
    pub stakes: u32,
    pub sum: u128,
    pub scale: u32,
    pub scale_sum: u128,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct BandState {
    pub discount_bps: u16,
    pub quote: u64,
    pub collateral: u64,
    pub product: u128,
    pub sum: u128,
    pub epoch: u32,
    pub stakes: u32,
    pub frozen: [FrozenSum; 4],
    pub scale: u32,
    pub scale_sum: u128,
    pub stakes_behind: u32,
}

impl From<BandState> for Band {
    fn from(b: BandState) -> Band {
        Band {
            discount_bps: b.discount_bps,
            quote: b.quote,
            collateral: b.collateral,
            product: b.product,
            sum: b.sum,
            epoch: b.epoch,
            stakes: b.stakes,
            frozen: b.frozen.map(|f| Frozen {
                epoch: f.epoch,
                stakes: f.stakes,
                sum: f.sum,
                scale: f.scale,
                scale_sum: f.scale_sum,
            }),
            scale: b.scale,
            scale_sum: b.scale_sum,
            stakes_behind: b.stakes_behind,
        }
    }
}

impl From<Band> for BandState {
    fn from(b: Band) -> BandState {
        BandState {
            discount_bps: b.discount_bps,
            quote: b.quote,
            collateral: b.collateral,
            product: b.product,
            sum: b.sum,
            epoch: b.epoch,
            stakes: b.stakes,
            frozen: b.frozen.map(|f| FrozenSum {
                epoch: f.epoch,
                stakes: f.stakes,
                sum: f.sum,
                scale: f.scale,
                scale_sum: f.scale_sum,
            }),
            scale: b.scale,
            scale_sum: b.scale_sum,
            stakes_behind: b.stakes_behind,
        }
    }
}

/// An LP's snapshot in one band (see `risk_math::backstop::Stake`).
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct StakeSnapshot {
    pub deposit: u64,
    pub product: u128,
    pub sum: u128,
    pub epoch: u32,
    pub scale: u32,
    /// Collateral bought before the last settlement, paid on the next touch.
    pub owed: u64,
}

impl From<StakeSnapshot> for Stake {
    fn from(s: StakeSnapshot) -> Stake {
        Stake {
            deposit: s.deposit,
            product: s.product,
            sum: s.sum,
            epoch: s.epoch,
            scale: s.scale,
            owed: s.owed,
        }
    }
}

impl From<Stake> for StakeSnapshot {
    fn from(s: Stake) -> StakeSnapshot {
        StakeSnapshot {
            deposit: s.deposit,
            product: s.product,
            sum: s.sum,
            epoch: s.epoch,
            scale: s.scale,
            owed: s.owed,
        }
    }
}
