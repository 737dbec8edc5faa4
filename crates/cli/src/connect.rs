//! How `trailproof live` and `trailproof timeline --live` reach the service: the API base, an
//! extra trusted CA certificate, and the bearer token.
//!
//! The bearer token comes from `TRAILPROOF_TOKEN` (or `--token-env VAR`), else from a hidden
//! prompt when stdin is a terminal. It is handed to the HTTP client only: never printed, logged
//! or written, and no error message contains it.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{bail, Context};
use trailproof_live::{HttpPolicy, LiveOptions, Token};

use crate::output::live_progress;

/// How to reach the service: shared by `live` and `timeline --live`.
#[derive(clap::Args)]
pub struct Connect {
    /// Environment variable holding the bearer token (default TRAILPROOF_TOKEN).
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    /// API base URL (default: the verification URL's origin).
    #[arg(long, value_name = "URL")]
    pub api_base: Option<String>,
    /// Extra trusted CA certificate(s), PEM (an on-premise CA); verification stays on.
    #[arg(long, value_name = "PEM")]
    pub ca_cert: Option<PathBuf>,
}

fn token(var: Option<&str>) -> anyhow::Result<Token> {
    let name = var.unwrap_or("TRAILPROOF_TOKEN");
    if let Some(v) = std::env::var_os(name) {
        let t = Token::new(v.to_string_lossy().into_owned());
        if t.is_empty() {
            bail!("the environment variable {name} is empty: set it to a bearer token");
        }
        return Ok(t);
    }
    if std::io::stdin().is_terminal() {
        let t = rpassword::prompt_password("Bearer token (input hidden): ")
            .context("reading the token from the terminal")?;
        let t = Token::new(t);
        if t.is_empty() {
            bail!("no token given");
        }
        return Ok(t);
    }
    bail!("no token: set {name} to a bearer token (or run on a terminal to be asked for it)")
}

impl Connect {
    /// The options given, as written on the command line (for "needs --live" messages).
    pub fn given(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.token_env.is_some() {
            v.push("--token-env");
        }
        if self.api_base.is_some() {
            v.push("--api-base");
        }
        if self.ca_cert.is_some() {
            v.push("--ca-cert");
        }
        v
    }

    /// Reads the CA certificate and the token, and draws progress on stderr when it is a
    /// terminal. The second value says whether progress is drawn (end its line afterwards).
    pub fn options(self) -> anyhow::Result<(LiveOptions<'static>, bool)> {
        let ca_pem = match &self.ca_cert {
            Some(p) => Some(
                std::fs::read(p)
                    .with_context(|| format!("reading CA certificate {}", p.display()))?,
            ),
            None => None,
        };
        let token = token(self.token_env.as_deref())?;
        let show = std::io::stderr().is_terminal();
        Ok((
            LiveOptions {
                api_base: self.api_base,
                token,
                ca_pem,
                policy: HttpPolicy::default(),
                progress: live_progress(show),
                cancel: None,
                keep_copies: false,
            },
            show,
        ))
    }
}
