//! The RPC transport against a real JSON-RPC endpoint with no network: the
//! embedded chain served over HTTP on localhost (`rampart_embedded::serve`), so
//! solana-client's `RpcClient` does its real requests and parsing.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use rampart::actions;
use rampart_client::transport::rpc::{RpcTransport, SendOptions};
use rampart_client::transport::Transport;
use rampart_embedded::serve::{self, Node};
use rampart_embedded::{Chain, TxFailure};
use rampart_ops::deploy;
use solana_sdk::signature::{write_keypair_file, Keypair, Signer};

/// An endpoint on a free port (its websocket on the next), and a funded wallet.
async fn endpoint() -> (Arc<Node>, String, Keypair) {
    let mut chain = Chain::builder().start().await;
    let wallet = chain.funded_keypair(100_000_000_000).await;
    let node = Node::new(chain);
    let (http, ws) = loop {
        let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = http.local_addr().unwrap().port();
        if let Ok(ws) = tokio::net::TcpListener::bind(("127.0.0.1", port + 1)).await {
            break (http, ws);
        }
    };
    let url = format!("http://{}", http.local_addr().unwrap());
    tokio::spawn(serve::serve(node.clone(), http));
    tokio::spawn(serve::serve_pubsub(node.clone(), ws));
    (node, url, wallet)
}

fn fast() -> SendOptions {
    SendOptions {
        poll: std::time::Duration::from_millis(20),
        ..SendOptions::default()
    }
}

fn localnet() -> deploy::DeployConfig {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/localnet.toml");
    deploy::load(&path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploys_reads_and_decodes_errors_over_json_rpc() {
    let (node, url, wallet) = endpoint().await;
    let mut rpc = RpcTransport::new(&url, wallet.insecure_clone(), fast());

    let steps = deploy::init(&mut rpc, &localnet(), &|_| {}).await.unwrap();
    assert_eq!(steps.iter().filter(|s| s.created).count(), 18);
    let again = deploy::init(&mut rpc, &localnet(), &|_| {}).await.unwrap();
    assert!(again.iter().all(|s| !s.created), "idempotent over RPC too");

    // Reads: accounts by owner and discriminator (getProgramAccounts with a
    // memcmp filter), single accounts, the clock sysvar.
    let d = rampart_client::Deployment::load(&mut rpc).await.unwrap();
    assert_eq!(d.feeds.len(), 2);
    assert_eq!(d.banks.len(), 2);
    assert_eq!(d.vaults.len(), 2);
    let clock = rpc.clock().await.unwrap();
    assert!(clock.slot > 0);
    assert!(rpc.minimum_balance(165).await.unwrap() > 0);

    // Writes land and their logs come back (getTransaction): the push
    // emits one event per manual source.
    let out = actions::pricing::push(&mut rpc, "BTC/USD", "30000", 5)
        .await
        .unwrap();
    assert_eq!(out.json["sources"], 3);
    let status = actions::pricing::refresh(&mut rpc, None).await.unwrap();
    assert_eq!(status.json[0]["ok"], true, "{}", status.text);

    // A rejection is the program's error, decoded by name, from the
    // preflight response; nothing landed.
    let stranger = Keypair::new();
    let ix = solana_sdk::system_instruction::transfer(
        &wallet.pubkey(),
        &stranger.pubkey(),
        1_000_000_000,
    );
    rpc.send(&[ix], &[]).await.unwrap();
    let mut impostor = RpcTransport::new(&url, stranger, fast());
    let e = actions::gov::shutdown(&mut impostor).await.unwrap_err();
    let failure = e.downcast_ref::<TxFailure>().expect("a program rejection");
    assert_eq!(failure.custom_code(), Some(7000));
    assert!(!failure.logs.is_empty(), "preflight logs carried over");
    assert_eq!(
        rampart_client::failure::describe(&e),
        "gov shutdown: margin::Unauthorized (7000): Signer is not the protocol governance authority"
    );
    let config: margin::state::MarginConfig =
        rampart_client::transport::require(&mut rpc, rampart_sdk::pda::margin::config())
            .await
            .unwrap();
    assert_eq!(config.status, margin::state::MarginStatus::Active);

    // A forged signature is refused and nothing lands.
    let mut forged = solana_sdk::transaction::Transaction::new_with_payer(
        &[rampart_sdk::margin_ix::set_margin_status(
            wallet.pubkey(),
            margin::state::MarginStatus::Shutdown,
        )],
        Some(&wallet.pubkey()),
    );
    forged.message.recent_blockhash = solana_sdk::hash::Hash::new_unique();
    forged.signatures = vec![solana_sdk::signature::Signature::new_unique()];
    let client = solana_client::nonblocking::rpc_client::RpcClient::new(url.clone());
    let e = client.send_transaction(&forged).await.unwrap_err();
    assert!(e.to_string().contains("signature"), "{e}");
    let config: margin::state::MarginConfig =
        rampart_client::transport::require(&mut rpc, rampart_sdk::pda::margin::config())
            .await
            .unwrap();
    assert_eq!(config.status, margin::state::MarginStatus::Active);

    // An expired blockhash is re-signed on a fresh one and sent again.
    let sends = node.sends.load(Ordering::SeqCst);
    node.expire_next.store(1, Ordering::SeqCst);
    actions::pricing::push(&mut rpc, "USDC/USD", "1", 5)
        .await
        .unwrap();
    assert_eq!(
        node.sends.load(Ordering::SeqCst),
        sends + 2,
        "one refused, one landed"
    );

    // Retries are bounded: a node that keeps refusing ends in one error.
    node.expire_next.store(100, Ordering::SeqCst);
    let mut impatient = RpcTransport::new(
        &url,
        wallet.insecure_clone(),
        SendOptions {
            retries: 1,
            ..fast()
        },
    );
    let e = actions::pricing::push(&mut impatient, "USDC/USD", "1", 5)
        .await
        .unwrap_err();
    assert!(
        format!("{e:#}").contains("gave up after 2 attempts"),
        "{e:#}"
    );
    node.expire_next.store(0, Ordering::SeqCst);

    // A transaction the node took but whose status it stops answering is
    // never sent twice: it is reported as one that may still land (and here
    // it did land, once).
    let mut silent = RpcTransport::new(
        &url,
        wallet.insecure_clone(),
        SendOptions {
            unanswered_polls: 3,
            ..fast()
        },
    );
    let feed = rampart_sdk::pda::feed("USDC/USD");
    let sends = node.sends.load(Ordering::SeqCst);
    node.fail_status_polls.store(1_000, Ordering::SeqCst);
    let e = actions::pricing::push(&mut silent, "USDC/USD", "1.01", 5)
        .await
        .unwrap_err();
    node.fail_status_polls.store(0, Ordering::SeqCst);
    assert!(
        format!("{e:#}").contains("it may still land, so it was not sent again"),
        "{e:#}"
    );
    assert_eq!(
        node.sends.load(Ordering::SeqCst),
        sends + 1,
        "sent once, not re-signed"
    );
    let manual: pricing::state::ManualPrice =
        rampart_client::transport::require(&mut rpc, rampart_sdk::pda::manual_price(&feed, 0))
            .await
            .unwrap();
    // 1.01 in the feed's exponent.
    assert_eq!(
        manual.price.to_string().trim_end_matches('0'),
        "101",
        "the one send landed: {}",
        manual.price
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_runs_unchanged_against_a_url() {
    let (_node, url, wallet) = endpoint().await;
    let dir = std::env::temp_dir().join(format!("rampart-rpc-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("id.json");
    write_keypair_file(&wallet, &key).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let home = dir.clone();
    let wallet_address = wallet.pubkey().to_string();
    let read_only = {
        let (url, root, home) = (url.clone(), root.clone(), home.clone());
        // No --keypair and no Solana CLI config under HOME: reads still run.
        move |args: &[&str]| {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
                .args(args)
                .args(["--url", &url])
                .current_dir(&root)
                .env("HOME", &home)
                .env_remove("RAMPART_KEYPAIR")
                .output()
                .unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
    };
    let run = move |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
            .args(args)
            .args(["--url", &url, "--keypair", key.to_str().unwrap()])
            .args(["--priority-fee", "10", "--compute-units", "400000"])
            .current_dir(&root)
            .env("HOME", &home)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // Blocking processes beside the async server: run them off the runtime.
    let (ok, stdout, stderr) = tokio::task::spawn_blocking({
        let run = run.clone();
        move || run(&["init", "--config", "migrations/localnet.toml"])
    })
    .await
    .unwrap();
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("18 created"), "{stdout}");
    let (ok, stdout, stderr) = tokio::task::spawn_blocking(move || {
        run(&["pricing", "push", "--feed", "BTC/USD", "--price", "30000"]);
        run(&["pricing", "push", "--feed", "USDC/USD", "--price", "1"]);
        run(&["pricing", "refresh"]);
        run(&["pricing", "status", "--json"])
    })
    .await
    .unwrap();
    assert!(ok, "{stderr}");
    let status: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(status[0]["feed"], "BTC/USD");
    assert_eq!(status[0]["price"], 3_000_000_000_000u64);

    let (status, banks, balance, open, mine, keeper, (agent_dry, agent)) =
        tokio::task::spawn_blocking(move || {
            (
                read_only(&["pricing", "status", "--json"]),
                read_only(&["margin", "banks", "--json"]),
                read_only(&["balance", "--owner", &wallet_address, "--json"]),
                read_only(&["margin", "open"]),
                read_only(&["balance"]),
                read_only(&["keeper", "--ticks", "1"]),
                (
                    read_only(&["agent", "--dry-run"]),
                    read_only(&["agent", "--ticks", "1"]),
                ),
            )
        })
        .await
        .unwrap();
    // The agent reads a cluster with no keypair in a dry run; to act it
    // needs one, and says so before anything is read.
    assert!(
        agent_dry.0
            && agent_dry
                .1
                .contains("no bank has borrowers: nothing to decide"),
        "{}{}",
        agent_dry.1,
        agent_dry.2
    );
    assert!(
        !agent.0
            && agent
                .2
                .contains("the agent sends transactions, which needs a keypair"),
        "{}",
        agent.2
    );
    // Without a wallet, "mine" means nothing: name the owner.
    assert!(
        !mine.0 && mine.2.contains("name the owner with --owner"),
        "{}",
        mine.2
    );
    // The keeper would only fail every job: it refuses to start.
    assert!(
        !keeper.0
            && keeper
                .2
                .contains("the keeper sends transactions, which needs a keypair"),
        "{}",
        keeper.2
    );
    assert!(status.0, "{}", status.2);
    let read: serde_json::Value = serde_json::from_str(&status.1).unwrap();
    assert_eq!(read[0]["price"], 3_000_000_000_000u64);
    assert!(banks.0, "{}", banks.2);
    assert!(balance.0, "{}", balance.2);
    let held: serde_json::Value = serde_json::from_str(&balance.1).unwrap();
    assert!(held["sol_lamports"].as_u64().unwrap() > 0, "{held}");
    // A command that sends says why it cannot, in one line.
    let (ok, _, stderr) = open;
    assert!(!ok);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("sends a transaction, which needs a keypair")
            && stderr.contains("--keypair"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monitor_prints_live_events_from_a_websocket_subscription() {
    let (_node, url, wallet) = endpoint().await;
    let mut rpc = RpcTransport::new(&url, wallet.insecure_clone(), fast());
    deploy::init(&mut rpc, &localnet(), &|_| {}).await.unwrap();
    let monitor = |json: bool| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            let mut args = vec!["monitor", "--url", &url, "--seconds", "4"];
            if json {
                args.push("--json");
            }
            std::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
                .args(args)
                .output()
                .unwrap()
        })
    };
    let (monitor, text_monitor) = (monitor(true), monitor(false));
    // Give it a moment to subscribe, then make events.
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    actions::pricing::push(&mut rpc, "BTC/USD", "30000", 5)
        .await
        .unwrap();
    actions::pricing::push(&mut rpc, "USDC/USD", "1", 5)
        .await
        .unwrap();
    actions::pricing::refresh(&mut rpc, None).await.unwrap();
    let out = monitor.await.unwrap();
    // The text monitor names the feed and prices it at its exponent, read
    // from the cluster.
    let text = String::from_utf8_lossy(&text_monitor.await.unwrap().stdout).into_owned();
    assert!(
        text.lines().any(|l| l.contains("pricing::FeedRefreshed")
            && l.contains(" feed=BTC/USD ")
            && l.contains(" price=30000.00 ")),
        "{text}"
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let count = |name: &str| lines.iter().filter(|l| l["event"] == name).count();
    assert_eq!(
        count("pricing::ManualPricePushed"),
        4,
        "3 BTC sources and 1 USDC, each once"
    );
    assert_eq!(count("pricing::FeedRefreshed"), 2);
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(
        summary.contains("\"pricing::FeedRefreshed\":2"),
        "{summary}"
    );
}
