//! The checks of the fuzz targets: **not part of the API**, for the workspace's own use.
//!
//! Every parser of outside input has a check here that takes arbitrary bytes and panics only
//! when the SDK misbehaves on them: a panic of the SDK itself, or a property that does not
//! hold (a filter that does not read back as built, a signed target other than the one sent,
//! a secret in an error message). The fuzz targets of `sdk/fuzz` call them
//! (`cargo +nightly fuzz run <target>`), and the corpus replay test of the `tests` crate runs
//! every file of `sdk/fuzz/corpus/<target>/` through them on stable, in `cargo test`.
//!
//! [`TARGETS`] names them all; the fuzz target of each has the same name.

use std::io::Cursor;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arbitrary::{Arbitrary, Unstructured};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use akamai_sdk_generated::edgekv::types as edgekv_types;
use akamai_sdk_generated::lenient;
use akamai_sdk_generated::linode::types as linode_types;

use crate::edgegrid::{sign_parts_uncached, Credentials, EdgeGridSigner, RequestParts, Timestamp};
use crate::edgekv::bulk::format::{self, FileFormat};
use crate::edgekv::bulk::journal;
use crate::edgekv::bulk::rate::AdaptiveRate;
use crate::edgekv::{AccessToken, Item, Network, TokenCredential, TokensFile};
use crate::error::{ApiError, Error, ErrorBody, SNIPPET_BYTES};
use crate::linode::{ChildAccountField, ChildAccountFilter, Euuid, Filter, Order, ProxyToken};
use crate::retry::RetryPolicy;

/// A check: panics when the SDK misbehaves on `data`.
pub type Check = fn(&[u8]);

/// Every fuzz target: its name (of `sdk/fuzz/fuzz_targets/<name>.rs` and of its corpus
/// folder) and its check.
pub const TARGETS: &[(&str, Check)] = &[
    ("edgerc", check_edgerc),
    ("lenient_json", check_lenient_json),
    ("lenient_bytes", check_lenient_bytes),
    ("error_body", check_error_body),
    ("headers", check_headers),
    ("tokens_file", check_tokens_file),
    ("filter", check_filter),
    ("signing", check_signing),
    ("bulk_jsonl", check_bulk_jsonl),
    ("bulk_csv", check_bulk_csv),
    ("bulk_journal", check_bulk_journal),
];

/// Planted in the string values of generated inputs: no error message may show it.
const MARKER: &str = "s3cr3t";

// ---------------------------------------------------------------------------------------------
// .edgerc

/// The `.edgerc` parser: never a panic, and never a secret in an error (every message starts
/// with the file's name, and names a section, key and line).
pub fn check_edgerc(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for section in ["default", "s"] {
        match Credentials::from_edgerc_str(text, "fuzz", section) {
            Ok(creds) => {
                assert!(!creds.host().contains('/'));
                assert!(creds.max_body() > 0);
                let _ = format!("{creds:?}");
            }
            Err(err) => {
                let message = err.to_string();
                assert!(message.starts_with("fuzz"), "{message}");
                let _ = format!("{err:?}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lenient decoding of response types

/// JSON built from `data` (structure-aware: the keys of the response types, scalars of every
/// JSON type in every place, numbers past every range, strings with escapes and lone
/// surrogates, deep nesting), decoded as the response types of [`check_lenient_bytes`].
pub fn check_lenient_json(data: &[u8]) {
    decode_responses(lenient_json_document(data).as_bytes());
}

/// The JSON text [`check_lenient_json`] builds from `data` (to look at an input).
pub fn lenient_json_document(data: &[u8]) -> String {
    let mut u = Unstructured::new(data);
    let mut json = JsonText::default();
    json.document(&mut u);
    json.out
}

/// Any bytes decoded as response types (a child account, a page of them, a proxy token, EdgeKV
/// namespaces and access tokens) the way the runtime decodes a success body: never a panic,
/// the coercions located, no response data in an error message, and what decodes goes through
/// the SDK's own conversions.
pub fn check_lenient_bytes(data: &[u8]) {
    decode_responses(data);
    // A body progenitor could not decode: its snippet is bounded and redacted.
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(data) {
        let error = Error::from(progenitor_client::Error::<()>::InvalidResponsePayload(
            bytes::Bytes::copy_from_slice(data),
            e,
        ));
        if let Error::Decode(decode) = &error {
            assert!(decode.snippet().is_none_or(|s| s.len() <= SNIPPET_BYTES));
        }
        let _ = error.to_string();
    }
}

fn decode_responses(bytes: &[u8]) {
    decode::<linode_types::ChildAccount>(bytes, |child| {
        let _ = Euuid::try_from(&child);
    });
    decode::<linode_types::ChildAccountsPage>(bytes, |page| {
        for child in &page.data {
            if let Ok(euuid) = Euuid::try_from(child) {
                let _ =
                    crate::linode::proxy_username(child.company.as_deref().unwrap_or(""), &euuid);
            }
        }
    });
    decode::<linode_types::ProxyUserToken>(bytes, |minted| {
        let _ = ProxyToken::from_generated(minted).map(|token| format!("{token:?}"));
    });
    decode::<edgekv_types::Namespace>(bytes, |_| {});
    decode::<edgekv_types::Namespaces>(bytes, |_| {});
    decode::<edgekv_types::AccessToken>(bytes, |token| tokens_file_round_trip(token.into()));
    decode::<edgekv_types::AccessTokenList>(bytes, |list| {
        for token in list.tokens {
            tokens_file_round_trip(token.into());
        }
    });
    decode::<Vec<String>>(bytes, |_| {});
}

/// Decodes `bytes` as `T` as the runtime does, then hands the value to `then`.
fn decode<T: DeserializeOwned>(bytes: &[u8], then: impl FnOnce(T)) {
    match crate::runtime::decode_json::<T>(Some(StatusCode::OK), bytes) {
        Ok(value) => {
            // Where values of another JSON type were read (the runtime logs them).
            let located = lenient::explain::<T>(bytes, 4);
            assert!(located.len() <= 4);
            then(value);
        }
        Err(Error::Decode(decode)) => {
            assert!(
                !decode.message().contains(MARKER),
                "response data in a decode error: {}",
                decode.message()
            );
            let _ = decode.to_string();
        }
        Err(other) => panic!("decoding failed with another error than Decode: {other}"),
    }
}

/// A token of an answer, merged into `edgekv_tokens.js`: the file reads back as written.
fn tokens_file_round_trip(token: AccessToken) {
    let mut file = TokensFile::new();
    if file.merge_token(&token).is_err() {
        return;
    }
    let text = file.render();
    let back = TokensFile::parse(&text).expect("a rendered edgekv_tokens.js parses");
    assert_eq!(back, file, "edgekv_tokens.js does not read back as written");
}

/// JSON text built from fuzz data.
#[derive(Default)]
struct JsonText {
    out: String,
}

/// The keys of the decoded types, so that generated objects reach their fields.
const KEYS: &[&str] = &[
    // Linode child accounts and their pages.
    "data",
    "page",
    "pages",
    "results",
    "active_since",
    "address_1",
    "address_2",
    "balance",
    "balance_uninvoiced",
    "billing_source",
    "capabilities",
    "city",
    "company",
    "country",
    "credit_card",
    "expiry",
    "last_four",
    "email",
    "euuid",
    "first_name",
    "last_name",
    "phone",
    "state",
    "tax_id",
    "zip",
    // Proxy tokens.
    "created",
    "id",
    "label",
    "scopes",
    "token",
    // EdgeKV namespaces.
    "namespaces",
    "namespace",
    "dataAccessPolicy",
    "policyType",
    "restrictDataAccess",
    "geoLocation",
    "groupId",
    "retentionInSeconds",
    // EdgeKV access tokens.
    "tokens",
    "allowOnProduction",
    "allowOnStaging",
    "cpcode",
    "issueDate",
    "latestRefreshDate",
    "name",
    "namespacePermissions",
    "nextScheduledRefreshDate",
    "restrictToEdgeWorkerIds",
    "tokenActivationStatus",
    "uuid",
    "value",
];

/// Numbers as text: past every integer and float range, negative zero, exponents, integral
/// floats.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "3.0",
    "2.5",
    "1e3",
    "1E+2",
    "-1.5e-7",
    "127",
    "2147483647",
    "2147483648",
    "-2147483649",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "123456789012345678901234567890",
    "9223372036854775808.0",
    "-9223372036854775808.0",
    "1e19",
    "1e308",
    "1e309",
    "-1e400",
    "5e-324",
    "1e-400",
    "0.1",
    "1.7976931348623157e308",
];

/// Strings that the lenient decoder may coerce, or that look like dates.
const STRINGS: &[&str] = &[
    "",
    " ",
    "42",
    " 42 ",
    "-7",
    "+7",
    "3.0",
    "1e3",
    "NaN",
    "inf",
    "-Infinity",
    "true",
    "FALSE",
    "True",
    "null",
    "18446744073709551616",
    "9223372036854775808",
    "2024-05-21T10:11:12Z",
    "2018-01-01T00:01:01",
    "2024-05-21 10:11:12.123+02:00",
    "9999-12-31",
    "+275760-09-13T00:00:00Z",
    "2024-02-30T25:61:61Z",
    "COMPLETE",
    "IN_PROGRESS",
    "external",
    "r",
    "w",
    "d",
    "US",
    "\\ud800",
    "\\udc00\\ud800",
    "\\ud83d\\ude00",
    "\\u0000",
    "\\\"",
    "\\\\",
    "\\/",
    "\\q",
    "a\\u00e9b",
];

/// The responses [`JsonText::shaped`] builds.
#[derive(Clone, Copy)]
enum Shape {
    Page,
    Child,
    CreditCard,
    Proxy,
    TokenList,
    Token,
    Permissions,
    Namespaces,
    Namespace,
    Policy,
}

impl Shape {
    /// The keys, each with the shape of its value when it is an object (or a list of them).
    fn fields(self) -> &'static [(&'static str, Option<Shape>)] {
        match self {
            Self::Page => &[
                ("data", Some(Self::Child)),
                ("page", None),
                ("pages", None),
                ("results", None),
            ],
            Self::Child => &[
                ("active_since", None),
                ("address_1", None),
                ("address_2", None),
                ("balance", None),
                ("balance_uninvoiced", None),
                ("billing_source", None),
                ("capabilities", None),
                ("city", None),
                ("company", None),
                ("country", None),
                ("credit_card", Some(Self::CreditCard)),
                ("email", None),
                ("euuid", None),
                ("first_name", None),
                ("last_name", None),
                ("phone", None),
                ("state", None),
                ("tax_id", None),
                ("zip", None),
            ],
            Self::CreditCard => &[("expiry", None), ("last_four", None)],
            Self::Proxy => &[
                ("created", None),
                ("expiry", None),
                ("id", None),
                ("label", None),
                ("scopes", None),
                ("token", None),
            ],
            Self::TokenList => &[("tokens", Some(Self::Token))],
            Self::Token => &[
                ("allowOnProduction", None),
                ("allowOnStaging", None),
                ("cpcode", None),
                ("expiry", None),
                ("issueDate", None),
                ("latestRefreshDate", None),
                ("name", None),
                ("namespacePermissions", Some(Self::Permissions)),
                ("nextScheduledRefreshDate", None),
                ("restrictToEdgeWorkerIds", None),
                ("tokenActivationStatus", None),
                ("uuid", None),
                ("value", None),
            ],
            Self::Permissions => &[("default", None), ("marketing", None)],
            Self::Namespaces => &[("namespaces", Some(Self::Namespace))],
            Self::Namespace => &[
                ("dataAccessPolicy", Some(Self::Policy)),
                ("geoLocation", None),
                ("groupId", None),
                ("namespace", None),
                ("retentionInSeconds", None),
            ],
            Self::Policy => &[("policyType", None), ("restrictDataAccess", None)],
        }
    }

    /// Whether a key of this shape holds a list of them.
    fn is_listed(self) -> bool {
        matches!(self, Self::Child | Self::Token | Self::Namespace)
    }
}

/// How deep generated values nest before only scalars are drawn (past serde_json's limit of
/// 128, for the nesting runs).
const MAX_JSON_DEPTH: usize = 160;

impl JsonText {
    /// A document: mostly an object with the keys of the decoded types, sometimes any value.
    fn document(&mut self, u: &mut Unstructured<'_>) {
        match draw(u, 0, 7) {
            0 => self.value(u, 0),
            1..=3 => self.object(u, 0),
            _ => {
                let shape = [
                    Shape::Page,
                    Shape::Proxy,
                    Shape::TokenList,
                    Shape::Namespaces,
                ][draw(u, 0, 3)];
                self.shaped(u, shape, 0);
            }
        }
        // Trailing bytes after the document, sometimes.
        if draw(u, 0, 15) == 0 {
            let rest: String = u.arbitrary().unwrap_or_default();
            self.out.push_str(&rest);
        }
    }

    fn value(&mut self, u: &mut Unstructured<'_>, depth: usize) {
        let kinds = if depth >= MAX_JSON_DEPTH { 6 } else { 9 };
        match draw(u, 0, kinds) {
            0 => self.out.push_str("null"),
            1 => self
                .out
                .push_str(if draw(u, 0, 1) == 0 { "true" } else { "false" }),
            2 => self.number(u),
            3 => {
                let text: String = u.arbitrary().unwrap_or_default();
                self.out.push_str(&Value::String(text).to_string());
            }
            4 => {
                // Written as is: escapes (lone surrogates included) reach the parser.
                self.out.push('"');
                self.out.push_str(pick(u, STRINGS));
                self.out.push('"');
            }
            5 => {
                // The marker amid other text: quotes and backslashes around it too.
                let head = pick(u, &["", "\"", "a\\", "x\" ", "`", "'"]);
                let tail: String = u.arbitrary().unwrap_or_default();
                self.out
                    .push_str(&Value::String(format!("{head}{MARKER}{tail}")).to_string());
            }
            6 => {
                // Raw text in place of a value: invalid JSON, or a surprise.
                let raw: String = u.arbitrary().unwrap_or_default();
                self.out.push_str(&raw);
            }
            7 => self.array(u, depth + 1),
            8 => self.object(u, depth + 1),
            _ => {
                // A run of nesting, deeper than serde_json allows, sometimes.
                let levels = draw(u, 1, 200);
                let objects = draw(u, 0, 1) == 0;
                for _ in 0..levels {
                    self.out.push_str(if objects { "{\"data\":" } else { "[" });
                }
                self.value(u, MAX_JSON_DEPTH);
                for _ in 0..levels {
                    self.out.push(if objects { '}' } else { ']' });
                }
            }
        }
    }

    /// An object shaped like a response: the keys of its type in order (each one sometimes
    /// left out), nested objects of their own shape, every value sometimes of another type.
    fn shaped(&mut self, u: &mut Unstructured<'_>, shape: Shape, depth: usize) {
        self.out.push('{');
        let mut first = true;
        for &(key, inner) in shape.fields() {
            if draw(u, 0, 3) == 0 {
                continue;
            }
            if !first {
                self.out.push(',');
            }
            first = false;
            self.out
                .push_str(&Value::String(key.to_owned()).to_string());
            self.out.push(':');
            match inner {
                Some(inner) if draw(u, 0, 5) != 0 && depth < 4 => {
                    if inner.is_listed() {
                        self.out.push('[');
                        for i in 0..draw(u, 0, 3) {
                            if i > 0 {
                                self.out.push(',');
                            }
                            self.shaped(u, inner, depth + 1);
                        }
                        self.out.push(']');
                    } else {
                        self.shaped(u, inner, depth + 1);
                    }
                }
                // Mostly scalars: a nested run now and then.
                _ => {
                    let depth = if draw(u, 0, 7) == 0 {
                        depth
                    } else {
                        MAX_JSON_DEPTH
                    };
                    self.value(u, depth);
                }
            }
        }
        self.out.push('}');
    }

    fn number(&mut self, u: &mut Unstructured<'_>) {
        match draw(u, 0, 3) {
            0 => self.out.push_str(pick(u, NUMBERS)),
            1 => {
                let n: i64 = u.arbitrary().unwrap_or_default();
                self.out.push_str(&n.to_string());
            }
            2 => {
                let n: f64 = u.arbitrary().unwrap_or_default();
                if n.is_finite() {
                    self.out.push_str(&Value::from(n).to_string());
                } else {
                    self.out.push_str("1e999");
                }
            }
            _ => {
                // A long run of digits.
                let digits = draw(u, 1, 400);
                let first = char::from(b'1' + draw(u, 0, 8) as u8);
                self.out.push(first);
                for _ in 1..digits {
                    self.out.push('9');
                }
            }
        }
    }

    fn array(&mut self, u: &mut Unstructured<'_>, depth: usize) {
        self.out.push('[');
        for i in 0..draw(u, 0, 4) {
            if i > 0 {
                self.out.push(',');
            }
            self.value(u, depth);
        }
        self.out.push(']');
    }

    fn object(&mut self, u: &mut Unstructured<'_>, depth: usize) {
        self.out.push('{');
        for i in 0..draw(u, 0, 8) {
            if i > 0 {
                self.out.push(',');
            }
            let key = if draw(u, 0, 7) == 0 {
                u.arbitrary::<String>().unwrap_or_default()
            } else {
                pick(u, KEYS).to_owned()
            };
            self.out.push_str(&Value::String(key).to_string());
            self.out.push(':');
            self.value(u, depth);
        }
        self.out.push('}');
    }
}

/// A number in `low..=high` drawn from `u` (`low` once the data has run out).
fn draw(u: &mut Unstructured<'_>, low: usize, high: usize) -> usize {
    u.int_in_range(low..=high).unwrap_or(low)
}

fn pick<'a>(u: &mut Unstructured<'_>, from: &[&'a str]) -> &'a str {
    from[draw(u, 0, from.len() - 1)]
}

// ---------------------------------------------------------------------------------------------
// Error bodies

/// An error answer, written like an HTTP response: a first line with the status (and `cut`
/// when the body was cut short), header lines, a blank line, then the body. It becomes an
/// [`ApiError`] the ways the runtime builds one (from a `reqwest::Response`, from a stream of
/// chunks, from bytes); never a panic, bounded snippets and messages, and a secret planted in
/// the body never shown.
pub fn check_error_body(data: &[u8]) {
    let response = HttpText::parse(data);
    let status = response.status.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = response
        .headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());

    // From bytes, as the runtime parses a body progenitor could not decode.
    let parsed = ErrorBody::parse(content_type, response.body, !response.cut);
    check_api_error(&ApiError::new(status, &response.headers, parsed), None);

    if !response.cut {
        // From a response, read bounded, as for an undocumented status.
        let mut builder = http::Response::builder().status(status);
        for (name, value) in &response.headers {
            builder = builder.header(name, value);
        }
        let reqwest_response = reqwest::Response::from(
            builder
                .body(response.body.to_vec())
                .expect("a response of a valid status and headers"),
        );
        let error = futures::executor::block_on(Error::from_response(reqwest_response));
        check_error(&error, None);

        // From a stream of chunks, as for an operation whose error body is untyped.
        let chunks: Vec<reqwest::Result<bytes::Bytes>> = response
            .body
            .chunks(response.body.len() / 3 + 1)
            .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
            .collect();
        let stream = progenitor_client::ByteStream::new(Box::pin(futures::stream::iter(chunks)));
        let generated = progenitor_client::Error::ErrorResponse(
            progenitor_client::ResponseValue::new(stream, status, response.headers.clone()),
        );
        let error = futures::executor::block_on(Error::from_generated_stream(generated));
        check_error(&error, None);
    }

    // The same text planted as a secret in bodies that carry secrets.
    let secret = format!("{MARKER}{}", String::from_utf8_lossy(response.body)).replace(MARKER, "");
    let secret = format!("{MARKER}{secret}");
    // (Without the input's headers, which may hold the marker themselves.)
    let headers = HeaderMap::new();
    for body in secret_bodies(&secret) {
        let parsed = ErrorBody::parse(Some("application/json"), body.as_bytes(), true);
        check_api_error(&ApiError::new(status, &headers, parsed), Some(MARKER));
        let parsed = ErrorBody::parse(Some("text/html"), body.as_bytes(), !response.cut);
        check_api_error(&ApiError::new(status, &headers, parsed), Some(MARKER));
    }
}

/// Bodies that hold `secret` where the redaction rules promise to hide it.
fn secret_bodies(secret: &str) -> Vec<String> {
    let quoted = Value::String(secret.to_owned()).to_string();
    // A bare value ends at these bytes, and an authorization credential at most of them.
    let bare: String = secret
        .chars()
        .filter(|c| {
            !c.is_ascii_whitespace() && !",;&\"'<>}])\\".contains(*c) && !c.is_ascii_control()
        })
        .collect();
    let mut bodies = vec![
        format!(
            r#"{{"type":"https://problems.example/x","title":"Bad","client_secret":{quoted}}}"#
        ),
        format!(
            r#"{{"title":"Bad","additionalDetail":{{"requestId":"r","access_token":{quoted}}}}}"#
        ),
        format!(r#"{{"errors":[{{"reason":"bad","field":"x","password":{quoted}}}]}}"#),
        format!(r#"{{"message":"no","nested":[{{"proxyToken":{quoted}}}],"value":{quoted}}}"#),
        format!(r#"{{"detail":"<p>\"token\": {}</p>"}}"#, &quoted[..]),
        format!(r#"<html><body>"api_key": {quoted} and more</body></html>"#),
    ];
    if !bare.is_empty() {
        bodies.push(format!("<p>token={bare} end</p>"));
        bodies.push(format!("Authorization: Bearer {bare}\n"));
        bodies.push(format!(r#"{{"detail":"sent password={bare}; retry"}}"#));
    }
    bodies
}

fn check_error(error: &Error, hidden: Option<&str>) {
    match error {
        Error::Api(api) => check_api_error(api, hidden),
        Error::Decode(decode) => {
            assert!(decode.snippet().is_none_or(|s| s.len() <= SNIPPET_BYTES));
        }
        other => panic!("an error answer became {other:?}"),
    }
}

fn check_api_error(api: &ApiError, hidden: Option<&str>) {
    let display = api.to_string();
    let debug = format!("{api:?}");
    if let Some(message) = api.message() {
        // The snippet and `…`.
        assert!(message.len() <= SNIPPET_BYTES + 3, "{}", message.len());
    }
    if let ErrorBody::Text(text) = api.body() {
        assert!(text.snippet.len() <= SNIPPET_BYTES);
    }
    for name in [
        "x-request-id",
        "content-type",
        "retry-after",
        "x-ratelimit-reset",
    ] {
        assert!(api.header(name).is_none_or(|v| v.len() <= 256));
    }
    let _ = api.request_id();
    let now = SystemTime::now();
    let _ = (api.retry_after(now), api.rate_limit_reset(now));
    let error = Error::Api(Box::new(api.clone()));
    let _ = (
        error.is_retryable(),
        error.is_not_found(),
        error.to_string(),
    );
    if let Some(hidden) = hidden {
        assert!(!display.contains(hidden), "a secret is shown: {display}");
        assert!(!debug.contains(hidden), "a secret is in Debug: {debug}");
    }
}

/// An HTTP response head and body, as the error body and headers checks read their input.
struct HttpText<'a> {
    status: Option<StatusCode>,
    cut: bool,
    headers: HeaderMap,
    body: &'a [u8],
}

impl<'a> HttpText<'a> {
    fn parse(data: &'a [u8]) -> Self {
        let (head, body) = match find(data, b"\n\n") {
            Some(at) => (&data[..at], &data[at + 2..]),
            None => (data, &data[data.len()..]),
        };
        let mut lines = head.split(|b| *b == b'\n');
        let first = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
        let mut words = first.split_whitespace();
        let status = words
            .next()
            .and_then(|s| s.parse::<u16>().ok())
            .and_then(|s| StatusCode::from_u16(s).ok());
        let cut = words.any(|w| w == "cut");
        let mut headers = HeaderMap::new();
        for line in lines {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let Some(colon) = line.iter().position(|b| *b == b':') else {
                continue;
            };
            let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(line[..colon].trim_ascii()),
                HeaderValue::from_bytes(line[colon + 1..].trim_ascii()),
            ) else {
                continue;
            };
            headers.append(name, value);
        }
        Self {
            status,
            cut,
            headers,
            body,
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

// ---------------------------------------------------------------------------------------------
// Retry-After, X-RateLimit-Reset and Date

/// Header lines (`name: value`): each value read as `Retry-After` and as a rate-limit reset
/// against several clocks, and as the server's time (a `Date`, or a problem's `requestTime`)
/// of a refused EdgeGrid timestamp; the waits of a 429 and a 503 carrying the headers go where
/// the SDK uses them (the retry policy, the deadline, the bulk writer's pause). Never a panic,
/// whatever the wait or the date.
pub fn check_headers(data: &[u8]) {
    let response = HttpText::parse(data);
    // Every line is a header here: the first one too, and the body's.
    let mut values: Vec<&[u8]> = Vec::new();
    for line in data.split(|b| *b == b'\n') {
        let value = match line.iter().position(|b| *b == b':') {
            Some(colon) => &line[colon + 1..],
            None => line,
        };
        values.push(value);
    }
    let clocks = [
        UNIX_EPOCH,
        SystemTime::now(),
        UNIX_EPOCH + Duration::from_secs(253_402_300_799), // 9999-12-31T23:59:59Z
        UNIX_EPOCH + Duration::from_secs(1 << 40),
    ];
    for value in values {
        let text = String::from_utf8_lossy(value);
        for now in clocks {
            let retry_after = crate::headers::parse_retry_after(&text, now);
            let reset = crate::headers::parse_reset(&text, now);
            for wait in [retry_after, reset].into_iter().flatten() {
                use_wait(wait);
            }
        }
    }
    // `Date` (and a problem's `requestTime`): the server's clock against the signer's, when
    // the API refuses a request's timestamp.
    for value in data.split(|b| *b == b'\n') {
        let text = String::from_utf8_lossy(value);
        let text = text.split_once(':').map_or(&*text, |(_, v)| v);
        let body = ErrorBody::from_json(serde_json::json!({
            "title": "Bad request",
            "detail": "Invalid timestamp",
            "requestTime": text,
        }));
        for signed_at in [
            None,
            Some(0),
            Some(1_716_286_272),
            Some(i64::MAX),
            Some(i64::MIN),
        ] {
            let api = ApiError::new(StatusCode::UNAUTHORIZED, &response.headers, body.clone());
            let error = crate::error::recognize_clock_skew(
                Error::Api(Box::new(api)),
                signed_at,
                SystemTime::now(),
            );
            let skew = error.clock_skew().expect("a timestamp refusal");
            let _ = (skew.offset().map(|o| o.magnitude()), error.to_string());
        }
    }
    for status in [
        StatusCode::TOO_MANY_REQUESTS,
        StatusCode::SERVICE_UNAVAILABLE,
    ] {
        let error = Error::Api(Box::new(ApiError::new(
            status,
            &response.headers,
            ErrorBody::Empty,
        )));
        for now in clocks {
            for policy in [
                RetryPolicy::default(),
                RetryPolicy::default().with_max_total_wait(Duration::MAX),
            ] {
                if let Some(wait) = policy.next_wait(true, &error, 1, Duration::ZERO, now) {
                    assert!(wait <= policy.max_total_wait());
                    use_wait(wait);
                }
            }
            if let Some(api) = error.api() {
                for wait in [api.retry_after(now), api.rate_limit_reset(now)]
                    .into_iter()
                    .flatten()
                {
                    use_wait(wait);
                }
            }
        }
    }
}

/// Hands a wait the server asked for to what uses one.
fn use_wait(wait: Duration) {
    let now = tokio::time::Instant::now();
    let _ = crate::runtime::ends_at_or_past(now, wait, now + Duration::from_secs(10));
    AdaptiveRate::new(10.0, None).throttled(now, Some(wait));
}

// ---------------------------------------------------------------------------------------------
// edgekv_tokens.js

/// The `edgekv_tokens.js` reader: never a panic; a file it reads renders to text it reads
/// back the same; a legacy token value is never in `Debug`.
pub fn check_tokens_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match TokensFile::parse(&text) {
        Ok(file) => {
            let rendered = file.render();
            let back = TokensFile::parse(&rendered).expect("a rendered edgekv_tokens.js parses");
            assert_eq!(back, file, "edgekv_tokens.js does not read back as written");
            let debug = format!("{file:?}");
            // What Debug may show: the keys, names and references.
            let shown: Vec<&str> = file
                .entries()
                .flat_map(|(key, entry)| {
                    let reference = match &entry.credential {
                        TokenCredential::Reference(r) => r.as_str(),
                        TokenCredential::Value(_) => "",
                    };
                    [key, entry.name.as_str(), reference]
                })
                .collect();
            for (_, entry) in file.entries() {
                if let TokenCredential::Value(value) = &entry.credential {
                    let value = value.expose_secret();
                    if value.starts_with(MARKER) && !shown.iter().any(|s| s.contains(value)) {
                        assert!(!debug.contains(value), "a token value is in Debug");
                    }
                }
            }
        }
        Err(error) => {
            let _ = (error.to_string(), format!("{error:?}"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// X-Filter

/// Filters built from arbitrary field names and JSON values: the `X-Filter` text is visible
/// ASCII, a valid header value, and reads back through `serde_json` as the filter's JSON.
pub fn check_filter(data: &[u8]) {
    let filter = filter_of(data);
    let json = filter.to_json();
    assert!(json.is_object());
    let header = filter.to_header();
    assert!(
        header.bytes().all(|b| (b' '..=b'~').contains(&b)),
        "not visible ASCII: {header:?}"
    );
    let back: Value = serde_json::from_str(&header)
        .unwrap_or_else(|e| panic!("the X-Filter does not parse: {e}: {header:?}"));
    assert!(
        same_json(&back, &json),
        "the X-Filter reads back as another filter: {back:?} vs {json:?}"
    );
    let value = crate::linode::filter::header_value(&json).expect("an X-Filter header value");
    assert_eq!(value.to_str().ok(), Some(header.as_str()));
}

/// The filter [`check_filter`] builds from `data`.
fn filter_of(data: &[u8]) -> Filter {
    let mut u = Unstructured::new(data);
    if draw(&mut u, 0, 3) == 0 {
        child_filter(&mut u, 0).into()
    } else {
        any_filter(&mut u, 0)
    }
}

/// Equal JSON, floats to within a few units in the last place: the text holds the shortest
/// digits that read back exactly (ryu), but serde_json's default parser reads some of them a
/// unit or two off (its `float_roundtrip` feature, off in the SDK, would read them exactly).
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => x == y || x.to_bits().abs_diff(y.to_bits()) <= 4,
                _ => false,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, x)| y.get(key).is_some_and(|y| same_json(x, y)))
        }
        _ => a == b,
    }
}

const FILTER_FIELDS: &[&str] = &[
    "label",
    "region",
    "specs.memory",
    "tags",
    "+or",
    "+and",
    "+order_by",
    "+order",
    "",
];

fn field(u: &mut Unstructured<'_>) -> String {
    if draw(u, 0, 2) == 0 {
        pick(u, FILTER_FIELDS).to_owned()
    } else {
        u.arbitrary().unwrap_or_default()
    }
}

fn json_value(u: &mut Unstructured<'_>, depth: usize) -> Value {
    match draw(u, 0, if depth > 3 { 6 } else { 8 }) {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary().unwrap_or_default()),
        2 => Value::from(u.arbitrary::<i64>().unwrap_or_default()),
        3 => Value::from(u.arbitrary::<u64>().unwrap_or_default()),
        4 => Value::from(u.arbitrary::<f64>().unwrap_or_default()),
        5 => Value::from(pick(u, STRINGS)),
        6 => Value::String(u.arbitrary().unwrap_or_default()),
        7 => Value::Array(
            (0..draw(u, 0, 3))
                .map(|_| json_value(u, depth + 1))
                .collect(),
        ),
        _ => Value::Object(
            (0..draw(u, 0, 3))
                .map(|_| (field(u), json_value(u, depth + 1)))
                .collect::<Map<_, _>>(),
        ),
    }
}

fn order(u: &mut Unstructured<'_>) -> Order {
    if draw(u, 0, 1) == 0 {
        Order::Asc
    } else {
        Order::Desc
    }
}

fn any_filter(u: &mut Unstructured<'_>, depth: usize) -> Filter {
    let mut filter = Filter::new();
    for _ in 0..draw(u, 0, 6) {
        filter = match draw(u, 0, 8) {
            0 => filter.eq(field(u), json_value(u, 0)),
            1 => filter.neq(field(u), json_value(u, 0)),
            2 => filter.contains(field(u), u.arbitrary::<String>().unwrap_or_default()),
            3 => filter.gt(field(u), json_value(u, 0)),
            4 => filter.gte(field(u), json_value(u, 0)),
            5 => filter.lt(field(u), json_value(u, 0)),
            6 => filter.lte(field(u), json_value(u, 0)),
            7 if depth < 3 => {
                let alternatives: Vec<Filter> = (0..draw(u, 0, 3))
                    .map(|_| any_filter(u, depth + 1))
                    .collect();
                filter.or(alternatives)
            }
            _ => filter.order_by(field(u), order(u)),
        };
    }
    filter
}

const CHILD_FIELDS: &[ChildAccountField] = &[
    ChildAccountField::Address1,
    ChildAccountField::Address2,
    ChildAccountField::City,
    ChildAccountField::Company,
    ChildAccountField::Country,
    ChildAccountField::Email,
    ChildAccountField::FirstName,
    ChildAccountField::LastName,
    ChildAccountField::Phone,
    ChildAccountField::State,
    ChildAccountField::Zip,
];

fn child_filter(u: &mut Unstructured<'_>, depth: usize) -> ChildAccountFilter {
    let mut filter = ChildAccountFilter::new();
    for _ in 0..draw(u, 0, 6) {
        let field = CHILD_FIELDS[draw(u, 0, CHILD_FIELDS.len() - 1)];
        let text: String = u.arbitrary().unwrap_or_default();
        filter = match draw(u, 0, 5) {
            0 => filter.eq(field, text),
            1 => filter.neq(field, text),
            2 => filter.contains(field, text),
            3 => filter.company(text),
            4 if depth < 3 => {
                let alternatives: Vec<ChildAccountFilter> = (0..draw(u, 0, 3))
                    .map(|_| child_filter(u, depth + 1))
                    .collect();
                filter.or(alternatives)
            }
            _ => filter.order_by(field, order(u)),
        };
    }
    filter
}

// ---------------------------------------------------------------------------------------------
// EdgeGrid signing

const HOSTS: &[&str] = &[
    "akab-host.luna.akamaiapis.net",
    "127.0.0.1:8080",
    "[::1]:8443",
    "localhost:1",
];
const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"];
const TIMESTAMP: &str = "20240521T10:11:12+0000";
const NONCE: &str = "3f1c2b6e-7a0d-4c52-9a3e-1b2c3d4e5f60";

/// A request to an arbitrary path and query (any text after the host: spaces, `%`, non-ASCII,
/// `#`, `?`, `..`), signed as the SDK signs: the path and query signed are the request target
/// sent (the one reqwest hands to hyper), the signature is the uncached computation's, and
/// signing again changes nothing.
pub fn check_signing(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let host = pick(&mut u, HOSTS);
    let method = pick(&mut u, METHODS);
    let account_key = if draw(&mut u, 0, 2) == 0 {
        Some(u.arbitrary::<String>().unwrap_or_default())
    } else {
        None
    };
    let body: Vec<u8> = if method == "POST" {
        u.arbitrary().unwrap_or_default()
    } else {
        Vec::new()
    };
    let tail = String::arbitrary_take_rest(u).unwrap_or_default();
    let mut builder = Credentials::builder(host, "akab-ct", "secret", "akab-at");
    if let Some(key) = &account_key {
        builder = builder.account_key(key);
    }
    let Ok(credentials) = builder.build() else {
        return;
    };
    let scheme = if host.starts_with("akab") {
        "https"
    } else {
        "http"
    };
    let separator = if tail.starts_with(['/', '?', '#']) {
        ""
    } else {
        "/"
    };
    let Ok(url) = url::Url::parse(&format!(
        "{scheme}://{}{separator}{tail}",
        credentials.host()
    )) else {
        return;
    };
    let signer = EdgeGridSigner::new(credentials.clone());
    if !signer.is_own_host(&url) {
        return;
    }
    let timestamp: Timestamp = TIMESTAMP.parse().expect("a timestamp");
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let mut request = reqwest::Request::new(method.clone(), url);
    if !body.is_empty() {
        *request.body_mut() = Some(body.into());
    }
    signer
        .sign_at(&mut request, &timestamp, NONCE)
        .expect("a request to the credentials' host signs");
    let authorization = request
        .headers()
        .get(reqwest::header::AUTHORIZATION)
        .expect("an Authorization header")
        .to_str()
        .expect("a visible ASCII Authorization")
        .to_owned();
    let parts = RequestParts::from_request(&request).expect("the parts of a signed request");
    let signed = signer.sign_parts_debug(&parts, &timestamp, NONCE);
    assert_eq!(signed.authorization, authorization);
    let uncached = sign_parts_uncached(&credentials, &parts, &timestamp, NONCE);
    assert_eq!(uncached.authorization, authorization);
    assert_eq!(uncached.data_to_sign, signed.data_to_sign);
    let fields: Vec<&str> = signed.data_to_sign.split('\t').collect();
    assert_eq!(fields.len(), 7, "{:?}", signed.data_to_sign);
    assert_eq!(fields[0], method.as_str());
    assert_eq!(fields[1], scheme);
    assert_eq!(fields[2], credentials.host());
    let signed_target = fields[3].to_owned();

    // Signing again (a retry) neither changes the URL nor the signature.
    let url = request.url().clone();
    signer
        .sign_at(&mut request, &timestamp, NONCE)
        .expect("signs again");
    assert_eq!(request.url(), &url);
    assert_eq!(
        request
            .headers()
            .get(reqwest::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
        Some(authorization.as_str())
    );

    // What reqwest hands to hyper, which writes the origin form of its URI.
    let Ok(sent) = http::Request::<reqwest::Body>::try_from(request) else {
        // reqwest refuses to send it: nothing goes out.
        return;
    };
    let target = match sent.uri().path_and_query().map(|pq| pq.as_str()) {
        None | Some("") => "/",
        Some(target) => target,
    };
    assert_eq!(signed_target, target, "signed vs sent");
}

// ---------------------------------------------------------------------------------------------
// EdgeKV bulk files and journal

/// A JSON Lines file of a bulk import: never a panic, every record read is counted (so that
/// a malformed line is a failed item, not the end of the run), and every item read and
/// written back as an export writes it reads back the same.
pub fn check_bulk_jsonl(data: &[u8]) {
    for group in [None, Some("g")] {
        check_bulk_file(data, &FileFormat::JsonLines, group);
    }
}

/// A CSV file of a bulk import, keyed on its first column (a row stored as a JSON object,
/// or its last column stored as text): as [`check_bulk_jsonl`].
pub fn check_bulk_csv(data: &[u8]) {
    let columns: Vec<String> = csv::Reader::from_reader(data)
        .headers()
        .map(|h| h.iter().map(str::to_owned).collect())
        .unwrap_or_default();
    let key = columns.first().cloned().unwrap_or_else(|| "id".to_owned());
    check_bulk_file(data, &FileFormat::csv(&key), Some("g"));
    if let Some(value) = columns.last().filter(|_| columns.len() > 1) {
        check_bulk_file(data, &FileFormat::csv_value(&key, value), Some("g"));
    }
    check_bulk_file(data, &FileFormat::csv("no such column"), Some("g"));
}

fn check_bulk_file(data: &[u8], file_format: &FileFormat, group: Option<&str>) {
    let path = Path::new("fuzz.input");
    let source = || -> format::Source { Box::new(Cursor::new(data.to_vec())) };
    let count = format::count_in(path, source(), file_format);
    let Ok(reader) = format::Reader::new(path, source(), file_format, group) else {
        return;
    };
    let mut records = 0;
    for record in reader {
        records += 1;
        match record {
            Ok(item) => export_round_trip(&item),
            Err(error) => {
                assert!(
                    matches!(error, crate::edgekv::bulk::BulkError::Record { .. }),
                    "a record of a file in memory failed with {error:?}"
                );
                let _ = error.to_string();
            }
        }
    }
    let count = count.expect("a file in memory is counted");
    assert_eq!(count, records, "records counted vs read");
}

/// An item as an export writes it, imported again: the same item.
fn export_round_trip(item: &crate::edgekv::bulk::BulkItem) {
    let stored = Item::new(
        Some(item.value.content_type().to_owned()),
        bytes::Bytes::copy_from_slice(item.value.as_bytes()),
    );
    let mut line = Vec::new();
    format::write_record(&mut line, &item.group, &item.id, &stored).expect("writes to memory");
    assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
    let mut back = format::Reader::new(
        Path::new("export"),
        Box::new(Cursor::new(line.clone())),
        &FileFormat::JsonLines,
        None,
    )
    .expect("a JSON Lines reader");
    let again = back
        .next()
        .expect("one record")
        .unwrap_or_else(|e| panic!("an exported record does not import: {e}"));
    assert!(back.next().is_none());
    assert_eq!(again.group, item.group);
    assert_eq!(again.id, item.id);
    assert_eq!(again.value.as_bytes(), item.value.as_bytes());
    assert_eq!(again.value.content_type(), item.value.content_type());
}

/// A bulk journal: any bytes read; and the journal of a run whose lines after the header are
/// these bytes opens as that run's, with every complete line acknowledged and a last line cut
/// short (by a crash, maybe inside a character) not.
pub fn check_bulk_journal(data: &[u8]) {
    let header = journal::header(Network::Staging, "ns");
    let contents = journal::Contents::read(data).expect("reading from memory");
    let _ = contents.check(&header);

    let mut file = format!("{header}\n").into_bytes();
    file.extend_from_slice(data);
    let contents = journal::Contents::read(&file[..]).expect("reading from memory");
    assert_eq!(contents.check(&header), Ok(true));
    let complete = data.is_empty() || data.ends_with(b"\n");
    assert_eq!(contents.is_complete(), complete);
    let mut lines: Vec<&[u8]> = data.split(|b| *b == b'\n').collect();
    let last = lines.pop().unwrap_or_default();
    for line in &lines {
        if let Ok(text) = std::str::from_utf8(line) {
            assert!(
                contents.contains(text),
                "a complete line is not acknowledged"
            );
        }
    }
    assert!(contents.len() <= lines.len());
    if let Ok(text) = std::str::from_utf8(last) {
        if !last.is_empty() && !lines.contains(&last) {
            assert!(!contents.contains(text), "a cut line is acknowledged");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_takes_empty_and_small_inputs() {
        for (name, check) in TARGETS {
            for data in [&b""[..], b"\0", b"{", b"\xff\xfe", b"a\nb\n\n", b"[]"] {
                let result = std::panic::catch_unwind(|| check(data));
                assert!(result.is_ok(), "{name} on {data:?}");
            }
        }
    }
}
