//! The `rampart` binary end to end on the embedded transport, spawned as a
//! real process per command against a ledger directory, as a user runs it.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh ledger (and wallet) per test.
struct Cli {
    ledger: PathBuf,
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Cli {
    fn new(name: &str) -> Cli {
        let ledger =
            std::env::temp_dir().join(format!("rampart-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&ledger);
        Cli { ledger }
    }

    fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
            .args(args)
            .arg("--ledger")
            .arg(&self.ledger)
            .current_dir(root())
            // A developer's own Solana CLI keypair must not leak into tests.
            .env("HOME", &self.ledger)
            .env_remove("RAMPART_URL")
            .env_remove("RAMPART_KEYPAIR")
            .output()
            .expect("spawn rampart");
        Run {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert!(r.ok, "rampart {args:?} failed:\n{}{}", r.stdout, r.stderr);
        r.stdout
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let out = self.ok(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"))
    }

    /// `rampart stress <scenario> <args> --out <out>`: its report.json.
    fn stress(&self, scenario: &std::path::Path, args: &[&str], out: &std::path::Path) -> Value {
        let mut all = vec!["stress", scenario.to_str().unwrap()];
        all.extend(args);
        all.extend(["--out", out.to_str().unwrap()]);
        let text = self.ok(&all);
        assert!(text.contains("report.html"), "{text}");
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
    }

    /// The command fails with exactly one readable line on stderr.
    fn fails(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert!(!r.ok, "rampart {args:?} should fail:\n{}", r.stdout);
        let lines: Vec<&str> = r.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line for {args:?}, got:\n{}", r.stderr);
        assert!(lines[0].starts_with("error: "), "{}", lines[0]);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        lines[0].to_string()
    }

    /// Push prices on every manual source and refresh both feeds.
    fn prices(&self, btc: &str, warp: &str) {
        self.ok(&[
            "pricing", "push", "--feed", "BTC/USD", "--price", btc, "--warp", warp,
        ]);
        self.ok(&["pricing", "push", "--feed", "USDC/USD", "--price", "1"]);
        self.ok(&["pricing", "refresh"]);
    }

    /// A second wallet: the keypair file of another ledger directory.
    fn other_wallet(&self, name: &str) -> (String, String) {
        let other = Cli::new(name);
        let address = other.ok(&["address"]).trim().to_string();
        // Kept beside this test's ledger: `other` is removed when dropped.
        std::fs::create_dir_all(&self.ledger).unwrap();
        let file = self.ledger.join(format!("{name}.json"));
        std::fs::copy(other.ledger.join("wallet.json"), &file).unwrap();
        (file.to_string_lossy().into_owned(), address)
    }
    /// A second wallet that deposits 1 BTC and borrows 21,000 USDC (from
    /// a lender who deposited first, at BTC 30,000).
    fn borrower(&self) -> (String, String) {
        let name = format!("{}-b", self.ledger.file_name().unwrap().to_string_lossy());
        let (borrower, address) = self.other_wallet(&name);
        self.ok(&[
            "faucet", "--token", "BTC", "--amount", "1", "--to", &address,
        ]);
        for args in [
            vec!["margin", "open"],
            vec!["margin", "deposit", "--token", "BTC", "--amount", "1"],
            vec!["margin", "borrow", "--token", "USDC", "--amount", "21000"],
        ] {
            let mut all = args.clone();
            all.extend(["--keypair", &borrower]);
            self.ok(&all);
        }
        (borrower, address)
    }

    /// `token`'s row of `margin banks --json`.
    fn bank(&self, token: &str) -> Value {
        let banks = self.json(&["margin", "banks"]);
        banks["banks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["token"] == token)
            .unwrap_or_else(|| panic!("no {token} bank in {banks}"))
            .clone()
    }

    /// `name`'s row of `vault status --json`.
    fn vault(&self, name: &str) -> Value {
        let vaults = self.json(&["vault", "status"]);
        vaults
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["vault"] == name)
            .unwrap_or_else(|| panic!("no vault {name} in {vaults}"))
            .clone()
    }

    /// A liquidation, set up: `init --config config`; the wallet mints
    /// `usdc` USDC and lends 500,000 of it from account 0; a second wallet
    /// deposits 1 BTC and borrows 21,000 USDC at $30,000; then BTC falls to
    /// $24,000 and the borrower is liquidatable. Returns the borrower's
    /// keypair file and address.
    fn underwater_borrower(&self, config: &str, usdc: &str) -> (String, String) {
        self.ok(&["init", "--config", config]);
        self.ok(&["faucet", "--token", "USDC", "--amount", usdc]);
        self.prices("30000", "0");
        self.ok(&["margin", "open"]);
        self.ok(&["margin", "deposit", "--token", "USDC", "--amount", "500000"]);
        let (borrower, borrower_address) = self.borrower();
        self.prices("24000", "15");
        assert_eq!(
            self.json(&["margin", "health", "--owner", &borrower_address])["liquidatable"],
            true
        );
        (borrower, borrower_address)
    }
}

impl Drop for Cli {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.ledger);
    }
}

#[test]
fn init_is_idempotent_and_every_command_works_on_the_embedded_ledger() {
    let cli = Cli::new("happy");
    let first = cli.ok(&["init", "--config", "migrations/localnet.toml"]);
    assert!(first.contains("created  feed BTC/USD"), "{first}");
    assert!(first.contains("18 created, 0 already there"), "{first}");
    let again = cli.ok(&["init", "--config", "migrations/localnet.toml"]);
    assert!(again.contains("0 created, 18 already there"), "{again}");

    cli.ok(&["faucet", "--token", "BTC", "--amount", "10"]);
    cli.ok(&["faucet", "--token", "USDC", "--amount", "1000000"]);
    let (borrower, borrower_address) = cli.other_wallet("happy-b");
    cli.ok(&[
        "faucet",
        "--token",
        "BTC",
        "--amount",
        "2",
        "--to",
        &borrower_address,
    ]);
    cli.prices("30000", "0");
    let status = cli.json(&["pricing", "status", "--feed", "BTC/USD"]);
    assert_eq!(status[0]["price"], 3_000_000_000_000u64);
    assert_eq!(status[0]["status"], "active");
    assert_eq!(status[0]["valid_sources"], 3);
    let history = cli.json(&["pricing", "history", "--feed", "BTC/USD"]);
    assert!(!history["observations"].as_array().unwrap().is_empty());

    // A lender, and a borrower with a keypair file of its own.
    cli.ok(&["margin", "open"]);
    cli.ok(&["margin", "deposit", "--token", "USDC", "--amount", "500000"]);
    let b = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--keypair", &borrower]);
        cli.ok(&all)
    };
    b(&["margin", "open"]);
    b(&["margin", "deposit", "--token", "BTC", "--amount", "1"]);
    b(&["margin", "borrow", "--token", "USDC", "--amount", "20000"]);
    b(&["margin", "repay", "--token", "USDC", "--amount", "1000"]);
    b(&["margin", "withdraw", "--token", "BTC", "--amount", "0.01"]);
    let health = cli.json(&["margin", "health", "--owner", &borrower_address]);
    assert_eq!(health["positions"].as_array().unwrap().len(), 2);
    // 19,000 USDC plus the interest of the seconds the commands took (the
    // embedded clock follows wall time: about 6 units a second here).
    let debt = health["positions"][1]["debt"].as_u64().unwrap();
    assert!((19_000_000_000..19_000_000_100).contains(&debt), "{debt}");
    assert_eq!(health["liquidatable"], false);
    let refused = cli.fails(&["margin", "liquidate", "--owner", &borrower_address]);
    assert!(
        refused.contains("margin::AccountHealthy (7015)"),
        "{refused}"
    );

    // A timelocked bank change: refused before its hour, applied after.
    let queued = cli.json(&["gov", "propose", "--token", "BTC", "--deposit-cap", "2000"]);
    assert!(queued["eta"].as_i64().unwrap() > 0);
    let early = cli.fails(&["gov", "execute", "--token", "BTC"]);
    assert!(early.contains("margin::TimelockNotElapsed"), "{early}");
    cli.ok(&["gov", "execute", "--token", "BTC", "--warp", "3700"]);

    // An option epoch: deposit, cancel part, start, Greeks, settle at expiry, roll.
    cli.prices("30000", "0");
    cli.ok(&[
        "vault",
        "deposit",
        "--vault",
        "BTC-call-1h",
        "--amount",
        "1",
    ]);
    cli.ok(&[
        "vault",
        "cancel",
        "--vault",
        "BTC-call-1h",
        "--amount",
        "0.25",
    ]);
    let rolled = cli.json(&["vault", "roll", "--vault", "BTC-call-1h"]);
    assert_eq!(rolled["round"], 2);
    let greeks = cli.json(&["vault", "greeks", "--vault", "BTC-call-1h"]);
    let delta: f64 = greeks["delta_wad"]
        .as_str()
        .unwrap()
        .parse::<f64>()
        .unwrap()
        / 1e18;
    assert!((0.2..0.3).contains(&delta), "25-delta strike, got {delta}");
    let early = cli.fails(&["vault", "settle", "--vault", "BTC-call-1h"]);
    assert!(early.contains("vault::NotExpired (8008)"), "{early}");
    cli.prices("30000", "3200");
    for _ in 0..10 {
        cli.prices("30000", "60");
    }
    let settled = cli.json(&["vault", "settle", "--vault", "BTC-call-1h"]);
    assert_eq!(settled["settlement_price_wad"], "30000000000000000000000");
    let call = cli.vault("BTC-call-1h");
    assert_eq!(call["phase"], "settled");
    assert_eq!(
        cli.json(&["vault", "roll", "--vault", "BTC-call-1h"])["round"],
        3
    );
    let share_request = cli.json(&[
        "vault",
        "withdraw",
        "--vault",
        "BTC-call-1h",
        "--shares",
        "0.1",
    ]);
    assert_eq!(share_request["shares"], 10_000_000);
    // More than is held: the error says how many the wallet and the vault hold.
    let e = cli.fails(&[
        "vault",
        "withdraw",
        "--vault",
        "BTC-call-1h",
        "--shares",
        "1000",
    ]);
    assert!(
        e.contains("vault::InsufficientShares")
            && e.contains("you asked for 1000 shares of BTC-call-1h; the wallet holds 0 and the vault keeps 0.65 unredeemed for you"),
        "{e}"
    );

    // Emergency levers.
    let halted = cli.ok(&["gov", "halt", "--feed", "BTC/USD"]);
    assert!(halted.contains("halted"));
    let status = cli.json(&["pricing", "status", "--feed", "BTC/USD"]);
    assert_eq!(status[0]["status"], "halted (Governance)");
    cli.ok(&["gov", "resume", "--feed", "BTC/USD"]);
    cli.ok(&["gov", "halt"]);
    let blocked = {
        let mut args = vec!["margin", "borrow", "--token", "USDC", "--amount", "10"];
        args.extend(["--keypair", &borrower]);
        cli.fails(&args)
    };
    assert!(blocked.contains("margin::"), "{blocked}");
    cli.ok(&["gov", "resume"]);

    // The keeper and the monitor on the same ledger.
    cli.prices("30000", "0");
    let stats = cli.json(&["keeper", "--ticks", "1", "--interval", "0"]);
    assert_eq!(stats["ticks"], 1);
    assert_eq!(stats["refreshes"], 2);
    assert_eq!(stats["failures"], 0);
    let events = cli.ok(&["monitor", "--from-start", "--seconds", "0.5", "--json"]);
    let names: Vec<String> = events
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for expected in [
        "pricing::FeedRefreshed",
        "margin::BalanceChanged",
        "vault::EpochSettled",
        "margin::BankParamsApplied",
        "pricing::FeedStatusSet",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from the monitor"
        );
    }
    // --json keeps the raw integers; the text says them in human units,
    // named from the ledger the monitor reads without opening it.
    let refreshed: Value = events
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["event"] == "pricing::FeedRefreshed" && v["fields"]["expo"] == -8)
        .unwrap();
    assert!(refreshed["fields"]["price"].is_u64(), "{refreshed}");
    let text = cli.ok(&["monitor", "--from-start", "--seconds", "0.5"]);
    let line = |event: &str, has: &str| {
        text.lines()
            .find(|l| l.contains(event) && l.contains(has))
            .unwrap_or_else(|| panic!("no {event} with {has} in\n{text}"))
            .to_string()
    };
    let price = line("pricing::FeedRefreshed", "feed=BTC/USD");
    assert!(price.contains(" price=30000.00 "), "{price}");
    assert!(price.contains(" UTC"), "{price}");
    let deposit = line("margin::BalanceChanged", "action=deposit");
    assert!(
        deposit.contains(" bank=USDC ") && deposit.contains(" USDC deposits_after="),
        "{deposit}"
    );
    let settled = line("vault::EpochSettled", "settlement_price=$");
    assert!(settled.contains(" vault=BTC-"), "{settled}");

    assert!(cli.ok(&["gov", "shutdown"]).contains("shut down"));
}

#[test]
fn large_liquidations_need_validator_approvals_from_the_cli() {
    let cli = Cli::new("large");
    let (borrower, borrower_address) =
        cli.underwater_borrower("app/cli/tests/fixtures/one-source.toml", "1000000");

    let proposed = cli.json(&["margin", "liquidate", "--owner", &borrower_address]);
    assert_eq!(proposed["outcome"], "proposed");
    let text = cli.ok(&["margin", "liquidate", "--owner", &borrower_address]);
    assert!(text.contains("still awaits approvals"), "{text}");
    let proposal = {
        let monitor = cli.ok(&["monitor", "--from-start", "--seconds", "0.3", "--json"]);
        let line = monitor
            .lines()
            .find(|l| l.contains("margin::LiquidationProposed"))
            .expect("proposal event");
        let v: Value = serde_json::from_str(line).unwrap();
        v["fields"]["proposal"].as_str().unwrap().to_string()
    };
    assert_eq!(cli.json(&["gov", "approve", &proposal])["approvals"], 1);
    let twice = cli.fails(&["gov", "approve", &proposal]);
    assert!(twice.contains("margin::DuplicateApproval"), "{twice}");
    let stranger = cli.fails(&["gov", "approve", &proposal, "--keypair", &borrower]);
    assert!(stranger.contains("margin::"), "{stranger}");
    let v1 = root().join("migrations/keys/localnet-validator-1.json");
    cli.ok(&[
        "faucet",
        "--token",
        "USDC",
        "--amount",
        "1",
        "--to",
        "HWqozvzs1fsf1c7kwubAtRah17oSNSSqGDdQmdYxpqkY",
    ]);
    let approved = cli.json(&[
        "gov",
        "approve",
        &proposal,
        "--keypair",
        v1.to_str().unwrap(),
    ]);
    assert_eq!(approved["approvals"], 2);
    cli.prices("24000", "1");
    let before = cli.json(&["margin", "health", "--owner", &borrower_address]);
    let debt_before = before["positions"][1]["debt"].as_u64().unwrap();
    // The localnet pool has no LP yet: the wallet liquidates, and says how much.
    let done = cli.json(&["margin", "liquidate", "--owner", &borrower_address]);
    assert_eq!(done["outcome"], "done", "{done}");
    assert_eq!(done["fills"].as_array().unwrap().len(), 1, "{done}");
    let done = &done["fills"][0];
    assert!(done["pool"].is_null(), "{done}");
    assert_eq!(done["repaid_token"], "USDC");
    assert_eq!(done["seized_token"], "BTC");
    assert_eq!(
        (
            done["repaid_decimals"].as_u64(),
            done["seized_decimals"].as_u64()
        ),
        (Some(6), Some(8))
    );
    let repaid = done["repaid"].as_u64().unwrap();
    assert!(repaid > 0 && done["seized"].as_u64().unwrap() > 0, "{done}");
    let after = cli.json(&["margin", "health", "--owner", &borrower_address]);
    let debt = after["positions"][1]["debt"].as_u64().unwrap();
    // What the event says was repaid is what the debt lost, give or take
    // the interest of the seconds between the reads.
    assert!(
        debt < 21_000_000_000
            && (debt_before - repaid..debt_before - repaid + 1_000).contains(&debt),
        "debt {debt_before} -> {debt}, repaid {repaid}"
    );
    assert_eq!(after["liquidatable"], false);
}

#[test]
fn btc_borrowed_against_vault_shares_is_liquidated_from_the_cli() {
    let cli = Cli::new("shares");
    let created = cli.ok(&["init", "--config", "app/cli/tests/fixtures/shares.toml"]);
    assert!(
        created.contains("margin bank BTC-put-1h shares"),
        "{created}"
    );
    cli.ok(&["faucet", "--token", "BTC", "--amount", "10"]);
    let (borrower, borrower_address) = cli.other_wallet("shares-b");
    cli.ok(&[
        "faucet",
        "--token",
        "USDC",
        "--amount",
        "50000",
        "--to",
        &borrower_address,
    ]);
    cli.prices("30000", "0");
    let b = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--keypair", &borrower, "--json"]);
        let out = cli.ok(&all);
        serde_json::from_str::<Value>(&out).unwrap_or(Value::Null)
    };

    // BTC lenders; the borrower buys put-vault shares and pledges them.
    cli.ok(&["margin", "open"]);
    cli.ok(&["margin", "deposit", "--token", "BTC", "--amount", "5"]);
    b(&[
        "vault",
        "deposit",
        "--vault",
        "BTC-put-1h",
        "--amount",
        "40000",
    ]);
    cli.ok(&["vault", "roll", "--vault", "BTC-put-1h"]);
    let redeemed = b(&["vault", "redeem", "--vault", "BTC-put-1h"]);
    assert_eq!(redeemed["shares"], 40_000_000_000u64);
    b(&["margin", "open"]);
    b(&[
        "margin",
        "deposit",
        "--token",
        "BTC-put-1h",
        "--amount",
        "40000",
    ]);
    // 80% of $40,000 of shares carries 0.95 BTC at $30,000 plus 10%.
    let too_much = {
        let mut args = vec!["margin", "borrow", "--token", "BTC", "--amount", "1"];
        args.extend(["--keypair", &borrower]);
        cli.fails(&args)
    };
    assert!(
        too_much.contains("margin::InsufficientHealth"),
        "{too_much}"
    );
    b(&["margin", "borrow", "--token", "BTC", "--amount", "0.95"]);
    let health = cli.json(&["margin", "health", "--owner", &borrower_address]);
    let position = |h: &Value, token: &str| -> Value {
        h["positions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["token"] == token)
            .cloned()
            .unwrap_or_else(|| panic!("no {token} position: {h}"))
    };
    assert_eq!(
        position(&health, "BTC-put-1h")["deposit"],
        40_000_000_000u64
    );
    assert_eq!(position(&health, "BTC")["debt"], 95_000_000u64);
    assert_eq!(health["liquidatable"], false);
    let refused = cli.fails(&["margin", "liquidate", "--owner", &borrower_address]);
    assert!(refused.contains("margin::AccountHealthy"), "{refused}");

    // BTC rallies a third: the debt outgrows the shares' maintenance value.
    for btc in ["33000", "36500", "40000"] {
        cli.prices(btc, "60");
    }
    let due = cli.json(&["margin", "health", "--owner", &borrower_address]);
    assert_eq!(due["liquidatable"], true, "{due}");
    let done = cli.json(&["margin", "liquidate", "--owner", &borrower_address]);
    assert_eq!(done["outcome"], "done");
    let after = cli.json(&["margin", "health", "--owner", &borrower_address]);
    let shares_left = position(&after, "BTC-put-1h")["deposit"].as_u64().unwrap();
    assert!(shares_left < 40_000_000_000, "{after}");
    assert!(
        position(&after, "BTC")["debt"].as_u64() < position(&due, "BTC")["debt"].as_u64(),
        "{after}"
    );
    assert!(
        after["maintenance_margin_usd"].as_f64() > due["maintenance_margin_usd"].as_f64(),
        "{after}"
    );
}

#[test]
fn bad_input_gets_one_readable_line_and_a_failure_exit() {
    let cli = Cli::new("bad");
    let e = cli.fails(&["pricing", "status"]);
    assert!(
        e.contains("nothing is deployed") && e.contains("rampart init"),
        "{e}"
    );
    let e = cli.fails(&["init", "--config", "app/cli/tests/fixtures/malformed.toml"]);
    assert!(e.contains("malformed.toml: line 3"), "{e}");
    let e = cli.fails(&["init", "--config", "migrations/missing.toml"]);
    assert!(e.contains("migrations/missing.toml"), "{e}");
    cli.ok(&["init", "--config", "migrations/localnet.toml"]);

    let not_a_key = cli.ledger.join("not-a-key.json");
    std::fs::write(&not_a_key, "{\"hello\": 1}").unwrap();
    let e = cli.fails(&[
        "pricing",
        "status",
        "--keypair",
        not_a_key.to_str().unwrap(),
    ]);
    assert!(e.contains("is not a Solana keypair file"), "{e}");
    let e = cli.fails(&["pricing", "status", "--keypair", "/nonexistent/id.json"]);
    assert!(
        e.contains("keypair file /nonexistent/id.json not found"),
        "{e}"
    );

    let e = cli.fails(&[
        "margin",
        "health",
        "--owner",
        "11111111111111111111111111111112",
    ]);
    assert!(e.contains("no MarginAccount account at"), "{e}");
    let e = cli.fails(&["margin", "health", "--owner", "not-a-key"]);
    assert!(e.contains("not-a-key"), "{e}");
    let e = cli.fails(&["margin", "deposit", "--token", "BTC", "--amount", "1"]);
    assert!(e.contains("rampart margin open"), "{e}");
    cli.ok(&["margin", "open"]);
    let e = cli.fails(&["margin", "deposit", "--token", "BTC", "--amount", "1000"]);
    assert!(
        e.contains("insufficient funds: the wallet holds 0 BTC"),
        "{e}"
    );
    let e = cli.fails(&["margin", "deposit", "--token", "DOGE", "--amount", "1"]);
    assert!(
        e.contains("no margin bank for token \"DOGE\" (deployed: BTC, USDC)"),
        "{e}"
    );
    let e = cli.fails(&[
        "margin",
        "deposit",
        "--token",
        "BTC",
        "--amount",
        "1.123456789",
    ]);
    assert!(e.contains("at most 8 decimals"), "{e}");
    let e = cli.fails(&[
        "vault",
        "deposit",
        "--vault",
        "ETH-call-1d",
        "--amount",
        "1",
    ]);
    assert!(e.contains("no vault \"ETH-call-1d\""), "{e}");
    let e = cli.fails(&[
        "pricing",
        "push",
        "--feed",
        "BTC/USD",
        "--price",
        "1",
        "--url",
        "http://127.0.0.1:9",
    ]);
    assert!(e.contains("keypair") || e.contains("127.0.0.1:9"), "{e}");
    let e = cli.fails(&["pricing", "status", "--warp=-3000"]);
    assert!(e.contains("-3000"), "{e}");
    let e = cli.fails(&["stress", "--policy", "drift"]);
    assert!(e.contains("no policy \"drift\" (policies: rampart,"), "{e}");
    // Names are case-blind, as tokens are.
    cli.ok(&["pricing", "status", "--feed", "btc/usd"]);
    // Nobody lent USDC: the borrow says so, with what the bank holds.
    let e = cli.fails(&["margin", "borrow", "--token", "USDC", "--amount", "10000"]);
    assert!(
        e.contains("the USDC bank has 0 USDC left to lend")
            && e.contains("a lender must deposit USDC first"),
        "{e}"
    );
    let e = cli.fails(&["margin", "withdraw", "--token", "BTC", "--amount", "max"]);
    assert!(e.contains("no BTC deposit to withdraw"), "{e}");
    let e = cli.fails(&["margin", "repay", "--token", "USDC", "--amount", "max"]);
    assert!(e.contains("no USDC debt to repay"), "{e}");
    let e = cli.fails(&["margin", "deposit", "--token", "BTC", "--amount", "max"]);
    assert!(e.contains("--amount max is for withdraw and repay"), "{e}");
    // An out-of-bounds proposal is refused before it is sent, naming the
    // range the program's own checks accept for each option given.
    let e = cli.fails(&[
        "gov",
        "propose",
        "--token",
        "USDC",
        "--protocol-fee-bps",
        "9000",
    ]);
    assert!(
        e.contains("margin::ParamOutOfBounds")
            && e.contains(
                "--protocol-fee-bps 9000 is out of bounds: the program takes 0 to 5000 bps"
            ),
        "{e}"
    );
    let e = cli.fails(&["gov", "propose", "--token", "BTC", "--maint-base-bps", "1"]);
    assert!(
        e.contains("--maint-base-bps 1 is out of bounds: the program takes "),
        "{e}"
    );
    // With --json a failure is one JSON object on stderr and nothing on
    // stdout: the message, and the program's error by name and number.
    cli.ok(&["gov", "propose", "--token", "BTC", "--deposit-cap", "2000"]);
    let r = cli.run(&["gov", "execute", "--token", "BTC", "--json"]);
    assert!(!r.ok && r.stdout.is_empty(), "{}", r.stdout);
    let error: Value =
        serde_json::from_str(r.stderr.trim()).unwrap_or_else(|e| panic!("{e}: {}", r.stderr));
    assert_eq!(
        error["error"]["program_error"], "margin::TimelockNotElapsed",
        "{error}"
    );
    assert_eq!(error["error"]["code"], 7025, "the IDL's number: {error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("margin::TimelockNotElapsed"),
        "{error}"
    );
    let r = cli.run(&[
        "margin", "deposit", "--token", "DOGE", "--amount", "1", "--json",
    ]);
    let error: Value =
        serde_json::from_str(r.stderr.trim()).unwrap_or_else(|e| panic!("{e}: {}", r.stderr));
    assert!(
        error["error"]["program_error"].is_null() && error["error"]["code"].is_null(),
        "{error}"
    );
    assert!(
        error["error"]["message"].as_str().unwrap().contains("DOGE"),
        "{error}"
    );
    // `address` speaks JSON too.
    let address = cli.json(&["address"]);
    assert_eq!(
        address["address"].as_str().unwrap(),
        cli.ok(&["address"]).trim()
    );
    // Unchanged by all of the above: nothing was deposited.
    let health = cli.json(&["margin", "health"]);
    assert!(health["positions"].as_array().unwrap().is_empty());
}

#[test]
fn demo_tells_the_whole_story() {
    let cli = Cli::new("demo");
    let report = cli.json(&["demo"]);
    assert_eq!(report["breaker_tripped"], true);
    let refused = report["liquidation_refused_while_halted"].as_str().unwrap();
    assert!(refused.contains("pricing::FeedHalted"), "{refused}");
    // The genuine crash: Restricted, not halted; new risk refused by name,
    // liquidations running, and Active again once re-anchored.
    assert_eq!(report["restricted_in_crash"], true);
    let borrow = report["borrow_refused_while_restricted"].as_str().unwrap();
    assert!(borrow.contains("pricing::FeedRestricted"), "{borrow}");
    assert_eq!(report["active_after_crash"], true);
    assert!(
        report["events"]["pricing::FeedRestricted"]
            .as_u64()
            .unwrap()
            >= 1
    );
    assert!(report["events"]["pricing::MoveConfirmed"].as_u64().unwrap() >= 1);
    assert!(report["liquidations"].as_u64().unwrap() >= 1);
    // The keeper sold liquidated BTC into the pool the TOML deploys, and the
    // LP claimed what its bands bought.
    assert!(
        report["sold_to_backstop"].as_u64().unwrap() >= 1,
        "{report}"
    );
    assert!(report["lp_claimed_btc"].as_u64().unwrap() > 0, "{report}");
    assert!(report["borrower_debt_after"].as_u64() < report["borrower_debt_before"].as_u64());
    assert_eq!(report["epochs_settled"], 1);
    assert_eq!(report["settlement_price_usd"], 30_000.0);
    assert_eq!(report["options_sold"], 100_000_000);
    // The keeper's only failures are the ones the story causes: risk
    // updates refused while the breaker holds the feed halted.
    let failed = report["keeper"]["failed"].as_object().unwrap();
    assert!(
        failed
            .keys()
            .all(|k| k == "UpdateRisk: pricing::FeedHalted"),
        "{failed:?}"
    );
    assert_eq!(
        report["keeper"]["failures"].as_u64(),
        failed
            .values()
            .map(|v| v.as_u64().unwrap())
            .reduce(|a, b| a + b)
            .or(Some(0))
    );
    assert!(
        report["events"]["pricing::BreakerTripped"]
            .as_u64()
            .unwrap()
            >= 1
    );
    assert!(
        report["events"]["pricing::BreakerResumed"]
            .as_u64()
            .unwrap()
            >= 1
    );

    // `--ledger` keeps the chain the story ended in: the CLI carries on
    // from it, as governance (the demo's operator is the ledger's wallet).
    let usdc = cli.bank("USDC");
    assert!(usdc["borrows"].as_u64().unwrap() > 0, "{usdc}");
    let call = cli.vault("BTC-call-1h");
    assert_eq!(call["round"], report["vault_round_after"]);
    let pool = cli.json(&["backstop", "status"]);
    let bought: u64 = pool["bands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["collateral"].as_u64().unwrap())
        .sum();
    assert_eq!(bought, 0, "the LP claimed everything: {pool}");
    cli.ok(&["gov", "halt", "--feed", "BTC/USD"]);
    // A ledger is never overwritten by a new story.
    let again = cli.fails(&["demo"]);
    assert!(again.contains("is not empty"), "{again}");
}

#[test]
fn cloned_oracle_accounts_load_from_solana_account_json() {
    use base64::Engine;
    let cli = Cli::new("clone");
    // `solana account H6ARHf6Y… --output json` of the real mainnet Pyth
    // SOL/USD account, rebuilt from the committed snapshot.
    let address = "H6ARHf6YXhGYeQfUzQNGk6rDNnLBQKrenN712K4AQJEG";
    let data = std::fs::read(root().join(format!(
        "tests/fixtures/oracle-accounts/pyth-legacy_{address}.bin"
    )))
    .unwrap();
    let json = serde_json::json!({
        "pubkey": address,
        "account": {
            "lamports": 23_942_400u64,
            "data": [base64::engine::general_purpose::STANDARD.encode(&data), "base64"],
            "owner": "FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH",
            "executable": false,
            "rentEpoch": 18_446_744_073_709_551_615u64,
            "space": data.len(),
        }
    });
    std::fs::create_dir_all(&cli.ledger).unwrap();
    let file = cli.ledger.join("pyth-sol.json");
    std::fs::write(&file, json.to_string()).unwrap();
    let clone = file.to_str().unwrap();

    // The pricing program pins the account with its real owner...
    cli.ok(&["init", "--config", "migrations/localnet.toml"]);
    let out = cli.ok(&[
        "init",
        "--config",
        "app/cli/tests/fixtures/clone-sol.toml",
        "--clone",
        clone,
    ]);
    assert!(
        out.contains(&format!(
            "created  feed SOL/USD source pyth-legacy {address}"
        )),
        "{out}"
    );
    // ...and reads it: the July 2024 price is stale on today's clock, so the
    // refresh reports the source invalid rather than publishing it.
    let refresh = cli.json(&["pricing", "refresh", "--feed", "SOL/USD", "--clone", clone]);
    assert_eq!(refresh[0]["status"], "halted (QuorumLost)", "{refresh}");
    let status = cli.json(&["pricing", "status", "--feed", "SOL/USD"]);
    assert_eq!(status[0]["valid_sources"], 0);
    let source = &status[0]["source_detail"][0];
    assert_eq!(source["account"], address);
    assert_eq!(source["kind"], "PythLegacy");
    assert_eq!(source["error"], "pricing::SourceStale", "{source}");
    // A file that is not account JSON is refused by name.
    let e = cli.fails(&[
        "pricing",
        "status",
        "--clone",
        "app/cli/tests/fixtures/one-source.toml",
    ]);
    assert!(
        e.contains("is not `solana account --output json` output"),
        "{e}"
    );
}

#[test]
fn the_keeper_stops_cleanly_on_ctrl_c_and_keeps_its_work() {
    let cli = Cli::new("ctrlc");
    cli.ok(&["init", "--config", "migrations/localnet.toml"]);
    cli.prices("30000", "0");
    let child = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["keeper", "--interval", "0.2", "--json", "--ledger"])
        .arg(&cli.ledger)
        .current_dir(root())
        .env("HOME", &cli.ledger)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("stopping"), "{stderr}");
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(stats["ticks"].as_u64().unwrap() >= 1);
    assert!(stats["refreshes"].as_u64().unwrap() >= 2);
    // The ledger was saved on the way out: the keeper's epoch start is there.
    let vaults = cli.json(&["vault", "status"]);
    assert!(
        vaults.as_array().unwrap().iter().all(|v| v["round"] == 2),
        "{vaults}"
    );
}

/// Two free neighbouring ports (serve takes the JSON-RPC port and the next).
fn free_ports() -> u16 {
    loop {
        let http = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = http.local_addr().unwrap().port();
        if port < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

impl Cli {
    /// `rampart serve` on this ledger, answering once it does.
    fn serve(&self, port: u16) -> std::process::Child {
        let child = Command::new(env!("CARGO_BIN_EXE_rampart"))
            .args(["serve", "--port", &port.to_string(), "--ledger"])
            .arg(&self.ledger)
            .current_dir(root())
            .env("HOME", &self.ledger)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "serve did not start");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        child
    }

    /// A command through `url` as this ledger's wallet.
    fn via(&self, url: &str, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rampart"));
        c.args(args)
            .args(["--url", url, "--keypair"])
            .arg(self.ledger.join("wallet.json"))
            .current_dir(root())
            .env("HOME", &self.ledger)
            .env_remove("RAMPART_URL")
            .env_remove("RAMPART_KEYPAIR");
        c
    }

    /// The wallet's USDC deposit in its margin account, from the ledger
    /// (`margin risk` reads balances even when a feed has gone stale).
    fn usdc_deposit(&self) -> u64 {
        let risk = self.json(&["margin", "risk"]);
        risk["banks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["token"] == "USDC")
            .map_or(0, |p| p["deposit"].as_u64().unwrap())
    }

    /// The margin balance changes the transaction log records, in order.
    fn logged_balance_changes(&self) -> Vec<Value> {
        let out = self.ok(&["monitor", "--from-start", "--seconds", "1", "--json"]);
        out.lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|e| e["event"] == "margin::BalanceChanged")
            .collect()
    }
}

/// A stopped or killed `serve` leaves a ledger and a transaction log that
/// agree. SIGTERM saves as Ctrl-C does (the account opened and funded
/// through --url is there afterwards). Then deposits stream in through
/// --url, and SIGKILL lands in the middle of one: every deposit the server
/// acknowledged is in the ledger, and the ledger holds exactly what the log
/// says (the last logged balance), no more and no less.
#[test]
fn a_stopped_or_killed_server_keeps_ledger_and_log_in_agreement() {
    let cli = Cli::new("kill");
    cli.ok(&["init", "--config", "migrations/localnet.toml"]);
    cli.prices("30000", "0");
    cli.ok(&["faucet", "--token", "USDC", "--amount", "1000"]);

    let port = free_ports();
    let url = format!("http://127.0.0.1:{port}");
    let server = cli.serve(port);
    for args in [
        &["margin", "open"][..],
        &["margin", "deposit", "--token", "USDC", "--amount", "5"],
    ] {
        let out = cli.via(&url, args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let sent = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = server.wait_with_output().unwrap();
    assert!(out.status.success(), "serve exits cleanly on SIGTERM");
    assert_eq!(cli.usdc_deposit(), 5_000_000, "saved on SIGTERM");

    let port = free_ports();
    let url = format!("http://127.0.0.1:{port}");
    let mut server = cli.serve(port);
    let mut acknowledged = 5_000_000u64;
    for _ in 0..4 {
        let out = cli
            .via(
                &url,
                &["margin", "deposit", "--token", "USDC", "--amount", "1"],
            )
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        acknowledged += 1_000_000;
    }
    // Deposits keep arriving while the server is killed under them.
    let mut writer = cli
        .via(
            &url,
            &["margin", "deposit", "--token", "USDC", "--amount", "1"],
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(150));
    server.kill().unwrap(); // SIGKILL: no handler runs, nothing is saved on the way out
    server.wait().unwrap();
    let _ = writer.wait();

    let on_ledger = cli.usdc_deposit();
    assert!(
        on_ledger >= acknowledged,
        "every acknowledged deposit survives: {on_ledger} < {acknowledged}"
    );
    let changes = cli.logged_balance_changes();
    let last = changes.last().expect("the log has the deposits");
    let logged: u64 = last["fields"]["deposits_after"]
        .as_str()
        .map(|s| s.parse().unwrap())
        .or(last["fields"]["deposits_after"].as_u64())
        .unwrap();
    assert_eq!(on_ledger, logged, "ledger and log agree: {last}");
    assert!(
        changes.len() >= 5,
        "the first deposit and four more: {changes:?}"
    );

    // The ledger stays usable after the kill: a later command builds on it.
    cli.ok(&["margin", "deposit", "--token", "USDC", "--amount", "1"]);
    assert_eq!(cli.usdc_deposit(), on_ledger + 1_000_000);
}

/// The keeper tells the truth: a liquidation it cannot pay for is a
/// failure, logged at WARN with SPL Token's error by name, not "already
/// done"; funded, the next tick liquidates.
#[test]
fn the_keeper_reports_a_liquidation_it_cannot_fund_as_a_named_failure() {
    let cli = Cli::new("keeper-fails");
    // The wallet (the keeper's) lends every USDC it has.
    let (_, borrower_address) = cli.underwater_borrower("migrations/localnet.toml", "500000");

    let keeper = || {
        let r = cli.run(&["keeper", "--ticks", "1", "--json"]);
        assert!(r.ok, "{}", r.stderr);
        (serde_json::from_str::<Value>(&r.stdout).unwrap(), r.stderr)
    };
    let (stats, log) = keeper();
    assert_eq!(stats["liquidations"], 0, "{stats}");
    assert_eq!(stats["already_done"], 0, "{stats}");
    assert!(stats["failures"].as_u64().unwrap() >= 1, "{stats}");
    let warned = log
        .lines()
        .find(|l| l.contains("WARN") && l.contains("Liquidate"))
        .unwrap_or_else(|| panic!("no WARN line for the liquidation:\n{log}"));
    assert!(warned.contains("spl_token::InsufficientFunds"), "{warned}");

    cli.ok(&["faucet", "--token", "USDC", "--amount", "30000"]);
    let (stats, _) = keeper();
    assert_eq!(stats["liquidations"], 1, "{stats}");
    assert_eq!(
        cli.json(&["margin", "health", "--owner", &borrower_address])["liquidatable"],
        false
    );
}

/// Emergency shutdown wound down with the CLI and the keeper alone: BTC
/// falls with nobody liquidating, governance shuts margin down, one keeper
/// tick fixes the settlement prices, settles both borrowers against their
/// collateral and writes off what the underwater one still owes; then
/// the lender and the solvent borrower withdraw everything (`--amount
/// max`) and both banks are left owing nobody a single unit.
#[test]
fn a_shutdown_and_a_bad_debt_write_off_complete_from_the_cli_and_keeper() {
    let cli = Cli::new("shutdown");
    cli.ok(&["init", "--config", "migrations/localnet.toml"]);
    cli.prices("40000", "0");
    // The wallet is governance and the keeper; it settles with its USDC.
    cli.ok(&["faucet", "--token", "USDC", "--amount", "100000"]);
    let (lender, lender_address) = cli.other_wallet("shutdown-l");
    let (solvent, solvent_address) = cli.other_wallet("shutdown-s");
    let (underwater, underwater_address) = cli.other_wallet("shutdown-u");
    for (to, token, amount) in [
        (&lender_address, "USDC", "100000"),
        (&solvent_address, "BTC", "2"),
        (&underwater_address, "BTC", "1"),
    ] {
        cli.ok(&["faucet", "--token", token, "--amount", amount, "--to", to]);
    }
    let as_ = |who: &str, args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--keypair", who]);
        cli.ok(&all)
    };
    as_(&lender, &["margin", "open"]);
    as_(
        &lender,
        &["margin", "deposit", "--token", "USDC", "--amount", "100000"],
    );
    for (who, btc, usdc) in [(&solvent, "2", "30000"), (&underwater, "1", "28000")] {
        as_(who, &["margin", "open"]);
        as_(
            who,
            &["margin", "deposit", "--token", "BTC", "--amount", btc],
        );
        as_(
            who,
            &["margin", "borrow", "--token", "USDC", "--amount", usdc],
        );
    }
    // Down to 25,000 with no keeper running, and there for forty minutes,
    // longer than the BTC feed's 30-minute TWAP window: the second account is
    // under water at the price it will settle at.
    for price in ["37000", "34000", "31000", "28000", "25000"] {
        cli.prices(price, "120");
    }
    // (Steps of 110 s: the one-source USDC feed's TWAP allows gaps of 120 s.)
    for _ in 0..22 {
        cli.prices("25000", "110");
    }
    // The last minutes at a keeper's pace: USDC's 5-minute TWAP needs five samples.
    for _ in 0..6 {
        cli.prices("25000", "30");
    }
    let health = cli.json(&["margin", "health", "--owner", &underwater_address]);
    assert_eq!(health["liquidatable"], true, "{health}");

    cli.ok(&["gov", "shutdown"]);
    let refused = cli.fails(&["margin", "liquidate", "--owner", &underwater_address]);
    assert!(
        refused.contains("margin::ProtocolStatusForbids"),
        "{refused}"
    );
    let waits = cli.fails(&[
        "margin",
        "withdraw",
        "--token",
        "USDC",
        "--amount",
        "max",
        "--keypair",
        &lender,
    ]);
    assert!(waits.contains("margin::SettlementPending"), "{waits}");

    let r = cli.run(&["keeper", "--ticks", "1", "--json"]);
    assert!(r.ok, "{}", r.stderr);
    let stats: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(stats["settlement_prices_fixed"], 2, "{stats}\n{}", r.stderr);
    assert_eq!(stats["positions_settled"], 2, "{stats}\n{}", r.stderr);
    assert_eq!(stats["bad_debts_written_off"], 1, "{stats}\n{}", r.stderr);
    assert_eq!(stats["liquidations"], 0, "{stats}");
    for owner in [&solvent_address, &underwater_address] {
        let h = cli.json(&["margin", "health", "--owner", owner]);
        let usdc = h["positions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["token"] == "USDC")
            .map_or(0, |p| p["debt"].as_u64().unwrap());
        assert_eq!(usdc, 0, "no debt left: {h}");
    }
    let nothing = cli.fails(&["margin", "write-off", "--owner", &underwater_address]);
    assert!(nothing.contains("nothing to write off"), "{nothing}");

    // Everyone leaves with what they are owed, to the unit.
    let owed = |who: &str, token: &str| -> u64 {
        let h = cli.json(&["margin", "health", "--keypair", who]);
        h["positions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["token"] == token)
            .map_or(0, |p| p["deposit"].as_u64().unwrap())
    };
    for (who, token) in [(&lender, "USDC"), (&solvent, "BTC")] {
        let worth = owed(who, token);
        assert!(worth > 0);
        let mut args = vec!["margin", "withdraw", "--token", token, "--amount", "max"];
        args.extend(["--keypair", who, "--json"]);
        let out: Value = serde_json::from_str(&cli.ok(&args)).unwrap();
        assert_eq!(out["amount"], worth, "{out}");
        assert_eq!(owed(who, token), 0);
    }
    cli.ok(&["margin", "accrue"]);
    let banks = cli.json(&["margin", "banks"]);
    for b in banks["banks"].as_array().unwrap() {
        assert_eq!(b["deposits"], 0, "every depositor paid out: {b}");
        assert_eq!(b["borrows"], 0, "every loan settled or written off: {b}");
        assert_eq!(b["fees_pending"], 0, "the fund's interest swept out: {b}");
    }
}

/// The README's quickstart, line by line as written, on a fresh ledger,
/// each line through `sh` with `$R` the binary under test. The demo line
/// is `demo_tells_the_whole_story`'s.
#[test]
fn the_readme_quickstart_runs_as_written() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let marker = "`the_readme_quickstart_runs_as_written`";
    let start = readme
        .find(marker)
        .expect("the README marks its quickstart");
    let block = &readme[start..];
    let block = &block[block.find("```sh\n").unwrap() + 6..];
    let block = &block[..block.find("```").unwrap()];
    let mut lines = block.lines();
    assert_eq!(
        lines.next(),
        Some(r#"R="cargo run --release -p rampart --""#)
    );
    let cli = Cli::new("readme");
    std::fs::create_dir_all(&cli.ledger).unwrap();
    let mut ran = 0;
    for line in lines.filter(|l| !l.trim().is_empty()) {
        if line.starts_with("$R demo") {
            continue;
        }
        let out = Command::new("sh")
            .args(["-c", line])
            .env("R", env!("CARGO_BIN_EXE_rampart"))
            .env("RAMPART_LEDGER", &cli.ledger)
            .env("HOME", &cli.ledger)
            .env_remove("RAMPART_URL")
            .env_remove("RAMPART_KEYPAIR")
            .current_dir(root())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "README line failed: {line}\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        ran += 1;
    }
    assert!(ran >= 18, "{ran} lines");
    // The borrow landed and the repay cleared it, interest and all.
    let health = cli.json(&["margin", "health"]);
    let usdc_debt = health["positions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["token"] == "USDC")
        .map_or(0, |p| p["debt"].as_u64().unwrap());
    assert_eq!(usdc_debt, 0, "{health}");
}

/// A round no TWAP can settle is not stuck: the error says why and what to
/// do, the keeper reports it as a failure with the same advice, and once
/// the grace period is over governance settles it from the CLI at a price
/// it names; the vault then rolls on.
#[test]
fn an_unsettleable_round_is_settled_by_governance_after_the_grace_period() {
    let cli = Cli::new("gov-settle");
    cli.ok(&["init", "--config", "migrations/localnet.toml"]);
    cli.ok(&["faucet", "--token", "BTC", "--amount", "1"]);
    cli.prices("30000", "0");
    cli.ok(&[
        "vault",
        "deposit",
        "--vault",
        "BTC-call-1h",
        "--amount",
        "1",
    ]);
    assert_eq!(
        cli.json(&["vault", "roll", "--vault", "BTC-call-1h"])["round"],
        2
    );
    // Nobody pushes a price through expiry: the settlement window has no history.
    let thin = cli.fails(&[
        "vault",
        "settle",
        "--vault",
        "BTC-call-1h",
        "--warp",
        "3700",
    ]);
    assert!(thin.contains("pricing::TwapUnavailable"), "{thin}");
    assert!(
        thin.contains("rampart vault settle --vault BTC-call-1h --price <USD>")
            && thin.contains("the grace period ends at"),
        "{thin}"
    );
    // Later prices cannot fill a window that has passed.
    cli.prices("30000", "0");
    let r = cli.run(&["keeper", "--ticks", "1", "--json"]);
    assert!(r.ok, "{}", r.stderr);
    let stats: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        stats["failed"]["Settle: pricing::TwapUnavailable"], 1,
        "{stats}"
    );
    assert!(r.stderr.contains("--price <USD>"), "{}", r.stderr);
    let early = cli.fails(&[
        "vault",
        "settle",
        "--vault",
        "BTC-call-1h",
        "--price",
        "30000",
    ]);
    assert!(early.contains("vault::GracePeriodNotOver"), "{early}");

    let settled = cli.json(&[
        "vault",
        "settle",
        "--vault",
        "BTC-call-1h",
        "--price",
        "30500",
        "--warp",
        "3700",
    ]);
    assert_eq!(settled["by_governance"], true, "{settled}");
    assert_eq!(settled["settlement_price_wad"], "30500000000000000000000");
    cli.prices("30500", "0");
    assert_eq!(
        cli.json(&["vault", "roll", "--vault", "BTC-call-1h"])["round"],
        3
    );
}

/// The sum of a `balance --json` token's amount.
fn token_held(balance: &Value, token: &str) -> u64 {
    balance["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["token"] == token)
        .and_then(|t| t["amount"].as_u64())
        .unwrap_or_else(|| panic!("no {token} in {balance}"))
}

/// The backstop pool the deployment file creates, worked from the CLI
/// alone: an LP puts USDC in a band; the keeper, whose wallet has no USDC
/// left to pay a liquidation with, sells the liquidated BTC into the band
/// instead; the LP sees what its stake bought, claims it and withdraws
/// the rest, and `balance` shows each holding on the way.
#[test]
fn the_keeper_sells_liquidations_into_the_backstop_the_toml_deploys() {
    let cli = Cli::new("backstop");
    // The wallet keeps 20,000 of its USDC out of the lending.
    let _ = cli.underwater_borrower("migrations/localnet.toml", "520000");
    let empty = cli.json(&["backstop", "status"]);
    assert_eq!(empty["pool"], "BTC/USDC");
    assert_eq!(empty["margin_registered"], true);
    assert_eq!(empty["bands"].as_array().unwrap().len(), 6);
    // They go into band 0, 0.5% under the feed.
    let deposited = cli.json(&["backstop", "deposit", "--band", "0", "--amount", "20000"]);
    assert_eq!(deposited["stake_quote"], 20_000_000_000u64, "{deposited}");
    let broke = cli.fails(&["backstop", "deposit", "--band", "1", "--amount", "1"]);
    assert!(broke.contains("the wallet holds 0 USDC"), "{broke}");
    let no_band = cli.fails(&["backstop", "deposit", "--band", "6", "--amount", "1"]);
    assert!(no_band.contains("the pool has bands 0 to 5"), "{no_band}");
    let no_pool = cli.fails(&["backstop", "status", "--pool", "ETH/USDC"]);
    assert!(no_pool.contains("(deployed: BTC/USDC)"), "{no_pool}");
    let held = cli.json(&["balance"]);
    assert_eq!(token_held(&held, "USDC"), 0);
    assert_eq!(held["backstop_stakes"][0]["quote"], 20_000_000_000u64);

    // The keeper, with no USDC to pay the debt itself, sells the
    // borrower's BTC into the band.
    let stats = cli.json(&["keeper", "--ticks", "1"]);
    assert!(stats["liquidations"].as_u64().unwrap() >= 1, "{stats}");
    assert_eq!(stats["sold_to_backstop"], stats["liquidations"], "{stats}");
    assert_eq!(stats["failures"], 0, "{stats}");

    let pool = cli.json(&["backstop", "status"]);
    let band = &pool["bands"][0];
    let bought = band["collateral"].as_u64().unwrap();
    let quote_left = band["quote"].as_u64().unwrap();
    assert!(bought > 0 && quote_left < 20_000_000_000, "{pool}");
    // The only stake owns the band, rounded down.
    let yours = &band["yours"];
    let (my_quote, my_btc) = (
        yours["quote"].as_u64().unwrap(),
        yours["collateral"].as_u64().unwrap(),
    );
    assert!(my_btc <= bought && bought - my_btc <= 1, "{pool}");
    assert!(
        my_quote <= quote_left && quote_left - my_quote <= 1,
        "{pool}"
    );
    // It paid about 99.5% of the feed's price for what it bought.
    let paid_usd = (20_000_000_000 - quote_left) as f64 / 1e6;
    let btc = bought as f64 / 1e8;
    let price = paid_usd / btc;
    assert!((23_000.0..24_000.0).contains(&price), "{price}");
    let held = cli.json(&["balance"]);
    assert_eq!(held["backstop_stakes"][0]["collateral"], my_btc);

    let claimed = cli.json(&["backstop", "claim"]);
    assert_eq!(claimed["collateral"], my_btc, "{claimed}");
    assert_eq!(token_held(&cli.json(&["balance"]), "BTC"), my_btc);
    let nothing = cli.json(&["backstop", "claim"]);
    assert_eq!(nothing["collateral"], 0);
    let too_much = cli.fails(&["backstop", "withdraw", "--band", "0", "--amount", "30000"]);
    assert!(too_much.contains("the stake in band 0 owns"), "{too_much}");
    let out = cli.json(&["backstop", "withdraw", "--band", "0", "--amount", "max"]);
    assert_eq!(out["quote"], my_quote, "{out}");
    let held = cli.json(&["balance"]);
    assert_eq!(token_held(&held, "USDC"), my_quote);
    assert!(
        held["backstop_stakes"].as_array().unwrap().is_empty(),
        "{held}"
    );
    let none = cli.fails(&["backstop", "withdraw", "--band", "0", "--amount", "1"]);
    assert!(
        none.contains("the stake in band 0 owns 0 USDC, less than 1"),
        "{none}"
    );
    let never = cli.fails(&["backstop", "withdraw", "--band", "3", "--amount", "1"]);
    assert!(never.contains("no stake in BTC/USDC band 3"), "{never}");
}

/// Guardians from the deployment file: two of the three sign one
/// transaction to put margin in reduce-only now, with no timelock; new
/// borrowing is refused by name; they lift it, and a pause they leave
/// lapses by itself.
#[test]
fn guardians_pause_margin_at_once_and_the_pause_lapses() {
    let cli = Cli::new("guardians");
    cli.ok(&["init", "--config", "migrations/localnet.toml"]);
    cli.ok(&["faucet", "--token", "BTC", "--amount", "1"]);
    cli.ok(&["faucet", "--token", "USDC", "--amount", "10000"]);
    cli.prices("30000", "0");
    cli.ok(&["margin", "open", "--index", "1"]);
    cli.ok(&[
        "margin", "deposit", "--token", "USDC", "--amount", "10000", "--index", "1",
    ]);
    cli.ok(&["margin", "open"]);
    cli.ok(&["margin", "deposit", "--token", "BTC", "--amount", "1"]);
    let v1 = root().join("migrations/keys/localnet-validator-1.json");
    let v1 = v1.to_str().unwrap();
    let (stranger, stranger_address) = cli.other_wallet("guardians-x");

    let alone = cli.fails(&["gov", "pause", "--secs", "3600"]);
    assert!(alone.contains("2 of 3 guardians must sign"), "{alone}");
    let e = cli.fails(&["gov", "pause", "--secs", "3600", "--cosigner", &stranger]);
    assert!(
        e.contains(&format!("{stranger_address} is not a guardian")),
        "{e}"
    );
    let e = cli.fails(&[
        "gov",
        "pause",
        "--secs",
        "3600",
        "--status",
        "halt",
        "--cosigner",
        v1,
    ]);
    assert!(e.contains("use reduce-only or shutdown"), "{e}");
    // Longer than the file's max_pause_secs (a day): the program refuses.
    let e = cli.fails(&["gov", "pause", "--secs", "90000", "--cosigner", v1]);
    assert!(e.contains("margin::ParamOutOfBounds"), "{e}");

    let paused = cli.json(&["gov", "pause", "--secs", "3600", "--cosigner", v1]);
    assert_eq!(paused["margin"], "ReduceOnly", "{paused}");
    assert_eq!(paused["signers"], 2);
    let borrow = ["margin", "borrow", "--token", "USDC", "--amount", "100"];
    let e = cli.fails(&borrow);
    assert!(e.contains("margin::ProtocolStatusForbids"), "{e}");
    let lifted = cli.json(&["gov", "unpause", "--cosigner", v1]);
    assert_eq!(lifted["margin"], "Active", "{lifted}");
    cli.ok(&borrow);

    assert_eq!(
        cli.json(&["gov", "pause", "--secs", "60", "--cosigner", v1])["margin"],
        "ReduceOnly"
    );
    cli.fails(&borrow);
    cli.prices("30000", "61");
    cli.ok(&borrow);
}

/// The option buyer from the CLI: buy options of the round on sale at the
/// program's price within a premium cap, see them in `balance`, and once
/// the round has settled in the money exercise them for the payoff, paid
/// in BTC to the unit the event reports.
#[test]
fn an_option_buyer_buys_sees_and_exercises_from_the_cli() {
    let cli = Cli::new("options");
    cli.ok(&["init", "--config", "migrations/localnet.toml"]);
    cli.ok(&["faucet", "--token", "BTC", "--amount", "3"]);
    cli.prices("30000", "0");
    let call = ["--vault", "BTC-call-1h"];
    // Options on 0.1 BTC, paying at most `cap` BTC of premium.
    let buy = |cap: &'static str| {
        [
            "vault",
            "buy",
            call[0],
            call[1],
            "--amount",
            "0.1",
            "--max-premium",
            cap,
        ]
    };
    let early = cli.fails(&buy("0.01"));
    assert!(early.contains("no round on sale"), "{early}");
    cli.ok(&["vault", "deposit", call[0], call[1], "--amount", "1"]);
    assert_eq!(cli.json(&["vault", "roll", call[0], call[1]])["round"], 2);
    let before = token_held(&cli.json(&["balance"]), "BTC");

    // A premium cap below the price: the program refuses, nothing moves.
    let e = cli.fails(&buy("0.00000001"));
    assert!(e.contains("vault::"), "{e}");
    assert_eq!(token_held(&cli.json(&["balance"]), "BTC"), before);

    let bought = cli.json(&buy("0.01"));
    assert_eq!(bought["amount"], 10_000_000u64, "{bought}");
    let premium = bought["premium"].as_u64().unwrap();
    assert!(premium > 0 && premium <= 1_000_000, "{bought}");
    let held = cli.json(&["balance"]);
    assert_eq!(token_held(&held, "BTC"), before - premium);
    let vault = held["vaults"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["vault"] == "BTC-call-1h")
        .unwrap();
    assert_eq!(vault["options"], 10_000_000u64, "{held}");
    assert_eq!(vault["options_round"], 2);
    let e = cli.fails(&["vault", "exercise", call[0], call[1]]);
    assert!(
        e.contains("no options of a settled BTC-call-1h round"),
        "{e}"
    );

    // BTC rises 10% into expiry: the 25-delta call ends in the money.
    cli.prices("33000", "3200");
    for _ in 0..10 {
        cli.prices("33000", "60");
    }
    let settled = cli.json(&["vault", "settle", call[0], call[1]]);
    let price: f64 = settled["settlement_price_wad"]
        .as_str()
        .unwrap()
        .parse::<f64>()
        .unwrap()
        / 1e18;
    assert!(price > 30_000.0, "{settled}");
    let before = token_held(&cli.json(&["balance"]), "BTC");
    let exercised = cli.json(&["vault", "exercise", call[0], call[1]]);
    let payoff = exercised["payoff"].as_u64().unwrap();
    assert!(payoff > 0, "{exercised}");
    assert_eq!(exercised["rounds"][0]["round"], 2);
    assert_eq!(exercised["rounds"][0]["options"], 10_000_000u64);
    assert_eq!(token_held(&cli.json(&["balance"]), "BTC"), before + payoff);
    // The options are burnt: nothing left to exercise.
    cli.fails(&["vault", "exercise", call[0], call[1]]);
}

/// The README's reports and benchmarks, each through the binary as the
/// README writes it, sized down with the command's own flags (the full
/// sizes take minutes in a release build; `idl --check` is
/// `committed_idl_matches_the_programs`, on the same function).
#[test]
fn every_report_and_benchmark_the_readme_names_runs_from_the_binary() {
    let cli = Cli::new("reports");
    std::fs::create_dir_all(&cli.ledger).unwrap();
    let replay = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["replay", "--ledger"])
        .arg(&cli.ledger)
        .env("RAMPART_REPLAY_STEPS", "100")
        .current_dir(root())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&replay.stdout);
    assert!(replay.status.success(), "{text}");
    assert!(text.contains("100 steps, 200 transactions"), "{text}");
    assert!(text.contains("breaker trips:"), "{text}");

    // `rampart stress my.scn --accounts N --policy rampart`: a scenario file
    // of the user's own (the built-in flash crash, renamed).
    let mine = cli.ledger.join("my.scn");
    std::fs::copy(root().join("scenarios/flash-crash.scn"), &mine).unwrap();
    let report = cli.stress(
        &mine,
        &["--accounts", "10", "--policy", "rampart"],
        &cli.ledger.join("report"),
    );
    let out = cli.ledger.join("report");
    assert_eq!(report[0]["scenario"], "flash-crash");
    assert_eq!(report[0]["accounts"], 10);
    let runs = report[0]["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["policy"], "rampart");
    assert!(runs[0]["liquidations"].as_u64().unwrap() > 0, "{report}");
    assert!(out.join("report.md").exists() && out.join("charts").is_dir());

    // Each benchmark prints its figure: a positive rate, and what it counted.
    for (args, counted) in [
        (
            vec!["bench", "tx", "--transactions", "200"],
            "200 signed SOL transfers",
        ),
        (
            vec!["bench", "tx", "--transactions", "100", "--lanes", "1"],
            "1 in flight",
        ),
        (vec!["bench", "startup", "--runs", "2"], "median of 2"),
        (
            vec!["bench", "refresh", "--refreshes", "50"],
            "50 refreshes of a 3-source feed",
        ),
        (
            vec!["bench", "liquidations", "--accounts", "20"],
            "20 partial liquidations",
        ),
        (
            vec!["bench", "epochs", "--epochs", "3"],
            "3 epochs, 12 transactions",
        ),
    ] {
        let text = cli.ok(&args);
        assert!(text.contains(counted), "{args:?}: {text}");
        let rate = text
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .find(|w| !w.is_empty())
            .and_then(|w| w.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("{args:?}: no figure in {text}"));
        assert!(rate > 0.0, "{args:?}: {text}");
    }
    let text = cli.ok(&["backstop", "efficiency", "--accounts", "50"]);
    assert!(
        text.contains("flash crash") && text.contains("slow bleed") && text.contains("x*y=k"),
        "{text}"
    );
}

/// The monitor reads a ledger a keeper holds: `LedgerView` sees what the
/// holder's write-ahead log has, takes no lock, and sends nothing.
#[test]
fn a_ledger_view_reads_a_held_ledger_up_to_its_last_transaction() {
    use rampart_client::transport::Transport;
    use rampart_embedded::ledger::{LedgerChain, LedgerOptions, LedgerView};
    use solana_sdk::signature::{Keypair, Signer};
    let dir = std::env::temp_dir().join(format!("rampart-view-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let wallet = Keypair::new();
        let mut held = LedgerChain::open(LedgerOptions {
            dir: dir.clone(),
            wallet: wallet.insecure_clone(),
            clones: vec![],
            warp_secs: 0,
        })
        .await
        .unwrap();
        let to = solana_sdk::pubkey::Pubkey::new_unique();
        let transfer = solana_sdk::system_instruction::transfer(&wallet.pubkey(), &to, 5_000_000);
        held.send(&[transfer], &[]).await.unwrap();

        let mut view = LedgerView::read(&dir).unwrap();
        let seen = view
            .account(to)
            .await
            .unwrap()
            .expect("the transfer's account");
        assert_eq!(seen.lamports, 5_000_000);
        let with_data = view
            .program_accounts(solana_sdk::system_program::ID, [0; 8])
            .await
            .unwrap();
        assert!(
            with_data.is_empty(),
            "no system account has 8 bytes of data"
        );
        assert!(view.cannot_sign().is_some());
        let refused = view.send(&[], &[]).await.unwrap_err().to_string();
        assert!(refused.contains("only reads"), "{refused}");
        // The holder still holds the ledger: the view took no lock.
        assert!(dir.join("lock").exists());
        drop(held);
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Price histories the user brings, in the three formats the README
/// documents: replayed through the pricing program, stressed as a
/// scenario (relative to the scenario file), and refused, with file, line
/// and field, where a row is malformed.
#[test]
fn the_users_own_price_files_replay_and_stress_from_the_binary() {
    let cli = Cli::new("own-prices");
    std::fs::create_dir_all(&cli.ledger).unwrap();
    let files = root().join("tests/fixtures/price-files");
    let sources = [
        "XBTUSD_5.csv",
        "BTCUSDT-5m-2023-03-11.csv",
        "btc-usdc-2023-03-11.csv",
    ]
    .map(|f| files.join(f).display().to_string())
    .join(",");
    let text = cli.ok(&[
        "replay",
        "--sources",
        &sources,
        "--window",
        "2023-03-11T02:00:00Z,2023-03-11T04:00:00Z",
    ]);
    assert!(text.contains("one step per 300 s"), "{text}");
    assert!(text.contains("72 steps, 144 transactions"), "{text}");
    assert!(
        text.contains("the window 2023-03-11 02:00 .. 2023-03-11 04:00"),
        "{text}"
    );
    // The depegged BTC/USDC source is dropped as an outlier, not averaged in.
    let outliers = text
        .lines()
        .find(|l| l.contains("dropped as outliers"))
        .unwrap();
    assert!(outliers.contains("XBTUSD_5.csv 0"), "{outliers}");
    assert!(
        !outliers.contains("btc-usdc-2023-03-11.csv 0"),
        "{outliers}"
    );

    // The scenario shipped for these files.
    let report = cli.stress(
        &root().join("scenarios/replay-user-files.scn"),
        &["--accounts", "10", "--policy", "rampart"],
        &cli.ledger.join("report"),
    );
    assert_eq!(report[0]["scenario"], "replay-user-files");
    assert_eq!(report[0]["steps"], 72, "six hours of 5-minute candles");

    // A scenario of the user's own beside its files: a Rampart CSV with a
    // gap (that source is stale then), the step the file's own.
    let dir = cli.ledger.join("mine");
    std::fs::create_dir_all(&dir).unwrap();
    let mut csv = String::from("timestamp,price\n");
    for i in 0..40i64 {
        if !(10..14).contains(&i) {
            csv.push_str(&format!(
                "{},{}\n",
                1_700_000_000 + 60 * i,
                30_000 - 100 * i
            ));
        }
    }
    std::fs::write(dir.join("a.csv"), &csv).unwrap();
    std::fs::write(
        dir.join("b.csv"),
        csv.replace("timestamp,price", "Timestamp,Price"),
    )
    .unwrap();
    std::fs::write(
        dir.join("mine.scn"),
        "name mine\naccounts 5\npath replay files=a.csv,a.csv,b.csv\n",
    )
    .unwrap();
    let report = cli.stress(
        &dir.join("mine.scn"),
        &["--policy", "rampart"],
        &dir.join("report"),
    );
    assert_eq!(
        report[0]["steps"], 40,
        "one step a minute, the gap included"
    );

    // A malformed row: refused, naming the file, the line and the field.
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "timestamp,price\n2023-03-11T00:00:00Z,20000\n2023-03-11T00:05:00Z,2O100\n",
    )
    .unwrap();
    let refused = cli.fails(&["replay", "--sources", bad.to_str().unwrap()]);
    assert!(
        refused.contains("bad.csv:3: field price: `2O100` is not a positive number"),
        "{refused}"
    );
}

/// The risk agent from the CLI: after init it has nothing to decide; with
/// a borrower it prints its inputs, the loss at every base, the rule that
/// fired and its decision, and `--dry-run` sends nothing; live it moves the
/// base one leash step and then waits out the interval; another wallet is
/// refused before anything is sent.
#[test]
fn the_risk_agent_explains_itself_and_moves_one_leash_step() {
    let cli = Cli::new("agent");
    cli.ok(&["init", "--config", "migrations/localnet.toml"]);
    cli.prices("30000", "0");
    let text = cli.ok(&["agent", "--dry-run"]);
    assert!(
        text.contains("no bank has borrowers: nothing to decide"),
        "{text}"
    );

    cli.ok(&["faucet", "--token", "USDC", "--amount", "100000"]);
    cli.ok(&["margin", "open"]);
    cli.ok(&["margin", "deposit", "--token", "USDC", "--amount", "100000"]);
    let (borrower, _) = cli.borrower();
    let base = || {
        cli.bank("USDC")["maint_base_wad"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let before = base();

    // A calm market: nothing could be lost, and the bank's base is already
    // the lowest the bank allows.
    let text = cli.ok(&["agent", "--dry-run", "--paths", "300"]);
    for expected in [
        "USDC (borrowed against BTC/USD): 1 account owes $21000.",
        "BTC/USD at 30000.00, volatility 60.0% a year",
        "capacity: insurance $0.00 + backstop $0.00 = $0.00",
        "99% one-hour loss from late liquidations, by maintenance base:",
        "base  5.00% (ratio",
        "rule: the smallest base whose 99% one-hour loss ($0.00) fits the capacity ($0.00)",
        "decision: hold at 5.00%: it is where the rule wants it",
        "(dry run: nothing sent)",
    ] {
        assert!(text.contains(expected), "{expected:?} in\n{text}");
    }

    // BTC swings 10% every 15 s (realized volatility in the hundreds of
    // percent) and ends just above the borrower's liquidation price, and
    // liquidations would take an hour (a stalled keeper): the loss exceeds
    // the empty fund whatever the base, so the rule wants the most
    // protective one, and the leash gives it one step.
    for price in ["27000", "30000", "27000", "30000", "27000", "24700"] {
        cli.prices(price, "15");
    }
    let args = ["agent", "--paths", "500", "--delay", "3600"];
    let text = cli.ok(&[&args[..], &["--dry-run"]].concat());
    assert!(
        text.contains("no base in the band keeps the 99% one-hour loss within the capacity")
            || text.contains("rule: the smallest base whose 99% one-hour loss"),
        "{text}"
    );
    assert!(
        text.contains("decision: move the base 5.00% -> 5.50%"),
        "{text}"
    );
    assert!(
        text.contains("decision: move the borrow cap 20000000.00 USDC (0.00% held back) -> 18000000.00 USDC (10.00% held back)")
            && text.contains("liquidation fee ramp: 0.0010% a slot")
            && text.contains("decision: move it 0.0010% a slot -> 0.0020% a slot"),
        "over capacity: the borrow cap tightens a tenth, the fee ramp steepens a step\n{text}"
    );
    assert_eq!(base(), before, "a dry run sends nothing");
    let all = [&args[..], &["--dry-run", "--json"]].concat();
    let lines: Vec<Value> = cli
        .ok(&all)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let (decision, fee) = (&lines[0], &lines[1]);
    assert_eq!(fee["fee_ramp"], true);
    assert_eq!(fee["ramp"]["wanted"], 50_000_000_000_000u64);
    assert!(fee["sent"].is_null());
    assert_eq!(decision["symbol"], "USDC");
    assert_eq!(decision["inputs"]["accounts"], 1);
    assert_eq!(
        decision["losses"].as_array().unwrap().len(),
        7,
        "5% to 8% by 0.5%"
    );
    assert!(decision["sent"].is_null());

    // Another wallet is not the agent: refused before anything is sent.
    let refused = cli.fails(&[&args[..], &["--ticks", "1", "--keypair", &borrower]].concat());
    assert!(refused.contains("is not margin's risk agent"), "{refused}");

    let text = cli.ok(&[&args[..], &["--ticks", "1"]].concat());
    assert!(
        text.contains("decision: move the base 5.00% -> 5.50%") && text.contains("  sent"),
        "{text}"
    );
    assert_eq!(base(), "55000000000000000", "one leash step of 0.5%");
    let usdc = cli.bank("USDC");
    assert_eq!(
        (&usdc["borrow_cap"], &usdc["governance_borrow_cap"]),
        (
            &serde_json::json!(18_000_000_000_000u64),
            &serde_json::json!(20_000_000_000_000u64)
        ),
        "the agent's cap a tenth under governance's, which stays"
    );
    // The leash's interval (5 minutes) holds the next move.
    let text = cli.ok(&[&args[..], &["--dry-run"]].concat());
    assert!(
        text.contains("decision: hold at 5.50%: the leash allows the next move at"),
        "{text}"
    );
}

/// A band kept thin on purpose cannot hold an account to dust-sized
/// liquidations: an attacker (the borrower, say) stakes 1 USDC in band 0
/// before the keeper's pass, so the backstop's fill is worth a dollar; the
/// keeper then liquidates the rest from its wallet in the same pass, and
/// the account is healthy afterwards. (Before the fix the pass ended on
/// the dust fill with the account still under water.)
#[test]
fn a_dust_band_cannot_hold_an_account_to_dust_liquidations() {
    let cli = Cli::new("dust-band");
    // The wallet (the keeper's) keeps 100,000 USDC to liquidate with.
    let (_, borrower_address) = cli.underwater_borrower("migrations/localnet.toml", "600000");
    let (attacker, attacker_address) = cli.other_wallet("dust-band-x");
    cli.ok(&[
        "faucet",
        "--token",
        "USDC",
        "--amount",
        "1",
        "--to",
        &attacker_address,
    ]);
    cli.ok(&[
        "backstop",
        "deposit",
        "--band",
        "0",
        "--amount",
        "1",
        "--keypair",
        &attacker,
    ]);
    let btc_before = token_held(&cli.json(&["balance"]), "BTC");

    let stats = cli.json(&["keeper", "--ticks", "1"]);
    assert_eq!(stats["liquidations"], 1, "{stats}");
    assert_eq!(stats["sold_to_backstop"], 1, "{stats}");
    assert_eq!(stats["failures"], 0, "{stats}");
    let pool = cli.json(&["backstop", "status"]);
    assert_eq!(pool["bands"][0]["quote"], 0, "the dollar was spent: {pool}");
    // The wallet took the rest of the liquidation: BTC worth far more
    // than the attacker's dollar.
    let btc_after = token_held(&cli.json(&["balance"]), "BTC");
    assert!(
        btc_after - btc_before > 100_000,
        "{btc_before} -> {btc_after}"
    );
    assert_eq!(
        cli.json(&["margin", "health", "--owner", &borrower_address])["liquidatable"],
        false,
        "one pass liquidates the account, not a dollar of it"
    );
}

/// `tests/frontend`, with node on PATH and its packages installed (by
/// `npm ci --prefix tests/frontend`, as the README's test command does).
fn node_project() -> PathBuf {
    let frontend = root().join("tests/frontend");
    match Command::new("node").arg("--version").output() {
        Ok(v) if v.status.success() => {}
        _ => panic!("node not found: the JavaScript tests need Node.js 20 or later on PATH"),
    }
    assert!(
        frontend.join("node_modules/@coral-xyz/anchor").is_dir()
            && frontend.join("node_modules/playwright-core").is_dir(),
        "tests/frontend/node_modules is missing or old: run `npm ci --prefix tests/frontend` (the README's test command does)"
    );
    frontend
}

/// The HTML report as a reader opens it: `tests/frontend/report.test.js`
/// renders a two-scenario, every-policy report in headless Chromium and
/// checks that every chart drew, the summary comes first with the best of
/// each column marked, and no legend sits on the data. Where Chromium is
/// not installed (`.ci/run` installs Debian's) it is skipped with one line.
#[test]
fn the_html_report_draws_every_chart_in_headless_chromium() {
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.exists() {
        println!(
            "skipped: no Chromium at {} (install Debian's chromium package, or set CHROMIUM)",
            chromium.display()
        );
        return;
    }
    let frontend = node_project();
    let cli = Cli::new("html-report");
    std::fs::create_dir_all(&cli.ledger).unwrap();
    let out = cli.ledger.join("report");
    let report = {
        let mut args = vec!["stress"];
        let files = ["flash-crash", "oracle-spike"].map(|n| {
            root()
                .join(format!("scenarios/{n}.scn"))
                .display()
                .to_string()
        });
        args.extend(files.iter().map(String::as_str));
        args.extend(["--accounts", "8", "--out", out.to_str().unwrap()]);
        cli.ok(&args);
        out.join("report.html")
    };
    let run = Command::new("timeout")
        .args(["300", "node", "--test", "--test-reporter=spec"])
        .arg(frontend.join("report.test.js"))
        .current_dir(&frontend)
        .env("REPORT_HTML", &report)
        .env("CHROMIUM", &chromium)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(run.status.success(), "the report in Chromium:\n{text}");
    assert!(
        text.contains("ℹ pass 1") && text.contains("ℹ fail 0"),
        "{text}"
    );
}

/// A frontend on the standard JavaScript stack against `rampart serve`:
/// `tests/frontend/conformance.test.js` runs the real Anchor client and
/// web3.js 1.x under node's test runner (installed by `npm ci --prefix
/// tests/frontend`, as the README's test command does) against a server
/// on a ledger this test deployed and priced; every `.rpc()` confirms
/// through the websocket, events arrive through `addEventListener`, and a
/// program error reaches the client by name. SIGTERM then stops the
/// server with the frontend's work saved in the ledger.
#[test]
fn the_standard_javascript_client_works_against_serve() {
    let frontend = node_project();
    let cli = Cli::new("frontend");
    cli.ok(&["init", "--config", "migrations/localnet.toml"]);
    cli.prices("30000", "0");
    let port = free_ports();
    let mut server = cli.serve(port);
    // A client that hangs (an unanswered subscription retried forever)
    // fails the test in minutes, not hours.
    let out = Command::new("timeout")
        .args([
            "300",
            "node",
            "--test",
            "--test-timeout=60000",
            "--test-reporter=spec",
        ])
        .arg(frontend.join("conformance.test.js"))
        .current_dir(&frontend)
        .env("RAMPART_URL", format!("http://127.0.0.1:{port}"))
        .env("RAMPART_WALLET", cli.ledger.join("wallet.json"))
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{report}");
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let stopped = server.wait().unwrap();
    assert!(
        out.status.success(),
        "the JavaScript client failed:\n{report}"
    );
    // node's spec reporter closes with its counts.
    assert!(
        report.contains("ℹ pass 8") && report.contains("ℹ fail 0"),
        "{report}"
    );
    assert!(
        stopped.success(),
        "serve stops cleanly on SIGTERM: {stopped:?}"
    );
    // What the frontend did is in the ledger: its USDC deposit, among others.
    let usdc = cli.bank("USDC");
    assert_eq!(usdc["deposits"], 1_000_000_000u64, "{usdc}");
}

/// `rampart stress` carries out each run in a child process of its own (a
/// process's finished banks are never freed). Its figures are exactly
/// those of the same runs in this process, to the last bit of every f64,
/// agent included; a malformed child invocation says what it takes.
#[test]
fn each_stress_run_in_a_process_of_its_own_gives_the_in_process_figures() {
    let cli = Cli::new("stress-child");
    std::fs::create_dir_all(&cli.ledger).unwrap();
    let file = root().join("scenarios/agent-compromised.scn");
    let policies = ["rampart", "rampart-agent"];
    let report = cli.stress(
        &file,
        &[
            "--accounts",
            "12",
            "--policy",
            policies[0],
            "--policy",
            policies[1],
        ],
        &cli.ledger.join("report"),
    );
    let mut scenario = rampart_sim::stress::load(&file).unwrap();
    scenario.accounts = 12;
    let only = policies.map(String::from);
    let here =
        rampart_sim::stress::run_scenario(&scenario, &only, std::sync::Arc::new(|| {})).unwrap();
    assert_eq!(here.runs.len(), 2);
    assert!(here.runs[1].agent_moves > 0, "the thief moved nothing");
    assert_eq!(report[0], serde_json::to_value(&here).unwrap());

    let e = cli.fails(&[
        "stress",
        file.to_str().unwrap(),
        "--policy",
        "rampart",
        "--policy",
        "single-fixed",
        "--run-one",
    ]);
    assert_eq!(
        e,
        "error: --run-one takes one scenario file and one --policy"
    );
}
