//! `cargo xtask update`: accept an upstream change, all or nothing.
//!
//! Every step (re-point, fetch, verify, select, overlay, normalise, write, generate, release)
//! runs in a scratch copy of `specs/`, `generated/src/` and the manifests `generate` writes
//! features into. Only when all of them succeeded are `specs/sources.toml`, the pulled specs,
//! the generated modules and those manifests swapped into the tree, with what step `release`
//! recorded (see [`release`]): the semver verdict of the change (printed, with its reasons),
//! an entry in `CHANGELOG.md` and the version bump in `Cargo.toml` and `Cargo.lock`. A refusal
//! names the step that failed and leaves the tree as it was (a long refusal leaves its full
//! text in `target/xtask/`).
//!
//! Before the new file is pulled, the update checks that every operation the committed code
//! names still has its name: its constant in the generated operation table (`ops::GET_ACCOUNT`
//! in `sdk/`, `testkit/` or `tests/`, see [`named_constants`]) and, for the operations `core`
//! lists in `specs/sources.toml`, its id. With `operations = "all"` an operation renamed
//! upstream is selected under its new name (the drift report shows a rename), and the code
//! naming the old one would no longer build. Such an update is refused at step `select`,
//! naming each successor (the operation at the same method and path).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use proc_macro2::{TokenStream, TokenTree};
use serde_json::Value;
use syn::visit_mut::VisitMut;

use crate::pull::{self, at_step, Failed, Step};
use crate::select::{self, Missing, Uses};
use crate::sources::{self, Selector, Source};
use crate::spec::method_name;
use crate::{drift, generate, overlay, release, spec, GenerateArgs, PullArgs, UpdateArgs};

/// An update that did not happen.
#[derive(Debug)]
pub(crate) struct Refused(pub(crate) Failed);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "update of {api} refused at step `{step}`; nothing was changed (specs/sources.toml, \
             the pulled specs and generated/ are as they were)\n{error:#}",
            api = self.0.api,
            step = self.0.step,
            error = self.0.error,
        )
    }
}

impl std::error::Error for Refused {}

pub(crate) fn run(root: &Path, args: UpdateArgs) -> Result<()> {
    let apis: Vec<String> = args.api.iter().cloned().collect();
    let selected = sources::select(sources::load(root)?, &apis)?;
    let scratch = tempfile::Builder::new()
        .prefix("xtask-update-")
        .tempdir()
        .context("creating a scratch directory for the update")?;
    let work = scratch.path();
    let mut files = stage(root, work, &selected)?;
    let names: Vec<&str> = selected.iter().map(|s| s.name.as_str()).collect();
    let release = transact(root, work, &args, &selected)
        .and_then(|reports| {
            let urls = sources::load(work).map_err(|error| Failed {
                step: Step::Release,
                api: names.join(", "),
                error,
            })?;
            let updated: Vec<release::Updated<'_>> = reports
                .iter()
                .map(|(api, report)| release::Updated {
                    api,
                    url: urls
                        .iter()
                        .find(|s| s.name == *api)
                        .map_or("", |s| s.url.as_str()),
                    report,
                })
                .collect();
            at_step(
                Step::Release,
                &names.join(", "),
                release::record(root, work, &updated),
            )
        })
        .map_err(Refused)?;
    files.extend(release.files.iter().cloned());
    at_step(Step::Swap, &names.join(", "), swap(root, work, &files))?;
    println!("updated {}: swapped in {}", names.join(", "), {
        let list: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        list.join(", ")
    });
    print!("{}", release.render(root)?);
    if !args.no_test {
        run_snapshot_tests(root)?;
    }
    Ok(())
}

/// The manifests `generate` rewrites (their per-area feature blocks), staged when present.
const MANIFESTS: [&str; 2] = ["generated/Cargo.toml", "sdk/Cargo.toml"];

/// Copies what the pipeline reads and writes into `work`; returns the files an update may
/// replace, relative to the root.
fn stage(root: &Path, work: &Path, selected: &[Source]) -> Result<Vec<PathBuf>> {
    copy_tree(&root.join("specs"), &work.join("specs"))?;
    copy_tree(&root.join("generated/src"), &work.join("generated/src"))?;
    let mut files = vec![PathBuf::from("specs/sources.toml")];
    for manifest in MANIFESTS.map(PathBuf::from) {
        if root.join(&manifest).is_file() {
            let to = work.join(&manifest);
            std::fs::create_dir_all(to.parent().unwrap_or(work))
                .with_context(|| format!("creating the folder of {}", to.display()))?;
            std::fs::copy(root.join(&manifest), &to)
                .with_context(|| format!("copying {}", manifest.display()))?;
            files.push(manifest);
        }
    }
    for source in selected {
        files.push(PathBuf::from(format!("specs/{}.json", source.name)));
        files.push(PathBuf::from(format!("generated/src/{}.rs", source.name)));
    }
    Ok(files)
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type()?.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst)
                .with_context(|| format!("copying {} to {}", src.display(), dst.display()))?;
        }
    }
    Ok(())
}

/// Every step, in the scratch root `work`; the committed code is read in `root`. Returns the
/// drift report of each source.
fn transact(
    root: &Path,
    work: &Path,
    args: &UpdateArgs,
    selected: &[Source],
) -> Result<Vec<(String, drift::Report)>, Failed> {
    for source in selected {
        let name = source.name.as_str();
        if pull::previous(work, name).is_none() {
            // A baseline to compare with: the drift report and the successors of vanished
            // operations are read against it.
            println!("{name}: no previous pull; pulling the pinned file first, to compare with");
            let baseline = PullArgs {
                mirror: args.mirror.clone(),
                update: false,
                apis: vec![source.name.clone()],
            };
            if let Err(err) = pull::run(work, &baseline) {
                println!("  no baseline ({err:#}); the report cannot compare with it");
            }
        }
    }
    if let (Some(api), Some(url)) = (&args.api, &args.url) {
        at_step(Step::Write, api, sources::set_url(work, api, url))?;
        println!("re-pointed {api} at {url}");
    }
    let mut reports = Vec::new();
    for source in selected {
        let name = source.name.clone();
        // Fetched once: the name check and the pull read the same bytes.
        let mirror = fetch_once(work, &name, args.mirror.as_deref()).or(args.mirror.clone());
        check_named_operations(root, work, &name, mirror.as_deref())?;
        let pull_args = PullArgs {
            mirror,
            update: true,
            apis: vec![name.clone()],
        };
        let pulled = pull::run(work, &pull_args).map_err(|e| as_failed(e, Step::Fetch, &name))?;
        reports.extend(pulled);
        let generate_args = GenerateArgs {
            apis: vec![name.clone()],
            ..GenerateArgs::default()
        };
        at_step(Step::Generate, &name, generate::run(work, &generate_args))?;
    }
    Ok(reports)
}

/// Fetches the (re-pointed) file of `api` into a mirror folder of the scratch root and returns
/// that folder, so that every later step reads these bytes; `None` when it cannot be fetched
/// (the pull then fetches it itself and says what is wrong).
fn fetch_once(work: &Path, api: &str, mirror: Option<&Path>) -> Option<PathBuf> {
    let source = sources::select(sources::load(work).ok()?, &[api.to_owned()])
        .ok()?
        .remove(0);
    let bytes = pull::fetch(&source.url, mirror).ok()?;
    let folder = work.join("target/xtask-fetched");
    let path = pull::mirror_path(&folder, &source.url).ok()?;
    std::fs::create_dir_all(path.parent()?).ok()?;
    std::fs::write(&path, bytes).ok()?;
    Some(folder)
}

/// The [`Failed`] inside `err`, or `err` as a failure of `step`.
fn as_failed(err: anyhow::Error, step: Step, api: &str) -> Failed {
    match err.downcast::<Failed>() {
        Ok(failed) => failed,
        Err(error) => Failed {
            step,
            api: api.to_owned(),
            error,
        },
    }
}

/// Replaces `files` of `root` with their scratch versions: all are staged next to their
/// targets first, then renamed over them, so that a failure while staging changes nothing.
fn swap(root: &Path, work: &Path, files: &[PathBuf]) -> Result<()> {
    let mut staged = Vec::new();
    let result = (|| -> Result<()> {
        for file in files {
            let (src, dst) = (work.join(file), root.join(file));
            let tmp = dst.with_extension(format!(
                "{}.xtask-update",
                dst.extension().and_then(|e| e.to_str()).unwrap_or("")
            ));
            std::fs::copy(&src, &tmp)
                .with_context(|| format!("staging {} as {}", src.display(), tmp.display()))?;
            staged.push((tmp, dst));
        }
        Ok(())
    })();
    if let Err(err) = result {
        for (tmp, _) in &staged {
            let _ = std::fs::remove_file(tmp);
        }
        return Err(err);
    }
    for (tmp, dst) in &staged {
        std::fs::rename(tmp, dst)
            .with_context(|| format!("renaming {} to {}", tmp.display(), dst.display()))?;
    }
    Ok(())
}

/// Refuses, at step `select`, a new file of `api` under which an operation that the committed
/// code names would lose its name. Runs in `work` after the re-pointing, before the pull: the
/// new file is fetched, selected and overlaid (when the overlay still applies) and compared
/// with the previous pull. Whatever it cannot read (no previous pull, an unreadable file, a
/// selected operation missing) is left to the pull, which says what is wrong.
fn check_named_operations(
    root: &Path,
    work: &Path,
    api: &str,
    mirror: Option<&Path>,
) -> Result<(), Failed> {
    let Some(previous) = pull::previous(work, api) else {
        return Ok(());
    };
    let source = at_step(
        Step::Select,
        api,
        sources::load(work).and_then(|all| sources::select(all, &[api.to_owned()])),
    )?
    .remove(0);
    let Ok(bytes) = pull::fetch(&source.url, mirror) else {
        return Ok(());
    };
    let Ok(mut doc) = spec::parse(&bytes, &source.url) else {
        return Ok(());
    };
    if select::select(&mut doc, source.operations.as_deref()).is_err() {
        return Ok(());
    }
    // An overlay may give operations their old ids back; a stale one is the pull's to report.
    let mut stale_overlay = None;
    if let Some(path) = &source.overlay {
        let mut overlaid = doc.clone();
        let applied = std::fs::read_to_string(work.join("specs").join(path))
            .map_err(anyhow::Error::from)
            .and_then(|text| overlay::apply(&mut overlaid, &text, &path.display().to_string()));
        match applied {
            Ok(_) => doc = overlaid,
            Err(err) => stale_overlay = Some((path, err)),
        }
    }
    // The code names an operation by its generated constant; `core` by its id.
    let ids: BTreeSet<&str> = operation_ids(&doc).collect();
    let names: BTreeSet<String> = ids.iter().map(|id| method_name(id)).collect();
    let core_gone = |id: &str| source.core.iter().any(|c| c == id) && !ids.contains(id);
    let gone: Vec<String> = operation_ids(&previous)
        .filter(|id| !names.contains(&method_name(id)) || core_gone(id))
        .map(str::to_owned)
        .collect();
    let mut uses = uses(root, api, &gone);
    for id in gone.iter().filter(|id| core_gone(id)) {
        uses.entry(id.clone()).or_default().core = true;
    }
    if uses.is_empty() {
        return Ok(());
    }
    let missing = Missing {
        selectors: gone.into_iter().map(Selector::Id).collect(),
    };
    let vanished = select::explain(&missing, Some(&previous), &doc);
    let mut text = select::render_refusal(&source, &vanished, &uses);
    if let Some((path, err)) = stale_overlay {
        let err = format!("{err:#}");
        let err = err.lines().next().unwrap_or_default().to_owned();
        text.push_str(&format!(
            "Note: the successors above are read without specs/{}, which does not apply to the \
             new file either: {err}\n",
            path.display(),
        ));
    }
    at_step(
        Step::Select,
        api,
        Err(anyhow::anyhow!("{}", text.trim_end())),
    )
}

fn operation_ids(doc: &Value) -> impl Iterator<Item = &str> {
    spec::operations(doc)
        .into_iter()
        .filter_map(|(_, _, op)| op.get("operationId").and_then(Value::as_str))
}

/// The folders of the workspace whose Rust files are the committed code that names operations.
const CODE: [&str; 3] = ["sdk", "testkit", "tests"];

/// The files (relative to `root`, in [`CODE`]) that name the constant of each of `ids` in the
/// operation table of the generated module `api`; ids nothing names are left out.
fn uses(root: &Path, api: &str, ids: &[String]) -> Uses {
    let wanted: BTreeMap<String, &String> =
        ids.iter().map(|id| (select::const_name(id), id)).collect();
    let mut out = Uses::new();
    if wanted.is_empty() {
        return out;
    }
    for dir in CODE {
        for file in rust_files(&root.join(dir)) {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let relative = file
                .strip_prefix(root)
                .unwrap_or(&file)
                .display()
                .to_string();
            for name in named_constants(&text, api) {
                if let Some(id) = wanted.get(&name) {
                    out.entry((*id).clone())
                        .or_default()
                        .files
                        .push(relative.clone());
                }
            }
        }
    }
    out
}

/// Every `.rs` file under `dir`, sorted (none when `dir` does not exist).
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if entry.file_name() != "target" {
                out.extend(rust_files(&path));
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The names (constants of `api`'s operation table, and whatever else) that a Rust file names
/// through that table: `ops::X` after `use …::linode::operations as ops;` (or `operations::X`
/// after `use …::linode::operations;`), `linode::operations::X`, `use …::linode::operations::{X}`,
/// and every identifier after `use …::linode::operations::*;`. Doc comments do not count; a
/// file syn cannot parse names nothing.
fn named_constants(text: &str, api: &str) -> BTreeSet<String> {
    let (Ok(mut file), Ok(tokens)) = (syn::parse_file(text), text.parse::<TokenStream>()) else {
        return BTreeSet::new();
    };
    let mut imports = TableImports {
        api,
        aliases: BTreeSet::new(),
        names: BTreeSet::new(),
        glob: false,
    };
    imports.visit_file_mut(&mut file);
    let mut paths = Vec::new();
    token_paths(tokens, &mut paths);
    let mut out = imports.names;
    for path in &paths {
        if path.len() >= 2 && imports.aliases.contains(&path[0]) {
            out.insert(path[1].clone());
        }
        for window in path.windows(3) {
            if window[0] == api && window[1] == "operations" {
                out.insert(window[2].clone());
            }
        }
        if imports.glob {
            out.extend(path.iter().cloned());
        }
    }
    out
}

/// What the `use` items of a file bring in from `api`'s operation table.
struct TableImports<'a> {
    api: &'a str,
    /// Names under which the `operations` module itself is in scope.
    aliases: BTreeSet<String>,
    /// Constants imported one by one.
    names: BTreeSet<String>,
    /// `use …::operations::*`.
    glob: bool,
}

impl TableImports<'_> {
    fn is_table(&self, path: &[String]) -> bool {
        matches!(path, [.., api, ops] if api == self.api && ops == "operations")
    }

    fn walk(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.walk(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => self.import(prefix, n.ident.to_string(), None),
            syn::UseTree::Rename(r) => {
                self.import(prefix, r.ident.to_string(), Some(r.rename.to_string()));
            }
            syn::UseTree::Glob(_) => self.glob |= self.is_table(prefix),
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| self.walk(prefix, t)),
        }
    }

    fn import(&mut self, prefix: &mut Vec<String>, name: String, alias: Option<String>) {
        if name == "self" {
            if self.is_table(prefix) {
                self.aliases
                    .insert(alias.unwrap_or_else(|| "operations".to_owned()));
            }
            return;
        }
        prefix.push(name);
        if self.is_table(prefix) {
            self.aliases
                .insert(alias.unwrap_or_else(|| "operations".to_owned()));
        } else if self.is_table(&prefix[..prefix.len() - 1]) {
            self.names.extend(prefix.last().cloned());
        }
        prefix.pop();
    }
}

impl VisitMut for TableImports<'_> {
    fn visit_item_use_mut(&mut self, item: &mut syn::ItemUse) {
        self.walk(&mut Vec::new(), &item.tree);
    }
}

/// Every path of identifiers joined by `::` in `tokens`, macro bodies included.
fn token_paths(tokens: TokenStream, out: &mut Vec<Vec<String>>) {
    let mut current: Vec<String> = Vec::new();
    let mut colons = 0;
    for token in tokens {
        match token {
            TokenTree::Ident(ident) => {
                if colons != 2 || current.is_empty() {
                    out.extend((!current.is_empty()).then(|| std::mem::take(&mut current)));
                }
                current.push(ident.to_string());
                colons = 0;
                continue;
            }
            TokenTree::Punct(p) if p.as_char() == ':' => {
                colons += 1;
                continue;
            }
            TokenTree::Group(group) => token_paths(group.stream(), out),
            _ => {}
        }
        out.extend((!current.is_empty()).then(|| std::mem::take(&mut current)));
        colons = 0;
    }
    out.extend((!current.is_empty()).then_some(current));
}

fn run_snapshot_tests(root: &Path) -> Result<()> {
    println!("running the snapshot tests (new snapshots are left as .snap.new for review)");
    let status = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
        .current_dir(root)
        .env("INSTA_UPDATE", "new")
        .args([
            "test",
            "-p",
            "akamai-sdk-tests",
            "--test",
            "it",
            "--",
            "snapshot",
        ])
        .status()?;
    if !status.success() {
        println!(
            "snapshot tests changed: review with `cargo insta review`, then commit \
             specs/sources.toml, generated/ and tests/**/snapshots together"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::select::Use;

    fn named(text: &str) -> Vec<String> {
        named_constants(text, "linode").into_iter().collect()
    }

    #[test]
    fn constants_are_found_through_aliases_paths_and_imports() {
        let text = r#"
            use akamai_sdk_generated::linode::{self, operations as ops, types};
            use akamai_sdk_generated::edgekv::operations as kv;
            /// `ops::IN_A_DOC_COMMENT` does not count.
            fn f() {
                call(&ops::GET_ACCOUNT, || x.get_account());
                let v = vec![(&ops::GET_PROFILE, 1)];
                kv::GET_GROUP;
                linode::operations::DELETE_TOKEN;
                ops::ALL.len();
            }
            mod tests {
                use akamai_sdk::generated::linode::operations::{GET_USER, POST_X as X};
            }
        "#;
        assert_eq!(
            named(text),
            [
                "ALL",
                "DELETE_TOKEN",
                "GET_ACCOUNT",
                "GET_PROFILE",
                "GET_USER",
                "POST_X"
            ]
        );
        assert_eq!(
            named("use akamai_sdk_generated::linode::operations;\nfn f() { operations::GET_A; }"),
            ["GET_A"]
        );
        assert_eq!(
            named(
                "use akamai_sdk_generated::linode::operations::{self as o};\nfn f() { o::GET_A; }"
            ),
            ["GET_A"]
        );
        let glob = named("use akamai_sdk_generated::linode::operations::*;\nfn f() { g(GET_A); }");
        assert!(glob.contains(&"GET_A".to_owned()), "{glob:?}");
        assert!(named(
            "use akamai_sdk_generated::edgekv::operations as ops;\nfn f() { ops::GET_A; }"
        )
        .is_empty());
        assert!(named("fn f( {").is_empty());
    }

    #[test]
    fn uses_name_the_files_under_the_code_folders() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("sdk/src/linode/api.rs");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(
            &file,
            "use akamai_sdk_generated::linode::operations as ops;\nfn f() { ops::GET_ACCOUNT; }",
        )
        .unwrap();
        let other = root.path().join("tests/it/edgekv.rs");
        std::fs::create_dir_all(other.parent().unwrap()).unwrap();
        std::fs::write(
            &other,
            "use a::edgekv::operations as ops; fn f() { ops::GET_PROFILE; }",
        )
        .unwrap();
        let ids = [
            "get-account".to_owned(),
            "get-profile".to_owned(),
            "getX".to_owned(),
        ];
        let uses = uses(root.path(), "linode", &ids);
        assert_eq!(
            uses,
            Uses::from([(
                "get-account".to_owned(),
                Use {
                    files: vec!["sdk/src/linode/api.rs".to_owned()],
                    core: false,
                }
            )])
        );
    }
}
