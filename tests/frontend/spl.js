// The two SPL instructions the frontend tests need, built from their
// documented layouts (no @solana/spl-token dependency): Associated Token
// Account `CreateIdempotent` and Token `MintTo`.

const { PublicKey, SystemProgram, TransactionInstruction } = require("@solana/web3.js");

const TOKEN = new PublicKey("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");
const ATA = new PublicKey("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");

/// `owner`'s associated token account of `mint`.
function ata(owner, mint) {
  return PublicKey.findProgramAddressSync([owner.toBuffer(), TOKEN.toBuffer(), mint.toBuffer()], ATA)[0];
}

/// Create `owner`'s associated token account of `mint` unless it exists.
function createAta(payer, owner, mint) {
  return new TransactionInstruction({
    programId: ATA,
    keys: [
      { pubkey: payer, isSigner: true, isWritable: true },
      { pubkey: ata(owner, mint), isSigner: false, isWritable: true },
      { pubkey: owner, isSigner: false, isWritable: false },
      { pubkey: mint, isSigner: false, isWritable: false },
      { pubkey: SystemProgram.programId, isSigner: false, isWritable: false },
      { pubkey: TOKEN, isSigner: false, isWritable: false },
    ],
    data: Buffer.from([1]),
  });
}

/// Mint `amount` base units of `mint` to the token account `to`.
function mintTo(mint, to, authority, amount) {
  const data = Buffer.alloc(9);
  data.writeUInt8(7, 0);
  data.writeBigUInt64LE(BigInt(amount), 1);
  return new TransactionInstruction({
    programId: TOKEN,
    keys: [
      { pubkey: mint, isSigner: false, isWritable: true },
      { pubkey: to, isSigner: false, isWritable: true },
      { pubkey: authority, isSigner: true, isWritable: false },
    ],
    data,
  });
}

module.exports = { TOKEN, ATA, ata, createAta, mintTo };
