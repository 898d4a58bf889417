//! Typed builders for every backstop instruction, from the program's own
//! Anchor `accounts` and `instruction` types.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::system_program;
use anchor_lang::{InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use backstop::accounts as acc;
use backstop::instruction as ix;
use backstop::state::{ConsumerLimits, PoolParams};

use crate::pda;

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: backstop::ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

/// One pool's addresses, from which every instruction is built.
#[derive(Debug, Clone, Copy)]
pub struct PoolRef {
    pub pool: Pubkey,
    pub collateral_mint: Pubkey,
    pub quote_mint: Pubkey,
    pub feed: Pubkey,
}

/// An LP's token accounts.
#[derive(Debug, Clone, Copy)]
pub struct Lp {
    pub owner: Pubkey,
    pub quote: Pubkey,
    pub collateral: Pubkey,
}

/// A seller's side of an absorb: the consumer authority, the owner of the
/// collateral account, and its token accounts.
#[derive(Debug, Clone, Copy)]
pub struct Seller {
    pub authority: Pubkey,
    pub owner: Pubkey,
    pub collateral: Pubkey,
    pub quote: Pubkey,
}

impl PoolRef {
    pub fn new(collateral_mint: Pubkey, quote_mint: Pubkey, feed: Pubkey) -> PoolRef {
        PoolRef {
            pool: pda::backstop::pool(&collateral_mint, &quote_mint),
            collateral_mint,
            quote_mint,
            feed,
        }
    }

    pub fn quote_vault(&self) -> Pubkey {
        pda::backstop::quote_vault(&self.pool)
    }

    pub fn collateral_vault(&self) -> Pubkey {
        pda::backstop::collateral_vault(&self.pool)
    }

    pub fn stake(&self, band: u8, owner: &Pubkey) -> Pubkey {
        pda::backstop::stake(&self.pool, band, owner)
    }

    pub fn consumer(&self, authority: &Pubkey) -> Pubkey {
        pda::backstop::consumer(&self.pool, authority)
    }

    fn governance(&self, governance: Pubkey) -> acc::BackstopGovernance {
        acc::BackstopGovernance {
            protocol: pda::protocol(),
            governance,
        }
    }

    pub fn create(
        &self,
        governance: Pubkey,
        payer: Pubkey,
        discounts_bps: Vec<u16>,
        params: PoolParams,
    ) -> Instruction {
        build(
            acc::CreatePool {
                gov: self.governance(governance),
                collateral_mint: self.collateral_mint,
                quote_mint: self.quote_mint,
                pool: self.pool,
                collateral_vault: self.collateral_vault(),
                quote_vault: self.quote_vault(),
                feed: self.feed,
                payer,
                token_program: spl_token::ID,
                system_program: system_program::ID,
            },
            ix::CreatePool {
                discounts_bps,
                params,
            },
        )
    }

    pub fn register_consumer(
        &self,
        governance: Pubkey,
        payer: Pubkey,
        authority: Pubkey,
        limits: ConsumerLimits,
    ) -> Instruction {
        build(
            acc::RegisterConsumer {
                gov: self.governance(governance),
                pool: self.pool,
                authority,
                consumer: self.consumer(&authority),
                payer,
                system_program: system_program::ID,
            },
            ix::RegisterConsumer { limits },
        )
    }

    pub fn set_consumer(
        &self,
        governance: Pubkey,
        authority: Pubkey,
        limits: ConsumerLimits,
        active: bool,
    ) -> Instruction {
        build(
            acc::SetConsumer {
                gov: self.governance(governance),
                pool: self.pool,
                consumer: self.consumer(&authority),
            },
            ix::SetConsumer { limits, active },
        )
    }

    pub fn open_stake(&self, owner: Pubkey, band: u8) -> Instruction {
        build(
            acc::OpenStake {
                pool: self.pool,
                stake: self.stake(band, &owner),
                owner,
                system_program: system_program::ID,
            },
            ix::OpenStake { band },
        )
    }

    fn stake_flow(&self, lp: &Lp, band: u8) -> acc::StakeFlow {
        acc::StakeFlow {
            pool: self.pool,
            stake: self.stake(band, &lp.owner),
            owner: lp.owner,
            quote_vault: self.quote_vault(),
            collateral_vault: self.collateral_vault(),
            owner_quote: lp.quote,
            owner_collateral: lp.collateral,
            token_program: spl_token::ID,
        }
    }

    pub fn deposit(&self, lp: &Lp, band: u8, amount: u64) -> Instruction {
        build(self.stake_flow(lp, band), ix::Deposit { amount })
    }

    /// Withdraw `amount` quote (0: only collect bought collateral).
    pub fn withdraw(&self, lp: &Lp, band: u8, amount: u64) -> Instruction {
        build(self.stake_flow(lp, band), ix::Withdraw { amount })
    }

    pub fn absorb(
        &self,
        seller: &Seller,
        max_collateral: u64,
        max_quote: u64,
        max_discount_bps: u16,
        min_quote: u64,
    ) -> Instruction {
        build(
            acc::Absorb {
                pool: self.pool,
                feed: self.feed,
                consumer: self.consumer(&seller.authority),
                authority: seller.authority,
                seller: seller.owner,
                seller_collateral: seller.collateral,
                seller_quote: seller.quote,
                quote_vault: self.quote_vault(),
                collateral_vault: self.collateral_vault(),
                token_program: spl_token::ID,
            },
            ix::Absorb {
                max_collateral,
                max_quote,
                max_discount_bps,
                min_quote,
            },
        )
    }

    /// Permissionless: settle a stake its owner has left behind an ended
    /// epoch or a past scale (`stake` is its address).
    pub fn settle_stake(&self, stake: Pubkey) -> Instruction {
        build(
            acc::SettleStake {
                pool: self.pool,
                stake,
            },
            ix::SettleStake {},
        )
    }

    pub fn lock_withdrawals(&self, authority: Pubkey, until_slot: u64) -> Instruction {
        build(
            acc::LockWithdrawals {
                pool: self.pool,
                consumer: self.consumer(&authority),
                authority,
            },
            ix::LockWithdrawals { until_slot },
        )
    }
}
