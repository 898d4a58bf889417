use anchor_lang::prelude::*;
use risk_math::vault::Series;

use super::{Strategy, Vault};

/// One epoch's options: an SPL mint (one token unit per underlying base
/// unit of notional) so they can be traded anywhere, the terms, and the
/// settlement.
#[account]
#[derive(Debug, InitSpace)]
pub struct OptionSeries {
    pub vault: Pubkey,
    pub round: u32,
    pub option_mint: Pubkey,
    pub strategy: Strategy,
    /// Quote per whole underlying, WAD.
    pub strike: u128,
    pub start_ts: i64,
    pub sale_end_ts: i64,
    pub expiry_ts: i64,
    /// Options the collateral backs, and options sold.
    pub capacity: u64,
    pub sold: u64,
    pub premium_collected: u64,
    /// Spot and pricing volatility when the strike was chosen, WAD.
    pub start_spot: u128,
    pub start_vol: u128,
    pub settled: bool,
    /// Settlement TWAP (or governance fallback price), quote WAD.
    pub settlement_price: u128,
    pub settled_by_governance: bool,
    pub bump: u8,
    pub mint_bump: u8,
}

impl OptionSeries {
    pub const SEED: &'static [u8] = b"series";
    pub const MINT_SEED: &'static [u8] = b"option";
    pub const SPACE: usize = 8 + OptionSeries::INIT_SPACE;

    pub fn terms(&self, vault: &Vault) -> Series {
        Series {
            kind: self.strategy.option_kind(),
            strike: self.strike,
            underlying_decimals: vault.underlying_decimals,
            quote_decimals: vault.quote_decimals,
        }
    }
}
