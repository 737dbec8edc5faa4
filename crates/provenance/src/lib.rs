//! `trailproof-provenance`: which build of Trailproof is running.
//!
//! A forensic tool's output is only as good as the record of which build produced it, so every
//! binary carries [`BUILD`]: the version, the git commit it was built from, the build date taken
//! from that commit (never the clock, so two builds of one commit are byte-identical), the
//! target triple and the rustc version. `build.rs` reads them at compile time; a value that
//! could not be read (git absent) is `unknown`, never a failed build.
//!
//! This crate has no dependencies of ours, so the CLI, the desktop app, the self-test and the
//! reports can all name the same build without a dependency cycle.
#![forbid(unsafe_code)]

use serde::Serialize;

/// Where a build came from. Every value is fixed at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// The package version (`Cargo.toml`), e.g. `0.1.0`.
    pub version: &'static str,
    /// The full git commit hash, or `unknown`.
    pub commit: &'static str,
    /// The commit's date (or `SOURCE_DATE_EPOCH`), `YYYY-MM-DDTHH:MM:SSZ` in UTC, or `unknown`.
    pub build_date: &'static str,
    /// The target triple, e.g. `x86_64-unknown-linux-gnu`.
    pub target: &'static str,
    /// `rustc --version` of the compiler that built it.
    pub rustc: &'static str,
}

/// This build.
pub const BUILD: Provenance = Provenance {
    version: env!("CARGO_PKG_VERSION"),
    commit: env!("TRAILPROOF_BUILD_COMMIT"),
    build_date: env!("TRAILPROOF_BUILD_DATE"),
    target: env!("TRAILPROOF_BUILD_TARGET"),
    rustc: env!("TRAILPROOF_BUILD_RUSTC"),
};

/// The text after the program name in `--version` (clap's `long_version`): the version on the
/// first line, then one `name: value` line per fact.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\ncommit:     ",
    env!("TRAILPROOF_BUILD_COMMIT"),
    "\nbuild date: ",
    env!("TRAILPROOF_BUILD_DATE"),
    " (of the commit)",
    "\ntarget:     ",
    env!("TRAILPROOF_BUILD_TARGET"),
    "\nrustc:      ",
    env!("TRAILPROOF_BUILD_RUSTC"),
);

impl Provenance {
    /// The commit shortened to 12 hex digits (or `unknown`).
    pub fn short_commit(&self) -> &'static str {
        self.commit.get(..12).unwrap_or(self.commit)
    }

    /// One line naming the build, for logs and validation records:
    /// `trailproof 0.1.0 (commit 0123456789ab, 2026-12-03T08:02:11Z, x86_64-unknown-linux-gnu, rustc 1.95.0 ...)`.
    pub fn version_line(&self, program: &str) -> String {
        format!(
            "{program} {} (commit {}, {}, {}, {})",
            self.version,
            self.short_commit(),
            self.build_date,
            self.target,
            self.rustc
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_filled_and_the_date_has_its_shape() {
        assert_eq!(BUILD.version, env!("CARGO_PKG_VERSION"));
        assert!(BUILD.target.contains('-'), "{}", BUILD.target);
        assert!(BUILD.rustc.starts_with("rustc "), "{}", BUILD.rustc);
        assert!(
            BUILD.commit == "unknown"
                || (BUILD.commit.len() >= 40
                    && BUILD.commit.bytes().all(|b| b.is_ascii_hexdigit())),
            "{}",
            BUILD.commit
        );
        let d = BUILD.build_date.as_bytes();
        assert!(
            BUILD.build_date == "unknown"
                || (d.len() == 20 && d[4] == b'-' && d[10] == b'T' && d[19] == b'Z'),
            "{}",
            BUILD.build_date
        );
    }

    /// The date is the commit's, as git renders it in UTC (when git is here to ask).
    #[test]
    fn build_date_is_the_commit_date() {
        if std::env::var_os("SOURCE_DATE_EPOCH").is_some() || BUILD.commit == "unknown" {
            return;
        }
        let out = std::process::Command::new("git")
            .args([
                "log",
                "-1",
                "--date=format-local:%Y-%m-%dT%H:%M:%SZ",
                "--format=%cd",
            ])
            .arg(BUILD.commit)
            .env("TZ", "UTC")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output();
        if let Some(out) = out.ok().filter(|o| o.status.success()) {
            assert_eq!(
                String::from_utf8_lossy(&out.stdout).trim(),
                BUILD.build_date
            );
        }
    }

    #[test]
    fn long_version_and_version_line_name_every_fact() {
        for fact in [BUILD.commit, BUILD.build_date, BUILD.target, BUILD.rustc] {
            assert!(LONG_VERSION.contains(fact), "{LONG_VERSION}");
        }
        assert!(LONG_VERSION.starts_with(BUILD.version));
        let line = BUILD.version_line("trailproof");
        assert!(line.starts_with(&format!("trailproof {} (commit ", BUILD.version)));
        assert!(line.contains(BUILD.short_commit()) && line.contains(BUILD.rustc));
    }
}
