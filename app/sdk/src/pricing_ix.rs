//! Typed builders for every pricing instruction, from the program's own
//! Anchor `accounts` and `instruction` types (no hand-packed bytes).

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::solana_program::{system_program, sysvar};
use anchor_lang::{InstructionData, ToAccountMetas};
use pricing::accounts as acc;
use pricing::instruction as ix;
use pricing::instructions::CreateFeedArgs;
use pricing::state::{FeedParams, SourceKind};

use crate::pda;

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: pricing::ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

fn gov(governance: Pubkey) -> acc::GovernanceAuth {
    acc::GovernanceAuth {
        protocol: pda::protocol(),
        governance,
    }
}

pub fn init_protocol(payer: Pubkey, governance: Pubkey) -> Instruction {
    build(
        acc::InitProtocol {
            protocol: pda::protocol(),
            payer,
            system_program: system_program::ID,
        },
        ix::InitProtocol { governance },
    )
}

pub fn set_governance(governance: Pubkey, new_governance: Pubkey) -> Instruction {
    build(
        acc::SetGovernance {
            protocol: pda::protocol(),
            governance,
        },
        ix::SetGovernance { new_governance },
    )
}

pub fn create_feed(
    payer: Pubkey,
    governance: Pubkey,
    name: &str,
    expo: i32,
    params: FeedParams,
    initial_vol_bps: u32,
) -> Instruction {
    let args = CreateFeedArgs {
        name: pda::feed_name(name),
        expo,
        params,
        initial_vol_bps,
    };
    build(
        acc::CreateFeed {
            gov: gov(governance),
            feed: pda::feed(name),
            payer,
            system_program: system_program::ID,
        },
        ix::CreateFeed { args },
    )
}

pub fn add_source(
    governance: Pubkey,
    feed: Pubkey,
    source: Pubkey,
    kind: SourceKind,
    feed_id: [u8; 32],
) -> Instruction {
    build(
        acc::AddSource {
            gov: gov(governance),
            feed,
            source,
        },
        ix::AddSource { kind, feed_id },
    )
}

pub fn remove_source(governance: Pubkey, feed: Pubkey, index: u8) -> Instruction {
    build(
        acc::RemoveSource {
            gov: gov(governance),
            feed,
        },
        ix::RemoveSource { index },
    )
}

pub fn update_params(governance: Pubkey, feed: Pubkey, params: FeedParams) -> Instruction {
    build(
        acc::UpdateParams {
            gov: gov(governance),
            feed,
        },
        ix::UpdateParams { params },
    )
}

pub fn init_manual_price(
    payer: Pubkey,
    governance: Pubkey,
    feed: Pubkey,
    seed_index: u8,
    authority: Pubkey,
) -> Instruction {
    build(
        acc::InitManualPrice {
            gov: gov(governance),
            feed,
            manual_price: pda::manual_price(&feed, seed_index),
            payer,
            system_program: system_program::ID,
        },
        ix::InitManualPrice {
            seed_index,
            authority,
        },
    )
}

pub fn push_manual_price(
    manual_price: Pubkey,
    authority: Pubkey,
    price: i64,
    conf: u64,
    expo: i32,
) -> Instruction {
    build(
        acc::PushManualPrice {
            manual_price,
            authority,
        },
        ix::PushManualPrice { price, conf, expo },
    )
}

/// Refresh `feed`; `sources` are its pinned source accounts, in order.
pub fn refresh(feed: Pubkey, sources: &[Pubkey]) -> Instruction {
    let mut ix = build(
        acc::Refresh {
            feed,
            instructions: sysvar::instructions::ID,
        },
        ix::Refresh {},
    );
    ix.accounts
        .extend(sources.iter().map(|s| AccountMeta::new_readonly(*s, false)));
    ix
}

pub fn check_source(feed: Pubkey, source: Pubkey, index: u8) -> Instruction {
    build(acc::CheckSource { feed, source }, ix::CheckSource { index })
}

pub fn set_status(governance: Pubkey, feed: Pubkey, status: u8) -> Instruction {
    build(
        acc::SetStatus {
            gov: gov(governance),
            feed,
        },
        ix::SetStatus { status },
    )
}

pub fn set_pause_flags(governance: Pubkey, feed: Pubkey, flags: u32) -> Instruction {
    build(
        acc::SetPauseFlags {
            gov: gov(governance),
            feed,
        },
        ix::SetPauseFlags { flags },
    )
}
