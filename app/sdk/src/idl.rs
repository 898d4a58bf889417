//! The committed Anchor IDL of each program (`idl/*.json`, compiled in):
//! the error and event tables the client decodes with.

use std::path::{Path, PathBuf};

/// Programs whose IDL is committed under `idl/`.
pub const PROGRAMS: [&str; 4] = ["pricing", "margin", "vault", "backstop"];

/// The repository root (programs, `idl/`, fixtures), found from this
/// crate's place in it.
pub fn workspace_root() -> PathBuf {
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR"));
    sdk.ancestors().nth(2).unwrap_or(sdk).to_path_buf()
}

pub fn committed_path(program: &str) -> PathBuf {
    workspace_root().join("idl").join(format!("{program}.json"))
}

/// The committed IDL of each program (compiled in, parsed once): the
/// error and event tables the client decodes with.
pub fn committed() -> &'static [(&'static str, serde_json::Value)] {
    static IDLS: std::sync::OnceLock<Vec<(&'static str, serde_json::Value)>> =
        std::sync::OnceLock::new();
    IDLS.get_or_init(|| {
        [
            ("pricing", include_str!("../../../idl/pricing.json")),
            ("margin", include_str!("../../../idl/margin.json")),
            ("vault", include_str!("../../../idl/vault.json")),
            ("backstop", include_str!("../../../idl/backstop.json")),
        ]
        .into_iter()
        .map(|(name, text)| (name, serde_json::from_str(text).unwrap_or_default()))
        .collect()
    })
}
