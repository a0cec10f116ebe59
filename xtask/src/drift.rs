//! The drift report: what changed between two processed specs, in terms a reviewer of an SDK
//! cares about (operations, status codes, parameters, fields, enum values).
//!
//! With a whole API selected a report may run to hundreds of lines, so it is grouped by area:
//! an operation's area is its first tag; a component schema's area is the area of the
//! operations that reach it (directly or through other schemas), "shared" when operations of
//! several areas reach it (the details name those areas), "untagged" when none has a tag. The
//! report opens with one line of counts per area, then lists the changes area by area.
//!
//! An operation whose id is gone while one new id sits at the same method and path (a leading
//! `/{apiVersion}` and parameter names set aside) is reported as renamed, not as removed and
//! added, and compared with its successor like any other operation.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;

use crate::spec::{self, collect_refs, route_key};

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
    /// The operation's id changed; `route` (`METHOD /path`, as now) did not.
    OperationRenamed {
        from: String,
        to: String,
        route: String,
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
            Change::OperationRenamed { from, to, route } => {
                write!(f, "~ operation {from} -> {to} ({route})")
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

impl Change {
    /// What the summary line of an area counts this change as.
    fn kind(&self) -> Kind {
        match self {
            Change::OperationAdded(_) => Kind::OperationsAdded,
            Change::OperationRemoved(_) => Kind::OperationsRemoved,
            Change::OperationRenamed { .. } => Kind::OperationsRenamed,
            Change::OperationMoved { .. } => Kind::OperationsMoved,
            Change::StatusAdded { .. } | Change::StatusRemoved { .. } => Kind::Statuses,
            Change::ParameterAdded { .. }
            | Change::ParameterRemoved { .. }
            | Change::ParameterRetyped { .. }
            | Change::ParameterRequired { .. } => Kind::Parameters,
            Change::ResponseRetyped { .. } => Kind::Responses,
            Change::RequestBodyChanged { .. } => Kind::RequestBodies,
            Change::SchemaAdded(_) => Kind::SchemasAdded,
            Change::SchemaRemoved(_) => Kind::SchemasRemoved,
            Change::FieldAdded { .. }
            | Change::FieldRemoved { .. }
            | Change::FieldRetyped { .. }
            | Change::FieldRequired { .. } => Kind::Fields,
            Change::EnumValueAdded { .. } => Kind::EnumValuesAdded,
            Change::EnumValueRemoved { .. } => Kind::EnumValuesRemoved,
            Change::OperationDocsChanged(_) => Kind::Documentation,
        }
    }
}

/// The counts of an area's summary line, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    OperationsAdded,
    OperationsRemoved,
    OperationsRenamed,
    OperationsMoved,
    Statuses,
    Parameters,
    Responses,
    RequestBodies,
    SchemasAdded,
    SchemasRemoved,
    Fields,
    EnumValuesAdded,
    EnumValuesRemoved,
    Documentation,
}

impl Kind {
    /// `+3 operations`, `1 field changed`...
    fn count(self, n: usize) -> String {
        let plural = |one: &str, many: &str| {
            if n == 1 {
                one.to_owned()
            } else {
                many.to_owned()
            }
        };
        match self {
            Kind::OperationsAdded => format!("+{n} {}", plural("operation", "operations")),
            Kind::OperationsRemoved => format!("-{n} {}", plural("operation", "operations")),
            Kind::OperationsRenamed => format!("{n} {} renamed", plural("operation", "operations")),
            Kind::OperationsMoved => format!("{n} {} moved", plural("operation", "operations")),
            Kind::Statuses => format!("{n} {} changed", plural("status", "statuses")),
            Kind::Parameters => format!("{n} {} changed", plural("parameter", "parameters")),
            Kind::Responses => format!("{n} {} retyped", plural("response", "responses")),
            Kind::RequestBodies => format!("{n} request {} changed", plural("body", "bodies")),
            Kind::SchemasAdded => format!("+{n} {}", plural("schema", "schemas")),
            Kind::SchemasRemoved => format!("-{n} {}", plural("schema", "schemas")),
            Kind::Fields => format!("{n} {} changed", plural("field", "fields")),
            Kind::EnumValuesAdded => format!("{n} enum {} added", plural("value", "values")),
            Kind::EnumValuesRemoved => format!("{n} enum {} removed", plural("value", "values")),
            Kind::Documentation => {
                format!("{n} documentation {}", plural("change", "changes"))
            }
        }
    }
}

/// The part of the API a change belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Area {
    /// The first tag of the operation, or of every operation that reaches the schema.
    Tag(String),
    /// A schema that operations of these areas (sorted, at least two) reach.
    Shared(Vec<String>),
    /// An operation without a tag, or a schema that no tagged operation reaches.
    Untagged,
}

impl Area {
    /// The area's name in the summary: every shared schema is counted on one line.
    fn summary_name(&self) -> &str {
        match self {
            Area::Tag(tag) => tag,
            Area::Shared(_) => "shared",
            Area::Untagged => "untagged",
        }
    }

    /// The heading of the area's changes.
    fn heading(&self) -> String {
        match self {
            Area::Shared(areas) if areas.len() > 4 => format!(
                "shared by {} and {} more",
                areas[..3].join(", "),
                areas.len() - 3
            ),
            Area::Shared(areas) => format!("shared by {}", areas.join(", ")),
            other => other.summary_name().to_owned(),
        }
    }
}

/// One line of the report and where it belongs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Entry {
    pub(crate) area: Area,
    pub(crate) change: Change,
}

/// Every change between two processed specs, sorted by area, then by change.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Report {
    pub(crate) entries: Vec<Entry>,
}

impl Report {
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The report as text, headed by the API name: one summary line per area (counts by kind),
    /// then the changes of each area under a heading.
    pub(crate) fn render(&self, api: &str) -> String {
        if self.is_empty() {
            return format!("  drift ({api}): none\n");
        }
        let mut out = format!("  drift ({api}): {} change(s)\n", self.entries.len());
        let mut summary: Vec<(&str, BTreeMap<Kind, usize>)> = Vec::new();
        for entry in &self.entries {
            let name = entry.area.summary_name();
            if summary.last().is_none_or(|(last, _)| *last != name) {
                summary.push((name, BTreeMap::new()));
            }
            if let Some((_, counts)) = summary.last_mut() {
                *counts.entry(entry.change.kind()).or_default() += 1;
            }
        }
        for (name, counts) in &summary {
            let counts: Vec<String> = counts.iter().map(|(kind, n)| kind.count(*n)).collect();
            let _ = writeln!(out, "    {name}: {}", counts.join(", "));
        }
        let mut area = None;
        for entry in &self.entries {
            if area != Some(&entry.area) {
                let _ = writeln!(out, "    -- {} --", entry.area.heading());
                area = Some(&entry.area);
            }
            let _ = writeln!(out, "      {}", entry.change);
        }
        out
    }
}

/// What a change is about, to find its area.
#[derive(Debug, Clone)]
enum Subject {
    Operation(String),
    /// A component schema.
    Schema(String),
}

/// The areas of one spec: each operation's first tag, and the tags of the operations that
/// reach each component schema.
#[derive(Default)]
struct Areas {
    operations: BTreeMap<String, Option<String>>,
    schemas: BTreeMap<String, BTreeSet<String>>,
}

impl Areas {
    fn of(doc: &Value) -> Self {
        let mut areas = Areas::default();
        // The references each referenced value holds, read once.
        let mut refs_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (id, (_, path, op)) in operations_by_id(doc) {
            let tag = op
                .pointer("/tags/0")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let mut queue = Vec::new();
            collect_refs(op, &mut queue);
            if let Some(shared) = doc
                .get("paths")
                .and_then(|p| p.get(&path))
                .and_then(|item| item.get("parameters"))
            {
                collect_refs(shared, &mut queue);
            }
            let mut seen = BTreeSet::new();
            while let Some(r) = queue.pop() {
                if !seen.insert(r.clone()) {
                    continue;
                }
                if let (Some(tag), Some(name)) = (&tag, schema_name(&r)) {
                    areas.schemas.entry(name).or_default().insert(tag.clone());
                }
                let next = refs_of.entry(r).or_insert_with_key(|r| {
                    let mut found = Vec::new();
                    if let Some(target) = spec::resolve(doc, r) {
                        collect_refs(target, &mut found);
                    }
                    found
                });
                queue.extend(next.iter().cloned());
            }
            areas.operations.insert(id, tag);
        }
        areas
    }
}

/// The component schema a `$ref` points into (`#/components/schemas/A~1B/properties/x` is
/// `A/B`).
fn schema_name(reference: &str) -> Option<String> {
    let rest = reference.strip_prefix("#/components/schemas/")?;
    let segment = rest.split('/').next()?;
    Some(segment.replace("~1", "/").replace("~0", "~"))
}

/// The area of `subject`, looked up in both specs (a removed thing is only in the old one).
fn area(subject: &Subject, old: &Areas, new: &Areas) -> Area {
    match subject {
        Subject::Operation(id) => new
            .operations
            .get(id)
            .or_else(|| old.operations.get(id))
            .cloned()
            .flatten()
            .map_or(Area::Untagged, Area::Tag),
        Subject::Schema(name) => {
            let tags: BTreeSet<&String> = [old, new]
                .iter()
                .filter_map(|areas| areas.schemas.get(name))
                .flatten()
                .collect();
            match tags.len() {
                0 => Area::Untagged,
                1 => Area::Tag(tags.into_iter().next().cloned().unwrap_or_default()),
                _ => Area::Shared(tags.into_iter().cloned().collect()),
            }
        }
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

/// One operation of a spec: `METHOD /path`, path, operation.
type Located<'a> = (String, String, &'a Value);

/// Compares two processed specs.
pub(crate) fn diff(old: &Value, new: &Value) -> Report {
    let mut found: Vec<(Subject, Change)> = Vec::new();
    let (old_ops, new_ops) = (operations_by_id(old), operations_by_id(new));
    let renames = renames(&old_ops, &new_ops);
    let successors: BTreeSet<&String> = renames.values().collect();
    for id in old_ops.keys() {
        if !new_ops.contains_key(id) && !renames.contains_key(id) {
            found.push((
                Subject::Operation(id.clone()),
                Change::OperationRemoved(id.clone()),
            ));
        }
    }
    for (id, now) in &new_ops {
        match old_ops.get(id) {
            Some(before) => diff_operation(id, false, (old, before), (new, now), &mut found),
            None if successors.contains(id) => {}
            None => found.push((
                Subject::Operation(id.clone()),
                Change::OperationAdded(format!("{id} ({})", now.0)),
            )),
        }
    }
    for (from, to) in &renames {
        let (before, now) = (&old_ops[from], &new_ops[to]);
        found.push((
            Subject::Operation(to.clone()),
            Change::OperationRenamed {
                from: from.clone(),
                to: to.clone(),
                route: now.0.clone(),
            },
        ));
        diff_operation(to, true, (old, before), (new, now), &mut found);
    }
    let mut schema_changes = Vec::new();
    diff_schemas(old, new, &mut schema_changes);
    found.extend(schema_changes);
    let (old_areas, new_areas) = (Areas::of(old), Areas::of(new));
    let mut entries: Vec<Entry> = found
        .into_iter()
        .map(|(subject, change)| Entry {
            area: area(&subject, &old_areas, &new_areas),
            change,
        })
        .collect();
    // One line per change, even when two subjects found it.
    entries.sort_by(|a, b| a.change.cmp(&b.change).then_with(|| a.area.cmp(&b.area)));
    entries.dedup_by(|a, b| a.change == b.change);
    entries.sort();
    Report { entries }
}

/// Operations whose id is gone while exactly one new id sits at the same method and path
/// (whatever the version prefix and the parameter names): old id -> new id.
fn renames(
    old_ops: &BTreeMap<String, Located<'_>>,
    new_ops: &BTreeMap<String, Located<'_>>,
) -> BTreeMap<String, String> {
    fn by_route<'a>(
        ops: &'a BTreeMap<String, Located<'_>>,
        others: &BTreeMap<String, Located<'_>>,
    ) -> BTreeMap<(String, String), Vec<&'a String>> {
        let mut out: BTreeMap<(String, String), Vec<&String>> = BTreeMap::new();
        for (id, (route, path, _)) in ops {
            if !others.contains_key(id) {
                let method = route.split(' ').next().unwrap_or_default().to_owned();
                out.entry((method, route_key(path))).or_default().push(id);
            }
        }
        out
    }
    let (gone, came) = (by_route(old_ops, new_ops), by_route(new_ops, old_ops));
    gone.into_iter()
        .filter_map(
            |(key, was)| match (&was[..], came.get(&key).map(Vec::as_slice)) {
                ([from], Some([to])) => Some(((*from).clone(), (*to).clone())),
                _ => None,
            },
        )
        .collect()
}

/// Compares one operation with what it was (under the same id, or under its old id when it
/// was renamed); every change is about `id`.
fn diff_operation(
    id: &str,
    renamed: bool,
    (old, (where_old, path_old, op_old)): (&Value, &Located<'_>),
    (new, (where_new, path_new, op_new)): (&Value, &Located<'_>),
    found: &mut Vec<(Subject, Change)>,
) {
    let mut changes = Vec::new();
    let op = || id.to_owned();
    // A renamed operation is at the same route by definition; its line names the route.
    if where_old != where_new && !renamed {
        changes.push(Change::OperationMoved {
            op: op(),
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
            op: op(),
            status: status.clone(),
        });
    }
    for status in s_old.difference(&s_new) {
        changes.push(Change::StatusRemoved {
            op: op(),
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
                op: op(),
                name: name.clone(),
                required: *required,
            }),
            Some((was_required, was_ty)) => {
                if was_required != required {
                    changes.push(Change::ParameterRequired {
                        op: op(),
                        name: name.clone(),
                        required: *required,
                    });
                }
                if was_ty != ty {
                    changes.push(Change::ParameterRetyped {
                        op: op(),
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
            op: op(),
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
                op: op(),
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
        changes.push(Change::RequestBodyChanged { op: op() });
    }
    if changes.is_empty() && without_id(op_old) != without_id(op_new) {
        changes.push(Change::OperationDocsChanged(op()));
    }
    found.extend(
        changes
            .into_iter()
            .map(|change| (Subject::Operation(op()), change)),
    );
}

/// An operation without its `operationId` (a rename alone is not a documentation change).
fn without_id(op: &Value) -> Value {
    let mut op = op.clone();
    if let Some(map) = op.as_object_mut() {
        map.remove("operationId");
    }
    op
}

fn schemas(doc: &Value) -> BTreeMap<String, &Value> {
    doc.pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v)).collect())
        .unwrap_or_default()
}

fn diff_schemas(old: &Value, new: &Value, found: &mut Vec<(Subject, Change)>) {
    let (old_s, new_s) = (schemas(old), schemas(new));
    let subject = |name: &String| Subject::Schema(name.clone());
    for name in old_s.keys().filter(|k| !new_s.contains_key(*k)) {
        found.push((subject(name), Change::SchemaRemoved(name.clone())));
    }
    for (name, schema) in &new_s {
        match old_s.get(name) {
            None => found.push((subject(name), Change::SchemaAdded(name.clone()))),
            Some(before) => {
                let mut changes = Vec::new();
                diff_schema(name, before, schema, &mut changes);
                found.extend(changes.into_iter().map(|c| (subject(name), c)));
            }
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

    /// Two areas: `get-a` (tag A) reaches `SA`, `get-b` (tag B) reaches `SB`; both reach
    /// `Page`, which reaches `Meta` through a property.
    fn tagged() -> Value {
        let json_ref = |name: &str| json!({"200": {"content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}}}});
        json!({
            "paths": {
                "/a": {"get": {"operationId": "get-a", "tags": ["A"], "responses": json_ref("SA")}},
                "/b": {"get": {"operationId": "get-b", "tags": ["B", "A"], "responses": json_ref("SB")}}
            },
            "components": {"schemas": {
                "SA": {"type": "object", "properties": {"page": {"$ref": "#/components/schemas/Page"}}},
                "SB": {"type": "object", "properties": {"page": {"$ref": "#/components/schemas/Page"},
                    "kind": {"type": "string", "enum": ["x"]}}},
                "Page": {"type": "object", "properties": {"meta": {"$ref": "#/components/schemas/Meta"}}},
                "Meta": {"type": "object", "properties": {"total": {"type": "integer"}}}
            }}
        })
    }

    #[test]
    fn changes_are_grouped_by_area_after_a_summary_line_per_area() {
        let mut new = tagged();
        new["paths"]["/a"]["post"] = json!({"operationId": "post-a", "tags": ["A"]});
        new["paths"]["/c"] = json!({"delete": {"operationId": "delete-c"}});
        let schemas = &mut new["components"]["schemas"];
        schemas["SA"]["properties"]["name"] = json!({"type": "string"});
        schemas["SA"]["properties"]["size"] = json!({"type": "integer"});
        schemas["SB"]["properties"]["kind"]["enum"] = json!(["x", "y"]);
        // Reached from both areas, through `Page`: shared.
        schemas["Meta"]["properties"]["total"] = json!({"type": "string"});
        let report = diff(&tagged(), &new);
        let areas: Vec<String> = report.entries.iter().map(|e| e.area.heading()).collect();
        assert_eq!(areas, ["A", "A", "A", "B", "shared by A, B", "untagged"]);
        assert_eq!(
            report.render("x"),
            "  drift (x): 6 change(s)\n\
             \x20   A: +1 operation, 2 fields changed\n\
             \x20   B: 1 enum value added\n\
             \x20   shared: 1 field changed\n\
             \x20   untagged: +1 operation\n\
             \x20   -- A --\n\
             \x20     + operation post-a (POST /a)\n\
             \x20     + field SA.name: string\n\
             \x20     + field SA.size: integer\n\
             \x20   -- B --\n\
             \x20     + enum value SB.kind: y\n\
             \x20   -- shared by A, B --\n\
             \x20     ~ field Meta.total: integer -> string\n\
             \x20   -- untagged --\n\
             \x20     + operation delete-c (DELETE /c)\n"
        );
        // A removed schema is placed with the operations that reached it before.
        let mut gone = tagged();
        gone["paths"].as_object_mut().unwrap().remove("/b");
        let schemas = gone["components"]["schemas"].as_object_mut().unwrap();
        schemas.remove("SB");
        let report = diff(&tagged(), &gone);
        let lines: Vec<(String, String)> = report
            .entries
            .iter()
            .map(|e| (e.area.heading(), e.change.to_string()))
            .collect();
        assert_eq!(
            lines,
            [
                ("B".to_owned(), "- operation get-b".to_owned()),
                ("B".to_owned(), "- schema SB".to_owned()),
            ]
        );
    }

    #[test]
    fn many_areas_sharing_a_schema_are_abbreviated() {
        let areas: Vec<String> = ["A", "B", "C", "D", "E"].map(String::from).to_vec();
        assert_eq!(
            Area::Shared(areas).heading(),
            "shared by A, B, C and 2 more"
        );
        assert_eq!(Kind::RequestBodies.count(1), "1 request body changed");
        assert_eq!(Kind::Statuses.count(2), "2 statuses changed");
    }

    #[test]
    fn a_renamed_operation_is_one_line_and_compared_with_its_predecessor() {
        let old = json!({"paths": {"/t/{id}": {"get": {"operationId": "get-t", "tags": ["T"],
            "parameters": [{"name": "id", "in": "path", "required": true}],
            "responses": {"200": {"description": "ok"}}}}}});
        let mut new = json!({"paths": {"/t/{tId}": {"get": {"operationId": "getT", "tags": ["T"],
            "parameters": [{"name": "tId", "in": "path", "required": true}],
            "responses": {"200": {"description": "ok"}}}}}});
        assert_eq!(
            diff(&old, &new).render("x"),
            "  drift (x): 3 change(s)\n\
             \x20   T: 1 operation renamed, 2 parameters changed\n\
             \x20   -- T --\n\
             \x20     ~ operation get-t -> getT (GET /t/{tId})\n\
             \x20     + parameter tId (path) of getT (required)\n\
             \x20     - parameter id (path) of getT\n"
        );
        // Another method at the same path is no successor.
        new["paths"]["/t/{tId}"]["post"] = new["paths"]["/t/{tId}"]["get"].take();
        new["paths"]["/t/{tId}"]
            .as_object_mut()
            .unwrap()
            .remove("get");
        let text = diff(&old, &new).render("x");
        assert!(text.contains("      - operation get-t\n"), "{text}");
        assert!(
            text.contains("      + operation getT (POST /t/{tId})\n"),
            "{text}"
        );
    }
}
