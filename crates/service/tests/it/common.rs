//! Helpers shared by the integration tests: running the binary and a tiny HTTP/1.1 client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_trailproof-service");

pub use trailproof_testkit::{scratch as tmpdir, vector};

/// Runs the binary; returns (status success, stdout, stderr).
pub fn run(args: &[&str]) -> (bool, String, String) {
    let o = Command::new(BIN).args(args).output().unwrap();
    (
        o.status.success(),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

/// Runs the binary and requires success; returns stdout.
pub fn ok(args: &[&str]) -> String {
    let (s, out, err) = run(args);
    assert!(s, "{args:?} failed: {err}");
    out
}

pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve` on an ephemeral loopback port.
pub fn serve(db: &Path, secret: &str, extra: &[&str]) -> Server {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--db",
            db.to_str().unwrap(),
            "--port",
            "0",
            "--secret",
            secret,
        ])
        .args(extra)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected server output {line:?}"))
        .to_string();
    Server { child, addr }
}

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One authenticated GET.
pub fn get(addr: &str, path: &str, token: &str) -> Resp {
    http(addr, "GET", path, Some(token), None)
}

/// One HTTP/1.1 request (Connection: close).
pub fn http(addr: &str, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    let body = body.unwrap_or("");
    if method == "POST" {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let nl = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let n = usize::from_str_radix(std::str::from_utf8(&rest[..nl]).unwrap().trim(), 16)
                .unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&rest[nl + 2..nl + 2 + n]);
            rest = &rest[nl + 2 + n + 2..];
        }
        body = out;
    }
    Resp {
        status,
        headers,
        body,
    }
}

pub fn token(secret: &str, role: &str, tenant: &str, sub: &str, ttl: i64) -> String {
    let ttl = ttl.to_string();
    ok(&[
        "token",
        "--secret",
        secret,
        "--role",
        role,
        "--tenant-id",
        tenant,
        "--sub",
        sub,
        "--ttl",
        &ttl,
    ])
    .trim()
    .to_string()
}

/// Every record of `tenant` through the API, page by page (1,000 at a time).
pub fn all_records(addr: &str, tenant: &str, token: &str) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let r = http(
            addr,
            "GET",
            &format!("/api/v1/audit/records?tenant_id={tenant}&after_seq={after}&limit=1000"),
            Some(token),
            None,
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let j = r.json();
        out.extend(j["records"].as_array().unwrap().iter().cloned());
        match j["next_after_seq"].as_i64() {
            Some(n) => after = n,
            None => return out,
        }
    }
}

/// `POST /api/v1/audit/events` with `body`, as `token`.
pub fn post_event(addr: &str, token: &str, body: &str) -> Resp {
    http(
        addr,
        "POST",
        "/api/v1/audit/events",
        Some(token),
        Some(body),
    )
}

/// A fresh store with the public vector `file` imported (every hash checked on the way in).
pub fn imported(name: &str, file: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let d = tmpdir(name);
    let db = d.join("store.db");
    let out = ok(&[
        "import",
        "--db",
        db.to_str().unwrap(),
        "--in",
        vector(file).to_str().unwrap(),
    ]);
    let n = if file == "records.jsonl" { 52 } else { 33 };
    assert_eq!(
        out,
        format!("imported {n} records; every seq, prev_hash and hash matches the input\n")
    );
    (d, db)
}
