//! EdgeGrid signing: the official vectors, the request-level rules (host check, bare `?`,
//! `accountSwitchKey`, stream bodies, secrets), what goes on the wire, and a differential run
//! against the official Python library (and the Node library when available).

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use akamai_sdk::edgegrid::{
    sign_parts_uncached, Credentials, EdgeGridSigner, RequestParts, SigningError, Timestamp,
};
use akamai_sdk::generated::reqwest::{self, header, Method, Request, Url};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::{json, Value};

const HOST: &str = "akab-host.luna.akamaiapis.net";
const SECRET: &str = "super-secret-client-secret=";
const ACCESS: &str = "akab-access-token-abc";

/// The path and query of a signed request's URL (a signed URL has no empty query).
fn sent_path_and_query(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

fn shared_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/edgegrid")
}

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn fixed_signer(creds: Credentials) -> EdgeGridSigner {
    EdgeGridSigner::new(creds)
        .with_clock(|| ts("20240521T10:11:12+0000"))
        .with_nonce(|| "3f1c2b6e-7a0d-4c52-9a3e-1b2c3d4e5f60".to_owned())
}

fn signer() -> EdgeGridSigner {
    fixed_signer(
        Credentials::builder(HOST, "akab-ct", SECRET, ACCESS)
            .build()
            .unwrap(),
    )
}

fn request(method: Method, url: &str) -> Request {
    Request::new(method, Url::parse(url).unwrap())
}

fn auth(request: &Request) -> Option<&str> {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap())
}

fn data_to_sign(signer: &EdgeGridSigner, request: &Request) -> String {
    let parts = RequestParts::from_request(request).unwrap();
    signer
        .sign_parts_debug(
            &parts,
            &ts("20240521T10:11:12+0000"),
            "3f1c2b6e-7a0d-4c52-9a3e-1b2c3d4e5f60",
        )
        .data_to_sign
}

/// A request described in the oracle protocol, built as the SDK would send it.
struct Case {
    signer: EdgeGridSigner,
    request: Request,
    timestamp: Timestamp,
    nonce: String,
}

fn build_case(v: &Value) -> Case {
    let s = |k: &str| v[k].as_str().unwrap_or_else(|| panic!("field {k}"));
    let headers_to_sign: Vec<String> = v["headers_to_sign"]
        .as_array()
        .map(|a| a.iter().map(|h| h.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    let creds = Credentials::builder(
        s("host"),
        s("client_token"),
        s("client_secret"),
        s("access_token"),
    )
    .max_body(v["max_body"].as_u64().unwrap_or(131_072) as usize)
    .headers_to_sign(headers_to_sign)
    .build()
    .unwrap();
    let url = Url::parse(&format!("https://{}{}", creds.host(), s("path_and_query"))).unwrap();
    let mut request = Request::new(Method::from_bytes(s("method").as_bytes()).unwrap(), url);
    if let Some(headers) = v["headers"].as_object() {
        for (name, value) in headers {
            request.headers_mut().append(
                header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                header::HeaderValue::from_str(value.as_str().unwrap()).unwrap(),
            );
        }
    }
    let body = BASE64.decode(v["body_b64"].as_str().unwrap_or("")).unwrap();
    if !body.is_empty() {
        *request.body_mut() = Some(body.into());
    }
    Case {
        signer: EdgeGridSigner::new(creds),
        request,
        timestamp: ts(s("timestamp")),
        nonce: s("nonce").to_owned(),
    }
}

impl Case {
    fn sign(mut self) -> (String, String, Request, EdgeGridSigner) {
        self.signer
            .sign_at(&mut self.request, &self.timestamp, &self.nonce)
            .unwrap();
        let auth = auth(&self.request).expect("signed").to_owned();
        let parts = RequestParts::from_request(&self.request).unwrap();
        let debug = self
            .signer
            .sign_parts_debug(&parts, &self.timestamp, &self.nonce);
        assert_eq!(debug.authorization, auth);
        // The uncached reference computation agrees with the cached signer.
        let reference = sign_parts_uncached(
            self.signer.credentials(),
            &parts,
            &self.timestamp,
            &self.nonce,
        );
        assert_eq!(reference.authorization, auth);
        assert_eq!(reference.data_to_sign, debug.data_to_sign);
        (auth, debug.data_to_sign, self.request, self.signer)
    }
}

#[test]
fn official_vectors() {
    let path = shared_dir().join("vectors/vectors.jsonl");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut matched = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap();
        let id = v["id"].as_str().unwrap();
        let expected = v["expected"].as_str().unwrap();
        let (got, data, _, _) = build_case(&v).sign();
        match v["expect_spec"].as_str().unwrap() {
            "match" => {
                assert_eq!(got, expected, "vector {id}\ndata to sign: {data:?}");
                if let Some(want) = v["expected_data_to_sign"].as_str() {
                    // The published data to sign stops before the auth prefix.
                    assert!(data.starts_with(want), "vector {id}: {data:?} vs {want:?}");
                }
                matched += 1;
            }
            "differs" => {
                assert_ne!(got, expected, "vector {id} should differ");
                let dts: Vec<&str> = data.split('\t').collect();
                match id.split(' ').next().unwrap() {
                    // The official value hashes the Node library's form-encoding of a Buffer
                    // (`0=0&1=0&…`); we hash the 200000 NUL bytes themselves (first 131072).
                    "node-05" => {
                        let body = vec![0u8; 131_072];
                        let want = BASE64.encode(sha2_digest(&body));
                        assert_eq!(dts[5], want, "{id}");
                    }
                    // Node ignores max_body; we honour max_body = 1 and hash one byte.
                    "node-13" => {
                        let body = BASE64.decode(v["body_b64"].as_str().unwrap()).unwrap();
                        assert_eq!(dts[5], BASE64.encode(sha2_digest(&body[..1])), "{id}");
                    }
                    // The Go v1 harness put the query into url.Path and signed `%3F`; we sign
                    // the query that is sent.
                    "go1-01" => assert_eq!(dts[3], "/testapi/v1/t1?p1=1&p2=2", "{id}"),
                    other => panic!("unexplained differing vector {other}"),
                }
            }
            other => panic!("unknown expect_spec {other}"),
        }
    }
    assert_eq!(matched, 48, "every `match` vector was checked");
}

fn sha2_digest(data: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    sha2::Sha256::digest(data).to_vec()
}

#[test]
fn component_vectors() {
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(shared_dir().join("vectors/components.json")).unwrap(),
    )
    .unwrap();
    let ch = &v["content_hash"];
    let creds = Credentials::builder(HOST, "ct", "cs", "at")
        .max_body(ch["max_body"].as_u64().unwrap() as usize)
        .build()
        .unwrap();
    let headers = header::HeaderMap::new();
    let parts = RequestParts {
        method: "POST",
        scheme: "https",
        host: HOST,
        path_and_query: "/",
        headers: &headers,
        body: ch["body"].as_str().unwrap().as_bytes(),
    };
    let signed =
        EdgeGridSigner::new(creds).sign_parts_debug(&parts, &ts("20140321T19:34:21+0000"), "n");
    assert_eq!(
        signed.data_to_sign.split('\t').nth(5).unwrap(),
        ch["expected_base64_sha256"].as_str().unwrap()
    );
}

#[test]
fn debug_prints_show_no_secret() {
    let creds = Credentials::builder(HOST, "akab-client-token-zz", SECRET, ACCESS)
        .account_key("1-ABC")
        .build()
        .unwrap();
    let signer = EdgeGridSigner::new(creds.clone());
    for text in [
        format!("{creds:?}"),
        format!("{signer:?}"),
        format!("{:?}", signer.clone()),
    ] {
        for secret in [SECRET, ACCESS, "akab-client-token-zz"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.contains(HOST), "{text}");
    }
    let mut req = request(Method::POST, &format!("https://{HOST}/x"));
    *req.body_mut() = Some("{}".into());
    signer.sign(&mut req).unwrap();
    let value = req.headers().get(header::AUTHORIZATION).unwrap();
    assert!(value.is_sensitive());
    assert!(!format!("{:?}", req.headers()).contains(ACCESS));
}

#[test]
fn stream_body_post_is_a_typed_error_and_other_methods_sign() {
    let signer = signer();
    let stream = futures::stream::iter(vec![Ok::<_, std::io::Error>(bytes_of("abc"))]);
    let mut req = request(Method::POST, &format!("https://{HOST}/x"));
    *req.body_mut() = Some(reqwest::Body::wrap_stream(stream));
    let err = signer.sign(&mut req).unwrap_err();
    assert!(
        matches!(err, SigningError::UnhashableBody { .. }),
        "{err:?}"
    );
    assert!(auth(&req).is_none());
    assert!(!err.to_string().contains(SECRET));

    // Through the generated clients' seam, the error surfaces as a boxed error.
    let generated = akamai_sdk::generated::Signer::new(signer.clone());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let err = rt
        .block_on(akamai_sdk::generated::sign_request(&generated, &mut req))
        .unwrap_err();
    assert!(err.downcast_ref::<SigningError>().is_some());

    // PUT bodies are not hashed, so a stream is fine.
    let stream = futures::stream::iter(vec![Ok::<_, std::io::Error>(bytes_of("abc"))]);
    let mut put = request(Method::PUT, &format!("https://{HOST}/x"));
    *put.body_mut() = Some(reqwest::Body::wrap_stream(stream));
    signer.sign(&mut put).unwrap();
    assert!(auth(&put).is_some());
}

fn bytes_of(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

#[test]
fn requests_to_other_hosts_are_left_alone() {
    let signer = signer();
    for url in [
        "https://evil.example.com/x",
        &format!("https://{HOST}.evil.com/x"),
        &format!("https://{HOST}:8443/x"),
    ] {
        let mut req = request(Method::GET, url);
        req.headers_mut().insert(
            header::AUTHORIZATION,
            header::HeaderValue::from_static("Bearer keep"),
        );
        signer.sign(&mut req).unwrap();
        assert_eq!(auth(&req), Some("Bearer keep"), "{url}");
        assert_eq!(req.url().as_str(), url);
    }
    // Host names compare case-insensitively, and the default port is the same host.
    for url in [
        format!("https://{}/x", HOST.to_uppercase()),
        format!("https://{HOST}:443/x"),
    ] {
        let mut req = request(Method::GET, &url);
        signer.sign(&mut req).unwrap();
        assert!(auth(&req).unwrap().starts_with("EG1-HMAC-SHA256 "), "{url}");
    }
    // A credential with a port signs only that port.
    let local = fixed_signer(
        Credentials::builder("127.0.0.1:8080", "ct", "cs", "at")
            .build()
            .unwrap(),
    );
    let mut other = request(Method::GET, "http://127.0.0.1:8081/");
    local.sign(&mut other).unwrap();
    assert!(auth(&other).is_none());
    let mut same = request(Method::GET, "http://127.0.0.1:8080/");
    local.sign(&mut same).unwrap();
    assert!(auth(&same).is_some());
    assert!(data_to_sign(&local, &same).starts_with("GET\thttp\t127.0.0.1:8080\t/\t"));
}

#[test]
fn account_switch_key_is_added_once_and_signed() {
    let signer = fixed_signer(
        Credentials::builder(HOST, "ct", SECRET, ACCESS)
            .account_key("1-ABCDE:1-2RBL")
            .build()
            .unwrap(),
    );
    let mut req = request(
        Method::GET,
        &format!("https://{HOST}/edgekv/v1/networks?x=a%20b"),
    );
    signer.sign(&mut req).unwrap();
    let first = auth(&req).unwrap().to_owned();
    assert_eq!(
        req.url().query(),
        Some("x=a%20b&accountSwitchKey=1-ABCDE%3A1-2RBL")
    );
    let dts = data_to_sign(&signer, &req);
    assert_eq!(
        dts.split('\t').nth(3).unwrap(),
        "/edgekv/v1/networks?x=a%20b&accountSwitchKey=1-ABCDE%3A1-2RBL"
    );
    // Signing again (a retry) neither duplicates the key nor changes the signature.
    signer.sign(&mut req).unwrap();
    assert_eq!(
        req.url()
            .query_pairs()
            .filter(|(k, _)| k == "accountSwitchKey")
            .count(),
        1
    );
    assert_eq!(auth(&req).unwrap(), first);
    // A key the caller already set is kept as it is.
    let mut own = request(
        Method::GET,
        &format!("https://{HOST}/x?accountSwitchKey=mine"),
    );
    signer.sign(&mut own).unwrap();
    assert_eq!(own.url().query(), Some("accountSwitchKey=mine"));
    // Without a query, the key becomes the query.
    let mut bare = request(Method::GET, &format!("https://{HOST}/x?"));
    signer.sign(&mut bare).unwrap();
    assert_eq!(
        bare.url().query(),
        Some("accountSwitchKey=1-ABCDE%3A1-2RBL")
    );
}

#[test]
fn query_less_urls_sign_and_send_no_question_mark() {
    let signer = signer();
    for url in [
        format!("https://{HOST}/edgekv/v1"),
        format!("https://{HOST}/edgekv/v1?"),
    ] {
        let mut req = request(Method::GET, &url);
        signer.sign(&mut req).unwrap();
        assert_eq!(req.url().as_str(), format!("https://{HOST}/edgekv/v1"));
        assert_eq!(
            data_to_sign(&signer, &req).split('\t').nth(3),
            Some("/edgekv/v1")
        );
    }
    // Both spellings give the same signature.
    let sig = |url: &str| {
        let mut req = request(Method::GET, url);
        signer.sign(&mut req).unwrap();
        auth(&req).unwrap().to_owned()
    };
    assert_eq!(
        sig(&format!("https://{HOST}/a")),
        sig(&format!("https://{HOST}/a?"))
    );
    // The fragment is neither signed nor sent.
    assert_eq!(
        sig(&format!("https://{HOST}/a#frag")),
        sig(&format!("https://{HOST}/a"))
    );
}

#[test]
fn percent_encoding_is_signed_as_sent_not_re_encoded() {
    let signer = signer();
    let url = format!("https://{HOST}/a%2Fb/%7e/c;d=1/%C3%A9?q=%2f&r=a+b&s=%ZZ&t='&u=caf\u{e9}");
    let mut req = request(Method::GET, &url);
    signer.sign(&mut req).unwrap();
    let signed = data_to_sign(&signer, &req);
    let pq = signed.split('\t').nth(3).unwrap();
    assert_eq!(
        pq,
        "/a%2Fb/%7e/c;d=1/%C3%A9?q=%2f&r=a+b&s=%ZZ&t=%27&u=caf%C3%A9"
    );
    assert_eq!(sent_path_and_query(req.url()), pq);
}

#[test]
fn headers_are_signed_in_list_order_with_whitespace_folded() {
    let signer = fixed_signer(
        Credentials::builder(HOST, "ct", SECRET, ACCESS)
            .headers_to_sign(["X-B", "x-a", "x-absent", "X-C"])
            .build()
            .unwrap(),
    );
    let mut req = request(Method::GET, &format!("https://{HOST}/"));
    let h = req.headers_mut();
    h.insert("x-a", header::HeaderValue::from_static("  one \t two  "));
    h.insert("x-b", header::HeaderValue::from_static("B"));
    h.insert(
        "x-c",
        header::HeaderValue::from_str("\u{a0}caf\u{e9}\u{3000} x ").unwrap(),
    );
    signer.sign(&mut req).unwrap();
    let dts = data_to_sign(&signer, &req);
    let fields: Vec<&str> = dts.split('\t').collect();
    assert_eq!(&fields[4..7], ["x-b:B", "x-a:one two", "x-c:caf\u{e9} x"]);
}

#[tokio::test]
async fn what_is_signed_is_what_goes_on_the_wire() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let mut seen = Vec::new();
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                break;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = sock.read(&mut chunk).await.unwrap();
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let head = String::from_utf8_lossy(&buf).into_owned();
            let _ = sock
                .write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                .await;
            let stop = head.contains("/stop");
            seen.push(head);
            if stop {
                break;
            }
        }
        seen
    });
    let signer = fixed_signer(
        Credentials::builder(addr.to_string(), "ct", SECRET, ACCESS)
            .account_key("1-AB:C")
            .build()
            .unwrap(),
    );
    let client = reqwest::Client::new();
    let paths = [
        "/plain",
        "/sp ace/%7e/caf\u{e9}/a;b?q='x y'&z=%2f&empty=",
        "/trailing?",
        "/x/./y/../z?a=1#frag",
        "/stop",
    ];
    let mut signed = Vec::new();
    for path in paths {
        let mut req = client.get(format!("http://{addr}{path}")).build().unwrap();
        signer.sign(&mut req).unwrap();
        signed.push(
            data_to_sign(&signer, &req)
                .split('\t')
                .nth(3)
                .unwrap()
                .to_owned(),
        );
        client.execute(req).await.unwrap();
    }
    let seen = server.await.unwrap();
    assert_eq!(seen.len(), paths.len());
    for (head, signed) in seen.iter().zip(&signed) {
        let target = head.split(' ').nth(1).unwrap();
        assert_eq!(target, signed, "sent vs signed");
        assert!(target.contains("accountSwitchKey=1-AB%3AC"), "{target}");
        assert!(head
            .to_ascii_lowercase()
            .contains("authorization: eg1-hmac-sha256 "));
    }
}

// ---------------------------------------------------------------------------------------------
// Differential test against the official libraries.

/// SplitMix64: a tiny seeded generator, so the cases are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
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

fn oracle_dir() -> Option<PathBuf> {
    match std::env::var_os("EDGEGRID_ORACLE_DIR") {
        Some(dir) => Some(PathBuf::from(dir)),
        None if std::env::var_os("CI").is_some() => {
            panic!("EDGEGRID_ORACLE_DIR is not set on CI: install the oracle with shared/edgegrid/oracle/setup.sh")
        }
        None => {
            eprintln!(
                "\n!!!!!!!! SKIPPING the EdgeGrid differential test: EDGEGRID_ORACLE_DIR is not set.\n\
                 !!!!!!!! Run `sh ../shared/edgegrid/oracle/setup.sh $PWD/target/edgegrid-oracle` and\n\
                 !!!!!!!! export EDGEGRID_ORACLE_DIR=$PWD/target/edgegrid-oracle\n"
            );
            None
        }
    }
}

#[test]
fn differential_against_the_official_python_library() {
    let Some(dir) = oracle_dir() else { return };
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

#[test]
fn differential_against_the_official_node_library() {
    let Some(dir) = oracle_dir() else { return };
    let node_available = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node_available || !dir.join("node/node_modules/akamai-edgegrid").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "node or akamai-edgegrid missing on CI"
        );
        eprintln!(
            "!!!!!!!! SKIPPING the Node differential test: node or akamai-edgegrid is missing"
        );
        return;
    }
    // Node ignores max_body, mangles non-UTF-8 bodies and counts UTF-16 units: compare on the
    // inputs where the library follows the algorithm (ASCII bodies, max_body 131072).
    let mut rng = Rng(0x0DE_ED6E);
    let cases: Vec<Value> = (0..800).map(|_| random_case(&mut rng, true)).collect();
    let (input, ours) = sign_all(&cases);
    let mut node = Command::new("node");
    node.arg(shared_dir().join("oracle/oracle.js"))
        .args(["--mode", "core", "--debug"])
        .env("EDGEGRID_ORACLE_DIR", &dir);
    let theirs = run_oracle(node, input);
    assert_eq!(compare("node-core", &cases, &ours, &theirs), 0);
}

#[test]
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
