use anchor_lang::prelude::*;

/// Offset 8000 keeps vault codes apart from pricing's (6000+) and
/// margin's (7000+); vault instructions can raise pricing's through its
/// read API.
#[error_code(offset = 8000)]
pub enum VaultError {
    #[msg("Signer is not the protocol governance authority")]
    Unauthorized,
    #[msg("A vault parameter is outside its hard-coded safe bounds")]
    ParamOutOfBounds,
    #[msg("Amount must be greater than zero")]
    ZeroAmount,
    #[msg("Deposit would exceed the vault's deposit cap")]
    DepositCapExceeded,
    #[msg("Deposit would exceed the per-user cap for this round")]
    UserCapExceeded,
    #[msg("The vault is paused or shut down: no deposits, sales or new epochs")]
    VaultNotActive,
    #[msg("The feed is halted: no deposits or sales")]
    FeedHalted,
    #[msg("This epoch step cannot run now: the previous step has not finished, or this one already ran")]
    StepOutOfOrder,
    #[msg("The option has not expired yet")]
    NotExpired,
    #[msg("The sale window of this epoch is over")]
    SaleClosed,
    #[msg("Not enough unsold options in this epoch")]
    CapacityExceeded,
    #[msg("The Greeks cache is stale (too old, or spot moved too far): update it first")]
    GreeksStale,
    #[msg("The premium exceeds the buyer's limit")]
    SlippageExceeded,
    #[msg("The deposit was already processed into shares; it can no longer be cancelled")]
    DepositAlreadyProcessed,
    #[msg("More than the queued deposit")]
    CancelExceedsDeposit,
    #[msg("More shares than the user holds")]
    InsufficientShares,
    #[msg("Withdrawal would leave the share supply below the minimum")]
    BelowMinSupply,
    #[msg("An earlier withdrawal must be completed first")]
    WithdrawalPending,
    #[msg("No withdrawal has been processed for this user yet")]
    NothingToWithdraw,
    #[msg("The record of the round this user's request belongs to must be passed")]
    RoundRecordMissing,
    #[msg("This option series is not settled yet")]
    SeriesNotSettled,
    #[msg("Account is not this vault's (series, mint, receipt or token account)")]
    WrongVaultAccount,
    #[msg("Governance may settle only after the grace period")]
    GracePeriodNotOver,
    #[msg("Arithmetic overflow")]
    MathOverflow,
}

impl From<risk_math::MathError> for VaultError {
    fn from(_: risk_math::MathError) -> Self {
        VaultError::MathOverflow
    }
}
