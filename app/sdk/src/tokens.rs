//! SPL token amounts (parsing and formatting) and associated token
//! accounts.

use anchor_lang::prelude::Pubkey;
use anchor_spl::associated_token::{self, spl_associated_token_account};
use anchor_spl::token::spl_token;
use solana_sdk::instruction::Instruction;

/// `owner`'s associated token account of `mint`.
pub fn ata(owner: &Pubkey, mint: &Pubkey) -> Pubkey {
    associated_token::get_associated_token_address(owner, mint)
}

/// Create `owner`'s associated account of `mint` unless it exists.
pub fn create_ata_idempotent(payer: &Pubkey, owner: &Pubkey, mint: &Pubkey) -> Instruction {
    spl_associated_token_account::instruction::create_associated_token_account_idempotent(
        payer,
        owner,
        mint,
        &spl_token::ID,
    )
}

/// "1.5" of a 6-decimal token is 1_500_000; exact, no floating point.
pub fn parse_amount(text: &str, decimals: u8) -> anyhow::Result<u64> {
    let bad = || anyhow::anyhow!("{text:?} is not an amount with at most {decimals} decimals");
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && frac.is_empty()
        || frac.len() > decimals as usize
        || !whole
            .chars()
            .chain(frac.chars())
            .all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let scale = 10u64.pow(decimals as u32);
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let frac_units: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse::<u64>().map_err(|_| bad())? * 10u64.pow((decimals as usize - frac.len()) as u32)
    };
    whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(frac_units))
        .ok_or_else(bad)
}

/// Base units as a decimal string: 1_500_000 at 6 decimals is "1.5".
pub fn format_amount(units: u64, decimals: u8) -> String {
    let scale = 10u64.pow(decimals as u32);
    let frac = units % scale;
    if frac == 0 {
        return (units / scale).to_string();
    }
    let digits = format!("{frac:0width$}", width = decimals as usize);
    format!("{}.{}", units / scale, digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_exactly_and_print_back() {
        assert_eq!(parse_amount("1.5", 6).unwrap(), 1_500_000);
        assert_eq!(parse_amount("0.00000001", 8).unwrap(), 1);
        assert_eq!(parse_amount("42", 0).unwrap(), 42);
        assert_eq!(parse_amount(".25", 2).unwrap(), 25);
        for bad in [
            "",
            ".",
            "1.2345678",
            "-1",
            "1e3",
            "abc",
            "99999999999999999999",
        ] {
            assert!(parse_amount(bad, 6).is_err(), "{bad}");
        }
        assert_eq!(format_amount(1_500_000, 6), "1.5");
        assert_eq!(format_amount(2_000_000, 6), "2");
        assert_eq!(format_amount(1, 8), "0.00000001");
    }
}
