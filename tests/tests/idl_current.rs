//! Frontends integrate through the committed IDL: it must match the code.

#[test]
fn committed_idl_matches_the_programs() {
    let stale = rampart::idl::stale_programs().expect("IDL builds");
    assert!(stale.is_empty(), "idl/ is out of date for {stale:?}: run `cargo run -p rampart -- idl` and commit the result");
}
