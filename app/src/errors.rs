//! A failed transaction in one readable line: the program's error by name
//! (from the committed IDL's error table, or Anchor's own log line for
//! framework errors like a violated seeds constraint), else the runtime's
//! error and the last error line of the logs.

use std::sync::OnceLock;

use crate::embedded::TxFailure;

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
fn anchor_log(logs: &[String]) -> Option<(String, String)> {
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

/// One line for a rejected transaction.
pub fn describe_failure(f: &TxFailure) -> String {
    if let Some(code) = f.custom_code() {
        if let Some((name, msg)) = program_error(code) {
            return format!("{name} ({code}): {msg}");
        }
    }
    if let Some((name, msg)) = anchor_log(&f.logs) {
        return format!("{name}: {msg}");
    }
    let last = f
        .logs
        .iter()
        .rev()
        .find(|l| l.contains("Error") || l.contains("failed"))
        .map(|l| l.trim_start_matches("Program log: ").to_string());
    match last {
        Some(l) => format!("{}: {l}", f.error),
        None => f.error.to_string(),
    }
}

/// One line for any error a command returns.
pub fn describe(e: &anyhow::Error) -> String {
    match e.downcast_ref::<TxFailure>() {
        Some(f) => {
            // Keep the caller's context ("margin deposit: ...") in front.
            let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            let context: Vec<&String> = chain.iter().take(chain.len().saturating_sub(1)).collect();
            let mut out = context.iter().map(|c| format!("{c}: ")).collect::<String>();
            out.push_str(&describe_failure(f));
            out
        }
        None => format!("{e:#}"),
    }
}

/// The Rampart error name of a failure, if it is one (`margin::NotLiquidatable`).
pub fn error_name(e: &anyhow::Error) -> Option<String> {
    let f = e.downcast_ref::<TxFailure>()?;
    program_error(f.custom_code()?).map(|(n, _)| n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use solana_sdk::instruction::InstructionError;
    use solana_sdk::transaction::TransactionError;

    #[test]
    fn program_errors_are_named_from_the_idl() {
        let f = TxFailure {
            error: TransactionError::InstructionError(0, InstructionError::Custom(7000)),
            logs: vec![],
        };
        assert_eq!(
            describe_failure(&f),
            "margin::Unauthorized (7000): Signer is not the protocol governance authority"
        );
        let seeds = TxFailure {
            error: TransactionError::InstructionError(0, InstructionError::Custom(2006)),
            logs: vec!["Program log: AnchorError caused by account: bank. Error Code: ConstraintSeeds. Error Number: 2006. Error Message: A seeds constraint was violated.".into()],
        };
        assert_eq!(
            describe_failure(&seeds),
            "ConstraintSeeds: A seeds constraint was violated"
        );
        let e = anyhow::Error::new(f).context("margin deposit");
        assert!(describe(&e).starts_with("margin deposit: margin::Unauthorized"));
    }
}
