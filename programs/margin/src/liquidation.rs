//! Sizing a liquidation from the account's current maintenance health:
//! shared by `propose_liquidation` (large ones) and `liquidate`.

use anchor_lang::prelude::*;
use risk_math::margin::{
    liquidation_fee, liquidation_size, seize_for, token_value, Health, LiquidationPair,
    LiquidationSize,
};
use risk_math::Rounding;

use crate::errors::MarginError;
use crate::health::{account_health, AccountHealth, Requirement};
use crate::state::{Bank, LiquidationProposal, MarginAccount, MarginConfig};

pub struct Plan {
    pub before: AccountHealth,
    pub pair: LiquidationPair,
    pub size: LiquidationSize,
    /// Value of `size.repay` at the liability's spot price, WAD.
    pub repay_value: u128,
    pub slots_liquidatable: u64,
}

impl Plan {
    /// Large liquidations need M-of-N approval (none when no validators are registered).
    pub fn is_large(&self, config: &MarginConfig) -> bool {
        config.validators.count > 0 && self.repay_value >= config.validators.large_value
    }

    /// After the exchange is booked: health must have improved; a healthy
    /// account stops being liquidatable; a proposal passed spends `repaid`
    /// of its approved repayment, and is closed (its rent back to its
    /// proposer, who paid it) once that is spent or the account is healthy
    /// again, whether the liquidation was large or small. A partial fill
    /// leaves the rest approved: a fill kept small on purpose (a band
    /// holding a dollar) cannot spend a whole approval. Returns the health
    /// after.
    #[allow(clippy::too_many_arguments)]
    pub fn conclude<'info>(
        &self,
        account: &mut MarginAccount,
        (liability_bank, collateral_bank): (&Account<'info, Bank>, &Account<'info, Bank>),
        repaid: u64,
        proposal: Option<&mut Account<'info, LiquidationProposal>>,
        proposer: Option<AccountInfo<'info>>,
        remaining: &'info [AccountInfo<'info>],
        clock: &Clock,
    ) -> Result<Health> {
        // Health reads banks from the remaining accounts: write both
        // banks' accrued and booked totals through first.
        liability_bank.exit(&crate::ID)?;
        collateral_bank.exit(&crate::ID)?;
        let after = account_health(account, remaining, clock, Requirement::Maintenance)?.health;
        require!(
            after.margin() > self.before.health.margin(),
            MarginError::LiquidationWouldNotImprove
        );
        if after.is_healthy() {
            account.liquidatable_since_slot = 0;
        }
        if let Some(proposal) = proposal {
            let proposer = proposer
                .filter(|p| p.key() == proposal.proposer)
                .ok_or(MarginError::ProposalMismatch)?;
            proposal.max_repay = proposal.max_repay.saturating_sub(repaid);
            if proposal.max_repay == 0 || after.is_healthy() {
                proposal.close(proposer)?;
            }
        }
        Ok(after)
    }

    /// The size this liquidation may execute at. Any proposal passed must
    /// be for this (account, liability bank, collateral bank), even for a
    /// small liquidation: the fill spends it (see `conclude`), and must not
    /// spend someone else's approved proposal. A large liquidation needs an unexpired
    /// proposal approved by M of N validators and is capped at its amount.
    pub fn approved_size(
        &self,
        config: &MarginConfig,
        proposal: Option<&LiquidationProposal>,
        (account, liability, collateral): (Pubkey, Pubkey, Pubkey),
        clock: &Clock,
    ) -> Result<LiquidationSize> {
        if let Some(proposal) = proposal {
            require!(
                proposal.account == account
                    && proposal.liability_bank == liability
                    && proposal.collateral_bank == collateral,
                MarginError::ProposalMismatch
            );
        }
        if !self.is_large(config) {
            return Ok(self.size);
        }
        let proposal = proposal.ok_or(MarginError::LargeLiquidationNeedsApproval)?;
        require!(
            clock.slot <= proposal.expiry_slot,
            MarginError::ProposalExpired
        );
        require!(
            proposal.approval_count() >= config.validators.threshold as u32,
            MarginError::NotEnoughApprovals
        );
        if self.size.repay <= proposal.max_repay {
            return Ok(self.size);
        }
        let repay = proposal.max_repay;
        Ok(LiquidationSize {
            repay,
            seize: seize_for(&self.pair, repay).map_err(MarginError::from)?,
        })
    }
}

/// Check the account is below maintenance and size the liquidation of
/// `liability` debt against `collateral`, at the fee ramped since the
/// account was marked liquidatable (see `mark_liquidatable`). Reads only:
/// a proposal sizes with it and must not start the ramp.
pub fn plan<'info>(
    config: &MarginConfig,
    account: &MarginAccount,
    liability: &Account<Bank>,
    collateral: &Account<Bank>,
    remaining: &'info [AccountInfo<'info>],
    clock: &Clock,
) -> Result<Plan> {
    let before = account_health(account, remaining, clock, Requirement::Maintenance)?;
    require!(!before.health.is_healthy(), MarginError::AccountHealthy);
    let (liability_key, collateral_key) = (liability.key(), collateral.key());
    // A proposal reads the banks without writing them: size on the
    // balances an accrual now would leave (identical for banks the
    // liquidation just accrued).
    let now = clock.unix_timestamp;
    let project = |bank: &Bank| -> Result<Option<Box<Bank>>> {
        bank.accrues_at(now)
            .then(|| bank.projected(now).map(Box::new))
            .transpose()
    };
    let (liability_now, collateral_now) = (project(liability)?, project(collateral)?);
    let liability: &Bank = liability_now.as_deref().unwrap_or(liability);
    let collateral: &Bank = collateral_now.as_deref().unwrap_or(collateral);
    let (debt, held) = debt_and_collateral(
        account,
        (&liability_key, liability),
        (&collateral_key, collateral),
    )?;
    require!(debt > 0 && held > 0, MarginError::NothingToLiquidate);
    let lp = *before
        .priced(&liability_key)
        .ok_or(MarginError::HealthAccountsMismatch)?;
    let cp = *before
        .priced(&collateral_key)
        .ok_or(MarginError::HealthAccountsMismatch)?;

    let slots_liquidatable = account.ramp_slots(clock.slot);
    let params = config.liquidation;
    let fee = liquidation_fee(
        params.fee_base as u128,
        params.fee_per_slot as u128,
        params.fee_cap as u128,
        slots_liquidatable,
    );
    let pair = LiquidationPair {
        margin: before.health.margin(),
        liability_amount: debt,
        liability_decimals: lp.decimals,
        liability_price: lp.spot,
        liability_ratio: liability.maint_liability_ratio(),
        collateral_amount: held,
        collateral_decimals: cp.decimals,
        collateral_price: cp.spot,
        collateral_haircut: collateral.maint_asset_haircut(),
        fee,
    };
    let size = liquidation_size(&pair, params.buffer, params.min_remaining_value)
        .map_err(MarginError::from)?
        .ok_or(MarginError::LiquidationWouldNotImprove)?;
    let repay_value =
        token_value(size.repay, lp.decimals, lp.spot, Rounding::Down).map_err(MarginError::from)?;
    Ok(Plan {
        before,
        pair,
        size,
        repay_value,
        slots_liquidatable,
    })
}

/// A liquidation is executing: the fee ramps from the first one of this
/// dip. Only executions mark (a proposal does not); a maintenance pass that
/// finds the account healthy clears the mark (`Plan::conclude`,
/// `clear_if_healthy` after a borrow or withdrawal, write-off), and a mark
/// with no liquidation for `RAMP_MEMORY_SLOTS` is forgotten, so a dip long
/// since recovered from never prices a new one at the cap.
pub fn mark_liquidatable(account: &mut MarginAccount, clock: &Clock) {
    if account.ramp_slots(clock.slot) == 0 {
        account.liquidatable_since_slot = clock.slot;
    }
    account.last_liquidated_slot = clock.slot;
}

/// After a borrow or withdrawal: clear the liquidatable mark when the
/// account now meets its maintenance requirement. Only read when there is
/// a mark: the initial requirement the action just met does not imply it
/// (the adaptive haircut may exceed the initial one while volatility is
/// high), so it is checked, not assumed.
pub fn clear_if_healthy<'info>(
    account: &mut MarginAccount,
    remaining: &'info [AccountInfo<'info>],
    clock: &Clock,
) -> Result<()> {
    if account.liquidatable_since_slot != 0
        && account_health(account, remaining, clock, Requirement::Maintenance)?
            .health
            .is_healthy()
    {
        account.liquidatable_since_slot = 0;
    }
    Ok(())
}

/// `account`'s debt in `liability` (interest to the bank's last accrual)
/// and the tokens its deposit in `collateral` is worth.
pub fn debt_and_collateral(
    account: &MarginAccount,
    (liability_key, liability): (&Pubkey, &Bank),
    (collateral_key, collateral): (&Pubkey, &Bank),
) -> Result<(u64, u64)> {
    let scaled = account
        .existing(liability_key)
        .map_or(0, |p| p.borrow_scaled);
    let shares = account
        .existing(collateral_key)
        .map_or(0, |p| p.deposit_shares);
    Ok((
        liability.debt_tokens(scaled)?,
        collateral.deposit_tokens(shares)?,
    ))
}
