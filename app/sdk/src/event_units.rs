//! Events in human units, for `rampart monitor` and `rampart demo`: token
//! amounts with their mint's decimals and symbol, WAD ratios as percents,
//! WAD values in the quote currency, feed prices at their exponent,
//! timestamps in UTC and enum codes by name. `--json` keeps the raw
//! integers the program emitted; this is only how a person reads them.
//!
//! [`unit`] is the table: the unit of every numeric field of every event
//! (a test walks the committed IDLs and fails on a field it does not
//! classify). Which token a field counts is a matter of the event's own
//! accounts (`repaid` is in the liability bank's token, `seized` in the
//! collateral bank's); their decimals and symbols come from a [`Names`]
//! lookup, which the client implements on a deployment read from chain.

use anchor_lang::prelude::Pubkey;
use anchor_lang::AnchorDeserialize;
use serde_json::Value;

use crate::idl_events::Event;

/// The token whose base units a field counts, found from the event's own
/// accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The mint of the bank named by this field of the event.
    Bank(&'static str),
    /// The event's `pool`: the collateral it buys, the quote it pays.
    PoolCollateral,
    PoolQuote,
    /// The event's `vault`: the asset it holds (underlying for calls,
    /// quote for puts), its shares, its options.
    VaultAsset,
    VaultShares,
    VaultOptions,
}

/// How a field reads.
#[derive(Debug, Clone, Copy)]
pub enum Unit {
    /// A count, slot, index, mask or code shown as emitted.
    Raw,
    Token(Side),
    /// WAD fixed point shown as a decimal (indices, Greeks).
    Wad,
    /// A WAD ratio or annual rate shown as a percent.
    WadPercent,
    /// A WAD value or price in the quote currency (dollars).
    WadQuote,
    /// A feed price mantissa, at the event's `expo`, else its feed's.
    FeedPrice,
    Bps,
    UnixTime,
    /// A unix time where 0 means it never lapses.
    UnixTimeOrNever,
    Seconds,
    /// An enum code, by name.
    Named(fn(u64) -> Option<String>),
}

/// What the chain knows about the accounts an event names.
pub trait Names {
    /// A readable name for an account: a bank's token, a feed's or a
    /// vault's or a pool's name, a mint's symbol.
    fn name(&self, key: &Pubkey) -> Option<String>;
    /// The token `side` of the account `holder` counts in.
    fn token(&self, holder: &Pubkey, side: Side) -> Option<TokenUnit>;
    fn feed_expo(&self, feed: &Pubkey) -> Option<i32>;
}

/// A token's symbol and decimals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenUnit {
    pub symbol: String,
    pub decimals: u8,
}

/// Nothing known: tokens print in base units, the rest still reads.
impl Names for () {
    fn name(&self, _: &Pubkey) -> Option<String> {
        None
    }
    fn token(&self, _: &Pubkey, _: Side) -> Option<TokenUnit> {
        None
    }
    fn feed_expo(&self, _: &Pubkey) -> Option<i32> {
        None
    }
}

fn feed_status(v: u64) -> Option<String> {
    risk_math::breaker::Status::from_u8(u8::try_from(v).ok()?).map(|s| format!("{s:?}"))
}

fn halt_reason(v: u64) -> Option<String> {
    risk_math::breaker::HaltReason::from_u8(u8::try_from(v).ok()?).map(|s| format!("{s:?}"))
}

fn margin_status(v: u64) -> Option<String> {
    let s = margin::state::MarginStatus::try_from_slice(&[u8::try_from(v).ok()?]).ok()?;
    Some(format!("{s:?}"))
}

fn strategy(v: u64) -> Option<String> {
    let s = vault::state::Strategy::try_from_slice(&[u8::try_from(v).ok()?]).ok()?;
    Some(format!("{s:?}"))
}

fn balance_action(v: u64) -> Option<String> {
    use margin::events::action::*;
    let name = match u8::try_from(v).ok()? {
        DEPOSIT => "deposit",
        WITHDRAW => "withdraw",
        BORROW => "borrow",
        REPAY => "repay",
        _ => return None,
    };
    Some(name.into())
}

/// The unit of `field` in the event `event` (`Liquidated`, without the
/// program). Fields of a nested record are named `record.field`
/// (`fills.quote`). Account, boolean and string fields need no entry.
pub fn unit(event: &str, field: &str) -> Option<Unit> {
    use Side::*;
    use Unit::*;
    let liability = Token(Bank("liability_bank"));
    let collateral = Token(Bank("collateral_bank"));
    let bank = Token(Bank("bank"));
    Some(match (event, field) {
        // pricing
        (
            "FeedRefreshed",
            "valid_mask" | "agreeing_mask" | "outlier_mask" | "manual_mask" | "source_errors"
            | "slot",
        ) => Raw,
        ("FeedRefreshed", "price" | "conf" | "candidate_price" | "twap") => FeedPrice,
        ("FeedRefreshed", "vol_annual_bps" | "congestion_bps") => Bps,
        ("FeedRefreshed" | "FeedStatusSet", "status") => Named(feed_status),
        ("BreakerTripped" | "FeedRestricted", "reason") => Named(halt_reason),
        (
            "BreakerTripped" | "FeedRestricted" | "MoveConfirmed",
            "candidate_price" | "reference_price" | "price",
        ) => FeedPrice,
        (
            "BreakerTripped" | "FeedRestricted" | "MoveConfirmed",
            "move_bps" | "allowed_move_bps",
        ) => Bps,
        (_, "valid_sources" | "agreeing_sources" | "index" | "expo") => Raw,
        ("BreakerResumed", "halted_secs") => Seconds,
        ("BreakerResumed" | "ManualPricePushed" | "SourceChecked", "price" | "conf") => FeedPrice,
        (_, "unix_ts" | "publish_ts") => UnixTime,

        // margin
        ("BalanceChanged", "action") => Named(balance_action),
        ("BalanceChanged", "amount" | "deposits_after" | "borrows_after") => bank,
        (_, "initial_margin_after" | "maint_margin_before" | "maint_margin_after") => WadQuote,
        (
            "MaintenanceRatioUpdated",
            "base" | "vol_component" | "congestion_component" | "target" | "effective" | "previous",
        ) => WadPercent,
        ("MaintenanceRatioUpdated", "slot") => Raw,
        ("Liquidated" | "PositionSettled" | "LiquidatedToBackstop", "repaid" | "debt_left") => {
            liability
        }
        (
            "Liquidated" | "PositionSettled" | "LiquidatedToBackstop",
            "seized" | "to_liquidator" | "to_insurance" | "collateral_sold",
        ) => collateral,
        ("Liquidated", "fee" | "maint_ratio") => WadPercent,
        ("Liquidated", "slots_liquidatable") => Raw,
        ("LiquidatedToBackstop", "max_discount_bps") => Bps,
        // The proposal names no bank: its size stays in base units.
        ("LiquidationProposed", "max_repay" | "expiry_slot") => Raw,
        ("LiquidationProposed", "repay_value" | "maint_margin") => WadQuote,
        ("LiquidationApproved" | "ProposalClosed", "approvals" | "threshold") => Raw,
        ("BankParamsQueued", "eta") => UnixTime,
        ("RiskAgentMovedBase", "previous" | "base") => WadPercent,
        ("RiskAgentMovedCaps", "deposit_cap" | "borrow_cap") => bank,
        (
            "RiskAgentMovedCaps",
            "deposit_cut_before" | "deposit_cut" | "borrow_cut_before" | "borrow_cut",
        ) => WadPercent,
        ("RiskAgentMovedFeeRamp" | "AgentLeashesSet", "fee_per_slot_before" | "fee_per_slot") => {
            WadPercent
        }
        (_, "evidence.loss" | "evidence.capacity" | "evidence.debt") => WadQuote,
        (_, "evidence.accounts") => Raw,
        (_, "evidence.vol_annual_bps" | "evidence.congestion_bps") => Bps,
        // Leashes: WAD figures (ratios, or shares of governance's caps).
        (
            "AgentLeashesSet",
            "base.min" | "base.max" | "base.max_step" | "caps.min" | "caps.max" | "caps.max_step"
            | "fee_ramp.min" | "fee_ramp.max" | "fee_ramp.max_step",
        ) => WadPercent,
        ("AgentLeashesSet", _) if field.ends_with(".min_interval_secs") => Seconds,
        ("MarginStatusChanged", "status") => Named(margin_status),
        ("MarginStatusChanged", "expires_at") => UnixTimeOrNever,
        ("MarginStatusChanged", "signers") => Raw,
        (
            "BadDebtWrittenOff",
            "debt" | "from_insurance" | "from_fees" | "socialised" | "total_deposits_after",
        ) => bank,
        ("BadDebtWrittenOff", "total_deposit_shares") => Raw,
        ("SettlementPriceFixed", "price") => WadQuote,
        ("SettlementPriceFixed", "twap_ends_at") => UnixTime,
        ("InterestAccrued", "secs") => Seconds,
        ("InterestAccrued", "utilization" | "borrow_rate" | "deposit_rate") => WadPercent,
        ("InterestAccrued", "borrow_index" | "deposit_index") => Wad,
        ("InterestAccrued", "interest" | "to_fund" | "total_borrows" | "total_deposits") => bank,
        ("FeesSwept", "amount" | "pending_after") => bank,

        // vault
        ("VaultCreated", "strategy") => Named(strategy),
        (_, "round") => Raw,
        (
            "DepositQueued" | "WithdrawalPaid" | "EpochProcessed" | "EpochSettled",
            "amount"
            | "pending_after"
            | "management_fee"
            | "performance_fee"
            | "withdrawal_fee"
            | "withdrawal_reserved"
            | "active_assets"
            | "payoff_reserved",
        ) => Token(VaultAsset),
        (
            "WithdrawalRequested" | "WithdrawalPaid" | "EpochProcessed",
            "shares" | "shares_minted" | "shares_burned",
        ) => Token(VaultShares),
        ("EpochProcessed", "price_per_share") => Wad,
        (
            "EpochStarted" | "StrikeOverridden" | "OptionsSold" | "EpochSettled",
            "strike" | "model_strike" | "spot" | "unit_price" | "settlement_price",
        ) => WadQuote,
        ("EpochStarted", "vol") => WadPercent,
        ("EpochStarted", "expiry_ts") => UnixTime,
        ("EpochStarted", "capacity") | ("OptionsSold" | "OptionsRedeemed", "amount") => {
            Token(VaultOptions)
        }
        ("OptionsSold", "premium") | ("OptionsRedeemed", "payoff") => Token(VaultAsset),
        ("GreeksUpdated", "spot" | "price") => WadQuote,
        (
            "GreeksUpdated",
            "delta" | "gamma" | "vega" | "theta" | "vault_delta" | "vault_gamma" | "vault_vega"
            | "vault_theta",
        ) => Wad,
        ("GreeksUpdated", "options_sold") => Token(VaultOptions),

        // backstop
        ("PoolCreated", "discounts_bps") | ("Absorbed", "fills.discount_bps") => Bps,
        ("ConsumerRegistered", "max_quote_per_absorb" | "max_quote_per_window") => Token(PoolQuote),
        ("ConsumerRegistered", "window_slots") | ("WithdrawalsLocked", "until_slot") => Raw,
        (_, "band" | "fills.band") => Raw,
        (
            "StakeChanged" | "StakeSettled" | "Absorbed",
            "deposited" | "withdrawn" | "quote_after" | "band_quote_after" | "quote" | "quote_out"
            | "fills.quote",
        ) => Token(PoolQuote),
        (
            "StakeChanged" | "StakeSettled" | "Absorbed",
            "collateral_paid" | "collateral_owed" | "collateral_in" | "fills.collateral",
        ) => Token(PoolCollateral),
        ("Absorbed", "reference_price") => WadQuote,
        _ => return None,
    })
}

/// The fields naming the accounts whose tokens and exponents the units need.
const UNIT_HOLDERS: [&str; 6] = [
    "bank",
    "liability_bank",
    "collateral_bank",
    "pool",
    "vault",
    "feed",
];

/// Whether `e` names a bank, pool, vault or feed `names` does not know (one
/// created since the names were read): read them again to show its units.
pub fn names_missing(e: &Event, names: &dyn Names) -> bool {
    UNIT_HOLDERS.iter().any(|field| {
        e.fields[*field]
            .as_str()
            .and_then(|s| s.parse::<Pubkey>().ok())
            .is_some_and(|key| names.name(&key).is_none())
    })
}

/// `margin::Liquidated account=7xKq… liability_bank=USDC repaid=1500 USDC …`.
pub fn human_line(e: &Event, names: &dyn Names) -> String {
    let short = e.name.rsplit("::").next().unwrap_or(&e.name);
    let mut out = e.name.clone();
    if let Value::Object(fields) = &e.fields {
        for (k, v) in fields {
            out.push_str(&format!(" {k}={}", human(short, k, v, &e.fields, names)));
        }
    }
    out
}

fn human(event: &str, field: &str, v: &Value, fields: &Value, names: &dyn Names) -> String {
    match v {
        Value::Array(items) => {
            let shown: Vec<String> = items
                .iter()
                .map(|x| human(event, field, x, fields, names))
                .collect();
            format!("[{}]", shown.join(", "))
        }
        Value::Object(record) => {
            let shown: Vec<String> = record
                .iter()
                .map(|(k, x)| {
                    let path = format!("{field}.{k}");
                    format!("{k}={}", human(event, &path, x, fields, names))
                })
                .collect();
            format!("{{{}}}", shown.join(" "))
        }
        Value::Bool(b) => b.to_string(),
        // 128-bit integers arrive as strings; a field with a unit is one.
        Value::String(s) => match (unit(event, field), s.parse::<Pubkey>()) {
            (Some(u), _) => in_unit(u, s, fields, names),
            (None, Ok(key)) => names.name(&key).unwrap_or_else(|| short_key(s)),
            (None, Err(_)) => s.clone(),
        },
        Value::Number(n) => {
            let raw = n.to_string();
            match unit(event, field) {
                Some(u) => in_unit(u, &raw, fields, names),
                None => raw,
            }
        }
        Value::Null => "none".into(),
    }
}

fn short_key(s: &str) -> String {
    format!("{}…", &s[..8])
}

/// A decimal integer (of any JSON number or 128-bit string) in `unit`.
fn in_unit(unit: Unit, raw: &str, fields: &Value, names: &dyn Names) -> String {
    let Ok(v) = raw.parse::<i128>() else {
        return raw.to_string();
    };
    let holder = |field: &str| {
        fields[field]
            .as_str()
            .and_then(|s| s.parse::<Pubkey>().ok())
    };
    let f = v as f64;
    match unit {
        Unit::Raw => raw.to_string(),
        Unit::Token(side) => {
            let field = match side {
                Side::Bank(f) => f,
                Side::PoolCollateral | Side::PoolQuote => "pool",
                Side::VaultAsset | Side::VaultShares | Side::VaultOptions => "vault",
            };
            match holder(field).and_then(|k| names.token(&k, side)) {
                Some(t) => {
                    let amount = crate::tokens::format_amount(v.unsigned_abs() as u64, t.decimals);
                    let sign = if v < 0 { "-" } else { "" };
                    format!("{sign}{amount} {}", t.symbol)
                }
                None => raw.to_string(),
            }
        }
        Unit::Wad => trimmed(f / 1e18, 6),
        Unit::WadPercent => format!("{}%", trimmed(f / 1e16, 2)),
        Unit::WadQuote => {
            let sign = if v < 0 { "-" } else { "" };
            format!("{sign}${:.2}", (f / 1e18).abs())
        }
        Unit::FeedPrice => {
            let expo = fields["expo"]
                .as_i64()
                .map(|e| e as i32)
                .or_else(|| holder("feed").and_then(|k| names.feed_expo(&k)));
            match expo {
                Some(expo) => {
                    let sign = if v < 0 { "-" } else { "" };
                    let p = crate::fmt::price(v.unsigned_abs() as u64, expo);
                    format!("{sign}{p}")
                }
                None => raw.to_string(),
            }
        }
        Unit::Bps => format!("{}%", trimmed(f / 100.0, 2)),
        Unit::UnixTimeOrNever if v == 0 => "never".into(),
        Unit::UnixTime | Unit::UnixTimeOrNever => {
            format!("{} UTC", crate::fmt::utc(v as i64))
        }
        Unit::Seconds => format!("{v}s"),
        Unit::Named(name) => u64::try_from(v)
            .ok()
            .and_then(name)
            .unwrap_or_else(|| raw.to_string()),
    }
}

/// `x` with at most `places` decimals, trailing zeros dropped.
fn trimmed(x: f64, places: usize) -> String {
    let s = format!("{x:.places$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every numeric field of every event in the committed IDLs has a
    /// unit, so a new event cannot print raw integers by oversight.
    #[test]
    fn every_numeric_event_field_has_a_unit() {
        let mut missing = vec![];
        for (_, idl) in crate::idl::committed() {
            let types = idl["types"].as_array().cloned().unwrap_or_default();
            let fields_of = |name: &str| {
                types
                    .iter()
                    .find(|t| t["name"] == name)
                    .and_then(|t| t["type"]["fields"].as_array().cloned())
                    .unwrap_or_default()
            };
            for e in idl["events"].as_array().into_iter().flatten() {
                let event = e["name"].as_str().unwrap();
                let mut stack: Vec<(String, Value)> = fields_of(event)
                    .into_iter()
                    .map(|f| (f["name"].as_str().unwrap().to_string(), f["type"].clone()))
                    .collect();
                while let Some((path, ty)) = stack.pop() {
                    let inner = ty
                        .get("vec")
                        .or_else(|| ty.get("array").map(|a| &a[0]))
                        .cloned()
                        .unwrap_or(ty.clone());
                    if let Some(defined) = inner.get("defined") {
                        let name = defined.get("name").unwrap_or(defined).as_str().unwrap();
                        for f in fields_of(name) {
                            let p = format!("{path}.{}", f["name"].as_str().unwrap());
                            stack.push((p, f["type"].clone()));
                        }
                        continue;
                    }
                    let numeric = inner
                        .as_str()
                        .is_some_and(|p| p.starts_with('u') || p.starts_with('i'));
                    if numeric && unit(event, &path).is_none() {
                        missing.push(format!("{event}.{path}"));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "event fields without a unit: {missing:?}"
        );
    }

    struct Known {
        usdc: Pubkey,
        btc: Pubkey,
        feed: Pubkey,
    }

    impl Names for Known {
        fn name(&self, key: &Pubkey) -> Option<String> {
            [
                (self.usdc, "USDC"),
                (self.btc, "BTC"),
                (self.feed, "BTC/USD"),
            ]
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, n)| n.to_string())
        }
        fn token(&self, holder: &Pubkey, _: Side) -> Option<TokenUnit> {
            let (symbol, decimals) = match holder {
                k if *k == self.usdc => ("USDC", 6),
                k if *k == self.btc => ("BTC", 8),
                _ => return None,
            };
            Some(TokenUnit {
                symbol: symbol.into(),
                decimals,
            })
        }
        fn feed_expo(&self, feed: &Pubkey) -> Option<i32> {
            (*feed == self.feed).then_some(-8)
        }
    }

    #[test]
    fn a_liquidation_reads_in_tokens_dollars_and_percents() {
        let k = Known {
            usdc: Pubkey::new_unique(),
            btc: Pubkey::new_unique(),
            feed: Pubkey::new_unique(),
        };
        let account = Pubkey::new_unique();
        let e = Event {
            name: "margin::Liquidated".into(),
            fields: json!({
                "account": account.to_string(),
                "liability_bank": k.usdc.to_string(),
                "collateral_bank": k.btc.to_string(),
                "repaid": 1_500_250_000u64,
                "seized": 5_210_000u64,
                "fee": "50000000000000000",
                "maint_margin_before": "-12300000000000000000",
                "maint_ratio": "65000000000000000",
                "slots_liquidatable": 3,
            }),
        };
        let line = human_line(&e, &k);
        let a = account.to_string();
        assert!(line.contains(&format!("account={}…", &a[..8])), "{line}");
        assert!(line.contains("liability_bank=USDC"), "{line}");
        assert!(line.contains("repaid=1500.25 USDC"), "{line}");
        assert!(line.contains("seized=0.0521 BTC"), "{line}");
        assert!(line.contains("fee=5%"), "{line}");
        assert!(line.contains("maint_margin_before=-$12.30"), "{line}");
        assert!(line.contains("maint_ratio=6.5%"), "{line}");
        assert!(line.contains("slots_liquidatable=3"), "{line}");
        // Without a deployment the tokens stay in base units.
        assert!(human_line(&e, &()).contains("repaid=1500250000 "));
    }

    #[test]
    fn prices_times_and_codes_read_as_an_operator_says_them() {
        let k = Known {
            usdc: Pubkey::new_unique(),
            btc: Pubkey::new_unique(),
            feed: Pubkey::new_unique(),
        };
        let refreshed = Event {
            name: "pricing::FeedRefreshed".into(),
            fields: json!({
                "feed": k.feed.to_string(), "price": 3_000_012_345_678u64, "expo": -8,
                "vol_annual_bps": 4_250, "status": 1, "unix_ts": 1_678_406_400i64,
            }),
        };
        let line = human_line(&refreshed, &k);
        assert!(line.contains("feed=BTC/USD"), "{line}");
        assert!(line.contains("price=30000.12"), "{line}");
        assert!(line.contains("vol_annual_bps=42.5%"), "{line}");
        assert!(line.contains("status=Restricted"), "{line}");
        assert!(line.contains("unix_ts=2023-03-10 00:00 UTC"), "{line}");
        // An event without `expo` takes its feed's.
        let tripped = Event {
            name: "pricing::BreakerTripped".into(),
            fields: json!({"feed": k.feed.to_string(), "reason": 1, "candidate_price": 2_000_000_000_000u64}),
        };
        let line = human_line(&tripped, &k);
        assert!(line.contains("reason=PriceJump"), "{line}");
        assert!(line.contains("candidate_price=20000.00"), "{line}");
        let status = Event {
            name: "margin::MarginStatusChanged".into(),
            fields: json!({"status": 1, "expires_at": 0}),
        };
        let line = human_line(&status, &k);
        assert!(
            line.contains("expires_at=never status=ReduceOnly"),
            "{line}"
        );
    }

    #[test]
    fn a_backstop_fill_reads_band_by_band() {
        struct Pool(Pubkey);
        impl Names for Pool {
            fn name(&self, _: &Pubkey) -> Option<String> {
                None
            }
            fn token(&self, holder: &Pubkey, side: Side) -> Option<TokenUnit> {
                (*holder == self.0).then(|| match side {
                    Side::PoolQuote => TokenUnit {
                        symbol: "USDC".into(),
                        decimals: 6,
                    },
                    _ => TokenUnit {
                        symbol: "BTC".into(),
                        decimals: 8,
                    },
                })
            }
            fn feed_expo(&self, _: &Pubkey) -> Option<i32> {
                None
            }
        }
        let pool = Pubkey::new_unique();
        let e = Event {
            name: "backstop::Absorbed".into(),
            fields: json!({
                "pool": pool.to_string(),
                "quote_out": 2_000_000_000u64,
                "fills": [{"band": 0, "discount_bps": 50, "quote": 2_000_000_000u64, "collateral": 7_000_000u64}],
            }),
        };
        let line = human_line(&e, &Pool(pool));
        assert!(line.contains("quote_out=2000 USDC"), "{line}");
        assert!(
            line.contains("fills=[{band=0 collateral=0.07 BTC discount_bps=0.5% quote=2000 USDC}]"),
            "{line}"
        );
    }
}
