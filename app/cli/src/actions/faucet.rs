//! `rampart faucet`: test tokens (and a little SOL) for a wallet, where the
//! wallet running it minted the deployment's tokens: the embedded chain and
//! a local validator set up by `rampart init`.

use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use anyhow::Context;
use serde_json::json;
use solana_sdk::program_pack::Pack;
use solana_sdk::signature::Signer;
use solana_sdk::system_instruction;

use rampart_client::Deployment;

use super::Output;
use rampart_client::transport::Transport;
use rampart_sdk::tokens::{self, parse_amount};

/// A recipient with less SOL than this gets [`SOL_GRANT`] to pay fees.
const SOL_FLOOR: u64 = 100_000_000;
const SOL_GRANT: u64 = 1_000_000_000;

pub async fn faucet(
    t: &mut dyn Transport,
    symbol: &str,
    amount: &str,
    to: Option<Pubkey>,
) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let (_, bank) = d.bank(symbol)?;
    let wallet = t.payer().pubkey();
    let to = to.unwrap_or(wallet);
    let mint_account = t.account(bank.mint).await?.context("mint missing")?;
    let mint = spl_token::state::Mint::unpack(&mint_account.data)
        .map_err(|e| anyhow::anyhow!("{} is not a mint: {e}", bank.mint))?;
    anyhow::ensure!(
        mint.mint_authority == Some(wallet).into(),
        "this wallet is not {symbol}'s mint authority: the faucet works where `rampart init` created the mints (embedded chain, local validator)"
    );
    let units = parse_amount(amount, bank.decimals)?;
    let mut ixs = vec![];
    let lamports = t.account(to).await?.map_or(0, |a| a.lamports);
    if to != wallet && lamports < SOL_FLOOR {
        ixs.push(system_instruction::transfer(&wallet, &to, SOL_GRANT));
    }
    let ata = tokens::ata(&to, &bank.mint);
    ixs.push(tokens::create_ata_idempotent(&wallet, &to, &bank.mint));
    ixs.push(spl_token::instruction::mint_to(
        &spl_token::ID,
        &bank.mint,
        &ata,
        &wallet,
        &[],
        units,
    )?);
    t.send(&ixs, &[]).await.context("faucet")?;
    Ok(Output::new(
        format!("minted {amount} {symbol} to {to} (token account {ata})\n"),
        json!({"token": symbol, "amount": units, "decimals": bank.decimals, "to": to.to_string(), "token_account": ata.to_string()}),
    ))
}
