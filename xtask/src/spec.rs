//! Facts of OpenAPI documents held as `serde_json::Value`: loading, walking and writing them,
//! and the names and routes the other steps compare (progenitor's method name of an operation
//! id, a path without its version prefix, `$ref`s). A leaf: it imports no other module.

use anyhow::{Context, Result};
use heck::ToSnakeCase;
use serde_json::Value;

/// Parses an upstream file: JSON when it looks like JSON, YAML 1.2 otherwise.
pub(crate) fn parse(bytes: &[u8], origin: &str) -> Result<Value> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        serde_json::from_slice(bytes).with_context(|| format!("parsing {origin} as JSON"))
    } else {
        serde_norway::from_slice(bytes).with_context(|| format!("parsing {origin} as YAML"))
    }
}

/// Sorts every object's keys, recursively, so that output does not depend on input order.
pub(crate) fn sort_keys(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.values_mut().for_each(sort_keys);
            map.sort_keys();
        }
        Value::Array(items) => items.iter_mut().for_each(sort_keys),
        _ => {}
    }
}

/// The deterministic text of a processed spec: sorted keys, two-space indent, final newline.
pub(crate) fn to_text(value: &Value) -> String {
    let mut value = value.clone();
    sort_keys(&mut value);
    let mut text = serde_json::to_string_pretty(&value).expect("a JSON value always serializes");
    text.push('\n');
    text
}

/// The HTTP methods an OpenAPI path item can hold.
pub(crate) const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Calls `f(path, method, operation)` for every operation.
pub(crate) fn for_each_operation(spec: &mut Value, mut f: impl FnMut(&str, &str, &mut Value)) {
    let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if METHODS.contains(&method.as_str()) {
                f(path, method, op);
            }
        }
    }
}

/// Every operation as `(path, method, operation)`, read-only.
pub(crate) fn operations(spec: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            if let Some(item) = item.as_object() {
                for (method, op) in item {
                    if METHODS.contains(&method.as_str()) {
                        out.push((path.clone(), method.clone(), op));
                    }
                }
            }
        }
    }
    out
}

/// Resolves a local `$ref` (`#/components/...`) to the value it points at.
pub(crate) fn resolve<'a>(spec: &'a Value, reference: &str) -> Option<&'a Value> {
    spec.pointer(reference.strip_prefix('#')?)
}

/// Follows `$ref`s until a non-reference value is reached (bounded, to survive cycles).
pub(crate) fn deref<'a>(spec: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..32 {
        match value.get("$ref").and_then(Value::as_str) {
            Some(r) => match resolve(spec, r) {
                Some(target) => value = target,
                None => return value,
            },
            None => return value,
        }
    }
    value
}

/// Escapes one JSON Pointer segment (RFC 6901).
pub(crate) fn pointer_escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// progenitor's name for the method of an operation id (its `sanitize` in snake case).
pub(crate) fn method_name(operation_id: &str) -> String {
    operation_id
        .replace('\'', "")
        .replace(|c: char| !c.is_alphanumeric() && c != '_', "-")
        .to_snake_case()
}

/// `path` without a leading server or version path parameter (`/{apiVersion}/account` is
/// `/account`): a segment that is only a parameter whose name mentions a version or a server.
pub(crate) fn strip_version_prefix(path: &str) -> &str {
    let Some((name, rest)) = path.strip_prefix("/{").and_then(|r| r.split_once('}')) else {
        return path;
    };
    let name = name.to_ascii_lowercase();
    if !(name.contains("version") || name.contains("server")) {
        return path;
    }
    match rest {
        "" => "/",
        rest if rest.starts_with('/') => rest,
        _ => path,
    }
}

/// What a path does, whatever its prefix and its parameters' names: `/{apiVersion}/a/{id}`
/// and `/a/{euuid}` are both `/a/{}`.
pub(crate) fn route_key(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in strip_version_prefix(path).chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                out.push(r.to_owned());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn method_names_follow_progenitor() {
        assert_eq!(method_name("get-child-accounts"), "get_child_accounts");
        assert_eq!(method_name("getChildAccounts"), "get_child_accounts");
        assert_eq!(method_name("post-token-refresh"), "post_token_refresh");
    }

    #[test]
    fn parses_yaml_1_2_scalars_and_json() {
        let yaml = b"a: yes\nb: true\nc: 010\nd: '2024-01-01'\ne: 1.0\n";
        let v = parse(yaml, "t.yaml").unwrap();
        // YAML 1.2: `yes` is a string, not a boolean, and `010` is not the octal 8 of YAML 1.1
        // (the parser keeps a leading-zero number as the string it is written as).
        assert_eq!(
            v,
            json!({"a": "yes", "b": true, "c": "010", "d": "2024-01-01", "e": 1.0})
        );
        assert_eq!(
            parse(b" {\"x\": [1]}", "t.json").unwrap(),
            json!({"x": [1]})
        );
        assert!(parse(b"{", "t.json").is_err());
    }

    #[test]
    fn text_is_sorted_and_stable() {
        let a = json!({"b": 1, "a": {"d": 1, "c": [ {"z": 1, "y": 2} ]}});
        let t = to_text(&a);
        assert!(t.find("\"a\"").unwrap() < t.find("\"b\"").unwrap());
        assert!(t.find("\"y\"").unwrap() < t.find("\"z\"").unwrap());
        assert_eq!(t, to_text(&serde_json::from_str(&t).unwrap()));
    }
}
