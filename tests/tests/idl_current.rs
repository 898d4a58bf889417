//! Frontends integrate through the committed IDL: it must match the code.

#[test]
fn committed_idl_matches_the_programs() {
    let stale = rampart::idl::stale_programs().expect("IDL builds");
    assert!(stale.is_empty(), "idl/ is out of date for {stale:?}: run `cargo run -p rampart -- idl` and commit the result");
}

/// One field of an `#[derive(Accounts)]` struct.
struct Field {
    name: String,
    /// The struct it is, when it is a composite of accounts.
    ty: String,
    /// It carries a `seeds = [...]` constraint: the program derives it.
    seeded: bool,
}

/// Every `#[derive(Accounts)]` struct in `src`, by name.
fn accounts_structs(src: &str) -> std::collections::HashMap<String, Vec<Field>> {
    let mut out = std::collections::HashMap::new();
    for (at, _) in src.match_indices("#[derive(Accounts)]") {
        let rest = &src[at..];
        let Some(s) = rest.find("pub struct ") else {
            continue;
        };
        let name: String = rest[s + 11..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        // The body, by brace depth.
        let open = s + rest[s..].find('{').unwrap();
        let (mut depth, mut end) = (0, open);
        for (i, c) in rest[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = open + i;
                break;
            }
        }
        let mut fields = vec![];
        let mut attrs = String::new();
        for line in rest[open + 1..end].lines() {
            let line = line.trim();
            match line.strip_prefix("pub ").and_then(|l| l.split_once(':')) {
                Some((field, ty)) if !attrs.is_empty() || !line.starts_with("pub(") => {
                    let ty = ty.trim().trim_end_matches(',');
                    // `Box<Account<'info, X>>` is an account; `Pair<'info>` a composite.
                    let base: String = ty
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    fields.push(Field {
                        name: field.trim().to_string(),
                        ty: base,
                        seeded: attrs.contains("seeds"),
                    });
                    attrs.clear();
                }
                _ => {
                    attrs.push_str(line);
                    attrs.push('\n');
                }
            }
        }
        out.insert(name, fields);
    }
    out
}

/// Every Rust source file under `dir`, concatenated.
fn sources(dir: &std::path::Path) -> String {
    let mut all = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all.push_str(&sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            all.push_str(&std::fs::read_to_string(&path).unwrap());
            all.push('\n');
        }
    }
    all
}

/// Anchor's client derives a PDA only from seeds the IDL records (Anchor
/// 0.30 records constants, instruction arguments and account keys or
/// fields; it drops an array like `&[index]`). Every instruction account a
/// program derives from seeds must have them in the committed IDL, or a
/// frontend has to derive it by hand. Walks each instruction's accounts
/// struct in the source (composites included) against the IDL.
#[test]
fn every_seeded_instruction_account_has_its_seeds_in_the_idl() {
    let root = rampart_sdk::idl::workspace_root();
    let (mut checked, mut missing) = (0, vec![]);
    for program in ["pricing", "margin", "vault", "backstop"] {
        let dir = root.join("programs").join(program).join("src");
        let structs = accounts_structs(&sources(&dir));
        let lib = std::fs::read_to_string(dir.join("lib.rs")).unwrap();
        let idl: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(root.join(format!("idl/{program}.json"))).unwrap(),
        )
        .unwrap();
        for ix in idl["instructions"].as_array().unwrap() {
            let name = ix["name"].as_str().unwrap();
            // `pub fn <name>(ctx: Context<..., Struct<'info>>, ...)` in lib.rs.
            let at = lib
                .find(&format!("pub fn {name}"))
                .unwrap_or_else(|| panic!("{program}::{name} not in lib.rs"));
            let context = &lib[at..][lib[at..].find("Context<").unwrap() + 8..];
            let context = &context[..context.find('>').unwrap()];
            let strukt: String = context
                .rsplit(',')
                .next()
                .unwrap()
                .trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let mut stack = vec![(strukt, ix["accounts"].clone(), String::new())];
            while let Some((strukt, accounts, path)) = stack.pop() {
                let fields = structs
                    .get(&strukt)
                    .unwrap_or_else(|| panic!("{program}::{name}: no accounts struct {strukt}"));
                for f in fields {
                    let account = accounts
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|a| a["name"] == f.name.as_str())
                        .unwrap_or_else(|| {
                            panic!("{program}::{name}: {path}{} is not in the IDL", f.name)
                        });
                    if structs.contains_key(&f.ty) && account.get("accounts").is_some() {
                        stack.push((
                            f.ty.clone(),
                            account["accounts"].clone(),
                            format!("{path}{}.", f.name),
                        ));
                    } else if f.seeded {
                        checked += 1;
                        if account.get("pda").is_none() {
                            missing.push(format!("{program}::{name}: {path}{}", f.name));
                        }
                    }
                }
            }
        }
    }
    assert!(
        checked > 40,
        "the walk found only {checked} seeded accounts: is the parser still right?"
    );
    assert!(
        missing.is_empty(),
        "seeded accounts without seeds in the IDL (write each seed as a constant, an argument, or an account key or field, e.g. `index.to_le_bytes().as_ref()` for `&[index]`): {missing:#?}"
    );
}
