//! EG1-HMAC-SHA256 request signing.

use std::cell::Cell;
use std::fmt;
use std::fmt::Write as _;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use akamai_sdk_generated::{RequestSigner, SignFuture};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::{Method, Request};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use url::{Position, Url};

use super::credentials::Credentials;
use super::error::SigningError;
use super::timestamp::Timestamp;

/// The scheme name at the start of every EdgeGrid `Authorization` value.
pub const MONIKER: &str = "EG1-HMAC-SHA256";

/// Length of a standard base64 SHA-256 digest.
const B64_DIGEST: usize = 44;
/// SHA-256 block size, the HMAC key block.
const BLOCK: usize = 64;

type HmacSha256 = Hmac<Sha256>;

/// An HMAC-SHA256 keyed with `key` (RFC 2104: a key longer than a block is hashed first, a
/// shorter one padded with zeros), with its inner and outer states precomputed.
fn keyed(key: &[u8]) -> HmacSha256 {
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mac = <HmacSha256 as KeyInit>::new(&block.into());
    zeroize::Zeroize::zeroize(&mut block);
    mac
}

/// A source of signing timestamps (the system clock by default).
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

tokio::task_local! {
    /// The timestamp (Unix seconds) of the last request signed inside [`observe_signing`].
    static SIGNED_AT: Cell<Option<i64>>;
}

/// Runs `future` and returns, with its output, the timestamp (Unix seconds) of the last
/// request an [`EdgeGridSigner`] signed while it ran, if any: the runtime's measure of the
/// signer's clock when the API refuses a timestamp.
pub(crate) async fn observe_signing<F: Future>(future: F) -> (F::Output, Option<i64>) {
    SIGNED_AT
        .scope(Cell::new(None), async move {
            let output = future.await;
            (output, SIGNED_AT.with(Cell::get))
        })
        .await
}

/// A source of nonces (a random UUIDv4 by default).
pub type NonceSource = Arc<dyn Fn() -> String + Send + Sync>;

/// The parts of a request that EdgeGrid signs, as they go on the wire.
///
/// [`RequestParts::from_request`] takes them from a `reqwest::Request`.
#[derive(Clone, Copy, Debug)]
pub struct RequestParts<'a> {
    /// The method, as sent (`POST`). Only `POST` bodies are hashed.
    pub method: &'a str,
    /// `https` in practice.
    pub scheme: &'a str,
    /// The host as sent (`host` or `host:port`), lower-case.
    pub host: &'a str,
    /// The path and, when the query is non-empty, `?` and the query, exactly as sent.
    pub path_and_query: &'a str,
    /// The request headers; those named in `headers_to_sign` are signed.
    pub headers: &'a HeaderMap,
    /// The body (only read for `POST`).
    pub body: &'a [u8],
}

impl<'a> RequestParts<'a> {
    /// The signed parts of `request`: method, scheme, host and port, path and query from its
    /// `Url` without re-encoding (a bare `?` of an empty query is left out), headers and body.
    ///
    /// Fails with [`SigningError::UnhashableBody`] for a `POST` whose body is a stream.
    pub fn from_request(request: &'a Request) -> Result<Self, SigningError> {
        let url = request.url();
        let body: &[u8] = if request.method() == Method::POST {
            match request.body() {
                None => &[],
                Some(body) => body
                    .as_bytes()
                    .ok_or_else(|| SigningError::UnhashableBody {
                        method: request.method().to_string(),
                    })?,
            }
        } else {
            &[]
        };
        Ok(Self {
            method: request.method().as_str(),
            scheme: url.scheme(),
            host: &url[Position::BeforeHost..Position::AfterPort],
            path_and_query: path_and_query(url),
            headers: request.headers(),
            body,
        })
    }
}

/// The path and query of `url` as serialized, without a bare `?`.
fn path_and_query(url: &Url) -> &str {
    let end = if url.query() == Some("") {
        Position::AfterPath
    } else {
        Position::AfterQuery
    };
    &url[Position::BeforePath..end]
}

/// The result of [`EdgeGridSigner::sign_parts_debug`].
///
/// Its `Debug` hides the access token (both fields contain it).
#[derive(Clone)]
pub struct SignedParts {
    /// The `Authorization` header value.
    pub authorization: String,
    /// The tab-separated data that was signed.
    pub data_to_sign: String,
}

impl fmt::Debug for SignedParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedParts").finish_non_exhaustive()
    }
}

/// Where the data to sign is written: the MAC, and optionally a copy for debugging.
trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for HmacSha256 {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

struct Tee<'a>(HmacSha256, &'a mut Vec<u8>);

impl Sink for Tee<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
        self.1.extend_from_slice(bytes);
    }
}

/// The HMAC key of one second's signing key.
struct SecondKey {
    secs: i64,
    mac: HmacSha256,
}

struct Shared {
    credentials: Credentials,
    /// Host name (lower-case) and explicit port the credentials are for.
    host_name: String,
    port: Option<u16>,
    /// HMAC state keyed with the client secret, built once.
    secret_key: HmacSha256,
    /// `EG1-HMAC-SHA256 client_token=…;access_token=…;timestamp=`.
    head: SecretString,
    /// The signing key of the last second used.
    second: Mutex<Option<SecondKey>>,
}

/// Signs requests with EdgeGrid (EG1-HMAC-SHA256).
///
/// Cheap to clone (the keys are shared). Only requests to the credentials' host (and port, if
/// it has one) are signed; others are left as they are. `Debug` shows no secret.
///
/// The keyed HMAC state of the client secret is computed once, and that of the signing key
/// once per second (the timestamp's resolution), so a signature costs one SHA-256 of the body
/// (POST only) and one HMAC of the data to sign.
///
/// ```
/// use akamai_sdk::edgegrid::{Credentials, EdgeGridSigner, Timestamp};
///
/// let creds = Credentials::builder("akab-host.luna.akamaiapis.net", "akab-ct", "secret", "akab-at")
///     .build()
///     .unwrap();
/// let signer = EdgeGridSigner::new(creds)
///     .with_clock(|| "20240521T10:11:12+0000".parse::<Timestamp>().unwrap())
///     .with_nonce(|| "3f1c2b6e-7a0d-4c52-9a3e-1b2c3d4e5f60".to_owned());
/// let url = "https://akab-host.luna.akamaiapis.net/edgekv/v1/networks".parse().unwrap();
/// let mut request = reqwest::Request::new(reqwest::Method::GET, url);
/// signer.sign(&mut request).unwrap();
/// let auth = request.headers()["authorization"].to_str().unwrap();
/// assert!(auth.starts_with("EG1-HMAC-SHA256 client_token=akab-ct;access_token=akab-at;timestamp=20240521T10:11:12+0000;nonce=3f1c2b6e"));
/// ```
#[derive(Clone)]
pub struct EdgeGridSigner {
    shared: Arc<Shared>,
    clock: Option<Clock>,
    nonce: Option<NonceSource>,
}

impl fmt::Debug for EdgeGridSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EdgeGridSigner")
            .field("credentials", &self.shared.credentials)
            .field(
                "clock",
                &if self.clock.is_some() {
                    "custom"
                } else {
                    "system"
                },
            )
            .field(
                "nonce",
                &if self.nonce.is_some() {
                    "custom"
                } else {
                    "uuid-v4"
                },
            )
            .finish()
    }
}

impl EdgeGridSigner {
    /// A signer for `credentials`, with the system clock and random UUIDv4 nonces.
    pub fn new(credentials: Credentials) -> Self {
        // The host was validated and normalized by `Credentials`, so it parses.
        let (host_name, port) = match Url::parse(&format!("https://{}/", credentials.host())) {
            Ok(url) => (url.host_str().unwrap_or_default().to_owned(), url.port()),
            Err(_) => (credentials.host().to_owned(), None),
        };
        let secret_key = keyed(credentials.client_secret().expose_secret().as_bytes());
        let head = format!(
            "{MONIKER} client_token={};access_token={};timestamp=",
            credentials.client_token(),
            credentials.access_token().expose_secret()
        );
        Self {
            shared: Arc::new(Shared {
                credentials,
                host_name,
                port,
                secret_key,
                head: SecretString::from(head),
                second: Mutex::new(None),
            }),
            clock: None,
            nonce: None,
        }
    }

    /// Uses `clock` for timestamps (for deterministic tests and snapshots).
    pub fn with_clock(mut self, clock: impl Fn() -> Timestamp + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Uses `nonce` for nonces (for deterministic tests and snapshots). A nonce must be
    /// printable ASCII without `;`, or signing fails with [`SigningError::InvalidHeader`].
    pub fn with_nonce(mut self, nonce: impl Fn() -> String + Send + Sync + 'static) -> Self {
        self.nonce = Some(Arc::new(nonce));
        self
    }

    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.shared.credentials
    }

    /// Whether `url` points at the credentials' host (and port, when the host has one; else
    /// the scheme's default port).
    pub fn is_own_host(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        host.eq_ignore_ascii_case(&self.shared.host_name)
            && match self.shared.port {
                Some(port) => url.port_or_known_default() == Some(port),
                None => url.port().is_none(),
            }
    }

    /// Signs `request` in place with a fresh timestamp and nonce: adds `accountSwitchKey`
    /// when configured and absent, drops a bare `?`, and sets a sensitive `Authorization`
    /// header. A request to another host is left untouched.
    pub fn sign(&self, request: &mut Request) -> Result<(), SigningError> {
        if !self.is_own_host(request.url()) {
            tracing::debug!(host = ?request.url().host_str(), "not signing a request to a host other than the EdgeGrid host");
            return Ok(());
        }
        let timestamp = self.timestamp();
        match &self.nonce {
            Some(nonce) => self.sign_own(request, &timestamp, &nonce()),
            None => {
                let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
                let nonce = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buf);
                self.sign_own(request, &timestamp, nonce)
            }
        }
    }

    /// [`EdgeGridSigner::sign`] with a given timestamp and nonce.
    pub fn sign_at(
        &self,
        request: &mut Request,
        timestamp: &Timestamp,
        nonce: &str,
    ) -> Result<(), SigningError> {
        if !self.is_own_host(request.url()) {
            return Ok(());
        }
        self.sign_own(request, timestamp, nonce)
    }

    /// Signs a request already known to go to the credential's host.
    fn sign_own(
        &self,
        request: &mut Request,
        timestamp: &Timestamp,
        nonce: &str,
    ) -> Result<(), SigningError> {
        self.prepare_url(request.url_mut());
        let parts = RequestParts::from_request(request)?;
        let authorization = self.sign_parts(&parts, timestamp, nonce);
        let mut value =
            HeaderValue::try_from(authorization).map_err(|_| SigningError::InvalidHeader {
                reason: "it contains characters not allowed in a header (check the nonce source)",
            })?;
        value.set_sensitive(true);
        request.headers_mut().insert(AUTHORIZATION, value);
        // Outside `observe_signing` there is nothing to record.
        let _ = SIGNED_AT.try_with(|at| at.set(Some(timestamp.unix_seconds())));
        Ok(())
    }

    /// Puts the URL in its signed form: no bare `?`, and `accountSwitchKey` once when an
    /// account key is configured.
    pub fn prepare_url(&self, url: &mut Url) {
        if url.query() == Some("") {
            url.set_query(None);
        }
        if let Some(key) = self.shared.credentials.account_key() {
            if !url
                .query_pairs()
                .any(|(name, _)| name == "accountSwitchKey")
            {
                url.query_pairs_mut().append_pair("accountSwitchKey", key);
            }
        }
    }

    /// The `Authorization` value for `parts` (the pure signing core; no host check).
    pub fn sign_parts(
        &self,
        parts: &RequestParts<'_>,
        timestamp: &Timestamp,
        nonce: &str,
    ) -> String {
        let mut header = self.auth_prefix(timestamp, nonce);
        let mut mac = self.signing_context(timestamp);
        self.feed(&mut mac, parts, &header);
        finish(&mut header, mac);
        header
    }

    /// [`EdgeGridSigner::sign_parts`], also returning the data that was signed.
    pub fn sign_parts_debug(
        &self,
        parts: &RequestParts<'_>,
        timestamp: &Timestamp,
        nonce: &str,
    ) -> SignedParts {
        let mut header = self.auth_prefix(timestamp, nonce);
        let mut data = Vec::new();
        let mut tee = Tee(self.signing_context(timestamp), &mut data);
        self.feed(&mut tee, parts, &header);
        finish(&mut header, tee.0);
        SignedParts {
            authorization: header,
            data_to_sign: String::from_utf8_lossy(&data).into_owned(),
        }
    }

    fn timestamp(&self) -> Timestamp {
        match &self.clock {
            Some(clock) => clock(),
            None => Timestamp::now(),
        }
    }

    /// `EG1-HMAC-SHA256 client_token=…;access_token=…;timestamp=…;nonce=…;`, with room for the
    /// signature.
    fn auth_prefix(&self, timestamp: &Timestamp, nonce: &str) -> String {
        let head = self.shared.head.expose_secret();
        let mut header =
            String::with_capacity(head.len() + 22 + 7 + nonce.len() + 1 + 10 + B64_DIGEST);
        header.push_str(head);
        header.push_str(timestamp.as_str());
        header.push_str(";nonce=");
        header.push_str(nonce);
        header.push(';');
        header
    }

    /// An HMAC context keyed with the signing key of `timestamp` (cached per second).
    fn signing_context(&self, timestamp: &Timestamp) -> HmacSha256 {
        let secs = timestamp.unix_seconds();
        let mut cached = self
            .shared
            .second
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match &*cached {
            Some(second) if second.secs == secs => second.mac.clone(),
            _ => {
                let mac = signing_key(&self.shared.secret_key, timestamp);
                *cached = Some(SecondKey {
                    secs,
                    mac: mac.clone(),
                });
                mac
            }
        }
    }

    /// Writes the data to sign: seven tab-separated fields, the last being the auth prefix.
    fn feed(&self, sink: &mut impl Sink, parts: &RequestParts<'_>, prefix: &str) {
        sink.put(parts.method.as_bytes());
        sink.put(b"\t");
        sink.put(parts.scheme.as_bytes());
        sink.put(b"\t");
        sink.put(parts.host.as_bytes());
        sink.put(b"\t");
        sink.put(parts.path_and_query.as_bytes());
        sink.put(b"\t");
        let mut first = true;
        for name in self.shared.credentials.headers_to_sign() {
            if let Some(value) = parts.headers.get(name) {
                if !first {
                    sink.put(b"\t");
                }
                first = false;
                sink.put(name.as_str().as_bytes());
                sink.put(b":");
                put_folded(sink, value.as_bytes());
            }
        }
        sink.put(b"\t");
        if parts.method == "POST" {
            let mut buf = [0u8; B64_DIGEST];
            sink.put(content_hash(
                parts.body,
                self.shared.credentials.max_body(),
                &mut buf,
            ));
        }
        sink.put(b"\t");
        sink.put(prefix.as_bytes());
    }
}

/// Appends `signature=<base64 MAC>`.
fn finish(header: &mut String, mac: HmacSha256) {
    let tag = mac.finalize().into_bytes();
    header.push_str("signature=");
    let mut buf = [0u8; B64_DIGEST];
    let n = BASE64
        .encode_slice(tag.as_slice(), &mut buf)
        .unwrap_or_default();
    header.push_str(std::str::from_utf8(&buf[..n]).unwrap_or_default());
}

/// The HMAC key made of the base64 text of `HMAC-SHA256(client_secret, timestamp)`.
fn signing_key(secret_key: &HmacSha256, timestamp: &Timestamp) -> HmacSha256 {
    let mut mac = secret_key.clone();
    mac.update(timestamp.as_str().as_bytes());
    let tag = mac.finalize().into_bytes();
    let mut buf = [0u8; B64_DIGEST];
    let n = BASE64
        .encode_slice(tag.as_slice(), &mut buf)
        .unwrap_or_default();
    let key = keyed(&buf[..n]);
    zeroize::Zeroize::zeroize(&mut buf);
    key
}

/// `base64(SHA-256(body[..max_body]))`, or nothing for an empty body.
fn content_hash<'b>(body: &[u8], max_body: usize, buf: &'b mut [u8; B64_DIGEST]) -> &'b [u8] {
    let hashed = &body[..body.len().min(max_body)];
    if hashed.is_empty() {
        return &[];
    }
    let digest = Sha256::digest(hashed);
    let n = BASE64
        .encode_slice(digest.as_slice(), buf)
        .unwrap_or_default();
    &buf[..n]
}

/// A header value with leading and trailing whitespace removed and inner runs of whitespace
/// folded to one space (Unicode whitespace for UTF-8 values, else spaces and tabs).
fn put_folded(sink: &mut impl Sink, value: &[u8]) {
    let mut first = true;
    let mut word = |w: &[u8]| {
        if !w.is_empty() {
            if !first {
                sink.put(b" ");
            }
            first = false;
            sink.put(w);
        }
    };
    match std::str::from_utf8(value) {
        Ok(text) => text
            .split(char::is_whitespace)
            .for_each(|w| word(w.as_bytes())),
        Err(_) => value.split(|b| *b == b' ' || *b == b'\t').for_each(word),
    }
}

/// The `Authorization` value computed the direct way: a fresh HMAC of the timestamp with the
/// client secret, a fresh HMAC of the data to sign (assembled as one string) with the base64
/// signing key, and the body hash. Same crypto as [`EdgeGridSigner::sign_parts`] but without
/// any caching; it exists as a cross-check and a benchmark baseline.
pub fn sign_parts_uncached(
    credentials: &Credentials,
    parts: &RequestParts<'_>,
    timestamp: &Timestamp,
    nonce: &str,
) -> SignedParts {
    let prefix = format!(
        "{MONIKER} client_token={};access_token={};timestamp={};nonce={};",
        credentials.client_token(),
        credentials.access_token().expose_secret(),
        timestamp,
        nonce
    );
    let mut canonical: Vec<Vec<u8>> = Vec::new();
    for name in credentials.headers_to_sign() {
        if let Some(value) = parts.headers.get(name) {
            let words: Vec<&[u8]> = match std::str::from_utf8(value.as_bytes()) {
                Ok(text) => text.split_whitespace().map(str::as_bytes).collect(),
                Err(_) => value
                    .as_bytes()
                    .split(|b| *b == b' ' || *b == b'\t')
                    .filter(|w| !w.is_empty())
                    .collect(),
            };
            canonical.push([name.as_str().as_bytes(), b":", &words.join(&b" "[..])].concat());
        }
    }
    let content_hash = if parts.method == "POST" {
        let hashed = &parts.body[..parts.body.len().min(credentials.max_body())];
        if hashed.is_empty() {
            String::new()
        } else {
            BASE64.encode(Sha256::digest(hashed))
        }
    } else {
        String::new()
    };
    let data_to_sign: Vec<u8> = [
        parts.method.as_bytes(),
        parts.scheme.as_bytes(),
        parts.host.as_bytes(),
        parts.path_and_query.as_bytes(),
        &canonical.join(&b"\t"[..]),
        content_hash.as_bytes(),
        prefix.as_bytes(),
    ]
    .join(&b"\t"[..]);
    let hmac = |key: &[u8], data: &[u8]| {
        let mut mac = keyed(key);
        mac.update(data);
        BASE64.encode(mac.finalize().into_bytes())
    };
    let signing_key = hmac(
        credentials.client_secret().expose_secret().as_bytes(),
        timestamp.as_str().as_bytes(),
    );
    let signature = hmac(signing_key.as_bytes(), &data_to_sign);
    let mut authorization = prefix;
    let _ = write!(authorization, "signature={signature}");
    SignedParts {
        authorization,
        data_to_sign: String::from_utf8(data_to_sign)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

impl RequestSigner for EdgeGridSigner {
    fn sign<'a>(&'a self, request: &'a mut Request) -> SignFuture<'a> {
        let result = EdgeGridSigner::sign(self, request).map_err(Into::into);
        Box::pin(std::future::ready(result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_state_equals_the_hmac_of_any_key_length() {
        for len in [0, 1, 31, 32, 44, 63, 64, 65, 100, 200] {
            let key: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let mut ours = keyed(&key);
            ours.update(b"data");
            let mut reference = <HmacSha256 as KeyInit>::new_from_slice(&key).unwrap();
            reference.update(b"data");
            assert_eq!(
                ours.finalize().into_bytes(),
                reference.finalize().into_bytes(),
                "{len}"
            );
        }
    }

    #[test]
    fn signing_key_and_content_hash_match_the_published_component_vectors() {
        let secret = keyed(b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=");
        let ts: Timestamp = "20140321T19:34:21+0000".parse().unwrap();
        let mut mac = secret.clone();
        mac.update(ts.as_str().as_bytes());
        assert_eq!(
            BASE64.encode(mac.finalize().into_bytes()),
            "znsRMDBRqTXGJ7Ojip3/h2FGPu3LuoMYWgv9PKEnE/o="
        );
        let mut buf = [0u8; B64_DIGEST];
        assert_eq!(
            content_hash(b"test_body", 2048, &mut buf),
            b"REPGqEEubBHzJMhwqDZtbt515/ntEvAMNriNR53zcdY="
        );
        assert_eq!(content_hash(b"", 2048, &mut buf), b"");
        assert_eq!(content_hash(b"abc", 0, &mut buf), b"");
    }
}
