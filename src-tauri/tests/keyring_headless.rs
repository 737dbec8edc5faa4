//! On a machine without a D-Bus session bus (a headless server), the OS keyring cannot be used:
//! every call says so as a `keyring` error naming the service, never the token, and never hangs.
//! Alone in its test binary because it sets the process environment.

#![cfg(target_os = "linux")]

use trailproof_app::keystore::{self, Keystore};
use trailproof_app::types::ErrorKind;
use trailproof_app::AppState;

#[test]
fn without_a_session_bus_the_keyring_fails_with_a_keyring_error() {
    std::env::set_var(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/trailproof-test-bus",
    );
    let ks = Keystore::os();
    let origin = "https://audit.example.com:8443";
    for e in [
        ks.store(origin, "s3cret-token").unwrap_err(),
        ks.lookup(origin).unwrap_err(),
        ks.contains(origin).unwrap_err(),
        ks.delete(origin).unwrap_err(),
    ] {
        assert_eq!(e.kind, ErrorKind::Keyring, "{e:?}");
        assert!(
            e.message.contains(&format!("{origin} in the OS keyring")),
            "{}",
            e.message
        );
        assert!(!e.message.contains("s3cret"), "{}", e.message);
    }
    // The window is told the keyring cannot be used, and the live check can still run with a
    // token held in memory.
    let state = AppState::new(Vec::new());
    let url = format!("{origin}/audit/verify?tenant_id=acme");
    let st = keystore::status(&state, &url).unwrap();
    assert!(!st.stored && !st.in_memory, "{st:?}");
    assert!(st.keyring_error.is_some(), "{st:?}");
    let (token, source) = keystore::resolve(&state, origin, Some("s3cret-token".into())).unwrap();
    let e = keystore::remember(&state, origin, &token, source).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Keyring);
    eprintln!("{}", e.message);
    let again = keystore::resolve(&state, origin, None).unwrap();
    assert_eq!(
        again,
        ("s3cret-token".to_string(), keystore::Source::Memory)
    );
}
