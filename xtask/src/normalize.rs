//! Normalisation: named, generic rewrites that make an upstream spec digestible by progenitor
//! and typify without changing what the API accepts or returns.
//!
//! Each rule is a function over the whole document that returns how many places it changed;
//! `pull` logs every count, so a rule that stops matching after an upstream change is visible.

use std::collections::{BTreeMap, BTreeSet};

use heck_case::pascal;
use serde_json::{json, Map, Value};

use crate::spec;

/// A normalisation rule.
pub(crate) struct Rule {
    pub(crate) name: &'static str,
    pub(crate) apply: fn(&mut Value) -> usize,
}

/// Every rule, in the order they run.
pub(crate) const RULES: &[Rule] = &[
    Rule {
        name: "strip-version-path-segment",
        apply: strip_version_path_segment,
    },
    Rule {
        name: "readable-component-names",
        apply: readable_component_names,
    },
    Rule {
        name: "default-response-as-error-ranges",
        apply: default_response_as_error_ranges,
    },
    Rule {
        name: "problem-json-as-json",
        apply: problem_json_as_json,
    },
    Rule {
        name: "schemaless-json-as-raw",
        apply: schemaless_json_as_raw,
    },
    Rule {
        name: "single-request-media-type",
        apply: single_request_media_type,
    },
    Rule {
        name: "binary-request-bodies",
        apply: binary_request_bodies,
    },
    Rule {
        name: "drop-untyped-branches",
        apply: drop_untyped_branches,
    },
    Rule {
        name: "string-enum-values",
        apply: string_enum_values,
    },
    Rule {
        name: "drop-additional-properties-false",
        apply: drop_additional_properties_false,
    },
    Rule {
        name: "drop-misplaced-format",
        apply: drop_misplaced_format,
    },
    Rule {
        name: "string-header-parameters",
        apply: string_header_parameters,
    },
    Rule {
        name: "opaque-string-formats",
        apply: opaque_string_formats,
    },
    Rule {
        name: "shared-parameter-enums",
        apply: shared_parameter_enums,
    },
    Rule {
        name: "ref-equal-components",
        apply: ref_equal_components,
    },
    Rule {
        name: "hoist-response-schemas",
        apply: hoist_response_schemas,
    },
    // Inline copies of the schemas just hoisted (Linode repeats `NodeBalancer` in several
    // responses) now have a component to refer to.
    Rule {
        name: "ref-equal-hoisted-components",
        apply: ref_equal_components,
    },
    Rule {
        name: "drop-colliding-titles",
        apply: drop_colliding_titles,
    },
    Rule {
        name: "bodiless-success-statuses",
        apply: bodiless_success_statuses,
    },
    Rule {
        name: "raw-mixed-response-groups",
        apply: raw_mixed_response_groups,
    },
    Rule {
        name: "paginated-lists",
        apply: paginated_lists,
    },
    Rule {
        name: "tolerant-response-schemas",
        apply: tolerant_response_schemas,
    },
];

/// Runs every rule; returns `(rule, hits)` in order.
pub(crate) fn normalize(spec: &mut Value) -> Vec<(&'static str, usize)> {
    RULES
        .iter()
        .map(|rule| (rule.name, (rule.apply)(spec)))
        .collect()
}

/// Small case helpers (kept local: the only need is PascalCase for component names).
mod heck_case {
    pub(crate) fn pascal(s: &str) -> String {
        s.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut c = w.chars();
                let first = c.next().map(|f| f.to_ascii_uppercase());
                first.into_iter().chain(c).collect::<String>()
            })
            .collect()
    }
}

/// Calls `f` on every schema object in the document: component schemas, parameter, request
/// and response schemas, and everything nested in them (properties, items, compositions...).
fn for_each_schema(spec: &mut Value, f: &mut impl FnMut(&mut Map<String, Value>)) {
    fn visit(schema: &mut Value, f: &mut impl FnMut(&mut Map<String, Value>)) {
        let Some(map) = schema.as_object_mut() else {
            return;
        };
        if map.contains_key("$ref") {
            return;
        }
        f(map);
        for key in ["items", "not", "additionalProperties"] {
            if let Some(child) = map.get_mut(key) {
                visit(child, f);
            }
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            if let Some(Value::Array(children)) = map.get_mut(key) {
                children.iter_mut().for_each(|c| visit(c, f));
            }
        }
        if let Some(Value::Object(props)) = map.get_mut("properties") {
            props.values_mut().for_each(|c| visit(c, f));
        }
    }
    fn visit_content(holder: &mut Value, f: &mut impl FnMut(&mut Map<String, Value>)) {
        if let Some(Value::Object(content)) = holder.get_mut("content") {
            for media in content.values_mut() {
                if let Some(schema) = media.get_mut("schema") {
                    visit(schema, f);
                }
            }
        }
        if let Some(schema) = holder.get_mut("schema") {
            visit(schema, f);
        }
    }
    if let Some(Value::Object(components)) = spec.get_mut("components") {
        if let Some(Value::Object(schemas)) = components.get_mut("schemas") {
            schemas.values_mut().for_each(|s| visit(s, f));
        }
        for kind in ["parameters", "responses", "requestBodies", "headers"] {
            if let Some(Value::Object(items)) = components.get_mut(kind) {
                items.values_mut().for_each(|h| visit_content(h, f));
            }
        }
    }
    if let Some(Value::Object(paths)) = spec.get_mut("paths") {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (key, value) in item.iter_mut() {
                if key == "parameters" {
                    value
                        .as_array_mut()
                        .into_iter()
                        .flatten()
                        .for_each(|p| visit_content(p, f));
                } else if spec::METHODS.contains(&key.as_str()) {
                    for p in value
                        .get_mut("parameters")
                        .and_then(Value::as_array_mut)
                        .into_iter()
                        .flatten()
                    {
                        visit_content(p, f);
                    }
                    if let Some(body) = value.get_mut("requestBody") {
                        visit_content(body, f);
                    }
                    if let Some(Value::Object(responses)) = value.get_mut("responses") {
                        for response in responses.values_mut() {
                            visit_content(response, f);
                            if let Some(Value::Object(headers)) = response.get_mut("headers") {
                                headers.values_mut().for_each(|h| visit_content(h, f));
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Every response object of every operation: `(operation id, status, response)`.
fn for_each_response(spec: &mut Value, mut f: impl FnMut(&str, &str, &mut Value)) {
    spec::for_each_operation(spec, |path, method, op| {
        let id = op
            .get("operationId")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{method}-{path}"));
        if let Some(Value::Object(responses)) = op.get_mut("responses") {
            for (status, response) in responses.iter_mut() {
                f(&id, status, response);
            }
        }
    });
}

/// Rule 9: a leading `/{apiVersion}` path segment whose parameter is an enum of versions is
/// removed, with its parameter; the SDK puts `/v4` or `/v4beta` into the base URL instead.
fn strip_version_path_segment(spec: &mut Value) -> usize {
    let snapshot = spec.clone();
    let is_version_param = |p: &Value, name: &str| {
        let p = spec::deref(&snapshot, p);
        p.get("in").and_then(Value::as_str) == Some("path")
            && p.get("name").and_then(Value::as_str) == Some(name)
            && p.pointer("/schema/enum")
                .and_then(Value::as_array)
                .is_some_and(|values| {
                    !values.is_empty()
                        && values.iter().all(|v| {
                            v.as_str().is_some_and(|s| {
                                s.starts_with('v')
                                    && s[1..].starts_with(|c: char| c.is_ascii_digit())
                            })
                        })
                })
    };
    let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) else {
        return 0;
    };
    let mut hits = 0;
    let old = std::mem::take(paths);
    for (path, mut item) in old {
        let segment = path
            .strip_prefix("/{")
            .and_then(|rest| rest.split_once('}'))
            .filter(|(_, rest)| rest.starts_with('/') || rest.is_empty());
        let Some((name, rest)) = segment else {
            paths.insert(path, item);
            continue;
        };
        let mut found = false;
        let mut strip = |params: Option<&mut Value>| {
            if let Some(Value::Array(list)) = params {
                let before = list.len();
                list.retain(|p| !is_version_param(p, name));
                found |= list.len() != before;
            }
        };
        strip(item.get_mut("parameters"));
        for method in spec::METHODS {
            if let Some(op) = item.get_mut(method) {
                strip(op.get_mut("parameters"));
            }
        }
        if found {
            hits += 1;
            let new_path = if rest.is_empty() {
                "/".to_owned()
            } else {
                rest.to_owned()
            };
            paths.insert(new_path, item);
        } else {
            paths.insert(path, item);
        }
    }
    hits
}

/// Rule 7: a `default` response next to explicit success responses describes the errors:
/// re-key it as `4XX` and `5XX` (progenitor would otherwise count it as success and error).
fn default_response_as_error_ranges(spec: &mut Value) -> usize {
    let mut hits = 0;
    spec::for_each_operation(spec, |_, _, op| {
        let Some(Value::Object(responses)) = op.get_mut("responses") else {
            return;
        };
        let has_success = responses.keys().any(|k| k.starts_with('2'));
        if !has_success {
            return;
        }
        if let Some(default) = responses.remove("default") {
            for range in ["4XX", "5XX"] {
                responses.entry(range).or_insert_with(|| default.clone());
            }
            hits += 1;
        }
    });
    hits
}

/// Rule 5: `application/problem+json` (RFC 9457) is JSON; name it so, so that error bodies are
/// typed rather than raw.
fn problem_json_as_json(spec: &mut Value) -> usize {
    let mut hits = 0;
    for_each_response(spec, |_, _, response| {
        if let Some(Value::Object(content)) = response.get_mut("content") {
            if !content.contains_key("application/json") {
                if let Some(media) = content.remove("application/problem+json") {
                    content.insert("application/json".into(), media);
                    hits += 1;
                }
            }
        }
    });
    hits
}

fn raw_media() -> Value {
    json!({ "schema": { "type": "string", "format": "binary" } })
}

/// Rule 2: a JSON response media type without a schema can hold any JSON value (EdgeKV items):
/// hand it over as raw bytes.
fn schemaless_json_as_raw(spec: &mut Value) -> usize {
    let mut hits = 0;
    for_each_response(spec, |_, _, response| {
        if let Some(Value::Object(content)) = response.get_mut("content") {
            let schemaless = content
                .get("application/json")
                .is_some_and(|m| m.get("schema").is_none());
            if schemaless {
                content.remove("application/json");
                content.insert("application/octet-stream".into(), raw_media());
                hits += 1;
            }
        }
    });
    hits
}

/// Rule 3: progenitor takes one request media type; keep JSON (else the first). The SDK offers
/// the others by hand (EdgeKV items as `text/plain`).
///
/// The others stay in the processed spec under the request body's `x-other-media-types`, so
/// that what the API accepts is still on record (mock servers and contract tests read it).
fn single_request_media_type(spec: &mut Value) -> usize {
    let mut hits = 0;
    spec::for_each_operation(spec, |_, _, op| {
        let Some(Value::Object(body)) = op.get_mut("requestBody") else {
            return;
        };
        let Some(Value::Object(content)) = body.get_mut("content") else {
            return;
        };
        if content.len() > 1 {
            let keep = if content.contains_key("application/json") {
                "application/json".to_owned()
            } else {
                content.keys().next().cloned().unwrap_or_default()
            };
            let mut others = Map::new();
            let all = std::mem::take(content);
            for (media, value) in all {
                if media == keep {
                    content.insert(media, value);
                } else {
                    others.insert(media, value);
                }
            }
            body.insert("x-other-media-types".into(), Value::Object(others));
            hits += 1;
        }
    });
    hits
}

/// Request media types progenitor can encode.
const ENCODABLE: [&str; 5] = [
    "application/json",
    "application/octet-stream",
    "application/x-www-form-urlencoded",
    "text/plain",
    "text/x-markdown",
];

/// A request body of another media type (Linode's `image/png` thumbnails) is sent as raw
/// bytes: `application/octet-stream` with a binary schema.
fn binary_request_bodies(spec: &mut Value) -> usize {
    let mut hits = 0;
    spec::for_each_operation(spec, |_, _, op| {
        let Some(Value::Object(content)) = op.pointer_mut("/requestBody/content") else {
            return;
        };
        let foreign: Vec<String> = content
            .keys()
            .filter(|k| !ENCODABLE.contains(&k.split(';').next().unwrap_or(k).trim()))
            .cloned()
            .collect();
        for media in foreign {
            content.remove(&media);
            content
                .entry("application/octet-stream")
                .or_insert_with(raw_media);
            hits += 1;
        }
    });
    hits
}

/// Keys that give a schema a shape of its own (rather than only constraining its parent's).
/// (`enum` is a constraint here: `{enum: [0]}` under `type: integer` only narrows the parent.)
const SHAPE_KEYS: [&str; 7] = [
    "type",
    "$ref",
    "properties",
    "items",
    "allOf",
    "oneOf",
    "anyOf",
];

/// Rule 1: `oneOf`/`anyOf` whose branches only add constraints (no type, no shape) under a
/// typed parent (EdgeKV `retentionInSeconds`: `0` or `86400..`): drop the branches and keep
/// the parent type. The server still enforces the constraints.
fn drop_untyped_branches(spec: &mut Value) -> usize {
    let mut hits = 0;
    for_each_schema(spec, &mut |schema| {
        if !schema.contains_key("type") {
            return;
        }
        for key in ["oneOf", "anyOf"] {
            let untyped = schema
                .get(key)
                .and_then(Value::as_array)
                .is_some_and(|branches| {
                    branches.iter().all(|b| {
                        b.as_object()
                            .is_some_and(|b| SHAPE_KEYS.iter().all(|k| !b.contains_key(*k)))
                    })
                });
            if untyped {
                schema.remove(key);
                hits += 1;
            }
        }
    });
    hits
}

/// A `type: string` enum whose YAML values parsed as booleans or numbers (Linode's
/// `replication_commit_type: [true, local, ..., false]`): the values are their text.
fn string_enum_values(spec: &mut Value) -> usize {
    let mut hits = 0;
    for_each_schema(spec, &mut |schema| {
        if schema.get("type").and_then(Value::as_str) != Some("string") {
            return;
        }
        if let Some(Value::Array(values)) = schema.get_mut("enum") {
            for v in values.iter_mut() {
                if matches!(v, Value::Bool(_) | Value::Number(_)) {
                    *v = Value::String(v.to_string());
                    hits += 1;
                }
            }
        }
    });
    hits
}

/// Rule 4: `additionalProperties: false` becomes `deny_unknown_fields`, which breaks on any
/// field the API adds (and next to `allOf` yields uninhabitable types): remove it.
fn drop_additional_properties_false(spec: &mut Value) -> usize {
    let mut hits = 0;
    for_each_schema(spec, &mut |schema| {
        if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
            schema.remove("additionalProperties");
            hits += 1;
        }
    });
    hits
}

/// Rule 11a: `format` only means something on strings (and the sized numeric formats on
/// numbers); drop it elsewhere (Linode has `type: array, format: ipv4`).
fn drop_misplaced_format(spec: &mut Value) -> usize {
    const NUMERIC: [&str; 4] = ["int32", "int64", "float", "double"];
    let mut hits = 0;
    for_each_schema(spec, &mut |schema| {
        let Some(format) = schema.get("format").and_then(Value::as_str) else {
            return;
        };
        let keep = match schema.get("type").and_then(Value::as_str) {
            Some("string") => true,
            Some("integer" | "number") => NUMERIC.contains(&format),
            _ => false,
        };
        if !keep {
            schema.remove("format");
            hits += 1;
        }
    });
    hits
}

/// Rule 11b: header parameters travel as text; a non-scalar header schema (Linode `X-Filter`
/// is an object) becomes a string that the caller serialises.
fn string_header_parameters(spec: &mut Value) -> usize {
    let mut hits = 0;
    let mut fix = |p: &mut Value| {
        if p.get("in").and_then(Value::as_str) != Some("header") {
            return;
        }
        let scalar = p
            .pointer("/schema/type")
            .and_then(Value::as_str)
            .is_some_and(|t| matches!(t, "string" | "integer" | "number" | "boolean"));
        if !scalar {
            let description = p.pointer("/schema/description").cloned();
            let mut schema = json!({ "type": "string" });
            if let Some(d) = description {
                schema["description"] = d;
            }
            p["schema"] = schema;
            hits += 1;
        }
    };
    visit_parameters(spec, &mut fix);
    hits
}

/// Identifier and address formats that the live APIs do not always honour: Linode euuids are
/// 8-4-4-16 (`E89C475E-7476-4B95-95EA82BB4EE866E3`), which `uuid::Uuid` rejects. They stay
/// strings: the format is dropped so that typify emits `String`.
const OPAQUE_FORMATS: [&str; 4] = ["uuid", "ip", "ipv4", "ipv6"];

/// Rule (type conversion): see [`OPAQUE_FORMATS`].
fn opaque_string_formats(spec: &mut Value) -> usize {
    let mut hits = 0;
    for_each_schema(spec, &mut |schema| {
        if schema
            .get("format")
            .and_then(Value::as_str)
            .is_some_and(|f| OPAQUE_FORMATS.contains(&f))
        {
            schema.remove("format");
            hits += 1;
        }
    });
    hits
}

/// Rule 10: an inline enum on parameters of the same name (EdgeKV's `network` on six
/// operations) becomes one shared component schema, so that the client has one `Network` type.
fn shared_parameter_enums(spec: &mut Value) -> usize {
    // name -> (enum values, occurrences)
    let mut seen: BTreeMap<String, (Value, usize)> = BTreeMap::new();
    let mut conflicting = BTreeSet::new();
    let mut scan = |p: &Value| {
        if let (Some(name), Some(values)) = (
            p.get("name").and_then(Value::as_str),
            p.pointer("/schema/enum"),
        ) {
            if p.pointer("/schema/$ref").is_some() {
                return;
            }
            let entry = seen.entry(name.to_owned()).or_insert((values.clone(), 0));
            if &entry.0 != values {
                conflicting.insert(name.to_owned());
            }
            entry.1 += 1;
        }
    };
    visit_parameters(spec, &mut |p| scan(p));
    let shared: BTreeMap<String, Value> = seen
        .into_iter()
        .filter(|(name, _)| !conflicting.contains(name))
        .map(|(name, (values, _))| (name, values))
        .collect();
    if shared.is_empty() {
        return 0;
    }
    let mut schemas_to_add: BTreeMap<String, Value> = BTreeMap::new();
    let existing: BTreeSet<String> = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.keys().map(|k| pascal(k)).collect())
        .unwrap_or_default();
    let mut hits = 0;
    visit_parameters(spec, &mut |p| {
        let Some(name) = p.get("name").and_then(Value::as_str).map(str::to_owned) else {
            return;
        };
        if !shared.contains_key(&name) || p.pointer("/schema/enum").is_none() {
            return;
        }
        let mut component = pascal(&name);
        if existing.contains(&component) {
            component.push_str("Param");
        }
        let schema = p["schema"].take();
        let mut shape = schema.clone();
        if let Some(m) = shape.as_object_mut() {
            // Parameter-specific bits stay on the parameter's reference site.
            m.remove("default");
            m.remove("example");
        }
        schemas_to_add.entry(component.clone()).or_insert(shape);
        p["schema"] = json!({ "$ref": format!("#/components/schemas/{component}") });
        hits += 1;
    });
    let schemas = spec
        .as_object_mut()
        .expect("an OpenAPI document is an object")
        .entry("components")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("components is an object")
        .entry("schemas")
        .or_insert_with(|| json!({}));
    if let Some(schemas) = schemas.as_object_mut() {
        for (name, schema) in schemas_to_add {
            schemas.entry(name).or_insert(schema);
        }
    }
    hits
}

fn visit_parameters(spec: &mut Value, f: &mut impl FnMut(&mut Value)) {
    if let Some(Value::Object(params)) = spec.pointer_mut("/components/parameters") {
        params.values_mut().for_each(&mut *f);
    }
    if let Some(Value::Object(paths)) = spec.get_mut("paths") {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (key, value) in item.iter_mut() {
                let list = if key == "parameters" {
                    Some(value)
                } else if spec::METHODS.contains(&key.as_str()) {
                    value.get_mut("parameters")
                } else {
                    None
                };
                for p in list.and_then(Value::as_array_mut).into_iter().flatten() {
                    f(p);
                }
            }
        }
    }
}

/// The words a status code stands for in a type name (a name ending in digits reads as an
/// artefact: `AddedPostCancelAccount409`).
fn status_words(status: &str) -> Option<&'static str> {
    Some(match status {
        "200" | "201" | "202" | "204" => "response",
        "400" => "bad-request",
        "401" => "unauthorized",
        "403" => "forbidden",
        "404" => "not-found",
        "409" => "conflict",
        "422" => "unprocessable",
        "429" => "too-many-requests",
        "500" => "server-error",
        _ => return None,
    })
}

/// Rule (names): component schemas named by how the upstream spec was assembled
/// (`added-get-events-200`, `added-post-cancel-account-409`, `added-empty-obj`) get the name
/// of what they are (`get-events-response`, `post-cancel-account-conflict`, `empty-obj`), and
/// every `$ref` follows. A name already taken is left as it was. Counts the renamed schemas.
fn readable_component_names(spec: &mut Value) -> usize {
    let Some(schemas) = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return 0;
    };
    let taken: BTreeSet<String> = schemas.keys().cloned().collect();
    let mut renames = BTreeMap::new();
    for name in schemas.keys() {
        let Some(rest) = name.strip_prefix("added-") else {
            continue;
        };
        let readable = match rest.rsplit_once('-') {
            Some((stem, status))
                if status.len() == 3 && status.bytes().all(|b| b.is_ascii_digit()) =>
            {
                match status_words(status) {
                    Some(words) => format!("{stem}-{words}"),
                    None => continue,
                }
            }
            _ => rest.to_owned(),
        };
        if !taken.contains(&readable) && !renames.values().any(|r| r == &readable) {
            renames.insert(name.clone(), readable);
        }
    }
    if renames.is_empty() {
        return 0;
    }
    if let Some(Value::Object(schemas)) = spec.pointer_mut("/components/schemas") {
        for (old, new) in &renames {
            if let Some(schema) = schemas.remove(old) {
                schemas.insert(new.clone(), schema);
            }
        }
    }
    let prefix = "#/components/schemas/";
    let by_ref: BTreeMap<String, String> = renames
        .iter()
        .map(|(old, new)| (format!("{prefix}{old}"), format!("{prefix}{new}")))
        .collect();
    fn walk(value: &mut Value, by_ref: &BTreeMap<String, String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get_mut("$ref") {
                    if let Some(new) = by_ref.get(r.as_str()) {
                        *r = new.clone();
                    }
                }
                map.values_mut().for_each(|v| walk(v, by_ref));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, by_ref)),
            _ => {}
        }
    }
    walk(spec, &by_ref);
    renames.len()
}

/// Rule 12: an inline object schema equal to a named component schema becomes a `$ref` to it,
/// so that its type gets the component's name (`ChildAccount`, not
/// `AddedGetChildAccounts200DataItem`).
fn ref_equal_components(spec: &mut Value) -> usize {
    let Some(components) = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return 0;
    };
    // Only object schemas with properties: replacing scalars would turn every `type: integer`
    // into a reference to whichever component happens to be one.
    let named: Vec<(String, Value)> = components
        .iter()
        .filter(|(_, s)| s.get("properties").is_some())
        .map(|(n, s)| (n.clone(), s.clone()))
        .collect();
    if named.is_empty() {
        return 0;
    }
    let mut hits = 0;
    let find = |schema: &Map<String, Value>| {
        named
            .iter()
            .find(|(_, s)| s.as_object() == Some(schema))
            .map(|(n, _)| format!("#/components/schemas/{}", spec::pointer_escape(n)))
    };
    // Walk every schema position, replacing whole nodes (so this cannot use for_each_schema,
    // which hands out the node itself); a component never becomes a reference to itself.
    fn replace(
        value: &mut Value,
        top: bool,
        find: &dyn Fn(&Map<String, Value>) -> Option<String>,
        hits: &mut usize,
    ) {
        let Some(map) = value.as_object_mut() else {
            return;
        };
        if !top {
            if let Some(r) = find(map) {
                *value = json!({ "$ref": r });
                *hits += 1;
                return;
            }
        }
        let map = value.as_object_mut().expect("checked above");
        for key in ["items", "not", "additionalProperties"] {
            if let Some(child) = map.get_mut(key) {
                replace(child, false, find, hits);
            }
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            if let Some(Value::Array(children)) = map.get_mut(key) {
                children
                    .iter_mut()
                    .for_each(|c| replace(c, false, find, hits));
            }
        }
        if let Some(Value::Object(props)) = map.get_mut("properties") {
            props
                .values_mut()
                .for_each(|c| replace(c, false, find, hits));
        }
    }
    if let Some(Value::Object(schemas)) = spec.pointer_mut("/components/schemas") {
        for schema in schemas.values_mut() {
            replace(schema, true, &find, &mut hits);
        }
    }
    let mut media_schemas: Vec<&mut Value> = Vec::new();
    if let Some(Value::Object(paths)) = spec.get_mut("paths") {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for (key, op) in item.iter_mut() {
                if !spec::METHODS.contains(&key.as_str()) {
                    continue;
                }
                let Some(op) = op.as_object_mut() else {
                    continue;
                };
                for (k, v) in op.iter_mut() {
                    match k.as_str() {
                        "requestBody" => media_schemas.extend(content_schemas(v)),
                        "responses" => {
                            for r in v.as_object_mut().into_iter().flat_map(|m| m.values_mut()) {
                                media_schemas.extend(content_schemas(r));
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    for schema in media_schemas {
        replace(schema, false, &find, &mut hits);
    }
    hits
}

fn content_schemas(holder: &mut Value) -> Vec<&mut Value> {
    holder
        .get_mut("content")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|c| c.values_mut())
        .filter_map(|m| m.get_mut("schema"))
        .collect()
}

/// Rule 6: progenitor names every inline response schema `<OperationId>Response` whatever its
/// status, and typify reuses the first type of a name, so success and error bodies would get
/// mixed. Move every inline response schema into `components/schemas` under a distinct name;
/// identical schemas share one.
///
/// The name is the schema's `title`, else the stem of Akamai's `x-akamai.file-path`
/// (`schemas/namespace.yaml` -> `Namespace`), else `<OperationId>Response` for a success and
/// `<OperationId>Error` for an error (with the status when an operation has several).
fn hoist_response_schemas(spec: &mut Value) -> usize {
    let mut existing: BTreeMap<String, Value> = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let mut added: Vec<(String, Value)> = Vec::new();
    let mut hits = 0;
    spec::for_each_operation(spec, |_, method, op| {
        let id = op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or(method)
            .to_owned();
        let Some(Value::Object(responses)) = op.get_mut("responses") else {
            return;
        };
        let success_count = responses.keys().filter(|s| s.starts_with('2')).count();
        let error_count = responses.len() - success_count;
        for (status, response) in responses.iter_mut() {
            let Some(Value::Object(content)) = response.get_mut("content") else {
                continue;
            };
            for (media, m) in content.iter_mut() {
                if !media.contains("json") {
                    continue;
                }
                let Some(schema) = m.get_mut("schema") else {
                    continue;
                };
                if schema.get("$ref").is_some() {
                    continue;
                }
                let is_success = status.starts_with('2');
                let base = if let Some(t) = schema.get("title").and_then(Value::as_str) {
                    pascal(t)
                } else if let Some(path) = schema
                    .pointer("/x-akamai/file-path")
                    .and_then(Value::as_str)
                {
                    let stem = path.rsplit('/').next().unwrap_or(path);
                    let stem = stem.trim_end_matches(".yaml").trim_end_matches(".json");
                    // `initialize-200` names the 200 body of initialize: `Initialize`.
                    let stem = match stem.rsplit_once('-') {
                        Some((head, status))
                            if status.len() == 3 && status.bytes().all(|b| b.is_ascii_digit()) =>
                        {
                            head
                        }
                        _ => stem,
                    };
                    pascal(stem)
                } else {
                    let several = if is_success {
                        success_count > 1
                    } else {
                        error_count > 1
                    };
                    let status = if several {
                        pascal(status).to_ascii_uppercase()
                    } else {
                        String::new()
                    };
                    format!(
                        "{}{}{}",
                        pascal(&id),
                        if is_success { "Response" } else { "Error" },
                        status
                    )
                };
                // Reuse an identical schema; otherwise find a free name.
                let name = match existing.iter().find(|(_, s)| *s == schema) {
                    Some((name, _)) => name.clone(),
                    None => {
                        // Names are compared as the type names typify derives from them
                        // (`linode` and `Linode` are both `Linode`).
                        let taken = |name: &str| existing.keys().any(|k| pascal(k) == pascal(name));
                        let mut name = base.clone();
                        let mut n = 2;
                        while taken(&name) {
                            name = format!("{base}{n}");
                            n += 1;
                        }
                        existing.insert(name.clone(), schema.clone());
                        added.push((name.clone(), schema.clone()));
                        name
                    }
                };
                *schema = json!({ "$ref": format!("#/components/schemas/{}", spec::pointer_escape(&name)) });
                hits += 1;
            }
        }
    });
    if !added.is_empty() {
        let components = spec
            .as_object_mut()
            .expect("an OpenAPI document is an object")
            .entry("components")
            .or_insert_with(|| json!({}));
        let schemas = components
            .as_object_mut()
            .expect("components is an object")
            .entry("schemas")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("schemas is an object");
        for (name, schema) in added {
            schemas.insert(name, schema);
        }
    }
    hits
}

/// typify names an inline schema after its `title`. Where two different schemas would get
/// one name (an inline object titled `Linode` beside the `linode` component, or two different
/// inline `NodeBalancer`s), keep the title on the component (or on the first schema that has
/// it) and drop it from the others, which typify then names from where they stand.
fn drop_colliding_titles(spec: &mut Value) -> usize {
    let mut owners: BTreeMap<String, Value> = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (pascal(k), v.clone())).collect())
        .unwrap_or_default();
    let mut hits = 0;
    for_each_schema(spec, &mut |schema| {
        let Some(title) = schema.get("title").and_then(Value::as_str) else {
            return;
        };
        let name = pascal(title);
        match owners.get(&name) {
            Some(owner) if owner.as_object() == Some(&*schema) => {}
            Some(_) => {
                schema.remove("title");
                hits += 1;
            }
            None => {
                owners.insert(name, Value::Object(schema.clone()));
            }
        }
    });
    hits
}

/// Rule 8: progenitor gives an operation one success type and one error type. Where the
/// success (or error) responses of an operation carry different bodies (EdgeKV get-initialize
/// returns a status body with its 404; Linode grants answer 200 with a body or 204 without),
/// that group becomes raw bytes; the SDK decodes it. The schemas stay in `components`.
fn raw_mixed_response_groups(spec: &mut Value) -> usize {
    let mut hits = 0;
    spec::for_each_operation(spec, |_, _, op| {
        let Some(Value::Object(responses)) = op.get_mut("responses") else {
            return;
        };
        let kind = |r: &Value| -> Value {
            match r.get("content").and_then(Value::as_object) {
                None => Value::Null,
                Some(c) if c.is_empty() => Value::Null,
                Some(c) => match c.iter().find(|(k, _)| k.starts_with("application/json")) {
                    Some((_, m)) => m.get("schema").cloned().unwrap_or(Value::Null),
                    None => json!("raw"),
                },
            }
        };
        let groups: [fn(&str) -> bool; 2] = [
            |s| s.starts_with('2'),
            |s| s.starts_with('4') || s.starts_with('5'),
        ];
        for in_group in groups {
            let kinds: BTreeSet<String> = responses
                .iter()
                .filter(|(s, _)| in_group(s))
                .map(|(_, r)| kind(r).to_string())
                .collect();
            if kinds.len() > 1 {
                for (_, r) in responses.iter_mut().filter(|(s, _)| in_group(s)) {
                    let description = r.get("description").cloned().unwrap_or(json!(""));
                    let original = kind(r);
                    let mut raw = json!({
                        "description": description,
                        "content": { "application/octet-stream": raw_media() },
                    });
                    // Keep the documented body schema (and so its generated type) for the SDK,
                    // and say which responses had no body at all.
                    if original.is_object() {
                        raw["x-original-schema"] = original;
                    } else if original.is_null() {
                        raw["x-original-empty"] = json!(true);
                    }
                    *r = raw;
                }
                hits += 1;
            }
        }
    });
    hits
}

/// Rule `bodiless-success-statuses`: an operation that answers one success status with a
/// JSON body and another without any (Linode grants: 200 with a document for a restricted
/// user, 204 for an unrestricted one) keeps its typed success response; the bodiless ones move
/// to the operation's `x-bodiless-responses` (status -> response object). The generated
/// method then decodes the documented body, and the operation table lists the bodiless
/// statuses, which the SDK's runtime reads as "success, no document".
fn bodiless_success_statuses(spec: &mut Value) -> usize {
    let mut hits = 0;
    spec::for_each_operation(spec, |_, _, op| {
        let Some(Value::Object(responses)) = op.get_mut("responses") else {
            return;
        };
        let is_empty = |r: &Value| {
            r.get("content")
                .and_then(Value::as_object)
                .is_none_or(Map::is_empty)
        };
        let success: Vec<(&String, &Value)> = responses
            .iter()
            .filter(|(s, _)| s.starts_with('2'))
            .collect();
        let bodies: BTreeSet<String> = success
            .iter()
            .filter(|(_, r)| !is_empty(r))
            .map(|(_, r)| r["content"].to_string())
            .collect();
        let json_body = success.iter().any(|(_, r)| {
            r.get("content")
                .and_then(Value::as_object)
                .is_some_and(|c| c.keys().any(|k| k.starts_with("application/json")))
        });
        let bodiless: Vec<String> = success
            .iter()
            .filter(|(_, r)| is_empty(r))
            .map(|(s, _)| (*s).clone())
            .collect();
        if bodies.len() != 1 || !json_body || bodiless.is_empty() {
            return;
        }
        let mut moved = Map::new();
        for status in bodiless {
            if let Some(response) = responses.remove(&status) {
                moved.insert(status, response);
            }
        }
        op["x-bodiless-responses"] = Value::Object(moved);
        hits += 1;
    });
    hits
}

/// The properties of the answer every Linode collection shares (Pagination, in the API's
/// documentation): the items and where this page sits among the others.
const PAGE_PROPERTIES: [&str; 4] = ["data", "page", "pages", "results"];

/// The request side of that shape: the query parameters every collection accepts, and the
/// `X-Filter` header (Filtering and sorting), in the form the API documents for all of them.
fn list_parameters() -> [Value; 3] {
    [
        json!({"name": "page", "in": "query", "required": false,
               "description": "The page of a collection to return.",
               "schema": {"type": "integer", "minimum": 1, "default": 1}}),
        json!({"name": "page_size", "in": "query", "required": false,
               "description": "The number of items to return per page.",
               "schema": {"type": "integer", "minimum": 25, "maximum": 500, "default": 100}}),
        json!({"name": "X-Filter", "in": "header", "required": false,
               "description": "A JSON filter on the __Filterable__ fields of the listed items \
                   (`{\"label\": \"web-1\"}`; operators `+and`, `+or`, `+contains`, `+neq`, \
                   `+gt`, `+gte`, `+lt`, `+lte`; sorting with `+order_by` and `+order`).",
               "schema": {"type": "string"}}),
    ]
}

/// The properties of an object schema, through `$ref`s and `allOf`.
fn object_properties(spec: &Value, schema: &Value, depth: usize) -> BTreeSet<String> {
    let schema = spec::deref(spec, schema);
    let mut names: BTreeSet<String> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    if depth < 8 {
        for part in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            names.extend(object_properties(spec, part, depth + 1));
        }
    }
    names
}

/// Rule (pagination): a `GET` whose 200 answer is a page (`data`, `page`, `pages`, `results`)
/// is marked `x-paginated`, so that the operation table says so and the SDK streams it, and
/// gets the parameters every Linode collection accepts that it does not declare itself:
/// `page`, `page_size` and the `X-Filter` header (27 lists of the pinned spec declare no page
/// parameters and only two declare `X-Filter`, although the API documents all three for every
/// collection). Counts the operations marked.
fn paginated_lists(spec: &mut Value) -> usize {
    let mut paged = Vec::new();
    for (path, method, op) in spec::operations(spec) {
        if method != "get" {
            continue;
        }
        let Some(schema) = op.pointer("/responses/200/content/application~1json/schema") else {
            continue;
        };
        let properties = object_properties(spec, schema, 0);
        if PAGE_PROPERTIES.iter().all(|p| properties.contains(*p)) {
            // Parameters declared on the path item count too.
            let declared: BTreeSet<String> = spec["paths"][&path]
                .get("parameters")
                .into_iter()
                .chain(op.get("parameters"))
                .filter_map(Value::as_array)
                .flatten()
                .map(|p| spec::deref(spec, p))
                .filter_map(|p| p.get("name").and_then(Value::as_str))
                .map(str::to_ascii_lowercase)
                .collect();
            paged.push((path, declared));
        }
    }
    for (path, declared) in &paged {
        let op = &mut spec["paths"][path]["get"];
        op["x-paginated"] = Value::Bool(true);
        let missing: Vec<Value> = list_parameters()
            .into_iter()
            .filter(|p| {
                !declared.contains(&p["name"].as_str().unwrap_or_default().to_ascii_lowercase())
            })
            .collect();
        if missing.is_empty() {
            continue;
        }
        match op.get_mut("parameters").and_then(Value::as_array_mut) {
            Some(list) => list.extend(missing),
            None => op["parameters"] = Value::Array(missing),
        }
    }
    paged.len()
}

/// The keywords that constrain a value rather than describe its type.
const CONSTRAINTS: &[&str] = &[
    "maxLength",
    "minLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
];

/// The formats that keep their meaning in a response: they choose a type (the SDK's lenient
/// `DateTime`, the redacting `Secret`), not a check.
const TYPE_FORMATS: &[&str] = &["date-time", "password"];

/// Rule `tolerant-response-schemas`: strict requests, tolerant responses. Every schema a
/// response body reaches (inline or through `$ref`) loses its constraints (`maxLength`,
/// `pattern`, `minimum`, ...) and its check-only formats (`email`, `int32`, ...), so that typify
/// generates plain `String`s and `i64`s instead of constrained newtypes that would reject a
/// whole page for one long company name. Schemas a request body also reaches keep them (the
/// SDK validates what it sends).
fn tolerant_response_schemas(spec: &mut Value) -> usize {
    fn refs(schema: &Value, out: &mut Vec<String>) {
        match schema {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    if let Some(name) = r.strip_prefix("#/components/schemas/") {
                        out.push(name.replace("~1", "/").replace("~0", "~"));
                    }
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    /// Component names reachable from `roots`, following references.
    fn closure(spec: &Value, roots: Vec<String>) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = roots;
        while let Some(name) = todo.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            if let Some(schema) = spec
                .pointer("/components/schemas")
                .and_then(|schemas| schemas.get(&name))
            {
                refs(schema, &mut todo);
            }
        }
        seen
    }
    /// Strips constraints from `schema` and its inline children (not through `$ref`).
    fn strip(schema: &mut Value) -> usize {
        let Value::Object(map) = schema else {
            return 0;
        };
        if map.contains_key("$ref") {
            return 0;
        }
        let mut hits = 0;
        for key in CONSTRAINTS {
            if map.remove(*key).is_some() {
                hits += 1;
            }
        }
        let check_only = map
            .get("format")
            .and_then(Value::as_str)
            .is_some_and(|f| !TYPE_FORMATS.contains(&f));
        if check_only {
            map.remove("format");
            hits += 1;
        }
        for (key, child) in map.iter_mut() {
            match (key.as_str(), child) {
                ("properties", Value::Object(props)) => {
                    hits += props.values_mut().map(strip).sum::<usize>();
                }
                ("items" | "additionalProperties" | "not", child) => hits += strip(child),
                ("allOf" | "oneOf" | "anyOf", Value::Array(branches)) => {
                    hits += branches.iter_mut().map(strip).sum::<usize>();
                }
                _ => {}
            }
        }
        hits
    }
    let mut request_roots = Vec::new();
    let mut response_roots = Vec::new();
    for (_, _, op) in spec::operations(spec) {
        if let Some(body) = op.get("requestBody") {
            refs(body, &mut request_roots);
        }
        if let Some(responses) = op.get("responses") {
            refs(responses, &mut response_roots);
        }
    }
    let requested = closure(spec, request_roots);
    let returned = closure(spec, response_roots);
    let mut hits = 0;
    // Inline response schemas (rule `hoist-response-schemas` leaves few).
    spec::for_each_operation(spec, |_, _, op| {
        if let Some(Value::Object(responses)) = op.get_mut("responses") {
            for response in responses.values_mut() {
                for schema in content_schemas(response) {
                    hits += strip(schema);
                }
            }
        }
    });
    if let Some(Value::Object(schemas)) = spec.pointer_mut("/components/schemas") {
        for name in returned.difference(&requested) {
            if let Some(schema) = schemas.get_mut(name) {
                hits += strip(schema);
            }
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodiless_success_statuses_leave_the_typed_body() {
        let mut spec = op(json!({
            "200": {"description": "body", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/G"}}}},
            "204": {"description": "none"},
            "4XX": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/E"}}}}}));
        assert_eq!(bodiless_success_statuses(&mut spec), 1);
        let get = &spec["paths"]["/x"]["get"];
        assert!(get["responses"].get("204").is_none());
        assert_eq!(get["x-bodiless-responses"]["204"]["description"], "none");
        assert!(get["responses"]["200"]["content"]["application/json"].is_object());
        // Rule 8 no longer sees a mixed group.
        assert_eq!(raw_mixed_response_groups(&mut spec), 0);
        // Two different bodies stay for rule 8; a lone empty success is left alone.
        let mut two = op_two_bodies();
        assert_eq!(bodiless_success_statuses(&mut two), 0);
        let mut lone = op(json!({"204": {"description": "none"}}));
        assert_eq!(bodiless_success_statuses(&mut lone), 0);
    }

    fn op_two_bodies() -> Value {
        op(json!({
            "200": {"content": {"application/json": {"schema": {"type": "string"}}}},
            "201": {"content": {"application/json": {"schema": {"type": "integer"}}}},
            "204": {"description": "none"}}))
    }

    #[test]
    fn readable_component_names_drop_the_assembly_prefix_and_status_codes() {
        let mut spec = json!({
            "paths": {"/e": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/added-get-events-200"}}}},
                                                  "409": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/added-post-cancel-account-409"}}}}}}}},
            "components": {"schemas": {
                "added-get-events-200": {"type": "object", "properties": {"e": {"$ref": "#/components/schemas/added-empty-obj"}}},
                "added-post-cancel-account-409": {"type": "object"},
                "added-empty-obj": {"type": "object"},
                "added-taken": {"type": "object"},
                "taken": {"type": "string"},
                "added-odd-299": {"type": "object"}
            }}
        });
        assert_eq!(readable_component_names(&mut spec), 3);
        let names: Vec<&String> = spec["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(
            names,
            [
                "added-odd-299",
                "added-taken",
                "empty-obj",
                "get-events-response",
                "post-cancel-account-conflict",
                "taken"
            ]
        );
        assert_eq!(
            spec["paths"]["/e"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
                ["$ref"],
            "#/components/schemas/get-events-response"
        );
        assert_eq!(
            spec["components"]["schemas"]["get-events-response"]["properties"]["e"]["$ref"],
            "#/components/schemas/empty-obj"
        );
    }

    #[test]
    fn paginated_lists_are_marked_and_get_the_collection_parameters() {
        let page = json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/P"}}}});
        let mut spec = json!({
            "paths": {
                "/regions": {"get": {"operationId": "get-regions", "responses": {"200": page.clone()}}},
                "/things": {
                    "parameters": [{"name": "page", "in": "query", "schema": {"type": "integer"}}],
                    "get": {"operationId": "get-things", "parameters": [{"name": "X-Filter", "in": "header"}],
                            "responses": {"200": page.clone()}},
                    "post": {"operationId": "post-thing", "responses": {"200": page}}},
                "/one": {"get": {"operationId": "get-one", "responses": {"200": {"content": {"application/json": {"schema": {"type": "object", "properties": {"data": {}}}}}}}}}
            },
            "components": {"schemas": {"P": {"allOf": [
                {"type": "object", "properties": {"page": {}, "pages": {}, "results": {}}},
                {"type": "object", "properties": {"data": {"type": "array"}}}]}}}
        });
        assert_eq!(paginated_lists(&mut spec), 2);
        let names = |op: &Value| -> Vec<String> {
            op["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["name"].as_str().unwrap().to_owned())
                .collect()
        };
        let regions = &spec["paths"]["/regions"]["get"];
        assert_eq!(regions["x-paginated"], true);
        assert_eq!(names(regions), ["page", "page_size", "X-Filter"]);
        assert_eq!(regions["parameters"][1]["schema"]["maximum"], 500);
        // Declared on the path item or the operation: not added twice.
        let things = &spec["paths"]["/things"]["get"];
        assert_eq!(names(things), ["X-Filter", "page_size"]);
        assert!(spec["paths"]["/things"]["post"]
            .get("x-paginated")
            .is_none());
        assert!(spec["paths"]["/one"]["get"].get("x-paginated").is_none());
    }

    #[test]
    fn response_schemas_lose_constraints_and_request_schemas_keep_them() {
        let mut spec = json!({
            "paths": {"/x": {"put": {
                "operationId": "put-x",
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/In"}}}},
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Out"}}}},
                              "201": {"content": {"application/json": {"schema": {"type": "object",
                                  "properties": {"n": {"type": "integer", "minimum": 1, "format": "int32"}}}}}}}}}},
            "components": {"schemas": {
                "In": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 8, "pattern": "^a"}}},
                "Out": {"type": "object", "properties": {
                    "company": {"type": "string", "maxLength": 128},
                    "email": {"type": "string", "format": "email", "minLength": 3},
                    "since": {"type": "string", "format": "date-time"},
                    "token": {"type": "string", "format": "password"},
                    "tags": {"type": "array", "maxItems": 2, "items": {"type": "string", "pattern": "^t"}},
                    "input": {"$ref": "#/components/schemas/In"}}}}}
        });
        assert_eq!(tolerant_response_schemas(&mut spec), 7);
        let out = &spec["components"]["schemas"]["Out"]["properties"];
        assert_eq!(out["company"], json!({"type": "string"}));
        assert_eq!(out["email"], json!({"type": "string"}));
        assert_eq!(out["since"]["format"], "date-time");
        assert_eq!(out["token"]["format"], "password");
        assert_eq!(
            out["tags"],
            json!({"type": "array", "items": {"type": "string"}})
        );
        let inline = &spec["paths"]["/x"]["put"]["responses"]["201"]["content"]["application/json"]
            ["schema"];
        assert_eq!(inline["properties"]["n"], json!({"type": "integer"}));
        // `In` is a request body (and also reached from `Out`): it stays strict.
        assert_eq!(
            spec["components"]["schemas"]["In"]["properties"]["name"]["maxLength"],
            8
        );
    }

    fn op(responses: Value) -> Value {
        json!({ "paths": { "/x": { "get": { "operationId": "get-x", "responses": responses } } } })
    }

    #[test]
    fn strip_version_path_segment_removes_segment_and_parameter() {
        let mut spec = json!({
            "paths": { "/{apiVersion}/account": { "parameters": [{"$ref": "#/components/parameters/v"}, {"name": "q", "in": "query"}],
                                                    "get": {"operationId": "a"} },
                       "/{id}/other": { "parameters": [{"name": "id", "in": "path", "schema": {"type": "string"}}], "get": {} } },
            "components": { "parameters": { "v": {"name": "apiVersion", "in": "path", "schema": {"enum": ["v4", "v4beta"]}} } }
        });
        assert_eq!(strip_version_path_segment(&mut spec), 1);
        assert_eq!(
            spec["paths"]["/account"]["parameters"],
            json!([{"name": "q", "in": "query"}])
        );
        assert!(spec["paths"].get("/{id}/other").is_some());
    }

    #[test]
    fn default_response_becomes_4xx_and_5xx() {
        let mut spec = op(json!({"200": {"description": "ok"}, "default": {"description": "err"}}));
        assert_eq!(default_response_as_error_ranges(&mut spec), 1);
        let r = &spec["paths"]["/x"]["get"]["responses"];
        assert!(r.get("default").is_none());
        assert_eq!(r["4XX"]["description"], "err");
        assert_eq!(r["5XX"]["description"], "err");
        let mut only_default = op(json!({"default": {"description": "any"}}));
        assert_eq!(default_response_as_error_ranges(&mut only_default), 0);
    }

    #[test]
    fn problem_json_is_renamed_to_json() {
        let mut spec = op(
            json!({"400": {"content": {"application/problem+json": {"schema": {"type": "object"}}}}}),
        );
        assert_eq!(problem_json_as_json(&mut spec), 1);
        assert!(
            spec["paths"]["/x"]["get"]["responses"]["400"]["content"]["application/json"]["schema"]
                .is_object()
        );
    }

    #[test]
    fn schemaless_json_response_becomes_raw() {
        let mut spec = op(json!({"200": {"content": {"application/json": {"example": {"a": 1}}}}}));
        assert_eq!(schemaless_json_as_raw(&mut spec), 1);
        let c = &spec["paths"]["/x"]["get"]["responses"]["200"]["content"];
        assert_eq!(c["application/octet-stream"]["schema"]["format"], "binary");
    }

    #[test]
    fn several_request_media_types_keep_json() {
        let mut spec = json!({"paths": {"/x": {"put": {"requestBody": {"content": {
            "text/plain": {"schema": {"type": "string"}}, "application/json": {"schema": {}}}}}}}});
        assert_eq!(single_request_media_type(&mut spec), 1);
        let body = &spec["paths"]["/x"]["put"]["requestBody"];
        let c = body["content"].as_object().unwrap();
        assert_eq!(c.keys().collect::<Vec<_>>(), ["application/json"]);
        assert_eq!(
            body["x-other-media-types"]["text/plain"]["schema"]["type"],
            "string"
        );
    }

    #[test]
    fn unknown_request_media_types_become_octet_stream() {
        let mut spec = json!({"paths": {"/x": {"put": {"requestBody": {"content": {"image/png": {"schema": {"type": "string"}}}}}}}});
        assert_eq!(binary_request_bodies(&mut spec), 1);
        let c = &spec["paths"]["/x"]["put"]["requestBody"]["content"];
        assert_eq!(c["application/octet-stream"]["schema"]["format"], "binary");
        assert!(c.get("image/png").is_none());
    }

    #[test]
    fn untyped_branches_under_a_typed_parent_are_dropped() {
        let mut spec = json!({"components": {"schemas": {"N": {"type": "object", "properties": {
            "retention": {"type": "integer", "oneOf": [{"title": "forever", "enum": [0]}, {"minimum": 86400}]},
            "either": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}}}}});
        assert_eq!(drop_untyped_branches(&mut spec), 1);
        let props = &spec["components"]["schemas"]["N"]["properties"];
        assert!(props["retention"].get("oneOf").is_none());
        assert!(props["either"].get("oneOf").is_some());
    }

    #[test]
    fn non_string_values_of_string_enums_become_text() {
        let mut spec = json!({"components": {"schemas": {"C": {"type": "string", "enum": [true, "local", false, 2]},
                                                        "N": {"type": "integer", "enum": [1, 2]}}}});
        assert_eq!(string_enum_values(&mut spec), 3);
        assert_eq!(
            spec["components"]["schemas"]["C"]["enum"],
            json!(["true", "local", "false", "2"])
        );
        assert_eq!(spec["components"]["schemas"]["N"]["enum"], json!([1, 2]));
    }

    #[test]
    fn additional_properties_false_is_removed_but_maps_stay() {
        let mut spec = json!({"components": {"schemas": {
            "A": {"type": "object", "additionalProperties": false, "properties": {"m": {"type": "object", "additionalProperties": {"type": "string"}}}}}}});
        assert_eq!(drop_additional_properties_false(&mut spec), 1);
        let a = &spec["components"]["schemas"]["A"];
        assert!(a.get("additionalProperties").is_none());
        assert!(a["properties"]["m"]["additionalProperties"].is_object());
    }

    #[test]
    fn formats_on_non_strings_are_dropped_and_opaque_formats_become_strings() {
        let mut spec = json!({"components": {"schemas": {"A": {"type": "object", "properties": {
            "ips": {"type": "array", "format": "ipv4", "items": {"type": "string", "format": "ipv4"}},
            "n": {"type": "integer", "format": "int32"},
            "when": {"type": "string", "format": "date-time"},
            "id": {"type": "string", "format": "uuid"}}}}}});
        assert_eq!(drop_misplaced_format(&mut spec), 1);
        assert_eq!(opaque_string_formats(&mut spec), 2);
        let p = &spec["components"]["schemas"]["A"]["properties"];
        assert!(p["ips"].get("format").is_none());
        assert!(p["ips"]["items"].get("format").is_none());
        assert_eq!(p["n"]["format"], "int32");
        assert_eq!(p["when"]["format"], "date-time");
        assert!(p["id"].get("format").is_none());
    }

    #[test]
    fn object_header_parameters_become_strings() {
        let mut spec = json!({"paths": {"/x": {"get": {"parameters": [
            {"name": "X-Filter", "in": "header", "schema": {"type": "object"}},
            {"name": "page", "in": "query", "schema": {"type": "object"}}]}}}});
        assert_eq!(string_header_parameters(&mut spec), 1);
        let ps = &spec["paths"]["/x"]["get"]["parameters"];
        assert_eq!(ps[0]["schema"]["type"], "string");
        assert_eq!(ps[1]["schema"]["type"], "object");
    }

    #[test]
    fn same_named_parameter_enums_share_one_component() {
        let p = json!({"name": "network", "in": "path", "schema": {"type": "string", "enum": ["staging", "production"]}});
        let mut spec = json!({"paths": {"/a": {"parameters": [p.clone()], "get": {}}, "/b": {"get": {"parameters": [p]}}}});
        assert_eq!(shared_parameter_enums(&mut spec), 2);
        assert_eq!(
            spec["paths"]["/a"]["parameters"][0]["schema"]["$ref"],
            "#/components/schemas/Network"
        );
        assert_eq!(
            spec["paths"]["/b"]["get"]["parameters"][0]["schema"]["$ref"],
            "#/components/schemas/Network"
        );
        assert_eq!(
            spec["components"]["schemas"]["Network"]["enum"],
            json!(["staging", "production"])
        );
    }

    #[test]
    fn inline_objects_equal_to_a_component_become_references() {
        let child = json!({"type": "object", "properties": {"euuid": {"type": "string"}}});
        let mut spec = json!({
            "components": {"schemas": {"child-account": child.clone(), "id": {"type": "integer"}}},
            "paths": {"/x": {"get": {"responses": {"200": {"content": {"application/json": {"schema":
                {"type": "object", "properties": {"data": {"type": "array", "items": child}, "page": {"type": "integer"}}}}}}}}}}
        });
        assert_eq!(ref_equal_components(&mut spec), 1);
        let s = &spec["paths"]["/x"]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"];
        assert_eq!(
            s["properties"]["data"]["items"]["$ref"],
            "#/components/schemas/child-account"
        );
        assert_eq!(s["properties"]["page"]["type"], "integer");
        assert!(spec["components"]["schemas"]["child-account"]
            .get("$ref")
            .is_none());
    }

    #[test]
    fn response_schemas_are_hoisted_with_distinct_names_and_shared_when_equal() {
        let err = json!({"type": "object", "properties": {"errors": {"type": "array"}}});
        let mut spec = json!({"paths": {
            "/a": {"get": {"operationId": "get-a", "responses": {
                "200": {"content": {"application/json": {"schema": {"type": "object", "properties": {"data": {}}}}}},
                "4XX": {"content": {"application/json": {"schema": err.clone()}}},
                "5XX": {"content": {"application/json": {"schema": err.clone()}}}}}},
            "/b": {"get": {"operationId": "get-b", "responses": {
                "200": {"content": {"application/json": {"schema": {"title": "thing", "type": "object"}}}},
                "4XX": {"content": {"application/json": {"schema": err}}}}}}}});
        assert_eq!(hoist_response_schemas(&mut spec), 5);
        let schemas = spec["components"]["schemas"].as_object().unwrap();
        assert_eq!(
            schemas.keys().collect::<Vec<_>>(),
            ["GetAError4XX", "GetAResponse", "Thing"]
        );
        assert_eq!(
            spec["paths"]["/b"]["get"]["responses"]["4XX"]["content"]["application/json"]["schema"]
                ["$ref"],
            "#/components/schemas/GetAError4XX"
        );
    }

    #[test]
    fn hoisted_names_do_not_collide_with_components_of_another_spelling() {
        let mut spec = json!({
            "components": {"schemas": {"linode": {"type": "object", "properties": {"id": {}}}}},
            "paths": {"/a": {"get": {"operationId": "get-a", "responses": {"200": {"content": {"application/json":
                {"schema": {"title": "Linode", "type": "object", "properties": {"other": {}}}}}}}}}}});
        assert_eq!(hoist_response_schemas(&mut spec), 1);
        let names: Vec<_> = spec["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(names, ["Linode2", "linode"]);
    }

    #[test]
    fn titles_naming_another_component_are_dropped() {
        let mut spec = json!({"components": {"schemas": {
            "linode": {"title": "Linode", "type": "object", "properties": {"id": {}}},
            "other": {"type": "object", "properties": {
                "inner": {"title": "Linode", "type": "object", "properties": {"label": {}}},
                "fine": {"title": "Unique", "type": "object"},
                "twin": {"title": "Unique", "type": "object", "properties": {"x": {}}}}}}}});
        assert_eq!(drop_colliding_titles(&mut spec), 2);
        let s = &spec["components"]["schemas"];
        assert_eq!(s["linode"]["title"], "Linode");
        assert!(s["other"]["properties"]["inner"].get("title").is_none());
        assert_eq!(s["other"]["properties"]["fine"]["title"], "Unique");
        assert!(s["other"]["properties"]["twin"].get("title").is_none());
    }

    #[test]
    fn mixed_success_bodies_become_raw_and_uniform_groups_stay() {
        let mut spec = op(json!({
            "200": {"description": "body", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/G"}}}},
            "204": {"description": "none"},
            "4XX": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/E"}}}},
            "5XX": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/E"}}}}}));
        assert_eq!(raw_mixed_response_groups(&mut spec), 1);
        let r = &spec["paths"]["/x"]["get"]["responses"];
        assert!(r["200"]["content"]["application/octet-stream"].is_object());
        assert!(r["204"]["content"]["application/octet-stream"].is_object());
        assert_eq!(
            r["200"]["x-original-schema"]["$ref"],
            "#/components/schemas/G"
        );
        assert_eq!(r["204"]["x-original-empty"], true);
        assert!(r["4XX"]["content"]["application/json"].is_object());
    }

    #[test]
    fn pascal_case() {
        assert_eq!(pascal("child-account"), "ChildAccount");
        assert_eq!(pascal("4XX"), "4XX");
        assert_eq!(pascal("get_items-200"), "GetItems200");
    }
}
