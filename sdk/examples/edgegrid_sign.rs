//! Signs EdgeGrid requests described as JSON lines, the protocol of the EdgeGrid oracles
//! (`shared/edgegrid/oracle/README.md`), so that this implementation can be compared with the
//! official libraries byte for byte and timed beside them.
//!
//! ```text
//! cargo run --release -p akamai-sdk --example edgegrid_sign [-- --debug] < requests.jsonl
//! cargo run --release -p akamai-sdk --example edgegrid_sign -- --bench 200000
//! ```
//!
//! Each input line is `{"client_token","client_secret","access_token","host","method",
//! "path_and_query","headers":{..},"headers_to_sign":[..],"body_b64","max_body","timestamp",
//! "nonce"}`. The request is built as a `reqwest::Request` for `https://host` + `path_and_query`
//! and signed by `EdgeGridSigner::sign_at`, so what is signed is what would be sent. Output: one
//! `Authorization` value per line, or `ERROR: reason`; with `--debug`, a JSON object
//! `{"auth","data_to_sign","url"}` per line. `--bench N` signs N POST requests with a 1 KiB
//! body and a fresh timestamp and nonce each, on one thread, and prints signatures per second
//! for the signer and for the uncached computation with the same crypto, measured in this run.

use std::hint::black_box;
use std::io::{self, BufRead, Write};
use std::time::Instant;

use akamai_sdk::edgegrid::{
    sign_parts_uncached, Credentials, EdgeGridSigner, RequestParts, Timestamp,
};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION};
use reqwest::{Method, Request, Url};
use serde_json::Value;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut debug = false;
    let mut bench_n = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--debug" => debug = true,
            "--bench" => {
                i += 1;
                bench_n = args.get(i).and_then(|n| n.parse::<u64>().ok());
                if bench_n.is_none() {
                    fail("--bench needs a count");
                }
            }
            "-h" | "--help" => {
                println!("usage: edgegrid_sign [--debug] [--bench N] < requests.jsonl");
                return;
            }
            other => fail(&format!("unknown argument {other}")),
        }
        i += 1;
    }
    if let Some(n) = bench_n {
        bench(n);
        return;
    }
    let stdin = io::stdin();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for line in stdin.lock().lines() {
        let line = line.unwrap_or_else(|e| fail(&format!("cannot read stdin: {e}")));
        if line.trim().is_empty() {
            continue;
        }
        let result = serde_json::from_str::<Value>(&line)
            .map_err(|e| format!("invalid JSON: {e}"))
            .and_then(|v| sign_line(&v, debug));
        let text = result.unwrap_or_else(|e| format!("ERROR: {}", e.replace('\n', " ")));
        if writeln!(out, "{text}").is_err() {
            return;
        }
    }
    let _ = out.flush();
}

fn fail(message: &str) -> ! {
    eprintln!("edgegrid_sign: {message}");
    std::process::exit(2)
}

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a str, String> {
    v.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("missing string field {name}"))
}

fn sign_line(v: &Value, debug: bool) -> Result<String, String> {
    let headers_to_sign: Vec<String> = v
        .get("headers_to_sign")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let max_body = match v.get("max_body") {
        None | Some(Value::Null) => 131_072,
        Some(n) => n
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or("max_body is not a non-negative integer")?,
    };
    let host = field(v, "host")?;
    let credentials = Credentials::builder(
        host,
        field(v, "client_token")?,
        field(v, "client_secret")?,
        field(v, "access_token")?,
    )
    .max_body(max_body)
    .headers_to_sign(headers_to_sign)
    .build()
    .map_err(|e| e.to_string())?;
    let signer = EdgeGridSigner::new(credentials);

    let url = format!(
        "https://{}{}",
        signer.credentials().host(),
        field(v, "path_and_query")?
    );
    let url = Url::parse(&url).map_err(|e| format!("invalid URL: {e}"))?;
    let method = Method::from_bytes(field(v, "method")?.as_bytes()).map_err(|e| e.to_string())?;
    let mut request = Request::new(method, url);
    if let Some(headers) = v.get("headers").and_then(Value::as_object) {
        for (name, value) in headers {
            let value = value.as_str().ok_or("a header value is not a string")?;
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| e.to_string())?;
            let value = HeaderValue::from_str(value).map_err(|e| e.to_string())?;
            request.headers_mut().append(name, value);
        }
    }
    let body = BASE64
        .decode(v.get("body_b64").and_then(Value::as_str).unwrap_or(""))
        .map_err(|e| format!("invalid body_b64: {e}"))?;
    if !body.is_empty() {
        *request.body_mut() = Some(body.into());
    }
    let timestamp: Timestamp = field(v, "timestamp")?
        .parse()
        .map_err(|e: akamai_sdk::edgegrid::TimestampParseError| e.to_string())?;
    let nonce = field(v, "nonce")?;

    signer
        .sign_at(&mut request, &timestamp, nonce)
        .map_err(|e| e.to_string())?;
    let auth = request
        .headers()
        .get(AUTHORIZATION)
        .ok_or("the request was not signed")?
        .to_str()
        .map_err(|e| e.to_string())?
        .to_owned();
    if !debug {
        return Ok(auth);
    }
    let parts = RequestParts::from_request(&request).map_err(|e| e.to_string())?;
    let signed = signer.sign_parts_debug(&parts, &timestamp, nonce);
    if signed.authorization != auth {
        return Err("internal error: debug signature differs".to_owned());
    }
    Ok(serde_json::json!({
        "auth": auth,
        "data_to_sign": signed.data_to_sign,
        "url": request.url().as_str(),
    })
    .to_string())
}

/// A fresh UUIDv4, formatted on the stack as the signer does.
fn fresh_nonce(buf: &mut [u8; uuid::fmt::Hyphenated::LENGTH]) -> &str {
    uuid::Uuid::new_v4().hyphenated().encode_lower(buf)
}

const BENCH_HOST: &str = "akaa-baseurl-xxxxxxxxxxx-xxxxxxxxxxxxx.luna.akamaiapis.net";
const BENCH_PATH: &str = "/edgekv/v1/networks/staging/namespaces/bench/groups/g1/items/item-1";

fn report(what: &str, n: u64, seconds: f64) -> f64 {
    let rate = n as f64 / seconds;
    println!(
        "BENCH impl=akamai-sdk-rust what={what} n={n} seconds={seconds:.4} sigs_per_sec={rate:.0}"
    );
    rate
}

fn bench(n: u64) {
    let credentials = Credentials::builder(
        BENCH_HOST,
        "akab-client-token-xxx-xxxxxxxxxxxxxxxx",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=",
        "akab-access-token-xxx-xxxxxxxxxxxxxxxx",
    )
    .build()
    .unwrap_or_else(|e| fail(&e.to_string()));
    let signer = EdgeGridSigner::new(credentials.clone());
    let body = vec![b'x'; 1024];
    let url = Url::parse(&format!("https://{BENCH_HOST}{BENCH_PATH}"))
        .unwrap_or_else(|e| fail(&e.to_string()));
    let mut request = Request::new(Method::POST, url);
    request.headers_mut().insert(
        reqwest::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    *request.body_mut() = Some(body.clone().into());
    let headers = request.headers().clone();
    let parts = RequestParts {
        method: "POST",
        scheme: "https",
        host: BENCH_HOST,
        path_and_query: BENCH_PATH,
        headers: &headers,
        body: &body,
    };
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];

    let warm = n.min(2000);
    for _ in 0..warm {
        black_box(signer.sign_parts(&parts, &Timestamp::now(), fresh_nonce(&mut buf)));
        black_box(sign_parts_uncached(
            &credentials,
            &parts,
            &Timestamp::now(),
            fresh_nonce(&mut buf),
        ));
    }

    // The signing core with its caches: fresh timestamp and UUIDv4 nonce per signature.
    let t0 = Instant::now();
    for _ in 0..n {
        black_box(signer.sign_parts(&parts, &Timestamp::now(), fresh_nonce(&mut buf)));
    }
    let ours = report("core", n, t0.elapsed().as_secs_f64());

    // The same computation without caches (both HMAC keys rebuilt, data to sign assembled).
    let t0 = Instant::now();
    for _ in 0..n {
        black_box(sign_parts_uncached(
            &credentials,
            &parts,
            &Timestamp::now(),
            fresh_nonce(&mut buf),
        ));
    }
    let naive = report("naive", n, t0.elapsed().as_secs_f64());

    // The whole request path: host check, URL, body access, header value (nonce generated inside).
    let t0 = Instant::now();
    for _ in 0..n {
        if let Err(e) = signer.sign(&mut request) {
            fail(&e.to_string());
        }
        black_box(request.headers().get(AUTHORIZATION));
    }
    report("sign", n, t0.elapsed().as_secs_f64());
    println!("BENCH ratio core/naive={:.2}", ours / naive);
}
