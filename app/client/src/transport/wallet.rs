//! Which keypair signs and which cluster a URL names, resolved the way the
//! Solana CLI does, so an operator's existing setup just works.

use std::path::{Path, PathBuf};

use anyhow::Context;
use solana_sdk::signature::Keypair;

/// `localhost`, `devnet`, `testnet`, `mainnet-beta` (or their first
/// letters, as `solana -u` takes them) become their RPC URLs; anything else
/// is taken as a URL.
pub fn cluster_url(moniker: &str) -> String {
    match moniker {
        "l" | "localhost" | "localnet" => "http://127.0.0.1:8899".into(),
        "d" | "devnet" => "https://api.devnet.solana.com".into(),
        "t" | "testnet" => "https://api.testnet.solana.com".into(),
        "m" | "mainnet" | "mainnet-beta" => "https://api.mainnet-beta.solana.com".into(),
        url => url.into(),
    }
}

/// The websocket URL a PubsubClient needs for an RPC URL (the validator
/// serves it on the next port locally, on the same host remotely).
pub fn websocket_url(rpc_url: &str) -> String {
    let ws = rpc_url
        .replacen("https://", "wss://", 1)
        .replacen("http://", "ws://", 1);
    match ws.rsplit_once(':') {
        Some((host, port)) if port.parse::<u16>().is_ok() => {
            let port: u16 = port.parse().unwrap_or(8899);
            format!("{host}:{}", port.saturating_add(1))
        }
        _ => ws,
    }
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

/// `~/...` expanded.
pub fn expand(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), home()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

/// The Solana CLI's configured keypair: `keypair_path` in
/// `~/.config/solana/cli/config.yml`, else `~/.config/solana/id.json`.
pub fn solana_cli_keypair_path() -> Option<PathBuf> {
    let home = home()?;
    let config = home.join(".config/solana/cli/config.yml");
    let from_config = std::fs::read_to_string(config).ok().and_then(|text| {
        text.lines().find_map(|line| {
            let value = line.trim().strip_prefix("keypair_path:")?;
            Some(expand(value.trim().trim_matches(['"', '\''])))
        })
    });
    let path = from_config.unwrap_or_else(|| home.join(".config/solana/id.json"));
    path.exists().then_some(path)
}

/// Read a keypair file, with an error that says what is wrong with it:
/// not JSON bytes, the wrong number of them, or a public half that is not
/// the secret half's (a file edited or assembled by hand).
pub fn read_keypair(path: &Path) -> anyhow::Result<Keypair> {
    anyhow::ensure!(path.exists(), "keypair file {} not found", path.display());
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("read keypair file {}", path.display()))?;
    let bytes: Vec<u8> = serde_json::from_str(&text).map_err(|_| {
        anyhow::anyhow!(
            "{} is not a Solana keypair file (expected a JSON array of 64 bytes, as `solana-keygen new` writes)",
            path.display()
        )
    })?;
    anyhow::ensure!(
        bytes.len() == 64,
        "{} is not a Solana keypair file: it holds {} bytes, a keypair is 64 (a 32-byte secret key, then its public key)",
        path.display(),
        bytes.len()
    );
    Keypair::from_bytes(&bytes).map_err(|_| {
        anyhow::anyhow!(
            "{} is not a valid keypair: its last 32 bytes are not the public key of its first 32 (the secret key)",
            path.display()
        )
    })
}

/// The signer: `--keypair`, else the Solana CLI's. On the embedded chain
/// with neither, a local wallet kept in the ledger directory (created once),
/// so a fresh machine needs nothing set up.
pub fn resolve(explicit: Option<&Path>, embedded_ledger: Option<&Path>) -> anyhow::Result<Keypair> {
    if let Some(path) = explicit {
        return read_keypair(path);
    }
    if let Some(path) = solana_cli_keypair_path() {
        return read_keypair(&path);
    }
    let Some(ledger) = embedded_ledger else {
        anyhow::bail!("no keypair: pass --keypair <file> or create one with `solana-keygen new`");
    };
    let path = ledger.join("wallet.json");
    if !path.exists() {
        std::fs::create_dir_all(ledger)
            .with_context(|| format!("create ledger directory {}", ledger.display()))?;
        let kp = Keypair::new();
        solana_sdk::signature::write_keypair_file(&kp, &path)
            .map_err(|e| anyhow::anyhow!("write {}: {e}", path.display()))?;
    }
    read_keypair(&path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monikers_become_the_solana_cli_urls() {
        assert_eq!(cluster_url("localhost"), "http://127.0.0.1:8899");
        assert_eq!(cluster_url("d"), "https://api.devnet.solana.com");
        assert_eq!(
            cluster_url("mainnet-beta"),
            "https://api.mainnet-beta.solana.com"
        );
        assert_eq!(cluster_url("http://10.0.0.2:8899"), "http://10.0.0.2:8899");
    }

    #[test]
    fn websocket_port_follows_the_rpc_port() {
        assert_eq!(
            websocket_url("http://127.0.0.1:8899"),
            "ws://127.0.0.1:8900"
        );
        assert_eq!(
            websocket_url("https://api.devnet.solana.com"),
            "wss://api.devnet.solana.com"
        );
    }

    #[test]
    fn a_file_that_is_not_a_keypair_is_refused_by_name() {
        let dir = std::env::temp_dir().join(format!("rampart-wallet-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bad = dir.join("bad.json");
        std::fs::write(&bad, "[1,2,3]").unwrap();
        let err = read_keypair(&bad).unwrap_err().to_string();
        assert!(err.contains("holds 3 bytes, a keypair is 64"), "{err}");
        let mut mismatched = Keypair::new().to_bytes();
        mismatched[32..].copy_from_slice(&Keypair::new().to_bytes()[32..]);
        std::fs::write(&bad, serde_json::to_string(&mismatched.to_vec()).unwrap()).unwrap();
        let err = read_keypair(&bad).unwrap_err().to_string();
        assert!(
            err.contains("are not the public key of its first 32"),
            "{err}"
        );
        std::fs::write(&bad, "not json").unwrap();
        let err = read_keypair(&bad).unwrap_err().to_string();
        assert!(err.contains("is not a Solana keypair file"), "{err}");
        let err = read_keypair(&dir.join("missing.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not found"), "{err}");
        let made = resolve(None, Some(&dir));
        // With a Solana CLI keypair installed the CLI's wins; otherwise the
        // ledger's own wallet is created once and then reused.
        if solana_cli_keypair_path().is_none() {
            let again = resolve(None, Some(&dir)).unwrap();
            assert_eq!(
                solana_sdk::signer::Signer::pubkey(&made.unwrap()),
                solana_sdk::signer::Signer::pubkey(&again)
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
