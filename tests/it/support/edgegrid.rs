//! An EdgeGrid (EG1-HMAC-SHA256) verifier for test servers, written from the published
//! algorithm (`/work/shared/edgegrid/SPEC.md`) with RFC 2104 HMAC over the `sha2` crate. It
//! shares no code with the SDK's signer, so a test server using it checks the client's
//! signatures independently.
//!
//! ```text
//! data_to_sign = METHOD \t scheme \t host \t path[?query] \t headers \t content_hash \t auth_prefix
//! signing_key  = base64(HMAC-SHA256(client_secret, timestamp))
//! signature    = base64(HMAC-SHA256(signing_key as text, data_to_sign))
//! ```

use sha2::{Digest, Sha256};
use wiremock::Request;

/// The scheme name of every EdgeGrid `Authorization` value.
const MONIKER: &str = "EG1-HMAC-SHA256 ";

/// Credentials a test server expects.
#[derive(Clone, Debug)]
pub(crate) struct Verifier {
    pub(crate) client_token: String,
    pub(crate) client_secret: String,
    pub(crate) access_token: String,
    pub(crate) max_body: usize,
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

/// Splits an `Authorization` value into its five fields, which must come in the documented
/// order.
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

/// `yyyyMMddTHH:mm:ss+0000`.
fn is_timestamp(ts: &str) -> bool {
    let b = ts.as_bytes();
    b.len() == 22
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..11].iter().all(u8::is_ascii_digit)
        && b[11] == b':'
        && b[12..14].iter().all(u8::is_ascii_digit)
        && b[14] == b':'
        && b[15..17].iter().all(u8::is_ascii_digit)
        && &ts[17..] == "+0000"
}

impl Verifier {
    /// Why `request` is not correctly signed, or `None` when it is.
    pub(crate) fn problem(&self, request: &Request) -> Option<String> {
        let Some(value) = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
        else {
            return Some("no Authorization header".into());
        };
        let Some(fields) = parse_authorization(value) else {
            return Some("malformed Authorization header".into());
        };
        if fields.client_token != self.client_token || fields.access_token != self.access_token {
            return Some("unknown client or access token".into());
        }
        if !is_timestamp(&fields.timestamp) {
            return Some("bad timestamp".into());
        }
        if fields.nonce.is_empty() {
            return Some("empty nonce".into());
        }
        let Some(host) = request.headers.get("host").and_then(|v| v.to_str().ok()) else {
            return Some("no Host header".into());
        };
        let url = &request.url;
        let mut target = url.path().to_owned();
        if let Some(query) = url.query().filter(|q| !q.is_empty()) {
            target.push('?');
            target.push_str(query);
        }
        let method = request.method.as_str();
        let content_hash = if method == "POST" && !request.body.is_empty() {
            let end = request.body.len().min(self.max_body);
            base64(&Sha256::digest(&request.body[..end]))
        } else {
            String::new()
        };
        let data = [
            method,
            url.scheme(),
            &host.to_ascii_lowercase(),
            &target,
            "",
            &content_hash,
            &fields.prefix,
        ]
        .join("\t");
        let signing_key = base64(&hmac_sha256(
            self.client_secret.as_bytes(),
            fields.timestamp.as_bytes(),
        ));
        let expected = base64(&hmac_sha256(signing_key.as_bytes(), data.as_bytes()));
        (expected != fields.signature)
            .then(|| format!("signature mismatch for `{method} {target}`"))
    }
}

/// HMAC-SHA256 (RFC 2104): H((K ^ opad) || H((K ^ ipad) || message)), 64-byte blocks.
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

/// Standard base64 with `=` padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A wiremock matcher for requests that are *not* correctly signed: mounted with the highest
/// priority and a 401 answer, it makes the server refuse every badly signed request.
#[derive(Clone, Debug)]
pub(crate) struct BadlySigned(pub(crate) Verifier);

impl wiremock::Match for BadlySigned {
    fn matches(&self, request: &Request) -> bool {
        match self.0.problem(request) {
            Some(problem) => {
                eprintln!("refusing a request: {problem}");
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_and_base64_match_published_vectors() {
        // RFC 4231 test case 2.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            mac.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        // SPEC.md §2: the signing key of the published vectors.
        assert_eq!(
            base64(&hmac_sha256(
                b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=",
                b"20140321T19:34:21+0000"
            )),
            "znsRMDBRqTXGJ7Ojip3/h2FGPu3LuoMYWgv9PKEnE/o="
        );
        // SPEC.md §3: the worked "POST inside limit" example.
        let data = "POST\thttps\takaa-baseurl-xxxxxxxxxxx-xxxxxxxxxxxxx.luna.akamaiapis.net\t/testapi/v1/t3\t\t\
                    fDimoYqXOLntG3If/Z0K2aS9I19Pkv9P5OMCoL8lY0w=\tEG1-HMAC-SHA256 \
                    client_token=akab-client-token-xxx-xxxxxxxxxxxxxxxx;\
                    access_token=akab-access-token-xxx-xxxxxxxxxxxxxxxx;\
                    timestamp=20140321T19:34:21+0000;nonce=nonce-xx-xxxx-xxxx-xxxx-xxxxxxxxxxxx;";
        assert_eq!(
            base64(&hmac_sha256(
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
        assert!(is_timestamp("20140321T19:34:21+0000"));
        assert!(!is_timestamp("2014-03-21T19:34:21Z"));
    }
}
