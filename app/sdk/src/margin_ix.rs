//! Typed builders for every margin instruction, from the program's own
//! Anchor `accounts` and `instruction` types.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::solana_program::{system_program, sysvar};
use anchor_lang::{InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use margin::accounts as acc;
use margin::instruction as ix;
use margin::state::{
    AgentEvidence, AgentLeashes, BankParams, GovernanceParams, GuardianSet, Leash,
    LiquidationParams, MarginStatus, ValidatorSet,
};

use crate::pda;

/// One position's accounts for the program's health checks: its bank, the
/// bank's feed and, for a bank of vault shares, the vault and its feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthEntry {
    pub bank: Pubkey,
    pub feed: Pubkey,
    pub share_vault: Option<ShareVault>,
}

/// A share bank's vault and the vault's own feed (its underlying), whose
/// spot tells the program whether the vault's Greeks mark is still fresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShareVault {
    pub vault: Pubkey,
    pub feed: Pubkey,
}

impl From<(Pubkey, Pubkey)> for HealthEntry {
    fn from((bank, feed): (Pubkey, Pubkey)) -> Self {
        HealthEntry {
            bank,
            feed,
            share_vault: None,
        }
    }
}

/// Read-only `[bank, feed(, vault, vault feed)]` entries for the program's health checks.
fn health_metas(entries: &[HealthEntry]) -> impl Iterator<Item = AccountMeta> + '_ {
    entries.iter().flat_map(|e| {
        let (vault, vault_feed) = e.share_vault.map(|s| (s.vault, s.feed)).unzip();
        [Some(e.bank), Some(e.feed), vault, vault_feed]
            .into_iter()
            .flatten()
            .map(|key| AccountMeta::new_readonly(key, false))
    })
}

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: margin::ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

pub fn init_margin(
    payer: Pubkey,
    governance: Pubkey,
    liquidation: LiquidationParams,
    rules: GovernanceParams,
) -> Instruction {
    build(
        acc::InitMargin {
            protocol: pda::protocol(),
            governance,
            config: pda::margin::config(),
            payer,
            system_program: system_program::ID,
        },
        ix::InitMargin {
            liquidation,
            governance: rules,
        },
    )
}

fn govern_bank(governance: Pubkey, mint: Pubkey) -> acc::GovernBank {
    acc::GovernBank {
        gov: acc::MarginGovernance {
            config: pda::margin::config(),
            protocol: pda::protocol(),
            governance,
        },
        bank: pda::margin::bank(&mint),
    }
}

pub fn queue_bank_params(governance: Pubkey, mint: Pubkey, params: BankParams) -> Instruction {
    build(
        govern_bank(governance, mint),
        ix::QueueBankParams { params },
    )
}

pub fn cancel_bank_params(governance: Pubkey, mint: Pubkey) -> Instruction {
    build(govern_bank(governance, mint), ix::CancelBankParams {})
}

pub fn apply_bank_params(mint: Pubkey) -> Instruction {
    build(
        acc::ApplyBankParams {
            bank: pda::margin::bank(&mint),
        },
        ix::ApplyBankParams {},
    )
}

/// Accrue `mint`'s bank to now and sweep the fund's interest to the
/// insurance vault (permissionless, needs no price).
pub fn accrue(mint: Pubkey) -> Instruction {
    let bank = pda::margin::bank(&mint);
    build(
        acc::Accrue {
            bank,
            vault: pda::margin::vault(&bank),
            insurance_vault: pda::margin::insurance(&bank),
            token_program: spl_token::ID,
        },
        ix::Accrue {},
    )
}

fn agent_move_bank(risk_agent: Pubkey, mint: Pubkey) -> acc::AgentMoveBank {
    acc::AgentMoveBank {
        config: pda::margin::config(),
        risk_agent,
        bank: pda::margin::bank(&mint),
    }
}

pub fn agent_set_maint_base(
    risk_agent: Pubkey,
    mint: Pubkey,
    base: u64,
    evidence: AgentEvidence,
) -> Instruction {
    build(
        agent_move_bank(risk_agent, mint),
        ix::AgentSetMaintBase { base, evidence },
    )
}

/// The shares (WAD) of governance's deposit and borrow caps the agent
/// holds back at the bank of `mint`.
pub fn agent_set_caps(
    risk_agent: Pubkey,
    mint: Pubkey,
    (deposit_cut, borrow_cut): (u64, u64),
    evidence: AgentEvidence,
) -> Instruction {
    build(
        agent_move_bank(risk_agent, mint),
        ix::AgentSetCaps {
            deposit_cut,
            borrow_cut,
            evidence,
        },
    )
}

pub fn agent_set_fee_ramp(
    risk_agent: Pubkey,
    fee_per_slot: u64,
    evidence: AgentEvidence,
) -> Instruction {
    build(
        acc::AgentSetFeeRamp {
            config: pda::margin::config(),
            risk_agent,
        },
        ix::AgentSetFeeRamp {
            fee_per_slot,
            evidence,
        },
    )
}

pub fn create_bank(
    payer: Pubkey,
    governance: Pubkey,
    mint: Pubkey,
    feed: Pubkey,
    params: BankParams,
) -> Instruction {
    create_bank_of(payer, governance, mint, feed, None, params)
}

/// A bank of option-vault shares: `mint` is `share_vault`'s share mint and
/// `feed` the feed of the vault's asset.
pub fn create_share_bank(
    payer: Pubkey,
    governance: Pubkey,
    share_vault: Pubkey,
    feed: Pubkey,
    params: BankParams,
) -> Instruction {
    let mint = pda::vault::share_mint(&share_vault);
    create_bank_of(payer, governance, mint, feed, Some(share_vault), params)
}

fn create_bank_of(
    payer: Pubkey,
    governance: Pubkey,
    mint: Pubkey,
    feed: Pubkey,
    share_vault: Option<Pubkey>,
    params: BankParams,
) -> Instruction {
    let bank = pda::margin::bank(&mint);
    build(
        acc::CreateBank {
            gov: acc::MarginGovernance {
                config: pda::margin::config(),
                protocol: pda::protocol(),
                governance,
            },
            mint,
            bank,
            vault: pda::margin::vault(&bank),
            insurance_vault: pda::margin::insurance(&bank),
            feed,
            share_vault,
            payer,
            token_program: spl_token::ID,
            system_program: system_program::ID,
            rent: sysvar::rent::ID,
        },
        ix::CreateBank { params },
    )
}

pub fn open_account(owner: Pubkey, index: u8) -> Instruction {
    build(
        acc::OpenAccount {
            account: pda::margin::account(&owner, index),
            owner,
            system_program: system_program::ID,
        },
        ix::OpenAccount { index },
    )
}

/// The balance actions share their accounts.
pub struct Flow {
    pub owner: Pubkey,
    pub account_index: u8,
    pub mint: Pubkey,
    pub user_token: Pubkey,
    /// Every active position after the action, for health checks.
    pub health: Vec<HealthEntry>,
}

impl Flow {
    fn accounts(&self) -> Vec<AccountMeta> {
        let bank = pda::margin::bank(&self.mint);
        let mut metas = acc::TokenFlow {
            config: pda::margin::config(),
            account: pda::margin::account(&self.owner, self.account_index),
            owner: self.owner,
            bank,
            vault: pda::margin::vault(&bank),
            user_token: self.user_token,
            token_program: spl_token::ID,
        }
        .to_account_metas(None);
        metas.extend(health_metas(&self.health));
        metas
    }

    fn instruction(&self, data: impl InstructionData) -> Instruction {
        Instruction {
            program_id: margin::ID,
            accounts: self.accounts(),
            data: data.data(),
        }
    }

    pub fn deposit(&self, amount: u64) -> Instruction {
        self.instruction(ix::Deposit { amount })
    }

    pub fn withdraw(&self, amount: u64) -> Instruction {
        self.instruction(ix::Withdraw { amount })
    }

    pub fn borrow(&self, amount: u64) -> Instruction {
        self.instruction(ix::Borrow { amount })
    }

    pub fn repay(&self, amount: u64) -> Instruction {
        self.instruction(ix::Repay { amount })
    }
}

pub fn update_risk(mint: Pubkey, feed: Pubkey) -> Instruction {
    build(
        acc::UpdateRisk {
            bank: pda::margin::bank(&mint),
            feed,
        },
        ix::UpdateRisk {},
    )
}

/// A liquidation of `account`: repay its debt in `liability_mint` from the
/// liquidator's token account, take collateral in `collateral_mint`.
pub struct LiquidationAccounts {
    pub liquidator: Pubkey,
    pub account: Pubkey,
    pub liability_mint: Pubkey,
    pub collateral_mint: Pubkey,
    pub liquidator_liability_token: Pubkey,
    pub liquidator_collateral_token: Pubkey,
    /// Every active position of the account, for health checks.
    pub health: Vec<HealthEntry>,
    /// The approved proposal, for large liquidations.
    pub proposal: Option<Pubkey>,
    /// Its proposer, who gets the rent back when the liquidation closes it
    /// (None: the liquidator proposed it).
    pub proposer: Option<Pubkey>,
    /// The backstop pool's feed (its collateral priced in the liability
    /// token), for `liquidate_with_backstop`; unused by the others.
    pub backstop_feed: Pubkey,
}

impl LiquidationAccounts {
    fn banks(&self) -> (Pubkey, Pubkey) {
        (
            pda::margin::bank(&self.liability_mint),
            pda::margin::bank(&self.collateral_mint),
        )
    }

    /// The proposal PDA for this account and bank pair.
    pub fn proposal_address(&self) -> Pubkey {
        let (liability, collateral) = self.banks();
        pda::margin::proposal(&self.account, &liability, &collateral)
    }

    fn with_health(&self, mut ix: Instruction) -> Instruction {
        ix.accounts.extend(health_metas(&self.health));
        ix
    }

    /// The two banks with their vaults.
    fn bank_pair(&self) -> acc::BankPair {
        let (liability_bank, collateral_bank) = self.banks();
        acc::BankPair {
            liability_bank,
            liability_vault: pda::margin::vault(&liability_bank),
            collateral_bank,
            collateral_vault: pda::margin::vault(&collateral_bank),
        }
    }

    /// The banks, vaults and the liquidator's (or settler's) token accounts.
    fn pair(&self) -> acc::DebtForCollateral {
        acc::DebtForCollateral {
            banks: self.bank_pair(),
            liability_token: self.liquidator_liability_token,
            collateral_token: self.liquidator_collateral_token,
        }
    }
}

pub fn liquidate(l: &LiquidationAccounts) -> Instruction {
    let (_, collateral_bank) = l.banks();
    l.with_health(build(
        acc::Liquidate {
            config: pda::margin::config(),
            liquidator: l.liquidator,
            account: l.account,
            pair: l.pair(),
            insurance_vault: pda::margin::insurance(&collateral_bank),
            proposal: l.proposal,
            proposer: l.proposal.map(|_| l.proposer.unwrap_or(l.liquidator)),
            token_program: spl_token::ID,
        },
        ix::Liquidate {},
    ))
}

/// Liquidate `l.account` by selling its collateral into the backstop pool
/// of (collateral, liability) mints; `l.liquidator` is the keeper that
/// triggers it (its token accounts are not used).
pub fn liquidate_with_backstop(l: &LiquidationAccounts) -> Instruction {
    let pool = pda::backstop::pool(&l.collateral_mint, &l.liability_mint);
    let authority = pda::margin::backstop_authority();
    l.with_health(build(
        acc::LiquidateWithBackstop {
            config: pda::margin::config(),
            keeper: l.liquidator,
            account: l.account,
            banks: l.bank_pair(),
            pool,
            pool_feed: l.backstop_feed,
            consumer: pda::backstop::consumer(&pool, &authority),
            backstop_authority: authority,
            pool_quote_vault: pda::backstop::quote_vault(&pool),
            pool_collateral_vault: pda::backstop::collateral_vault(&pool),
            proposal: l.proposal,
            proposer: l.proposal.map(|_| l.proposer.unwrap_or(l.liquidator)),
            backstop_program: backstop::ID,
            token_program: spl_token::ID,
        },
        ix::LiquidateWithBackstop {},
    ))
}

/// Lock withdrawals from the backstop pool ahead of `l`'s approved large liquidation.
pub fn lock_backstop(l: &LiquidationAccounts) -> Instruction {
    let (liability_bank, collateral_bank) = l.banks();
    let pool = pda::backstop::pool(&l.collateral_mint, &l.liability_mint);
    let authority = pda::margin::backstop_authority();
    build(
        acc::LockBackstop {
            config: pda::margin::config(),
            proposal: l.proposal_address(),
            liability_bank,
            collateral_bank,
            pool,
            consumer: pda::backstop::consumer(&pool, &authority),
            backstop_authority: authority,
            backstop_program: backstop::ID,
        },
        ix::LockBackstop {},
    )
}

/// Propose the liquidation described by `l` (its liquidator proposes).
pub fn propose_liquidation(l: &LiquidationAccounts) -> Instruction {
    let (liability_bank, collateral_bank) = l.banks();
    l.with_health(build(
        acc::ProposeLiquidation {
            config: pda::margin::config(),
            proposer: l.liquidator,
            account: l.account,
            liability_bank,
            collateral_bank,
            proposal: l.proposal_address(),
            system_program: system_program::ID,
        },
        ix::ProposeLiquidation {},
    ))
}

/// Close an expired proposal (rent back to `proposer`).
pub fn close_expired_proposal(proposal: Pubkey, proposer: Pubkey) -> Instruction {
    build(
        acc::CloseExpiredProposal { proposal, proposer },
        ix::CloseExpiredProposal {},
    )
}

pub fn approve_liquidation(validator: Pubkey, proposal: Pubkey) -> Instruction {
    build(
        acc::ApproveLiquidation {
            config: pda::margin::config(),
            validator,
            proposal,
        },
        ix::ApproveLiquidation {},
    )
}

pub fn set_validators(governance: Pubkey, validators: ValidatorSet) -> Instruction {
    build(
        acc::SetValidators {
            config: pda::margin::config(),
            protocol: pda::protocol(),
            governance,
        },
        ix::SetValidators { validators },
    )
}

fn govern_config(governance: Pubkey) -> acc::GovernConfig {
    acc::GovernConfig {
        config: pda::margin::config(),
        protocol: pda::protocol(),
        governance,
    }
}

pub fn set_margin_status(governance: Pubkey, status: MarginStatus) -> Instruction {
    build(govern_config(governance), ix::SetMarginStatus { status })
}

pub fn set_agent_leashes(
    governance: Pubkey,
    risk_agent: Pubkey,
    base: Leash,
    leashes: AgentLeashes,
) -> Instruction {
    build(
        govern_config(governance),
        ix::SetAgentLeashes {
            risk_agent,
            base,
            leashes,
        },
    )
}

pub fn set_guardians(governance: Pubkey, guardians: GuardianSet) -> Instruction {
    build(govern_config(governance), ix::SetGuardians { guardians })
}

/// Guardians co-sign: pass every signing guardian.
pub fn guardian_set_status(
    guardians: &[Pubkey],
    status: MarginStatus,
    duration_secs: u32,
) -> Instruction {
    let mut ix = build(
        acc::GuardianSetStatus {
            config: pda::margin::config(),
        },
        ix::GuardianSetStatus {
            status,
            duration_secs,
        },
    );
    ix.accounts.extend(
        guardians
            .iter()
            .map(|g| AccountMeta::new_readonly(*g, true)),
    );
    ix
}

/// Write off `account`'s debt in `mint`'s bank (it must hold no collateral
/// worth anything). `share_banks`: the banks in which the account still
/// holds shares (worth 0 tokens), which the program reads to see it.
pub fn write_off_bad_debt(account: Pubkey, mint: Pubkey, share_banks: &[Pubkey]) -> Instruction {
    let bank = pda::margin::bank(&mint);
    let mut ix = build(
        acc::WriteOffBadDebt {
            account,
            bank,
            vault: pda::margin::vault(&bank),
            insurance_vault: pda::margin::insurance(&bank),
            token_program: spl_token::ID,
        },
        ix::WriteOffBadDebt {},
    );
    ix.accounts.extend(
        share_banks
            .iter()
            .map(|b| AccountMeta::new_readonly(*b, false)),
    );
    ix
}

/// Under Shutdown: fix `mint`'s bank settlement price from its feed's last
/// valid TWAP (times the vault's NAV per share for a bank of vault shares).
pub fn fix_settlement_price(
    mint: Pubkey,
    feed: Pubkey,
    share_vault: Option<ShareVault>,
) -> Instruction {
    build(
        acc::FixSettlementPrice {
            config: pda::margin::config(),
            bank: pda::margin::bank(&mint),
            feed,
            share_vault: share_vault.map(|s| s.vault),
            share_vault_feed: share_vault.map(|s| s.feed),
        },
        ix::FixSettlementPrice {},
    )
}

/// Under Shutdown: settle the position described by `l` at the fixed
/// prices, its liquidator acting as settler (health pairs and proposal are
/// not used).
pub fn settle_position(l: &LiquidationAccounts) -> Instruction {
    build(
        acc::SettlePosition {
            config: pda::margin::config(),
            settler: l.liquidator,
            account: l.account,
            pair: l.pair(),
            token_program: spl_token::ID,
        },
        ix::SettlePosition {},
    )
}
