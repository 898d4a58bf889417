//! A failed transaction in one readable line: the program's error by name
//! (from the committed IDL's error table, or Anchor's own log line for
//! framework errors like a violated seeds constraint), else the runtime's
//! error and the last error line of the logs.

use std::sync::OnceLock;

struct ProgramError {
    program: &'static str,
    code: u32,
    name: String,
    msg: String,
}

fn table() -> &'static [ProgramError] {
    static TABLE: OnceLock<Vec<ProgramError>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut out = vec![];
        for (program, idl) in crate::idl::committed() {
            for e in idl["errors"].as_array().into_iter().flatten() {
                out.push(ProgramError {
                    program,
                    code: e["code"].as_u64().unwrap_or(0) as u32,
                    name: e["name"].as_str().unwrap_or("").to_string(),
                    msg: e["msg"].as_str().unwrap_or("").to_string(),
                });
            }
        }
        out
    })
}

/// `program::Name` and message of a Rampart program error code.
pub fn program_error(code: u32) -> Option<(String, String)> {
    table()
        .iter()
        .find(|e| e.code == code)
        .map(|e| (format!("{}::{}", e.program, e.name), e.msg.clone()))
}

/// The `Error Code: X ... Error Message: Y` of an Anchor error log line.
pub fn anchor_log(logs: &[String]) -> Option<(String, String)> {
    let line = logs.iter().rev().find(|l| l.contains("AnchorError"))?;
    let name = line
        .split("Error Code: ")
        .nth(1)?
        .split('.')
        .next()?
        .to_string();
    let msg = line
        .split("Error Message: ")
        .nth(1)
        .unwrap_or("")
        .trim_end_matches('.')
        .to_string();
    Some((name, msg))
}

/// An SPL Token error by name (`spl_token::InsufficientFunds`) and its
/// message, when the innermost program that failed is SPL Token: its codes
/// (0 to 19) mean nothing without knowing which program raised them.
pub fn token_error(code: u32, logs: &[String]) -> Option<(String, String)> {
    let innermost = logs
        .iter()
        .find(|l| l.starts_with("Program ") && l.contains(" failed: "))?;
    let program = innermost.split_whitespace().nth(1)?;
    if program != anchor_spl::token::ID.to_string() {
        return None;
    }
    let e =
        <anchor_spl::token::spl_token::error::TokenError as num_traits::FromPrimitive>::from_u32(
            code,
        )?;
    Some((format!("spl_token::{e:?}"), e.to_string()))
}

/// The name of the error a failed transaction carries, when it is ours or
/// SPL Token's.
pub fn error_name(code: u32, logs: &[String]) -> Option<String> {
    program_error(code)
        .or_else(|| token_error(code, logs))
        .map(|(name, _)| name)
}

/// One line for a transaction that failed with `error` (the runtime's
/// words) and `logs`: the program's error by name when `code` is one of
/// ours or SPL Token's, else Anchor's own log line, else the last error line.
pub fn describe_logs(code: Option<u32>, error: &str, logs: &[String]) -> String {
    if let Some(c) = code {
        if let Some((name, msg)) = program_error(c).or_else(|| token_error(c, logs)) {
            return format!("{name} ({c}): {msg}");
        }
    }
    if let Some((name, msg)) = anchor_log(logs) {
        return format!("{name}: {msg}");
    }
    let last = logs
        .iter()
        .rev()
        .find(|l| l.contains("Error") || l.contains("failed"))
        .map(|l| l.trim_start_matches("Program log: ").to_string());
    match last {
        Some(l) => format!("{error}: {l}"),
        None => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_errors_are_named_from_the_idl() {
        assert_eq!(
            describe_logs(Some(7000), "custom program error: 0x1b58", &[]),
            "margin::Unauthorized (7000): Signer is not the protocol governance authority"
        );
        let seeds = ["Program log: AnchorError caused by account: bank. Error Code: ConstraintSeeds. Error Number: 2006. Error Message: A seeds constraint was violated.".to_string()];
        assert_eq!(
            describe_logs(Some(2006), "custom program error: 0x7d6", &seeds),
            "ConstraintSeeds: A seeds constraint was violated"
        );
    }

    #[test]
    fn spl_token_errors_are_named_when_spl_token_raised_them() {
        let token = anchor_spl::token::ID;
        let logs = [
            format!("Program {token} invoke [2]"),
            "Program log: Error: insufficient funds".to_string(),
            format!("Program {token} failed: custom program error: 0x1"),
            format!("Program {} failed: custom program error: 0x1", margin::ID),
        ];
        assert_eq!(
            describe_logs(Some(1), "custom program error: 0x1", &logs),
            "spl_token::InsufficientFunds (1): Insufficient funds"
        );
        assert_eq!(
            error_name(1, &logs).as_deref(),
            Some("spl_token::InsufficientFunds")
        );
        // The same code from another program is not SPL Token's.
        let other = [format!(
            "Program {} failed: custom program error: 0x1",
            margin::ID
        )];
        assert_eq!(error_name(1, &other), None);
    }
}
