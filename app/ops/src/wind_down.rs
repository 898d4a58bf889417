//! Closing out debts the market no longer liquidates. Under Shutdown every
//! debt is settled against the account's collateral at the banks' fixed
//! settlement prices (the settler pays the debt and takes the collateral,
//! no fee); at any time, a debt nothing backs any more is written off (the
//! bank's insurance fund pays first, the bank's lenders share the rest).
//! Both are permissionless, and under Shutdown a bank's lenders are paid
//! out only once every borrow in it is gone, so the keeper does both and
//! the CLI offers each (`margin settle`, `margin write-off`).

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use margin::state::MarginAccount;
use rampart_client::transport::{Transport, TxSuccess};
use rampart_client::Deployment;
use rampart_sdk::margin_ix::{self, LiquidationAccounts};
use rampart_sdk::tokens;
use solana_sdk::signature::Signer;

/// Fix `bank`'s settlement price under Shutdown from its feed's last valid
/// TWAP (a bank of vault shares names its vault and the vault's feed).
pub fn fix_settlement_price(d: &Deployment, bank: &margin::state::Bank) -> Instruction {
    let share_vault = d
        .vaults
        .iter()
        .find(|(k, _)| *k == bank.share_vault)
        .map(|(k, v)| margin_ix::ShareVault {
            vault: *k,
            feed: v.feed,
        });
    margin_ix::fix_settlement_price(bank.mint, bank.feed, share_vault)
}

/// What a deposit position is worth now, in its bank's tokens.
fn deposit_worth(d: &Deployment, bank: &Pubkey, shares: u64) -> u64 {
    d.bank_by_key(bank)
        .ok()
        .and_then(|b| b.deposit_tokens(shares).ok())
        .unwrap_or(0)
}

/// The next settlement of `account` under Shutdown: its first debt against
/// its first deposit in another bank that is still worth something.
pub fn next_settlement(d: &Deployment, account: &MarginAccount) -> Option<(Pubkey, Pubkey)> {
    let debt = account.positions.iter().find(|p| p.borrow_scaled > 0)?;
    let collateral = account.positions.iter().find(|p| {
        p.bank != debt.bank
            && p.deposit_shares > 0
            && deposit_worth(d, &p.bank, p.deposit_shares) > 0
    })?;
    Some((debt.bank, collateral.bank))
}

/// The banks in which `account` owes debt that no collateral backs: it
/// has debt, and every deposit it holds is worth nothing (the program's
/// own condition for a write-off).
pub fn bad_debts(d: &Deployment, account: &MarginAccount) -> Vec<Pubkey> {
    let backed = account
        .positions
        .iter()
        .any(|p| p.deposit_shares > 0 && deposit_worth(d, &p.bank, p.deposit_shares) > 0);
    if backed {
        return vec![];
    }
    account
        .positions
        .iter()
        .filter(|p| p.borrow_scaled > 0)
        .map(|p| p.bank)
        .collect()
}

/// Settle `address`'s debt in `debt_bank` against its deposit in
/// `collateral_bank`, the wallet paying the debt and taking the collateral.
pub async fn settle(
    t: &mut dyn Transport,
    d: &Deployment,
    address: Pubkey,
    (debt_bank, collateral_bank): (Pubkey, Pubkey),
) -> anyhow::Result<TxSuccess> {
    let settler = t.payer().pubkey();
    let liability_mint = d.bank_by_key(&debt_bank)?.mint;
    let collateral = d.bank_by_key(&collateral_bank)?;
    let l = LiquidationAccounts {
        liquidator: settler,
        account: address,
        liability_mint,
        collateral_mint: collateral.mint,
        liquidator_liability_token: tokens::ata(&settler, &liability_mint),
        liquidator_collateral_token: tokens::ata(&settler, &collateral.mint),
        health: vec![],
        proposal: None,
        proposer: None,
        backstop_feed: collateral.feed,
    };
    let mut ixs: Vec<_> = [liability_mint, collateral.mint]
        .iter()
        .map(|m| tokens::create_ata_idempotent(&settler, &settler, m))
        .collect();
    ixs.push(margin_ix::settle_position(&l));
    t.send(&ixs, &[]).await
}

/// Write off `address`'s debt in `bank` (permissionless): the account's
/// other deposit banks go along so the program can see they are empty.
pub async fn write_off(
    t: &mut dyn Transport,
    d: &Deployment,
    address: Pubkey,
    account: &MarginAccount,
    bank: Pubkey,
) -> anyhow::Result<TxSuccess> {
    let mint = d.bank_by_key(&bank)?.mint;
    let others: Vec<Pubkey> = account
        .positions
        .iter()
        .filter(|p| p.deposit_shares > 0 && p.bank != bank)
        .map(|p| p.bank)
        .collect();
    t.send(
        &[margin_ix::write_off_bad_debt(address, mint, &others)],
        &[],
    )
    .await
}
