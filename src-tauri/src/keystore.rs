//! The live check's bearer token: held in memory for the service it was entered for, and in the
//! OS keyring when the user asks for it. Keyring entries are per service: the service name is
//! `trailproof`, the user name the verification URL's origin (`scheme://host[:port]`, as
//! [`VerifyUrl`] derives it, the same origin that names the `live:<origin>` source), so a token
//! is only ever offered to the service it was entered for.
//!
//! Invariants: the token is written to the OS keyring (Secret Service on Linux, the Keychain on
//! macOS, the Credential Manager on Windows) only when the user asks, and only after the service
//! accepted it (a live check that completed); it never appears in an error message, a log line
//! or an answer to the UI, which learns only whether a token is held ([`TokenStatus`]); a
//! keyring that cannot be used is an [`AppError`] of kind `keyring`, never a silent no-op.
//! Keyring calls may block (D-Bus, an unlock prompt): callers run them off the UI thread.

use std::sync::Mutex;

use keyring::{CredentialBuilder, Entry, Error};
use trailproof_core::verify_url::VerifyUrl;

use crate::types::{AppError, ErrorKind, TokenStatus};
use crate::AppState;

/// The keyring entries' service name.
pub const SERVICE: &str = "trailproof";

/// The origin of a verification URL (`https://audit.example.com:8443/audit/verify?...` gives
/// `https://audit.example.com:8443`; a scheme's default port is left out, user info dropped,
/// the host lower-cased and in ASCII): the keyring entry's user name.
pub fn origin(url: &str) -> Result<String, AppError> {
    VerifyUrl::parse(url)
        .map(|v| v.origin)
        .map_err(|e| AppError::new(ErrorKind::Invalid, e.to_string()))
}

/// The OS keyring, or (in tests) any credential store the `keyring` crate can build.
pub struct Keystore {
    builder: Option<Box<CredentialBuilder>>,
}

impl Default for Keystore {
    fn default() -> Self {
        Keystore::os()
    }
}

impl Keystore {
    /// The platform's keyring (the `keyring` crate's default credential builder).
    pub fn os() -> Self {
        Keystore { builder: None }
    }

    /// A keyring of credentials made by `builder`.
    pub fn with_builder(builder: Box<CredentialBuilder>) -> Self {
        Keystore {
            builder: Some(builder),
        }
    }

    fn entry(&self, origin: &str) -> keyring::Result<Entry> {
        match &self.builder {
            Some(b) => b
                .build(None, SERVICE, origin)
                .map(Entry::new_with_credential),
            None => Entry::new(SERVICE, origin),
        }
    }

    /// Stores `token` for `origin`, replacing the one stored before.
    pub fn store(&self, origin: &str, token: &str) -> Result<(), AppError> {
        self.entry(origin)
            .and_then(|e| e.set_password(token))
            .map_err(|e| failure("store the token for", origin, e))
    }

    /// The token stored for `origin`, if any.
    pub fn lookup(&self, origin: &str) -> Result<Option<String>, AppError> {
        match self.entry(origin).and_then(|e| e.get_password()) {
            Ok(t) if t.trim().is_empty() => Ok(None),
            Ok(t) => Ok(Some(t)),
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(failure("read the token for", origin, e)),
        }
    }

    /// Whether a token is stored for `origin` (without reading it where the store allows).
    pub fn contains(&self, origin: &str) -> Result<bool, AppError> {
        match self.entry(origin).and_then(|e| e.get_attributes()) {
            Ok(_) => Ok(true),
            Err(Error::NoEntry) => Ok(false),
            Err(e) => Err(failure("look up the token for", origin, e)),
        }
    }

    /// Deletes the token stored for `origin`; `false` when there was none.
    pub fn delete(&self, origin: &str) -> Result<bool, AppError> {
        match self.entry(origin).and_then(|e| e.delete_credential()) {
            Ok(()) => Ok(true),
            Err(Error::NoEntry) => Ok(false),
            Err(e) => Err(failure("remove the token for", origin, e)),
        }
    }
}

/// A keyring failure in words: what was attempted, for which origin, and the store's reason.
/// Never the token: no `keyring::Error` carries the password in its text, and the one variant
/// that holds a secret's bytes (`BadEncoding`) is not printed.
fn failure(what: &str, origin: &str, e: Error) -> AppError {
    let why = match &e {
        Error::PlatformFailure(inner) => format!("the OS keyring cannot be used here ({inner})"),
        Error::NoStorageAccess(inner) => {
            format!("the OS keyring is locked or refused access ({inner})")
        }
        Error::BadEncoding(_) => "the stored entry is not text".to_string(),
        Error::Ambiguous(items) => format!(
            "the OS keyring holds {} entries for it; remove them with the system's keyring manager",
            items.len()
        ),
        other => other.to_string(),
    };
    AppError::new(
        ErrorKind::Keyring,
        format!("cannot {what} {origin} in the OS keyring: {why}"),
    )
}

/// The token held in memory, with the origin it was entered for.
#[derive(Default)]
pub struct MemoryToken(Mutex<Option<(String, String)>>);

impl MemoryToken {
    pub fn set(&self, origin: &str, token: String) {
        *crate::lock(&self.0) = Some((origin.to_string(), token));
    }

    /// The token held for `origin` (a token entered for another service is never offered).
    pub fn get(&self, origin: &str) -> Option<String> {
        crate::lock(&self.0)
            .as_ref()
            .filter(|(o, _)| o == origin)
            .map(|(_, t)| t.clone())
    }

    pub fn clear(&self) {
        *crate::lock(&self.0) = None;
    }
}

/// Where the token of a live check came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Typed,
    Memory,
    Keyring,
}

/// The token for a live check of `origin`: the one typed (then held in memory for `origin`),
/// else the one held in memory for `origin`, else the one stored in the keyring for it.
pub fn resolve(
    state: &AppState,
    origin: &str,
    typed: Option<String>,
) -> Result<(String, Source), AppError> {
    if let Some(t) = typed
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
    {
        state.token.set(origin, t.clone());
        return Ok((t, Source::Typed));
    }
    if let Some(t) = state.token.get(origin) {
        return Ok((t, Source::Memory));
    }
    match state.keystore.lookup(origin) {
        Ok(Some(t)) => Ok((t, Source::Keyring)),
        Ok(None) => Err(AppError::new(
            ErrorKind::Invalid,
            format!("enter the bearer token the service at {origin} issued"),
        )),
        Err(e) => Err(AppError::new(
            ErrorKind::Keyring,
            format!("{}; enter the bearer token the service issued", e.message),
        )),
    }
}

/// After a live check that completed: stores the token in the keyring when the user asked to
/// remember it (a token that came from the keyring is there already). The error, if any, is
/// the user's to see; the token stays held in memory either way.
pub fn remember(
    state: &AppState,
    origin: &str,
    token: &str,
    source: Source,
) -> Result<(), AppError> {
    if source == Source::Keyring {
        return Ok(());
    }
    state.token.set(origin, token.to_string());
    state.keystore.store(origin, token).map_err(|mut e| {
        e.message.push_str(
            "; the live check ran, and the token is held in memory for this session only",
        );
        e
    })
}

/// A live check that did not complete stores nothing: when the user asked to remember the
/// token, its error says so (a cancel is the user's own doing and says nothing more).
pub fn not_remembered(mut e: AppError, remember: bool, source: Source) -> AppError {
    if remember && source != Source::Keyring && e.kind != ErrorKind::Cancelled {
        e.message
            .push_str(" (the token was not stored in the OS keyring)");
    }
    e
}

/// What is held for the service of `url` (never the token itself).
pub fn status(state: &AppState, url: &str) -> Result<TokenStatus, AppError> {
    let origin = origin(url)?;
    let in_memory = state.token.get(&origin).is_some();
    let (stored, keyring_error) = match state.keystore.contains(&origin) {
        Ok(s) => (s, None),
        Err(e) => (false, Some(e.message)),
    };
    Ok(TokenStatus {
        origin,
        in_memory,
        stored,
        keyring_error,
    })
}

/// Deletes the keyring entry for the service of `url`; the status after.
pub fn forget_stored(state: &AppState, url: &str) -> Result<TokenStatus, AppError> {
    let origin = origin(url)?;
    state.keystore.delete(&origin)?;
    status(state, url)
}

#[cfg(test)]
mod tests {
    use std::any::Any;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use keyring::credential::{Credential, CredentialApi, CredentialBuilderApi};
    use keyring::mock::MockCredential;

    use super::*;

    const URL: &str = "https://audit.example.com:8443/verify?tenant_id=acme&hash=00";
    const ORIGIN: &str = "https://audit.example.com:8443";
    const OTHER: &str = "https://other.example.org/audit/verify?tenant_id=acme";

    /// Entries that persist across `Entry`s, as an OS keyring's do (the `keyring` crate's mock
    /// keeps a password only inside the one entry that set it), keyed by (service, user).
    type Shared = Arc<Mutex<HashMap<(String, String), String>>>;

    #[derive(Default)]
    struct MapStore(Shared);

    struct MapCredential {
        key: (String, String),
        map: Shared,
    }

    impl CredentialApi for MapCredential {
        fn set_secret(&self, secret: &[u8]) -> keyring::Result<()> {
            let text = String::from_utf8(secret.to_vec()).unwrap();
            self.map.lock().unwrap().insert(self.key.clone(), text);
            Ok(())
        }
        fn get_secret(&self) -> keyring::Result<Vec<u8>> {
            let map = self.map.lock().unwrap();
            map.get(&self.key)
                .map(|t| t.as_bytes().to_vec())
                .ok_or(Error::NoEntry)
        }
        fn delete_credential(&self) -> keyring::Result<()> {
            let mut map = self.map.lock().unwrap();
            map.remove(&self.key).map(|_| ()).ok_or(Error::NoEntry)
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    impl CredentialBuilderApi for MapStore {
        fn build(
            &self,
            _target: Option<&str>,
            service: &str,
            user: &str,
        ) -> keyring::Result<Box<Credential>> {
            Ok(Box::new(MapCredential {
                key: (service.to_string(), user.to_string()),
                map: self.0.clone(),
            }))
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    fn state_with_map() -> (AppState, Shared) {
        let map = Shared::default();
        let state = AppState::with_keystore(
            Vec::new(),
            Keystore::with_builder(Box::new(MapStore(map.clone()))),
        );
        (state, map)
    }

    /// Builds the `keyring` crate's mock credentials, each set to fail its next call with the
    /// error `make` gives (as a keyring that cannot be reached or is locked does).
    struct Failing(fn() -> Error);

    impl CredentialBuilderApi for Failing {
        fn build(
            &self,
            _target: Option<&str>,
            _service: &str,
            _user: &str,
        ) -> keyring::Result<Box<Credential>> {
            let c = MockCredential::default();
            c.set_error((self.0)());
            Ok(Box::new(c))
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    fn no_service() -> Error {
        Error::PlatformFailure(
            "org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files".into(),
        )
    }

    fn locked() -> Error {
        Error::NoStorageAccess("the collection is locked".into())
    }

    #[test]
    fn origin_is_scheme_host_and_port_of_the_url() {
        assert_eq!(origin(URL).unwrap(), ORIGIN);
        assert_eq!(
            origin("https://audit.example.com:8443/audit/verify?tenant_id=acme&hash=ab#x").unwrap(),
            ORIGIN
        );
        // Default ports, case, user info and surrounding blanks do not make another service.
        assert_eq!(
            origin("https://audit.example.com:443/audit/verify").unwrap(),
            "https://audit.example.com"
        );
        assert_eq!(
            origin(" HTTPS://Audit.Example.COM/audit/verify ").unwrap(),
            "https://audit.example.com"
        );
        assert_eq!(
            origin("https://alice:secret@audit.example.com/audit/verify").unwrap(),
            "https://audit.example.com"
        );
        assert_eq!(
            origin("http://127.0.0.1:8080/audit/verify?tenant_id=a").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            origin("http://[::1]:9000/audit/verify").unwrap(),
            "http://[::1]:9000"
        );
        assert_eq!(
            origin("https://bücher.example/audit/verify").unwrap(),
            "https://xn--bcher-kva.example"
        );
        for bad in [
            "",
            "audit.example.com/verify",
            "ftp://audit.example.com/x",
            "https://",
        ] {
            let e = origin(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Invalid, "{bad:?}: {e:?}");
        }
    }

    #[test]
    fn store_lookup_and_delete_are_per_origin() {
        let ks = Keystore::with_builder(Box::new(MapStore::default()));
        let other = origin(OTHER).unwrap();
        assert_eq!(ks.lookup(ORIGIN).unwrap(), None);
        assert!(!ks.contains(ORIGIN).unwrap());
        ks.store(ORIGIN, "tok-a").unwrap();
        assert_eq!(ks.lookup(ORIGIN).unwrap().as_deref(), Some("tok-a"));
        assert!(ks.contains(ORIGIN).unwrap());
        assert_eq!(ks.lookup(&other).unwrap(), None);
        assert_eq!(ks.lookup("https://audit.example.com").unwrap(), None);
        ks.store(&other, "tok-b").unwrap();
        ks.store(ORIGIN, "tok-a2").unwrap();
        assert_eq!(ks.lookup(ORIGIN).unwrap().as_deref(), Some("tok-a2"));
        assert_eq!(ks.lookup(&other).unwrap().as_deref(), Some("tok-b"));
        assert!(ks.delete(ORIGIN).unwrap());
        assert_eq!(ks.lookup(ORIGIN).unwrap(), None);
        assert!(!ks.delete(ORIGIN).unwrap());
        assert_eq!(ks.lookup(&other).unwrap().as_deref(), Some("tok-b"));
    }

    #[test]
    fn entries_are_named_by_service_and_origin() {
        let (state, map) = state_with_map();
        let (t, source) = resolve(&state, ORIGIN, Some("  tok  ".into())).unwrap();
        assert_eq!((t.as_str(), source), ("tok", Source::Typed));
        remember(&state, ORIGIN, &t, source).unwrap();
        let keys: Vec<_> = map.lock().unwrap().keys().cloned().collect();
        assert_eq!(keys, vec![(SERVICE.to_string(), ORIGIN.to_string())]);
    }

    #[test]
    fn the_crates_default_builder_is_used_when_none_is_given() {
        // The mock keeps a password only in the entry that set it: each call here makes a new
        // entry, so nothing is found afterwards, and no call touches the OS keyring.
        keyring::set_default_credential_builder(keyring::mock::default_credential_builder());
        let ks = Keystore::os();
        ks.store(ORIGIN, "tok").unwrap();
        assert_eq!(ks.lookup(ORIGIN).unwrap(), None);
        assert!(!ks.delete(ORIGIN).unwrap());
    }

    #[test]
    fn failures_are_keyring_errors_naming_the_origin_never_the_token() {
        for (make, says) in [
            (no_service as fn() -> Error, "cannot be used here"),
            (locked as fn() -> Error, "locked or refused access"),
        ] {
            let ks = Keystore::with_builder(Box::new(Failing(make)));
            let errors = [
                ks.store(ORIGIN, "s3cret-token").unwrap_err(),
                ks.lookup(ORIGIN).unwrap_err(),
                ks.contains(ORIGIN).unwrap_err(),
                ks.delete(ORIGIN).unwrap_err(),
            ];
            for e in errors {
                assert_eq!(e.kind, ErrorKind::Keyring);
                assert!(e.message.contains(ORIGIN), "{}", e.message);
                assert!(e.message.contains(says), "{}", e.message);
                assert!(!e.message.contains("s3cret"), "{}", e.message);
                let json = serde_json::to_value(&e).unwrap();
                assert_eq!(json["kind"], "keyring");
            }
        }
        let ks = Keystore::with_builder(Box::new(Failing(|| {
            Error::BadEncoding(b"s3cret\xff".to_vec())
        })));
        let e = ks.lookup(ORIGIN).unwrap_err();
        assert!(!e.message.contains("s3cret"), "{}", e.message);
    }

    #[test]
    fn the_token_comes_from_the_field_then_memory_then_the_keyring() {
        let (state, _) = state_with_map();
        let other = origin(OTHER).unwrap();
        // Nothing anywhere: the user is asked for it.
        let e = resolve(&state, ORIGIN, None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Invalid);
        assert!(e.message.contains(ORIGIN));
        // Typed: used, and held in memory for this origin only.
        assert_eq!(
            resolve(&state, ORIGIN, Some("typed".into())).unwrap(),
            ("typed".into(), Source::Typed)
        );
        assert_eq!(
            resolve(&state, ORIGIN, Some("   ".into())).unwrap(),
            ("typed".into(), Source::Memory)
        );
        assert!(resolve(&state, &other, None).is_err());
        // Stored for the other service: found there, and only there.
        state.keystore.store(&other, "stored-b").unwrap();
        assert_eq!(
            resolve(&state, &other, None).unwrap(),
            ("stored-b".into(), Source::Keyring)
        );
        assert_eq!(
            resolve(&state, ORIGIN, None).unwrap(),
            ("typed".into(), Source::Memory)
        );
        // Memory comes before the keyring; forgetting memory falls back to the keyring.
        state.keystore.store(ORIGIN, "stored-a").unwrap();
        assert_eq!(resolve(&state, ORIGIN, None).unwrap().1, Source::Memory);
        state.token.clear();
        assert_eq!(
            resolve(&state, ORIGIN, None).unwrap(),
            ("stored-a".into(), Source::Keyring)
        );
    }

    #[test]
    fn remember_stores_the_token_used_and_status_never_returns_it() {
        let (state, _) = state_with_map();
        let st = status(&state, URL).unwrap();
        assert_eq!(
            (st.origin.as_str(), st.in_memory, st.stored),
            (ORIGIN, false, false)
        );
        assert_eq!(st.keyring_error, None);

        let (t, source) = resolve(&state, ORIGIN, Some("tok-1".into())).unwrap();
        remember(&state, ORIGIN, &t, source).unwrap();
        let st = status(&state, URL).unwrap();
        assert!(st.in_memory && st.stored, "{st:?}");
        assert!(!serde_json::to_string(&st).unwrap().contains("tok-1"));
        assert_eq!(
            state.keystore.lookup(ORIGIN).unwrap().as_deref(),
            Some("tok-1")
        );
        // Another service knows nothing of it.
        let st = status(&state, OTHER).unwrap();
        assert!(!st.in_memory && !st.stored, "{st:?}");

        // A token from the keyring is not written again; a new typed one replaces it.
        state.token.clear();
        let (t, source) = resolve(&state, ORIGIN, None).unwrap();
        assert_eq!(source, Source::Keyring);
        remember(&state, ORIGIN, &t, source).unwrap();
        let (t, source) = resolve(&state, ORIGIN, Some("tok-2".into())).unwrap();
        remember(&state, ORIGIN, &t, source).unwrap();
        assert_eq!(
            state.keystore.lookup(ORIGIN).unwrap().as_deref(),
            Some("tok-2")
        );

        // Forget the stored token: the keyring entry goes, the memory one stays until forgotten.
        let st = forget_stored(&state, URL).unwrap();
        assert!(st.in_memory && !st.stored, "{st:?}");
        assert_eq!(state.keystore.lookup(ORIGIN).unwrap(), None);
        let st = forget_stored(&state, URL).unwrap();
        assert!(!st.stored);
        state.token.clear();
        assert!(!status(&state, URL).unwrap().in_memory);
    }

    #[test]
    fn a_check_that_failed_says_the_token_was_not_stored() {
        let live = || AppError::new(ErrorKind::Live, "HTTP 401 from the service");
        let e = not_remembered(live(), true, Source::Typed);
        assert_eq!(e.kind, ErrorKind::Live);
        assert_eq!(
            e.message,
            "HTTP 401 from the service (the token was not stored in the OS keyring)"
        );
        assert_eq!(
            not_remembered(live(), false, Source::Typed).message,
            live().message
        );
        assert_eq!(
            not_remembered(live(), true, Source::Keyring).message,
            live().message
        );
        let cancelled = AppError::new(ErrorKind::Cancelled, "cancelled");
        assert_eq!(
            not_remembered(cancelled, true, Source::Memory).message,
            "cancelled"
        );
    }

    #[test]
    fn without_a_keyring_the_request_fails_loudly_and_memory_still_works() {
        let state = AppState::with_keystore(
            Vec::new(),
            Keystore::with_builder(Box::new(Failing(no_service))),
        );
        let (t, source) = resolve(&state, ORIGIN, Some("tok".into())).unwrap();
        let e = remember(&state, ORIGIN, &t, source).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Keyring);
        assert!(e.message.starts_with(&format!(
            "cannot store the token for {ORIGIN} in the OS keyring"
        )));
        assert!(e.message.ends_with("held in memory for this session only"));
        // The next check runs with the token held in memory.
        assert_eq!(
            resolve(&state, ORIGIN, None).unwrap(),
            ("tok".into(), Source::Memory)
        );
        let st = status(&state, URL).unwrap();
        assert!(st.in_memory && !st.stored);
        assert!(st.keyring_error.unwrap().contains("cannot be used here"));
        // With nothing in memory, the keyring's failure is said, not hidden.
        state.token.clear();
        let e = resolve(&state, ORIGIN, None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Keyring);
        assert!(e.message.contains("enter the bearer token"));
        assert_eq!(
            forget_stored(&state, URL).unwrap_err().kind,
            ErrorKind::Keyring
        );
    }
}
