use anchor_lang::prelude::*;
use risk_math::interest::{debt_of, reduce_basis, Accrual, Book, RateModel, MAX_ANNUAL_RATE};
use risk_math::shares::Pool;
use risk_math::{MathError, WAD};

use crate::errors::MarginError;
use crate::state::{LiquidationParams, Position};

/// Most slots one `update_risk` counts toward the ratio's rate limit: a
/// minute at the 400 ms target. Idle time is not banked, so the first
/// update after a quiet day moves the ratio by at most this many steps.
pub const MAX_RATE_LIMIT_SLOTS: u64 = 150;

/// Shape of a bank's adaptive maintenance ratio for borrows, WAD:
/// target = base + vol_mult·σ·sqrt(horizon) + congestion_mult·congestion
/// excess, clamped to [min, max], approached at most `max_change_per_slot`
/// per slot.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct AdaptiveMaintenance {
    pub base: u64,
    pub vol_mult: u64,
    pub congestion_mult: u64,
    pub horizon_secs: u32,
    pub min: u64,
    pub max: u64,
    pub max_change_per_slot: u64,
}

impl AdaptiveMaintenance {
    pub fn to_math(&self) -> risk_math::margin::AdaptiveParams {
        risk_math::margin::AdaptiveParams {
            base: self.base as u128,
            vol_mult: self.vol_mult as u128,
            congestion_mult: self.congestion_mult as u128,
            horizon_secs: self.horizon_secs as u64,
            min: self.min as u128,
            max: self.max as u128,
            max_change_per_slot: self.max_change_per_slot as u128,
        }
    }
}

/// A bank's interest-rate curve (see `risk_math::interest::RateModel`):
/// annual rates and utilisation, WAD.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct InterestParams {
    /// Borrow rate at 0% utilisation.
    pub base_rate: u64,
    /// Added linearly up to the optimal utilisation.
    pub slope_low: u64,
    /// Added linearly from the optimal utilisation to 100%: the kink that
    /// makes lending out the last tokens expensive, so lenders can leave.
    pub slope_high: u64,
    pub optimal_utilization: u64,
    /// The borrow rate never exceeds this.
    pub max_rate: u64,
    /// Share of interest paid to the bank's insurance fund.
    pub protocol_fee: u64,
}

impl InterestParams {
    pub fn to_math(&self) -> RateModel {
        RateModel {
            base_rate: self.base_rate as u128,
            slope_low: self.slope_low as u128,
            slope_high: self.slope_high as u128,
            optimal_utilization: self.optimal_utilization as u128,
            max_rate: self.max_rate as u128,
            protocol_fee: self.protocol_fee as u128,
        }
    }

    /// Hard bounds: the optimum strictly inside (1%, 99%) so neither
    /// segment divides by zero; a cap of at most 300% a year (see
    /// `MAX_ANNUAL_RATE`) at or above the base; a steep slope at least
    /// the gentle one and at most 10x a year; the fund's share at most
    /// half of the interest.
    pub fn validate(&self) -> Result<()> {
        let w = WAD as u64;
        require!(
            (w / 100..=w / 100 * 99).contains(&self.optimal_utilization),
            MarginError::ParamOutOfBounds
        );
        require!(
            self.max_rate as u128 <= MAX_ANNUAL_RATE && self.base_rate <= self.max_rate,
            MarginError::ParamOutOfBounds
        );
        require!(
            self.slope_low <= self.slope_high && self.slope_high <= 10 * w,
            MarginError::ParamOutOfBounds
        );
        require!(self.protocol_fee <= w / 2, MarginError::ParamOutOfBounds);
        Ok(())
    }
}

/// Risk settings of a bank, WAD where a ratio.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct BankParams {
    /// Deposits count for value × (1 - haircut) in the initial requirement.
    pub asset_haircut_init: u64,
    pub asset_haircut_maint: u64,
    /// Borrows need value × (1 + ratio) in the initial requirement.
    pub liability_ratio_init: u64,
    /// Borrows need value × (1 + effective ratio) in the maintenance requirement.
    pub maint: AdaptiveMaintenance,
    /// k in spot - k·conf for conservative valuation, WAD.
    pub conf_mult: u64,
    pub deposit_cap: u64,
    pub borrow_cap: u64,
    /// Oldest feed price accepted, seconds.
    pub max_price_age_secs: u32,
    pub interest: InterestParams,
}

impl BankParams {
    /// Hard bounds: haircuts and ratios below 90% and 100%, maintenance
    /// looser than initial (so a new position is not instantly liquidatable),
    /// a confidence multiple of at most 10, prices at most 10 minutes old.
    pub fn validate(&self) -> Result<()> {
        let w = WAD as u64;
        require!(
            self.asset_haircut_init < w * 9 / 10,
            MarginError::ParamOutOfBounds
        );
        require!(
            self.liability_ratio_init <= w,
            MarginError::ParamOutOfBounds
        );
        // Maintenance stays looser than initial for deposits too: the
        // maintenance haircut widens by the adaptive excess (up to max − base,
        // at most 90%), and a deposit passing the initial requirement must
        // not be liquidatable at once.
        let widest_maint = (self.asset_haircut_maint as u128
            + self.maint.max.saturating_sub(self.maint.base) as u128)
            .min(WAD * 9 / 10);
        require!(
            widest_maint <= self.asset_haircut_init as u128,
            MarginError::ParamOutOfBounds
        );
        // The adaptive ratio stays inside [min, max] <= the initial ratio, so
        // a position opened at the initial requirement is never instantly
        // liquidatable; vol and congestion weights at most 10x.
        let m = &self.maint;
        require!(
            m.min <= m.base && m.base <= m.max,
            MarginError::ParamOutOfBounds
        );
        require!(
            m.max <= self.liability_ratio_init,
            MarginError::ParamOutOfBounds
        );
        require!(
            m.vol_mult <= 10 * w && m.congestion_mult <= 10 * w,
            MarginError::ParamOutOfBounds
        );
        require!(
            (60..=86_400).contains(&m.horizon_secs),
            MarginError::ParamOutOfBounds
        );
        require!(
            m.max_change_per_slot > 0 && m.max_change_per_slot <= w / 100,
            MarginError::ParamOutOfBounds
        );
        require!(self.conf_mult <= 10 * w, MarginError::ParamOutOfBounds);
        require!(
            (1..=600).contains(&self.max_price_age_secs),
            MarginError::ParamOutOfBounds
        );
        self.interest.validate()
    }

    /// A liquidation repaying one unit of value frees (1 + ratio) of the
    /// liability bank's requirement and costs (1 + fee)(1 - haircut) of the
    /// collateral bank's; at or below zero `liquidation_size` finds no size
    /// and the account cannot be liquidated through that pair. Banks are
    /// created one at a time, so the pair condition is split per bank: a
    /// maintenance ratio never below the fee cap and a positive maintenance
    /// haircut make every pair improvable at every fee up to the cap.
    pub fn validate_liquidable(&self, liquidation: &LiquidationParams) -> Result<()> {
        require!(
            self.maint.min >= liquidation.fee_cap && self.asset_haircut_maint > 0,
            MarginError::ParamOutOfBounds
        );
        Ok(())
    }
}

/// `cap` less the WAD share `share` of it (at most all of it).
pub fn cut(cap: u64, share: u64) -> u64 {
    let held = cap as u128 * share.min(WAD as u64) as u128 / WAD;
    cap - held as u64
}

/// One SPL token the margin program lends and accepts as collateral.
#[account]
#[derive(Debug, InitSpace)]
pub struct Bank {
    pub mint: Pubkey,
    /// PDA token account holding every deposit, authority = this bank.
    pub vault: Pubkey,
    /// pricing `PriceFeed` of this token in quote units.
    pub feed: Pubkey,
    pub params: BankParams,
    /// PDA token account receiving the fund's share of liquidation fees.
    pub insurance_vault: Pubkey,
    /// Current maintenance ratio for borrows, WAD, and the slot it was set.
    pub effective_maint_ratio: u64,
    pub ratio_slot: u64,
    /// Parameters queued by governance, applicable from `pending_eta` (0 = none).
    pub pending_params: BankParams,
    pub pending_eta: i64,
    /// Last time the risk agent moved the maintenance base.
    pub agent_last_change_ts: i64,
    /// Tokens owed to depositors: grows by their interest, shrinks when
    /// bad debt is socialised.
    pub total_deposits: u64,
    /// Deposit shares outstanding; each is worth total_deposits / total_deposit_shares.
    pub total_deposit_shares: u64,
    /// Scaled debt of every loan; each unit owes `borrow_index` tokens.
    pub borrow_scaled: u64,
    /// Tokens one scaled unit of debt owes, WAD: 1 at creation, compounds
    /// per second at the utilisation curve's rate.
    pub borrow_index: u128,
    /// Interest owed to the insurance fund, still in the vault until an
    /// `accrue` sweeps it across.
    pub pending_fees: u64,
    /// Unix time interest was last accrued to.
    pub last_accrual: i64,
    /// Every token of interest accrued and the fund's part of it, since
    /// creation (saturating; for reports).
    pub interest_accrued: u64,
    pub fees_accrued: u64,
    /// Under Shutdown: the last valid TWAP every position in this bank
    /// settles at (WAD, 0 = not fixed), and when it was fixed.
    pub settlement_price: u128,
    pub settlement_fixed_at: i64,
    /// For a bank of option-vault shares: the vault, whose NAV per share
    /// times the feed's price of the vault's asset prices a share.
    /// Default for ordinary tokens.
    pub share_vault: Pubkey,
    pub decimals: u8,
    pub bump: u8,
    pub vault_bump: u8,
    /// How much of governance's deposit and borrow caps the risk agent
    /// holds back (WAD shares; zero, as a new or migrated account reads:
    /// none), and when it last moved them ([`Bank::deposit_cap`],
    /// [`Bank::borrow_cap`]). Governance applying new parameters clears them.
    pub agent_deposit_cut: u64,
    pub agent_borrow_cut: u64,
    pub agent_caps_moved_at: i64,
    /// Room for later settings without a migration.
    pub reserved: [u8; 64],
}

impl Bank {
    /// The most the bank holds in deposits: governance's cap less what the
    /// agent holds back.
    pub fn deposit_cap(&self) -> u64 {
        cut(self.params.deposit_cap, self.agent_deposit_cut)
    }

    /// The most the bank lends: governance's cap less what the agent holds back.
    pub fn borrow_cap(&self) -> u64 {
        cut(self.params.borrow_cap, self.agent_borrow_cut)
    }

    pub fn pool(&self) -> Pool {
        Pool {
            total_shares: self.total_deposit_shares,
            total_tokens: self.total_deposits,
        }
    }

    fn store(&mut self, pool: Pool) {
        self.total_deposit_shares = pool.total_shares;
        self.total_deposits = pool.total_tokens;
    }

    /// The bank's lending book: deposits, loans and the fund's fees.
    pub fn book(&self) -> Book {
        Book {
            pool: self.pool(),
            borrow_scaled: self.borrow_scaled,
            borrow_index: self.borrow_index,
            pending_fees: self.pending_fees,
            last_accrual: self.last_accrual,
        }
    }

    fn store_book(&mut self, book: Book) {
        self.store(book.pool);
        self.borrow_scaled = book.borrow_scaled;
        self.borrow_index = book.borrow_index;
        self.pending_fees = book.pending_fees;
        self.last_accrual = book.last_accrual;
    }

    /// Accrue interest to `now`. Every instruction that reads or writes
    /// this bank's balances calls it first; it needs no price, so a stale
    /// or halted feed never stops it.
    pub fn accrue(&mut self, now: i64) -> Result<Accrual> {
        let mut book = self.book();
        let accrual = book
            .accrue(&self.params.interest.to_math(), now)
            .map_err(MarginError::from)?;
        self.store_book(book);
        self.interest_accrued = self.interest_accrued.saturating_add(accrual.interest);
        self.fees_accrued = self.fees_accrued.saturating_add(accrual.to_fund);
        Ok(accrual)
    }

    /// This bank as an accrual at `now` would leave it, for a bank read
    /// but not written (health's remaining accounts, proposal sizing):
    /// the same function, so the reader sees what a writer would store.
    pub fn projected(&self, now: i64) -> Result<Bank> {
        let mut bank = self.clone();
        bank.accrue(now)?;
        Ok(bank)
    }

    /// Whether an accrual at `now` would change anything (a loan and time
    /// since the last one): readers of an up-to-date bank skip the copy.
    pub fn accrues_at(&self, now: i64) -> bool {
        self.borrow_scaled > 0 && now > self.last_accrual
    }

    /// Every loan with interest to the last accrual, tokens.
    pub fn total_borrows(&self) -> Result<u64> {
        Ok(self.book().debt().map_err(MarginError::from)?)
    }

    /// Tokens `scaled` units of debt owe at the current index (rounded up).
    pub fn debt_tokens(&self, scaled: u64) -> Result<u64> {
        Ok(debt_of(scaled, self.borrow_index).map_err(MarginError::from)?)
    }

    /// Tokens a position's deposit shares are worth now (rounded down).
    pub fn deposit_tokens(&self, shares: u64) -> Result<u64> {
        Ok(self.pool().tokens_of(shares).map_err(MarginError::from)?)
    }

    /// Take `amount` tokens into `position`'s deposit.
    pub fn deposit_to(&mut self, position: &mut Position, amount: u64) -> Result<()> {
        let mut pool = self.pool();
        let minted = pool.deposit(amount).map_err(|e| match e {
            MathError::OutOfDomain => MarginError::DepositsWipedOut,
            _ => MarginError::MathOverflow,
        })?;
        // With a share worth more than a token (interest), a smaller
        // deposit would mint nothing and be given to the pool.
        require!(minted > 0, MarginError::DepositBelowOneShare);
        self.store(pool);
        position.deposit_shares = position
            .deposit_shares
            .checked_add(minted)
            .ok_or(MarginError::MathOverflow)?;
        position.deposit_basis = position.deposit_basis.saturating_add(amount);
        Ok(())
    }

    /// Pay `amount` tokens out of `position`'s deposit (the caller moves
    /// the tokens); its principal shrinks in proportion.
    pub fn withdraw_from(&mut self, position: &mut Position, amount: u64) -> Result<()> {
        let worth = self.deposit_tokens(position.deposit_shares)?;
        let mut pool = self.pool();
        let burned = pool
            .withdraw(amount, position.deposit_shares)
            .map_err(|e| match e {
                MathError::OutOfDomain => MarginError::InsufficientDeposit,
                _ => MarginError::MathOverflow,
            })?;
        self.store(pool);
        position.deposit_shares -= burned;
        position.deposit_basis = if position.deposit_shares == 0 {
            0
        } else {
            reduce_basis(position.deposit_basis, amount, worth)
        };
        Ok(())
    }

    /// A borrow of `amount` as the `borrow` instruction books it: out of
    /// the position's own deposit in this bank first, the rest lent
    /// ([`Bank::borrow_to`]) within the bank's borrow cap. Clients size
    /// borrows with this same code (`rampart_sdk::health::max_borrow`).
    pub fn borrow_netted(&mut self, position: &mut Position, amount: u64) -> Result<()> {
        let own = self.deposit_tokens(position.deposit_shares)?;
        let from_deposit = own.min(amount);
        if from_deposit > 0 {
            self.withdraw_from(position, from_deposit)?;
        }
        let debt = amount - from_deposit;
        if debt > 0 {
            self.borrow_to(position, debt)?;
            require!(
                self.total_borrows()? <= self.borrow_cap(),
                MarginError::BorrowCapExceeded
            );
        }
        Ok(())
    }

    /// Lend `amount` tokens to `position` (the caller moves the tokens).
    /// Shares the position still holds are worth nothing (the caller nets
    /// its deposit first): they are cancelled, so the position never holds
    /// both a deposit and a debt, not even one interest could revive.
    pub fn borrow_to(&mut self, position: &mut Position, amount: u64) -> Result<()> {
        let mut book = self.book();
        if position.deposit_shares > 0 {
            require!(
                book.pool
                    .tokens_of(position.deposit_shares)
                    .map_err(MarginError::from)?
                    == 0,
                MarginError::MathOverflow
            );
            book.pool
                .forfeit(position.deposit_shares)
                .map_err(MarginError::from)?;
            position.deposit_shares = 0;
            position.deposit_basis = 0;
        }
        // Debt is bounded by what lenders and the fund supplied, not by
        // the vault's balance (which tokens sent to it would inflate).
        let scaled = book.borrow(amount).map_err(|e| match e {
            MathError::OutOfDomain => MarginError::InsufficientLiquidity,
            _ => MarginError::MathOverflow,
        })?;
        self.store_book(book);
        position.borrow_scaled = position
            .borrow_scaled
            .checked_add(scaled)
            .ok_or(MarginError::MathOverflow)?;
        position.borrow_basis = position.borrow_basis.saturating_add(amount);
        Ok(())
    }

    /// Take `amount` tokens against `position`'s debt (the caller moves
    /// the tokens); more than it owes is `RepayExceedsDebt`.
    pub fn repay_from(&mut self, position: &mut Position, amount: u64) -> Result<()> {
        let owed = self.debt_tokens(position.borrow_scaled)?;
        let mut book = self.book();
        let burned = book
            .repay(amount, position.borrow_scaled)
            .map_err(|e| match e {
                MathError::OutOfDomain => MarginError::RepayExceedsDebt,
                _ => MarginError::MathOverflow,
            })?;
        self.store_book(book);
        position.borrow_scaled -= burned;
        position.borrow_basis = if position.borrow_scaled == 0 {
            0
        } else {
            reduce_basis(position.borrow_basis, amount, owed)
        };
        Ok(())
    }

    /// Remove `position`'s debt, which nobody will repay; returns the
    /// tokens the bank's debt fell by (what must be covered).
    pub fn write_off_from(&mut self, position: &mut Position) -> Result<u64> {
        let mut book = self.book();
        let debt = book
            .write_off(position.borrow_scaled)
            .map_err(MarginError::from)?;
        self.store_book(book);
        position.borrow_scaled = 0;
        position.borrow_basis = 0;
        Ok(debt)
    }

    /// The fund's claim on the vault shrinks by `amount` (see `Book::release_fees`).
    pub fn release_fees(&mut self, amount: u64) -> Result<()> {
        let mut book = self.book();
        book.release_fees(amount).map_err(MarginError::from)?;
        self.store_book(book);
        Ok(())
    }

    /// Lenders absorb `amount` tokens of bad debt in proportion to their shares.
    pub fn socialise_loss(&mut self, amount: u64) -> u64 {
        let mut pool = self.pool();
        let loss = pool.socialise_loss(amount);
        self.store(pool);
        loss
    }

    pub fn is_share_bank(&self) -> bool {
        self.share_vault != Pubkey::default()
    }

    /// The settlement price fixed during the current shutdown.
    pub fn current_settlement_price(&self, shutdown_since: i64) -> Result<u128> {
        require!(
            self.settlement_price > 0 && self.settlement_fixed_at >= shutdown_since,
            MarginError::SettlementPriceNotFixed
        );
        Ok(self.settlement_price)
    }

    /// Keep the effective maintenance ratio inside the current [min, max].
    pub fn clamp_effective_ratio(&mut self) {
        let m = &self.params.maint;
        self.effective_maint_ratio = self.effective_maint_ratio.clamp(m.min, m.max);
    }

    /// Maintenance haircut on deposits: the static haircut widened by the
    /// adaptive excess of the effective ratio over its base (an asset's
    /// volatility matters whether it is held or owed), at most 90%.
    pub fn maint_asset_haircut(&self) -> u128 {
        let excess = self
            .effective_maint_ratio
            .saturating_sub(self.params.maint.base);
        (self.params.asset_haircut_maint as u128 + excess as u128).min(WAD * 9 / 10)
    }

    /// Maintenance ratio on borrows: the effective adaptive ratio.
    pub fn maint_liability_ratio(&self) -> u128 {
        self.effective_maint_ratio as u128
    }

    pub const SEED: &'static [u8] = b"bank";
    pub const VAULT_SEED: &'static [u8] = b"vault";
    pub const INSURANCE_SEED: &'static [u8] = b"insurance";
    /// Sized from the types (InitSpace), never summed by hand.
    pub const SPACE: usize = 8 + Bank::INIT_SPACE;
}
