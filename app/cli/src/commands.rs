//! The CLI's per-program subcommands and what each runs.

use clap::Subcommand;
use margin::state::MarginStatus;
use rampart::actions::gov::{BankChange, Target};
use rampart::actions::margin::Action;
use rampart::actions::{self, Output};
use rampart_client::transport::Transport;
use solana_sdk::pubkey::Pubkey;

#[derive(Subcommand)]
pub enum PricingCommand {
    /// Refresh feeds from their sources (all, or --feed).
    Refresh {
        #[arg(long)]
        feed: Option<String>,
    },
    /// Price, confidence, TWAP, volatility and breaker of every feed (or --feed).
    Status {
        #[arg(long)]
        feed: Option<String>,
    },
    /// A feed's TWAP observations.
    History {
        #[arg(long)]
        feed: String,
        #[arg(long, default_value_t = 20)]
        last: usize,
    },
    /// Write a price to the feed's manual sources (this wallet must be their writer).
    Push {
        #[arg(long)]
        feed: String,
        /// Price in units, e.g. 30000.5.
        #[arg(long)]
        price: String,
        /// Confidence interval, bps of the price.
        #[arg(long, default_value_t = 5)]
        conf_bps: u64,
    },
}

#[derive(Subcommand)]
pub enum MarginCommand {
    /// Open a margin account.
    Open {
        #[arg(long, default_value_t = 0)]
        index: u8,
    },
    /// Deposit tokens from the wallet.
    Deposit(Flow),
    /// Withdraw tokens to the wallet.
    Withdraw(Flow),
    /// Borrow tokens to the wallet.
    Borrow(Flow),
    /// Repay debt from the wallet.
    Repay(Flow),
    /// Positions and maintenance margin (this wallet's, or --owner's).
    Health {
        #[arg(long)]
        owner: Option<Pubkey>,
        #[arg(long, default_value_t = 0)]
        index: u8,
    },
    /// What the account can still do and where it breaks: free collateral,
    /// initial and maintenance requirements, the most it can borrow or
    /// withdraw of each token, and the liquidation price of each feed it is
    /// exposed to (this wallet's, or --owner's); a warning when a feed no
    /// longer serves.
    Risk {
        #[arg(long)]
        owner: Option<Pubkey>,
        #[arg(long, default_value_t = 0)]
        index: u8,
    },
    /// Every bank: deposits, borrows, utilisation, borrow and supply APY,
    /// the insurance fund's interest.
    Banks,
    /// Accrue a bank's interest to now and sweep the fund's part to the
    /// insurance vault (permissionless; all banks, or --token).
    Accrue {
        #[arg(long)]
        token: Option<String>,
    },
    /// Liquidate an unhealthy account (large ones: propose, then execute once approved).
    Liquidate {
        #[arg(long)]
        owner: Pubkey,
        #[arg(long, default_value_t = 0)]
        index: u8,
    },
    /// Under Shutdown: fix every bank's settlement price from its feed's
    /// last valid TWAP (permissionless; the keeper does it too).
    FixPrices,
    /// Under Shutdown: settle an account's debts against its collateral at
    /// the fixed prices; this wallet pays the debt and takes the collateral.
    Settle {
        #[arg(long)]
        owner: Pubkey,
        #[arg(long, default_value_t = 0)]
        index: u8,
    },
    /// Write off an account's debt that no collateral backs any more: the
    /// bank's insurance fund pays first, its lenders share the rest.
    WriteOff {
        #[arg(long)]
        owner: Pubkey,
        #[arg(long, default_value_t = 0)]
        index: u8,
    },
}

#[derive(clap::Args)]
pub struct Flow {
    /// Token symbol (BTC, USDC).
    #[arg(long)]
    token: String,
    /// Amount in whole tokens, e.g. 0.5; `max` withdraws or repays all of it.
    #[arg(long)]
    amount: String,
    #[arg(long, default_value_t = 0)]
    index: u8,
}

#[derive(Subcommand)]
pub enum VaultCommand {
    /// Every vault: round, phase, assets, expiry.
    Status,
    /// Queue a deposit for the next epoch.
    Deposit {
        #[arg(long)]
        vault: String,
        #[arg(long)]
        amount: String,
    },
    /// Request a withdrawal of --shares, or complete a processed one.
    Withdraw {
        #[arg(long)]
        vault: String,
        #[arg(long)]
        shares: Option<String>,
    },
    /// Move the shares a processed deposit bought into the wallet (to hold,
    /// move or deposit as margin collateral).
    Redeem {
        #[arg(long)]
        vault: String,
    },
    /// Cancel (part of) a queued deposit.
    Cancel {
        #[arg(long)]
        vault: String,
        #[arg(long)]
        amount: String,
    },
    /// Process the settled round and start the next epoch.
    Roll {
        #[arg(long)]
        vault: String,
    },
    /// Refresh and show the trading round's Greeks.
    Greeks {
        #[arg(long)]
        vault: String,
    },
    /// Buy options of the round on sale, paying the premium in the
    /// vault's asset (BTC for calls, USDC for puts).
    Buy {
        #[arg(long)]
        vault: String,
        /// Options, in underlying units (0.1: options on 0.1 BTC).
        #[arg(long)]
        amount: String,
        /// Most premium to pay, in the vault's asset; the program refuses a dearer fill.
        #[arg(long)]
        max_premium: String,
    },
    /// Burn the wallet's options of settled rounds for their payoff.
    Exercise {
        #[arg(long)]
        vault: String,
    },
    /// Settle the expired round at its TWAP; with --price, as governance
    /// (only after the grace period, when no TWAP covers the window).
    Settle {
        #[arg(long)]
        vault: String,
        /// Settlement price in USD (governance keypair; the program refuses
        /// it before the grace period ends).
        #[arg(long)]
        price: Option<String>,
    },
}

/// A backstop pool, as an LP.
#[derive(Subcommand)]
pub enum PoolCommand {
    /// Every band of the pool (liquidity, collateral bought, stakes) and
    /// what this wallet's (or --owner's) stakes own.
    Status {
        /// The pool, `COLLATERAL/QUOTE` (default: the only one deployed).
        #[arg(long)]
        pool: Option<String>,
        #[arg(long)]
        owner: Option<Pubkey>,
    },
    /// Put quote tokens (USDC) in a band: they buy liquidated collateral
    /// at the band's discount under the oracle.
    Deposit {
        #[arg(long)]
        pool: Option<String>,
        /// 0 (the smallest discount) to 5.
        #[arg(long)]
        band: u8,
        /// Whole tokens, e.g. 10000.
        #[arg(long)]
        amount: String,
    },
    /// Take quote tokens out of a band (`max`: all the stake owns), with
    /// the collateral it bought.
    Withdraw {
        #[arg(long)]
        pool: Option<String>,
        #[arg(long)]
        band: u8,
        #[arg(long)]
        amount: String,
    },
    /// Collect the collateral every band of yours bought, leaving the quote in.
    Claim {
        #[arg(long)]
        pool: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum GovCommand {
    /// Queue a timelocked change of a bank's parameters.
    Propose {
        #[arg(long)]
        token: String,
        /// Whole tokens.
        #[arg(long)]
        deposit_cap: Option<String>,
        #[arg(long)]
        borrow_cap: Option<String>,
        #[arg(long)]
        maint_base_bps: Option<u64>,
        /// Interest curve, bps a year: rate at 0% utilisation, added up to
        /// the optimum, added from the optimum to 100%, and the cap.
        #[arg(long)]
        base_rate_bps: Option<u64>,
        #[arg(long)]
        slope_low_bps: Option<u64>,
        #[arg(long)]
        slope_high_bps: Option<u64>,
        #[arg(long)]
        max_rate_bps: Option<u64>,
        /// Utilisation where the steep slope starts, bps.
        #[arg(long)]
        optimal_utilization_bps: Option<u64>,
        /// Share of interest to the insurance fund, bps.
        #[arg(long)]
        protocol_fee_bps: Option<u64>,
    },
    /// Approve a large-liquidation proposal (as a validator).
    Approve { proposal: Pubkey },
    /// Apply a bank's queued change after its timelock.
    Execute {
        #[arg(long)]
        token: String,
    },
    /// Halt a feed (--feed), or put margin in reduce-only.
    Halt {
        #[arg(long)]
        feed: Option<String>,
    },
    /// Resume a feed (--feed), or margin.
    Resume {
        #[arg(long)]
        feed: Option<String>,
    },
    /// Emergency shutdown of margin: positions settle at fixed prices.
    Shutdown,
    /// Guardians: pause margin now, without the timelock, M of N signing
    /// (this wallet and each --cosigner), for at most the guardians'
    /// maximum; the pause lapses by itself.
    Pause {
        /// `reduce-only` (no new risk) or `shutdown`.
        #[arg(long, default_value = "reduce-only")]
        status: String,
        /// How long, seconds.
        #[arg(long)]
        secs: u32,
        /// Another guardian's keypair file (repeatable).
        #[arg(long)]
        cosigner: Vec<std::path::PathBuf>,
    },
    /// Guardians: lift their pause (M of N again).
    Unpause {
        #[arg(long)]
        cosigner: Vec<std::path::PathBuf>,
    },
}

pub async fn pricing(t: &mut dyn Transport, c: PricingCommand) -> anyhow::Result<Output> {
    match c {
        PricingCommand::Refresh { feed } => actions::pricing::refresh(t, feed.as_deref()).await,
        PricingCommand::Status { feed } => actions::pricing::status(t, feed.as_deref()).await,
        PricingCommand::History { feed, last } => actions::pricing::history(t, &feed, last).await,
        PricingCommand::Push {
            feed,
            price,
            conf_bps,
        } => actions::pricing::push(t, &feed, &price, conf_bps).await,
    }
}

pub async fn margin(t: &mut dyn Transport, c: MarginCommand) -> anyhow::Result<Output> {
    let flow = |action, f: Flow| (action, f);
    let (action, f) = match c {
        MarginCommand::Open { index } => return actions::margin::open(t, index).await,
        MarginCommand::Health { owner, index } => {
            return actions::margin::health(t, owner, index).await
        }
        MarginCommand::Liquidate { owner, index } => {
            return actions::margin::liquidate(t, owner, index).await
        }
        MarginCommand::Banks => return actions::margin::banks(t).await,
        MarginCommand::Risk { owner, index } => {
            return actions::margin::risk(t, owner, index).await
        }
        MarginCommand::FixPrices => return actions::margin::fix_prices(t).await,
        MarginCommand::Settle { owner, index } => {
            return actions::margin::settle(t, owner, index).await
        }
        MarginCommand::WriteOff { owner, index } => {
            return actions::margin::write_off(t, owner, index).await
        }
        MarginCommand::Accrue { token } => {
            return actions::margin::accrue(t, token.as_deref()).await
        }
        MarginCommand::Deposit(f) => flow(Action::Deposit, f),
        MarginCommand::Withdraw(f) => flow(Action::Withdraw, f),
        MarginCommand::Borrow(f) => flow(Action::Borrow, f),
        MarginCommand::Repay(f) => flow(Action::Repay, f),
    };
    actions::margin::flow(t, action, &f.token, &f.amount, f.index).await
}

pub async fn vault(t: &mut dyn Transport, c: VaultCommand) -> anyhow::Result<Output> {
    use actions::vault as v;
    match c {
        VaultCommand::Status => v::status(t).await,
        VaultCommand::Deposit { vault, amount } => v::deposit(t, &vault, &amount).await,
        VaultCommand::Withdraw { vault, shares } => v::withdraw(t, &vault, shares.as_deref()).await,
        VaultCommand::Redeem { vault } => v::redeem(t, &vault).await,
        VaultCommand::Cancel { vault, amount } => v::cancel(t, &vault, &amount).await,
        VaultCommand::Roll { vault } => v::roll(t, &vault).await,
        VaultCommand::Greeks { vault } => v::greeks(t, &vault).await,
        VaultCommand::Settle { vault, price } => v::settle(t, &vault, price.as_deref()).await,
        VaultCommand::Buy {
            vault,
            amount,
            max_premium,
        } => v::buy(t, &vault, &amount, &max_premium).await,
        VaultCommand::Exercise { vault } => v::exercise(t, &vault).await,
    }
}

fn keypairs(files: &[std::path::PathBuf]) -> anyhow::Result<Vec<solana_sdk::signature::Keypair>> {
    files
        .iter()
        .map(|f| rampart_client::transport::wallet::read_keypair(f))
        .collect()
}

pub async fn gov(t: &mut dyn Transport, c: GovCommand) -> anyhow::Result<Output> {
    use actions::gov as g;
    let target = |feed: Option<String>| feed.map_or(Target::Margin, Target::Feed);
    match c {
        GovCommand::Propose {
            token,
            deposit_cap,
            borrow_cap,
            maint_base_bps,
            base_rate_bps,
            slope_low_bps,
            slope_high_bps,
            max_rate_bps,
            optimal_utilization_bps,
            protocol_fee_bps,
        } => {
            let change = BankChange {
                deposit_cap,
                borrow_cap,
                maint_base_bps,
                base_rate_bps,
                slope_low_bps,
                slope_high_bps,
                max_rate_bps,
                optimal_utilization_bps,
                protocol_fee_bps,
            };
            g::propose(t, &token, &change).await
        }
        GovCommand::Approve { proposal } => g::approve(t, proposal).await,
        GovCommand::Execute { token } => g::execute(t, &token).await,
        GovCommand::Halt { feed } => g::set(t, &target(feed), false).await,
        GovCommand::Resume { feed } => g::set(t, &target(feed), true).await,
        GovCommand::Shutdown => g::shutdown(t).await,
        GovCommand::Pause {
            status,
            secs,
            cosigner,
        } => {
            let status = match status.as_str() {
                "reduce-only" => MarginStatus::ReduceOnly,
                "shutdown" => MarginStatus::Shutdown,
                other => anyhow::bail!("--status {other}: use reduce-only or shutdown"),
            };
            g::guardian_status(t, status, secs, &keypairs(&cosigner)?).await
        }
        GovCommand::Unpause { cosigner } => {
            g::guardian_status(t, MarginStatus::Active, 0, &keypairs(&cosigner)?).await
        }
    }
}

pub async fn backstop(t: &mut dyn Transport, c: PoolCommand) -> anyhow::Result<Output> {
    use actions::backstop as b;
    match c {
        PoolCommand::Status { pool, owner } => b::status(t, pool.as_deref(), owner).await,
        PoolCommand::Deposit { pool, band, amount } => {
            b::deposit(t, pool.as_deref(), band, &amount).await
        }
        PoolCommand::Withdraw { pool, band, amount } => {
            b::withdraw(t, pool.as_deref(), band, &amount).await
        }
        PoolCommand::Claim { pool } => b::claim(t, pool.as_deref()).await,
    }
}
