// Load benchmark for `rampart serve` with the standard JavaScript client.
// N web3.js clients (one wallet and one Connection each) send margin
// deposits built from the IDL while M websocket subscribers listen to the
// margin program's logs. Halfway through, the server is stopped with
// SIGTERM (as a process manager stops it) and started again on the same
// ledger; the clients carry on. Checked at the end:
// - every transaction a client saw confirmed was confirmed once (no
//   signature twice), and each client's margin deposit in the ledger is
//   exactly the sum of its deposits that landed;
// - every subscriber saw every BalanceChanged event of the phase it
//   listened to exactly once;
// - the server's memory (VmRSS) stays bounded.
// Prints transactions per second and the p50/p99 confirmation latency.
//
//   cargo build --release -p rampart
//   npm --prefix tests/frontend run load -- [--clients 16] [--transactions 10000] [--subscribers 4] [--bin target/release/rampart]

const { spawn, execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const assert = require("node:assert/strict");
const anchor = require("@coral-xyz/anchor");
const { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey, Transaction, TransactionInstruction } = require("@solana/web3.js");
const { ata, createAta, mintTo } = require("./spl");

const root = path.join(__dirname, "..", "..");
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const CLIENTS = Number(arg("clients", 16));
const TRANSACTIONS = Number(arg("transactions", 10_000));
const SUBSCRIBERS = Number(arg("subscribers", 4));
const targetDir = process.env.CARGO_TARGET_DIR || path.join(root, "target");
const BIN = path.resolve(root, arg("bin", path.join(targetDir, "release", "rampart")));
const PORT = Number(arg("port", 18_899));
const URL = `http://127.0.0.1:${PORT}`;
const idl = JSON.parse(fs.readFileSync(path.join(root, "idl", "margin.json"), "utf8"));
const coder = new anchor.BorshCoder(idl);
const programId = new PublicKey(idl.address);

if (!fs.existsSync(BIN)) {
  console.error(`${BIN} not found: run \`cargo build --release -p rampart\` first (or pass --bin)`);
  process.exit(1);
}
const ledger = fs.mkdtempSync(path.join(os.tmpdir(), "rampart-load-"));
const env = { ...process.env, HOME: ledger, RAMPART_LOG: "rampart=warn" };
const rampart = (...args) =>
  execFileSync(BIN, [...args, "--ledger", ledger], { cwd: root, env, stdio: ["ignore", "pipe", "inherit"] });

let server;
let rssPeak = 0;
const rssAt = {};
function rss() {
  const status = fs.readFileSync(`/proc/${server.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) * 1024;
}
async function startServer() {
  server = spawn(BIN, ["serve", "--port", String(PORT), "--ledger", ledger], {
    cwd: root,
    env,
    stdio: ["ignore", "ignore", "inherit"],
  });
  for (let i = 0; i < 600; i++) {
    try {
      await new Connection(URL).getSlot();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error("serve did not start");
}
async function stopServer() {
  const exited = new Promise((r) => server.once("exit", r));
  server.kill("SIGTERM");
  const code = await exited;
  assert.equal(code, 0, "serve stops cleanly on SIGTERM");
}

function marginAccount(owner) {
  return PublicKey.findProgramAddressSync(
    [Buffer.from("account"), owner.toBuffer(), Buffer.from([0])],
    programId,
  )[0];
}
/// The client's USDC deposited in its margin account, per the ledger.
async function deposited(program, c, bank) {
  const account = await program.account.marginAccount.fetch(marginAccount(c.wallet.publicKey));
  const position = account.positions.find((p) => p.bank.equals(bank));
  return position ? BigInt(position.depositBasis.toString()) : 0n;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];

/// One client: its wallet, connection, and the deposit instruction's
/// accounts (built once from the IDL; only the amount changes).
async function client(i, usdc, bank, governance, gov) {
  const wallet = Keypair.generate();
  const connection = new Connection(URL, "confirmed");
  const provider = new anchor.AnchorProvider(connection, new anchor.Wallet(wallet), { commitment: "confirmed" });
  const margin = new anchor.Program(idl, provider);
  const sig = await connection.requestAirdrop(wallet.publicKey, LAMPORTS_PER_SOL);
  await connection.confirmTransaction({ signature: sig, ...(await connection.getLatestBlockhash()) });
  // Its USDC, minted by governance (the mint authority of the test tokens).
  const setup = new Transaction().add(
    createAta(governance.publicKey, wallet.publicKey, usdc),
    mintTo(usdc, ata(wallet.publicKey, usdc), governance.publicKey, 10_000_000),
  );
  await sendAndPoll(gov, setup, [governance]);
  await margin.methods.openAccount(0).rpc();
  const template = await margin.methods
    .deposit(new anchor.BN(1))
    .accounts({ account: marginAccount(wallet.publicKey), bank, userToken: ata(wallet.publicKey, usdc) })
    .instruction();
  return { i, wallet, connection, template, confirmed: [], landedUnits: 0n, inflight: 0n };
}

/// Sign `tx` on a fresh blockhash, send it, and poll its status until it
/// is confirmed (as RpcClient does): the served bank keeps a blockhash for
/// about two seconds (see the README), so it is fetched right before
/// signing, as Anchor's `.rpc()` does.
async function sendAndPoll(connection, tx, signers) {
  const latest = await connection.getLatestBlockhash();
  tx.recentBlockhash = latest.blockhash;
  tx.feePayer = signers[0].publicKey;
  tx.sign(...signers);
  const signature = await connection.sendRawTransaction(tx.serialize());
  for (;;) {
    const { value } = await connection.getSignatureStatuses([signature]);
    if (value[0]) {
      assert.equal(value[0].err, null);
      return signature;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
}

/// Send `count` deposits one after another, each confirmed before the
/// next; amounts differ so every signature does. Stops early (without
/// counting) when the server goes away.
async function run(c, count, phase, latencies, stopAt) {
  for (let n = 0; n < count; n++) {
    if (stopAt.stopped) return;
    const amount = BigInt(c.i * 1_000_003 + phase * 100_000 + n + 1) % 997n + 1n;
    const ix = new TransactionInstruction({
      programId,
      keys: c.template.keys,
      data: coder.instruction.encode("deposit", { amount: new anchor.BN(amount.toString()) }),
    });
    // Sent but not yet confirmed: a stop now may or may not have landed it.
    c.inflight = amount;
    const t0 = performance.now();
    let signature;
    try {
      signature = await sendAndPoll(c.connection, new Transaction().add(ix), [c.wallet]);
    } catch (e) {
      if (stopAt.stopped) return; // the server went down under it
      throw e;
    }
    latencies.push(performance.now() - t0);
    c.confirmed.push(signature);
    c.landedUnits += amount;
    c.inflight = 0n;
    stopAt.count += 1;
    if (stopAt.count >= stopAt.at && !stopAt.stopped && stopAt.onReach) stopAt.onReach();
  }
}

/// A subscriber: every BalanceChanged event it receives, by signature.
function subscribe() {
  const connection = new Connection(URL, "confirmed");
  const parser = new anchor.EventParser(programId, coder);
  const seen = new Map();
  const id = connection.onLogs(
    programId,
    (logs) => {
      for (const e of parser.parseLogs(logs.logs)) {
        if (e.name === "balanceChanged" || e.name === "BalanceChanged") {
          seen.set(logs.signature, (seen.get(logs.signature) || 0) + 1);
        }
      }
    },
    "confirmed",
  );
  return { connection, id, seen };
}
async function unsubscribe(s) {
  await s.connection.removeOnLogsListener(s.id);
  s.connection._rpcWebSocket.close();
}

(async () => {
  const started = Date.now();
  rampart("init", "--config", "migrations/localnet.toml");
  rampart("pricing", "push", "--feed", "USDC/USD", "--price", "1");
  rampart("pricing", "push", "--feed", "BTC/USD", "--price", "30000");
  const governance = Keypair.fromSecretKey(Uint8Array.from(JSON.parse(fs.readFileSync(path.join(ledger, "wallet.json"), "utf8"))));
  await startServer();
  rssAt.start = rss();
  const sampler = setInterval(() => {
    try {
      rssPeak = Math.max(rssPeak, rss());
    } catch {}
  }, 200);
  const gov = new Connection(URL, "confirmed");
  const govProgram = new anchor.Program(idl, new anchor.AnchorProvider(gov, new anchor.Wallet(governance), {}));
  const bankRows = await govProgram.account.bank.all();
  const usdcBank = bankRows.find((b) => b.account.decimals === 6);
  const clients = [];
  for (let i = 0; i < CLIENTS; i++) clients.push(await client(i, usdcBank.account.mint, usdcBank.publicKey, governance, gov));
  console.log(`${CLIENTS} clients set up in ${((Date.now() - started) / 1000).toFixed(1)} s; ${TRANSACTIONS} deposits, ${SUBSCRIBERS} subscribers, SIGTERM at half`);

  // Phase 1: half the load, then SIGTERM while clients are mid-flight.
  const latencies = [];
  const perClient = Math.ceil(TRANSACTIONS / CLIENTS);
  let subs = Array.from({ length: SUBSCRIBERS }, subscribe);
  await new Promise((r) => setTimeout(r, 300));
  const half = { count: 0, at: Math.floor(TRANSACTIONS / 2), stopped: false };
  let killed;
  half.onReach = () => {
    half.stopped = true;
    killed = stopServer();
  };
  const t1 = performance.now();
  await Promise.all(clients.map((c) => run(c, perClient, 1, latencies, half)));
  const phase1Secs = (performance.now() - t1) / 1000;
  await killed;
  rssAt.beforeStop = rssPeak;
  const phase1 = new Set(clients.flatMap((c) => c.confirmed));
  // Phase 1's subscribers are left as they are (web3.js reconnects them;
  // unsubscribing on a dead socket spins it): phase 2 gets new ones.
  const seen1 = subs.map((s) => s.seen);

  // The ledger after SIGTERM: every confirmed deposit is in it. A deposit
  // in flight at the stop may have landed unconfirmed; count those from
  // the restarted server's view of each account.
  await startServer();
  let unconfirmedLanded = 0;
  for (const [k, c] of clients.entries()) {
    const held = await deposited(govProgram, c, usdcBank.publicKey);
    // Exactly the confirmed deposits, plus the one in flight at the stop
    // if it landed before the server saved: nothing lost, nothing twice.
    const extra = held - c.landedUnits;
    assert.ok(extra === 0n || extra === c.inflight, `client ${k} after SIGTERM: ledger ${held}, confirmed ${c.landedUnits}, in flight ${c.inflight}`);
    if (extra > 0n) unconfirmedLanded += 1;
    c.landedUnits = held;
    c.inflight = 0n;
  }

  // Phase 2: the rest, against the restarted server, with new subscribers.
  subs = Array.from({ length: SUBSCRIBERS }, subscribe);
  await new Promise((r) => setTimeout(r, 300));
  const rest = { count: 0, at: Infinity, stopped: false };
  const remaining = TRANSACTIONS - phase1.size;
  const t2 = performance.now();
  const share = Math.ceil(remaining / CLIENTS);
  const before2 = clients.map((c) => c.confirmed.length);
  await Promise.all(clients.map((c) => run(c, share, 2, latencies, rest)));
  const phase2Secs = (performance.now() - t2) / 1000;
  await new Promise((r) => setTimeout(r, 1000));
  const phase2 = new Set(clients.flatMap((c, k) => c.confirmed.slice(before2[k])));
  for (const s of subs) await unsubscribe(s);
  clearInterval(sampler);
  rssAt.end = rss();

  // Checks.
  const all = clients.flatMap((c) => c.confirmed);
  assert.equal(new Set(all).size, all.length, "no signature confirmed twice");
  for (const [k, seen] of seen1.entries()) {
    for (const sig of phase1) assert.equal(seen.get(sig), 1, `subscriber ${k} saw ${sig} once in phase 1`);
  }
  for (const [k, s] of subs.entries()) {
    for (const sig of phase2) assert.equal(s.seen.get(sig), 1, `subscriber ${k} saw ${sig} once in phase 2`);
    assert.equal(s.seen.size, phase2.size, `subscriber ${k} saw no other deposit`);
  }
  // The ledger: each account's deposit is exactly what its confirmed
  // deposits add up to (1 share per token unit while nothing is lent),
  // after the restart as at the end.
  for (const [k, c] of clients.entries()) {
    assert.equal(await deposited(govProgram, c, usdcBank.publicKey), c.landedUnits, `client ${k}'s deposit`);
  }
  await stopServer();
  const sorted = [...latencies].sort((a, b) => a - b);
  const total = all.length;
  const secs = phase1Secs + phase2Secs;
  const mb = (b) => (b / 1048576).toFixed(0);
  console.log(
    `serve load: ${total} transactions confirmed by ${CLIENTS} clients in ${secs.toFixed(1)} s = ${(total / secs).toFixed(0)} tx/s; ` +
      `confirmation p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms; ` +
      `${SUBSCRIBERS} subscribers saw every event once; SIGTERM after ${phase1.size} (${unconfirmedLanded} in flight landed unconfirmed), ledger intact; ` +
      `serve RSS ${mb(rssAt.start)} MB at start, peak ${mb(rssPeak)} MB, ${mb(rssAt.end)} MB at the end`,
  );
  assert.ok(rssPeak < 2 * 1024 * 1048576, "serve stays under 2 GB");
  fs.rmSync(ledger, { recursive: true, force: true });
  process.exit(0);
})().catch(async (e) => {
  console.error("load benchmark failed:", e);
  if (server) server.kill("SIGKILL");
  process.exit(1);
});
