//! Drift tests of the spec pipeline (`cargo xtask pull` / `generate`).
//!
//! Each test copies `specs/sources.toml`, `specs/overlays/`, `generated/src/`, the manifests
//! `generate` writes features into and the SDK's code (`sdk/src/`, which `update` reads for the
//! operations it names) into a scratch workspace root and runs the real xtask binary there
//! (`XTASK_ROOT`), reading upstream files
//! from the offline mirror (`../shared/upstream` beside the checkout, or `SPECS_MIRROR`). The
//! baseline is pulled and generated in the scratch root from the pinned mirror files, so the
//! tests need neither the network nor a previous `cargo xtask pull` in the workspace.
//!
//! A change to the upstream spec is simulated by editing the mirrored file into a scratch
//! mirror (same layout) and pulling it with `--update`; the tests check that the drift report
//! names the change, that `generate --check` then fails, and how the generated surface moves.
//!
//! `cargo xtask update` is tested the same way on variants of the pinned Linode spec built here
//! (ids restyled or renamed, the `/{apiVersion}` prefix removed, operations dropped, an overlay
//! target gone, an example changed, the file reformatted, an older upstream with all of it at
//! once): the report's lines, the exit status, and for every refusal a scratch tree that is
//! byte for byte what it was (but for `target/`, where a long refusal leaves its full list).
//!
//! One test runs `cargo xtask` itself, in two copies of the whole checkout that share a
//! target directory (so that cargo runs, in the second, the binary it built in the first), and
//! checks that `pull`, `generate` and `update` each read and write only the copy they run in.
//!
//! Without the mirror the tests print a loud notice and pass, unless `CI` is set: then they
//! fail, because CI must exercise the pipeline.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use xtask::surface;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives one level below the workspace root")
        .to_path_buf()
}

/// The mirror directory, or `None` (after a loud notice) when it is missing outside CI.
fn mirror_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SPECS_MIRROR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/upstream"));
    let complete = ["linode", "edgekv"]
        .iter()
        .all(|api| dir.join(mirror_relative_path(api)).is_file());
    if complete {
        return Some(dir);
    }
    let message = format!(
        "the spec mirror is missing or incomplete at {} (set SPECS_MIRROR or put the shared \
         directory beside the checkout)",
        dir.display()
    );
    if std::env::var_os("CI").is_some() {
        panic!("{message}");
    }
    eprintln!("\n!!! SKIPPING spec drift test: {message}\n");
    None
}

/// `https://HOST/PATH` of a source in `specs/sources.toml`, as the mirror's `HOST/PATH`.
fn mirror_relative_path(api: &str) -> PathBuf {
    let text = std::fs::read_to_string(workspace_root().join("specs/sources.toml"))
        .expect("reading specs/sources.toml");
    let url = sources_value(&text, api, "url");
    PathBuf::from(
        url.strip_prefix("https://")
            .unwrap_or_else(|| panic!("{api}: not an https URL: {url}")),
    )
}

/// The string value of `key` in section `[api]` of a `sources.toml` text.
fn sources_value(text: &str, api: &str, key: &str) -> String {
    let mut in_section = false;
    for line in text.lines().map(str::trim) {
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_section = section == api;
        } else if in_section {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim() == key {
                    return v.trim().trim_matches('"').to_owned();
                }
            }
        }
    }
    panic!("no {key} in [{api}] of sources.toml:\n{text}");
}

/// The cargo that runs the tests.
fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// The xtask binary, built (dev profile, like `cargo xtask`) once per test run.
fn xtask() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let output = Command::new(cargo())
            .current_dir(workspace_root())
            .args(["build", "--package", "xtask", "--message-format=json"])
            .output()
            .expect("running cargo build --package xtask");
        assert!(
            output.status.success(),
            "building xtask failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|msg| msg["reason"] == "compiler-artifact" && msg["target"]["name"] == "xtask")
            .find_map(|msg| msg["executable"].as_str().map(PathBuf::from))
            .expect("cargo reported no xtask executable")
    })
}

/// What one xtask run printed.
#[derive(Debug)]
struct Run {
    success: bool,
    stdout: String,
    stderr: String,
}

impl Run {
    fn ok(self, what: &str) -> Self {
        assert!(
            self.success,
            "{what} failed:\n{}\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A scratch workspace root and a scratch mirror.
struct Scratch {
    root: tempfile::TempDir,
    mirror: tempfile::TempDir,
    upstream: PathBuf,
    runner: Runner,
}

/// How a scratch root runs xtask.
enum Runner {
    /// The binary [`xtask`] built, on the root named by `XTASK_ROOT`.
    Binary,
    /// `cargo xtask` in the root (a whole checkout), with these variables set.
    Cargo(Vec<(&'static str, PathBuf)>),
}

impl Scratch {
    fn new(upstream: PathBuf) -> Self {
        let root = tempfile::tempdir().expect("creating a scratch root");
        let workspace = workspace_root();
        copy_dir(
            &workspace.join("specs/overlays"),
            &root.path().join("specs/overlays"),
        );
        std::fs::copy(
            workspace.join("specs/sources.toml"),
            root.path().join("specs/sources.toml"),
        )
        .expect("copying specs/sources.toml");
        copy_dir(
            &workspace.join("generated/src"),
            &root.path().join("generated/src"),
        );
        copy_dir(&workspace.join("sdk/src"), &root.path().join("sdk/src"));
        for manifest in ["generated/Cargo.toml", "sdk/Cargo.toml"] {
            std::fs::copy(workspace.join(manifest), root.path().join(manifest))
                .unwrap_or_else(|e| panic!("copying {manifest}: {e}"));
        }
        // What `update` records a release in: a changelog, the workspace's version and lock.
        for (file, text) in [
            ("CHANGELOG.md", CHANGELOG),
            ("Cargo.toml", MANIFEST),
            ("Cargo.lock", LOCK),
        ] {
            std::fs::write(root.path().join(file), text)
                .unwrap_or_else(|e| panic!("writing {file}: {e}"));
        }
        Self {
            root,
            mirror: tempfile::tempdir().expect("creating a scratch mirror"),
            upstream,
            runner: Runner::Binary,
        }
    }

    /// A copy of the checkout (its tracked and untracked files, not the ignored ones, as they
    /// are in the working tree), where xtask runs as `cargo xtask` with `env` set.
    fn checkout(upstream: PathBuf, env: Vec<(&'static str, PathBuf)>) -> Self {
        let root = tempfile::tempdir().expect("creating a scratch checkout");
        let workspace = workspace_root();
        let output = Command::new("git")
            .current_dir(&workspace)
            .args([
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ])
            .output()
            .expect("running git ls-files");
        assert!(
            output.status.success(),
            "git ls-files failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let listed = String::from_utf8(output.stdout).expect("UTF-8 paths");
        for file in listed.split('\0').filter(|f| !f.is_empty()) {
            let (from, to) = (workspace.join(file), root.path().join(file));
            // Listed but deleted in the working tree: not part of the checkout either.
            if !from.is_file() {
                continue;
            }
            std::fs::create_dir_all(to.parent().expect("a file has a parent"))
                .expect("creating a folder of the scratch checkout");
            std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("copying {file}: {e}"));
        }
        Self {
            root,
            mirror: tempfile::tempdir().expect("creating a scratch mirror"),
            upstream,
            runner: Runner::Cargo(env),
        }
    }

    fn xtask(&self, args: &[&str]) -> Run {
        let mut command = match &self.runner {
            Runner::Binary => {
                let mut command = Command::new(xtask());
                command.env("XTASK_ROOT", self.root.path());
                command
            }
            Runner::Cargo(env) => {
                let mut command = Command::new(cargo());
                command
                    .args(["--config", XTASK_OWN_PROFILE, "xtask"])
                    .envs(env.clone())
                    .env_remove("XTASK_ROOT");
                command
            }
        };
        let output = command
            .args(args)
            .env_remove("SPECS_MIRROR")
            .current_dir(self.root.path())
            .output()
            .expect("running xtask");
        Run {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// `pull` from the real (pinned) mirror.
    fn pull_pinned(&self, api: &str) -> Run {
        let mirror = self.upstream.to_str().expect("a UTF-8 mirror path");
        self.xtask(&["pull", "--api", api, "--mirror", mirror])
    }

    /// `pull` from the scratch mirror, where `bytes` replace the upstream file of `api`.
    fn pull_changed(&self, api: &str, bytes: &[u8], update: bool) -> Run {
        let path = self.mirror.path().join(mirror_relative_path(api));
        std::fs::create_dir_all(path.parent().expect("a mirror file has a parent"))
            .expect("creating the scratch mirror layout");
        std::fs::write(&path, bytes).expect("writing the scratch mirror");
        let mirror = self.mirror.path().to_str().expect("a UTF-8 mirror path");
        let mut args = vec!["pull", "--api", api, "--mirror", mirror];
        if update {
            args.push("--update");
        }
        self.xtask(&args)
    }

    fn generate(&self, api: &str, check: bool) -> Run {
        let mut args = vec!["generate", "--api", api];
        if check {
            args.push("--check");
        }
        self.xtask(&args)
    }

    fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.root.path().join(relative))
            .unwrap_or_else(|e| panic!("reading {relative} in the scratch root: {e}"))
    }

    fn spec(&self, api: &str) -> String {
        self.read(&format!("specs/{api}.json"))
    }

    fn code(&self, api: &str) -> String {
        self.read(&format!("generated/src/{api}.rs"))
    }

    fn pinned_sha256(&self, api: &str) -> String {
        sources_value(&self.read("specs/sources.toml"), api, "sha256")
    }

    /// `update --api API --url NEW --no-test`, where the scratch mirror serves `bytes` at NEW
    /// (the pinned URL with another commit). Returns the run and NEW.
    fn update(&self, api: &str, bytes: &[u8]) -> (Run, String) {
        let url = sources_value(&self.read("specs/sources.toml"), api, "url");
        let (base, file) = url.rsplit_once('/').expect("a URL with a path");
        let (repo, _commit) = base.rsplit_once('/').expect("a URL with a commit");
        let new_url = format!("{repo}/next/{file}");
        let path = self
            .mirror
            .path()
            .join(new_url.strip_prefix("https://").expect("an https URL"));
        std::fs::create_dir_all(path.parent().expect("a mirror file has a parent"))
            .expect("creating the scratch mirror layout");
        std::fs::write(&path, bytes).expect("writing the scratch mirror");
        let mirror = self.mirror.path().to_str().expect("a UTF-8 mirror path");
        let run = self.xtask(&[
            "update",
            "--api",
            api,
            "--url",
            &new_url,
            "--mirror",
            mirror,
            "--no-test",
        ]);
        (run, new_url)
    }

    /// Every file of the scratch root (but `target/`) and its bytes.
    fn tree(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
            for entry in std::fs::read_dir(dir).expect("reading the scratch root") {
                let path = entry.expect("a directory entry").path();
                if path == root.join("target") {
                    continue;
                }
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    let bytes = std::fs::read(&path).expect("reading a scratch file");
                    out.insert(path.strip_prefix(root).expect("inside").to_owned(), bytes);
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(self.root.path(), self.root.path(), &mut out);
        out
    }

    /// The pinned upstream file of `api`.
    fn upstream_bytes(&self, api: &str) -> Vec<u8> {
        std::fs::read(self.upstream.join(mirror_relative_path(api))).expect("reading the mirror")
    }
}

/// The changelog of a scratch root: the last release is 0.4.2.
const CHANGELOG: &str = "# Changelog

What changed for dependents.

## [Unreleased]

### Added
- A feature written by hand.

## [0.4.2]

The release before.
";

/// The root manifest of a scratch root: version 0.4.2, as released.
const MANIFEST: &str = r#"[workspace]
members = ["generated", "sdk"]

[workspace.package]
version = "0.4.2"
edition = "2021"

[workspace.dependencies]
akamai-sdk-generated = { path = "generated", version = "0.4.2", default-features = false }
akamai-sdk = { path = "sdk", version = "0.4.2" }
serde = { version = "1", features = ["derive"] }
"#;

/// The lock file of a scratch root: the workspace's two crates, and a registry crate that
/// happens to have their version.
const LOCK: &str = r#"# This file is automatically @generated by Cargo.
# It is not intended for manual editing.
version = 4

[[package]]
name = "akamai-sdk"
version = "0.4.2"
dependencies = [
 "akamai-sdk-generated",
]

[[package]]
name = "akamai-sdk-generated"
version = "0.4.2"

[[package]]
name = "other"
version = "0.4.2"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "0000000000000000000000000000000000000000000000000000000000000000"
"#;

/// Copies the folder `from` to `to`, subfolders included.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("creating {}: {e}", to.display()));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.expect("reading a directory entry");
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name()))
                .unwrap_or_else(|e| panic!("copying {}: {e}", entry.path().display()));
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Lines of `new` that are not in `old` and lines of `old` that are not in `new`.
fn line_diff(old: &str, new: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    // The typed calls (`Calls<'r, R>::…`) mirror the client's methods line for line; the
    // expectations name the client's.
    let set = |text: &str| -> BTreeSet<String> {
        text.lines()
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.contains("fn Calls<"))
            .collect()
    };
    let (old, new) = (set(old), set(new));
    (
        new.difference(&old).cloned().collect(),
        old.difference(&new).cloned().collect(),
    )
}

/// The outcome of pulling an edited EdgeKV spec with `--update` and regenerating.
struct Drift {
    report: String,
    base_code: String,
    new_code: String,
    /// Surface lines that appeared.
    added: BTreeSet<String>,
    /// Surface lines that disappeared.
    removed: BTreeSet<String>,
}

/// [`edgekv_drift_any_report`], and the drift report lists exactly `expected`.
fn edgekv_drift(edit: impl FnOnce(&mut Value), expected: &[&str]) -> Option<Drift> {
    let drift = edgekv_drift_any_report(edit)?;
    assert_report(&drift, "edgekv", expected);
    Some(drift)
}

/// The drift report of `api` lists exactly `expected` (one line per change, in order), after
/// its summary (a line of counts per area) and under area headings (`-- Area --`).
fn assert_report(drift: &Drift, api: &str, expected: &[&str]) {
    let lines: Vec<&str> = drift.report.lines().collect();
    if expected.is_empty() {
        assert_eq!(lines, [format!("drift ({api}): none")], "drift report");
        return;
    }
    assert_eq!(
        lines[0],
        format!("drift ({api}): {} change(s)", expected.len()),
        "{}",
        drift.report
    );
    let is_change = |l: &&str| ["+ ", "- ", "~ "].iter().any(|p| l.starts_with(p));
    let changes: Vec<&str> = lines.iter().copied().filter(is_change).collect();
    assert_eq!(changes, expected, "drift report:\n{}", drift.report);
    // The summary comes first, then each area's heading and its changes.
    let first_heading = lines
        .iter()
        .position(|l| l.starts_with("-- ") && l.ends_with(" --"));
    let first_change = lines.iter().position(is_change);
    assert!(
        first_heading.is_some_and(|h| h > 1 && Some(h) < first_change),
        "no summary and heading before the changes:\n{}",
        drift.report
    );
    assert!(
        lines[1..first_heading.unwrap_or(1)]
            .iter()
            .all(|l| l.contains(": ") && !is_change(l)),
        "summary lines:\n{}",
        drift.report
    );
}

/// Pulls and generates the pinned EdgeKV spec in a scratch root, then pulls an `edit`ed copy
/// of it with `--update` and checks the steps every drift goes through: the source is
/// re-pinned to the new file's hash, `generate --check` fails until `generate` runs, and then
/// passes. Returns the drift report and how the code and its surface moved.
fn edgekv_drift_any_report(edit: impl FnOnce(&mut Value)) -> Option<Drift> {
    drift_of("edgekv", |upstream| {
        let mut doc: Value = serde_json::from_slice(upstream).expect("the EdgeKV spec is JSON");
        edit(&mut doc);
        serde_json::to_vec_pretty(&doc).expect("serialising the edited spec")
    })
}

/// [`edgekv_drift_any_report`] for any API: `change` turns the pinned upstream bytes into the
/// new upstream file.
fn drift_of(api: &str, change: impl FnOnce(&[u8]) -> Vec<u8>) -> Option<Drift> {
    let scratch = Scratch::new(mirror_dir()?);
    scratch.pull_pinned(api).ok("baseline pull");
    scratch.generate(api, false).ok("baseline generate");
    scratch.generate(api, true).ok("baseline generate --check");
    let base_code = scratch.code(api);

    let bytes = change(&scratch.upstream_bytes(api));
    let run = scratch.pull_changed(api, &bytes, true).ok("pull --update");

    let report = run
        .stdout
        .lines()
        .skip_while(|l| !l.trim_start().starts_with(&format!("drift ({api})")))
        .take_while(|l| !l.trim_start().starts_with("re-pinned"))
        .map(|l| format!("{}\n", l.trim()))
        .collect::<String>();
    assert!(
        report.starts_with(&format!("drift ({api}): ")),
        "no drift report in\n{}",
        run.stdout
    );

    let sha = sha256_hex(&bytes);
    assert!(
        run.stdout
            .contains(&format!("re-pinned {api} to sha256 {sha}")),
        "{}",
        run.stdout
    );
    assert_eq!(
        scratch.pinned_sha256(api),
        sha,
        "specs/sources.toml is re-pinned"
    );

    // Re-pinning alone makes the committed code stale (its header names the hash).
    let check = scratch.generate(api, true);
    assert!(
        !check.success,
        "generate --check passed after drift:\n{}",
        check.stdout
    );
    assert!(
        check
            .stderr
            .contains(&format!("generated code is stale: generated/src/{api}.rs")),
        "{}",
        check.stderr
    );
    assert!(
        check
            .stdout
            .contains(&format!("generated/src/{api}.rs is stale")),
        "{}",
        check.stdout
    );
    scratch.generate(api, false).ok("generate");
    scratch
        .generate(api, true)
        .ok("generate --check after generate");

    let new_code = scratch.code(api);
    assert!(
        new_code.contains(&format!("// sha256: {sha}\n")),
        "the generated header names the new hash"
    );
    let (added, removed) = line_diff(
        &surface::render(&base_code).expect("parsing the baseline code"),
        &surface::render(&new_code).expect("parsing the regenerated code"),
    );
    Some(Drift {
        report,
        base_code,
        new_code,
        added,
        removed,
    })
}

/// The pointer of the `application/json` 200 schema of Get a group (`AuthGroup`).
const AUTH_GROUP: &str =
    "/paths/~1auth~1groups~1{groupId}/get/responses/200/content/application~1json/schema";
/// The list of auth groups carries its own inline copy of the auth group schema (upstream
/// bundles one file into both places), so a change to the auth group changes both.
const AUTH_GROUP_IN_LIST: &str =
    "/paths/~1auth~1groups/get/responses/200/content/application~1json/schema/properties/groups/items";

/// Applies `change` to every copy of the auth group schema.
fn each_auth_group(doc: &mut Value, change: impl Fn(&mut Value)) {
    for pointer in [AUTH_GROUP, AUTH_GROUP_IN_LIST] {
        change(at(doc, pointer));
    }
}

/// An auth group schema without its required `groupName`.
fn without_group_name(schema: &mut Value) {
    schema["properties"]
        .as_object_mut()
        .expect("properties")
        .remove("groupName")
        .expect("groupName");
    schema["required"]
        .as_array_mut()
        .expect("required")
        .retain(|name| name != "groupName");
}

fn at<'a>(doc: &'a mut Value, pointer: &str) -> &'a mut Value {
    doc.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("the EdgeKV spec has no {pointer}"))
}

/// The surface line of the builder setter of `ty.field` (`types::builder::<ty>`).
fn setter(ty: &str, field: &str, field_type: &str) -> String {
    format!(
        "fn {ty}::{field}<T>(mut self, value: T) -> Self where T: TryInto<{field_type}>, \
         T::Error: Display"
    )
}

fn assert_only(set: &BTreeSet<String>, expected: &[&str], what: &str) {
    let expected: BTreeSet<String> = expected.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(set, &expected, "{what}");
}

#[test]
fn drift_identical_pull_of_edgekv_is_no_drift() {
    identical_pull("edgekv");
}

#[test]
fn drift_identical_pull_of_linode_is_no_drift() {
    identical_pull("linode");
}

/// Pulling the same pinned file twice reports no drift and writes the same bytes.
fn identical_pull(api: &str) {
    let Some(mirror) = mirror_dir() else { return };
    let scratch = Scratch::new(mirror);
    let sources = scratch.read("specs/sources.toml");
    let first = scratch.pull_pinned(api).ok("first pull");
    assert!(
        first
            .stdout
            .contains("drift: no previous pull to compare with"),
        "{}",
        first.stdout
    );
    let spec = scratch.spec(api);
    let second = scratch.pull_pinned(api).ok("second pull");
    assert!(
        second.stdout.contains(&format!("  drift ({api}): none\n")),
        "{}",
        second.stdout
    );
    assert!(!second.stdout.contains("re-pinned"), "{}", second.stdout);
    assert!(
        spec == scratch.spec(api),
        "specs/{api}.json differs between two pulls"
    );
    assert_eq!(scratch.read("specs/sources.toml"), sources);
}

#[test]
fn drift_one_changed_byte_fails_with_both_hashes() {
    let Some(mirror) = mirror_dir() else { return };
    let scratch = Scratch::new(mirror);
    scratch.pull_pinned("edgekv").ok("baseline pull");
    let (spec, sources) = (scratch.spec("edgekv"), scratch.read("specs/sources.toml"));
    let pinned = scratch.pinned_sha256("edgekv");

    let mut bytes = scratch.upstream_bytes("edgekv");
    let text = String::from_utf8(bytes.clone()).expect("the EdgeKV spec is UTF-8");
    let at = text.find("EdgeKV").expect("the spec mentions EdgeKV") + "EdgeK".len();
    bytes[at] = b'v';
    let received = sha256_hex(&bytes);
    assert_ne!(received, pinned);

    let run = scratch.pull_changed("edgekv", &bytes, false);
    assert!(
        !run.success,
        "pull accepted a changed file:\n{}",
        run.stdout
    );
    for expected in [
        "sha256 mismatch for edgekv".to_owned(),
        format!("pinned:   {pinned}"),
        format!("received: {received}"),
        "cargo xtask pull --update --api edgekv".to_owned(),
    ] {
        assert!(
            run.stderr.contains(&expected),
            "missing {expected:?} in\n{}",
            run.stderr
        );
    }
    // Nothing is written or re-pinned.
    assert!(spec == scratch.spec("edgekv"), "specs/edgekv.json changed");
    assert_eq!(scratch.read("specs/sources.toml"), sources);
}

#[test]
fn drift_reformatted_spec_is_no_drift() {
    // The same document, re-serialised (keys sorted, other indentation): a new hash but no
    // change in the processed spec or the surface.
    let Some(drift) = edgekv_drift(|_| {}, &[]) else {
        return;
    };
    assert!(drift.report.contains("none"));
    assert_only(&drift.added, &[], "surface lines added");
    assert_only(&drift.removed, &[], "surface lines removed");
    let (added, removed) = line_diff(&drift.base_code, &drift.new_code);
    assert_eq!(added.len(), 1, "only the hash line changes: {added:?}");
    assert_eq!(removed.len(), 1, "only the hash line changes: {removed:?}");
}

#[test]
fn drift_operation_added() {
    let Some(drift) = edgekv_drift(
        |doc| {
            let paths = doc["paths"].as_object_mut().expect("paths");
            let mut item = paths["/auth/groups/{groupId}"].clone();
            item["get"]["operationId"] = json!("get-group-copy");
            paths.insert("/auth/groups/{groupId}/copy".to_owned(), item);
        },
        &["+ operation get-group-copy (GET /auth/groups/{groupId}/copy)"],
    ) else {
        return;
    };
    // The operation table gains the operation, and its index lists it.
    let (index_removed, removed) = split_index(&drift.removed);
    let (index_added, added) = split_index(&drift.added);
    assert_eq!(removed, BTreeSet::new(), "surface lines removed");
    assert!(
        index_added.contains("GET_GROUP_COPY") && !index_removed.contains("GET_GROUP_COPY"),
        "{index_removed} -> {index_added}"
    );
    assert_only(
        &added,
        &[
            "async fn Client::get_group_copy(&self, group_id: u64, account_switch_key: Option<&str>) \
             -> Result<ResponseValue<types::AuthGroup>, Error<types::Error>>  \
             [GET /auth/groups/{groupId}/copy]",
            "const operations::GET_GROUP_COPY: Operation = Operation { id: \"get-group-copy\", \
             method_name: \"get_group_copy\", method: Method::GET, path: \"/auth/groups/{groupId}/copy\", \
             idempotent: true, bodiless_statuses: &[], empty_collection_details: &[], \
             paginated: false, tag: \"Permission groups\", feature: None }",
        ],
        "surface lines added",
    );
}

/// Sets the line of the operation table's index (`operations::ALL`) apart from the others.
fn split_index(lines: &BTreeSet<String>) -> (String, BTreeSet<String>) {
    let (index, rest): (BTreeSet<String>, BTreeSet<String>) = lines
        .iter()
        .cloned()
        .partition(|l| l.starts_with("const operations::ALL:"));
    (index.into_iter().next().unwrap_or_default(), rest)
}

#[test]
fn drift_operation_removed() {
    let Some(drift) = edgekv_drift(
        |doc| {
            let item = "/paths/~1networks~1{network}~1namespaces~1{namespaceId}~1groups~1{groupId}~1items~1{itemId}";
            at(doc, item)
                .as_object_mut()
                .expect("a path item")
                .remove("delete")
                .expect("Delete an item");
        },
        &["- operation delete-item"],
    ) else {
        return;
    };
    let (index_removed, removed) = split_index(&drift.removed);
    let (index_added, added) = split_index(&drift.added);
    assert_eq!(added, BTreeSet::new(), "surface lines added");
    assert!(
        index_removed.contains("DELETE_ITEM") && !index_added.contains("DELETE_ITEM"),
        "{index_removed} -> {index_added}"
    );
    assert_eq!(removed.len(), 2, "{removed:?}");
    assert!(
        removed
            .iter()
            .any(|l| l.starts_with("async fn Client::delete_item(&self, ")),
        "{removed:?}"
    );
    assert!(
        removed.iter().any(|l| l.starts_with(
            "const operations::DELETE_ITEM: Operation = Operation { id: \"delete-item\""
        )),
        "{removed:?}"
    );
}

#[test]
fn drift_response_field_added() {
    let Some(drift) = edgekv_drift(
        |doc| {
            each_auth_group(doc, |schema| {
                schema["properties"]["description"] =
                    json!({"type": "string", "description": "What the group is for."});
            });
        },
        &["+ field AuthGroup.description: string"],
    ) else {
        return;
    };
    assert_only(&drift.removed, &[], "surface lines removed");
    assert_only(
        &drift.added,
        &[
            "types::AuthGroup.description: Option<String>  #[serde(skip_serializing_if = \"Option::is_none\"), serde(default, deserialize_with = \"crate::lenient::de\")]",
            &setter("AuthGroup", "description", "Option<String>"),
        ],
        "surface lines added",
    );
}

#[test]
fn drift_response_field_removed() {
    let Some(drift) = edgekv_drift(
        |doc| {
            each_auth_group(doc, without_group_name);
        },
        &["- field AuthGroup.groupName"],
    ) else {
        return;
    };
    assert_only(&drift.added, &[], "surface lines added");
    assert_only(
        &drift.removed,
        &[
            "types::AuthGroup.group_name: String  #[serde(rename = \"groupName\"), serde(deserialize_with = \"crate::lenient::de\")]",
            &setter("AuthGroup", "group_name", "String"),
        ],
        "surface lines removed",
    );
}

#[test]
fn drift_response_field_retyped() {
    let Some(drift) = edgekv_drift(
        |doc| {
            each_auth_group(doc, |schema| {
                schema["properties"]["groupId"] = json!({"type": "string"});
            });
        },
        &["~ field AuthGroup.groupId: integer -> string"],
    ) else {
        return;
    };
    assert_only(
        &drift.removed,
        &[
            "types::AuthGroup.group_id: i64  #[serde(rename = \"groupId\"), serde(deserialize_with = \"crate::lenient::de\")]",
            &setter("AuthGroup", "group_id", "i64"),
        ],
        "surface lines removed",
    );
    assert_only(
        &drift.added,
        &[
            "types::AuthGroup.group_id: String  #[serde(rename = \"groupId\"), serde(deserialize_with = \"crate::lenient::de\")]",
            &setter("AuthGroup", "group_id", "String"),
        ],
        "surface lines added",
    );
}

#[test]
fn drift_enum_value_added() {
    let Some(drift) = edgekv_drift(
        |doc| {
            each_auth_group(doc, |schema| {
                schema["properties"]["capabilities"]["items"]["enum"]
                    .as_array_mut()
                    .expect("an enum")
                    .push(json!("PURGE_DATA"));
            });
        },
        &["+ enum value AuthGroup.capabilities[]: PURGE_DATA"],
    ) else {
        return;
    };
    assert_only(&drift.removed, &[], "surface lines removed");
    assert_only(
        &drift.added,
        &["types::AuthGroupCapabilitiesItem::PurgeData  #[serde(rename = \"PURGE_DATA\")]"],
        "surface lines added",
    );
}

#[test]
fn drift_status_code_added() {
    let Some(drift) = edgekv_drift(
        |doc| {
            let responses = at(doc, "/paths/~1auth~1groups~1{groupId}/get/responses");
            responses["404"] = responses["403"].clone();
        },
        &["+ status 404 of get-group"],
    ) else {
        return;
    };
    // A new error status of the same error type only adds a match arm inside the method:
    // the signature (and so the surface) stays the same, the code does not.
    assert_only(&drift.added, &[], "surface lines added");
    assert_only(&drift.removed, &[], "surface lines removed");
    let count = |code: &str| code.matches("404u16 =>").count();
    assert_eq!(
        count(&drift.new_code),
        count(&drift.base_code) + 1,
        "one more 404 arm in the generated code"
    );
}

#[test]
fn drift_parameter_made_required() {
    let Some(drift) = edgekv_drift(
        |doc| {
            let params = at(
                doc,
                "/paths/~1networks~1{network}~1namespaces~1{namespaceId}~1groups~1{groupId}/get/parameters",
            );
            let max_items = params
                .as_array_mut()
                .expect("parameters")
                .iter_mut()
                .find(|p| p["name"] == "maxItems")
                .expect("maxItems");
            max_items["required"] = json!(true);
        },
        &["~ parameter maxItems (query) of get-group-items is now required"],
    ) else {
        return;
    };
    let [removed] = drift.removed.iter().collect::<Vec<_>>()[..] else {
        panic!("one changed signature: {:?}", drift.removed);
    };
    let [added] = drift.added.iter().collect::<Vec<_>>()[..] else {
        panic!("one changed signature: {:?}", drift.added);
    };
    assert!(
        removed.starts_with("async fn Client::get_group_items("),
        "{removed}"
    );
    assert!(removed.contains("max_items: Option<i64>"), "{removed}");
    assert_eq!(
        added,
        &removed.replace("max_items: Option<i64>", "max_items: i64"),
        "only max_items changes"
    );
}

#[test]
fn drift_response_field_made_optional() {
    let Some(drift) = edgekv_drift(
        |doc| {
            each_auth_group(doc, |schema| {
                schema["required"]
                    .as_array_mut()
                    .expect("required")
                    .retain(|name| name != "groupName");
            });
        },
        &["~ field AuthGroup.groupName is now optional"],
    ) else {
        return;
    };
    assert_only(
        &drift.removed,
        &[
            "types::AuthGroup.group_name: String  #[serde(rename = \"groupName\"), serde(deserialize_with = \"crate::lenient::de\")]",
            &setter("AuthGroup", "group_name", "String"),
        ],
        "surface lines removed",
    );
    assert_only(
        &drift.added,
        &[
            "types::AuthGroup.group_name: Option<String>  \
             #[serde(rename = \"groupName\", skip_serializing_if = \"Option::is_none\"), \
             serde(default, deserialize_with = \"crate::lenient::de\")]",
            &setter("AuthGroup", "group_name", "Option<String>"),
        ],
        "surface lines added",
    );
}

#[test]
fn drift_operation_moved() {
    let Some(drift) = edgekv_drift(
        |doc| {
            let paths = doc["paths"].as_object_mut().expect("paths");
            let item = paths.remove("/auth/groups/{groupId}").expect("Get a group");
            paths.insert("/auth/group/{groupId}".to_owned(), item);
        },
        &["~ operation get-group: GET /auth/groups/{groupId} -> GET /auth/group/{groupId}"],
    ) else {
        return;
    };
    // Same method and signature, another endpoint: the method's line and its entry in the
    // operation table move, nothing else.
    assert_eq!(drift.removed.len(), 2, "{:?}", drift.removed);
    assert_eq!(drift.added.len(), 2, "{:?}", drift.added);
    let moved: BTreeSet<String> = drift
        .removed
        .iter()
        .map(|l| {
            l.replace(
                "[GET /auth/groups/{groupId}]",
                "[GET /auth/group/{groupId}]",
            )
            .replace(
                "path: \"/auth/groups/{groupId}\"",
                "path: \"/auth/group/{groupId}\"",
            )
        })
        .collect();
    assert_eq!(moved, drift.added);
    assert!(
        drift
            .removed
            .iter()
            .any(|l| l.starts_with("async fn Client::get_group(")),
        "{:?}",
        drift.removed
    );
    assert!(
        drift
            .added
            .iter()
            .any(|l| l.starts_with("const operations::GET_GROUP: Operation")),
        "{:?}",
        drift.added
    );
}

#[test]
fn drift_documentation_only() {
    let Some(drift) = edgekv_drift(
        |doc| {
            at(doc, "/paths/~1auth~1groups~1{groupId}/get")["description"] =
                json!("Shows one access group and its EdgeKV capabilities.");
        },
        &["~ documentation of get-group"],
    ) else {
        return;
    };
    // Documentation is not part of the surface; it only reaches the doc comments.
    assert_only(&drift.added, &[], "surface lines added");
    assert_only(&drift.removed, &[], "surface lines removed");
    assert!(drift
        .new_code
        .contains("Shows one access group and its EdgeKV capabilities."));
}

#[test]
fn drift_parameter_retyped() {
    let Some(drift) = edgekv_drift_any_report(|doc| {
        let params = at(
            doc,
            "/paths/~1networks~1{network}~1namespaces~1{namespaceId}~1groups~1{groupId}/get/parameters",
        );
        let max_items = params
            .as_array_mut()
            .expect("parameters")
            .iter_mut()
            .find(|p| p["name"] == "maxItems")
            .expect("maxItems");
        max_items["schema"] = json!({"type": "string"});
    }) else {
        return;
    };
    let [removed] = drift.removed.iter().collect::<Vec<_>>()[..] else {
        panic!("one changed signature: {:?}", drift.removed);
    };
    let [added] = drift.added.iter().collect::<Vec<_>>()[..] else {
        panic!("one changed signature: {:?}", drift.added);
    };
    assert_eq!(
        added,
        &removed.replace("max_items: Option<i64>", "max_items: Option<&str>")
    );
    // The report must name the parameter whose type changed, not call it documentation.
    assert!(
        drift
            .report
            .lines()
            .any(|l| l.contains("maxItems") && l.contains("get-group-items")),
        "the drift report does not name the retyped parameter:\n{}",
        drift.report
    );
}

#[test]
fn drift_response_type_changed() {
    let Some(drift) = edgekv_drift_any_report(|doc| {
        let other = at(
            doc,
            "/paths/~1tokens~1{tokenName}/delete/responses/200/content/application~1json/schema",
        )
        .clone();
        *at(doc, AUTH_GROUP) = other;
    }) else {
        return;
    };
    // The return type of get_group changes (and AuthGroup, now unused, disappears).
    assert!(
        drift
            .added
            .iter()
            .any(|l| l.starts_with("async fn Client::get_group(")
                && l.contains("ResponseValue<types::TokensDelete>")),
        "{:?}",
        drift.added
    );
    assert!(
        drift
            .removed
            .iter()
            .any(|l| l.starts_with("async fn Client::get_group(")),
        "{:?}",
        drift.removed
    );
    // The report must say that the 200 response of get-group changed.
    assert!(
        drift.report.lines().any(|l| l.contains("get-group")
            && !l.contains("documentation")
            && (l.contains("200") || l.contains("response"))),
        "the drift report does not name the changed response:\n{}",
        drift.report
    );
}

/// Adds `reseller` to every `billing_source` enum (`[akamai, linode]`) of the Linode YAML
/// that follows the first occurrence of `from` (`""`: the whole file).
fn linode_with_reseller(upstream: &[u8], from: &str) -> Vec<u8> {
    let text = std::str::from_utf8(upstream).expect("the Linode spec is UTF-8");
    let start = text
        .find(from)
        .unwrap_or_else(|| panic!("no {from:?} in the Linode spec"));
    let (head, tail) = text.split_at(start);
    let lines: Vec<&str> = tail.lines().collect();
    let mut out = String::with_capacity(upstream.len() + 256);
    out.push_str(head);
    let mut edited = 0;
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        out.push('\n');
        // `billing_source:` ... `<indent>enum:` / `<indent>- akamai` / `<indent>- linode`
        let indent = &line[..line.len() - line.trim_start().len()];
        let is_linode_value = line.trim() == "- linode"
            && i >= 2
            && lines[i - 1] == format!("{indent}- akamai")
            && lines[i - 2] == format!("{indent}enum:")
            && lines[i.saturating_sub(6)..i - 2]
                .iter()
                .any(|l| l.trim() == "billing_source:");
        if is_linode_value {
            out.push_str(indent);
            out.push_str("- reseller\n");
            edited += 1;
        }
    }
    assert!(edited > 0, "no billing_source enum after {from:?}");
    if !text.ends_with('\n') {
        out.pop();
    }
    out.into_bytes()
}

#[test]
fn drift_linode_enum_value_added() {
    // Every copy of the enum changes (the component and the operations' inline copies), as
    // when upstream edits the shared schema file.
    let Some(drift) = drift_of("linode", |upstream| linode_with_reseller(upstream, "")) else {
        return;
    };
    assert_report(
        &drift,
        "linode",
        &["+ enum value account.billing_source: reseller"],
    );
    assert_only(&drift.removed, &[], "surface lines removed");
    assert_only(
        &drift.added,
        &["types::AccountBillingSource::Reseller  #[serde(rename = \"reseller\")]"],
        "surface lines added",
    );
}

#[test]
fn drift_linode_inline_copy_diverges() {
    // Only the copy inside Get your account's response changes.
    let Some(drift) = drift_of("linode", |upstream| {
        linode_with_reseller(upstream, "operationId: get-account\n")
    }) else {
        return;
    };
    assert!(
        drift.report.contains("reseller"),
        "the drift report does not name the new enum value:\n{}",
        drift.report
    );
}

/// A scratch root with the pinned Linode spec pulled and generated, and its pinned file.
fn linode_baseline() -> Option<(Scratch, Vec<u8>)> {
    let scratch = Scratch::new(mirror_dir()?);
    scratch.pull_pinned("linode").ok("baseline pull");
    scratch.generate("linode", false).ok("baseline generate");
    scratch
        .generate("linode", true)
        .ok("baseline generate --check");
    let upstream = scratch.upstream_bytes("linode");
    Some((scratch, upstream))
}

/// The pinned Linode YAML as a JSON value.
fn linode_doc(upstream: &[u8]) -> Value {
    serde_norway::from_slice(upstream).expect("the Linode spec is YAML")
}

/// Every operation id in camelCase (`get-child-accounts` -> `getChildAccounts`): the generated
/// names (`get_child_accounts`, `GET_CHILD_ACCOUNTS`) stay.
fn restyle_ids(doc: &mut Value) {
    rename_ids(doc, |id| {
        let mut parts = id.split('-');
        let mut camel = parts.next().unwrap_or_default().to_owned();
        for part in parts {
            let mut chars = part.chars();
            camel.extend(chars.next().map(|c| c.to_ascii_uppercase()));
            camel.push_str(chars.as_str());
        }
        camel
    });
}

/// Every operation id renamed (`get-account` -> `get-account-v3`): so are the generated names.
fn suffix_ids(doc: &mut Value) {
    rename_ids(doc, |id| format!("{id}-v3"));
}

fn rename_ids(doc: &mut Value, rename: impl Fn(&str) -> String) {
    for item in doc["paths"].as_object_mut().expect("paths").values_mut() {
        for op in item.as_object_mut().expect("a path item").values_mut() {
            if let Some(Value::String(id)) = op.get_mut("operationId") {
                *id = rename(id);
            }
        }
    }
}

/// Every operation of a spec as (METHOD, path).
fn routes(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            if op.get("operationId").is_some() {
                out.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// The paths without their leading `/{apiVersion}`, and without the parameter.
fn drop_version_prefix(doc: &mut Value) {
    let paths = std::mem::take(doc["paths"].as_object_mut().expect("paths"));
    let not_version = |p: &Value| p["name"] != "apiVersion";
    for (path, mut item) in paths {
        let path = path
            .strip_prefix("/{apiVersion}")
            .unwrap_or(&path)
            .to_owned();
        if let Some(Value::Array(params)) = item.get_mut("parameters") {
            params.retain(not_version);
        }
        for op in item.as_object_mut().expect("a path item").values_mut() {
            if let Some(Value::Array(params)) = op.get_mut("parameters") {
                params.retain(not_version);
            }
        }
        doc["paths"][path] = item;
    }
}

fn to_json(doc: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(doc).expect("serialising a variant")
}

/// `update` with `bytes` refuses at `step` with exit status 1, says so first, and leaves the
/// scratch tree byte for byte as it was. Returns the report (stderr).
fn assert_refused(scratch: &Scratch, bytes: &[u8], step: &str) -> String {
    let before = scratch.tree();
    let (run, _) = scratch.update("linode", bytes);
    assert!(
        !run.success,
        "update accepted:\n{}\n{}",
        run.stdout, run.stderr
    );
    let first = run.stderr.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        format!(
            "error: update of linode refused at step `{step}`; nothing was changed \
             (specs/sources.toml, the pulled specs and generated/ are as they were)"
        ),
        "{}",
        run.stderr
    );
    assert_same_tree(&before, &scratch.tree(), "the refused update");
    run.stderr
}

/// `after` has the files of `before`, byte for byte: `what` added, removed or changed none.
fn assert_same_tree(
    before: &BTreeMap<PathBuf, Vec<u8>>,
    after: &BTreeMap<PathBuf, Vec<u8>>,
    what: &str,
) {
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "{what} added or removed files"
    );
    for (path, bytes) in before {
        assert!(after[path] == *bytes, "{what} changed {}", path.display());
    }
}

fn assert_lines(report: &str, expected: &[&str]) {
    let lines: BTreeSet<&str> = report.lines().collect();
    for line in expected {
        assert!(lines.contains(line), "missing line {line:?} in\n{report}");
    }
}

/// The eight operations the SDK's Linode layer names (`ops::GET_ACCOUNT`...), as (old id,
/// new camelCase id, METHOD, path).
const LINODE_OPS: [(&str, &str, &str, &str); 8] = [
    (
        "get-child-accounts",
        "getChildAccounts",
        "GET",
        "/account/child-accounts",
    ),
    (
        "get-child-account",
        "getChildAccount",
        "GET",
        "/account/child-accounts/{euuid}",
    ),
    (
        "post-child-account-token",
        "postChildAccountToken",
        "POST",
        "/account/child-accounts/{euuid}/token",
    ),
    ("get-account", "getAccount", "GET", "/account"),
    ("get-profile", "getProfile", "GET", "/profile"),
    (
        "get-profile-grants",
        "getProfileGrants",
        "GET",
        "/profile/grants",
    ),
    (
        "get-user-grants",
        "getUserGrants",
        "GET",
        "/account/users/{username}/grants",
    ),
    (
        "delete-personal-access-token",
        "deletePersonalAccessToken",
        "DELETE",
        "/profile/tokens/{tokenId}",
    ),
];

/// Selects only [`LINODE_OPS`], by id, in the scratch `specs/sources.toml` (the baseline was
/// pulled with every operation).
fn select_linode_ops(scratch: &Scratch) {
    let sources = scratch.read("specs/sources.toml");
    let (head, tail) = sources.split_at(sources.find("[linode]").expect("a [linode] section"));
    let ids: Vec<String> = LINODE_OPS
        .iter()
        .map(|(old, ..)| format!("    {old:?},\n"))
        .collect();
    let tail = tail.replacen(
        "operations = \"all\"\n",
        &format!("operations = [\n{}]\n", ids.concat()),
        1,
    );
    assert!(tail.contains("\"get-account\",\n"), "{tail}");
    std::fs::write(
        scratch.root.path().join("specs/sources.toml"),
        format!("{head}{tail}"),
    )
    .expect("writing sources.toml");
}

/// The whole text of a refusal: the file a long one names, else the refusal itself.
fn refusal_details(scratch: &Scratch, report: &str) -> String {
    match report
        .lines()
        .find_map(|l| l.split_once(" is in target/xtask/"))
    {
        Some((_, file)) => scratch.read(&format!("target/xtask/{file}")),
        None => report.to_owned(),
    }
}

#[test]
fn update_of_restyled_ids_is_refused_naming_each_successor() {
    // Operations selected by id: a new id is a missing operation.
    let Some((scratch, upstream)) = linode_baseline() else {
        return;
    };
    select_linode_ops(&scratch);
    let mut doc = linode_doc(&upstream);
    restyle_ids(&mut doc);
    let report = assert_refused(&scratch, &to_json(&doc), "select");
    assert_lines(
        &report,
        &[
            "8 selected operations of linode vanished upstream; 8 have a successor at the same \
           method and path (renamed), 0 have none",
        ],
    );
    let details = refusal_details(&scratch, &report);
    for (old, new, method, path) in LINODE_OPS {
        let snake = old.replace('-', "_");
        let entry = format!(
            "  - \"{old}\" (was {method} {path}): now {new} ({method} /{{apiVersion}}{path})"
        );
        assert_lines(&report, &[&entry]);
        assert_lines(
            &details,
            &[
                &entry,
                &format!("       \"{old}\" -> \"{new}\" (the method stays {snake})"),
                &format!("       \"{old}\" -> \"{method} {path}\", and"),
                &format!(
                    "         - target: $.paths['/{{apiVersion}}{path}'].{}",
                    method.to_lowercase()
                ),
                &format!("             operationId: {old}"),
            ],
        );
    }
}

#[test]
fn update_of_restyled_ids_without_the_version_prefix_compares_paths_without_it() {
    // What upstream did between two real revisions: both changes at once.
    let Some((scratch, upstream)) = linode_baseline() else {
        return;
    };
    select_linode_ops(&scratch);
    let mut doc = linode_doc(&upstream);
    restyle_ids(&mut doc);
    drop_version_prefix(&mut doc);
    let report = assert_refused(&scratch, &to_json(&doc), "select");
    let details = refusal_details(&scratch, &report);
    for (old, new, method, path) in LINODE_OPS {
        assert_lines(
            &report,
            &[&format!(
                "  - \"{old}\" (was {method} {path}): now {new} ({method} {path})"
            )],
        );
        assert_lines(
            &details,
            &[&format!(
                "         - target: $.paths['{path}'].{}",
                method.to_lowercase()
            )],
        );
    }
}

#[test]
fn update_of_restyled_ids_of_all_operations_is_accepted_as_renames_by_area() {
    // With `operations = "all"` a restyled id is a rename: the generated names stay, so the
    // SDK's code still builds, but `core` lists ids. Once `core` follows the new ids (option a
    // of the refusal), the update goes through and the drift report says it, area by area.
    let Some((scratch, upstream)) = linode_baseline() else {
        return;
    };
    let spec: Value = serde_json::from_str(&scratch.spec("linode")).expect("the processed spec");
    let mut per_area: BTreeMap<String, usize> = BTreeMap::new();
    for item in spec["paths"].as_object().expect("paths").values() {
        for op in item.as_object().expect("a path item").values() {
            if let Some(tag) = op.pointer("/tags/0").and_then(Value::as_str) {
                *per_area.entry(tag.to_owned()).or_default() += 1;
            }
        }
    }
    let mut doc = linode_doc(&upstream);
    restyle_ids(&mut doc);
    let bytes = to_json(&doc);
    let report = assert_refused(&scratch, &bytes, "select");
    let details = refusal_details(&scratch, &report);
    let mut sources = scratch.read("specs/sources.toml");
    let mut renamed = 0;
    for line in details.lines() {
        if let Some((old, new)) = line
            .trim()
            .strip_suffix(" in `core` in specs/sources.toml")
            .and_then(|l| l.split_once(" -> "))
        {
            let (old, new) = (format!("{old},"), format!("{new},"));
            assert!(sources.contains(&old), "{old} in sources.toml");
            sources = sources.replace(&old, &new);
            renamed += 1;
        }
    }
    assert!(renamed > 0, "no rename of `core` in\n{details}");
    std::fs::write(scratch.root.path().join("specs/sources.toml"), &sources).expect("writing");
    let (stdout, _, _) = accepted(&scratch, &bytes);
    for (area, n) in &per_area {
        let ops = if *n == 1 { "operation" } else { "operations" };
        assert_lines(&stdout, &[&format!("    {area}: {n} {ops} renamed")]);
        assert_lines(&stdout, &[&format!("    -- {area} --")]);
    }
    for (old, new, method, path) in LINODE_OPS {
        assert_lines(
            &stdout,
            &[&format!(
                "      ~ operation {old} -> {new} ({method} {path})"
            )],
        );
    }
    assert!(!stdout.contains("- operation "), "{stdout}");
}

#[test]
fn update_to_an_older_upstream_is_refused_with_a_summary_first() {
    // An older upstream: every id is another, the paths have no `/{apiVersion}`, and five
    // operations the SDK does not name are not there yet.
    let Some((scratch, upstream)) = linode_baseline() else {
        return;
    };
    let total = routes(&serde_json::from_str(&scratch.spec("linode")).expect("JSON")).len();
    let mut doc = linode_doc(&upstream);
    suffix_ids(&mut doc);
    drop_version_prefix(&mut doc);
    let named: BTreeSet<(&str, &str)> = LINODE_OPS.iter().map(|(_, _, m, p)| (*m, *p)).collect();
    let dropped: Vec<(String, String)> = routes(&doc)
        .into_iter()
        .filter(|(m, p)| !named.contains(&(m.as_str(), p.as_str())))
        .take(5)
        .collect();
    for (method, path) in &dropped {
        doc["paths"][path]
            .as_object_mut()
            .expect("a path item")
            .remove(&method.to_lowercase());
    }
    let report = assert_refused(&scratch, &to_json(&doc), "select");
    let lines: Vec<&str> = report.lines().collect();
    assert!(lines.len() < 60, "{} lines:\n{report}", lines.len());
    assert!(
        lines[1].starts_with(&format!(
            "{total} selected operations of linode (operations = \"all\") vanished upstream; {} \
             have a successor at the same method and path (renamed), 5 have none; the committed \
             code",
            total - 5
        )),
        "{report}"
    );
    assert!(lines[2].starts_with("To proceed: "), "{report}");
    assert!(
        lines[3].starts_with("for one without a successor, "),
        "{report}"
    );
    assert!(lines[4].starts_with("  - \""), "{report}");
    assert!(lines[5].starts_with("      named by "), "{report}");
    let more = lines
        .iter()
        .find(|l| l.starts_with("… and "))
        .unwrap_or_else(|| panic!("no \"… and N more\" in\n{report}"));
    assert!(
        more.ends_with(
            " more; the full list, with the renames and overlay actions for each, is in \
             target/xtask/vanished-linode.txt"
        ),
        "{more}"
    );
    assert!(
        report.contains(
            "\nNote: the successors above are read without specs/overlays/linode.yaml, which \
             does not apply to the new file either: overlays/linode.yaml: action "
        ),
        "{report}"
    );
    // The full list: every operation, with its successor or none.
    let details = refusal_details(&scratch, &report);
    assert_eq!(details.matches("\n  - \"").count(), total, "{details}");
    assert_eq!(
        details
            .matches(": no successor: nothing upstream at ")
            .count(),
        5
    );
    for (old, _, method, path) in LINODE_OPS {
        let snake = old.replace('-', "_");
        assert_lines(
            &details,
            &[&format!(
                "  - \"{old}\" (was {method} {path}): now {old}-v3 ({method} {path})"
            )],
        );
        let rename = format!(
            "       {} -> {}_V3 (method {snake} -> {snake}_v3), in ",
            snake.to_uppercase(),
            snake.to_uppercase()
        );
        assert!(
            details
                .lines()
                .any(|l| l.starts_with(&rename) && l.contains("sdk/src/linode/api.rs")),
            "no {rename:?} in\n{details}"
        );
    }
}

#[test]
fn update_without_the_version_prefix_is_refused_at_the_stale_overlay() {
    let Some((scratch, upstream)) = linode_baseline() else {
        return;
    };
    let mut doc = linode_doc(&upstream);
    drop_version_prefix(&mut doc);
    let report = assert_refused(&scratch, &to_json(&doc), "overlay");
    assert_lines(
        &report,
        &["overlays/linode.yaml: action 2 (\"Name the profile type after what it is.\"): target \
           $.paths['/{apiVersion}/profile'].get.responses['200'].content['application/json'].schema \
           selects nothing (stale overlay?): $['paths'] has no \"/{apiVersion}/profile\"; nearest: \"/profile\""],
    );
}

#[test]
fn update_with_an_overlay_target_gone_names_the_action_and_the_nearest_schema() {
    let Some((scratch, upstream)) = linode_baseline() else {
        return;
    };
    let text = std::str::from_utf8(&upstream).expect("UTF-8");
    assert_eq!(
        text.matches("proxy-user-token").count(),
        1,
        "one schema of that name"
    );
    let renamed = text.replace("    proxy-user-token:\n", "    proxy-token:\n");
    let report = assert_refused(&scratch, renamed.as_bytes(), "overlay");
    let line = report
        .lines()
        .find(|l| l.starts_with("overlays/linode.yaml: action 5 "))
        .unwrap_or_else(|| panic!("no line for action 5 in\n{report}"));
    assert!(
        line.starts_with(
            "overlays/linode.yaml: action 5 (\"The proxy token is a bearer credential"
        ),
        "{line}"
    );
    assert!(
        line.ends_with(
            "selects nothing (stale overlay?): $['components']['schemas'] has no \
             \"proxy-user-token\"; nearest: \"proxy-token\""
        ),
        "{line}"
    );
}

#[test]
fn update_with_an_operation_dropped_says_it_has_no_successor() {
    let Some((scratch, upstream)) = linode_baseline() else {
        return;
    };
    let mut doc = linode_doc(&upstream);
    doc["paths"]["/{apiVersion}/profile/grants"]
        .as_object_mut()
        .expect("Get your grants")
        .remove("get")
        .expect("a get operation");
    let report = assert_refused(&scratch, &to_json(&doc), "select");
    assert_lines(
        &report,
        &[
            "1 selected operation of linode (operations = \"all\") vanished upstream; 0 have a \
             successor at the same method and path (renamed), 1 has none; the committed code or \
             `core` in specs/sources.toml names 1 of them (listed first)",
            "  - \"get-profile-grants\" (was GET /profile/grants): no successor: nothing upstream at GET /profile/grants",
            "For an operation without a single successor: take the code that names it off it, or \
             onto the operation that replaces it.",
        ],
    );
    let named = report
        .lines()
        .find(|l| l.starts_with("      named by GET_PROFILE_GRANTS in "))
        .unwrap_or_else(|| panic!("no \"named by\" line in\n{report}"));
    assert!(named.contains("sdk/src/linode/api.rs"), "{named}");
    assert!(!report.contains("How to proceed"), "{report}");
    assert!(
        !report.contains("target/xtask"),
        "a short refusal is whole: {report}"
    );
}

/// `update` of the Linode spec with `bytes` succeeds; returns its stdout, which files of the
/// tree changed, and the new URL.
fn accepted(scratch: &Scratch, bytes: &[u8]) -> (String, BTreeSet<PathBuf>, String) {
    accepted_update(scratch, "linode", bytes)
}

/// `update` of `api` with `bytes` succeeds and re-pins and regenerates it; returns its stdout,
/// which files of the tree changed, and the new URL.
fn accepted_update(
    scratch: &Scratch,
    api: &str,
    bytes: &[u8],
) -> (String, BTreeSet<PathBuf>, String) {
    let before = scratch.tree();
    let (run, url) = scratch.update(api, bytes);
    let run = run.ok("update");
    let after = scratch.tree();
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "update added or removed files"
    );
    let changed = before
        .iter()
        .filter(|(path, bytes)| after[*path] != **bytes)
        .map(|(path, _)| path.clone())
        .collect();
    let sources = scratch.read("specs/sources.toml");
    assert_eq!(sources_value(&sources, api, "url"), url);
    assert_eq!(scratch.pinned_sha256(api), sha256_hex(bytes));
    assert!(scratch
        .code(api)
        .contains(&format!("// sha256: {}\n", sha256_hex(bytes))));
    assert!(scratch.code(api).contains(&format!("// Source: {url}\n")));
    scratch
        .generate(api, true)
        .ok("generate --check after update");
    (run.stdout, changed, url)
}

fn paths(list: &[&str]) -> BTreeSet<PathBuf> {
    list.iter().map(PathBuf::from).collect()
}

#[test]
fn update_with_an_example_changed_is_accepted() {
    let Some((scratch, upstream)) = linode_baseline() else {
        return;
    };
    // Every copy of the example changes, as when upstream edits the shared schema file (one
    // inline copy diverging from its component is a schema change, not an examples-only one).
    let text = std::str::from_utf8(&upstream).expect("UTF-8");
    assert!(
        text.matches("example: '10.00'").count() > 1,
        "copies of the example"
    );
    let changed_text = text.replace("example: '10.00'", "example: '20.00'");
    let (stdout, changed, _) = accepted(&scratch, changed_text.as_bytes());
    // Examples are not part of the SDK's surface: no drift, but the processed spec has them
    // (mock servers serve them).
    assert!(stdout.contains("  drift (linode): none\n"), "{stdout}");
    assert!(scratch.spec("linode").contains("\"example\": \"20.00\""));
    assert!(!scratch.spec("linode").contains("\"example\": \"10.00\""));
    assert_eq!(
        changed,
        paths(&[
            "specs/sources.toml",
            "specs/linode.json",
            "generated/src/linode.rs"
        ])
    );
    // Nothing changes for dependents: a patch, with no changelog entry and no new version.
    assert_verdict(&stdout, "patch", &[&format!("patch: {DOCS_ONLY}")]);
    assert_lines(
        &stdout,
        &[
            "version: unchanged (a patch change needs no version above it)",
            "CHANGELOG.md: no entry (nothing changed for dependents: no drift, the same API and \
             code)",
        ],
    );
}

/// The reason of a patch verdict.
const DOCS_ONLY: &str = xtask::semver::DOCS_ONLY;

/// `update` printed the verdict `level` and exactly `reasons` (`LEVEL: reason`, in order).
fn assert_verdict(stdout: &str, level: &str, reasons: &[&str]) {
    let mut lines = stdout
        .lines()
        .skip_while(|l| !l.starts_with("semver verdict: "));
    assert_eq!(
        lines.next(),
        Some(format!("semver verdict: {level}").as_str()),
        "{stdout}"
    );
    let printed: Vec<&str> = lines
        .take_while(|l| l.starts_with("  "))
        .map(str::trim)
        .collect();
    assert_eq!(printed, reasons, "{stdout}");
}

/// `update` printed a minor verdict with exactly `reasons` (each without its `minor: `);
/// returns the changelog lines that list them as compatible.
fn assert_minor(stdout: &str, reasons: &[&str]) -> String {
    let printed: Vec<String> = reasons.iter().map(|r| format!("minor: {r}")).collect();
    let printed: Vec<&str> = printed.iter().map(String::as_str).collect();
    assert_verdict(stdout, "minor", &printed);
    reasons
        .iter()
        .map(|r| format!("  - Compatible: `{r}`.\n"))
        .collect()
}

/// What an accepted EdgeKV update that moves the version changes.
const EDGEKV_UPDATE_WITH_A_VERSION: [&str; 6] = [
    "specs/sources.toml",
    "specs/edgekv.json",
    "generated/src/edgekv.rs",
    "CHANGELOG.md",
    "Cargo.toml",
    "Cargo.lock",
];

/// A scratch root with the pinned EdgeKV spec pulled and generated.
fn edgekv_baseline() -> Option<Scratch> {
    let scratch = Scratch::new(mirror_dir()?);
    scratch.pull_pinned("edgekv").ok("baseline pull");
    scratch.generate("edgekv", false).ok("baseline generate");
    Some(scratch)
}

/// The pinned EdgeKV spec, edited.
fn edgekv_variant(scratch: &Scratch, edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut doc: Value =
        serde_json::from_slice(&scratch.upstream_bytes("edgekv")).expect("the EdgeKV spec is JSON");
    edit(&mut doc);
    serde_json::to_vec_pretty(&doc).expect("serialising the edited spec")
}

/// `text` with `from` replaced by `to`, where `from` must occur.
fn replaced(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "no {from:?} in\n{text}");
    text.replace(from, to)
}

/// The changelog of a scratch root with `entries` at the end of a new `Changed` list of
/// `Unreleased`, one after the other.
fn changelog_with(entries: &[&str]) -> String {
    replaced(
        CHANGELOG,
        "- A feature written by hand.\n",
        &format!(
            "- A feature written by hand.\n\n### Changed\n{}",
            entries.concat()
        ),
    )
}

/// The scratch manifest and lock at `version` (the workspace's crates only).
fn assert_version(scratch: &Scratch, version: &str) {
    let manifest = scratch.read("Cargo.toml");
    assert_eq!(
        manifest,
        MANIFEST.replace("\"0.4.2\"", &format!("{version:?}")),
        "Cargo.toml"
    );
    let lock = scratch.read("Cargo.lock");
    assert_eq!(
        lock,
        LOCK.replacen("version = \"0.4.2\"", &format!("version = {version:?}"), 2),
        "Cargo.lock"
    );
}

#[test]
fn update_with_an_optional_response_field_added_is_minor() {
    // The generated structs are #[non_exhaustive] and built through their builders: no
    // dependent's literal can miss the new field, and the builder gains a setter.
    let Some(scratch) = edgekv_baseline() else {
        return;
    };
    let bytes = edgekv_variant(&scratch, |doc| {
        each_auth_group(doc, |schema| {
            schema["properties"]["description"] =
                json!({"type": "string", "description": "What the group is for."});
        });
    });
    let (stdout, changed, url) = accepted_update(&scratch, "edgekv", &bytes);
    let reasons = [
        "edgekv::types::AuthGroup.description: field added (the struct is #[non_exhaustive])",
        "edgekv::types::builder::AuthGroup::description: method added",
    ];
    let listed = assert_minor(&stdout, &reasons);
    assert_lines(
        &stdout,
        &[
            "version: 0.4.2 -> 0.4.3 (Cargo.toml [workspace.package] and the workspace's own \
             crates; a minor change)",
            "CHANGELOG.md: an entry under [Unreleased] (Changed)",
        ],
    );
    assert_eq!(
        scratch.read("CHANGELOG.md"),
        changelog_with(&[&format!(
            "- Spec update (semver: **minor**): `edgekv` from <{url}>.\n  \
             - Field added: `AuthGroup.description` (`string`).\n{listed}"
        )])
    );
    assert_version(&scratch, "0.4.3");
    assert_eq!(changed, paths(&EDGEKV_UPDATE_WITH_A_VERSION));
}

#[test]
fn update_with_an_enum_value_added_is_minor_and_a_required_request_field_added_major() {
    let Some(scratch) = edgekv_baseline() else {
        return;
    };
    // The generated enums are #[non_exhaustive]: no dependent's `match` lacks a wildcard arm.
    let bytes = edgekv_variant(&scratch, |doc| {
        each_auth_group(doc, |schema| {
            schema["properties"]["capabilities"]["items"]["enum"]
                .as_array_mut()
                .expect("an enum")
                .push(json!("PURGE_DATA"));
        });
    });
    let (stdout, _, _) = accepted_update(&scratch, "edgekv", &bytes);
    assert_verdict(
        &stdout,
        "minor",
        &[
            "minor: edgekv::types::AuthGroupCapabilitiesItem::PurgeData: variant added (the \
           enum is #[non_exhaustive])",
        ],
    );
    assert_version(&scratch, "0.4.3");

    // A new required field of a request body: a body built without it no longer builds.
    let bytes = edgekv_variant(&scratch, |doc| {
        each_auth_group(doc, |schema| {
            schema["properties"]["capabilities"]["items"]["enum"]
                .as_array_mut()
                .expect("an enum")
                .push(json!("PURGE_DATA"));
        });
        let body = at(
            doc,
            "/paths/~1auth~1namespaces~1{namespaceId}/put/requestBody/content/application~1json/schema",
        );
        body["properties"]["reason"] = json!({"type": "string"});
        body["required"]
            .as_array_mut()
            .expect("required")
            .push(json!("reason"));
    });
    let (stdout, _, _) = accepted_update(&scratch, "edgekv", &bytes);
    assert_verdict(
        &stdout,
        "major",
        &[
            "major: edgekv::types::PutReauthorizeNamespaceBody.reason: required field added: \
             code that builds the struct through its builder without setting it now gets an \
             error",
            "minor: edgekv::types::builder::PutReauthorizeNamespaceBody::reason: method added",
        ],
    );
    assert_version(&scratch, "0.5.0");
}

#[test]
fn update_with_an_operation_added_is_minor_and_a_field_removed_after_it_major() {
    let Some(scratch) = edgekv_baseline() else {
        return;
    };
    let added = edgekv_variant(&scratch, |doc| {
        let paths = doc["paths"].as_object_mut().expect("paths");
        let mut item = paths["/auth/groups/{groupId}"].clone();
        item["get"]["operationId"] = json!("get-group-copy");
        paths.insert("/auth/groups/{groupId}/copy".to_owned(), item);
    });
    let (stdout, changed, url) = accepted_update(&scratch, "edgekv", &added);
    // New methods (the client's and the typed call's) and a new constant: additions that
    // break nobody. The operation table's index lists one more operation.
    let reasons = [
        "edgekv::Client::get_group_copy: method added",
        "edgekv::Calls<'r, R>::get_group_copy: method added",
        "edgekv::operations::ALL: value changed",
        "edgekv::operations::GET_GROUP_COPY: const added",
    ];
    let listed = assert_minor(&stdout, &reasons);
    let minor = format!(
        "- Spec update (semver: **minor**): `edgekv` from <{url}>.\n  \
         - Operation added: `get-group-copy (GET /auth/groups/{{groupId}}/copy)`.\n{listed}"
    );
    assert_eq!(scratch.read("CHANGELOG.md"), changelog_with(&[&minor]));
    assert_version(&scratch, "0.4.3");
    assert_eq!(changed, paths(&EDGEKV_UPDATE_WITH_A_VERSION));

    // A second update before a release: the version moves to what the larger change needs
    // since 0.4.2, not one step further from 0.4.3.
    let removed = edgekv_variant(&scratch, |doc| {
        // The copy of the operation keeps answering the same schema as the original.
        each_auth_group(doc, without_group_name);
        let paths = doc["paths"].as_object_mut().expect("paths");
        let mut item = paths["/auth/groups/{groupId}"].clone();
        item["get"]["operationId"] = json!("get-group-copy");
        paths.insert("/auth/groups/{groupId}/copy".to_owned(), item);
    });
    let (stdout, _, url) = accepted_update(&scratch, "edgekv", &removed);
    assert_verdict(
        &stdout,
        "major",
        &[
            "major: edgekv::types::AuthGroup.group_name: field removed",
            "major: edgekv::types::builder::AuthGroup::group_name: method removed",
        ],
    );
    assert_eq!(
        scratch.read("CHANGELOG.md"),
        changelog_with(&[
            &minor,
            &format!(
                "- Spec update (semver: **major**): `edgekv` from <{url}>.\n  \
                 - Field removed: `AuthGroup.groupName`.\n  \
                 - Breaking: `edgekv::types::AuthGroup.group_name: field removed`.\n  \
                 - Breaking: `edgekv::types::builder::AuthGroup::group_name: method removed`.\n"
            )
        ])
    );
    assert_version(&scratch, "0.5.0");
}

#[test]
fn update_with_only_a_description_changed_is_patch() {
    let Some(scratch) = edgekv_baseline() else {
        return;
    };
    let bytes = edgekv_variant(&scratch, |doc| {
        at(doc, "/paths/~1auth~1groups~1{groupId}/get")["description"] =
            json!("Shows one access group and its EdgeKV capabilities.");
    });
    let (stdout, changed, url) = accepted_update(&scratch, "edgekv", &bytes);
    assert_verdict(&stdout, "patch", &[&format!("patch: {DOCS_ONLY}")]);
    assert_lines(
        &stdout,
        &[
            "version: unchanged (a patch change needs no version above it)",
            "CHANGELOG.md: an entry under [Unreleased] (Changed)",
        ],
    );
    assert_eq!(
        scratch.read("CHANGELOG.md"),
        changelog_with(&[&format!(
            "- Spec update (semver: **patch**): `edgekv` from <{url}>.\n  \
             - Documentation of 1 operation changed.\n  \
             - Documentation only: {DOCS_ONLY}.\n"
        )])
    );
    assert_version(&scratch, "0.4.2");
    assert_eq!(
        changed,
        paths(&[
            "specs/sources.toml",
            "specs/edgekv.json",
            "generated/src/edgekv.rs",
            "CHANGELOG.md"
        ])
    );
}

#[test]
fn update_with_the_same_file_reformatted_is_accepted_with_no_drift() {
    let Some((scratch, upstream)) = linode_baseline() else {
        return;
    };
    let base_code = scratch.code("linode");
    let base_spec = scratch.spec("linode");
    let (stdout, changed, _) = accepted(&scratch, &to_json(&linode_doc(&upstream)));
    assert!(stdout.contains("  drift (linode): none\n"), "{stdout}");
    assert_eq!(
        changed,
        paths(&["specs/sources.toml", "generated/src/linode.rs"])
    );
    assert!(
        scratch.spec("linode") == base_spec,
        "the processed spec is the same"
    );
    assert_only_the_header_changed(&base_code, &scratch.code("linode"));
}

/// Between two generated modules, only the header lines naming the source and its hash differ.
fn assert_only_the_header_changed(before: &str, after: &str) {
    let (added, removed) = line_diff(before, after);
    assert_eq!(
        added.len(),
        2,
        "only the source and hash lines change: {added:?}"
    );
    assert_eq!(
        removed.len(),
        2,
        "only the source and hash lines change: {removed:?}"
    );
}

#[test]
fn update_of_renamed_ids_is_accepted_once_the_advice_to_keep_the_old_ids_is_followed() {
    // Follow option b of the full list literally: append the overlay actions it prints, which
    // give every renamed operation its old id back. The generated code then stays what it was,
    // but for the header naming the new source.
    let Some((scratch, upstream)) = linode_baseline() else {
        return;
    };
    let base_code = scratch.code("linode");
    let mut doc = linode_doc(&upstream);
    suffix_ids(&mut doc);
    let bytes = to_json(&doc);
    let report = assert_refused(&scratch, &bytes, "select");
    let details = refusal_details(&scratch, &report);

    let advice = details
        .split("  b. or keep the old id")
        .nth(1)
        .unwrap_or_else(|| panic!("no option b in\n{details}"));
    let mut overlay = scratch.read("specs/overlays/linode.yaml");
    for line in advice.lines().skip(1) {
        let Some(action) = line.strip_prefix("       ") else {
            break;
        };
        overlay.push_str(action);
        overlay.push('\n');
    }
    assert_eq!(
        overlay.matches("    operationId: ").count(),
        routes(&doc).len(),
        "{overlay}"
    );
    std::fs::write(
        scratch.root.path().join("specs/overlays/linode.yaml"),
        &overlay,
    )
    .expect("writing");

    let (stdout, changed, _) = accepted(&scratch, &bytes);
    assert!(stdout.contains("  drift (linode): none\n"), "{stdout}");
    assert_eq!(
        changed,
        paths(&["specs/sources.toml", "generated/src/linode.rs"])
    );
    assert_only_the_header_changed(&base_code, &scratch.code("linode"));
}

#[test]
fn update_with_an_unparsable_file_is_refused_at_verify() {
    let Some((scratch, _)) = linode_baseline() else {
        return;
    };
    let report = assert_refused(&scratch, b"{\"openapi\": ", "verify");
    assert!(report.contains("parsing https://"), "{report}");
}

/// The profile setting scratch checkouts build xtask with (`cargo --config`). They build it in
/// the workspace's build directory, whose compiled dependencies they share (only xtask itself
/// compiles, in about 10 to 30 s), and put the binary in a target directory of their own. The
/// setting gives xtask's unit another hash there than the workspace's: building it from a copy
/// never replaces the xtask that the workspace's `cargo build` (the other drift tests) and
/// `cargo xtask` would then find fresh and run.
const XTASK_OWN_PROFILE: &str = "profile.dev.package.xtask.incremental=false";

/// The workspace's build directory (`target/` unless configured otherwise).
fn build_dir() -> PathBuf {
    let output = Command::new(cargo())
        .current_dir(workspace_root())
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .expect("running cargo metadata");
    assert!(
        output.status.success(),
        "cargo metadata failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata's JSON");
    let dir = metadata["build_directory"]
        .as_str()
        .or(metadata["target_directory"].as_str())
        .expect("cargo metadata names the build directory");
    PathBuf::from(dir)
}

#[test]
fn xtask_in_one_of_two_checkouts_sharing_a_target_dir_changes_only_that_one() {
    // Two checkouts share one target directory (a global CARGO_TARGET_DIR, or worktrees): cargo
    // builds xtask in the first and reuses the binary in the second, whose sources are older
    // than that build. Each pipeline step run in the second must read and write the second.
    let Some(upstream) = mirror_dir() else {
        return;
    };
    let target = tempfile::tempdir().expect("creating the shared target directory");
    let env = vec![
        ("CARGO_TARGET_DIR", target.path().to_owned()),
        ("CARGO_BUILD_BUILD_DIR", build_dir()),
    ];
    let a = Scratch::checkout(upstream.clone(), env.clone());
    let b = Scratch::checkout(upstream, env);
    // B's overlay describes the access token otherwise: B's spec and code show whose overlay
    // was read.
    let mark = "An EdgeKV access token of checkout B.";
    let overlay = b.root.path().join("specs/overlays/edgekv.yaml");
    let mut text = std::fs::read_to_string(&overlay).expect("reading B's overlay");
    text.push_str(&format!(
        "  - target: $.components.schemas.AccessToken\n    \
         description: Marks checkout B.\n    \
         update:\n      description: {mark}\n"
    ));
    std::fs::write(&overlay, text).expect("writing B's overlay");

    // Built here, from A.
    a.pull_pinned("edgekv").ok("pull in A");
    a.generate("edgekv", false).ok("generate in A");
    assert!(!a.spec("edgekv").contains(mark));
    let a_tree = a.tree();

    let run = b.pull_pinned("edgekv").ok("pull in B");
    assert!(
        !run.stderr.contains("Compiling xtask"),
        "cargo rebuilt xtask for B, so B does not run A's binary:\n{}",
        run.stderr
    );
    assert!(
        b.root.path().join("specs/edgekv.json").is_file(),
        "the pull in B wrote no spec in B:\n{}",
        run.stdout
    );
    assert!(
        b.spec("edgekv").contains(mark),
        "the pull in B did not read B"
    );
    assert_same_tree(&a_tree, &a.tree(), "pull in B");

    b.generate("edgekv", false).ok("generate in B");
    assert!(
        b.code("edgekv").contains(&format!("///{mark}\n")),
        "the generate in B did not write B"
    );
    b.generate("edgekv", true).ok("generate --check in B");
    assert_same_tree(&a_tree, &a.tree(), "generate in B");

    let b_tree = b.tree();
    let bytes = b.upstream_bytes("edgekv");
    let (run, url) = b.update("edgekv", &bytes);
    run.ok("update in B");
    assert_eq!(
        sources_value(&b.read("specs/sources.toml"), "edgekv", "url"),
        url,
        "the update in B did not re-pin B"
    );
    assert!(b.code("edgekv").contains(&format!("// Source: {url}\n")));
    assert!(b.code("edgekv").contains(&format!("///{mark}\n")));
    assert!(b.tree() != b_tree, "B's update changed nothing in B");
    assert_same_tree(&a_tree, &a.tree(), "update in B");
}
