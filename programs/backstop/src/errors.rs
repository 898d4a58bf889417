use anchor_lang::prelude::*;

/// Offset 9000 keeps backstop codes apart from pricing (6000+), margin
/// (7000+) and vault (8000+); absorb can also raise pricing's feed errors.
#[error_code(offset = 9000)]
pub enum BackstopError {
    #[msg("Signer is not the protocol governance authority")]
    Unauthorized,
    #[msg("A pool or consumer parameter is outside its hard-coded safe bounds")]
    ParamOutOfBounds,
    #[msg("Band discounts must rise strictly, each within the allowed range, at most 8 bands")]
    BandsOutOfBounds,
    #[msg("No such band in this pool")]
    NoSuchBand,
    #[msg("Amount must be greater than zero")]
    ZeroAmount,
    #[msg("More than the stake owns")]
    InsufficientStake,
    #[msg("Withdrawals are locked while a large liquidation is pending")]
    WithdrawalsLocked,
    #[msg("The signer is not a registered, active consumer of this pool")]
    ConsumerNotRegistered,
    #[msg("The consumer has used its absorb allowance for this window")]
    ConsumerCapReached,
    #[msg("The pool has absorbed its limit for this slot")]
    PoolSlotLimitReached,
    #[msg("No band within the discount limit has liquidity")]
    NoLiquidity,
    #[msg("The absorb would pay less quote than the seller's minimum")]
    BelowMinimumQuote,
    #[msg("A band's history of ended epochs is full; settling old stakes (settle_stake) frees it")]
    BandHistoryFull,
    #[msg("Token account of the wrong mint")]
    WrongMint,
    #[msg("Arithmetic overflow")]
    MathOverflow,
    #[msg("The stake is current: it holds no ended epoch or past scale to settle")]
    StakeCurrent,
}

impl From<risk_math::MathError> for BackstopError {
    fn from(_: risk_math::MathError) -> Self {
        BackstopError::MathOverflow
    }
}
