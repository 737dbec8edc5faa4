//! The HTTP side of live verification: one GET at a time against the AEF/1 API (SPEC section 7).
//!
//! Invariants:
//! * TLS certificate and host-name verification are always on; `--ca-cert` only *adds* a trusted
//!   root (an on-premise CA), it never disables a check.
//! * Every request has a connect timeout and an overall timeout.
//! * Retries are bounded: 5xx answers, timeouts and dropped connections (also mid-body) are
//!   retried with exponential backoff; 429 waits for `Retry-After` (capped); 401 and 403 are
//!   final and become [`LiveError::Unauthorized`] / [`LiveError::Forbidden`].
//! * The bearer token is marked sensitive in the header map and never appears in an error, a
//!   log line or `Debug` output ([`Token`] redacts itself).

use std::time::Duration;

use reqwest::header::{HeaderValue, AUTHORIZATION, RETRY_AFTER};
use reqwest::StatusCode;

use crate::LiveError;

/// A bearer token. `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    pub fn new(text: impl Into<String>) -> Token {
        Token(text.into().trim().to_string())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Timeouts and retry bounds.
#[derive(Debug, Clone)]
pub struct HttpPolicy {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Retries after the first attempt (so `max_retries + 1` attempts at most).
    pub max_retries: u32,
    /// First backoff; doubled on each retry.
    pub backoff: Duration,
    /// Longest backoff between two attempts.
    pub max_backoff: Duration,
    /// Longest `Retry-After` honoured; a longer one is waited for this long.
    pub max_retry_after: Duration,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        HttpPolicy {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(120),
            max_retries: 5,
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// A client bound to one API base and token.
#[derive(Clone)]
pub struct Api {
    client: reqwest::Client,
    base: url::Url,
    auth: HeaderValue,
    policy: HttpPolicy,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("base", &self.base.as_str())
            .finish()
    }
}

impl Api {
    /// `ca_pem`: extra trusted roots (PEM, one or more certificates).
    pub fn new(
        base: &str,
        token: &Token,
        ca_pem: Option<&[u8]>,
        policy: HttpPolicy,
    ) -> Result<Api, LiveError> {
        let base = url::Url::parse(base.trim_end_matches('/'))
            .map_err(|e| LiveError::Config(format!("API base {base:?} is not a URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(LiveError::Config(format!(
                "API base {} is not http or https",
                base.as_str()
            )));
        }
        let mut b = reqwest::Client::builder()
            .use_rustls_tls()
            .https_only(false)
            .connect_timeout(policy.connect_timeout)
            .timeout(policy.request_timeout)
            .user_agent(concat!("trailproof-live/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| LiveError::Config(format!("CA certificate is not PEM: {e}")))?;
            if certs.is_empty() {
                return Err(LiveError::Config(
                    "CA certificate file holds no PEM certificate".into(),
                ));
            }
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        let client = b
            .build()
            .map_err(|e| LiveError::Config(format!("cannot set up the HTTP client: {e}")))?;
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.0)).map_err(|_| {
            LiveError::Config("the token holds characters not allowed in an HTTP header".into())
        })?;
        auth.set_sensitive(true);
        Ok(Api {
            client,
            base,
            auth,
            policy,
        })
    }

    /// The API base, as used.
    pub fn base(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    fn url(&self, path: &str, query: &[(&str, String)]) -> url::Url {
        let mut u = self.base.clone();
        let p = format!("{}{}", self.base.path().trim_end_matches('/'), path);
        u.set_path(&p);
        {
            let mut q = u.query_pairs_mut();
            q.clear();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        u
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let d = self.policy.backoff.saturating_mul(1u32 << attempt.min(16));
        d.min(self.policy.max_backoff)
    }

    /// GET `path?query`; returns the body of a 200 answer.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Vec<u8>, LiveError> {
        let url = self.url(path, query);
        let shown = format!("GET {}", url.path());
        let mut attempt: u32 = 0;
        loop {
            match self.get_once(&url, &shown, attempt).await {
                Ok(body) => return Ok(body),
                Err(Attempt::Retry(wait)) => {
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err(Attempt::Failed(e)) => return Err(e),
            }
        }
    }

    /// Attempt number `attempt` (from 0) of a GET: the body of a 200 answer, or how long to wait
    /// before the next attempt, or the error once no attempt is left or none would help.
    async fn get_once(
        &self,
        url: &url::Url,
        shown: &str,
        attempt: u32,
    ) -> Result<Vec<u8>, Attempt> {
        let last = attempt >= self.policy.max_retries;
        let transport = |e: reqwest::Error, retryable: bool| {
            if retryable && !last {
                Attempt::Retry(self.backoff(attempt))
            } else {
                Attempt::Failed(LiveError::Transport {
                    what: shown.to_string(),
                    attempts: attempt + 1,
                    cause: error_text(&e),
                })
            }
        };
        let resp = self
            .client
            .get(url.clone())
            .header(AUTHORIZATION, self.auth.clone())
            .send()
            .await
            .map_err(|e| {
                let retryable = transient(&e);
                transport(e, retryable)
            })?;
        let status = resp.status();
        if status == StatusCode::OK {
            return match resp.bytes().await {
                Ok(b) => Ok(b.to_vec()),
                Err(e) => Err(transport(e, true)),
            };
        }
        if status == StatusCode::UNAUTHORIZED {
            return Err(Attempt::Failed(LiveError::Unauthorized));
        }
        if status == StatusCode::FORBIDDEN {
            return Err(Attempt::Failed(LiveError::Forbidden));
        }
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let message = error_message(resp).await;
        let retryable = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
        if retryable && !last {
            let wait = if status == StatusCode::TOO_MANY_REQUESTS {
                retry_after
                    .unwrap_or_else(|| self.backoff(attempt))
                    .min(self.policy.max_retry_after)
            } else {
                self.backoff(attempt)
            };
            return Err(Attempt::Retry(wait));
        }
        Err(Attempt::Failed(LiveError::Status {
            what: shown.to_string(),
            status: status.as_u16(),
            attempts: attempt + 1,
            message,
        }))
    }
}

/// How one attempt of a request ended when it gave no body.
enum Attempt {
    /// Try again after this long.
    Retry(Duration),
    /// Give up with this error.
    Failed(LiveError),
}

/// Whether a transport error is worth another attempt (timeouts, refused or dropped
/// connections, a body cut off).
fn transient(e: &reqwest::Error) -> bool {
    e.is_timeout() || e.is_connect() || e.is_request() || e.is_body()
}

/// The error and its causes, in one line (no URL query, no header ever appears here).
fn error_text(e: &reqwest::Error) -> String {
    let mut s = e.without_url_ref().to_string();
    let mut src = std::error::Error::source(e);
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

trait WithoutUrl {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let kind = if self.is_timeout() {
            "timed out"
        } else if self.is_connect() {
            "could not connect"
        } else if self.is_body() || self.is_decode() {
            "the answer was cut off"
        } else {
            "request failed"
        };
        kind.to_string()
    }
}

/// The `error` member of an error body, or the body's start.
async fn error_message(resp: reqwest::Response) -> String {
    let body = resp.bytes().await.unwrap_or_default();
    #[derive(serde::Deserialize)]
    struct E {
        error: String,
    }
    match serde_json::from_slice::<E>(&body) {
        Ok(e) => e.error,
        Err(_) => String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
    }
}
