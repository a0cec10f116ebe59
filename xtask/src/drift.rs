//! The drift report: what changed between two processed specs, in terms a reviewer of an SDK
//! cares about (operations, status codes, parameters, fields, enum values).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;

use crate::spec;

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Change {
    OperationAdded(String),
    OperationRemoved(String),
    /// The operation's method or path changed.
    OperationMoved {
        op: String,
        from: String,
        to: String,
    },
    StatusAdded {
        op: String,
        status: String,
    },
    StatusRemoved {
        op: String,
        status: String,
    },
    ParameterAdded {
        op: String,
        name: String,
        required: bool,
    },
    ParameterRemoved {
        op: String,
        name: String,
    },
    ParameterRetyped {
        op: String,
        name: String,
        from: String,
        to: String,
    },
    /// The body type of one response status changed (another schema, or another shape).
    ResponseRetyped {
        op: String,
        status: String,
        from: String,
        to: String,
    },
    ParameterRequired {
        op: String,
        name: String,
        required: bool,
    },
    RequestBodyChanged {
        op: String,
    },
    SchemaAdded(String),
    SchemaRemoved(String),
    FieldAdded {
        schema: String,
        field: String,
        ty: String,
    },
    FieldRemoved {
        schema: String,
        field: String,
    },
    FieldRetyped {
        schema: String,
        field: String,
        from: String,
        to: String,
    },
    FieldRequired {
        schema: String,
        field: String,
        required: bool,
    },
    EnumValueAdded {
        schema: String,
        value: String,
    },
    EnumValueRemoved {
        schema: String,
        value: String,
    },
    /// Anything else in an operation (descriptions, examples...).
    OperationDocsChanged(String),
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::OperationAdded(op) => write!(f, "+ operation {op}"),
            Change::OperationRemoved(op) => write!(f, "- operation {op}"),
            Change::OperationMoved { op, from, to } => {
                write!(f, "~ operation {op}: {from} -> {to}")
            }
            Change::StatusAdded { op, status } => write!(f, "+ status {status} of {op}"),
            Change::StatusRemoved { op, status } => write!(f, "- status {status} of {op}"),
            Change::ParameterAdded { op, name, required } => {
                write!(
                    f,
                    "+ parameter {name} of {op}{}",
                    if *required { " (required)" } else { "" }
                )
            }
            Change::ParameterRemoved { op, name } => write!(f, "- parameter {name} of {op}"),
            Change::ParameterRequired { op, name, required } => write!(
                f,
                "~ parameter {name} of {op} is now {}",
                if *required { "required" } else { "optional" }
            ),
            Change::ParameterRetyped { op, name, from, to } => {
                write!(f, "~ parameter {name} of {op}: {from} -> {to}")
            }
            Change::ResponseRetyped {
                op,
                status,
                from,
                to,
            } => {
                write!(f, "~ response {status} of {op}: {from} -> {to}")
            }
            Change::RequestBodyChanged { op } => write!(f, "~ request body of {op}"),
            Change::SchemaAdded(s) => write!(f, "+ schema {s}"),
            Change::SchemaRemoved(s) => write!(f, "- schema {s}"),
            Change::FieldAdded { schema, field, ty } => write!(f, "+ field {schema}.{field}: {ty}"),
            Change::FieldRemoved { schema, field } => write!(f, "- field {schema}.{field}"),
            Change::FieldRetyped {
                schema,
                field,
                from,
                to,
            } => {
                write!(f, "~ field {schema}.{field}: {from} -> {to}")
            }
            Change::FieldRequired {
                schema,
                field,
                required,
            } => write!(
                f,
                "~ field {schema}.{field} is now {}",
                if *required { "required" } else { "optional" }
            ),
            Change::EnumValueAdded { schema, value } => write!(f, "+ enum value {schema}: {value}"),
            Change::EnumValueRemoved { schema, value } => {
                write!(f, "- enum value {schema}: {value}")
            }
            Change::OperationDocsChanged(op) => write!(f, "~ documentation of {op}"),
        }
    }
}

/// Every change between two processed specs, sorted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Report {
    pub(crate) changes: Vec<Change>,
}

impl Report {
    pub(crate) fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The report as text, headed by the API name.
    pub(crate) fn render(&self, api: &str) -> String {
        if self.is_empty() {
            return format!("  drift ({api}): none\n");
        }
        let mut out = format!("  drift ({api}): {} change(s)\n", self.changes.len());
        for change in &self.changes {
            let _ = writeln!(out, "    {change}");
        }
        out
    }
}

/// A short, readable type for a schema: `string`, `integer?` (nullable), `[Thing]`, `Thing`,
/// `map<string>`, `string(date-time)`, `enum`.
fn type_summary(schema: &Value) -> String {
    if let Value::String(kind) = schema {
        return kind.clone();
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    let nullable = schema.get("nullable") == Some(&Value::Bool(true));
    let base = match schema.get("type") {
        Some(Value::String(t)) if t == "array" => {
            format!("[{}]", schema.get("items").map_or("?".into(), type_summary))
        }
        Some(Value::String(t)) if t == "object" => match schema.get("additionalProperties") {
            Some(ap) if ap.is_object() => format!("map<{}>", type_summary(ap)),
            _ => "object".to_owned(),
        },
        Some(Value::String(t)) => match schema.get("format").and_then(Value::as_str) {
            Some(fmt) => format!("{t}({fmt})"),
            None => t.clone(),
        },
        Some(other) => other.to_string(),
        None => ["allOf", "oneOf", "anyOf"]
            .iter()
            .find_map(|k| {
                schema.get(*k).and_then(Value::as_array).map(|branches| {
                    let parts: Vec<_> = branches.iter().map(type_summary).collect();
                    format!("{k}({})", parts.join(", "))
                })
            })
            .unwrap_or_else(|| "any".to_owned()),
    };
    if nullable {
        format!("{base}?")
    } else {
        base
    }
}

/// Operations by id: (`METHOD /path`, path, operation).
fn operations_by_id(doc: &Value) -> BTreeMap<String, (String, String, &Value)> {
    spec::operations(doc)
        .into_iter()
        .map(|(path, method, op)| {
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{method} {path}"));
            (id, (format!("{} {path}", method.to_uppercase()), path, op))
        })
        .collect()
}

/// An operation's parameters (its own and its path item's): name (place) -> (required, type).
fn parameters(doc: &Value, path: &str, op: &Value) -> BTreeMap<String, (bool, String)> {
    let shared = doc
        .get("paths")
        .and_then(|p| p.get(path))
        .and_then(|item| item.get("parameters"))
        .and_then(Value::as_array);
    let own = op.get("parameters").and_then(Value::as_array);
    shared
        .into_iter()
        .flatten()
        .chain(own.into_iter().flatten())
        .map(|p| spec::deref(doc, p))
        .filter_map(|p| {
            let name = p.get("name")?.as_str()?;
            let place = p.get("in").and_then(Value::as_str).unwrap_or("?");
            let ty = p
                .get("schema")
                .map_or_else(|| "any".to_owned(), type_summary);
            Some((
                format!("{name} ({place})"),
                (p.get("required") == Some(&Value::Bool(true)), ty),
            ))
        })
        .collect()
}

/// The JSON body schema of each response status.
fn response_schemas(op: &Value) -> BTreeMap<String, Value> {
    op.get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(status, r)| {
            let content = r.get("content")?.as_object()?;
            let schema = content
                .iter()
                .find(|(k, _)| k.contains("json"))
                .and_then(|(_, m)| m.get("schema"))
                .cloned()
                .or_else(|| r.get("x-original-schema").cloned())
                .unwrap_or(Value::String("raw".into()));
            Some((status.clone(), schema))
        })
        .collect()
}

/// Compares two processed specs.
pub(crate) fn diff(old: &Value, new: &Value) -> Report {
    let mut changes = Vec::new();
    let (old_ops, new_ops) = (operations_by_id(old), operations_by_id(new));
    for id in old_ops.keys().filter(|k| !new_ops.contains_key(*k)) {
        changes.push(Change::OperationRemoved(id.clone()));
    }
    for (id, (where_new, path_new, op_new)) in &new_ops {
        let Some((where_old, path_old, op_old)) = old_ops.get(id) else {
            changes.push(Change::OperationAdded(format!("{id} ({where_new})")));
            continue;
        };
        let before = changes.len();
        if where_old != where_new {
            changes.push(Change::OperationMoved {
                op: id.clone(),
                from: where_old.clone(),
                to: where_new.clone(),
            });
        }
        let statuses = |op: &Value| -> BTreeSet<String> {
            op.get("responses")
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        };
        let (s_old, s_new) = (statuses(op_old), statuses(op_new));
        for status in s_new.difference(&s_old) {
            changes.push(Change::StatusAdded {
                op: id.clone(),
                status: status.clone(),
            });
        }
        for status in s_old.difference(&s_new) {
            changes.push(Change::StatusRemoved {
                op: id.clone(),
                status: status.clone(),
            });
        }
        let (p_old, p_new) = (
            parameters(old, path_old, op_old),
            parameters(new, path_new, op_new),
        );
        for (name, (required, ty)) in &p_new {
            match p_old.get(name) {
                None => changes.push(Change::ParameterAdded {
                    op: id.clone(),
                    name: name.clone(),
                    required: *required,
                }),
                Some((was_required, was_ty)) => {
                    if was_required != required {
                        changes.push(Change::ParameterRequired {
                            op: id.clone(),
                            name: name.clone(),
                            required: *required,
                        });
                    }
                    if was_ty != ty {
                        changes.push(Change::ParameterRetyped {
                            op: id.clone(),
                            name: name.clone(),
                            from: was_ty.clone(),
                            to: ty.clone(),
                        });
                    }
                }
            }
        }
        for name in p_old.keys().filter(|n| !p_new.contains_key(*n)) {
            changes.push(Change::ParameterRemoved {
                op: id.clone(),
                name: name.clone(),
            });
        }
        let (r_old, r_new) = (response_schemas(op_old), response_schemas(op_new));
        for (status, schema) in &r_new {
            let Some(before) = r_old.get(status) else {
                continue;
            };
            let (from, to) = (type_summary(before), type_summary(schema));
            if from != to {
                changes.push(Change::ResponseRetyped {
                    op: id.clone(),
                    status: status.clone(),
                    from,
                    to,
                });
                // Another schema now: say what differs between the two, field by field.
                let (a, b) = (spec::deref(old, before), spec::deref(new, schema));
                diff_schema(&format!("{id} {status}"), a, b, &mut changes);
            }
        }
        if op_old.get("requestBody") != op_new.get("requestBody") {
            changes.push(Change::RequestBodyChanged { op: id.clone() });
        }
        if changes.len() == before && op_old != op_new {
            changes.push(Change::OperationDocsChanged(id.clone()));
        }
    }
    diff_schemas(old, new, &mut changes);
    changes.sort();
    changes.dedup();
    Report { changes }
}

fn schemas(doc: &Value) -> BTreeMap<String, &Value> {
    doc.pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v)).collect())
        .unwrap_or_default()
}

fn diff_schemas(old: &Value, new: &Value, changes: &mut Vec<Change>) {
    let (old_s, new_s) = (schemas(old), schemas(new));
    for name in old_s.keys().filter(|k| !new_s.contains_key(*k)) {
        changes.push(Change::SchemaRemoved(name.clone()));
    }
    for (name, schema) in &new_s {
        match old_s.get(name) {
            None => changes.push(Change::SchemaAdded(name.clone())),
            Some(before) => diff_schema(name, before, schema, changes),
        }
    }
}

/// Compares one schema's fields and enum values, recursing into inline objects and arrays.
fn diff_schema(name: &str, old: &Value, new: &Value, changes: &mut Vec<Change>) {
    let values = |s: &Value| -> BTreeSet<String> {
        s.get("enum")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect()
    };
    let (e_old, e_new) = (values(old), values(new));
    for value in e_new.difference(&e_old) {
        changes.push(Change::EnumValueAdded {
            schema: name.to_owned(),
            value: value.clone(),
        });
    }
    for value in e_old.difference(&e_new) {
        changes.push(Change::EnumValueRemoved {
            schema: name.to_owned(),
            value: value.clone(),
        });
    }
    if let (Some(i_old), Some(i_new)) = (old.get("items"), new.get("items")) {
        diff_schema(&format!("{name}[]"), i_old, i_new, changes);
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let (Some(Value::Array(a)), Some(Value::Array(b))) = (old.get(key), new.get(key)) {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                diff_schema(&format!("{name}/{key}[{i}]"), x, y, changes);
            }
        }
    }
    let props = |s: &Value| -> BTreeMap<String, Value> {
        s.get("properties")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    };
    let required = |s: &Value| -> BTreeSet<String> {
        s.get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    let (p_old, p_new) = (props(old), props(new));
    let (r_old, r_new) = (required(old), required(new));
    for (field, schema) in &p_new {
        match p_old.get(field) {
            None => changes.push(Change::FieldAdded {
                schema: name.to_owned(),
                field: field.clone(),
                ty: type_summary(schema),
            }),
            Some(before) => {
                let (from, to) = (type_summary(before), type_summary(schema));
                if from != to {
                    changes.push(Change::FieldRetyped {
                        schema: name.to_owned(),
                        field: field.clone(),
                        from,
                        to,
                    });
                }
                if r_old.contains(field) != r_new.contains(field) {
                    changes.push(Change::FieldRequired {
                        schema: name.to_owned(),
                        field: field.clone(),
                        required: r_new.contains(field),
                    });
                }
                diff_schema(&format!("{name}.{field}"), before, schema, changes);
            }
        }
    }
    for field in p_old.keys().filter(|f| !p_new.contains_key(*f)) {
        changes.push(Change::FieldRemoved {
            schema: name.to_owned(),
            field: field.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({
            "paths": {"/t": {"get": {"operationId": "get-t",
                "parameters": [{"name": "q", "in": "query", "required": false}],
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/T"}}}}}}}},
            "components": {"schemas": {"T": {"type": "object", "required": ["a"], "properties": {
                "a": {"type": "string"}, "b": {"type": "integer"},
                "s": {"type": "string", "enum": ["X", "Y"]}}}}}
        })
    }

    #[test]
    fn identical_specs_have_no_drift() {
        assert!(diff(&base(), &base()).is_empty());
        assert_eq!(diff(&base(), &base()).render("x"), "  drift (x): none\n");
    }

    #[test]
    fn names_each_kind_of_change() {
        let mut new = base();
        new["paths"]["/t"]["get"]["responses"]["404"] = json!({"description": "gone"});
        new["paths"]["/t"]["get"]["parameters"][0]["required"] = json!(true);
        new["paths"]["/u"] = json!({"post": {"operationId": "post-u"}});
        let t = &mut new["components"]["schemas"]["T"]["properties"];
        t["c"] = json!({"type": "boolean"});
        t["b"] = json!({"type": "string"});
        t["s"]["enum"] = json!(["X", "Y", "Z"]);
        t.as_object_mut().unwrap().remove("a");
        let text = diff(&base(), &new).render("x");
        for expected in [
            "+ operation post-u (POST /u)",
            "+ status 404 of get-t",
            "~ parameter q (query) of get-t is now required",
            "+ field T.c: boolean",
            "- field T.a",
            "~ field T.b: integer -> string",
            "+ enum value T.s: Z",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
        let mut retyped = base();
        retyped["paths"]["/t"]["get"]["parameters"][0]["schema"] = json!({"type": "integer"});
        retyped["components"]["schemas"]["U"] = json!({"type": "object", "properties": {"a": {"type": "string"}, "z": {"type": "integer"}}});
        retyped["paths"]["/t"]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"]["$ref"] = json!("#/components/schemas/U");
        let text = diff(&base(), &retyped).render("x");
        for expected in [
            "~ parameter q (query) of get-t: any -> integer",
            "~ response 200 of get-t: T -> U",
            "+ field get-t 200.z: integer",
            "- field get-t 200.s",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
        let removed = diff(&new, &base()).render("x");
        assert!(removed.contains("- operation post-u"), "{removed}");
        assert!(removed.contains("- enum value T.s: Z"), "{removed}");
    }
}
