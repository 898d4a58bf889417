//! A failed transaction or command in one readable line, with the
//! program's error by name (see `rampart_sdk::errors`).

use rampart_sdk::errors::{anchor_log, describe_logs};

use crate::transport::TxFailure;

/// One line for a rejected transaction.
pub fn describe_failure(f: &TxFailure) -> String {
    describe_logs(f.custom_code(), &f.error.to_string(), &f.logs)
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
    rampart_sdk::errors::error_name(f.custom_code()?, &f.logs)
}

/// The name of the error a refused transaction carries: ours
/// (`margin::AccountHealthy`), else Anchor's own (`AccountNotInitialized`).
pub fn refusal_name(e: &anyhow::Error) -> Option<String> {
    let f = e.downcast_ref::<TxFailure>()?;
    error_name(e).or_else(|| anchor_log(&f.logs).map(|(name, _)| name))
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
