//! The token store against the platform's real keyring (the Secret Service on Linux). Ignored by
//! default: it needs a running, unlocked Secret Service. `scripts/e2e.sh` runs it headless in a
//! private D-Bus session with a throwaway gnome-keyring:
//!
//! ```sh
//! dbus-run-session -- sh -c 'echo -n pw | gnome-keyring-daemon --unlock --components=secrets;
//!   cargo test -p trailproof-app --test keyring_os -- --ignored'
//! ```

use trailproof_app::keystore::{self, Keystore};
use trailproof_app::AppState;

#[test]
#[ignore = "needs a running Secret Service: see scripts/e2e.sh"]
fn the_os_keyring_stores_reads_and_forgets_a_token_per_service() {
    let pid = std::process::id();
    let url = format!("https://t{pid}.keyring-test.invalid:8443/audit/verify?tenant_id=acme");
    let origin = keystore::origin(&url).unwrap();
    assert_eq!(origin, format!("https://t{pid}.keyring-test.invalid:8443"));
    let other = format!("https://t{pid}.keyring-test.invalid");
    let ks = Keystore::os();
    // What a run left behind if it died half-way.
    let _ = ks.delete(&origin);
    let _ = ks.delete(&other);

    assert_eq!(ks.lookup(&origin).unwrap(), None);
    assert!(!ks.contains(&origin).unwrap());
    ks.store(&origin, "tok-1").unwrap();
    assert_eq!(ks.lookup(&origin).unwrap().as_deref(), Some("tok-1"));
    assert!(ks.contains(&origin).unwrap());
    ks.store(&origin, "tok-2").unwrap();
    assert_eq!(ks.lookup(&origin).unwrap().as_deref(), Some("tok-2"));
    // The same host on its default port is another service.
    assert_eq!(ks.lookup(&other).unwrap(), None);

    // Seen through the app's state, as the window sees it: stored, never the token itself.
    let state = AppState::new(Vec::new());
    let st = keystore::status(&state, &url).unwrap();
    assert!(st.stored && !st.in_memory, "{st:?}");
    assert_eq!(st.keyring_error, None);
    let st = keystore::forget_stored(&state, &url).unwrap();
    assert!(!st.stored, "{st:?}");
    assert_eq!(ks.lookup(&origin).unwrap(), None);
    assert!(!ks.delete(&origin).unwrap());
}
