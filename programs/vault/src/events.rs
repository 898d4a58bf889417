use anchor_lang::prelude::*;

#[event]
pub struct VaultCreated {
    pub vault: Pubkey,
    pub strategy: u8,
    pub asset_mint: Pubkey,
    pub feed: Pubkey,
}

/// A deposit queued (positive `amount`) or cancelled (negative).
#[event]
pub struct DepositQueued {
    pub vault: Pubkey,
    pub owner: Pubkey,
    pub round: u32,
    pub amount: i64,
    pub pending_after: u64,
}

#[event]
pub struct WithdrawalRequested {
    pub vault: Pubkey,
    pub owner: Pubkey,
    pub round: u32,
    pub shares: u64,
}

#[event]
pub struct WithdrawalPaid {
    pub vault: Pubkey,
    pub owner: Pubkey,
    pub shares: u64,
    pub amount: u64,
}

/// A round was processed: fees, the price per share, and what the queues became.
#[event]
pub struct EpochProcessed {
    pub vault: Pubkey,
    pub round: u32,
    pub price_per_share: u128,
    pub management_fee: u64,
    pub performance_fee: u64,
    pub withdrawal_fee: u64,
    pub shares_minted: u64,
    pub shares_burned: u64,
    pub withdrawal_reserved: u64,
    pub active_assets: u64,
}

#[event]
pub struct EpochStarted {
    pub vault: Pubkey,
    pub round: u32,
    pub series: Pubkey,
    pub option_mint: Pubkey,
    pub strike: u128,
    /// The model's strike for the target delta, before bounds or override.
    pub model_strike: u128,
    pub spot: u128,
    pub vol: u128,
    pub expiry_ts: i64,
    pub capacity: u64,
}

/// Governance chose the next strike instead of the model: audited here.
#[event]
pub struct StrikeOverridden {
    pub vault: Pubkey,
    pub round: u32,
    pub strike: u128,
}

#[event]
pub struct OptionsSold {
    pub vault: Pubkey,
    pub buyer: Pubkey,
    pub amount: u64,
    pub premium: u64,
    /// Model price per whole underlying, quote WAD, before the spread.
    pub unit_price: u128,
    pub spot: u128,
}

/// The Greeks cache was refreshed: per option unit (one whole underlying)
/// and for the vault's short position (minus those times the options sold),
/// WAD, for hedgers.
#[event]
pub struct GreeksUpdated {
    pub vault: Pubkey,
    pub price: i128,
    pub delta: i128,
    pub gamma: i128,
    pub vega: i128,
    pub theta: i128,
    pub spot: u128,
    pub options_sold: u64,
    pub vault_delta: i128,
    pub vault_gamma: i128,
    pub vault_vega: i128,
    pub vault_theta: i128,
}

#[event]
pub struct EpochSettled {
    pub vault: Pubkey,
    pub round: u32,
    pub settlement_price: u128,
    pub by_governance: bool,
    pub payoff_reserved: u64,
    pub active_assets: u64,
}

#[event]
pub struct OptionsRedeemed {
    pub vault: Pubkey,
    pub holder: Pubkey,
    pub amount: u64,
    pub payoff: u64,
}
