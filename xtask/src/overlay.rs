//! OpenAPI Overlay Specification 1.0: ordered actions whose RFC 9535 JSONPath `target`
//! selects nodes to `update` (deep merge) or `remove`.

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use serde_json::Value;
use serde_json_path::JsonPath;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Overlay {
    overlay: String,
    #[allow(dead_code)]
    info: Value,
    actions: Vec<Action>,
}

#[derive(Debug, Deserialize)]
struct Action {
    target: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    update: Option<Value>,
    #[serde(default)]
    remove: bool,
}

/// Applies the overlay document `text` (YAML or JSON) to `spec`. Every action must select at
/// least one node: an overlay whose target no longer exists upstream is stale and says so.
pub(crate) fn apply(spec: &mut Value, text: &str, origin: &str) -> Result<usize> {
    let overlay: Overlay =
        serde_norway::from_str(text).with_context(|| format!("parsing {origin}"))?;
    if !overlay.overlay.starts_with("1.") {
        bail!("{origin}: unsupported overlay version {}", overlay.overlay);
    }
    for (i, action) in overlay.actions.iter().enumerate() {
        let what = match &action.description {
            Some(d) => format!("{:?}", d.trim()),
            None => "no description".to_owned(),
        };
        apply_action(spec, action)
            .with_context(|| format!("{origin}: action {} ({what})", i + 1))?;
    }
    Ok(overlay.actions.len())
}

fn apply_action(spec: &mut Value, action: &Action) -> Result<()> {
    let path = JsonPath::parse(&action.target)
        .map_err(|e| anyhow::anyhow!("invalid JSONPath {:?}: {e}", action.target))?;
    let pointers: Vec<String> = path
        .query_located(spec)
        .locations()
        .map(|l| l.to_json_pointer())
        .collect();
    if pointers.is_empty() {
        bail!(
            "target {} selects nothing (stale overlay?): {}",
            action.target,
            explain_stale(spec, &action.target)
        );
    }
    if action.remove {
        if action.update.is_some() {
            bail!("an action cannot both update and remove");
        }
        // Remove the deepest/last locations first so that array indices stay valid.
        for pointer in pointers.iter().rev() {
            remove(spec, pointer)?;
        }
        return Ok(());
    }
    let update = action
        .update
        .as_ref()
        .context("an action needs `update` or `remove: true`")?;
    for pointer in &pointers {
        let node = spec.pointer_mut(pointer).expect("location just selected");
        merge(node, update);
    }
    Ok(())
}

/// Why `target` selects nothing: the first name along it that the document lacks, with the
/// nearest name that exists there (a path, a schema...), or the deepest node that exists.
fn explain_stale(spec: &Value, target: &str) -> String {
    let (names, rest) = leading_names(target);
    if names.is_empty() {
        if let Some(name) = rest.strip_prefix("$..").and_then(first_name) {
            let mut keys = std::collections::BTreeSet::new();
            all_keys(spec, &mut keys);
            if !keys.contains(name.as_str()) {
                return match nearest(keys.iter().map(String::as_str), &name) {
                    Some(near) => {
                        format!("no key {name:?} anywhere in the document; nearest: {near:?}")
                    }
                    None => format!("no key {name:?} anywhere in the document"),
                };
            }
            return format!("{name:?} exists, but the rest of the target matches nothing");
        }
        return "the target has no leading names to follow".to_owned();
    }
    let mut node = spec;
    let mut walked = String::from("$");
    for name in &names {
        match node.get(name) {
            Some(next) => {
                node = next;
                walked.push_str(&format!("['{name}']"));
            }
            None => {
                let keys = node
                    .as_object()
                    .into_iter()
                    .flat_map(|m| m.keys().map(String::as_str));
                return match nearest(keys, name) {
                    Some(near) => format!("{walked} has no {name:?}; nearest: {near:?}"),
                    None => format!("{walked} has no {name:?} (and nothing close)"),
                };
            }
        }
    }
    format!("{walked} exists, but the rest of the target ({rest}) matches nothing in it")
}

/// The names at the start of a JSONPath (`$.a['b'].c`), and the rest from the first segment
/// that is not a plain name (`*`, `..`, a filter, an index).
fn leading_names(target: &str) -> (Vec<String>, String) {
    let mut names = Vec::new();
    let Some(mut rest) = target.trim().strip_prefix('$') else {
        return (names, target.to_owned());
    };
    loop {
        if let Some(r) = rest.strip_prefix('.').filter(|r| !r.starts_with('.')) {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let name = &r[..end];
            if name.is_empty() || name == "*" {
                break;
            }
            names.push(name.to_owned());
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix("['").or_else(|| rest.strip_prefix("[\"")) {
            let quote = if rest.starts_with("['") { "']" } else { "\"]" };
            let Some(end) = r.find(quote) else { break };
            names.push(r[..end].replace("\\'", "'"));
            rest = &r[end + 2..];
        } else {
            break;
        }
    }
    let rest = format!("${rest}");
    (names, rest)
}

fn first_name(rest: &str) -> Option<String> {
    let end = rest.find(['.', '[']).unwrap_or(rest.len());
    let name = &rest[..end];
    (!name.is_empty() && name != "*").then(|| name.to_owned())
}

fn all_keys(value: &Value, out: &mut std::collections::BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                out.insert(k.clone());
                all_keys(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| all_keys(v, out)),
        _ => {}
    }
}

/// The key nearest to `wanted`: equal once a leading version path parameter is set aside, else
/// the smallest edit distance (at most half the length of `wanted`).
fn nearest<'a>(keys: impl Iterator<Item = &'a str>, wanted: &str) -> Option<&'a str> {
    let plain = crate::spec::strip_version_prefix(wanted);
    keys.map(|k| {
        let d = if crate::spec::strip_version_prefix(k) == plain {
            0
        } else {
            edit_distance(k, wanted)
        };
        (d, k)
    })
    .filter(|(d, _)| *d <= wanted.chars().count().div_ceil(2))
    .min()
    .map(|(_, k)| k)
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

fn remove(spec: &mut Value, pointer: &str) -> Result<()> {
    let (parent, last) = pointer
        .rsplit_once('/')
        .context("cannot remove the document root")?;
    let key = last.replace("~1", "/").replace("~0", "~");
    match spec.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.remove(&key);
        }
        Some(Value::Array(items)) => {
            let index: usize = key.parse()?;
            if index < items.len() {
                items.remove(index);
            }
        }
        _ => bail!("parent of {pointer} is not a container"),
    }
    Ok(())
}

/// Overlay merge: objects merge recursively, arrays are appended to, anything else replaces.
fn merge(target: &mut Value, update: &Value) {
    match (target, update) {
        (Value::Object(t), Value::Object(u)) => {
            for (k, v) in u {
                match t.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(t), Value::Array(u)) => t.extend(u.iter().cloned()),
        (Value::Array(t), u) => t.push(u.clone()),
        (t, u) => *t = u.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn updates_merge_and_removes_delete() {
        let mut spec = json!({
            "paths": {"/a": {"get": {"operationId": "a", "parameters": [{"name": "x"}, {"name": "y"}],
                                      "responses": {"200": {"description": "ok"}}}}}
        });
        let overlay = r#"
overlay: 1.0.0
info: {title: t, version: "1"}
actions:
  - target: $.paths['/a'].get
    update:
      summary: hello
      responses: {"404": {description: missing}}
  - target: $.paths['/a'].get.parameters[?@.name == 'x']
    remove: true
  - target: $.paths['/a'].get.parameters
    update: {name: z}
"#;
        assert_eq!(apply(&mut spec, overlay, "t").unwrap(), 3);
        let get = &spec["paths"]["/a"]["get"];
        assert_eq!(get["summary"], "hello");
        assert_eq!(get["responses"]["200"]["description"], "ok");
        assert_eq!(get["responses"]["404"]["description"], "missing");
        assert_eq!(get["parameters"], json!([{"name": "y"}, {"name": "z"}]));
    }

    #[test]
    fn a_target_that_selects_nothing_is_an_error() {
        let overlay = "overlay: 1.0.0\ninfo: {}\nactions:\n  - target: $.nope\n    remove: true\n";
        let err = apply(&mut json!({}), overlay, "o.yaml").unwrap_err();
        assert!(format!("{err:#}").contains("selects nothing"), "{err:#}");
    }

    #[test]
    fn a_stale_target_names_the_action_and_the_nearest_path_or_schema() {
        let mut spec = json!({
            "paths": {"/account": {"get": {}}, "/profile/grants": {"get": {}}, "/profile": {"get": {}}},
            "components": {"schemas": {"proxy-token": {"properties": {"token": {}}}, "account": {}}}
        });
        let overlay = r#"
overlay: 1.0.0
info: {}
actions:
  - target: $.components.schemas['proxy-token'].properties.token
    description: Still there.
    update: {format: password}
  - target: $.paths['/{apiVersion}/profile'].get.responses['200']
    description: Name the profile type.
    update: {title: Profile}
"#;
        let err = format!(
            "{:#}",
            apply(&mut spec.clone(), overlay, "o.yaml").unwrap_err()
        );
        assert!(
            err.starts_with("o.yaml: action 2 (\"Name the profile type.\"): target $.paths"),
            "{err}"
        );
        assert!(
            err.ends_with("$['paths'] has no \"/{apiVersion}/profile\"; nearest: \"/profile\""),
            "{err}"
        );

        let schema = "overlay: 1.0.0\ninfo: {}\nactions:\n  - target: $.components.schemas['proxy-user-token'].properties.token\n    description: A secret.\n    update: {format: password}\n";
        let err = format!("{:#}", apply(&mut spec, schema, "o.yaml").unwrap_err());
        assert!(err.contains("action 1 (\"A secret.\")"), "{err}");
        assert!(
            err.ends_with(
                "$['components']['schemas'] has no \"proxy-user-token\"; nearest: \"proxy-token\""
            ),
            "{err}"
        );

        let deeper = "overlay: 1.0.0\ninfo: {}\nactions:\n  - target: $.paths['/account'].get.parameters[?@.name == 'x']\n    remove: true\n";
        let err = format!("{:#}", apply(&mut spec, deeper, "o.yaml").unwrap_err());
        assert!(
            err.contains("$['paths']['/account']['get'] has no \"parameters\" (and nothing close)"),
            "{err}"
        );

        let anywhere =
            "overlay: 1.0.0\ninfo: {}\nactions:\n  - target: $..tokn.x\n    remove: true\n";
        let err = format!("{:#}", apply(&mut spec, anywhere, "o.yaml").unwrap_err());
        assert!(
            err.contains("(no description)") || err.contains("no description"),
            "{err}"
        );
        assert!(
            err.ends_with("no key \"tokn\" anywhere in the document; nearest: \"token\""),
            "{err}"
        );
    }
}
