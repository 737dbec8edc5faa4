//! `trailproof-service`: the reference AEF/1 audit service.
//!
//! Commands (all print one summary line on stdout unless noted; errors go to stderr with
//! exit status 1):
//!
//! * `seed --db F --tenants N --events M [--seed S]` (default seed 1):
//!   `seeded M events over N tenants into F (seed S)`. Deterministic for a seed.
//! * `import --db F --in records.jsonl`: appends each line through the store's append path
//!   (seq, prev_hash and hash recomputed, timestamp kept) and checks them against the line:
//!   `imported N records; every seq, prev_hash and hash matches the input`; any difference
//!   is an error naming tenant and seq.
//! * `export --db F --out X.json|X.pdf --tenant-id T [--severity ..] [--event ..] [--actor ..]
//!   [--resource-type ..] [--date-from ..] [--date-to ..] [--time-from ..] [--time-to ..]
//!   [--q .. --field ..] [--origin URL] [--exported-at TS] [--user-id U] [--display D]`:
//!   writes the export, prints `exported N records of T: fingerprint F, chain head seq S
//!   hash H` and then the verification URL on a second line. A scope error exits with the
//!   spec's message (`time_from needs date_from`, ...).
//! * `token --secret S --role R --tenant-id T [--sub U] [--ttl SECONDS]` (default sub
//!   `u-cli`, ttl 3600): prints the HS256 JWT only.
//! * `serve --db F --port P --secret S [--bind 127.0.0.1] [--origin URL] [--rate-limit N]
//!   [--rate-window SECONDS]`: prints `listening on http://ADDR` on stderr and serves.
//! * `tamper --db F edit-field|delete|edit-rehash|rechain|truncate|backdate|move-tenant ...`:
//!   prints what it changed, e.g. `delete: acme seq 5..=5: 1 records deleted`.
//! * `dump --db F --format sqlite|sqlite-sql|pg-copy|pg-inserts|jsonl|csv --out F`:
//!   `wrote N rows as FORMAT to F`, plus a warning on stderr for PostgreSQL forms when
//!   timestamps lose their sub-microsecond digits.
//! * `check --db F`: recomputes every chain: `N records, every chain intact` (exit 0) or one
//!   line per problem (exit 1).
//! * `loadtest --db F [--events 100000] [--writers 8] [--tenants 4]`: appends with concurrent
//!   writers (one connection each), checks every chain, prints
//!   `appended N events with W writers in S s: R events/s; N records, every chain intact`.
//!   Measured (debug build, 2 shared cores, 4 tenants): 100,000 events with 8 writers in
//!   51.0 s, 1,959 events/s, every chain intact.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use trailproof_core::scope::{Scope, ScopeParams};
use trailproof_service::export::{self, ExportMeta};
use trailproof_service::ojson::J;
use trailproof_service::row::Row;
use trailproof_service::store;
use trailproof_service::{auth, dump, pdf, seed, server, tamper};

/// The API answers allocate a value per record member, often freed on another thread: glibc
/// malloc was 20% of the service's CPU time in `bench/live.sh` (perf), mimalloc a fraction.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "trailproof-service",
    version,
    about = "Reference AEF/1 audit service"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

// Parsed once per process; boxing the large variant would only add noise.
#[allow(clippy::large_enum_variant)]
/// The scope of an export (SPEC section 5), as `--tenant-id` and one flag per filter.
#[derive(clap::Args)]
struct ScopeArgs {
    #[arg(long)]
    tenant_id: String,
    #[arg(long)]
    severity: Option<String>,
    #[arg(long)]
    event: Option<String>,
    #[arg(long)]
    actor: Option<String>,
    #[arg(long)]
    resource_type: Option<String>,
    #[arg(long)]
    date_from: Option<String>,
    #[arg(long)]
    date_to: Option<String>,
    #[arg(long)]
    time_from: Option<String>,
    #[arg(long)]
    time_to: Option<String>,
}

impl ScopeArgs {
    fn params(self) -> ScopeParams {
        ScopeParams {
            tenant_id: Some(self.tenant_id),
            severity: self.severity,
            event: self.event,
            actor: self.actor,
            resource_type: self.resource_type,
            date_from: self.date_from,
            date_to: self.date_to,
            time_from: self.time_from,
            time_to: self.time_to,
        }
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Seed a deterministic, realistic history.
    Seed {
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        tenants: usize,
        #[arg(long)]
        events: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Import records (JSON Lines) through the append path and check their hashes.
    Import {
        #[arg(long)]
        db: PathBuf,
        #[arg(long = "in")]
        input: PathBuf,
    },
    /// Export a scope as JSON or PDF (SPEC section 6).
    Export {
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        scope: Box<ScopeArgs>,
        #[arg(long, requires = "field")]
        q: Option<String>,
        #[arg(long, requires = "q")]
        field: Option<String>,
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        origin: String,
        /// Fixed export time (default: now), for reproducible exports.
        #[arg(long)]
        exported_at: Option<String>,
        #[arg(long, default_value = "u-cli")]
        user_id: String,
        #[arg(long, default_value = "Trailproof CLI")]
        display: String,
    },
    /// Print a signed bearer token.
    Token {
        #[arg(long)]
        secret: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        tenant_id: String,
        #[arg(long, default_value = "u-cli")]
        sub: String,
        /// Seconds until expiry (negative: an already expired token, for tests).
        #[arg(long, default_value_t = 3600, allow_negative_numbers = true)]
        ttl: i64,
    },
    /// Serve the API.
    Serve {
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        port: u16,
        #[arg(long)]
        secret: String,
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// Origin for verification URLs (default http://BIND:PORT).
        #[arg(long)]
        origin: Option<String>,
        /// Requests per token per window.
        #[arg(long, default_value_t = 600)]
        rate_limit: u32,
        #[arg(long, default_value_t = 60)]
        rate_window: u64,
    },
    /// Tamper with the store like an insider with database rights.
    Tamper {
        #[arg(long)]
        db: PathBuf,
        #[command(subcommand)]
        action: tamper::Action,
    },
    /// Dump the store in one of the forms of SPEC section 8.
    Dump {
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        format: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Recompute every chain of the store.
    Check {
        #[arg(long)]
        db: PathBuf,
    },
    /// Hold the store's write lock (an open write transaction) for a while, as a backup job or
    /// a tamper kit does: the fault the service must answer without hanging. Prints `locked`
    /// once the lock is held; writes nothing.
    HoldLock {
        #[arg(long)]
        db: PathBuf,
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
    },
    /// Append events with concurrent writers and report events/s.
    Loadtest {
        #[arg(long)]
        db: PathBuf,
        #[arg(long, default_value_t = 100_000)]
        events: u64,
        #[arg(long, default_value_t = 8)]
        writers: u64,
        #[arg(long, default_value_t = 4)]
        tenants: usize,
    },
}

fn main() {
    if let Err(e) = run(Cli::parse()) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Seed {
            db,
            tenants,
            events,
            seed: s,
        } => {
            let mut conn = store::open(&db)?;
            seed::seed(&mut conn, tenants, events, s)?;
            println!(
                "seeded {events} events over {tenants} tenants into {} (seed {s})",
                db.display()
            );
        }
        Cmd::Import { db, input } => {
            let n = import(&db, &input)?;
            println!("imported {n} records; every seq, prev_hash and hash matches the input");
        }
        Cmd::Export {
            db,
            out,
            scope,
            q,
            field,
            origin,
            exported_at,
            user_id,
            display,
        } => {
            let scope = Scope::normalize(&scope.params())?;
            let exported_at = match exported_at {
                Some(t) => trailproof_core::time::normalize(&t)?.canonical(),
                None => store::now_canonical(),
            };
            let meta = ExportMeta {
                origin,
                exported_at,
                user_id,
                display,
                legacy: q.zip(field),
            };
            let conn = store::open(&db)?;
            let e = export::build(&conn, &scope, meta)?;
            let is_pdf = out
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("pdf"));
            let bytes = if is_pdf {
                pdf::render(&e)?
            } else {
                e.json().into_bytes()
            };
            std::fs::write(&out, bytes).with_context(|| format!("writing {}", out.display()))?;
            println!(
                "exported {} records of {}: fingerprint {}, chain head seq {} hash {}",
                e.records.len(),
                scope.tenant_id,
                e.fingerprint,
                e.head.0,
                e.head.1
            );
            println!("{}", e.verify_url);
        }
        Cmd::Token {
            secret,
            role,
            tenant_id,
            sub,
            ttl,
        } => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_secs() as i64;
            let claims = auth::Claims {
                sub,
                role,
                tenant_id,
                exp: (now + ttl).max(0) as u64,
            };
            println!("{}", auth::sign(&secret, &claims)?);
        }
        Cmd::Serve {
            db,
            port,
            secret,
            bind,
            origin,
            rate_limit,
            rate_window,
        } => {
            store::open(&db)?;
            let cfg = server::Config {
                db,
                secret,
                rate_limit,
                rate_window: Duration::from_secs(rate_window),
                origin: origin.unwrap_or_else(|| format!("http://{bind}:{port}")),
            };
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_io()
                .enable_time()
                .build()?;
            rt.block_on(server::serve(cfg, &bind, port))?;
        }
        Cmd::Tamper { db, action } => {
            let mut conn = store::open(&db)?;
            println!("{}", tamper::run(&mut conn, &action)?);
        }
        Cmd::Dump { db, format, out } => {
            let conn = store::open(&db)?;
            let (n, lossy) = dump::dump(&conn, &format, &out)?;
            if lossy > 0 {
                eprintln!(
                    "warning: {lossy} of {n} timestamps have sub-microsecond digits that PostgreSQL does not keep; those records will not verify from this dump"
                );
            }
            println!("wrote {n} rows as {format} to {}", out.display());
        }
        Cmd::Check { db } => {
            let conn = store::open(&db)?;
            let (n, problems) = store::verify_chains(&conn)?;
            if problems.is_empty() {
                println!("{n} records, every chain intact");
            } else {
                for p in &problems {
                    println!("{p}");
                }
                bail!("{} problems in {n} records", problems.len());
            }
        }
        Cmd::HoldLock { db, seconds } => {
            store::hold_write_lock(&db, std::time::Duration::from_secs_f64(seconds), || {
                println!("locked");
                let _ = std::io::Write::flush(&mut std::io::stdout());
            })?;
        }
        Cmd::Loadtest {
            db,
            events,
            writers,
            tenants,
        } => {
            let (secs, n, problems) = loadtest(&db, events, writers, tenants)?;
            println!(
                "appended {events} events with {writers} writers in {secs:.2} s: {:.0} events/s; {n} records, {}",
                events as f64 / secs,
                if problems.is_empty() {
                    "every chain intact".to_string()
                } else {
                    format!("{} chain problems", problems.len())
                }
            );
            if !problems.is_empty() {
                bail!("chains broken: {}", problems.join("; "));
            }
        }
    }
    Ok(())
}

/// Imports JSON Lines: recomputes every tenant's chain in `seq` order exactly as the append
/// path does (seq 1, 2, ..., `prev_hash` linking, hash of the canonical record) and requires
/// every computed value to match the input; rows are then stored in input order (so a dump
/// keeps the input's row order).
fn import(db: &std::path::Path, input: &std::path::Path) -> Result<u64> {
    let text = std::fs::read_to_string(input)?;
    let mut rows = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let j = J::parse(line).with_context(|| format!("line {}", i + 1))?;
        rows.push((
            i + 1,
            Row::from_j(&j).with_context(|| format!("line {}", i + 1))?,
        ));
    }
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|a, b| {
        (&rows[*a].1.tenant_id, rows[*a].1.seq).cmp(&(&rows[*b].1.tenant_id, rows[*b].1.seq))
    });
    let mut prev: Option<(String, i64, String)> = None;
    for i in order {
        let (line, want) = &rows[i];
        let (seq, prev_hash) = match &prev {
            Some((t, s, h)) if *t == want.tenant_id => (s + 1, h.clone()),
            _ => (
                1,
                trailproof_core::record::hex(&trailproof_core::record::GENESIS),
            ),
        };
        let mut ev = want.clone();
        ev.seq = seq;
        ev.prev_hash = prev_hash;
        ev.timestamp = trailproof_core::time::normalize(&want.timestamp)?.canonical();
        ev.hash = ev.compute_hash()?;
        for (what, a, b) in [
            ("seq", ev.seq.to_string(), want.seq.to_string()),
            ("prev_hash", ev.prev_hash.clone(), want.prev_hash.clone()),
            ("hash", ev.hash.clone(), want.hash.clone()),
        ] {
            if a != b {
                bail!(
                    "line {line}: {} seq {}: {what} is {a} here, {b} in the input",
                    want.tenant_id,
                    want.seq
                );
            }
        }
        prev = Some((ev.tenant_id.clone(), ev.seq, ev.hash.clone()));
    }
    let mut conn = store::open(db)?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for (_, r) in &rows {
        r.insert(&tx)?;
    }
    tx.commit()?;
    Ok(rows.len() as u64)
}

/// Appends `events` with `writers` threads, one connection each; returns (seconds, records
/// checked, chain problems).
fn loadtest(
    db: &std::path::Path,
    events: u64,
    writers: u64,
    tenants: usize,
) -> Result<(f64, u64, Vec<String>)> {
    store::open(db)?;
    let start = std::time::Instant::now();
    let handles: Vec<_> = (0..writers)
        .map(|w| {
            let db = db.to_path_buf();
            std::thread::spawn(move || -> Result<()> {
                let mut conn = store::open(&db)?;
                let mut rng = seed::Rng::new(w + 1);
                let share = events / writers + u64::from(w < events % writers);
                for i in 0..share {
                    let t = seed::tenant_name(rng.below(tenants as u64) as usize);
                    let mut ev = seed::event(&mut rng, &t, i, 0);
                    ev.timestamp.clear();
                    ev.event_id.clear();
                    store::append(&mut conn, &mut ev)?;
                }
                Ok(())
            })
        })
        .collect();
    for h in handles {
        h.join().map_err(|_| anyhow::anyhow!("writer panicked"))??;
    }
    let secs = start.elapsed().as_secs_f64();
    let conn = store::open(db)?;
    let (n, problems) = store::verify_chains(&conn)?;
    Ok((secs, n, problems))
}
