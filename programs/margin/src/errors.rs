use anchor_lang::prelude::*;

/// Offset 7000 keeps margin's codes apart from pricing's (6000+), which
/// margin instructions can also raise through `pricing::read::read_feed`.
#[error_code(offset = 7000)]
pub enum MarginError {
    #[msg("Signer is not the protocol governance authority")]
    Unauthorized,
    #[msg("A bank parameter is outside its hard-coded safe bounds")]
    ParamOutOfBounds,
    #[msg("Signer does not own this margin account")]
    NotAccountOwner,
    #[msg("Amount must be greater than zero")]
    ZeroAmount,
    #[msg("Deposit would exceed the bank's deposit cap")]
    DepositCapExceeded,
    #[msg("Borrow would exceed the bank's borrow cap")]
    BorrowCapExceeded,
    #[msg("Not enough deposited in this bank")]
    InsufficientDeposit,
    #[msg("Not enough liquidity in the bank's vault")]
    InsufficientLiquidity,
    #[msg("Repay exceeds the debt")]
    RepayExceedsDebt,
    #[msg("Account already uses the maximum number of banks")]
    TooManyPositions,
    #[msg("Token account mint does not match the bank's mint")]
    WrongMint,
    #[msg("Bank and feed accounts for health must be passed for every position, in order")]
    HealthAccountsMismatch,
    #[msg("Price feed account is not the bank's feed")]
    WrongFeed,
    #[msg("Initial health would be negative after this action")]
    InsufficientHealth,
    #[msg("Margin is in a status that forbids this action")]
    ProtocolStatusForbids,
    #[msg("Account meets its maintenance requirement: nothing to liquidate")]
    AccountHealthy,
    #[msg("The account has no debt in the liability bank or no deposit in the collateral bank")]
    NothingToLiquidate,
    #[msg("Liquidating would not improve this account's health (fee exceeds what the repayment frees)")]
    LiquidationWouldNotImprove,
    #[msg("This liquidation is large: it needs a proposal approved by M of the N liquidation validators")]
    LargeLiquidationNeedsApproval,
    #[msg("This liquidation is small enough to run at once; no proposal needed")]
    LiquidationNotLarge,
    #[msg("Signer is not a registered liquidation validator")]
    NotAValidator,
    #[msg("This validator already approved the proposal")]
    DuplicateApproval,
    #[msg("The proposal has expired")]
    ProposalExpired,
    #[msg("The proposal has fewer approvals than the threshold")]
    NotEnoughApprovals,
    #[msg("The proposal is for another account or bank pair")]
    ProposalMismatch,
    #[msg("The timelock has not elapsed, or nothing is queued")]
    TimelockNotElapsed,
    #[msg("The risk agent may not move the parameter there (outside its band)")]
    RiskAgentOutOfBand,
    #[msg("The risk agent moved this parameter too recently (its leash's interval)")]
    RiskAgentTooFast,
    #[msg("Fewer distinct guardian signatures than the threshold")]
    NotEnoughGuardians,
    #[msg("Arithmetic overflow")]
    MathOverflow,
    #[msg("Bad debt has wiped out this bank's deposits; it takes no new deposits")]
    DepositsWipedOut,
    #[msg("The account still holds collateral: liquidate or settle it before writing off debt")]
    AccountHasCollateral,
    #[msg("The account has no debt in this bank")]
    NoDebt,
    #[msg("Margin is not shut down")]
    NotShutDown,
    #[msg("This bank's settlement price has not been fixed for the current shutdown")]
    SettlementPriceNotFixed,
    #[msg("This bank's settlement price is already fixed for the current shutdown")]
    SettlementPriceAlreadyFixed,
    #[msg(
        "Shut down: deposits are paid out once every borrow in this bank is settled or written off"
    )]
    SettlementPending,
    #[msg("Vault shares are collateral only: they cannot be borrowed")]
    SharesNotBorrowable,
    #[msg("The proposal has not expired yet")]
    ProposalNotExpired,
    #[msg("Guardians may only tighten the status governance set, never loosen it")]
    GuardiansCannotLoosen,
    #[msg("The account still holds collateral worth something in a bank not passed")]
    CollateralBankMissing,
    #[msg("The vault's Greeks mark is stale (by age or spot): refresh it before fixing the share bank's settlement price")]
    ShareMarkStale,
    #[msg("Deposit is worth less than one share of the bank's pool (interest raised the share price above it)")]
    DepositBelowOneShare,
    #[msg("An account's owner cannot liquidate it: the liquidation fee would go back to the owner instead of paying for the risk")]
    SelfLiquidation,
    #[msg("The risk agent may not move this parameter: governance has not given it a leash")]
    RiskAgentLeashClosed,
    #[msg(
        "The risk agent may not move the parameter that far at once (more than its leash's step)"
    )]
    RiskAgentStepTooLarge,
}

impl From<risk_math::MathError> for MarginError {
    fn from(_: risk_math::MathError) -> Self {
        MarginError::MathOverflow
    }
}
