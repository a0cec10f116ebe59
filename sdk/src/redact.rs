//! Keeping secrets out of `Debug` output, error messages and logs.
//!
//! Three tools, used by the runtime itself and meant for the API layers built on it:
//!
//! * [`redact_json`] replaces the values of secret-bearing keys in a JSON document
//!   (`token`, `access_token`, `client_secret`, `password`, `secret`, `authorization`, the EdgeKV
//!   token `value`, ...; see [`Redactor`] for the full rule) and scrubs `Bearer …` credentials
//!   that appear inside string values.
//! * [`redact_text`] does the same on free text that may or may not be JSON: a truncated JSON
//!   body, an HTML error page, a query string or a header dump.
//! * [`RedactedHeaders`] prints a `HeaderMap` with the values of credential headers hidden.
//!
//! Every error body that [`crate::Error`] keeps has been through these functions, so printing an
//! error (with `{}` or `{:?}`) never shows a token.
//!
//! ```
//! use akamai_sdk::redact::{redact_json, redact_text, REDACTED};
//!
//! let mut body = serde_json::json!({"name": "ci", "token": "abc123", "value": "eyJhbGciOi"});
//! redact_json(&mut body);
//! assert_eq!(body["token"], REDACTED);
//! assert_eq!(body["value"], REDACTED);
//! assert_eq!(body["name"], "ci");
//!
//! let line = redact_text("GET /x?token=abc123&page=2 Authorization: Bearer abc123");
//! assert!(!line.contains("abc123"));
//! ```

use std::borrow::Cow;
use std::fmt;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

/// The text that replaces a secret.
pub const REDACTED: &str = "[REDACTED]";

/// Keys (compared after [normalization](Redactor)) whose values are always secret.
const SECRET_KEYS: &[&str] = &[
    "authorization",
    "proxyauthorization",
    "cookie",
    "setcookie",
    "credential",
    "credentials",
    "signature",
    "passphrase",
    "bearer",
    // EdgeKV access tokens carry the token itself in `value`.
    "value",
];

/// Key endings that mark a secret: `token`, `access_token`, `client_token`, `proxyToken`,
/// `client_secret`, `password`, `api_key`, ...
const SECRET_SUFFIXES: &[&str] = &[
    "token",
    "secret",
    "password",
    "passwd",
    "apikey",
    "privatekey",
];

/// Authorization schemes whose credential follows after a space.
const AUTH_SCHEMES: &[&str] = &["bearer", "basic", "eg1-hmac-sha256", "digest"];

/// Decides which keys hold secrets and redacts them.
///
/// A key is compared after normalization: ASCII-lowercased, with `_`, `-` and `.` removed, so
/// `access_token`, `accessToken` and `Access-Token` are the same key. The default rule treats a
/// key as secret when its normalized form
///
/// * is one of `authorization`, `proxyauthorization`, `cookie`, `setcookie`, `credential(s)`,
///   `signature`, `passphrase`, `bearer` or `value` (deliberately: the EdgeKV access token is
///   returned in a field named `value`, and error bodies never need an item value to be
///   understood), or
/// * ends with `token`, `secret`, `password`, `passwd`, `apikey` or `privatekey` (`token`,
///   `client_token`, `proxy_token`, `client_secret`, `x-api-key`, ...).
///
/// [`Redactor::with_key`] adds keys and [`Redactor::without_key`] exempts keys (for instance
/// `value` when logging EdgeKV item bodies that are known to be harmless).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Redactor {
    extra: Vec<String>,
    exempt: Vec<String>,
}

fn normalize(key: &str) -> String {
    key.bytes()
        .filter(|b| !matches!(b, b'_' | b'-' | b'.'))
        .map(|b| char::from(b.to_ascii_lowercase()))
        .collect()
}

impl Redactor {
    /// The default rule (see the type documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// Also treats `key` (compared normalized) as secret.
    pub fn with_key(mut self, key: &str) -> Self {
        let key = normalize(key);
        self.exempt.retain(|k| *k != key);
        self.extra.push(key);
        self
    }

    /// Stops treating `key` (compared normalized) as secret, even if the default rule matches it.
    pub fn without_key(mut self, key: &str) -> Self {
        let key = normalize(key);
        self.extra.retain(|k| *k != key);
        self.exempt.push(key);
        self
    }

    /// Whether the value of `key` is a secret.
    pub fn is_sensitive_key(&self, key: &str) -> bool {
        let key = normalize(key);
        if key.is_empty() || self.exempt.contains(&key) {
            return false;
        }
        self.extra.contains(&key)
            || SECRET_KEYS.contains(&key.as_str())
            || SECRET_SUFFIXES.iter().any(|s| key.ends_with(s))
    }

    /// Replaces, in place, the value of every secret key (at any depth) with [`REDACTED`], and
    /// scrubs credentials embedded in the remaining string values (see [`Redactor::redact_text`]).
    pub fn redact_json(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    if self.is_sensitive_key(key) {
                        *v = Value::String(REDACTED.to_owned());
                    } else {
                        self.redact_json(v);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.redact_json(v)),
            Value::String(s) => {
                if let Cow::Owned(clean) = self.redact_text(s) {
                    *s = clean;
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// Redacts secrets in free text, JSON or not: the value after a secret key followed by `:`
    /// or `=` (`"token": "…"`, `password=…`, `Authorization: …`), and the credential after an
    /// authorization scheme (`Bearer …`, `Basic …`, `EG1-HMAC-SHA256 …`).
    ///
    /// Returns the input unchanged (borrowed) when it holds nothing to redact. Text cut in the
    /// middle of a secret is redacted up to its end.
    pub fn redact_text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let bytes = text.as_bytes();
        let mut out: Option<String> = None;
        // Everything before `copied` has been written to `out` (when `out` exists).
        let mut copied = 0;
        let mut i = 0;
        while i < bytes.len() {
            if !is_word_byte(bytes[i]) {
                i += 1;
                continue;
            }
            let word_end = i + bytes[i..].iter().take_while(|b| is_word_byte(**b)).count();
            let word = &text[i..word_end];
            let redacted = if is_auth_scheme(word) {
                scheme_credential(bytes, word_end)
            } else if self.is_sensitive_key(word) {
                keyed_value(bytes, word_end)
            } else {
                None
            };
            match redacted {
                Some((start, end, quote)) => {
                    let buf = out.get_or_insert_with(|| String::with_capacity(text.len()));
                    buf.push_str(&text[copied..start]);
                    if let Some(q) = quote {
                        buf.push_str(q);
                    }
                    buf.push_str(REDACTED);
                    copied = end;
                    i = end;
                }
                None => i = word_end,
            }
        }
        match out {
            Some(mut buf) => {
                buf.push_str(&text[copied..]);
                Cow::Owned(buf)
            }
            None => Cow::Borrowed(text),
        }
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn is_auth_scheme(word: &str) -> bool {
    AUTH_SCHEMES.iter().any(|s| word.eq_ignore_ascii_case(s))
}

/// Bytes that end a bare (unquoted) secret value.
fn ends_bare_value(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b',' | b';' | b'&' | b'"' | b'\'' | b'<' | b'>' | b'}' | b']' | b')' | b'\\'
        )
}

/// Bytes that end a credential after an authorization scheme (EdgeGrid credentials contain `;`).
fn ends_credential(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b',' | b'"' | b'\'' | b'<' | b'>' | b'}' | b']' | b')' | b'\\'
        )
}

/// After an authorization scheme word ending at `at`: the span of the credential that follows
/// one or more spaces.
fn scheme_credential(bytes: &[u8], at: usize) -> Option<(usize, usize, Option<&'static str>)> {
    let start = at
        + bytes[at..]
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
    if start == at {
        return None;
    }
    let end = start
        + bytes[start..]
            .iter()
            .take_while(|b| !ends_credential(**b))
            .count();
    (end > start).then_some((start, end, None))
}

/// After a secret key ending at `at`: the span of its value, if the key is followed by `:` or
/// `=` (possibly after a closing quote, escaped or not, and spaces). For a quoted value the
/// span starts at the opening quote (written back before [`REDACTED`]) and ends before the
/// closing quote, which is kept.
fn keyed_value(bytes: &[u8], at: usize) -> Option<(usize, usize, Option<&'static str>)> {
    let mut i = at;
    // A closing quote of the key: `"`, `'` or an escaped `\"` inside a JSON string.
    if bytes.get(i) == Some(&b'\\') && bytes.get(i + 1) == Some(&b'"') {
        i += 2;
    } else if matches!(bytes.get(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    i += bytes[i..]
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    if !matches!(bytes.get(i), Some(b':' | b'=')) {
        return None;
    }
    i += 1;
    i += bytes[i..]
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    match bytes.get(i) {
        None => None,
        // Objects and arrays: their own keys are scanned on.
        Some(b'{' | b'[') => None,
        Some(b'\\') if bytes.get(i + 1) == Some(&b'"') => {
            // `\"secret\"` inside an embedded JSON string: ends at the next `\"`.
            let body = i + 2;
            let end = bytes[body..]
                .windows(2)
                .position(|w| w == b"\\\"")
                .map_or(bytes.len(), |p| body + p);
            Some((i, end, Some("\\\"")))
        }
        Some(&q @ (b'"' | b'\'')) => {
            // Ends before the closing quote (which is kept) or at the end of the text.
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != q {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            let quote = if q == b'"' { "\"" } else { "'" };
            Some((i, j.min(bytes.len()), Some(quote)))
        }
        Some(_) => {
            let first_end = i + bytes[i..]
                .iter()
                .take_while(|b| !ends_bare_value(**b))
                .count();
            if first_end == i {
                return None;
            }
            // `Authorization: Bearer abc`: the credential after the scheme goes too.
            let word = std::str::from_utf8(&bytes[i..first_end]).unwrap_or("");
            let end = if is_auth_scheme(word) {
                scheme_credential(bytes, first_end).map_or(first_end, |(_, end, _)| end)
            } else {
                first_end
            };
            Some((i, end, None))
        }
    }
}

/// [`Redactor::redact_json`] with the default rule.
pub fn redact_json(value: &mut Value) {
    Redactor::default().redact_json(value);
}

/// [`Redactor::redact_text`] with the default rule.
pub fn redact_text(text: &str) -> Cow<'_, str> {
    Redactor::default().redact_text(text)
}

/// Whether a header carries a credential: `Authorization`, `Proxy-Authorization`, `Cookie`,
/// `Set-Cookie`, any header whose name the default [`Redactor`] rule marks as secret
/// (`X-Api-Key`, `X-Auth-Token`, ...), and any value marked with
/// [`HeaderValue::set_sensitive`].
pub fn is_sensitive_header(name: &HeaderName, value: &HeaderValue) -> bool {
    value.is_sensitive() || Redactor::default().is_sensitive_key(name.as_str())
}

/// The value of a header as it may be shown: [`REDACTED`] for a credential header, the text
/// otherwise (or a placeholder for bytes that are not visible ASCII).
pub fn header_value_for_display<'a>(name: &HeaderName, value: &'a HeaderValue) -> Cow<'a, str> {
    if is_sensitive_header(name, value) {
        return Cow::Borrowed(REDACTED);
    }
    match value.to_str() {
        Ok(text) => redact_text(text),
        Err(_) => Cow::Borrowed("<non-ASCII value>"),
    }
}

/// A `Debug`/`Display` view of a header map with credential values replaced by [`REDACTED`].
///
/// ```
/// use akamai_sdk::generated::reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
/// use akamai_sdk::redact::RedactedHeaders;
///
/// let mut headers = HeaderMap::new();
/// headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer s3cr3t"));
/// headers.insert("x-request-id", HeaderValue::from_static("abc"));
/// let shown = format!("{:?}", RedactedHeaders(&headers));
/// assert!(!shown.contains("s3cr3t") && shown.contains("abc"));
/// ```
#[derive(Clone, Copy)]
pub struct RedactedHeaders<'a>(pub &'a HeaderMap);

impl fmt::Debug for RedactedHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.0
                    .iter()
                    .map(|(name, value)| (name.as_str(), header_value_for_display(name, value))),
            )
            .finish()
    }
}

impl fmt::Display for RedactedHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, value)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}: {}", name, header_value_for_display(name, value))?;
        }
        Ok(())
    }
}

/// Cuts `text` to at most `max` bytes on a character boundary. Returns the kept prefix and
/// whether anything was cut.
pub fn truncate_on_char_boundary(text: &str, max: usize) -> (&str, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_keys_are_matched_normalized_and_at_any_depth() {
        let mut v = json!({
            "name": "ci",
            "token": "t1",
            "accessToken": "t2",
            "client-secret": {"nested": "t3"},
            "users": [{"password": "t4", "email": "a@example.com"}],
            "value": "t5",
            "tokenActivationStatus": "IN_PROGRESS",
            "tokens": [{"name": "n", "value": "t6"}],
            "detail": "header was Bearer t7"
        });
        redact_json(&mut v);
        let text = v.to_string();
        for secret in ["t1", "t2", "t3", "t4", "t5", "t6", "t7"] {
            assert!(
                !text.contains(&format!("\"{secret}\"")) && !text.contains(&format!(" {secret}\"")),
                "{secret} in {text}"
            );
        }
        assert_eq!(v["name"], "ci");
        assert_eq!(v["users"][0]["email"], "a@example.com");
        assert_eq!(v["tokenActivationStatus"], "IN_PROGRESS");
        assert_eq!(v["tokens"][0]["name"], "n");
        assert_eq!(v["detail"], format!("header was Bearer {REDACTED}"));
    }

    #[test]
    fn redactor_can_add_and_exempt_keys() {
        let r = Redactor::new().with_key("euuid").without_key("value");
        let mut v = json!({"euuid": "E-1", "value": "plain", "token": "t"});
        r.redact_json(&mut v);
        assert_eq!(
            v,
            json!({"euuid": REDACTED, "value": "plain", "token": REDACTED})
        );
        assert!(Redactor::new().is_sensitive_key("X-Api-Key"));
        assert!(!Redactor::new().is_sensitive_key("status"));
        assert!(!Redactor::new().is_sensitive_key(""));
    }

    #[test]
    fn text_redaction_covers_json_fragments_queries_headers_and_html() {
        let cases = [
            (r#"{"token": "abc123", "id": 1}"#, r#"{"token": "[REDACTED]", "id": 1}"#),
            (r#"{"token":"abc123"#, r#"{"token":"[REDACTED]"#),
            ("/x?token=abc123&page=2", "/x?token=[REDACTED]&page=2"),
            ("Authorization: Bearer abc123", "Authorization: [REDACTED]"),
            ("sent Bearer abc123 twice", "sent Bearer [REDACTED] twice"),
            (
                "EG1-HMAC-SHA256 client_token=akab-1;access_token=akab-2;timestamp=x;nonce=n;signature=s",
                "EG1-HMAC-SHA256 [REDACTED]",
            ),
            (r#"<input name="pw" value="hunter2">"#, r#"<input name="pw" value="[REDACTED]">"#),
            (r#"{\"password\":\"hunter2\"}"#, r#"{\"password\":\"[REDACTED]\"}"#),
            ("password='x y'", "password='[REDACTED]'"),
            ("Invalid password. Try again", "Invalid password. Try again"),
            ("no secrets here", "no secrets here"),
        ];
        for (input, want) in cases {
            assert_eq!(redact_text(input), want, "{input}");
        }
        assert!(matches!(redact_text("plain text"), Cow::Borrowed(_)));
    }

    #[test]
    fn text_redaction_survives_odd_input() {
        for input in [
            "token",
            "token=",
            "token:",
            "\"token\"",
            "Bearer",
            "Bearer ",
            "token=\"",
            "token=\\",
            "é token=é",
            "token = \"a\\\"",
        ] {
            let out = redact_text(input);
            assert!(
                out.len() <= input.len() + REDACTED.len() + 2,
                "{input} -> {out}"
            );
        }
        assert_eq!(
            redact_text("token = \"ab\\\"c\" x"),
            "token = \"[REDACTED]\" x"
        );
    }

    #[test]
    fn headers_hide_credentials() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_static("EG1-HMAC-SHA256 client_token=akab-x"),
        );
        headers.insert("x-api-key", HeaderValue::from_static("k1"));
        let mut marked = HeaderValue::from_static("k2");
        marked.set_sensitive(true);
        headers.insert("x-custom", marked);
        headers.insert("x-request-id", HeaderValue::from_static("rid"));
        for shown in [
            format!("{:?}", RedactedHeaders(&headers)),
            RedactedHeaders(&headers).to_string(),
        ] {
            assert!(
                !shown.contains("akab-x") && !shown.contains("k1") && !shown.contains("k2"),
                "{shown}"
            );
            assert!(shown.contains("rid"), "{shown}");
        }
    }

    #[test]
    fn truncation_cuts_on_char_boundaries() {
        let text = "aé€😀";
        for max in 0..=text.len() + 1 {
            let (kept, cut) = truncate_on_char_boundary(text, max);
            assert!(kept.len() <= max);
            assert_eq!(cut, kept.len() < text.len());
            assert!(text.starts_with(kept));
        }
    }
}
