//! Deployment presets: the parameters `rampart init` deploys with (a
//! configuration file names them) and the simulator's markets run on. One
//! definition, so what is tested and stressed is what is deployed.

use anchor_lang::prelude::Pubkey;
use backstop::state::{ConsumerLimits, PoolParams};
use margin::state::{
    AdaptiveMaintenance, AgentLeashes, BankParams, GovernanceParams, InterestParams, Leash,
    LiquidationParams,
};
use pricing::state::FeedParams;
use vault::state::VaultParams;

/// Prices use 8 decimals, like Pyth.
pub const EXPO: i32 = -8;
pub const BTC_DECIMALS: u8 = 8;
pub const USDC_DECIMALS: u8 = 6;
pub const BTC: u64 = 100_000_000;
pub const USDC: u64 = 1_000_000;

/// A fixed 5% maintenance ratio (no volatility or congestion terms).
pub fn fixed_maintenance() -> AdaptiveMaintenance {
    AdaptiveMaintenance {
        base: W / 20,
        vol_mult: 0,
        congestion_mult: 0,
        horizon_secs: 3_600,
        min: W / 20,
        max: W / 20,
        max_change_per_slot: W / 100_000,
    }
}

/// 5% base, plus 2x one-hour sigma and 5% per unit of congestion excess,
/// up to the 10% initial ratio, moving at most 0.001% per slot.
pub fn adaptive_maintenance() -> AdaptiveMaintenance {
    AdaptiveMaintenance {
        vol_mult: 2 * W,
        congestion_mult: W / 20,
        max: W / 10,
        ..fixed_maintenance()
    }
}

/// Liquidators earn 2% rising 0.001% per slot to 5%; the fund takes a quarter.
pub fn liquidation_params() -> LiquidationParams {
    LiquidationParams {
        fee_base: W / 50,
        fee_per_slot: W / 100_000,
        fee_cap: W / 20,
        insurance_share: W / 4,
        buffer: 10 * W as u128,
        min_remaining_value: 50 * W as u128,
    }
}

/// A one-hour timelock; the risk agent may move a maintenance base within
/// 3%-8%, by at most 0.5% at a time, at most every five minutes.
pub fn governance_params(risk_agent: Pubkey) -> GovernanceParams {
    GovernanceParams {
        timelock_secs: 3_600,
        risk_agent,
        agent_base: Leash {
            min: 3 * W / 100,
            max: 8 * W / 100,
            max_step: W / 200,
            min_interval_secs: 300,
        },
    }
}

/// The risk agent's other leashes: it may hold back up to half of a bank's
/// caps, a tenth of them at a time; and steepen the fee ramp from
/// [`liquidation_params`]' 0.001% a slot (the fee reaching its cap in 20
/// minutes) up to 0.005% (4 minutes), 0.001% at a time, and back; each at
/// most every five minutes.
pub fn agent_leashes() -> AgentLeashes {
    AgentLeashes {
        caps: Leash {
            min: 0,
            max: W / 2,
            max_step: W / 10,
            min_interval_secs: 300,
        },
        fee_per_slot: Leash {
            min: W / 100_000,
            max: W / 20_000,
            max_step: W / 100_000,
            min_interval_secs: 300,
        },
    }
}

/// BTC's curve: borrowed mostly to short, so kept scarce: 0% base, 4% a
/// year at 45% utilisation, then steeply up to the 300% cap; a fifth of
/// the interest to the insurance fund.
pub fn btc_interest() -> InterestParams {
    InterestParams {
        base_rate: 0,
        slope_low: 4 * W / 100,
        slope_high: 3 * W,
        optimal_utilization: W / 100 * 45,
        max_rate: 3 * W,
        protocol_fee: W / 5,
    }
}

/// USDC's curve (the shape of the large stablecoin lenders'): 8% a year at
/// the 80% optimum, +100% over the last fifth, capped at 150%; a tenth of
/// the interest to the insurance fund.
pub fn usdc_interest() -> InterestParams {
    InterestParams {
        base_rate: 0,
        slope_low: 8 * W / 100,
        slope_high: W,
        optimal_utilization: W / 100 * 80,
        max_rate: 3 * W / 2,
        protocol_fee: W / 10,
    }
}

/// Initial: BTC counts 80%, USDC 95%; a borrow needs 110%. Maintenance looser.
pub fn btc_params() -> BankParams {
    BankParams {
        asset_haircut_init: W / 5,
        asset_haircut_maint: W / 10,
        liability_ratio_init: W / 10,
        maint: fixed_maintenance(),
        conf_mult: 2 * W,
        deposit_cap: 1_000 * BTC,
        borrow_cap: 500 * BTC,
        max_price_age_secs: 60,
        interest: btc_interest(),
    }
}

/// What `rampart init` deploys for BTC (the `btc` bank preset): the
/// headline feature on. Maintenance is 5% plus twice the one-hour sigma
/// of the feed's realized volatility plus 5% per unit of congestion
/// excess, between 5% and the 10% initial ratio, moving at most 0.001% a
/// slot (see [`adaptive_maintenance`]): at 68% annual volatility about
/// 6.5%. `btc-fixed` deploys [`btc_params`], the fixed 5% the tests and
/// the simulator's fixed-threshold policies start from.
pub fn btc_deployed_params() -> BankParams {
    BankParams {
        maint: adaptive_maintenance(),
        ..btc_params()
    }
}

/// What `rampart init` deploys for USDC (the `usdc` bank preset):
/// [`usdc_params`] with BTC's adaptive terms, capped at 8% (a deposit's
/// maintenance haircut, 2% plus the adaptive excess, must stay inside
/// its 5% initial haircut); a stablecoin's low volatility keeps it near
/// the 5% base until it depegs.
pub fn usdc_deployed_params() -> BankParams {
    BankParams {
        maint: AdaptiveMaintenance {
            max: 8 * W / 100,
            ..adaptive_maintenance()
        },
        ..usdc_params()
    }
}

pub fn usdc_params() -> BankParams {
    BankParams {
        asset_haircut_init: W / 20,
        asset_haircut_maint: W / 50,
        deposit_cap: 50_000_000 * USDC,
        borrow_cap: 20_000_000 * USDC,
        interest: usdc_interest(),
        ..btc_params()
    }
}

/// A bank of option-vault shares (a cash-secured-put vault's, 6 decimals
/// like its USDC): a share counts 80% of its NAV initially, 90% for
/// maintenance; never lent.
pub fn share_params() -> BankParams {
    BankParams {
        asset_haircut_init: W / 5,
        asset_haircut_maint: W / 10,
        deposit_cap: 10_000_000 * USDC,
        borrow_cap: 0,
        ..usdc_params()
    }
}

/// One source refreshed every 15 s, and a wide breaker floor: margin
/// scenarios crash prices on purpose, and halting is the pricing tests' subject.
pub fn one_source_params() -> FeedParams {
    FeedParams {
        max_staleness_secs: 60,
        max_staleness_slots: 150,
        max_conf_bps: 100,
        twap_window_secs: 300,
        twap_max_gap_secs: 120,
        twap_clamp_bps: 5_000,
        breaker_floor_bps: 5_000,
        breaker_cap_bps: 5_000,
        cooldown_secs: 300,
        max_disagreement_secs: 600,
        vol_half_life_secs: 3_600,
        congestion_half_life_secs: 60,
        min_quorum: 1,
        ..FeedParams::default_crypto()
    }
}

const W: u64 = 1_000_000_000_000_000_000;

pub const EPOCH_SECS: u32 = 7 * 86_400;

/// Weekly epochs sold during the first day at 25-delta, realized vol as
/// is, at most 30% out of the money, 1% spread; 2%/yr management, 10% of
/// profit, 0.5% to withdraw; settle on a 5-minute TWAP; Greeks good for 3
/// hours or a 5% move. Caps in asset units.
pub fn vault_params(deposit_cap: u64, user_deposit_cap: u64, min_supply: u64) -> VaultParams {
    VaultParams {
        epoch_secs: EPOCH_SECS,
        sale_window_secs: 86_400,
        deposit_cap,
        user_deposit_cap,
        min_supply,
        management_fee_bps: 200,
        performance_fee_bps: 1_000,
        withdrawal_fee_bps: 50,
        target_delta: W / 4,
        vol_multiplier: W,
        max_otm: 3 * W / 10,
        spread_bps: 100,
        settlement_window_secs: 300,
        settle_grace_secs: 3_600,
        greeks_max_age_secs: 3 * 3_600,
        greeks_max_move_bps: 500,
        max_price_age_secs: 60,
    }
}

/// A backstop pool's bands: 0.5%, 1%, 2%, 3%, 5% and 8% under the feed price.
pub const BACKSTOP_DISCOUNTS_BPS: [u16; 6] = [50, 100, 200, 300, 500, 800];

/// Prices at most a minute old; 2M USDC per slot across consumers;
/// withdrawals lockable for at most 150 slots (a minute).
pub fn backstop_pool_params() -> PoolParams {
    PoolParams {
        max_price_age_secs: 60,
        max_quote_per_slot: 2_000_000 * USDC,
        max_lock_slots: 150,
    }
}

/// One consumer (margin, say): 1M USDC per absorb, 1.5M per 150-slot window.
pub fn backstop_consumer_limits() -> ConsumerLimits {
    ConsumerLimits {
        max_quote_per_absorb: 1_000_000 * USDC,
        max_quote_per_window: 1_500_000 * USDC,
        window_slots: 150,
    }
}
