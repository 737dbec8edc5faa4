//! Reads the build's provenance once, at compile time, into environment variables for
//! `src/lib.rs`: the git commit, the commit's date, the target triple and the rustc version.
//!
//! Reproducible by construction: nothing here reads the clock or a path. The date is the
//! commit's (or `SOURCE_DATE_EPOCH`'s, when set, as reproducible-builds.org specifies), so two
//! builds of one commit embed the same bytes. Git may be absent (a source tarball, a machine
//! without git): every value then falls back to `unknown` and the build goes on;
//! `TRAILPROOF_GIT_COMMIT` can name the commit of such a tree.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    for var in ["SOURCE_DATE_EPOCH", "TRAILPROOF_GIT_COMMIT"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    watch_git_head(&dir);

    let commit = std::env::var("TRAILPROOF_GIT_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| git(&dir, &["rev-parse", "HEAD"]))
        .unwrap_or_else(|| "unknown".into());
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .or_else(|| git(&dir, &["log", "-1", "--format=%ct", "HEAD"]))
        .and_then(|s| s.trim().parse::<i64>().ok());
    let date = epoch.map_or_else(|| "unknown".into(), utc_date_time);
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    let rustc = std::env::var_os("RUSTC")
        .and_then(|rustc| Command::new(rustc).arg("--version").output().ok())
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into());

    println!("cargo:rustc-env=TRAILPROOF_BUILD_COMMIT={commit}");
    println!("cargo:rustc-env=TRAILPROOF_BUILD_DATE={date}");
    println!("cargo:rustc-env=TRAILPROOF_BUILD_TARGET={target}");
    println!("cargo:rustc-env=TRAILPROOF_BUILD_RUSTC={rustc}");
}

/// Output of `git ARGS` run in `dir`, trimmed; `None` when git is missing or fails.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (out.status.success() && !text.is_empty()).then(|| text.to_string())
}

/// Runs this script again when HEAD moves: a new commit, a checkout, a branch switch.
/// Only files that exist are named: cargo would otherwise run the script on every build.
fn watch_git_head(dir: &Path) {
    let resolve = |p: Option<String>| p.map(|p| dir.join(p));
    let git_dir = resolve(git(dir, &["rev-parse", "--git-dir"]));
    let common_dir = resolve(git(dir, &["rev-parse", "--git-common-dir"]));
    let mut watched = Vec::new();
    if let Some(g) = &git_dir {
        watched.push(g.join("HEAD"));
    }
    if let Some(c) = &common_dir {
        watched.push(c.join("packed-refs"));
        if let Some(reference) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
            watched.push(c.join(reference));
        }
    }
    for path in watched.into_iter().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` of seconds since the Unix epoch (UTC; H. Hinnant's
/// `civil_from_days`).
fn utc_date_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )
}
