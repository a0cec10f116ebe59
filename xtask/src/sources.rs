//! `specs/sources.toml`: which upstream files to pull, pinned by sha256.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// One pinned upstream spec.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub(crate) name: String,
    pub(crate) url: String,
    pub(crate) sha256: String,
    /// An OpenAPI Overlay 1.0 document, relative to `specs/`.
    pub(crate) overlay: Option<PathBuf>,
    /// The operations to keep; `None` keeps every operation.
    pub(crate) operations: Option<Vec<Selector>>,
    /// The ids of the operations built whatever cargo features a dependent chooses. Empty:
    /// every operation is always built (no per-area features).
    pub(crate) core: Vec<String>,
}

/// One entry of a source's `operations` list: an operation id (`"get-account"`), or a method
/// and a path (`"GET /account/child-accounts"`), which pins what an operation does rather than
/// what it is called. A path matches with or without a leading version path parameter
/// (`/{apiVersion}`), and whatever its parameters are named.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Selector {
    Id(String),
    Route { method: String, path: String },
}

impl Selector {
    pub(crate) fn parse(entry: &str) -> Result<Self> {
        let entry = entry.trim();
        if let Some((method, path)) = entry.split_once(' ') {
            let lower = method.to_ascii_lowercase();
            if crate::spec::METHODS.contains(&lower.as_str()) && method == method.to_uppercase() {
                let path = path.trim();
                if !path.starts_with('/') || path.contains(char::is_whitespace) {
                    bail!(
                        "{entry:?}: expected \"METHOD /path\" (one space, a path starting with /)"
                    );
                }
                return Ok(Selector::Route {
                    method: method.to_owned(),
                    path: path.to_owned(),
                });
            }
        }
        if entry.is_empty() || entry.contains(char::is_whitespace) {
            bail!(
                "{entry:?}: expected an operation id or \"METHOD /path\" (METHOD in capitals: \
                 GET, PUT, POST, DELETE, OPTIONS, HEAD, PATCH, TRACE)"
            );
        }
        Ok(Selector::Id(entry.to_owned()))
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Selector::Id(id) => f.write_str(id),
            Selector::Route { method, path } => write!(f, "{method} {path}"),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    url: String,
    sha256: String,
    overlay: Option<PathBuf>,
    operations: Operations,
    #[serde(default)]
    core: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Operations {
    All(String),
    Listed(Vec<String>),
}

pub(crate) fn path(root: &Path) -> PathBuf {
    root.join("specs/sources.toml")
}

/// Reads every source, in file order.
pub(crate) fn load(root: &Path) -> Result<Vec<Source>> {
    let path = path(root);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    parse(&text).with_context(|| format!("in {}", path.display()))
}

fn parse(text: &str) -> Result<Vec<Source>> {
    let table: toml::Table = toml::from_str(text)?;
    let order = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix('[')?.strip_suffix(']'))
        .map(str::to_owned)
        .collect::<Vec<_>>();
    let mut sources = Vec::new();
    for name in order {
        let value = table
            .get(&name)
            .with_context(|| format!("section [{name}]"))?
            .clone();
        let raw: RawSource = value
            .try_into()
            .with_context(|| format!("section [{name}]"))?;
        let operations = match raw.operations {
            Operations::All(all) if all == "all" => None,
            Operations::All(other) => {
                bail!("[{name}] operations: expected a list or \"all\", found {other:?}")
            }
            Operations::Listed(list) => Some(
                list.iter()
                    .map(|entry| Selector::parse(entry))
                    .collect::<Result<Vec<_>>>()
                    .with_context(|| format!("[{name}] operations"))?,
            ),
        };
        if raw.sha256.len() != 64 || !raw.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!("[{name}] sha256 must be 64 hex digits");
        }
        sources.push(Source {
            name,
            url: raw.url,
            sha256: raw.sha256.to_ascii_lowercase(),
            overlay: raw.overlay,
            operations,
            core: raw.core,
        });
    }
    Ok(sources)
}

/// Selects the sources named in `apis` (all of them when empty).
pub(crate) fn select(all: Vec<Source>, apis: &[String]) -> Result<Vec<Source>> {
    for api in apis {
        if !all.iter().any(|s| &s.name == api) {
            let known = all.iter().map(|s| s.name.as_str()).collect::<Vec<_>>();
            bail!("unknown api {api:?}; specs/sources.toml has {known:?}");
        }
    }
    Ok(all
        .into_iter()
        .filter(|s| apis.is_empty() || apis.contains(&s.name))
        .collect())
}

/// Rewrites one key of one source in place, keeping the file's comments and layout.
fn set_key(root: &Path, api: &str, key: &str, value: &str) -> Result<()> {
    let path = path(root);
    let text = std::fs::read_to_string(&path)?;
    let mut doc: toml_edit::DocumentMut = text.parse()?;
    let table = doc
        .get_mut(api)
        .and_then(|t| t.as_table_mut())
        .with_context(|| format!("no [{api}] in {}", path.display()))?;
    table[key] = toml_edit::value(value);
    std::fs::write(&path, doc.to_string())?;
    Ok(())
}

pub(crate) fn set_sha256(root: &Path, api: &str, sha256: &str) -> Result<()> {
    set_key(root, api, "sha256", sha256)
}

pub(crate) fn set_url(root: &Path, api: &str, url: &str) -> Result<()> {
    set_key(root, api, "url", url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_in_file_order_with_all_and_listed_operations() {
        let sources = parse(
            r#"
            [b]
            url = "https://example.com/b.json"
            sha256 = "81547D626B16A17161C1C7A08ABA95F54854DB9922C751FC3CF88E82E1D9DDB1"
            operations = "all"
            [a]
            url = "https://example.com/a.yaml"
            sha256 = "81547d626b16a17161c1c7a08aba95f54854db9922c751fc3cf88e82e1d9ddb1"
            overlay = "overlays/a.yaml"
            operations = ["x", "y"]
            "#,
        )
        .unwrap();
        assert_eq!(sources[0].name, "b");
        assert!(sources[0].operations.is_none());
        assert_eq!(sources[0].sha256, sources[1].sha256);
        assert_eq!(
            sources[1].operations.as_deref().unwrap(),
            [Selector::Id("x".into()), Selector::Id("y".into())]
        );
    }

    #[test]
    fn operations_are_ids_or_methods_and_paths() {
        assert_eq!(
            Selector::parse("GET /account/child-accounts").unwrap(),
            Selector::Route {
                method: "GET".into(),
                path: "/account/child-accounts".into()
            }
        );
        assert_eq!(
            Selector::parse("getChildAccounts").unwrap(),
            Selector::Id("getChildAccounts".into())
        );
        assert_eq!(
            Selector::parse("POST /a/{id}/token").unwrap().to_string(),
            "POST /a/{id}/token"
        );
        for bad in ["GET account", "GET /a b", "get /a", ""] {
            assert!(Selector::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let text = "[a]\nurl = \"u\"\nsha256 = \"81547d626b16a17161c1c7a08aba95f54854db9922c751fc3cf88e82e1d9ddb1\"\noperations = [\"GET nope\"]\n";
        let err = format!("{:#}", parse(text).unwrap_err());
        assert!(
            err.contains("[a] operations") && err.contains("GET nope"),
            "{err}"
        );
    }

    #[test]
    fn rejects_a_bad_hash_and_unknown_keys() {
        let bad = "[a]\nurl = \"u\"\nsha256 = \"abc\"\noperations = \"all\"\n";
        assert!(format!("{:#}", parse(bad).unwrap_err()).contains("64 hex"));
        let unknown = "[a]\nurl = \"u\"\nsha = \"abc\"\noperations = \"all\"\n";
        assert!(parse(unknown).is_err());
    }
}
