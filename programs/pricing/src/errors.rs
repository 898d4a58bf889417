use anchor_lang::prelude::*;

#[error_code]
pub enum PricingError {
    #[msg("Signer is not the protocol governance authority")]
    Unauthorized,
    #[msg("A feed parameter is outside its hard-coded safe bounds")]
    ParamOutOfBounds,
    #[msg("Feed exponent must be between -18 and 0")]
    InvalidExponent,
    #[msg("Feed already has the maximum number of sources")]
    TooManySources,
    #[msg("This account is already a source of the feed")]
    SourceAlreadyPinned,
    #[msg("Source index is out of range")]
    SourceIndexOutOfRange,
    #[msg("Unknown source kind")]
    UnknownSourceKind,
    #[msg("Source account is not owned by an oracle program accepted for its kind")]
    SourceWrongOwner,
    #[msg("Account passed is not the source pinned at this position")]
    SourceNotPinned,
    #[msg("Refresh must pass exactly the feed's pinned source accounts, in order")]
    SourceCountMismatch,
    #[msg("Pyth price update is for a different feed id than the one pinned")]
    SourceFeedIdMismatch,
    #[msg("Source account data does not have the layout of its kind")]
    SourceMalformed,
    #[msg(
        "Source price is older than the staleness limit (seconds or slots), or has no timestamp"
    )]
    SourceStale,
    #[msg("Source confidence interval is wider than allowed")]
    SourceConfidenceTooWide,
    #[msg("Source price is zero or negative")]
    SourceNonPositive,
    #[msg("Pyth price update is not fully verified by the Wormhole guardians")]
    SourceNotFullyVerified,
    #[msg("Switchboard feed has no valid result")]
    SourceNoResult,
    #[msg("Pyth price status is not Trading")]
    SourceNotTrading,
    #[msg("Oracle round has fewer responses than its minimum")]
    SourceInsufficientResponses,
    #[msg("Source price does not fit the feed's exponent")]
    SourcePriceOutOfRange,
    #[msg("Source was dropped as an outlier beyond the spread limit")]
    SourceOutlier,
    #[msg("Manual price account belongs to another feed")]
    ManualFeedMismatch,
    #[msg("Fewer valid sources than the feed's quorum")]
    QuorumLost,
    #[msg("Too few sources agree within the spread limit")]
    SpreadExceeded,
    #[msg("Refresh cannot be called through CPI")]
    RefreshViaCpi,
    #[msg("Refresh must be the first instruction of its transaction (after compute-budget instructions only)")]
    RefreshNotFirst,
    #[msg("This operation is paused on the feed")]
    OperationPaused,
    #[msg("Feed price is older than the reader's maximum age")]
    FeedStale,
    #[msg("Feed is halted by its circuit breaker or governance")]
    FeedHalted,
    #[msg("Feed is restricted: no new risk (borrows, withdrawals against debt, option sales) until it is Active")]
    FeedRestricted,
    #[msg("TWAP over the requested window is not available (history or coverage too thin)")]
    TwapUnavailable,
    #[msg("Invalid feed status")]
    InvalidStatus,
    #[msg("Arithmetic overflow")]
    MathOverflow,
}

impl From<risk_math::MathError> for PricingError {
    fn from(_: risk_math::MathError) -> Self {
        PricingError::MathOverflow
    }
}
