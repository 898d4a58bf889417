//! `rampart balance`: what a wallet holds across the deployment — SOL,
//! every bank's token, vault shares (in the wallet and kept by the vault),
//! queued vault deposits and withdrawals, options, backstop stakes.

use anchor_lang::prelude::Pubkey;
use backstop::state::StakeAccount;
use risk_math::backstop::Band;
use serde_json::json;
use solana_sdk::native_token::LAMPORTS_PER_SOL;
use vault::state::DepositReceipt;

use super::Output;
use rampart_client::deployment::vault_ref;
use rampart_client::tokens::balance as token_balance;
use rampart_client::transport::{self, Transport};
use rampart_client::Deployment;
use rampart_sdk::backstop_ix::PoolRef;
use rampart_sdk::tokens::{ata, format_amount};
use rampart_sdk::{fmt, pda};

pub async fn balance(t: &mut dyn Transport, owner: Option<Pubkey>) -> anyhow::Result<Output> {
    let d = Deployment::load(t).await?;
    let owner = super::owner_or_wallet(t, owner)?;
    let lamports = t.account(owner).await?.map_or(0, |a| a.lamports);
    let mut rows = vec![vec![
        "SOL".to_string(),
        format_amount(lamports, 9),
        "wallet".into(),
    ]];
    let mut tokens = vec![];
    // Every bank's token, vault shares included (a share bank's symbol is its vault).
    for (_, bank) in &d.banks {
        let symbol = d.symbol(bank);
        let held = token_balance(t, &ata(&owner, &bank.mint)).await?;
        rows.push(vec![
            symbol.clone(),
            format_amount(held, bank.decimals),
            "wallet".into(),
        ]);
        tokens.push(json!({"token": symbol, "mint": bank.mint.to_string(), "amount": held, "decimals": bank.decimals}));
    }
    let mut vaults = vec![];
    for (key, v) in &d.vaults {
        let name = d.vault_name(v);
        let r = vault_ref(v);
        let share_decimals = asset_decimals(v);
        let in_wallet = token_balance(t, &ata(&owner, &r.share_mint())).await?;
        let share_bank = d.banks.iter().any(|(_, b)| b.mint == r.share_mint());
        if !share_bank {
            rows.push(vec![
                format!("{name} shares"),
                format_amount(in_wallet, share_decimals),
                "wallet".into(),
            ]);
        }
        let receipt =
            transport::fetch::<DepositReceipt>(t, pda::vault::receipt(key, &owner)).await?;
        let options = token_balance(t, &ata(&owner, &r.option_mint(v.round))).await?;
        if let Some(rc) = &receipt {
            if rc.deposit_amount > 0 {
                rows.push(vec![
                    format!("{name} deposit"),
                    format_amount(rc.deposit_amount, share_decimals),
                    format!(
                        "queued in round {} (shares after it is processed)",
                        rc.deposit_round
                    ),
                ]);
            }
            if rc.unredeemed_shares > 0 {
                rows.push(vec![
                    format!("{name} shares"),
                    format_amount(rc.unredeemed_shares, share_decimals),
                    "kept by the vault (`vault redeem` moves them to the wallet)".into(),
                ]);
            }
            if rc.withdraw_shares > 0 {
                rows.push(vec![
                    format!("{name} withdrawal"),
                    format_amount(rc.withdraw_shares, share_decimals),
                    format!("shares requested in round {}", rc.withdraw_round),
                ]);
            }
        }
        if options > 0 {
            rows.push(vec![
                format!("{name} options"),
                format_amount(options, v.underlying_decimals),
                format!("round {}", v.round),
            ]);
        }
        vaults.push(json!({
            "vault": name, "shares_in_wallet": in_wallet, "decimals": share_decimals,
            "shares_kept_by_vault": receipt.as_ref().map_or(0, |r| r.unredeemed_shares),
            "queued_deposit": receipt.as_ref().map_or(0, |r| r.deposit_amount),
            "withdrawal_shares": receipt.as_ref().map_or(0, |r| r.withdraw_shares),
            "options": options, "options_round": v.round,
        }));
    }
    let mut stakes = vec![];
    for (_, p) in &d.pools {
        let r = PoolRef::new(p.collateral_mint, p.quote_mint, p.feed);
        let name = d.pool_name(p);
        for (band, b) in p.bands.iter().enumerate() {
            let Some(s) = transport::fetch::<StakeAccount>(t, r.stake(band as u8, &owner)).await?
            else {
                continue;
            };
            let b: Band = (*b).into();
            // A stake withdrawn in full stays open and owns nothing.
            let Ok(c) = b.claim(&s.snapshot.into()) else {
                continue;
            };
            if c.quote == 0 && c.collateral == 0 {
                continue;
            }
            rows.push(vec![
                format!("{name} band {band}"),
                format_amount(c.quote, p.quote_decimals),
                format!(
                    "backstop stake, and {} {} bought",
                    format_amount(c.collateral, p.collateral_decimals),
                    d.symbol_of_mint(&p.collateral_mint)
                ),
            ]);
            stakes.push(
                json!({"pool": name, "band": band, "quote": c.quote, "collateral": c.collateral}),
            );
        }
    }
    Ok(Output::new(
        format!(
            "{owner}\n{}(margin positions: `rampart margin health`)\n",
            fmt::table(&["holding", "amount", "where"], &rows)
        ),
        json!({"owner": owner.to_string(), "sol_lamports": lamports,
               "sol": lamports as f64 / LAMPORTS_PER_SOL as f64,
               "tokens": tokens, "vaults": vaults, "backstop_stakes": stakes}),
    ))
}

/// A vault's asset's decimals (its shares and deposits count in them).
fn asset_decimals(v: &vault::state::Vault) -> u8 {
    match v.strategy {
        vault::state::Strategy::CoveredCall => v.underlying_decimals,
        vault::state::Strategy::CashSecuredPut => v.quote_decimals,
    }
}
