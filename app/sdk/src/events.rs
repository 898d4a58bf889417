//! Anchor events decoded from transaction logs ("Program data: <base64>",
//! or behind "Program log: " when the program ran natively in the embedded chain).

use anchor_lang::{AnchorDeserialize, Discriminator, Event};
use base64::Engine;

/// The bytes of every event in `logs` (discriminator first), in order.
pub fn payloads(logs: &[String]) -> impl Iterator<Item = Vec<u8>> + '_ {
    logs.iter()
        .filter_map(|line| {
            line.strip_prefix("Program log: ")
                .unwrap_or(line)
                .strip_prefix("Program data: ")
        })
        .filter_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
}

/// Every event of type `E` in `logs`, in order.
pub fn decode<E: Event + AnchorDeserialize + Discriminator>(logs: &[String]) -> Vec<E> {
    payloads(logs)
        .filter(|bytes| bytes.len() >= 8 && bytes[..8] == E::DISCRIMINATOR)
        .filter_map(|bytes| E::try_from_slice(&bytes[8..]).ok())
        .collect()
}

/// Tokens an `accrue` transaction swept to insurance funds, from its logs.
pub fn fees_swept(logs: &[String]) -> u64 {
    decode::<margin::events::FeesSwept>(logs)
        .iter()
        .map(|e| e.amount)
        .sum()
}
