//! Keeps the operations we wrap and everything they reference.

use heck::ToShoutySnakeCase;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::sources::{Selector, Source};
use crate::spec::{self, collect_refs, method_name, route_key, strip_version_prefix};

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

/// Where the committed code names an operation that vanished. An update is refused when there
/// is such a place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Use {
    /// The files that name its constant in the generated operation table (`GET_ACCOUNT`).
    pub(crate) files: Vec<String>,
    /// Whether `core` in `specs/sources.toml` lists its id.
    pub(crate) core: bool,
}

/// The places that name each vanished operation, by old id.
pub(crate) type Uses = BTreeMap<String, Use>;

/// The name of an operation's constant in the generated `operations` table (`GET_ACCOUNT`).
pub(crate) fn const_name(operation_id: &str) -> String {
    method_name(operation_id).to_shouty_snake_case()
}

/// A refusal longer than this many lines lists only the first [`LISTED`] operations and saves
/// the whole text to `target/xtask/vanished-<api>.txt`.
const MAX_LINES: usize = 40;
const LISTED: usize = 20;

/// The refusal text for selected operations that vanished (see [`render_refusal`]).
pub(crate) fn render_vanished(source: &Source, vanished: &[Vanished]) -> String {
    render_refusal(source, vanished, &Uses::new())
}

/// The refusal text: a summary line (how many vanished, how many have a successor), what to do
/// in two lines, each vanished operation with its successor (those `uses` names first, each
/// with where it is named, then those without a single successor), then the renames and
/// overlay actions for each. `uses` empty: the selection in `sources.toml` refuses, and the
/// advice is about it; else the committed code does, and the advice is about that code. When
/// that is longer
/// than [`MAX_LINES`], the whole text goes to `target/xtask/vanished-<api>.txt` (in the
/// workspace root) and the refusal keeps the first three lines and [`LISTED`] operations.
pub(crate) fn render_refusal(source: &Source, vanished: &[Vanished], uses: &Uses) -> String {
    render_refusal_in(crate::workspace_root(), source, vanished, uses)
}

/// [`render_refusal`], saving a long text under `root`.
fn render_refusal_in(
    root: anyhow::Result<&Path>,
    source: &Source,
    vanished: &[Vanished],
    uses: &Uses,
) -> String {
    let refusal = Refusal::new(source, vanished, uses);
    let full = refusal.full();
    if full.lines().count() <= MAX_LINES {
        return full;
    }
    let relative = PathBuf::from(format!("target/xtask/vanished-{}.txt", source.name));
    let saved = root
        .map_err(|err| std::io::Error::other(format!("{err:#}")))
        .and_then(|root| {
            let path = root.join(&relative);
            path.parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(&path, &full))
        });
    refusal.short(&relative, saved.err())
}

/// The parts of a refusal.
struct Refusal<'a> {
    source: &'a Source,
    /// Those the committed code names first, then those without a single successor, then the
    /// others, each group in its order.
    vanished: Vec<&'a Vanished>,
    uses: &'a Uses,
}

impl<'a> Refusal<'a> {
    fn new(source: &'a Source, vanished: &'a [Vanished], uses: &'a Uses) -> Self {
        // What needs a decision first: what the code names, then what has no single successor.
        let mut vanished: Vec<&Vanished> = vanished.iter().collect();
        vanished.sort_by_key(|v| match (uses.contains_key(&old_id(v)), v.now.len()) {
            (true, _) => 0,
            (false, 1) => 2,
            (false, _) => 1,
        });
        Refusal {
            source,
            vanished,
            uses,
        }
    }

    /// Whether the committed code, rather than the selection in `sources.toml`, refuses (with
    /// `operations = "all"` nothing is selected by id; an operation selected by method and
    /// path may be renamed): the advice is then about that code.
    fn by_code(&self) -> bool {
        !self.uses.is_empty()
    }

    fn overlay(&self) -> String {
        self.source.overlay.as_ref().map_or_else(
            || "an overlay (`overlay = ...` in specs/sources.toml)".to_owned(),
            |p| format!("specs/{}", p.display()),
        )
    }

    /// The summary and what to do, three lines.
    fn head(&self) -> String {
        let count = |f: &dyn Fn(&Vanished) -> bool| self.vanished.iter().filter(|v| f(v)).count();
        let have = |n: usize| if n == 1 { "has" } else { "have" };
        let n = self.vanished.len();
        let renamed = count(&|v| v.now.len() == 1);
        let none = count(&|v| v.now.is_empty());
        let several = n - renamed - none;
        let named = count(&|v| self.uses.contains_key(&old_id(v)));
        let core = if self.uses.values().any(|u| u.core) {
            " or `core` in specs/sources.toml"
        } else {
            ""
        };
        let mut out = format!(
            "{n} selected operation{} of {}{} vanished upstream; {renamed} {} a successor at the \
             same method and path (renamed), {none} {} none",
            if n == 1 { "" } else { "s" },
            self.source.name,
            if self.source.operations.is_none() {
                " (operations = \"all\")"
            } else {
                ""
            },
            have(renamed),
            have(none),
        );
        if several > 0 {
            let _ = write!(out, ", {several} {} several candidates", have(several));
        }
        if named > 0 {
            let _ = write!(
                out,
                "; the committed code{core} names {named} of them (listed first)"
            );
        }
        out.push('\n');
        let overlay = self.overlay();
        if self.by_code() {
            let _ = writeln!(
                out,
                "To proceed: for each renamed operation, change the code that names it to the new \
                 name, or give the operation its old id back with an overlay action in {overlay} \
                 (its names stay);"
            );
            out.push_str(
                "for one without a successor, take that code off it. The others only change the \
                 generated surface (the drift report and the snapshots show them).\n",
            );
        } else {
            let _ = writeln!(
                out,
                "To proceed: rename each renamed operation in specs/sources.toml (its method is \
                 renamed too), or select it as \"METHOD /path\" and give it its old id back with an \
                 overlay action in {overlay} (its method stays);"
            );
            out.push_str(
                "for one without a single successor, select the operation that replaces it, or drop \
                 it from specs/sources.toml with the SDK code that wraps it.\n",
            );
        }
        out
    }

    /// One operation: what it was, what is there now, and where the code names it.
    fn entry(&self, v: &Vanished) -> String {
        let was = v
            .was
            .as_ref()
            .map(|w| match &v.selector {
                Selector::Id(_) => format!(" (was {} {})", w.method, w.path),
                Selector::Route { .. } => format!(" (was {})", w.id),
            })
            .unwrap_or_default();
        let mut out = format!("  - {:?}{was}: ", v.selector.to_string());
        let _ = match &v.now[..] {
            [] => match (&v.selector, &v.was) {
                (Selector::Id(_), Some(w)) => writeln!(
                    out,
                    "no successor: nothing upstream at {} {}",
                    w.method,
                    strip_version_prefix(&w.path)
                ),
                (Selector::Route { .. }, Some(w)) => {
                    writeln!(out, "no successor: no operation {} upstream", w.id)
                }
                _ => writeln!(
                    out,
                    "no successor found (and no previous pull to say what it was)"
                ),
            },
            now => {
                let list: Vec<String> = now
                    .iter()
                    .map(|op| format!("{} ({} {})", op.id, op.method, op.path))
                    .collect();
                writeln!(out, "now {}", list.join(" or "))
            }
        };
        let old = old_id(v);
        if let Some(named) = self.uses.get(&old) {
            let mut places = Vec::new();
            if !named.files.is_empty() {
                places.push(format!(
                    "named by {} in {}",
                    const_name(&old),
                    named.files.join(", ")
                ));
            }
            if named.core {
                places.push("listed in `core` in specs/sources.toml".to_owned());
            }
            let _ = writeln!(out, "      {}", places.join("; "));
        }
        out
    }

    /// The whole text: head, every operation, then how to proceed for each.
    fn full(&self) -> String {
        let mut out = self.head();
        for v in &self.vanished {
            out.push_str(&self.entry(v));
        }
        let renames: Vec<&Vanished> = self
            .vanished
            .iter()
            .copied()
            .filter(|v| v.now.len() == 1)
            .collect();
        if !renames.is_empty() {
            out.push_str("How to proceed, for each operation with a successor, either:\n");
            if self.by_code() {
                self.code_renames(&renames, &mut out);
            } else {
                self.source_renames(&renames, &mut out);
            }
            self.keep_old_ids(&renames, &mut out);
        }
        if self.vanished.iter().any(|v| v.now.len() != 1) {
            out.push_str(if self.by_code() {
                "For an operation without a single successor: take the code that names it off it, \
                 or onto the operation that replaces it.\n"
            } else {
                "For an operation without a single successor: select the one that replaces it (by id \
                 or as \"METHOD /path\"), or drop it from specs/sources.toml together with the SDK \
                 code that wraps it.\n"
            });
        }
        out
    }

    /// Option a with `operations = "all"`: the names to change in the code.
    fn code_renames(&self, renames: &[&Vanished], out: &mut String) {
        let named: Vec<&&Vanished> = renames
            .iter()
            .filter(|v| self.uses.contains_key(&old_id(v)))
            .collect();
        if named.is_empty() {
            return;
        }
        out.push_str(
            "  a. change the code that names it (the generated names follow the new id):\n",
        );
        for v in named {
            let (old, new) = (old_id(v), &v.now[0].id);
            let named = &self.uses[&old];
            if !named.files.is_empty() {
                let _ = writeln!(
                    out,
                    "       {} -> {} (method {} -> {}), in {}",
                    const_name(&old),
                    const_name(new),
                    method_name(&old),
                    method_name(new),
                    named.files.join(", ")
                );
            }
            if named.core {
                let _ = writeln!(
                    out,
                    "       {old:?} -> {new:?} in `core` in specs/sources.toml"
                );
            }
        }
    }

    /// Option a with listed operations: the entries of `sources.toml` to change.
    fn source_renames(&self, renames: &[&Vanished], out: &mut String) {
        out.push_str(
            "  a. rename it in specs/sources.toml (the generated method name follows the new id):\n",
        );
        for v in renames {
            let now = &v.now[0];
            let old = old_id(v);
            let old_name = method_name(if old.is_empty() { &now.id } else { &old });
            let new_name = method_name(&now.id);
            let effect = if old_name == new_name {
                format!("the method stays {new_name}")
            } else {
                format!(
                    "the method {old_name} becomes {new_name}: a breaking change of the public \
                     surface"
                )
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
    }

    /// Option b: give each operation its old id back with an overlay action (and, with listed
    /// operations, select it by method and path).
    fn keep_old_ids(&self, renames: &[&Vanished], out: &mut String) {
        let _ = writeln!(
            out,
            "  b. or keep the old id, so that the generated method names (the public surface) stay \
             stable: {}give it its old id back with an action in {}:",
            if self.by_code() {
                ""
            } else {
                "select the operation by method and path in specs/sources.toml and "
            },
            self.overlay()
        );
        for v in renames {
            let now = &v.now[0];
            let old_id = old_id(v);
            if old_id.is_empty() || old_id == now.id {
                continue;
            }
            if !self.by_code() {
                let _ = writeln!(
                    out,
                    "       {:?} -> \"{} {}\", and",
                    v.selector.to_string(),
                    now.method,
                    strip_version_prefix(&now.path),
                );
            }
            let _ = writeln!(
                out,
                "         - target: $.paths['{}'].{}\n           description: Keep the operation id \
                 {old_id}, which upstream calls {}, so that the method stays {}.\n           \
                 update:\n             operationId: {old_id}",
                now.path.replace('\'', "\\'"),
                now.method.to_lowercase(),
                now.id,
                method_name(&old_id),
            );
        }
    }

    /// The head and the first [`LISTED`] operations; the rest is in the file at `saved_to`.
    fn short(&self, saved_to: &Path, error: Option<std::io::Error>) -> String {
        let mut out = self.head();
        for v in self.vanished.iter().take(LISTED) {
            out.push_str(&self.entry(v));
        }
        let more = self.vanished.len().saturating_sub(LISTED);
        let what = if more > 0 {
            format!("… and {more} more; the full list")
        } else {
            "The full list".to_owned()
        };
        let _ = match error {
            None => writeln!(
                out,
                "{what}, with the renames and overlay actions for each, is in {}",
                saved_to.display()
            ),
            Some(err) => writeln!(
                out,
                "{what} could not be written to {}: {err}",
                saved_to.display()
            ),
        };
        out
    }
}

/// The id the operation had: the selected id, or the id of what a method and path selected.
fn old_id(v: &Vanished) -> String {
    match (&v.selector, &v.was) {
        (Selector::Id(id), _) => id.clone(),
        (_, Some(w)) => w.id.clone(),
        _ => String::new(),
    }
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
            core: Vec::new(),
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
        let listed = Source {
            operations: Some(ids(&["get-a", "get-gone", "get-c"])),
            ..source()
        };
        let text = render_vanished(&listed, &vanished);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "3 selected operations of tiny vanished upstream; 2 have a successor at the same \
             method and path (renamed), 1 has none"
        );
        assert!(
            lines[1].starts_with("To proceed: rename each renamed operation in specs/sources.toml")
        );
        assert!(lines[2].starts_with("for one without a single successor, select"));
        assert_eq!(
            lines[3..6],
            [
                "  - \"get-gone\" (was GET /gone): no successor: nothing upstream at GET /gone",
                "  - \"get-a\" (was GET /a): now getA (GET /{apiVersion}/a)",
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
    fn a_long_refusal_lists_the_named_operations_first_and_saves_the_rest() {
        // 30 operations renamed (`get-n` -> `get-n-old`), one dropped; the code names two.
        let mut previous = json!({"paths": {}});
        let mut upstream = json!({"paths": {}});
        for n in 0..31 {
            previous["paths"][format!("/o{n}")] =
                json!({"get": {"operationId": format!("get-o{n}")}});
            if n != 30 {
                upstream["paths"][format!("/{{apiVersion}}/o{n}")] =
                    json!({"get": {"operationId": format!("get-o{n}-old")}});
            }
        }
        let missing = Missing {
            selectors: (0..31).map(|n| Selector::Id(format!("get-o{n}"))).collect(),
        };
        let vanished = explain(&missing, Some(&previous), &upstream);
        let files = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect();
        let uses = Uses::from([
            (
                "get-o25".to_owned(),
                Use {
                    files: files(&["sdk/src/a.rs"]),
                    core: true,
                },
            ),
            (
                "get-o30".to_owned(),
                Use {
                    files: files(&["sdk/src/a.rs", "tests/it/b.rs"]),
                    core: false,
                },
            ),
        ]);
        let root = tempfile::tempdir().unwrap();
        let text = render_refusal_in(Ok(root.path()), &source(), &vanished, &uses);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "31 selected operations of tiny (operations = \"all\") vanished upstream; 30 have a \
             successor at the same method and path (renamed), 1 has none; the committed code or \
             `core` in specs/sources.toml names 2 of them (listed first)"
        );
        assert!(lines[1].starts_with("To proceed: for each renamed operation, change the code"));
        assert!(lines[2].starts_with("for one without a successor, take that code off it."));
        assert_eq!(
            lines[3..8],
            [
                "  - \"get-o25\" (was GET /o25): now get-o25-old (GET /{apiVersion}/o25)",
                "      named by GET_O25 in sdk/src/a.rs; listed in `core` in specs/sources.toml",
                "  - \"get-o30\" (was GET /o30): no successor: nothing upstream at GET /o30",
                "      named by GET_O30 in sdk/src/a.rs, tests/it/b.rs",
                "  - \"get-o0\" (was GET /o0): now get-o0-old (GET /{apiVersion}/o0)",
            ]
        );
        assert_eq!(lines.len(), 3 + 20 + 2 + 1, "{text}");
        assert_eq!(
            lines.last().copied(),
            Some(
                "… and 11 more; the full list, with the renames and overlay actions for each, is \
                 in target/xtask/vanished-tiny.txt"
            )
        );
        let full =
            std::fs::read_to_string(root.path().join("target/xtask/vanished-tiny.txt")).unwrap();
        assert!(
            full.starts_with(&text[..text.find("  - ").unwrap()]),
            "{full}"
        );
        assert_eq!(full.matches("\n  - \"get-o").count(), 31, "{full}");
        assert!(
            full.contains(
                "  a. change the code that names it (the generated names follow the new id):\n\
                 \x20      GET_O25 -> GET_O25_OLD (method get_o25 -> get_o25_old), in sdk/src/a.rs\n\
                 \x20      \"get-o25\" -> \"get-o25-old\" in `core` in specs/sources.toml\n\
                 \x20 b. or keep the old id"
            ),
            "{full}"
        );
        assert_eq!(
            full.matches("         - target: $.paths['/{apiVersion}/o")
                .count(),
            30
        );
        assert!(
            full.contains("             operationId: get-o7\n"),
            "{full}"
        );
        assert!(full.ends_with(
            "take the code that names it off it, or onto the operation that replaces it.\n"
        ));
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
