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
        let what = action.description.as_deref().unwrap_or(&action.target);
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
            "target {:?} selects nothing (stale overlay?)",
            action.target
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
}
