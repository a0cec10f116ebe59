//! Keeps the operations we wrap and everything they reference.

use crate::generate::method_name;
use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::Value;

use crate::sources::{Selector, Source};
use crate::spec;

/// Selected operations that the upstream file does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Missing {
    pub(crate) selectors: Vec<Selector>,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self.selectors.iter().map(|s| format!("{s:?}")).collect();
        write!(f, "operations not found upstream: [{}]", names.join(", "))
    }
}

impl std::error::Error for Missing {}

/// Drops every operation not in `keep` (all are kept when `keep` is `None`) and the tags no
/// remaining operation uses. Components stay until [`prune_components`] runs after
/// normalisation, which may still refer to them (rule `ref-equal-components`).
pub(crate) fn select(spec: &mut Value, keep: Option<&[Selector]>) -> Result<(), Missing> {
    if let Some(keep) = keep {
        let ops = spec::operations(spec);
        let missing: Vec<Selector> = keep
            .iter()
            .filter(|sel| {
                !ops.iter()
                    .any(|(path, method, op)| matches(sel, path, method, op))
            })
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(Missing { selectors: missing });
        }
        if let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) {
            for (path, item) in paths.iter_mut() {
                if let Some(item) = item.as_object_mut() {
                    item.retain(|method, op| {
                        !spec::METHODS.contains(&method.as_str())
                            || keep.iter().any(|sel| matches(sel, path, method, op))
                    });
                }
            }
            paths.retain(|_, item| {
                item.as_object()
                    .is_some_and(|item| item.keys().any(|k| spec::METHODS.contains(&k.as_str())))
            });
        }
    }
    prune_tags(spec);
    Ok(())
}

fn matches(selector: &Selector, path: &str, method: &str, op: &Value) -> bool {
    match selector {
        Selector::Id(id) => op_id(op) == Some(id.as_str()),
        Selector::Route { method: m, path: p } => {
            m.eq_ignore_ascii_case(method) && route_key(p) == route_key(path)
        }
    }
}

fn op_id(op: &Value) -> Option<&str> {
    op.get("operationId").and_then(Value::as_str)
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
fn route_key(path: &str) -> String {
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

/// An id with its style set aside: `get-child-accounts` and `getChildAccounts` are equal.
fn id_key(id: &str) -> String {
    id.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// One operation of the upstream file: id, `METHOD`, path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Operation {
    pub(crate) id: String,
    pub(crate) method: String,
    pub(crate) path: String,
}

fn all_operations(doc: &Value) -> Vec<Operation> {
    spec::operations(doc)
        .into_iter()
        .map(|(path, method, op)| Operation {
            id: op_id(op).unwrap_or_default().to_owned(),
            method: method.to_uppercase(),
            path,
        })
        .collect()
}

/// A selected operation that vanished, what it was in the previous pull and what upstream has
/// in its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Vanished {
    pub(crate) selector: Selector,
    /// The operation the selector chose in the previous pull.
    pub(crate) was: Option<Operation>,
    /// The upstream operations now doing the same: same method and path (after a leading
    /// version parameter is set aside) for an id, same id for a method and path.
    pub(crate) now: Vec<Operation>,
}

/// Finds the successor of each missing operation in `upstream`, using the `previous` processed
/// spec to know what the missing operations were.
pub(crate) fn explain(
    missing: &Missing,
    previous: Option<&Value>,
    upstream: &Value,
) -> Vec<Vanished> {
    let before = previous.map(all_operations).unwrap_or_default();
    let after = all_operations(upstream);
    missing
        .selectors
        .iter()
        .map(|selector| {
            let was = before
                .iter()
                .find(|op| matches_operation(selector, op))
                .cloned();
            let mut now: Vec<Operation> = match (selector, &was) {
                (Selector::Id(_), Some(was)) => after
                    .iter()
                    .filter(|op| {
                        op.method == was.method && route_key(&op.path) == route_key(&was.path)
                    })
                    .cloned()
                    .collect(),
                (Selector::Route { .. }, Some(was)) => {
                    after.iter().filter(|op| op.id == was.id).cloned().collect()
                }
                _ => Vec::new(),
            };
            if now.is_empty() {
                // No previous pull (or nothing there any more): an id restyled keeps its words.
                let id = match (selector, &was) {
                    (Selector::Id(id), _) => Some(id.as_str()),
                    (_, Some(was)) => Some(was.id.as_str()),
                    _ => None,
                };
                if let Some(id) = id {
                    now = after
                        .iter()
                        .filter(|op| id_key(&op.id) == id_key(id))
                        .cloned()
                        .collect();
                }
            }
            Vanished {
                selector: selector.clone(),
                was,
                now,
            }
        })
        .collect()
}

fn matches_operation(selector: &Selector, op: &Operation) -> bool {
    match selector {
        Selector::Id(id) => &op.id == id,
        Selector::Route { method, path } => {
            method.eq_ignore_ascii_case(&op.method) && route_key(path) == route_key(&op.path)
        }
    }
}

/// The refusal text: each vanished operation with its successor, then how to proceed.
pub(crate) fn render_vanished(source: &Source, vanished: &[Vanished]) -> String {
    let mut out = format!(
        "{} selected operation(s) of {} not found upstream:\n",
        vanished.len(),
        source.name
    );
    for v in vanished {
        let was = v
            .was
            .as_ref()
            .map(|w| match &v.selector {
                Selector::Id(_) => format!(" (was {} {})", w.method, w.path),
                Selector::Route { .. } => format!(" (was {})", w.id),
            })
            .unwrap_or_default();
        let _ = write!(out, "  - {:?}{was}: ", v.selector.to_string());
        match &v.now[..] {
            [] => {
                let _ = match (&v.selector, &v.was) {
                    (Selector::Id(_), Some(w)) => {
                        writeln!(
                            out,
                            "no successor: nothing upstream at {} {}",
                            w.method,
                            strip_version_prefix(&w.path)
                        )
                    }
                    (Selector::Route { .. }, Some(w)) => {
                        writeln!(out, "no successor: no operation {} upstream", w.id)
                    }
                    _ => writeln!(
                        out,
                        "no successor found (and no previous pull to say what it was)"
                    ),
                };
            }
            now => {
                let list: Vec<String> = now
                    .iter()
                    .map(|op| format!("{} ({} {})", op.id, op.method, op.path))
                    .collect();
                let _ = writeln!(out, "now {}", list.join(" or "));
            }
        }
    }
    let overlay = source.overlay.as_ref().map_or_else(
        || "an overlay (`overlay = ...` in specs/sources.toml)".to_owned(),
        |p| format!("specs/{}", p.display()),
    );
    let mut with = vanished.iter().filter(|v| v.now.len() == 1).peekable();
    if with.peek().is_some() {
        out.push_str("How to proceed, for each operation with a successor, either:\n");
        out.push_str("  a. rename it in specs/sources.toml (the generated method name follows the new id):\n");
        let renames: Vec<&Vanished> = with.collect();
        for v in &renames {
            let now = &v.now[0];
            let old_name = v.was.as_ref().map_or_else(
                || match &v.selector {
                    Selector::Id(id) => method_name(id),
                    Selector::Route { .. } => method_name(&now.id),
                },
                |w| method_name(&w.id),
            );
            let new_name = method_name(&now.id);
            let effect = if old_name == new_name {
                format!("the method stays {new_name}")
            } else {
                format!("the method {old_name} becomes {new_name}: a breaking change of the public surface")
            };
            let replacement = match &v.selector {
                Selector::Id(_) => format!("{:?}", now.id),
                Selector::Route { .. } => {
                    format!("\"{} {}\"", now.method, strip_version_prefix(&now.path))
                }
            };
            let _ = writeln!(
                out,
                "       {:?} -> {replacement} ({effect})",
                v.selector.to_string()
            );
        }
        let _ = writeln!(
            out,
            "  b. or keep the old id, so that the generated method names (the public surface) stay \
             stable: select the operation by method and path in specs/sources.toml and give it its \
             old id back with an action in {overlay}:"
        );
        for v in &renames {
            let now = &v.now[0];
            let old_id = match (&v.selector, &v.was) {
                (Selector::Id(id), _) => id.clone(),
                (_, Some(w)) => w.id.clone(),
                _ => continue,
            };
            if old_id == now.id {
                continue;
            }
            let _ = writeln!(
                out,
                "       {:?} -> \"{} {}\", and\n         - target: $.paths['{}'].{}\n           description: Keep the operation id {old_id}, which upstream calls {}, so that the method stays {}.\n           update:\n             operationId: {old_id}",
                v.selector.to_string(),
                now.method,
                strip_version_prefix(&now.path),
                now.path.replace('\'', "\\'"),
                now.method.to_lowercase(),
                now.id,
                method_name(&old_id),
            );
        }
    }
    if vanished.iter().any(|v| v.now.len() != 1) {
        out.push_str(
            "For an operation without a single successor: select the one that replaces it (by id \
             or as \"METHOD /path\"), or drop it from specs/sources.toml together with the SDK code \
             that wraps it.\n",
        );
    }
    out
}

/// Removes components nothing outside `components` reaches.
pub(crate) fn prune_components(spec: &mut Value) {
    let mut reachable = BTreeSet::new();
    let mut queue: Vec<String> = Vec::new();
    for (key, value) in spec.as_object().into_iter().flatten() {
        if key != "components" {
            collect_refs(value, &mut queue);
        }
    }
    // Security schemes are referenced by name, not by `$ref`.
    if let Some(schemes) = spec
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
    {
        queue.extend(
            schemes
                .keys()
                .map(|k| format!("#/components/securitySchemes/{}", spec::pointer_escape(k))),
        );
    }
    while let Some(r) = queue.pop() {
        if !reachable.insert(r.clone()) {
            continue;
        }
        if let Some(target) = spec::resolve(spec, &r) {
            collect_refs(target, &mut queue);
        }
    }
    let Some(components) = spec.get_mut("components").and_then(Value::as_object_mut) else {
        return;
    };
    for (kind, entries) in components.iter_mut() {
        if let Some(entries) = entries.as_object_mut() {
            entries.retain(|name, _| {
                reachable.contains(&format!(
                    "#/components/{}/{}",
                    spec::pointer_escape(kind),
                    spec::pointer_escape(name)
                ))
            });
        }
    }
    components.retain(|_, v| v.as_object().is_none_or(|m| !m.is_empty()));
}

/// Drops top-level tags that no remaining operation uses.
fn prune_tags(spec: &mut Value) {
    let used: BTreeSet<String> = spec::operations(spec)
        .into_iter()
        .flat_map(|(_, _, op)| {
            op.get("tags")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        })
        .collect();
    if let Some(tags) = spec.get_mut("tags").and_then(Value::as_array_mut) {
        tags.retain(|t| {
            t.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| used.contains(n))
        });
    }
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

    fn tiny() -> Value {
        json!({
            "paths": {
                "/a": {"get": {"operationId": "get-a", "tags": ["A"], "responses": {"200": {"$ref": "#/components/responses/A"}}},
                        "post": {"operationId": "post-a", "tags": ["B"], "requestBody": {"$ref": "#/components/requestBodies/B"}}},
                "/b": {"get": {"operationId": "get-b"}}
            },
            "tags": [{"name": "A"}, {"name": "B"}],
            "components": {
                "responses": {"A": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}},
                "requestBodies": {"B": {}},
                "schemas": {"A": {"properties": {"x": {"$ref": "#/components/schemas/X"}}}, "X": {}, "Unused": {}}
            }
        })
    }

    fn ids(ids: &[&str]) -> Vec<Selector> {
        ids.iter().map(|id| Selector::parse(id).unwrap()).collect()
    }

    #[test]
    fn keeps_listed_operations_and_their_transitive_references() {
        let mut spec = tiny();
        select(&mut spec, Some(&ids(&["get-a"]))).unwrap();
        prune_components(&mut spec);
        assert_eq!(spec["paths"].as_object().unwrap().len(), 1);
        assert!(spec["paths"]["/a"].get("post").is_none());
        let schemas = spec["components"]["schemas"].as_object().unwrap();
        assert_eq!(schemas.keys().collect::<Vec<_>>(), ["A", "X"]);
        assert!(spec["components"].get("requestBodies").is_none());
        assert_eq!(spec["tags"], json!([{"name": "A"}]));
    }

    #[test]
    fn a_missing_operation_is_an_error() {
        let err = select(&mut tiny(), Some(&ids(&["nope"]))).unwrap_err();
        assert_eq!(err.selectors, ids(&["nope"]));
        assert!(err.to_string().contains("nope"));
    }

    #[test]
    fn operations_are_selected_by_method_and_path_whatever_the_prefix_and_names() {
        let mut spec = json!({"paths": {
            "/{apiVersion}/a/{euuid}": {"get": {"operationId": "get-a"}, "post": {"operationId": "post-a"}},
            "/{id}/b": {"get": {"operationId": "get-b"}}
        }});
        select(&mut spec, Some(&ids(&["GET /a/{id}", "GET /{x}/b"]))).unwrap();
        let kept: Vec<_> = spec::operations(&spec)
            .into_iter()
            .map(|(p, m, _)| format!("{m} {p}"))
            .collect();
        assert_eq!(kept, ["get /{apiVersion}/a/{euuid}", "get /{id}/b"]);
        // A leading parameter that is not a version stays part of the path.
        let err = select(&mut spec, Some(&ids(&["GET /b"]))).unwrap_err();
        assert_eq!(err.selectors, ids(&["GET /b"]));
    }

    fn source() -> Source {
        Source {
            name: "tiny".into(),
            url: "https://example.com/tiny.yaml".into(),
            sha256: "0".repeat(64),
            overlay: Some("overlays/tiny.yaml".into()),
            operations: None,
        }
    }

    #[test]
    fn a_vanished_operation_names_its_successor_and_how_to_proceed() {
        let previous = json!({"paths": {
            "/a": {"get": {"operationId": "get-a"}},
            "/gone": {"get": {"operationId": "get-gone"}},
            "/c": {"get": {"operationId": "get-c"}}
        }});
        let upstream = json!({"paths": {
            "/{apiVersion}/a": {"get": {"operationId": "getA"}},
            "/{apiVersion}/c": {"get": {"operationId": "listCs"}},
            "/{apiVersion}/moved": {"get": {"operationId": "get-m"}}
        }});
        let missing = Missing {
            selectors: ids(&["get-a", "get-gone", "get-c"]),
        };
        let vanished = explain(&missing, Some(&previous), &upstream);
        assert_eq!(vanished[0].now[0].id, "getA");
        assert!(vanished[1].now.is_empty());
        let text = render_vanished(&source(), &vanished);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[..4],
            [
                "3 selected operation(s) of tiny not found upstream:",
                "  - \"get-a\" (was GET /a): now getA (GET /{apiVersion}/a)",
                "  - \"get-gone\" (was GET /gone): no successor: nothing upstream at GET /gone",
                "  - \"get-c\" (was GET /c): now listCs (GET /{apiVersion}/c)",
            ]
        );
        assert!(
            text.contains("\"get-a\" -> \"getA\" (the method stays get_a)"),
            "{text}"
        );
        assert!(
            text.contains(
                "\"get-c\" -> \"listCs\" (the method get_c becomes list_cs: a breaking change"
            ),
            "{text}"
        );
        assert!(
            text.contains("action in specs/overlays/tiny.yaml"),
            "{text}"
        );
        assert!(
            text.contains(
                "\"get-c\" -> \"GET /c\", and\n         - target: $.paths['/{apiVersion}/c'].get\n"
            ),
            "{text}"
        );
        assert!(text.contains("             operationId: get-c\n"), "{text}");
        assert!(text.contains("drop it from specs/sources.toml"), "{text}");
    }

    #[test]
    fn without_a_previous_pull_a_restyled_id_is_still_recognised() {
        let upstream = json!({"paths": {"/{apiVersion}/x-y": {"get": {"operationId": "getXY"}}}});
        let missing = Missing {
            selectors: ids(&["get-x-y"]),
        };
        let vanished = explain(&missing, None, &upstream);
        assert_eq!(vanished[0].now[0].id, "getXY");
        let text = render_vanished(&source(), &vanished);
        assert!(
            text.contains("  - \"get-x-y\": now getXY (GET /{apiVersion}/x-y)"),
            "{text}"
        );
    }
}
