//! Any Rampart event in a transaction's logs, decoded to JSON from the
//! committed IDL (its event discriminators and Borsh type definitions), so
//! the monitor shows every event, including ones added later, without a
//! line of code per event.

use serde_json::{json, Map, Value};

/// One decoded event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `margin::Liquidated`.
    pub name: String,
    pub fields: Value,
}

/// Every Rampart event in `logs`, in order.
pub fn decode_logs(logs: &[String]) -> Vec<Event> {
    crate::events::payloads(logs)
        .filter_map(|bytes| decode_event(&bytes))
        .collect()
}

/// An event from its bytes (8-byte discriminator, then Borsh).
pub fn decode_event(bytes: &[u8]) -> Option<Event> {
    let (disc, mut body) = (bytes.get(..8)?, bytes.get(8..)?);
    for (program, idl) in crate::idl::committed() {
        for e in idl["events"].as_array().into_iter().flatten() {
            let matches = e["discriminator"].as_array().is_some_and(|d| {
                d.iter()
                    .map(|x| x.as_u64().unwrap_or(256) as u8)
                    .eq(disc.iter().copied())
            });
            if matches {
                let name = e["name"].as_str()?;
                let fields = decode_defined(idl, name, &mut body)?;
                return Some(Event {
                    name: format!("{program}::{name}"),
                    fields,
                });
            }
        }
    }
    None
}

fn take<'a>(b: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let (head, tail) = (b.get(..n)?, b.get(n..)?);
    *b = tail;
    Some(head)
}

fn le<const N: usize>(b: &mut &[u8]) -> Option<[u8; N]> {
    take(b, N)?.try_into().ok()
}

fn decode_defined(idl: &Value, name: &str, b: &mut &[u8]) -> Option<Value> {
    let def = idl["types"]
        .as_array()?
        .iter()
        .find(|t| t["name"] == name)?;
    let ty = &def["type"];
    match ty["kind"].as_str()? {
        "struct" => {
            let mut out = Map::new();
            for f in ty["fields"].as_array().into_iter().flatten() {
                out.insert(f["name"].as_str()?.to_string(), decode(idl, &f["type"], b)?);
            }
            Some(Value::Object(out))
        }
        "enum" => {
            let index = le::<1>(b)?[0] as usize;
            let variant = ty["variants"].as_array()?.get(index)?;
            // Rampart's event enums are fieldless; a variant with fields is
            // shown by name only.
            Some(json!(variant["name"]))
        }
        _ => None,
    }
}

fn decode(idl: &Value, ty: &Value, b: &mut &[u8]) -> Option<Value> {
    if let Some(prim) = ty.as_str() {
        return Some(match prim {
            "bool" => json!(le::<1>(b)?[0] != 0),
            "u8" => json!(le::<1>(b)?[0]),
            "i8" => json!(le::<1>(b)?[0] as i8),
            "u16" => json!(u16::from_le_bytes(le(b)?)),
            "i16" => json!(i16::from_le_bytes(le(b)?)),
            "u32" => json!(u32::from_le_bytes(le(b)?)),
            "i32" => json!(i32::from_le_bytes(le(b)?)),
            "u64" => json!(u64::from_le_bytes(le(b)?)),
            "i64" => json!(i64::from_le_bytes(le(b)?)),
            // 128-bit values do not fit JSON numbers: strings, as Anchor's TS client prints them.
            "u128" => json!(u128::from_le_bytes(le(b)?).to_string()),
            "i128" => json!(i128::from_le_bytes(le(b)?).to_string()),
            "pubkey" => json!(anchor_lang::prelude::Pubkey::new_from_array(le(b)?).to_string()),
            "string" => {
                let n = u32::from_le_bytes(le(b)?) as usize;
                json!(String::from_utf8_lossy(take(b, n)?))
            }
            "bytes" => {
                let n = u32::from_le_bytes(le(b)?) as usize;
                json!(take(b, n)?)
            }
            _ => return None,
        });
    }
    if let Some(inner) = ty.get("array") {
        let (elem, n) = (&inner[0], inner[1].as_u64()? as usize);
        return (0..n)
            .map(|_| decode(idl, elem, b))
            .collect::<Option<Vec<_>>>()
            .map(Value::Array);
    }
    if let Some(elem) = ty.get("vec") {
        let n = u32::from_le_bytes(le(b)?) as usize;
        return (0..n)
            .map(|_| decode(idl, elem, b))
            .collect::<Option<Vec<_>>>()
            .map(Value::Array);
    }
    if let Some(elem) = ty.get("option") {
        return match le::<1>(b)?[0] {
            0 => Some(Value::Null),
            _ => decode(idl, elem, b),
        };
    }
    let name = ty.get("defined")?;
    let name = name.get("name").unwrap_or(name).as_str()?;
    decode_defined(idl, name, b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::{AnchorSerialize, Discriminator};
    use base64::Engine;

    #[test]
    fn events_decode_from_the_idl_like_the_typed_decoder() {
        let e = margin::events::BadDebtWrittenOff {
            account: anchor_lang::prelude::Pubkey::new_unique(),
            bank: anchor_lang::prelude::Pubkey::new_unique(),
            debt: 6,
            from_insurance: 3,
            from_fees: 1,
            socialised: 2,
            total_deposits_after: 1_000,
            total_deposit_shares: 999,
        };
        let mut bytes = margin::events::BadDebtWrittenOff::DISCRIMINATOR.to_vec();
        e.serialize(&mut bytes).unwrap();
        let line = format!(
            "Program data: {}",
            base64::engine::general_purpose::STANDARD.encode(&bytes)
        );
        let decoded = decode_logs(&[line]);
        assert_eq!(decoded.len(), 1);
        assert_eq!(decoded[0].name, "margin::BadDebtWrittenOff");
        assert_eq!(decoded[0].fields["debt"], 6);
        assert_eq!(decoded[0].fields["from_fees"], 1);
        assert_eq!(decoded[0].fields["socialised"], 2);
        assert_eq!(decoded[0].fields["account"], e.account.to_string());
    }
}
