//! Differential signing against the official EdgeGrid libraries: seeded random requests
//! (paths and queries with reserved, percent-encoded and non-ASCII characters, headers to sign
//! with odd whitespace, bodies around `max_body`) signed by the SDK and by the official Python
//! library (and the Node library, on the inputs where it follows the algorithm) through the
//! oracle scripts of `../shared/edgegrid/oracle`; every authorization header has to match.
//!
//! They need the libraries, installed by `sh ../shared/edgegrid/oracle/setup.sh DIR` and named
//! by `EDGEGRID_ORACLE_DIR=DIR` (and `node` on `PATH` for the Node one): without them the
//! trials are ignored with the reason, or fail when `CI` is set (see [`crate::harness`]).

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Stdio};

use akamai_sdk::edgegrid::Timestamp;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::harness::{Check, Found, Need};

#[path = "../common/edgegrid_cases.rs"]
mod cases;

use cases::{build_case, sent_path_and_query, shared_dir};

/// The trials of this module.
pub(crate) fn checks() -> Vec<Check> {
    vec![
        Check::new(
            "signing::differential_against_the_official_python_library",
            vec![Need::PythonOracle],
            differential_against_the_official_python_library,
        ),
        Check::new(
            "signing::differential_against_the_official_node_library",
            vec![Need::Node, Need::NodeOracle],
            differential_against_the_official_node_library,
        ),
        Check::new("signing::generator_covers_what_it_claims", vec![], |_| {
            generator_covers_what_it_claims()
        }),
    ]
}

#[path = "../common/rng.rs"]
mod rng;
use rng::Rng;

/// Picks of the seeded generator, so the cases are the same on every run.
impl Rng {
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn pick_str<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const NON_ASCII: &[&str] = &[
    "\u{e9}",
    "\u{fc}",
    "\u{65e5}\u{672c}",
    "\u{1f600}",
    "\u{3a9}",
];

fn percent_encode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// One path segment or query token: unreserved and reserved characters, percent-encoded bytes
/// (UTF-8 of non-ASCII text among them), raw non-ASCII and blanks (which the URL encodes).
fn token(rng: &mut Rng, reserved: &[&str]) -> String {
    let mut out = String::new();
    for _ in 0..rng.below(8) {
        match rng.below(10) {
            0..=3 => out.push(*rng.pick(b"abcXYZ019-._~") as char),
            4 | 5 => out.push_str(rng.pick_str(reserved)),
            6 => out.push_str(&percent_encode(rng.pick_str(NON_ASCII))),
            7 => out.push_str(&format!("%{:02X}", rng.below(256))),
            8 => out.push_str(rng.pick_str(NON_ASCII)),
            _ => out.push_str(rng.pick_str(&[" ", "%20", "+", "%2B", "%25"])),
        }
    }
    out
}

fn random_case(rng: &mut Rng, node_compatible: bool) -> Value {
    let method = *rng.pick(&[
        "GET", "POST", "POST", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS",
    ]);
    let mut path = String::new();
    for _ in 0..1 + rng.below(5) {
        path.push('/');
        path.push_str(&token(
            rng,
            &["!", "$", "&", "'", "(", ")", "*", ",", ";", "=", ":", "@"],
        ));
    }
    // Node resolves a path starting with `//` as a URL with another host (SPEC §3.4).
    if node_compatible && path.starts_with("//") {
        path.insert(1, 'n');
    }
    // Python's urlparse drops a trailing empty `;params` (a known library bug, SPEC §9).
    if path.ends_with(';') {
        path.push('p');
    }
    let mut pq = path;
    match rng.below(4) {
        0 => {}
        1 => pq.push('?'),
        _ => {
            pq.push('?');
            let pairs: Vec<String> = (0..1 + rng.below(5))
                .map(|_| {
                    let reserved = ["/", "?", ":", "@", "!", "$", "'", "(", ")", "*", ",", ";"];
                    format!("{}={}", token(rng, &reserved), token(rng, &reserved))
                })
                .collect();
            pq.push_str(&pairs.join(if rng.chance(80) { "&" } else { ";" }));
        }
    }
    let names = ["X-Test1", "X-Test2", "X-Test3", "Content-Type", "X-Empty"];
    let mut headers = serde_json::Map::new();
    for name in names {
        if rng.chance(60) {
            let mut value = String::new();
            if rng.chance(30) {
                value.push_str(rng.pick_str(&[" ", "\t", "  \t "]));
            }
            for i in 0..rng.below(5) {
                if i > 0 {
                    value.push_str(rng.pick_str(&[" ", "  ", "\t", " \t  ", "\u{a0}", "\u{3000}"]));
                }
                value.push_str(rng.pick_str(&["a", "Value", "x=1;y", "caf\u{e9}", "\"q\"", "b/c"]));
            }
            if rng.chance(30) {
                value.push_str(rng.pick_str(&[" ", "\t", "   "]));
            }
            headers.insert(name.to_owned(), Value::from(value));
        }
    }
    let mut headers_to_sign: Vec<String> = Vec::new();
    for _ in 0..rng.below(5) {
        let name = *rng.pick(&names[..]);
        let name = match rng.below(3) {
            0 => name.to_lowercase(),
            1 => name.to_uppercase(),
            _ => name.to_owned(),
        };
        if node_compatible
            && headers_to_sign
                .iter()
                .any(|h| h.eq_ignore_ascii_case(&name))
        {
            continue;
        }
        headers_to_sign.push(name);
    }
    let max_body: usize = if node_compatible {
        131_072
    } else {
        *rng.pick(&[1, 2, 63, 64, 65, 1024, 2048, 2048, 4096, 131_072])
    };
    let len = match rng.below(6) {
        0 => 0,
        1 => rng.below(100),
        2 => max_body.saturating_sub(1 + rng.below(3)),
        3 => max_body,
        4 => max_body + 1 + rng.below(3),
        _ => max_body + rng.below(max_body.min(4096) + 1),
    };
    let body: Vec<u8> = if node_compatible {
        (0..len)
            .map(|_| b"abc {}\":,xyz0189\n"[rng.below(17)])
            .collect()
    } else {
        (0..len).map(|_| rng.next() as u8).collect()
    };
    let b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let secret: String = (0..1 + rng.below(100))
        .map(|_| b64.as_bytes()[rng.below(64)] as char)
        .collect();
    let secs = 1_400_000_000 + rng.below(400_000_000) as i64;
    json!({
        "client_token": format!("akab-ct-{:x}", rng.next()),
        "client_secret": secret,
        "access_token": format!("akab-at-{:x}", rng.next()),
        "host": format!("akab-{:x}.luna.akamaiapis.net", rng.next() % 0xffff),
        "method": method,
        "path_and_query": pq,
        "headers": headers,
        "headers_to_sign": headers_to_sign,
        "body_b64": BASE64.encode(&body),
        "max_body": max_body,
        "timestamp": Timestamp::from_unix_seconds(secs).unwrap().as_str(),
        "nonce": format!("{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}", rng.next() as u32, rng.next() as u16, rng.below(0xfff), rng.below(0xfff), rng.next() & 0xffff_ffff_ffff),
    })
}

/// Signs every case with ours; returns the oracle input (with the path and query as sent) and
/// our (authorization, data to sign) per case.
fn sign_all(cases: &[Value]) -> (String, Vec<(String, String)>) {
    let mut input = String::new();
    let mut ours = Vec::new();
    for case in cases {
        let (auth, data, request, _) = build_case(case).sign();
        let mut wire = case.clone();
        wire["path_and_query"] = Value::from(sent_path_and_query(request.url()));
        input.push_str(&wire.to_string());
        input.push('\n');
        ours.push((auth, data));
    }
    (input, ours)
}

/// Runs an oracle once over all lines (stdin fed from a thread), returns its output lines.
fn run_oracle(mut command: Command, input: String) -> Vec<String> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let lines: Vec<String> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(Result::unwrap)
        .collect();
    feeder.join().unwrap().unwrap();
    assert!(child.wait().unwrap().success(), "{command:?} failed");
    lines
}

fn compare(name: &str, cases: &[Value], ours: &[(String, String)], theirs: &[String]) -> usize {
    assert_eq!(
        theirs.len(),
        cases.len(),
        "{name}: one output line per case"
    );
    let mut mismatches = 0;
    for (i, ((auth, data), line)) in ours.iter().zip(theirs).enumerate() {
        let other: Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("{name} case {i}: {line}"));
        if other["auth"].as_str() != Some(auth.as_str()) {
            mismatches += 1;
            if mismatches <= 5 {
                eprintln!(
                    "{name} MISMATCH case {i}: {}\n  ours:   {data:?}\n  theirs: {:?}\n  ours auth:   {auth}\n  theirs auth: {}",
                    cases[i], other["data_to_sign"], other["auth"]
                );
            }
        }
    }
    eprintln!("{name}: {} cases, {mismatches} mismatches", cases.len());
    mismatches
}

fn differential_against_the_official_python_library(found: &Found) {
    let dir = found.get(Need::PythonOracle);
    let mut rng = Rng(0x5EED_ED6E_671D);
    let cases: Vec<Value> = (0..2500).map(|_| random_case(&mut rng, false)).collect();
    let (input, ours) = sign_all(&cases);
    let mut python = Command::new(dir.join("venv/bin/python"));
    python
        .arg(shared_dir().join("oracle/oracle.py"))
        .args(["--mode", "raw", "--debug"]);
    let theirs = run_oracle(python, input);
    assert_eq!(compare("python-raw", &cases, &ours, &theirs), 0);
}

fn differential_against_the_official_node_library(found: &Found) {
    let dir = found.get(Need::NodeOracle);
    // Node ignores max_body, mangles non-UTF-8 bodies and counts UTF-16 units: compare on the
    // inputs where the library follows the algorithm (ASCII bodies, max_body 131072).
    let mut rng = Rng(0x0DE_ED6E);
    let cases: Vec<Value> = (0..800).map(|_| random_case(&mut rng, true)).collect();
    let (input, ours) = sign_all(&cases);
    let mut node = Command::new(found.get(Need::Node));
    node.arg(shared_dir().join("oracle/oracle.js"))
        .args(["--mode", "core", "--debug"])
        .env("EDGEGRID_ORACLE_DIR", &dir);
    let theirs = run_oracle(node, input);
    assert_eq!(compare("node-core", &cases, &ours, &theirs), 0);
}

fn generator_covers_what_it_claims() {
    let mut rng = Rng(0x5EED_ED6E_671D);
    let cases: Vec<Value> = (0..2500).map(|_| random_case(&mut rng, false)).collect();
    let count = |f: &dyn Fn(&Value) -> bool| cases.iter().filter(|c| f(c)).count();
    let pq = |c: &Value| c["path_and_query"].as_str().unwrap().to_owned();
    assert!(count(&|c| c["method"] == "POST") > 500);
    assert!(count(&|c| pq(c).contains("%C3%A9") || pq(c).contains('\u{e9}')) > 200);
    assert!(count(&|c| pq(c).contains(';') && pq(c).contains('\'')) > 100);
    assert!(count(&|c| pq(c).ends_with('?')) > 300);
    assert!(
        count(&|c| {
            let len = BASE64
                .decode(c["body_b64"].as_str().unwrap())
                .unwrap()
                .len();
            len > c["max_body"].as_u64().unwrap() as usize
        }) > 300
    );
    assert!(count(&|c| !c["headers_to_sign"].as_array().unwrap().is_empty()) > 1000);
}
