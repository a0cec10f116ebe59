//! Workspace automation: `cargo xtask <command>`.
//!
//! * `pull`: fetch the pinned upstream OpenAPI specs (or read them from a mirror), verify their
//!   sha256, keep the operations we wrap, apply our overlays, normalise, and write
//!   `specs/<api>.json` (git-ignored) with a drift report against the previous pull.
//! * `generate`: run progenitor on the pulled specs and write `generated/src/<api>.rs`
//!   (committed); `--check` fails when the committed code is stale.
//! * `update`: re-pin a source (optionally to a new URL), pull and regenerate, all or nothing (in
//!   a scratch copy, swapped in only when every step succeeded), then run the snapshot tests so
//!   that the change can be reviewed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod drift;
mod generate;
mod normalize;
mod overlay;
mod pull;
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
    /// Re-pin a source (optionally to a new URL), pull and regenerate, all or nothing, then run
    /// the snapshot tests.
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
    let result = match cli.command {
        Command::Pull(args) => pull::run(&workspace_root(), &args).map(|_| ()),
        Command::Generate(args) => generate::run(&workspace_root(), &args),
        Command::Update(args) => update::run(&workspace_root(), args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: `XTASK_ROOT` when set (tests run the pipeline on a scratch copy of
/// `specs/` and `generated/`), else the parent of this crate's manifest directory.
fn workspace_root() -> PathBuf {
    if let Some(root) = std::env::var_os("XTASK_ROOT") {
        return PathBuf::from(root);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}
