//! Workspace automation: `cargo xtask <command>`.
//!
//! * `pull`: fetch the pinned upstream OpenAPI specs (or read them from a mirror), verify their
//!   sha256, keep the operations we wrap, apply our overlays, normalise, and write
//!   `specs/<api>.json` (git-ignored) with a drift report against the previous pull.
//! * `generate`: run progenitor on the pulled specs and write `generated/src/<api>.rs`
//!   (committed); `--check` fails when the committed code is stale.
//! * `update`: re-pin a source (optionally to a new URL), pull and regenerate, all or nothing (in
//!   a scratch copy, swapped in only when every step succeeded), give the change its semver
//!   verdict (major, minor or patch, with the reasons), record it in `CHANGELOG.md` and the
//!   workspace's version, then run the snapshot tests so that the change can be reviewed.
//!
//! The surface renderer and the semver comparison are the library of this package
//! (`src/lib.rs`), which the workspace's snapshot tests use too.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, Subcommand};

mod drift;
mod generate;
mod normalize;
mod overlay;
mod pull;
mod release;
mod select;
mod sources;
mod spec;
mod update;

/// The environment variable naming a mirror directory laid out as `<host>/<url path>`.
const MIRROR_ENV: &str = "SPECS_MIRROR";

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Spec pipeline of the akamai-sdk workspace"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fetch, verify, select, overlay and normalise the pinned specs into `specs/<api>.json`.
    Pull(PullArgs),
    /// Generate `generated/src/<api>.rs` from the pulled specs.
    Generate(GenerateArgs),
    /// Re-pin a source (optionally to a new URL), pull and regenerate, all or nothing; print the
    /// semver verdict, add it to CHANGELOG.md and bump the version; then run the snapshot tests.
    Update(UpdateArgs),
}

#[derive(clap::Args, Clone, Default)]
struct PullArgs {
    /// Read upstream files from DIR/HOST/PATH instead of the network.
    #[arg(long, value_name = "DIR", env = MIRROR_ENV)]
    mirror: Option<PathBuf>,
    /// Accept a changed upstream file: print the drift report and re-pin its sha256.
    #[arg(long)]
    update: bool,
    /// Only this API (repeatable); default: every source.
    #[arg(long = "api", value_name = "NAME")]
    apis: Vec<String>,
}

#[derive(clap::Args, Clone, Default)]
struct GenerateArgs {
    /// Fail if the committed generated code differs from what the pulled specs produce.
    #[arg(long)]
    check: bool,
    /// Only this API (repeatable); default: every source.
    #[arg(long = "api", value_name = "NAME")]
    apis: Vec<String>,
    /// Also generate the whole Linode spec (every operation) into `target/whole-linode` and
    /// build it, reporting generation and build time. Nothing of it is committed.
    #[arg(long)]
    whole_linode: bool,
    /// With `--whole-linode`: read the upstream file from DIR/HOST/PATH.
    #[arg(long, value_name = "DIR", env = MIRROR_ENV)]
    mirror: Option<PathBuf>,
}

#[derive(clap::Args, Clone)]
struct UpdateArgs {
    /// The source to re-pin; default: every source (re-pin to whatever its URL now serves).
    #[arg(long = "api", value_name = "NAME")]
    api: Option<String>,
    /// A new URL for that source (for example, a newer commit of the upstream repository).
    #[arg(long, requires = "api")]
    url: Option<String>,
    #[arg(long, value_name = "DIR", env = MIRROR_ENV)]
    mirror: Option<PathBuf>,
    /// Skip running the snapshot tests.
    #[arg(long)]
    no_test: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<()> {
    let root = workspace_root()?;
    match command {
        Command::Pull(args) => pull::run(root, &args).map(|_| ()),
        Command::Generate(args) => generate::run(root, &args),
        Command::Update(args) => update::run(root, args),
    }
}

/// The workspace root every command reads and writes, found once per run by
/// [`locate_workspace`].
pub(crate) fn workspace_root() -> Result<&'static Path> {
    static ROOT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    ROOT.get_or_init(|| locate_workspace().map_err(|err| format!("{err:#}")))
        .as_deref()
        .map_err(|err| anyhow!("{err}"))
}

/// Finds the workspace at run time. A path compiled into the binary would not do: checkouts
/// that share a target directory (a global `CARGO_TARGET_DIR`, git worktrees) share this
/// binary too, and cargo runs the one built for one checkout in another.
///
/// 1. `XTASK_ROOT`, when set: the tests run the pipeline on scratch roots.
/// 2. Primary: `CARGO_MANIFEST_DIR` in the environment, when cargo set it for this package
///    (`cargo xtask` is `cargo run`, which sets it and `CARGO_PKG_NAME`). It names the
///    checkout cargo chose and built for (from the current directory, or `--manifest-path`
///    when the two differ), so the command acts on the code that runs it. Another package's
///    value, inherited from its `cargo run` or `cargo test`, is not followed.
/// 3. Else the current directory: the binary run directly (`target/debug/xtask`).
///
/// From 2 or 3, the workspace is the nearest folder up with a `Cargo.toml` that has
/// `[workspace]` and with `specs/sources.toml` (`sdk/fuzz` is a workspace of its own). Neither
/// finding one is an error that names where it looked.
fn locate_workspace() -> Result<PathBuf> {
    if let Some(root) = std::env::var_os("XTASK_ROOT") {
        return Ok(PathBuf::from(root));
    }
    let mut searched = Vec::new();
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .filter(|_| std::env::var_os("CARGO_PKG_NAME").is_some_and(|name| name == "xtask"));
    if let Some(dir) = manifest_dir.map(PathBuf::from) {
        if let Some(root) = workspace_above(&dir) {
            return Ok(root);
        }
        searched.push(format!("{} (CARGO_MANIFEST_DIR)", dir.display()));
    }
    let cwd = std::env::current_dir().context("reading the current directory")?;
    if let Some(root) = workspace_above(&cwd) {
        return Ok(root);
    }
    searched.push(format!("{} (the current directory)", cwd.display()));
    bail!(
        "cannot find the workspace: no folder with a Cargo.toml that has [workspace] and with \
         specs/sources.toml at or above {}; run `cargo xtask` inside a checkout",
        searched.join(" or ")
    )
}

/// The nearest of `dir` and its ancestors holding a `Cargo.toml` with `[workspace]` and
/// `specs/sources.toml`.
fn workspace_above(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|dir| {
            let is_workspace = std::fs::read_to_string(dir.join("Cargo.toml"))
                .ok()
                .and_then(|text| toml::from_str::<toml::Table>(&text).ok())
                .is_some_and(|manifest| manifest.contains_key("workspace"));
            is_workspace && sources::path(dir).is_file()
        })
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_is_the_nearest_one_with_the_sources_above_a_folder() {
        let root = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let path = root.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("Cargo.toml", "[workspace]\nmembers = [\"xtask\"]\n");
        write("specs/sources.toml", "");
        write("xtask/Cargo.toml", "[package]\nname = \"xtask\"\n");
        write(
            "sdk/fuzz/Cargo.toml",
            "[package]\nname = \"fuzz\"\n[workspace]\n",
        );
        write("sdk/fuzz/fuzz_targets/a.rs", "");
        for dir in ["", "xtask", "sdk/fuzz/fuzz_targets"] {
            assert_eq!(
                workspace_above(&root.path().join(dir)).as_deref(),
                Some(root.path()),
                "above {dir:?}"
            );
        }
        std::fs::remove_file(root.path().join("specs/sources.toml")).unwrap();
        assert_eq!(workspace_above(&root.path().join("xtask")), None);
    }
}
