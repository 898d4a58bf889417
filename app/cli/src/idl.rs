//! The Anchor IDL of each program, generated without the Anchor CLI by
//! anchor-lang-idl's builder (the code `anchor idl build` runs), and the
//! check that the committed `idl/*.json` is current.

use std::path::PathBuf;

use anchor_lang_idl::build::IdlBuilder;
use anyhow::Context;

use rampart_sdk::idl::{committed_path, workspace_root, PROGRAMS};

/// Build `program`'s IDL as pretty JSON.
pub fn generate(program: &str) -> anyhow::Result<String> {
    let root = workspace_root();
    // The builder compiles with its own RUSTFLAGS; a target dir of its own
    // keeps that from invalidating the main build cache.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    // anchor-lang-idl 0.1.4 passes RUSTUP_TOOLCHAIN on as a literal
    // "+{toolchain}" argument; the default toolchain is the right one.
    std::env::remove_var("RUSTUP_TOOLCHAIN");
    let mut idl = IdlBuilder::new()
        .program_path(root.join("programs").join(program))
        .cargo_args(vec![
            "--locked".into(),
            "--target-dir".into(),
            target.join("idl-build").display().to_string(),
        ])
        .build()
        .with_context(|| format!("building the {program} IDL"))?;
    // anchor-lang-idl 0.1.4 numbers errors from 6000 whatever the
    // `#[error_code(offset)]`; a frontend decoding a failure by the IDL
    // must see the codes the program really returns.
    let offset = error_offset(program)?;
    for error in idl.errors.iter_mut() {
        error.code = error.code - anchor_lang::error::ERROR_CODE_OFFSET + offset;
    }
    Ok(serde_json::to_string_pretty(&idl)? + "\n")
}

/// The code of each program's first error (every program's first is `Unauthorized`).
fn error_offset(program: &str) -> anyhow::Result<u32> {
    Ok(match program {
        "pricing" => u32::from(pricing::errors::PricingError::Unauthorized),
        "margin" => u32::from(margin::errors::MarginError::Unauthorized),
        "vault" => u32::from(vault::errors::VaultError::Unauthorized),
        "backstop" => u32::from(backstop::errors::BackstopError::Unauthorized),
        other => anyhow::bail!("no program named {other}"),
    })
}

/// Programs whose committed IDL differs from a fresh build.
pub fn stale_programs() -> anyhow::Result<Vec<&'static str>> {
    let mut stale = vec![];
    for program in PROGRAMS {
        let committed = std::fs::read_to_string(committed_path(program)).unwrap_or_default();
        if committed != generate(program)? {
            stale.push(program);
        }
    }
    Ok(stale)
}

/// Regenerate every committed IDL.
pub fn write_all() -> anyhow::Result<Vec<PathBuf>> {
    PROGRAMS
        .iter()
        .map(|program| {
            let path = committed_path(program);
            std::fs::write(&path, generate(program)?)
                .with_context(|| format!("writing {}", path.display()))?;
            Ok(path)
        })
        .collect()
}
