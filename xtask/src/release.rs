//! What an accepted `cargo xtask update` records for the next release: the semver verdict of
//! the change, an entry in `CHANGELOG.md`, and the version it needs.
//!
//! * **Verdict.** The public API of `akamai-sdk-generated` before the update (the committed
//!   `generated/src/*.rs`) and after it (the scratch copy) are compared with
//!   [`xtask::semver`], and so are the features of `generated/Cargo.toml` and
//!   `sdk/Cargo.toml` (`generate` writes one per area). Major, minor or patch, with the
//!   reasons.
//! * **Changelog.** One entry under `## [Unreleased]`, in its `### Changed` list (Keep a
//!   Changelog; the section, the list, or the whole file are created when missing): the spec's
//!   new source, the verdict, the operations added, removed, renamed or moved, the fields,
//!   parameters, responses and enum values that changed (from the drift report), and the
//!   reasons of the verdict.
//! * **Version.** The rule for the workspace's `version` (`[workspace.package]` in the root
//!   `Cargo.toml`), read as Cargo reads 0.x versions, where the first non-zero number is the
//!   breaking one: from the last released version `0.y.z` (the first `## [x.y.z]` of the
//!   changelog, else the current version), a major change needs `0.(y+1).0` and a minor one
//!   `0.y.(z+1)`; from `x.y.z` with `x >= 1`, `(x+1).0.0` and `x.(y+1).0`. A patch
//!   (documentation only) needs no new version. The version becomes the larger of what it is
//!   and what the change needs, so that several updates before a release bump it once, for
//!   the largest change. The workspace's dependencies on its own crates
//!   (`[workspace.dependencies]` entries with a `path`) and the workspace's packages in
//!   `Cargo.lock` follow.
//!
//! Everything is written in the update's scratch copy and swapped in with the rest.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use xtask::semver::{self, Level, Reason, Verdict};

use crate::drift::{Change, Report};

/// The manifests whose features are part of a crate's API, with the crate's name.
const FEATURE_MANIFESTS: [(&str, &str); 2] = [
    ("generated/Cargo.toml", "akamai-sdk-generated"),
    ("sdk/Cargo.toml", "akamai-sdk"),
];

/// The files [`record`] may change, relative to the root.
const FILES: [&str; 3] = ["CHANGELOG.md", "Cargo.toml", "Cargo.lock"];

/// At most this many drift changes and reasons are listed in a changelog entry.
const ENTRY_CHANGES: usize = 40;
const ENTRY_REASONS: usize = 10;

/// An update's verdict and what it changes for the release.
#[derive(Debug)]
pub(crate) struct Release {
    pub(crate) verdict: Verdict,
    /// `(from, to)` when the version changes.
    pub(crate) version: Option<(String, String)>,
    /// Whether `CHANGELOG.md` got an entry.
    pub(crate) changelog: bool,
    /// The files of the root to replace with their scratch copies.
    pub(crate) files: Vec<PathBuf>,
}

/// One updated source: its name, new URL and drift report.
pub(crate) struct Updated<'a> {
    pub(crate) api: &'a str,
    pub(crate) url: &'a str,
    pub(crate) report: &'a Report,
}

/// The verdict between the generated crate of `root` and that of `work`.
pub(crate) fn verdict(root: &Path, work: &Path) -> Result<Verdict> {
    let mut reasons = Vec::new();
    for name in generated_files(root, work)? {
        let relative = Path::new("generated/src").join(&name);
        let read = |dir: &Path| -> Result<String> {
            let path = dir.join(&relative);
            if path.is_file() {
                std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))
            } else {
                Ok(String::new())
            }
        };
        let (old, new) = (read(root)?, read(work)?);
        if old == new {
            continue;
        }
        let stem = name.trim_end_matches(".rs");
        let module = if stem == "lib" {
            String::new()
        } else {
            format!("{stem}::")
        };
        reasons.extend(
            semver::compare_code(&module, &old, &new)
                .map_err(|e| anyhow!("parsing {}: {e}", relative.display()))?,
        );
    }
    for (manifest, name) in FEATURE_MANIFESTS {
        let (old, new) = (root.join(manifest), work.join(manifest));
        if !old.is_file() || !new.is_file() {
            continue;
        }
        let (old, new) = (
            std::fs::read_to_string(&old)?,
            std::fs::read_to_string(&new)?,
        );
        if old != new {
            reasons.extend(
                semver::compare_features(name, &old, &new)
                    .with_context(|| format!("reading the features of {manifest}"))?,
            );
        }
    }
    Ok(Verdict::of(reasons))
}

/// The `.rs` files of `generated/src` in either root, sorted.
fn generated_files(root: &Path, work: &Path) -> Result<Vec<String>> {
    let mut names = std::collections::BTreeSet::new();
    for dir in [root, work] {
        let dir = dir.join("generated/src");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if name.ends_with(".rs") {
                names.insert(name);
            }
        }
    }
    Ok(names.into_iter().collect())
}

/// Computes the verdict and writes the changelog entry and the version bump into `work`
/// (copies of the root's files); returns what to swap in. An update that changes nothing for
/// dependents (an empty drift report and the same API and code: a new URL or hash, a
/// reformatted file, an example) gets no entry.
pub(crate) fn record(root: &Path, work: &Path, updated: &[Updated<'_>]) -> Result<Release> {
    let verdict = verdict(root, work)?;
    let mut files = Vec::new();
    let drift = updated.iter().any(|u| !u.report.is_empty());
    if verdict.level == Level::Patch && !drift {
        return Ok(Release {
            verdict,
            version: None,
            changelog: false,
            files,
        });
    }
    for file in FILES {
        if root.join(file).is_file() {
            std::fs::copy(root.join(file), work.join(file))
                .with_context(|| format!("copying {file}"))?;
        }
    }
    let changelog_path = work.join("CHANGELOG.md");
    let old_changelog = std::fs::read_to_string(&changelog_path).ok();
    let entry = changelog_entry(&verdict, updated);
    let changelog = add_entry(old_changelog.as_deref(), &entry);
    std::fs::write(&changelog_path, &changelog).context("writing CHANGELOG.md")?;
    files.push(PathBuf::from("CHANGELOG.md"));

    let mut version = None;
    let manifest_path = work.join("Cargo.toml");
    if let Ok(manifest) = std::fs::read_to_string(&manifest_path) {
        let current = workspace_version(&manifest)?;
        let released = old_changelog
            .as_deref()
            .and_then(released_version)
            .unwrap_or(current);
        let needed = bump(released, verdict.level);
        if needed > current {
            std::fs::write(&manifest_path, set_workspace_version(&manifest, needed)?)
                .context("writing Cargo.toml")?;
            files.push(PathBuf::from("Cargo.toml"));
            let lock_path = work.join("Cargo.lock");
            if let Ok(lock) = std::fs::read_to_string(&lock_path) {
                std::fs::write(&lock_path, set_lock_version(&lock, current, needed)?)
                    .context("writing Cargo.lock")?;
                files.push(PathBuf::from("Cargo.lock"));
            }
            version = Some((current.to_string(), needed.to_string()));
        }
    }
    Ok(Release {
        verdict,
        version,
        changelog: true,
        files,
    })
}

/// At most this many reasons are printed; the full list then goes to a file.
const PRINTED_REASONS: usize = 100;

impl Release {
    /// The verdict, its reasons and what was recorded, as printed by `update`. The first line
    /// is `semver verdict: LEVEL` (the spec-update workflow reads it).
    pub(crate) fn render(&self, root: &Path) -> Result<String> {
        let mut out = format!("semver verdict: {}\n", self.verdict.level);
        for reason in self.verdict.reasons.iter().take(PRINTED_REASONS) {
            let _ = writeln!(out, "  {reason}");
        }
        let total = self.verdict.reasons.len();
        if total > PRINTED_REASONS {
            let dir = root.join("target/xtask");
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let all: String = self
                .verdict
                .reasons
                .iter()
                .map(|r| format!("{r}\n"))
                .collect();
            std::fs::write(dir.join("semver-reasons.txt"), all)
                .context("writing target/xtask/semver-reasons.txt")?;
            let _ = writeln!(
                out,
                "  … and {} more; every reason is in target/xtask/semver-reasons.txt",
                total - PRINTED_REASONS
            );
        }
        match &self.version {
            Some((from, to)) => {
                let _ = writeln!(
                    out,
                    "version: {from} -> {to} (Cargo.toml [workspace.package] and the workspace's \
                     own crates; a {} change)",
                    self.verdict.level
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "version: unchanged (a {} change needs no version above it)",
                    self.verdict.level
                );
            }
        }
        if self.changelog {
            out.push_str("CHANGELOG.md: an entry under [Unreleased] (Changed)\n");
        } else {
            out.push_str(
                "CHANGELOG.md: no entry (nothing changed for dependents: no drift, the same API \
                 and code)\n",
            );
        }
        Ok(out)
    }
}

/// A code span of `text` (with a longer fence when `text` holds a backtick).
fn code(text: &str) -> String {
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

/// The changelog's line for one drift change; `None` for documentation.
fn change_line(change: &Change) -> Option<String> {
    let required = |r: &bool| if *r { "required" } else { "optional" };
    Some(match change {
        Change::OperationAdded(op) => format!("Operation added: {}", code(op)),
        Change::OperationRemoved(op) => format!("Operation removed: {}", code(op)),
        Change::OperationRenamed { from, to, route } => format!(
            "Operation renamed: {} → {} ({})",
            code(from),
            code(to),
            code(route)
        ),
        Change::OperationMoved { op, from, to } => format!(
            "Operation moved: {}, {} → {}",
            code(op),
            code(from),
            code(to)
        ),
        Change::FieldAdded { schema, field, ty } => format!(
            "Field added: {} ({})",
            code(&format!("{schema}.{field}")),
            code(ty)
        ),
        Change::FieldRemoved { schema, field } => {
            format!("Field removed: {}", code(&format!("{schema}.{field}")))
        }
        Change::FieldRetyped {
            schema,
            field,
            from,
            to,
        } => format!(
            "Field retyped: {}, {} → {}",
            code(&format!("{schema}.{field}")),
            code(from),
            code(to)
        ),
        Change::FieldRequired {
            schema,
            field,
            required: r,
        } => format!(
            "Field now {}: {}",
            required(r),
            code(&format!("{schema}.{field}"))
        ),
        Change::EnumValueAdded { schema, value } => {
            format!("Enum value added: {} in {}", code(value), code(schema))
        }
        Change::EnumValueRemoved { schema, value } => {
            format!("Enum value removed: {} in {}", code(value), code(schema))
        }
        Change::ParameterAdded {
            op,
            name,
            required: r,
        } => format!(
            "Parameter added: {} of {}{}",
            code(name),
            code(op),
            if *r { " (required)" } else { "" }
        ),
        Change::ParameterRemoved { op, name } => {
            format!("Parameter removed: {} of {}", code(name), code(op))
        }
        Change::ParameterRetyped { op, name, from, to } => format!(
            "Parameter retyped: {} of {}, {} → {}",
            code(name),
            code(op),
            code(from),
            code(to)
        ),
        Change::ParameterRequired {
            op,
            name,
            required: r,
        } => format!(
            "Parameter now {}: {} of {}",
            required(r),
            code(name),
            code(op)
        ),
        Change::ResponseRetyped {
            op,
            status,
            from,
            to,
        } => format!(
            "Response {status} of {} retyped: {} → {}",
            code(op),
            code(from),
            code(to)
        ),
        Change::RequestBodyChanged { op } => format!("Request body of {} changed", code(op)),
        Change::StatusAdded { op, status } => format!("Status {status} of {} added", code(op)),
        Change::StatusRemoved { op, status } => {
            format!("Status {status} of {} removed", code(op))
        }
        Change::SchemaAdded(schema) => format!("Schema added: {}", code(schema)),
        Change::SchemaRemoved(schema) => format!("Schema removed: {}", code(schema)),
        Change::OperationDocsChanged(_) => return None,
    })
}

/// The changelog entry of one update: a bullet naming the sources and the verdict, then one
/// sub-bullet per change of the drift reports, and the reasons of the verdict.
pub(crate) fn changelog_entry(verdict: &Verdict, updated: &[Updated<'_>]) -> String {
    let sources: Vec<String> = updated
        .iter()
        .map(|u| format!("{} from <{}>", code(u.api), u.url))
        .collect();
    let mut out = format!(
        "- Spec update (semver: **{}**): {}.\n",
        verdict.level,
        sources.join("; ")
    );
    let mut lines = Vec::new();
    let mut docs = 0;
    for update in updated {
        for entry in &update.report.entries {
            match change_line(&entry.change) {
                Some(line) if updated.len() > 1 => {
                    lines.push(format!("{}: {line}", code(update.api)));
                }
                Some(line) => lines.push(line),
                None => docs += 1,
            }
        }
    }
    for line in lines.iter().take(ENTRY_CHANGES) {
        let _ = writeln!(out, "  - {line}.");
    }
    if lines.len() > ENTRY_CHANGES {
        let _ = writeln!(
            out,
            "  - … and {} more (the drift report of the update lists every one).",
            lines.len() - ENTRY_CHANGES
        );
    }
    if docs > 0 {
        let operations = if docs == 1 { "operation" } else { "operations" };
        let _ = writeln!(out, "  - Documentation of {docs} {operations} changed.");
    }
    let top: Vec<&Reason> = verdict
        .reasons
        .iter()
        .filter(|r| r.level == verdict.level)
        .collect();
    let label = match verdict.level {
        Level::Major => "Breaking",
        Level::Minor => "Compatible",
        Level::Patch => "Documentation only",
    };
    for reason in top.iter().take(ENTRY_REASONS) {
        if reason.text == semver::DOCS_ONLY {
            let _ = writeln!(out, "  - {label}: {}.", reason.text);
        } else {
            let _ = writeln!(out, "  - {label}: {}.", code(&reason.text));
        }
    }
    if top.len() > ENTRY_REASONS {
        let _ = writeln!(
            out,
            "  - … and {} more {} reasons.",
            top.len() - ENTRY_REASONS,
            verdict.level
        );
    }
    out
}

/// A new changelog.
const CHANGELOG_HEAD: &str = "# Changelog\n\nAll notable changes of the workspace's crates. The \
format follows [Keep a Changelog](https://keepachangelog.com/en/1.1.0/); versions follow \
[Semantic Versioning](https://semver.org/) as Cargo reads it for 0.x versions.\n";

/// The subsections of a release in Keep a Changelog's order.
const SUBSECTIONS: [&str; 6] = [
    "Added",
    "Changed",
    "Deprecated",
    "Removed",
    "Fixed",
    "Security",
];

/// `changelog` (or a new one) with `entry` at the end of the `### Changed` list of
/// `## [Unreleased]`, both created when missing.
pub(crate) fn add_entry(changelog: Option<&str>, entry: &str) -> String {
    let text = changelog.unwrap_or(CHANGELOG_HEAD);
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let entry: Vec<String> = entry.trim_end().lines().map(str::to_owned).collect();
    let is_release = |l: &str| l.starts_with("## ");
    let unreleased = lines
        .iter()
        .position(|l| l.trim().eq_ignore_ascii_case("## [unreleased]"));
    let Some(start) = unreleased else {
        // A new section before the first release (or at the end).
        let at = lines
            .iter()
            .position(|l| is_release(l))
            .unwrap_or(lines.len());
        let mut section = vec![
            "## [Unreleased]".to_owned(),
            String::new(),
            "### Changed".to_owned(),
        ];
        section.extend(entry);
        section.push(String::new());
        if at > 0 && !lines[at - 1].trim().is_empty() {
            section.insert(0, String::new());
        }
        lines.splice(at..at, section);
        return joined(lines);
    };
    let end = lines[start + 1..]
        .iter()
        .position(|l| is_release(l))
        .map_or(lines.len(), |i| start + 1 + i);
    let heading = |l: &str| l.strip_prefix("### ").map(str::trim).map(str::to_owned);
    let changed = (start + 1..end).find(|&i| heading(&lines[i]).as_deref() == Some("Changed"));
    match changed {
        Some(at) => {
            let list_end = (at + 1..end)
                .find(|&i| heading(&lines[i]).is_some())
                .unwrap_or(end);
            // After the list's last line that is not blank.
            let last = (at + 1..list_end)
                .rev()
                .find(|&i| !lines[i].trim().is_empty())
                .unwrap_or(at);
            lines.splice(last + 1..last + 1, entry);
        }
        None => {
            let rank = |name: &str| SUBSECTIONS.iter().position(|s| *s == name);
            let changed_rank = rank("Changed");
            // Before the first subsection that comes after `Changed`, else at the section's end.
            let at = (start + 1..end)
                .find(|&i| {
                    heading(&lines[i])
                        .and_then(|h| rank(&h))
                        .is_some_and(|r| Some(r) > changed_rank)
                })
                .unwrap_or_else(|| {
                    (start + 1..end)
                        .rev()
                        .find(|&i| !lines[i].trim().is_empty())
                        .map_or(start + 1, |i| i + 1)
                });
            let mut block = vec![String::new(), "### Changed".to_owned()];
            block.extend(entry);
            let next_is_text = lines.get(at).is_some_and(|l| !l.trim().is_empty());
            if next_is_text {
                block.push(String::new());
            }
            // No blank line doubled before the block.
            if at > 0 && lines[at - 1].trim().is_empty() {
                block.remove(0);
            }
            lines.splice(at..at, block);
        }
    }
    joined(lines)
}

fn joined(lines: Vec<String>) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// A `MAJOR.MINOR.PATCH` version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Version(u64, u64, u64);

impl std::str::FromStr for Version {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> Result<Self> {
        let parts: Vec<&str> = text.trim().split('.').collect();
        let number = |s: &str| -> Result<u64> {
            s.parse()
                .map_err(|_| anyhow!("version {text:?} is not MAJOR.MINOR.PATCH"))
        };
        match parts[..] {
            [a, b, c] => Ok(Version(number(a)?, number(b)?, number(c)?)),
            _ => bail!("version {text:?} is not MAJOR.MINOR.PATCH"),
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// The version a change of `level` needs after the release `released` (the rule in the module
/// documentation): for 0.y.z, major → 0.(y+1).0 and minor → 0.y.(z+1); for x.y.z (x ≥ 1),
/// major → (x+1).0.0 and minor → x.(y+1).0; patch → `released`.
pub(crate) fn bump(released: Version, level: Level) -> Version {
    let Version(x, y, z) = released;
    match (level, x) {
        (Level::Patch, _) => released,
        (Level::Major, 0) => Version(0, y + 1, 0),
        (Level::Minor, 0) => Version(0, y, z + 1),
        (Level::Major, _) => Version(x + 1, 0, 0),
        (Level::Minor, _) => Version(x, y + 1, 0),
    }
}

/// The last released version: the first `## [x.y.z]` heading of a changelog.
pub(crate) fn released_version(changelog: &str) -> Option<Version> {
    changelog.lines().find_map(|line| {
        let rest = line.strip_prefix("## [")?;
        let (version, _) = rest.split_once(']')?;
        version.parse().ok()
    })
}

/// `version` of `[workspace.package]`.
pub(crate) fn workspace_version(manifest: &str) -> Result<Version> {
    let doc: toml_edit::DocumentMut = manifest.parse().context("parsing Cargo.toml")?;
    doc.get("workspace")
        .and_then(|w| w.get("package"))
        .and_then(|p| p.get("version"))
        .and_then(|v| v.as_str())
        .ok_or_else(|| anyhow!("Cargo.toml has no [workspace.package] version"))?
        .parse()
}

/// Replaces a string value, keeping its decoration (spaces, comments).
fn set_string(value: &mut toml_edit::Value, text: &str) {
    let decor = value.decor().clone();
    *value = toml_edit::Value::from(text);
    *value.decor_mut() = decor;
}

/// `manifest` with `[workspace.package] version` and the `version` of every
/// `[workspace.dependencies]` entry with a `path` (the workspace's own crates) set to `to`.
pub(crate) fn set_workspace_version(manifest: &str, to: Version) -> Result<String> {
    let mut doc: toml_edit::DocumentMut = manifest.parse().context("parsing Cargo.toml")?;
    let to = to.to_string();
    let version = doc
        .get_mut("workspace")
        .and_then(|w| w.get_mut("package"))
        .and_then(|p| p.get_mut("version"))
        .and_then(|v| v.as_value_mut())
        .ok_or_else(|| anyhow!("Cargo.toml has no [workspace.package] version"))?;
    set_string(version, &to);
    if let Some(deps) = doc
        .get_mut("workspace")
        .and_then(|w| w.get_mut("dependencies"))
        .and_then(|d| d.as_table_like_mut())
    {
        for (_, dep) in deps.iter_mut() {
            let Some(dep) = dep.as_table_like_mut() else {
                continue;
            };
            if !dep.contains_key("path") {
                continue;
            }
            if let Some(value) = dep.get_mut("version").and_then(|v| v.as_value_mut()) {
                set_string(value, &to);
            }
        }
    }
    Ok(doc.to_string())
}

/// `lock` with the version of the workspace's packages (no `source`, version `from`) set to
/// `to`.
pub(crate) fn set_lock_version(lock: &str, from: Version, to: Version) -> Result<String> {
    let mut doc: toml_edit::DocumentMut = lock.parse().context("parsing Cargo.lock")?;
    let from = from.to_string();
    if let Some(packages) = doc
        .get_mut("package")
        .and_then(|p| p.as_array_of_tables_mut())
    {
        for package in packages.iter_mut() {
            let local = !package.contains_key("source");
            let Some(version) = package.get_mut("version").and_then(|v| v.as_value_mut()) else {
                continue;
            };
            if local && version.as_str() == Some(from.as_str()) {
                set_string(version, &to.to_string());
            }
        }
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::{Area, Entry};

    fn v(text: &str) -> Version {
        text.parse().unwrap()
    }

    #[test]
    fn zero_versions_bump_the_minor_number_for_major_changes_and_the_patch_number_for_minor_ones() {
        assert_eq!(bump(v("0.1.0"), Level::Major), v("0.2.0"));
        assert_eq!(bump(v("0.1.3"), Level::Major), v("0.2.0"));
        assert_eq!(bump(v("0.1.3"), Level::Minor), v("0.1.4"));
        assert_eq!(bump(v("0.1.3"), Level::Patch), v("0.1.3"));
        assert_eq!(bump(v("1.2.3"), Level::Major), v("2.0.0"));
        assert_eq!(bump(v("1.2.3"), Level::Minor), v("1.3.0"));
        assert!(v("0.10.0") > v("0.9.9"));
        assert!("0.1".parse::<Version>().is_err());
        assert!("0.1.0-alpha".parse::<Version>().is_err());
    }

    #[test]
    fn the_released_version_is_the_first_versioned_heading() {
        let text =
            "# Changelog\n\n## [Unreleased]\n\n- x\n\n## [0.3.1] - 2025-01-01\n\n## [0.3.0]\n";
        assert_eq!(released_version(text), Some(v("0.3.1")));
        assert_eq!(released_version("# Changelog\n## [Unreleased]\n"), None);
    }

    const MANIFEST: &str = r#"[workspace]
members = ["a"]

[workspace.package]
version = "0.1.0" # the next release
edition = "2021"

[workspace.dependencies]
akamai-sdk-generated = { path = "generated", version = "0.1.0", default-features = false }
serde = { version = "1", features = ["derive"] }
"#;

    #[test]
    fn the_workspace_version_and_its_own_crates_follow_the_bump() {
        assert_eq!(workspace_version(MANIFEST).unwrap(), v("0.1.0"));
        let bumped = set_workspace_version(MANIFEST, v("0.2.0")).unwrap();
        assert_eq!(
            bumped,
            MANIFEST
                .replace("version = \"0.1.0\" #", "version = \"0.2.0\" #")
                .replace(
                    "path = \"generated\", version = \"0.1.0\"",
                    "path = \"generated\", version = \"0.2.0\""
                )
        );
        let lock = "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"0.1.0\"\n\n\
                    [[package]]\nname = \"b\"\nversion = \"0.1.0\"\nsource = \"registry+x\"\n";
        assert_eq!(
            set_lock_version(lock, v("0.1.0"), v("0.2.0")).unwrap(),
            lock.replacen("version = \"0.1.0\"", "version = \"0.2.0\"", 1)
        );
    }

    #[test]
    fn entries_go_to_the_end_of_the_changed_list_of_unreleased() {
        let entry = "- New.\n  - Detail.\n";
        let text = "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n### Added\n- A.\n\n### Changed\n- \
                    C.\n  more C.\n\n### Fixed\n- F.\n\n## [0.1.0]\n\nFirst.\n";
        assert_eq!(
            add_entry(Some(text), entry),
            text.replace("  more C.\n", "  more C.\n- New.\n  - Detail.\n")
        );
        // No `Changed` list: one before `Fixed`.
        let text =
            "# Changelog\n\n## [Unreleased]\n\n### Added\n- A.\n\n### Fixed\n- F.\n\n## [0.1.0]\n";
        assert_eq!(
            add_entry(Some(text), entry),
            text.replace("### Fixed", "### Changed\n- New.\n  - Detail.\n\n### Fixed")
        );
        // Only `Added`: after it.
        let text = "# Changelog\n\n## [Unreleased]\n\n### Added\n- A.\n\n## [0.1.0]\n";
        assert_eq!(
            add_entry(Some(text), entry),
            text.replace("- A.\n", "- A.\n\n### Changed\n- New.\n  - Detail.\n")
        );
        // No `Unreleased`: before the first release.
        let text = "# Changelog\n\nIntro.\n\n## [0.1.0]\n\nFirst.\n";
        assert_eq!(
            add_entry(Some(text), entry),
            text.replace(
                "## [0.1.0]",
                "## [Unreleased]\n\n### Changed\n- New.\n  - Detail.\n\n## [0.1.0]"
            )
        );
        // No changelog at all.
        let new = add_entry(None, entry);
        assert!(new.starts_with("# Changelog\n\n"), "{new}");
        assert!(
            new.ends_with("\n\n## [Unreleased]\n\n### Changed\n- New.\n  - Detail.\n\n"),
            "{new}"
        );
        assert_eq!(released_version(&new), None);
    }

    #[test]
    fn an_entry_lists_the_changes_and_the_reasons_of_the_verdict() {
        let report = Report {
            entries: vec![
                Entry {
                    area: Area::Untagged,
                    change: Change::OperationAdded("get-x (GET /x)".to_owned()),
                },
                Entry {
                    area: Area::Untagged,
                    change: Change::OperationDocsChanged("get-y".to_owned()),
                },
                Entry {
                    area: Area::Untagged,
                    change: Change::FieldRemoved {
                        schema: "Thing".to_owned(),
                        field: "name".to_owned(),
                    },
                },
            ],
        };
        let verdict = Verdict::of(vec![
            Reason::new(Level::Minor, "api::Client::get_x: method added"),
            Reason::new(Level::Major, "api::types::Thing.name: field removed"),
        ]);
        let updated = [Updated {
            api: "api",
            url: "https://example.com/api.json",
            report: &report,
        }];
        assert_eq!(
            changelog_entry(&verdict, &updated),
            "- Spec update (semver: **major**): `api` from <https://example.com/api.json>.\n  \
             - Operation added: `get-x (GET /x)`.\n  \
             - Field removed: `Thing.name`.\n  \
             - Documentation of 1 operation changed.\n  \
             - Breaking: `api::types::Thing.name: field removed`.\n"
        );
        let docs = Verdict::of(Vec::new());
        let empty = Report::default();
        let updated = [Updated {
            api: "api",
            url: "https://example.com/api.json",
            report: &empty,
        }];
        assert_eq!(
            changelog_entry(&docs, &updated),
            format!(
                "- Spec update (semver: **patch**): `api` from <https://example.com/api.json>.\n  \
                 - Documentation only: {}.\n",
                semver::DOCS_ONLY
            )
        );
    }
}
