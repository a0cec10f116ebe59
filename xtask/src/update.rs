//! `cargo xtask update`: accept an upstream change, all or nothing.
//!
//! Every step (re-point, fetch, verify, select, overlay, normalise, write, generate) runs in a
//! scratch copy of `specs/` and `generated/src/`. Only when all of them succeeded are
//! `specs/sources.toml`, the pulled specs and the generated modules swapped into the tree; a
//! refusal names the step that failed and leaves the tree as it was.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::pull::{self, at_step, Failed, Step};
use crate::sources::{self, Source};
use crate::{generate, GenerateArgs, PullArgs, UpdateArgs};

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
    let files = stage(root, work, &selected)?;
    if let Err(failed) = transact(work, &args, &selected) {
        return Err(Refused(failed).into());
    }
    let names: Vec<&str> = selected.iter().map(|s| s.name.as_str()).collect();
    at_step(Step::Swap, &names.join(", "), swap(root, work, &files))?;
    println!("updated {}: swapped in {}", names.join(", "), {
        let list: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        list.join(", ")
    });
    if !args.no_test {
        run_snapshot_tests(root)?;
    }
    Ok(())
}

/// Copies what the pipeline reads and writes into `work`; returns the files an update may
/// replace, relative to the root.
fn stage(root: &Path, work: &Path, selected: &[Source]) -> Result<Vec<PathBuf>> {
    copy_tree(&root.join("specs"), &work.join("specs"))?;
    copy_tree(&root.join("generated/src"), &work.join("generated/src"))?;
    let mut files = vec![PathBuf::from("specs/sources.toml")];
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

/// Every step, in the scratch root `work`.
fn transact(work: &Path, args: &UpdateArgs, selected: &[Source]) -> Result<(), Failed> {
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
    for source in selected {
        let name = source.name.clone();
        let pull_args = PullArgs {
            mirror: args.mirror.clone(),
            update: true,
            apis: vec![name.clone()],
        };
        pull::run(work, &pull_args).map_err(|e| as_failed(e, Step::Fetch, &name))?;
        let generate_args = GenerateArgs {
            apis: vec![name.clone()],
            ..GenerateArgs::default()
        };
        at_step(Step::Generate, &name, generate::run(work, &generate_args))?;
    }
    Ok(())
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
