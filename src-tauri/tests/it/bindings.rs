//! `ui/src/ipc/bindings.ts` is generated from the Rust types; this fails when it is stale.
//! Regenerate with `UPDATE_BINDINGS=1 cargo test -p trailproof-app --test it bindings`.

use std::path::Path;

#[test]
fn bindings_are_current() {
    let want = trailproof_app::types::typescript();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/ipc/bindings.ts");
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&file, &want).unwrap();
    }
    let have = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        have == want,
        "ui/src/ipc/bindings.ts is stale: run UPDATE_BINDINGS=1 cargo test -p trailproof-app --test it bindings"
    );
}
