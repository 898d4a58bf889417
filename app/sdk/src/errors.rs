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

/// One line for a transaction that failed with `error` (the runtime's
/// words) and `logs`: the program's error by name when `code` is one of
/// ours, else Anchor's own log line, else the last error line.
pub fn describe_logs(code: Option<u32>, error: &str, logs: &[String]) -> String {
    if let Some((name, msg)) = code.and_then(program_error) {
        let code = code.unwrap_or_default();
        return format!("{name} ({code}): {msg}");
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
}
