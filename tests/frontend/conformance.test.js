// A frontend's view of Rampart: the real Anchor client (@coral-xyz/anchor
// 0.30.1) and @solana/web3.js 1.x, in plain JavaScript, against a
// `rampart serve` the Rust test `app/cli/tests/frontend.rs` starts on a
// ledger it deployed and priced. Every instruction is built from the
// committed IDLs alone; every `.rpc()` returns only once web3.js has
// confirmed the transaction through the websocket (`signatureSubscribe`).
//
// Environment: RAMPART_URL (the endpoint), RAMPART_WALLET (the ledger's
// wallet: governance, price writer and mint authority of the test tokens).

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const anchor = require("@coral-xyz/anchor");
const {
  Connection,
  Keypair,
  LAMPORTS_PER_SOL,
  PublicKey,
  SystemProgram,
  Transaction,
} = require("@solana/web3.js");

const { ata, createAta, mintTo } = require("./spl");

const BN = anchor.BN;

const url = process.env.RAMPART_URL;
const walletFile = process.env.RAMPART_WALLET;
if (!url || !walletFile) {
  throw new Error("RAMPART_URL and RAMPART_WALLET must be set: run this through `cargo test -p rampart --test frontend`");
}
const idlDir = path.join(__dirname, "..", "..", "idl");
const idls = Object.fromEntries(
  ["pricing", "margin", "vault", "backstop"].map((p) => [
    p,
    JSON.parse(fs.readFileSync(path.join(idlDir, `${p}.json`), "utf8")),
  ]),
);

const connection = new Connection(url, "confirmed");
const governance = Keypair.fromSecretKey(
  Uint8Array.from(JSON.parse(fs.readFileSync(walletFile, "utf8"))),
);
const user = Keypair.generate();

/// The four programs as a wallet's frontend holds them.
function programs(keypair) {
  const provider = new anchor.AnchorProvider(connection, new anchor.Wallet(keypair), {
    commitment: "confirmed",
  });
  return Object.fromEntries(
    Object.entries(idls).map(([name, idl]) => [name, new anchor.Program(idl, provider)]),
  );
}
const gov = programs(governance);
const mine = programs(user);

/// Send and confirm as a wallet adapter does: recent blockhash, sign,
/// `sendRawTransaction`, then `confirmTransaction` on the blockhash.
async function sendAndConfirm(ixs, signers) {
  const latest = await connection.getLatestBlockhash("confirmed");
  const tx = new Transaction({ feePayer: signers[0].publicKey, ...latest }).add(...ixs);
  tx.sign(...signers);
  const signature = await connection.sendRawTransaction(tx.serialize());
  const status = await connection.confirmTransaction({ signature, ...latest }, "confirmed");
  assert.equal(status.value.err, null);
  return signature;
}

/// Listener removals under way (each unsubscribes over the websocket).
const removals = [];

/// The next `name` event of `program`, with the signature it came in.
function nextEvent(program, name) {
  return new Promise((resolve) => {
    const id = program.addEventListener(name, (event, slot, signature) => {
      removals.push(program.removeEventListener(id));
      resolve({ event, slot, signature });
    });
  });
}

let feeds; // name -> { address, account }
let banks; // symbol -> { address, account }

before(async () => {
  const airdrop = await connection.requestAirdrop(user.publicKey, 10 * LAMPORTS_PER_SOL);
  const latest = await connection.getLatestBlockhash();
  await connection.confirmTransaction({ signature: airdrop, ...latest }, "confirmed");
});

after(async () => {
  // Every unsubscribe answered, then the websocket closed: node can exit.
  await Promise.all(removals);
  connection._rpcWebSocket.close();
});

test("every account type of the four IDLs decodes", async () => {
  for (const [name, program] of Object.entries(gov)) {
    for (const type of idls[name].accounts) {
      const key = type.name.charAt(0).toLowerCase() + type.name.slice(1);
      const all = await program.account[key].all();
      assert.ok(Array.isArray(all), `${name}.${type.name}`);
    }
  }
  const decoded = (rows) => rows.map((r) => ({ address: r.publicKey, account: r.account }));
  const feedRows = decoded(await gov.pricing.account.priceFeed.all());
  const name = (f) => Buffer.from(f.account.name).toString("utf8").replace(/\0+$/, "");
  feeds = Object.fromEntries(feedRows.map((f) => [name(f), f]));
  assert.deepEqual(Object.keys(feeds).sort(), ["BTC/USD", "USDC/USD"]);
  const bankRows = decoded(await gov.margin.account.bank.all());
  const symbolOf = (b) => Object.keys(feeds).find((n) => feeds[n].address.equals(b.account.feed)).split("/")[0];
  banks = Object.fromEntries(bankRows.map((b) => [symbolOf(b), b]));
  assert.deepEqual(Object.keys(banks).sort(), ["BTC", "USDC"]);
  assert.equal((await gov.margin.account.marginConfig.all()).length, 1);
  assert.equal((await gov.pricing.account.protocolConfig.all()).length, 1);
  assert.equal((await gov.vault.account.vault.all()).length, 2);
  assert.equal((await gov.backstop.account.pool.all()).length, 1);
});

test("an airdrop has a real signature that confirms", async () => {
  assert.equal(await connection.getBalance(user.publicKey), 10 * LAMPORTS_PER_SOL);
  const sigs = await connection.getSignaturesForAddress(user.publicKey);
  assert.ok(sigs.length >= 1);
  const tx = await connection.getTransaction(sigs[0].signature, { maxSupportedTransactionVersion: 0 });
  assert.ok(tx.transaction.message.accountKeys.some((k) => k.equals(user.publicKey)));
});

test("pricing: push_manual_price and refresh from the IDL, FeedRefreshed received", async () => {
  const feed = feeds["BTC/USD"];
  const sources = feed.account.sources.slice(0, feed.account.numSources);
  const manual = await gov.pricing.account.manualPrice.all();
  const ofFeed = manual.filter((m) => m.account.feed.equals(feed.address));
  assert.equal(ofFeed.length, 3);
  for (const m of ofFeed) {
    await gov.pricing.methods
      .pushManualPrice(new BN(30_100 * 1e8), new BN(5 * 1e8), -8)
      .accounts({ manualPrice: m.publicKey })
      .rpc();
  }
  const refreshed = nextEvent(gov.pricing, "feedRefreshed");
  await mine.pricing.methods
    .refresh()
    .accounts({ feed: feed.address })
    .remainingAccounts(sources.map((s) => ({ pubkey: s.account, isSigner: false, isWritable: false })))
    .rpc();
  const { event } = await refreshed;
  assert.ok(event.feed.equals(feed.address));
  const after = await gov.pricing.account.priceFeed.fetch(feed.address);
  assert.equal(after.price.toString(), String(30_100 * 1e8));
});

test("margin: open_account resolves its PDA from the IDL; deposit lands with BalanceChanged", async () => {
  const usdc = banks.USDC;
  await sendAndConfirm(
    [
      createAta(governance.publicKey, user.publicKey, usdc.account.mint),
      mintTo(usdc.account.mint, ata(user.publicKey, usdc.account.mint), governance.publicKey, 5_000_000_000),
    ],
    [governance],
  );
  const balance = await connection.getTokenAccountBalance(ata(user.publicKey, usdc.account.mint));
  assert.equal(balance.value.amount, "5000000000");
  assert.equal(balance.value.decimals, 6);
  const owned = await connection.getTokenAccountsByOwner(user.publicKey, { mint: usdc.account.mint });
  assert.equal(owned.value.length, 1);

  // Only the arguments: the account's address comes from the IDL's seeds.
  const opened = await mine.margin.methods.openAccount(0).rpc();
  assert.equal(typeof opened, "string");
  const [account] = PublicKey.findProgramAddressSync(
    [Buffer.from("account"), user.publicKey.toBuffer(), Buffer.from([0])],
    mine.margin.programId,
  );
  const state = await mine.margin.account.marginAccount.fetch(account);
  assert.ok(state.owner.equals(user.publicKey));

  const changed = nextEvent(mine.margin, "balanceChanged");
  await mine.margin.methods
    .deposit(new BN(1_000_000_000))
    .accounts({ account, bank: usdc.address, userToken: ata(user.publicKey, usdc.account.mint) })
    .rpc();
  const { event } = await changed;
  assert.ok(event.account.equals(account));
  assert.equal(event.amount.toString(), "1000000000");
  const left = await connection.getTokenAccountBalance(ata(user.publicKey, usdc.account.mint));
  assert.equal(left.value.amount, "4000000000");
});

test("a program error reaches the client by name, and nothing moves", async () => {
  const usdc = banks.USDC;
  const [account] = PublicKey.findProgramAddressSync(
    [Buffer.from("account"), user.publicKey.toBuffer(), Buffer.from([0])],
    mine.margin.programId,
  );
  const before = await connection.getTokenAccountBalance(ata(user.publicKey, usdc.account.mint));
  await assert.rejects(
    mine.margin.methods
      .deposit(new BN(0))
      .accounts({ account, bank: usdc.address, userToken: ata(user.publicKey, usdc.account.mint) })
      .rpc(),
    (err) => {
      assert.equal(err.error?.errorCode?.code, "ZeroAmount", String(err));
      assert.equal(err.error.errorCode.number, idls.margin.errors.find((e) => e.name === "ZeroAmount").code);
      return true;
    },
  );
  // Simulation says the same, with the logs.
  const tx = await mine.margin.methods
    .deposit(new BN(0))
    .accounts({ account, bank: usdc.address, userToken: ata(user.publicKey, usdc.account.mint) })
    .transaction();
  tx.feePayer = user.publicKey;
  tx.recentBlockhash = (await connection.getLatestBlockhash()).blockhash;
  tx.sign(user);
  const simulated = await connection.simulateTransaction(tx);
  assert.deepEqual(simulated.value.err, {
    InstructionError: [0, { Custom: idls.margin.errors.find((e) => e.name === "ZeroAmount").code }],
  });
  assert.ok(simulated.value.logs.some((l) => l.includes("ZeroAmount")));
  const after = await connection.getTokenAccountBalance(ata(user.publicKey, usdc.account.mint));
  assert.equal(after.value.amount, before.value.amount);
});

test("vault: open_receipt and deposit from the IDL", async () => {
  const vaults = await mine.vault.account.vault.all();
  const put = vaults.find((v) => v.account.quoteMint.equals(v.account.assetMint));
  assert.ok(put, "the cash-secured put takes USDC");
  await mine.vault.methods.openReceipt().accounts({ vault: put.publicKey }).rpc();
  const deposited = nextEvent(mine.vault, "depositQueued");
  await mine.vault.methods
    .deposit(new BN(500_000_000))
    .accounts({ vault: put.publicKey, ownerToken: ata(user.publicKey, put.account.assetMint), roundRecord: null })
    .rpc();
  const { event } = await deposited;
  assert.equal(event.amount.toString(), "500000000");
});

test("backstop: open_stake and deposit from the IDL", async () => {
  const [pool] = await mine.backstop.account.pool.all();
  await mine.backstop.methods.openStake(1).accounts({ pool: pool.publicKey }).rpc();
  const [stake] = PublicKey.findProgramAddressSync(
    [Buffer.from("stake"), pool.publicKey.toBuffer(), Buffer.from([1]), user.publicKey.toBuffer()],
    mine.backstop.programId,
  );
  await sendAndConfirm([createAta(user.publicKey, user.publicKey, pool.account.collateralMint)], [user]);
  const deposited = nextEvent(mine.backstop, "stakeChanged");
  await mine.backstop.methods
    .deposit(new BN(250_000_000))
    .accounts({
      stake,
      ownerQuote: ata(user.publicKey, pool.account.quoteMint),
      ownerCollateral: ata(user.publicKey, pool.account.collateralMint),
    })
    .rpc();
  const { event } = await deposited;
  assert.equal(event.deposited.toString(), "250000000");
  assert.equal(event.band, 1);
  const state = await mine.backstop.account.stakeAccount.fetch(stake);
  assert.ok(state.owner.equals(user.publicKey));
});

test("the validator methods a wallet adapter calls answer in the validator's shapes", async () => {
  const epoch = await connection.getEpochInfo();
  assert.equal(typeof epoch.absoluteSlot, "number");
  assert.ok(epoch.slotsInEpoch > 0);
  assert.equal(typeof (await connection.getGenesisHash()), "string");
  const slot = await connection.getSlot();
  assert.equal(typeof (await connection.getBlockTime(slot)), "number");
  const latest = await connection.getLatestBlockhash();
  const message = new Transaction({ feePayer: user.publicKey, ...latest })
    .add(SystemProgram.transfer({ fromPubkey: user.publicKey, toPubkey: governance.publicKey, lamports: 1 }))
    .compileMessage();
  assert.equal((await connection.getFeeForMessage(message)).value, 5000);
  // A method serve does not have answers as the validator's does.
  const missing = await connection._rpcRequest("getBlock", [slot]);
  assert.deepEqual(missing.error, { code: -32601, message: "Method not found" });
});
