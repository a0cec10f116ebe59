//! The contract test over every Linode operation: for each operation of `specs/linode.json`,
//! one valid request is built from the spec alone (no SDK code involved), sent to Prism serving
//! the wire view, and Prism's answer is decoded with the SDK's typed answer of that operation
//! (`akamai_sdk::generated::linode::decode_answer`).
//!
//! The request: path parameters from their examples ([`path_value`], percent-encoded as one
//! path segment: Linode image ids such as `linode/debian11` hold a slash), required query and
//! header parameters likewise, `Authorization: Bearer …` (the `personalAccessToken` scheme), and
//! a body from the operation's request example or, when it has none (no Linode operation has
//! one), synthesised from its schema by [`Synth`].
//!
//! Normalisation rule `binary_request_bodies` replaces request media types progenitor cannot
//! encode (Linode's `image/png` thumbnail and `multipart/form-data` ticket attachment) by
//! `application/octet-stream`, and keeps no record of them: the wire view here takes them back
//! from the upstream spec (the pinned mirror file, as `cargo xtask pull` reads it), and the
//! request is sent in the media type the API documents.
//!
//! An operation passes when Prism answers 2xx without finding the request invalid (its
//! `sl-violations` header names no `request` location, and its log has no request problem) and
//! the answer decodes. Operations that cannot pass are listed in [`UNSERVABLE`] with the
//! reason; a listed operation that passes fails the test, so that the list stays true.
//!
//! Needs Prism, the pulled specs and the spec mirror (`SPECS_MIRROR` or `../shared/upstream`):
//! without them the trial is ignored with the reason, or fails when `CI` is set (see
//! [`crate::harness`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use akamai_sdk::generated::reqwest;
use futures::StreamExt as _;
use serde_json::{json, Map, Value};

use crate::contract::{encode_component as encode, path_value, spec_and_prism, Prism};
use crate::harness::{block_on, Check, Found, Need};

/// Requests in flight at once.
const CONCURRENCY: usize = 8;

/// Operations of `specs/linode.json` that this test cannot pass, with the reason. Keep it
/// short and true: the test fails when a listed operation passes.
///
/// All of them are answers: every request built here is accepted. Where the spec's example
/// answer breaks its own schema, Prism serves it all the same and the SDK's type (built from
/// the schema) rightly refuses it.
const UNSERVABLE: &[(&str, &str)] = &[
    ("get-linode-stats", LINODE_STATS),
    ("get-linode-stats-by-year-month", LINODE_STATS),
    ("get-lke-cluster-acl", LKE_ACL),
    ("put-lke-cluster-acl", LKE_ACL),
    (
        "get-managed-stats",
        "the spec's example answer breaks its own schema: every sample's `y` is `type: \
         integer` with the example 29.94",
    ),
    (
        "get-node-balancer-stats",
        "the spec's example answer breaks its own schema: `data.connections` and \
         `data.traffic.in`/`out` are arrays of numbers whose item example is a [timestamp, \
         value] pair (like the Linode stats; if the API answers pairs, the schema, and the \
         SDK's `Vec<f64>` with it, is what is wrong)",
    ),
    ("get-payment", PAYMENT_USD),
    ("get-payments", PAYMENT_USD),
    ("get-stack-script", STACKSCRIPT_UDF),
    ("get-stack-scripts", STACKSCRIPT_UDF),
    ("post-add-stack-script", STACKSCRIPT_UDF),
    ("put-stack-script", STACKSCRIPT_UDF),
    ("get-ticket", TICKET_ATTACHMENTS),
    ("get-tickets", TICKET_ATTACHMENTS),
    ("post-ticket", TICKET_ATTACHMENTS),
];

const LINODE_STATS: &str = "the spec's example answer breaks its own schema: each sample of \
    `cpu`, `io.*`, `netv4.*`, `netv6.*` is `type: number` with a whole [timestamp, value] pair \
    as its example, so the answer nests one array too deep";
const LKE_ACL: &str = "Prism cannot serve it: the answer schema is an allOf whose second \
    branch re-declares `acl.addresses.ipv4`, `ipv6` and `acl.revision-id` as `{}`; Prism builds \
    its answer with `null` there (and no `enabled`), against the first branch's arrays and string";
const PAYMENT_USD: &str = "the spec's example answer breaks its own schema: `usd` is `type: \
    integer` with the example \"120.50\", which the SDK's lenient decoding does not turn into \
    an integer (a dollar amount is likely not an integer: the schema is doubtful too)";
const STACKSCRIPT_UDF: &str = "the spec's example answer breaks its own schema: \
    `user_defined_fields` is an array, its example a single object";
const TICKET_ATTACHMENTS: &str = "the spec's example answer breaks its own schema: \
    `attachments` is an array of strings whose item example is an array of two strings";

/// The trial of this module.
pub(crate) fn checks() -> Vec<Check> {
    let mut needs = crate::contract::needs("linode");
    needs.push(Need::Upstream("linode"));
    vec![Check::new(
        "contract_all::contract_linode_every_operation",
        needs,
        |found| block_on(contract_linode_every_operation(found)),
    )]
}

/// Gives every request body of the wire view `wire` back the media types the upstream spec
/// documents and the normalisation replaced (rule `binary_request_bodies`: `image/png` and
/// `multipart/form-data` became `application/octet-stream`), and drops the stand-ins the
/// upstream spec does not have. Operations are matched by id. Returns what it changed.
fn restore_request_media_types(wire: &mut Value, upstream: &Value) -> Vec<String> {
    let mut upstream_bodies = BTreeMap::new();
    for item in upstream["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for op in item.as_object().into_iter().flat_map(|o| o.values()) {
            let (Some(id), Some(body)) = (op["operationId"].as_str(), op.get("requestBody")) else {
                continue;
            };
            let body = match body.get("$ref").and_then(Value::as_str) {
                Some(r) => upstream.pointer(r.trim_start_matches('#')).unwrap_or(body),
                None => body,
            };
            if let Some(Value::Object(content)) = body.get("content") {
                upstream_bodies.insert(id.to_owned(), content.clone());
            }
        }
    }
    let mut changed = Vec::new();
    for item in wire["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|p| p.values_mut())
    {
        for op in item
            .as_object_mut()
            .into_iter()
            .flat_map(|o| o.values_mut())
        {
            let Some(id) = op["operationId"].as_str().map(str::to_owned) else {
                continue;
            };
            let Some(upstream_content) = upstream_bodies.get(&id) else {
                continue;
            };
            let Some(body) = op.get_mut("requestBody").and_then(Value::as_object_mut) else {
                continue;
            };
            let kept: BTreeSet<String> = body
                .get("x-other-media-types")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|o| o.keys().cloned())
                .collect();
            let Some(Value::Object(content)) = body.get_mut("content") else {
                continue;
            };
            let dropped: Vec<&String> = upstream_content
                .keys()
                .filter(|m| !content.contains_key(*m) && !kept.contains(*m))
                .collect();
            if dropped.is_empty() {
                continue;
            }
            let stand_ins: Vec<String> = content
                .keys()
                .filter(|m| !upstream_content.contains_key(*m))
                .cloned()
                .collect();
            for media in &stand_ins {
                content.remove(media);
            }
            for media in &dropped {
                content.insert((*media).clone(), upstream_content[*media].clone());
            }
            changed.push(format!(
                "{id}: {} instead of {}",
                dropped
                    .iter()
                    .map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                stand_ins.join(", ")
            ));
        }
    }
    changed
}

/// Synthesises request values from schemas: required properties only, each from its example
/// (when it has the schema's type), first enum value, default, or a placeholder of its type
/// and format that meets `minimum`, `minLength` and `minItems`; through `$ref`, `allOf`
/// (merged deeply, so that a branch's `required` meets another branch's `properties`) and the
/// first branch of `oneOf`/`anyOf`. Read-only properties are left out.
struct Synth<'s> {
    spec: &'s Value,
    /// Where a schema's example breaks its own type (the value sent instead is noted).
    notes: Vec<String>,
}

impl Synth<'_> {
    fn resolve(&self, schema: &Value) -> Value {
        let mut schema = schema.clone();
        for _ in 0..32 {
            let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
                break;
            };
            schema = self
                .spec
                .pointer(reference.trim_start_matches('#'))
                .cloned()
                .unwrap_or(Value::Null);
        }
        schema
    }

    /// The schema with `$ref` followed and `allOf` merged into it.
    fn flat(&self, schema: &Value) -> Map<String, Value> {
        let Value::Object(mut schema) = self.resolve(schema) else {
            return Map::new();
        };
        if let Some(Value::Array(branches)) = schema.remove("allOf") {
            for branch in &branches {
                schema = self.merge(schema, self.flat(branch));
            }
        }
        schema
    }

    fn merge(&self, mut into: Map<String, Value>, from: Map<String, Value>) -> Map<String, Value> {
        for (key, value) in from {
            match (key.as_str(), into.get_mut(&key), value) {
                ("properties", Some(Value::Object(props)), Value::Object(more)) => {
                    for (name, schema) in more {
                        let merged = match props.remove(&name) {
                            Some(old) => {
                                Value::Object(self.merge(self.flat(&old), self.flat(&schema)))
                            }
                            None => schema,
                        };
                        props.insert(name, merged);
                    }
                }
                ("required", Some(Value::Array(required)), Value::Array(more)) => {
                    for name in more {
                        if !required.contains(&name) {
                            required.push(name);
                        }
                    }
                }
                (_, Some(_), _) => {}
                (_, None, value) => {
                    into.insert(key, value);
                }
            }
        }
        into
    }

    fn value(&mut self, schema: &Value, at: &str, depth: usize) -> Value {
        let schema = self.flat(schema);
        if depth > 24 {
            return Value::Null;
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(branches)) = schema.get(key) {
                let mut rest = schema.clone();
                rest.remove(key);
                let merged = match branches.first() {
                    Some(first) => self.merge(rest, self.flat(first)),
                    None => rest,
                };
                return self.value(&Value::Object(merged), at, depth + 1);
            }
        }
        let ty = schema.get("type").and_then(Value::as_str);
        if ty == Some("object") || schema.contains_key("properties") {
            let empty = Map::new();
            let properties = schema
                .get("properties")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            let mut out = Map::new();
            for name in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                let value = match properties.get(name) {
                    Some(p) if self.flat(p).get("readOnly") == Some(&json!(true)) => continue,
                    Some(p) => self.value(p, &format!("{at}.{name}"), depth + 1),
                    None => json!("example"),
                };
                out.insert(name.to_owned(), value);
            }
            if out.is_empty() && properties.is_empty() {
                if let Some(example) = schema.get("example").filter(|e| e.is_object()) {
                    return example.clone();
                }
            }
            return Value::Object(out);
        }
        if let Some(example) = schema.get("example").filter(|e| !e.is_null()) {
            if fits(example, ty) {
                return example.clone();
            }
            if ty == Some("string") && (example.is_number() || example.is_boolean()) {
                self.notes.push(format!(
                    "{at}: example {example} is not a string (`type: string`); sent as \"{example}\""
                ));
                return Value::String(example.to_string());
            }
            self.notes.push(format!(
                "{at}: example {example} is not of the schema's `type: {}`; not sent",
                ty.unwrap_or("?")
            ));
        }
        if let Some(first) = schema.get("enum").and_then(|e| e.get(0)) {
            return first.clone();
        }
        if let Some(default) = schema.get("default").filter(|d| !d.is_null()) {
            return default.clone();
        }
        match ty {
            Some("array") => {
                let n = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
                let items = schema.get("items").cloned().unwrap_or(json!({}));
                (0..n)
                    .map(|i| self.value(&items, &format!("{at}[{i}]"), depth + 1))
                    .collect()
            }
            Some("integer") => json!(schema.get("minimum").and_then(Value::as_i64).unwrap_or(1)),
            Some("number") => schema.get("minimum").cloned().unwrap_or(json!(1)),
            Some("boolean") => json!(true),
            Some("string") => {
                let format = schema.get("format").and_then(Value::as_str);
                let text = match format {
                    Some("date-time") => "2024-01-01T00:00:00Z".to_owned(),
                    Some("date") => "2024-01-01".to_owned(),
                    Some("email") => "user@example.com".to_owned(),
                    Some("ipv4" | "ip") => "192.0.2.1".to_owned(),
                    Some("ipv6") => "2001:db8::1".to_owned(),
                    Some("uuid") => "123e4567-e89b-12d3-a456-426614174000".to_owned(),
                    Some("uri" | "url") => "https://example.com".to_owned(),
                    _ => {
                        let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(1);
                        "x".repeat(usize::try_from(min.max(1)).unwrap_or(1))
                    }
                };
                Value::String(text)
            }
            _ => json!("example"),
        }
    }
}

fn fits(value: &Value, ty: Option<&str>) -> bool {
    match ty {
        None => true,
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some("array") => value.is_array(),
        Some("object") => value.is_object(),
        Some(_) => true,
    }
}

/// One request built from the spec.
struct Planned {
    id: String,
    label: String,
    method: reqwest::Method,
    /// Path and query, below Prism's root.
    target: String,
    headers: Vec<(String, String)>,
    body: Option<(String, Vec<u8>)>,
    /// What [`Synth`] noticed on the way.
    notes: Vec<String>,
}

/// The smallest PNG: a 1x1 transparent image.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

const BOUNDARY: &str = "contract-test-boundary-7d1f";

/// The text of a form field's value.
fn form_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The request body of `op` in the media type the wire view lists first (JSON when it is
/// there): the media type's example, else one of its `examples`, else a value synthesised
/// from its schema, encoded for that media type.
fn body(synth: &mut Synth<'_>, op: &Value) -> Option<(String, Vec<u8>)> {
    let request = synth.resolve(op.get("requestBody")?);
    let content = request.get("content")?.as_object()?;
    let (media, spec) = content
        .get_key_value("application/json")
        .or_else(|| content.iter().next())?;
    let example = spec.get("example").cloned().or_else(|| {
        spec.get("examples")
            .and_then(Value::as_object)
            .and_then(|e| e.values().next())
            .map(|e| synth.resolve(e))
            .and_then(|e| e.get("value").cloned())
    });
    let schema = spec.get("schema").cloned().unwrap_or(json!({}));
    let value = example.unwrap_or_else(|| synth.value(&schema, "body", 0));
    let essence = media.split(';').next().unwrap_or(media).trim();
    Some(match essence {
        m if m == "application/json" || m.ends_with("+json") => {
            (media.clone(), serde_json::to_vec(&value).unwrap())
        }
        "multipart/form-data" => {
            let schema = synth.flat(&schema);
            let mut out = Vec::new();
            for (name, value) in value.as_object().into_iter().flatten() {
                let binary = schema
                    .get("properties")
                    .and_then(|p| p.get(name))
                    .map(|p| synth.flat(p))
                    .and_then(|p| p.get("format").cloned())
                    == Some(json!("binary"));
                out.extend_from_slice(
                    format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"")
                        .as_bytes(),
                );
                if binary {
                    out.extend_from_slice(
                        b"; filename=\"example.bin\"\r\nContent-Type: application/octet-stream\r\n\r\nexample",
                    );
                } else {
                    out.extend_from_slice(b"\r\n\r\n");
                    out.extend_from_slice(form_text(value).as_bytes());
                }
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
            (format!("multipart/form-data; boundary={BOUNDARY}"), out)
        }
        "application/x-www-form-urlencoded" => {
            let pairs: Vec<String> = value
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| format!("{}={}", encode(k), encode(&form_text(v))))
                .collect();
            (media.clone(), pairs.join("&").into_bytes())
        }
        "image/png" => (media.clone(), PNG.to_vec()),
        m if m.starts_with("text/") => (media.clone(), form_text(&value).into_bytes()),
        _ => (media.clone(), b"example".to_vec()),
    })
}

/// One request for every operation of `spec` (the wire view), sorted by operation id.
fn plan(spec: &Value) -> Vec<Planned> {
    let mut planned = Vec::new();
    for (template, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let mut synth = Synth {
                spec,
                notes: Vec::new(),
            };
            let parameters: Vec<Value> = item
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .chain(op.get("parameters").and_then(Value::as_array))
                .flatten()
                .map(|p| synth.resolve(p))
                .collect();
            let mut path = template.clone();
            let mut query = Vec::new();
            let mut headers = vec![(
                "authorization".to_owned(),
                "Bearer contract-token".to_owned(),
            )];
            for parameter in &parameters {
                let name = parameter["name"].as_str().unwrap();
                let value = path_value(spec, parameter);
                match parameter["in"].as_str() {
                    Some("path") => path = path.replace(&format!("{{{name}}}"), &encode(&value)),
                    _ if parameter["required"] != json!(true) => {}
                    Some("query") => query.push(format!("{}={}", encode(name), encode(&value))),
                    Some("header") => headers.push((name.to_owned(), value)),
                    _ => {}
                }
            }
            if !query.is_empty() {
                path = format!("{path}?{}", query.join("&"));
            }
            let body = body(&mut synth, op);
            if let Some((content_type, _)) = &body {
                headers.push(("content-type".to_owned(), content_type.clone()));
            }
            planned.push(Planned {
                id: id.to_owned(),
                label: format!("{} {template}", method.to_uppercase()),
                method: reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                target: path,
                headers,
                body,
                notes: synth.notes,
            });
        }
    }
    planned.sort_by(|a, b| a.id.cmp(&b.id));
    planned
}

/// What came of one operation.
struct Outcome {
    /// `None` when Prism accepted the request and the SDK decoded the answer.
    failure: Option<String>,
    /// `decode_answer` does not know the operation.
    not_built: bool,
    /// What Prism found wrong with its own answer (`sl-violations` at `response`).
    response_violations: Vec<String>,
    /// The operation's typed answer is raw bytes or nothing: any body decodes.
    untyped: bool,
}

async fn send(http: &reqwest::Client, base: &str, planned: &Planned) -> Outcome {
    let mut outcome = Outcome {
        failure: None,
        not_built: false,
        response_violations: Vec::new(),
        untyped: matches!(
            akamai_sdk::generated::linode::decode_answer(&planned.id, b"\xff not JSON"),
            Some(Ok(()))
        ),
    };
    let mut request = http.request(planned.method.clone(), format!("{base}{}", planned.target));
    for (name, value) in &planned.headers {
        request = request.header(name, value);
    }
    if let Some((_, bytes)) = &planned.body {
        request = request.body(bytes.clone());
    }
    let answer = match request.send().await {
        Ok(answer) => answer,
        Err(e) => {
            outcome.failure = Some(format!("no answer: {e}"));
            return outcome;
        }
    };
    let status = answer.status();
    let violations: Vec<Value> = answer
        .headers()
        .get("sl-violations")
        .and_then(|v| serde_json::from_slice(v.as_bytes()).ok())
        .unwrap_or_default();
    let bytes = answer.bytes().await.unwrap_or_default();
    let mut request_violations = Vec::new();
    for v in &violations {
        let location: Vec<&str> = v["location"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let text = format!(
            "{}: {}",
            location.join("."),
            v["message"].as_str().unwrap_or("")
        );
        if location.first() == Some(&"request") {
            request_violations.push(text);
        } else {
            outcome.response_violations.push(text);
        }
    }
    if !request_violations.is_empty() {
        outcome.failure = Some(format!(
            "Prism found the request invalid ({status}): {}",
            request_violations.join("; ")
        ));
        return outcome;
    }
    if !status.is_success() {
        outcome.failure = Some(format!(
            "Prism answered {status}: {}",
            String::from_utf8_lossy(&bytes)
        ));
        return outcome;
    }
    match akamai_sdk::generated::linode::decode_answer(&planned.id, &bytes) {
        None => {
            outcome.not_built = true;
            outcome.failure = Some("not built: decode_answer does not know it".to_owned());
        }
        Some(Err(e)) => {
            let body = String::from_utf8_lossy(&bytes);
            let body: String = body.chars().take(300).collect();
            outcome.failure = Some(format!(
                "the {status} answer does not decode: {e}; answer: {body}"
            ));
        }
        Some(Ok(())) => {}
    }
    outcome
}

async fn send_all<'p>(
    http: &reqwest::Client,
    base: &str,
    planned: impl IntoIterator<Item = &'p Planned>,
) -> Vec<(&'p Planned, Outcome)> {
    futures::stream::iter(planned)
        .map(|p| async move { (p, send(http, base, p).await) })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await
}

async fn contract_linode_every_operation(found: &Found) {
    let started = Instant::now();
    let (spec, bin) = spec_and_prism("linode", found);
    let upstream = found.get(Need::Upstream("linode"));
    let (prism, restored) = tokio::task::spawn_blocking(move || {
        let upstream: Value = serde_norway::from_slice(&std::fs::read(&upstream).unwrap())
            .expect("the upstream Linode spec is YAML");
        let mut restored = Vec::new();
        let prism = Prism::start_with(&bin, &spec, |wire| {
            restored = restore_request_media_types(wire, &upstream);
        });
        (prism, restored)
    })
    .await
    .unwrap();
    eprintln!(
        "prism (linode, every operation): request media types taken back from the upstream \
         spec:\n  {}",
        restored.join("\n  ")
    );
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(&prism.spec).unwrap()).unwrap();
    let planned = plan(&spec);

    let ids: BTreeSet<&str> = planned.iter().map(|p| p.id.as_str()).collect();
    let listed: BTreeMap<&str, &str> = UNSERVABLE.iter().copied().collect();
    let mut report = String::new();
    for id in listed.keys().filter(|id| !ids.contains(*id)) {
        writeln!(
            report,
            "  {id}: listed as unservable, but the spec has no such operation"
        )
        .unwrap();
    }

    // The operations expected to pass, then (with their Prism log set aside) the listed ones.
    let http = reqwest::Client::new();
    let base = prism.uri();
    let mut outcomes = send_all(
        &http,
        &base,
        planned
            .iter()
            .filter(|p| !listed.contains_key(p.id.as_str())),
    )
    .await;
    // Prism writes its log asynchronously; give the last lines a moment.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let listed_log = prism.log_len()..usize::MAX;
    outcomes.extend(
        send_all(
            &http,
            &base,
            planned
                .iter()
                .filter(|p| listed.contains_key(p.id.as_str())),
        )
        .await,
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    outcomes.sort_by(|a, b| a.0.id.cmp(&b.0.id));

    let mut passed = 0;
    let mut unservable = 0;
    let mut untyped = Vec::new();
    let mut notes = Vec::new();
    let mut timestamps = 0;
    let mut answers_breaking_the_spec = Vec::new();
    for (planned, outcome) in &outcomes {
        let id = planned.id.as_str();
        let label = format!("{id} ({} → {})", planned.label, planned.target);
        for note in &planned.notes {
            notes.push(format!("{id}: {note}"));
        }
        // Timestamps without a UTC offset are all over Linode's examples (see the module docs
        // of `contract`): counted, the other violations listed.
        let (dates, others): (Vec<&String>, Vec<&String>) = outcome
            .response_violations
            .iter()
            .partition(|v| v.ends_with("must match format \"date-time\""));
        timestamps += usize::from(!dates.is_empty());
        if !others.is_empty() {
            let others: Vec<&str> = others.iter().map(|v| v.as_str()).collect();
            answers_breaking_the_spec.push(format!("{id}: {}", others.join("; ")));
        }
        if outcome.untyped {
            untyped.push(id);
        }
        if outcome.not_built {
            writeln!(
                report,
                "  {label}: decode_answer returned None (linode-all is on)"
            )
            .unwrap();
            continue;
        }
        match (listed.get(id), &outcome.failure) {
            (None, None) => passed += 1,
            (None, Some(failure)) => writeln!(report, "  {label}: {failure}").unwrap(),
            (Some(reason), Some(failure)) => {
                unservable += 1;
                eprintln!("unservable, as listed: {id}: {reason}\n    this run: {failure}");
            }
            (Some(reason), None) => writeln!(
                report,
                "  {label}: listed as unservable ({reason}), but it passes: drop it from UNSERVABLE"
            )
            .unwrap(),
        }
    }
    let (request_problems, _) = prism.findings(&[listed_log]);
    if !request_problems.is_empty() {
        writeln!(report, "  prism log (operations expected to pass):").unwrap();
        for line in &request_problems {
            writeln!(report, "    {line}").unwrap();
        }
    }
    if !notes.is_empty() {
        eprintln!(
            "request schema examples that break their own schema:\n  {}",
            notes.join("\n  ")
        );
    }
    eprintln!(
        "prism (linode): {timestamps} example answers have timestamps that break `format: \
         date-time` (no UTC offset); {} break their schema otherwise (decoded all the same \
         unless listed above):\n  {}",
        answers_breaking_the_spec.len(),
        answers_breaking_the_spec.join("\n  ")
    );
    eprintln!(
        "prism (linode): {} operations answer raw bytes or nothing, so any answer decodes: {}",
        untyped.len(),
        untyped.join(", ")
    );
    eprintln!(
        "{} operations: {passed} accepted and decoded, {unservable} listed as unservable",
        planned.len()
    );
    eprintln!("(in {:.1?})", started.elapsed());
    assert!(
        report.is_empty(),
        "operations that failed against the linode spec:\n{report}"
    );
}
