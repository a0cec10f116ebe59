//! An EdgeGrid (EG1-HMAC-SHA256) verifier, written from the published algorithm and sharing
//! no code with the SDK's signer:
//!
//! ```text
//! data_to_sign = METHOD \t scheme \t host \t path[?query] \t headers \t content_hash \t auth_prefix
//! signing_key  = base64(HMAC-SHA256(client_secret, timestamp))
//! signature    = base64(HMAC-SHA256(signing_key as text, data_to_sign))
//! ```
//!
//! The request target is checked exactly as it arrived (no decoding, no re-encoding), the host
//! is the `Host` header lowercased, and only POST bodies are hashed (their first `max_body`
//! bytes).
//!
//! [`authenticate`] and [`signature_matches`] are the stateless checks, for a test server of
//! one's own; the emulators add to them the server's clock (skew) and nonce memory (replays):
//!
//! ```
//! use akamai_sdk_testkit::edgegrid::{authenticate, signature_matches, EdgeGridCredentials, Refusal, Signed};
//!
//! let credentials = EdgeGridCredentials {
//!     client_token: "akab-c".into(),
//!     client_secret: "c2VjcmV0".into(),
//!     access_token: "akab-a".into(),
//! };
//! let request = Signed {
//!     method: "GET",
//!     scheme: "http",
//!     host: "127.0.0.1:8080",
//!     target: "/edgekv/v1/tokens",
//!     body: b"",
//!     authorization: None,
//! };
//! assert_eq!(authenticate(&credentials, request.authorization), Err(Refusal::Missing));
//! # let _ = signature_matches;
//! ```

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

const MONIKER: &str = "EG1-HMAC-SHA256 ";

/// The default body length hashed for POST requests.
pub const DEFAULT_MAX_BODY: usize = 131_072;

/// The EdgeGrid credentials an emulator accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct EdgeGridCredentials {
    /// `client_token`.
    pub client_token: String,
    /// `client_secret`.
    pub client_secret: String,
    /// `access_token`.
    pub access_token: String,
}

impl std::fmt::Debug for EdgeGridCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeGridCredentials")
            .field("client_token", &self.client_token)
            .field("client_secret", &"[REDACTED]")
            .field("access_token", &"[REDACTED]")
            .finish()
    }
}

/// Why a request was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// No `Authorization` header, or not an EdgeGrid one.
    Missing,
    /// The header does not have the five fields in order.
    Malformed,
    /// Unknown client token.
    ClientToken,
    /// Unknown access token.
    AccessToken,
    /// The timestamp is not `yyyyMMddTHH:mm:ss+0000`, or too far from the server's clock.
    Timestamp,
    /// The signature does not match the request as received.
    Signature,
    /// The nonce was already used by a correctly signed request.
    Replay,
}

impl Refusal {
    /// The `detail` of the 401 answer.
    pub fn detail(&self) -> &'static str {
        match self {
            Self::Missing => "The request has no EdgeGrid Authorization header.",
            Self::Malformed => "The Authorization header is malformed.",
            Self::ClientToken => "Invalid client token.",
            Self::AccessToken => "Invalid access token.",
            Self::Timestamp => "Invalid timestamp: out of the allowed clock skew.",
            Self::Signature => "The signature does not match.",
            Self::Replay => "Invalid nonce: it was already used.",
        }
    }
}

/// The fields of an EdgeGrid `Authorization` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthFields {
    /// `client_token`.
    pub client_token: String,
    /// `access_token`.
    pub access_token: String,
    /// `timestamp`, as sent.
    pub timestamp: String,
    /// `nonce`.
    pub nonce: String,
    /// `signature`.
    pub signature: String,
    /// Everything up to and including `nonce=…;` (the last field of the data signed).
    pub prefix: String,
}

/// Splits an EdgeGrid `Authorization` value into its five fields, which must come in the
/// documented order; `None` for anything else.
pub fn parse_authorization(value: &str) -> Option<AuthFields> {
    let rest = value.strip_prefix(MONIKER)?;
    let sig_at = rest.rfind(";signature=")?;
    let prefix = format!("{MONIKER}{}", &rest[..=sig_at]);
    let mut parts = rest.split(';');
    let mut field = |name: &str| {
        parts
            .next()
            .and_then(|p| p.strip_prefix(name))
            .and_then(|p| p.strip_prefix('='))
            .map(str::to_owned)
    };
    let fields = AuthFields {
        client_token: field("client_token")?,
        access_token: field("access_token")?,
        timestamp: field("timestamp")?,
        nonce: field("nonce")?,
        signature: field("signature")?,
        prefix,
    };
    parts.next().is_none().then_some(fields)
}

/// Parses `yyyyMMddTHH:mm:ss+0000`.
pub(crate) fn parse_timestamp(ts: &str) -> Option<DateTime<Utc>> {
    let naive = ts.strip_suffix("+0000")?;
    if naive.len() != 17 {
        return None;
    }
    NaiveDateTime::parse_from_str(naive, "%Y%m%dT%H:%M:%S")
        .ok()
        .map(|t| t.and_utc())
}

/// A request as a server received it, for the checks.
#[derive(Clone, Copy, Debug)]
pub struct Signed<'a> {
    /// The method, upper case.
    pub method: &'a str,
    /// `http` or `https`, as the client addressed the server.
    pub scheme: &'a str,
    /// The `Host` header.
    pub host: &'a str,
    /// The path and query exactly as received.
    pub target: &'a str,
    /// The body.
    pub body: &'a [u8],
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
}

/// Checks the form of the `Authorization` value, the client and access tokens of
/// `credentials` and the form of the timestamp (not its distance from any clock), and returns
/// the header's fields.
pub fn authenticate(
    credentials: &EdgeGridCredentials,
    authorization: Option<&str>,
) -> Result<AuthFields, Refusal> {
    let value = authorization.ok_or(Refusal::Missing)?;
    if !value.starts_with(MONIKER) {
        return Err(Refusal::Missing);
    }
    let fields = parse_authorization(value).ok_or(Refusal::Malformed)?;
    if fields.nonce.is_empty() {
        return Err(Refusal::Malformed);
    }
    if fields.client_token != credentials.client_token {
        return Err(Refusal::ClientToken);
    }
    if fields.access_token != credentials.access_token {
        return Err(Refusal::AccessToken);
    }
    parse_timestamp(&fields.timestamp).ok_or(Refusal::Timestamp)?;
    Ok(fields)
}

/// Whether `fields.signature` is the signature of `request` with `client_secret`, hashing
/// at most `max_body` bytes of a POST body ([`DEFAULT_MAX_BODY`] unless the client was told
/// otherwise). Compared in constant time.
pub fn signature_matches(
    client_secret: &str,
    fields: &AuthFields,
    request: &Signed<'_>,
    max_body: usize,
) -> bool {
    let expected = signature(client_secret, fields, request, max_body);
    constant_time_eq(expected.as_bytes(), fields.signature.as_bytes())
}

/// Checks signatures and remembers the nonces of accepted requests for the skew window.
#[derive(Debug)]
pub(crate) struct Verifier {
    credentials: EdgeGridCredentials,
    max_skew: Duration,
    max_body: usize,
    nonces: HashMap<String, DateTime<Utc>>,
    order: VecDeque<(DateTime<Utc>, String)>,
}

impl Verifier {
    pub(crate) fn new(credentials: EdgeGridCredentials, max_skew: Duration) -> Self {
        Self {
            credentials,
            max_skew,
            max_body: DEFAULT_MAX_BODY,
            nonces: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    pub(crate) fn credentials(&self) -> &EdgeGridCredentials {
        &self.credentials
    }

    /// Forgets every nonce.
    pub(crate) fn reset(&mut self) {
        self.nonces.clear();
        self.order.clear();
    }

    /// Accepts the request or says why not, at server time `now`.
    pub(crate) fn verify(
        &mut self,
        request: &Signed<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), Refusal> {
        let fields = authenticate(&self.credentials, request.authorization)?;
        let ts = parse_timestamp(&fields.timestamp).ok_or(Refusal::Timestamp)?;
        let skew = (now - ts).abs().to_std().unwrap_or(Duration::MAX);
        if skew > self.max_skew {
            return Err(Refusal::Timestamp);
        }
        if !signature_matches(
            &self.credentials.client_secret,
            &fields,
            request,
            self.max_body,
        ) {
            return Err(Refusal::Signature);
        }
        self.expire(now);
        if self.nonces.contains_key(&fields.nonce) {
            return Err(Refusal::Replay);
        }
        self.nonces.insert(fields.nonce.clone(), now);
        self.order.push_back((now, fields.nonce));
        Ok(())
    }

    fn expire(&mut self, now: DateTime<Utc>) {
        // A nonce can only be replayed while its timestamp is within the skew; keep it twice
        // that long (the timestamp may lie up to one skew in the future).
        let keep = chrono::Duration::from_std(self.max_skew * 2).unwrap_or(chrono::Duration::MAX);
        while let Some((at, _)) = self.order.front() {
            if now - *at <= keep {
                break;
            }
            if let Some((_, nonce)) = self.order.pop_front() {
                self.nonces.remove(&nonce);
            }
        }
    }
}

fn signature(secret: &str, fields: &AuthFields, request: &Signed<'_>, max_body: usize) -> String {
    let content_hash = if request.method == "POST" && !request.body.is_empty() {
        let end = request.body.len().min(max_body);
        STANDARD.encode(Sha256::digest(&request.body[..end]))
    } else {
        String::new()
    };
    let data = [
        request.method,
        request.scheme,
        &request.host.to_ascii_lowercase(),
        request.target,
        "",
        &content_hash,
        &fields.prefix,
    ]
    .join("\t");
    let signing_key = STANDARD.encode(hmac(secret.as_bytes(), fields.timestamp.as_bytes()));
    STANDARD.encode(hmac(signing_key.as_bytes(), data.as_bytes()))
}

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> EdgeGridCredentials {
        EdgeGridCredentials {
            client_token: "akab-client-token-xxx-xxxxxxxxxxxxxxxx".into(),
            client_secret: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=".into(),
            access_token: "akab-access-token-xxx-xxxxxxxxxxxxxxxx".into(),
        }
    }

    #[test]
    fn published_signing_key_and_signature() {
        // SPEC.md §2 and the worked "POST inside limit" example of §3.
        assert_eq!(
            STANDARD.encode(hmac(
                b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=",
                b"20140321T19:34:21+0000"
            )),
            "znsRMDBRqTXGJ7Ojip3/h2FGPu3LuoMYWgv9PKEnE/o="
        );
        let data = "POST\thttps\takaa-baseurl-xxxxxxxxxxx-xxxxxxxxxxxxx.luna.akamaiapis.net\t/testapi/v1/t3\t\t\
                    fDimoYqXOLntG3If/Z0K2aS9I19Pkv9P5OMCoL8lY0w=\tEG1-HMAC-SHA256 \
                    client_token=akab-client-token-xxx-xxxxxxxxxxxxxxxx;\
                    access_token=akab-access-token-xxx-xxxxxxxxxxxxxxxx;\
                    timestamp=20140321T19:34:21+0000;nonce=nonce-xx-xxxx-xxxx-xxxx-xxxxxxxxxxxx;";
        assert_eq!(
            STANDARD.encode(hmac(
                b"znsRMDBRqTXGJ7Ojip3/h2FGPu3LuoMYWgv9PKEnE/o=",
                data.as_bytes()
            )),
            "hXm4iCxtpN22m4cbZb4lVLW5rhX8Ca82vCFqXzSTPe4="
        );
    }

    #[test]
    fn authorization_fields_are_parsed_in_order() {
        let value = "EG1-HMAC-SHA256 client_token=c;access_token=a;timestamp=20140321T19:34:21+0000;nonce=n;signature=s=";
        let fields = parse_authorization(value).unwrap();
        assert_eq!(fields.signature, "s=");
        assert!(fields.prefix.ends_with("nonce=n;"));
        assert!(parse_authorization(
            "EG1-HMAC-SHA256 access_token=a;client_token=c;timestamp=t;nonce=n;signature=s"
        )
        .is_none());
        assert!(parse_authorization("Bearer x").is_none());
        assert!(parse_timestamp("20140321T19:34:21+0000").is_some());
        assert!(parse_timestamp("2014-03-21T19:34:21Z").is_none());
    }

    /// Signs like a client would, with the verifier's own formula replaced by the spec's text.
    fn sign(method: &str, host: &str, target: &str, body: &[u8], ts: &str, nonce: &str) -> String {
        let prefix = format!(
            "EG1-HMAC-SHA256 client_token={};access_token={};timestamp={ts};nonce={nonce};",
            creds().client_token,
            creds().access_token
        );
        let hash = if method == "POST" && !body.is_empty() {
            STANDARD.encode(Sha256::digest(body))
        } else {
            String::new()
        };
        let data = format!("{method}\thttp\t{host}\t{target}\t\t{hash}\t{prefix}");
        let key = STANDARD.encode(hmac(creds().client_secret.as_bytes(), ts.as_bytes()));
        format!(
            "{prefix}signature={}",
            STANDARD.encode(hmac(key.as_bytes(), data.as_bytes()))
        )
    }

    #[test]
    fn accepts_once_and_refuses_tampering_skew_and_replay() {
        let now = parse_timestamp("20240501T10:00:00+0000").unwrap();
        let mut v = Verifier::new(creds(), Duration::from_secs(30));
        let auth = sign(
            "POST",
            "127.0.0.1:1",
            "/a?b=c%20d",
            b"{}",
            "20240501T10:00:10+0000",
            "n1",
        );
        let ok = Signed {
            method: "POST",
            scheme: "http",
            host: "127.0.0.1:1",
            target: "/a?b=c%20d",
            body: b"{}",
            authorization: Some(&auth),
        };
        assert_eq!(v.verify(&ok, now), Ok(()));
        assert_eq!(v.verify(&ok, now), Err(Refusal::Replay));
        let decoded = Signed {
            target: "/a?b=c d",
            ..ok
        };
        assert_eq!(v.verify(&decoded, now), Err(Refusal::Signature));
        let body = Signed {
            body: b"{ }",
            target: "/a?b=c%20d",
            ..decoded
        };
        assert_eq!(v.verify(&body, now), Err(Refusal::Signature));
        let late = sign(
            "GET",
            "127.0.0.1:1",
            "/",
            b"",
            "20240501T09:59:00+0000",
            "n2",
        );
        let late = Signed {
            method: "GET",
            scheme: "http",
            host: "127.0.0.1:1",
            target: "/",
            body: b"",
            authorization: Some(&late),
        };
        assert_eq!(v.verify(&late, now), Err(Refusal::Timestamp));
        let other = auth.replace("client_token=akab", "client_token=akax");
        let other = Signed {
            authorization: Some(&other),
            ..body
        };
        assert_eq!(v.verify(&other, now), Err(Refusal::ClientToken));
        let none = Signed {
            authorization: None,
            ..body
        };
        assert_eq!(v.verify(&none, now), Err(Refusal::Missing));
        let bad = Signed {
            authorization: Some("EG1-HMAC-SHA256 nonce=1"),
            ..body
        };
        assert_eq!(v.verify(&bad, now), Err(Refusal::Malformed));
        // Once its window is over, a nonce is forgotten (its timestamp is refused anyway).
        v.expire(now + chrono::Duration::seconds(61));
        assert!(v.nonces.is_empty());
    }
}
