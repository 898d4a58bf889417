//! Typed builders for every vault instruction, from the program's own
//! Anchor `accounts` and `instruction` types.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::system_program;
use anchor_lang::{InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use vault::accounts as acc;
use vault::instruction as ix;
use vault::state::{Phase, Strategy, Vault, VaultParams, VaultStatus};

use crate::pda;

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: vault::ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

/// One vault's addresses, from which every instruction is built.
#[derive(Debug, Clone, Copy)]
pub struct VaultRef {
    pub vault: Pubkey,
    pub underlying_mint: Pubkey,
    pub quote_mint: Pubkey,
    pub asset_mint: Pubkey,
    pub feed: Pubkey,
}

/// A user's token accounts for one vault.
#[derive(Debug, Clone, Copy)]
pub struct Holder {
    pub owner: Pubkey,
    /// Token account of the vault's asset.
    pub asset: Pubkey,
    /// Token account of the vault's shares.
    pub shares: Pubkey,
}

impl VaultRef {
    pub fn new(
        underlying_mint: Pubkey,
        quote_mint: Pubkey,
        strategy: Strategy,
        epoch_secs: u32,
        feed: Pubkey,
    ) -> VaultRef {
        let asset_mint = match strategy {
            Strategy::CoveredCall => underlying_mint,
            Strategy::CashSecuredPut => quote_mint,
        };
        VaultRef {
            vault: pda::vault::vault(&underlying_mint, &quote_mint, strategy, epoch_secs),
            underlying_mint,
            quote_mint,
            asset_mint,
            feed,
        }
    }

    pub fn share_mint(&self) -> Pubkey {
        pda::vault::share_mint(&self.vault)
    }

    pub fn assets(&self) -> Pubkey {
        pda::vault::assets(&self.vault)
    }

    pub fn series(&self, round: u32) -> Pubkey {
        pda::vault::series(&self.vault, round)
    }

    pub fn option_mint(&self, round: u32) -> Pubkey {
        pda::vault::option_mint(&self.series(round))
    }

    fn governance(&self, governance: Pubkey) -> acc::VaultGovernance {
        acc::VaultGovernance {
            protocol: pda::protocol(),
            governance,
        }
    }

    pub fn create(
        &self,
        governance: Pubkey,
        payer: Pubkey,
        strategy: Strategy,
        params: VaultParams,
    ) -> Instruction {
        build(
            acc::CreateVault {
                gov: self.governance(governance),
                underlying_mint: self.underlying_mint,
                quote_mint: self.quote_mint,
                vault: self.vault,
                asset_mint: self.asset_mint,
                asset_vault: self.assets(),
                share_mint: self.share_mint(),
                share_escrow: pda::vault::escrow(&self.vault),
                feed: self.feed,
                payer,
                token_program: spl_token::ID,
                system_program: system_program::ID,
            },
            ix::CreateVault { strategy, params },
        )
    }

    fn govern(&self, governance: Pubkey) -> acc::GovernVault {
        acc::GovernVault {
            gov: self.governance(governance),
            vault: self.vault,
        }
    }

    pub fn set_status(&self, governance: Pubkey, status: VaultStatus) -> Instruction {
        build(self.govern(governance), ix::SetVaultStatus { status })
    }

    pub fn override_strike(&self, governance: Pubkey, strike: u128) -> Instruction {
        build(self.govern(governance), ix::OverrideStrike { strike })
    }

    pub fn collect_fees(&self, governance: Pubkey, to: Pubkey) -> Instruction {
        build(
            acc::CollectFees {
                gov: self.governance(governance),
                vault: self.vault,
                asset_vault: self.assets(),
                to,
                token_program: spl_token::ID,
            },
            ix::CollectFees {},
        )
    }

    pub fn open_receipt(&self, owner: Pubkey) -> Instruction {
        build(
            acc::OpenReceipt {
                vault: self.vault,
                receipt: pda::vault::receipt(&self.vault, &owner),
                owner,
                system_program: system_program::ID,
            },
            ix::OpenReceipt {},
        )
    }

    fn queue(&self, h: &Holder, record_round: Option<u32>) -> acc::QueueDeposit {
        acc::QueueDeposit {
            vault: self.vault,
            receipt: pda::vault::receipt(&self.vault, &h.owner),
            owner: h.owner,
            asset_vault: self.assets(),
            owner_token: h.asset,
            feed: self.feed,
            round_record: record_round.map(|r| pda::vault::round(&self.vault, r)),
            token_program: spl_token::ID,
        }
    }

    /// Queue a deposit; `record_round` converts a deposit left from that
    /// earlier, processed round first.
    pub fn deposit(&self, h: &Holder, amount: u64, record_round: Option<u32>) -> Instruction {
        build(self.queue(h, record_round), ix::Deposit { amount })
    }

    pub fn cancel_deposit(&self, h: &Holder, amount: u64) -> Instruction {
        build(self.queue(h, None), ix::CancelDeposit { amount })
    }

    fn move_shares(&self, h: &Holder, record_round: Option<u32>) -> acc::MoveShares {
        acc::MoveShares {
            vault: self.vault,
            receipt: pda::vault::receipt(&self.vault, &h.owner),
            owner: h.owner,
            share_mint: self.share_mint(),
            share_escrow: pda::vault::escrow(&self.vault),
            owner_shares: h.shares,
            round_record: record_round.map(|r| pda::vault::round(&self.vault, r)),
            token_program: spl_token::ID,
        }
    }

    pub fn redeem_shares(&self, h: &Holder, record_round: Option<u32>) -> Instruction {
        build(self.move_shares(h, record_round), ix::RedeemShares {})
    }

    pub fn request_withdrawal(
        &self,
        h: &Holder,
        shares: u64,
        record_round: Option<u32>,
    ) -> Instruction {
        build(
            self.move_shares(h, record_round),
            ix::RequestWithdrawal { shares },
        )
    }

    pub fn complete_withdrawal(&self, h: &Holder, request_round: u32) -> Instruction {
        build(
            acc::CompleteWithdrawal {
                vault: self.vault,
                receipt: pda::vault::receipt(&self.vault, &h.owner),
                owner: h.owner,
                asset_vault: self.assets(),
                owner_token: h.asset,
                round_record: pda::vault::round(&self.vault, request_round),
                token_program: spl_token::ID,
            },
            ix::CompleteWithdrawal {},
        )
    }

    /// Process `round` (the vault's current round).
    pub fn process_epoch(&self, keeper: Pubkey, round: u32) -> Instruction {
        build(
            acc::ProcessEpoch {
                vault: self.vault,
                share_mint: self.share_mint(),
                share_escrow: pda::vault::escrow(&self.vault),
                round_record: pda::vault::round(&self.vault, round),
                keeper,
                token_program: spl_token::ID,
                system_program: system_program::ID,
            },
            ix::ProcessEpoch {},
        )
    }

    /// Start the epoch of `round` (the vault's current round, after processing).
    pub fn start_epoch(&self, keeper: Pubkey, round: u32) -> Instruction {
        let series = self.series(round);
        build(
            acc::StartEpoch {
                vault: self.vault,
                feed: self.feed,
                series,
                option_mint: pda::vault::option_mint(&series),
                keeper,
                token_program: spl_token::ID,
                system_program: system_program::ID,
            },
            ix::StartEpoch {},
        )
    }

    pub fn buy_options(
        &self,
        round: u32,
        buyer: Pubkey,
        buyer_asset: Pubkey,
        buyer_options: Pubkey,
        amount: u64,
        max_premium: u64,
    ) -> Instruction {
        let series = self.series(round);
        build(
            acc::BuyOptions {
                vault: self.vault,
                series,
                option_mint: pda::vault::option_mint(&series),
                feed: self.feed,
                asset_vault: self.assets(),
                buyer,
                buyer_asset,
                buyer_options,
                token_program: spl_token::ID,
            },
            ix::BuyOptions {
                amount,
                max_premium,
            },
        )
    }

    pub fn update_greeks(&self, round: u32) -> Instruction {
        build(
            acc::UpdateGreeks {
                vault: self.vault,
                series: self.series(round),
                feed: self.feed,
            },
            ix::UpdateGreeks {},
        )
    }

    pub fn settle_epoch(&self, round: u32) -> Instruction {
        build(
            acc::SettleEpoch {
                vault: self.vault,
                series: self.series(round),
                feed: self.feed,
            },
            ix::SettleEpoch {},
        )
    }

    pub fn governance_settle(&self, governance: Pubkey, round: u32, price: u128) -> Instruction {
        build(
            acc::GovernanceSettle {
                gov: self.governance(governance),
                vault: self.vault,
                series: self.series(round),
            },
            ix::GovernanceSettle { price },
        )
    }

    pub fn redeem_options(
        &self,
        round: u32,
        holder: Pubkey,
        holder_options: Pubkey,
        holder_asset: Pubkey,
        amount: u64,
    ) -> Instruction {
        let series = self.series(round);
        build(
            acc::RedeemOptions {
                vault: self.vault,
                series,
                option_mint: pda::vault::option_mint(&series),
                asset_vault: self.assets(),
                holder,
                holder_options,
                holder_asset,
                token_program: spl_token::ID,
            },
            ix::RedeemOptions { amount },
        )
    }
}

/// What rolling `v` takes: process its settled round (if not yet done),
/// then start the next epoch; the round that starts. None while trading.
pub fn roll_instructions(
    r: &VaultRef,
    v: &Vault,
    keeper: Pubkey,
) -> Option<(u32, Vec<Instruction>)> {
    match v.phase {
        Phase::Trading => None,
        Phase::Settled => Some((
            v.round + 1,
            vec![
                r.process_epoch(keeper, v.round),
                r.start_epoch(keeper, v.round + 1),
            ],
        )),
        Phase::Processed => Some((v.round, vec![r.start_epoch(keeper, v.round)])),
    }
}
