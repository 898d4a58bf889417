use anchor_lang::prelude::*;
use risk_math::options::OptionKind;
use risk_math::vault::{marked_liability, nav_per_share, Series};

use super::VaultParams;
use crate::errors::VaultError;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum Strategy {
    /// Holds the underlying, sells calls on it.
    CoveredCall,
    /// Holds the quote token, sells puts struck against it.
    CashSecuredPut,
}

impl Strategy {
    /// The vault address's seed: one byte, the variant's index, which is
    /// also the strategy's Borsh encoding (so a client that serializes the
    /// `strategy` argument, as the IDL's `arg` seed says, derives it).
    pub fn seed(self) -> [u8; 1] {
        [self as u8]
    }

    pub fn option_kind(self) -> OptionKind {
        match self {
            Strategy::CoveredCall => OptionKind::Call,
            Strategy::CashSecuredPut => OptionKind::Put,
        }
    }
}

/// Where the epoch state machine stands. Each keeper step requires the
/// previous one, so a retried step fails cleanly instead of applying twice:
/// `Settled` -process_epoch-> `Processed` -start_epoch-> `Trading`
/// -settle_epoch-> `Settled`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum Phase {
    /// The last epoch's options are settled (or there were none yet).
    Settled,
    /// Fees taken, price per share fixed, queued deposits and withdrawals applied.
    Processed,
    /// Options issued: sold during the sale window, then locked until expiry.
    Trading,
}

/// Governance's switch: Paused stops deposits and sales; Shutdown also
/// stops new epochs. Neither ever blocks cancelling a queued deposit,
/// withdrawing settled value or redeeming options.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum VaultStatus {
    Active,
    Paused,
    Shutdown,
}

/// Model Greeks per option unit (one whole underlying), WAD, at `spot`
/// and `ts`. The vault's exposure is minus these times the options sold.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct GreeksCache {
    pub price: i128,
    pub delta: i128,
    pub gamma: i128,
    pub vega: i128,
    pub theta: i128,
    pub spot: u128,
    pub vol: u128,
    pub ts: i64,
}

impl GreeksCache {
    /// Usable while younger than the age limit and while `spot` has not
    /// moved past the move limit from the cached spot (Lyra: 3 h or 5%).
    /// Without a spot to compare (`None`) the cache is not trusted.
    pub fn is_fresh(&self, spot: Option<u128>, now: i64, params: &VaultParams) -> Result<bool> {
        let Some(spot) = spot else {
            return Ok(false);
        };
        let age_ok =
            self.ts > 0 && now.saturating_sub(self.ts) <= params.greeks_max_age_secs as i64;
        let limit = risk_math::fixed::mul_div(
            self.spot,
            params.greeks_max_move_bps as u128,
            10_000,
            risk_math::Rounding::Down,
        )
        .map_err(VaultError::from)?;
        Ok(age_ok && spot.abs_diff(self.spot) <= limit)
    }
}

/// An option vault. Every asset unit in `asset_vault` belongs to exactly
/// one bucket: active (share holders'), pending deposits, the withdrawal
/// reserve, the option payoff reserve, or accrued fees.
#[account]
#[derive(Debug, InitSpace)]
pub struct Vault {
    /// pricing's protocol config, whose governance governs vaults too.
    pub protocol: Pubkey,
    pub underlying_mint: Pubkey,
    pub quote_mint: Pubkey,
    /// The underlying for covered calls, the quote token for puts.
    pub asset_mint: Pubkey,
    pub asset_vault: Pubkey,
    /// Share token (PDA mint, authority this vault).
    pub share_mint: Pubkey,
    /// Holds shares minted to queued depositors until they redeem them, and
    /// shares queued for withdrawal until processed.
    pub share_escrow: Pubkey,
    /// pricing feed of the underlying in the quote token.
    pub feed: Pubkey,
    pub strategy: Strategy,
    pub params: VaultParams,
    pub status: VaultStatus,
    pub underlying_decimals: u8,
    pub quote_decimals: u8,
    /// Deposits and withdrawal requests of this round convert at the price
    /// per share fixed when it is processed.
    pub round: u32,
    pub phase: Phase,
    pub active_assets: u64,
    /// Active assets right after the last processing (performance fee base).
    pub epoch_start_assets: u64,
    pub pending_deposits: u64,
    pub queued_withdraw_shares: u64,
    pub withdrawal_reserve: u64,
    pub payoff_reserve: u64,
    pub fees_accrued: u64,
    /// Shares in escrow that belong to depositors who have not redeemed them.
    pub unredeemed_shares: u64,
    /// Shares outstanding (the share mint's supply: only processing mints or burns).
    pub share_supply: u64,
    /// Options sold this epoch, and the most they could ever pay (both 0
    /// once settled).
    pub options_sold: u64,
    pub max_option_liability: u64,
    /// The current (or last) option series.
    pub series: Pubkey,
    /// Governance's strike for the next epoch, quote WAD (0: the model's).
    pub strike_override: u128,
    pub greeks: GreeksCache,
    pub bump: u8,
}

impl Vault {
    pub const SEED: &'static [u8] = b"vault";
    pub const SHARES_SEED: &'static [u8] = b"shares";
    pub const ASSETS_SEED: &'static [u8] = b"assets";
    pub const ESCROW_SEED: &'static [u8] = b"escrow";
    pub const SPACE: usize = 8 + Vault::INIT_SPACE;

    pub fn require_phase(&self, phase: Phase) -> Result<()> {
        require!(self.phase == phase, VaultError::StepOutOfOrder);
        Ok(())
    }

    pub fn require_active(&self) -> Result<()> {
        require!(
            self.status == VaultStatus::Active,
            VaultError::VaultNotActive
        );
        Ok(())
    }

    /// One share's worth in asset units at `now`, WAD: what other programs
    /// lend against. Outstanding options are marked at the Greeks cache's
    /// model price while the cache is fresh by age and by `spot` (the
    /// underlying's price now, quote WAD, read by the caller from this
    /// vault's feed), else at their worst case
    /// (`risk_math::vault::marked_liability`): a cache young enough but
    /// marked before a 30% move must not lend against the old mark.
    pub fn nav_per_share(&self, now: i64, spot: Option<u128>) -> Result<u128> {
        let fresh = self.greeks.is_fresh(spot, now, &self.params)?;
        let terms = Series {
            kind: self.strategy.option_kind(),
            strike: 0,
            underlying_decimals: self.underlying_decimals,
            quote_decimals: self.quote_decimals,
        };
        let liability = marked_liability(
            &terms,
            self.options_sold,
            self.greeks.price.max(0) as u128,
            self.greeks.spot,
            fresh,
            self.max_option_liability,
        )
        .map_err(VaultError::from)?;
        Ok(
            nav_per_share(self.active_assets, liability, self.share_supply)
                .map_err(VaultError::from)?,
        )
    }

    /// Every bucket the asset vault's balance must cover.
    pub fn assets_owed(&self) -> Option<u64> {
        self.active_assets
            .checked_add(self.pending_deposits)?
            .checked_add(self.withdrawal_reserve)?
            .checked_add(self.payoff_reserve)?
            .checked_add(self.fees_accrued)
    }
}
