//! Keeps the operations we wrap and everything they reference.

use std::collections::BTreeSet;

use anyhow::{bail, Result};
use serde_json::Value;

use crate::spec;

/// Drops every operation not in `keep` (all are kept when `keep` is `None`) and the tags no
/// remaining operation uses. Components stay until [`prune_components`] runs after
/// normalisation, which may still refer to them (rule `ref-equal-components`).
pub(crate) fn select(spec: &mut Value, keep: Option<&[String]>) -> Result<()> {
    if let Some(keep) = keep {
        let present: BTreeSet<String> = spec::operations(spec)
            .into_iter()
            .filter_map(|(_, _, op)| op.get("operationId")?.as_str().map(str::to_owned))
            .collect();
        let missing: Vec<_> = keep.iter().filter(|id| !present.contains(*id)).collect();
        if !missing.is_empty() {
            bail!("operations not found upstream: {missing:?}");
        }
        if let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) {
            for item in paths.values_mut() {
                if let Some(item) = item.as_object_mut() {
                    item.retain(|method, op| {
                        !spec::METHODS.contains(&method.as_str())
                            || op
                                .get("operationId")
                                .and_then(Value::as_str)
                                .is_some_and(|id| keep.iter().any(|k| k == id))
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

    #[test]
    fn keeps_listed_operations_and_their_transitive_references() {
        let mut spec = tiny();
        select(&mut spec, Some(&["get-a".to_owned()])).unwrap();
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
        let err = select(&mut tiny(), Some(&["nope".to_owned()])).unwrap_err();
        assert!(err.to_string().contains("nope"));
    }
}
