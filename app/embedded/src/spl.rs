//! Real SPL tokens on a chain: mints, token accounts, minting, balances.

use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use anyhow::Context;
use solana_sdk::program_pack::Pack;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::system_instruction;

use crate::Chain;

/// Create a mint with `decimals`, minted by `authority`.
pub async fn create_mint(
    chain: &mut Chain,
    authority: &Pubkey,
    decimals: u8,
) -> anyhow::Result<Pubkey> {
    let mint = Keypair::new();
    let payer = chain.payer_pubkey();
    let rent = chain.rent_exempt(spl_token::state::Mint::LEN).await;
    let ixs = [
        system_instruction::create_account(
            &payer,
            &mint.pubkey(),
            rent,
            spl_token::state::Mint::LEN as u64,
            &spl_token::ID,
        ),
        spl_token::instruction::initialize_mint2(
            &spl_token::ID,
            &mint.pubkey(),
            authority,
            None,
            decimals,
        )?,
    ];
    chain.send(&ixs, &[&mint]).await.context("create mint")?;
    Ok(mint.pubkey())
}

/// Create a token account of `mint` owned by `owner`.
pub async fn create_token_account(
    chain: &mut Chain,
    mint: &Pubkey,
    owner: &Pubkey,
) -> anyhow::Result<Pubkey> {
    let account = Keypair::new();
    let payer = chain.payer_pubkey();
    let rent = chain.rent_exempt(spl_token::state::Account::LEN).await;
    let ixs = [
        system_instruction::create_account(
            &payer,
            &account.pubkey(),
            rent,
            spl_token::state::Account::LEN as u64,
            &spl_token::ID,
        ),
        spl_token::instruction::initialize_account3(
            &spl_token::ID,
            &account.pubkey(),
            mint,
            owner,
        )?,
    ];
    chain
        .send(&ixs, &[&account])
        .await
        .context("create token account")?;
    Ok(account.pubkey())
}

pub async fn mint_to(
    chain: &mut Chain,
    mint: &Pubkey,
    authority: &Keypair,
    to: &Pubkey,
    amount: u64,
) -> anyhow::Result<()> {
    let ix = spl_token::instruction::mint_to(
        &spl_token::ID,
        mint,
        to,
        &authority.pubkey(),
        &[],
        amount,
    )?;
    chain.send(&[ix], &[authority]).await.context("mint to")?;
    Ok(())
}

/// Token amount held by a token account (0 if it does not exist).
pub async fn balance(chain: &mut Chain, token_account: &Pubkey) -> u64 {
    match chain.account(*token_account).await {
        Some(a) => spl_token::state::Account::unpack(&a.data).map_or(0, |t| t.amount),
        None => 0,
    }
}
