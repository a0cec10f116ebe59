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
//! is the `Host` header lowercased, the scheme is `http` (the emulators serve plain http), and
//! only POST bodies are hashed (their first `max_body` bytes).

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

/// The fields of an `Authorization` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AuthFields {
    pub(crate) client_token: String,
    pub(crate) access_token: String,
    pub(crate) timestamp: String,
    pub(crate) nonce: String,
    pub(crate) signature: String,
    /// Everything up to and including `nonce=…;`.
    pub(crate) prefix: String,
}

pub(crate) fn parse_authorization(value: &str) -> Option<AuthFields> {
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

/// What a request looks like to the verifier.
#[derive(Debug)]
pub(crate) struct Signed<'a> {
    pub(crate) method: &'a str,
    pub(crate) host: &'a str,
    pub(crate) target: &'a str,
    pub(crate) body: &'a [u8],
    pub(crate) authorization: Option<&'a str>,
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
        let value = request.authorization.ok_or(Refusal::Missing)?;
        if !value.starts_with(MONIKER) {
            return Err(Refusal::Missing);
        }
        let fields = parse_authorization(value).ok_or(Refusal::Malformed)?;
        if fields.nonce.is_empty() {
            return Err(Refusal::Malformed);
        }
        if fields.client_token != self.credentials.client_token {
            return Err(Refusal::ClientToken);
        }
        if fields.access_token != self.credentials.access_token {
            return Err(Refusal::AccessToken);
        }
        let ts = parse_timestamp(&fields.timestamp).ok_or(Refusal::Timestamp)?;
        let skew = (now - ts).abs().to_std().unwrap_or(Duration::MAX);
        if skew > self.max_skew {
            return Err(Refusal::Timestamp);
        }
        let expected = signature(
            &self.credentials.client_secret,
            &fields,
            request,
            self.max_body,
        );
        if !constant_time_eq(expected.as_bytes(), fields.signature.as_bytes()) {
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
        "http",
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
