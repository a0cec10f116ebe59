//! `cargo xtask pull`: fetch, verify, select, overlay, normalise, write, report drift.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::sources::{self, Source};
use crate::{drift, normalize, overlay, select, spec, PullArgs};

/// Where the processed spec of an API is written (git-ignored).
pub(crate) fn processed_path(root: &Path, api: &str) -> PathBuf {
    root.join("specs").join(format!("{api}.json"))
}

/// A step of the pipeline, named in the error when it fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Fetch,
    Verify,
    Select,
    Overlay,
    Normalise,
    Write,
    Generate,
    /// The semver verdict, the changelog entry and the version bump of an update.
    Release,
    Swap,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Step::Fetch => "fetch",
            Step::Verify => "verify",
            Step::Select => "select",
            Step::Overlay => "overlay",
            Step::Normalise => "normalise",
            Step::Write => "write",
            Step::Generate => "generate",
            Step::Release => "release",
            Step::Swap => "swap",
        })
    }
}

/// The failure of one step for one API.
#[derive(Debug)]
pub(crate) struct Failed {
    pub(crate) step: Step,
    pub(crate) api: String,
    pub(crate) error: anyhow::Error,
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "step `{}` failed for {}: {:#}",
            self.step, self.api, self.error
        )
    }
}

impl std::error::Error for Failed {}

/// Tags the error of `step` for `api`.
pub(crate) fn at_step<T>(step: Step, api: &str, result: Result<T>) -> Result<T, Failed> {
    result.map_err(|error| Failed {
        step,
        api: api.to_owned(),
        error,
    })
}

/// Pulls every selected source; returns the drift reports, one per API. An error is a
/// [`Failed`] naming the step.
pub(crate) fn run(root: &Path, args: &PullArgs) -> Result<Vec<(String, drift::Report)>> {
    let sources = sources::select(sources::load(root)?, &args.apis)?;
    let mut reports = Vec::new();
    for source in &sources {
        reports.push((source.name.clone(), pull_one(root, source, args)?));
    }
    Ok(reports)
}

/// The processed spec of the previous pull of `api`, if any.
pub(crate) fn previous(root: &Path, api: &str) -> Option<Value> {
    std::fs::read(processed_path(root, api))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
}

fn pull_one(root: &Path, source: &Source, args: &PullArgs) -> Result<drift::Report, Failed> {
    let name = source.name.as_str();
    let started = Instant::now();
    let bytes = at_step(
        Step::Fetch,
        name,
        fetch(&source.url, args.mirror.as_deref()),
    )?;
    let fetched = started.elapsed();
    let actual = hex::encode(Sha256::digest(&bytes));
    let out = processed_path(root, name);
    let previous = previous(root, name);
    let repin = actual != source.sha256;
    if repin && !args.update {
        // Show what changed before refusing, so that the decision is an informed one.
        if let Ok(processed) = process_after(root, source, &bytes, previous.as_ref()) {
            if let Some(previous) = &previous {
                print!("{}", drift::diff(previous, &processed.spec).render(name));
            }
        }
        return at_step(
            Step::Verify,
            name,
            Err(anyhow::anyhow!(
                "sha256 mismatch for {name} ({url})\n  pinned:   {pinned}\n  received: {actual}\n\
                 The upstream file changed (or the mirror holds another revision). Review the drift \
                 report above, then accept it with `cargo xtask pull --update --api {name}` (or \
                 `cargo xtask update --api {name}`), which re-pins specs/sources.toml.",
                url = source.url,
                pinned = source.sha256,
            )),
        );
    }
    let processed = process_after(root, source, &bytes, previous.as_ref())?;
    let text = spec::to_text(&processed.spec);
    at_step(
        Step::Write,
        name,
        std::fs::write(&out, &text).with_context(|| format!("writing {}", out.display())),
    )?;
    println!(
        "{name}: {size} bytes fetched in {fetched:.2?}, parsed in {parsed:.2?}, processed in \
         {total:.2?}; {ops} operations, {schemas} schemas -> {out}",
        size = bytes.len(),
        parsed = processed.parse_time,
        total = started.elapsed(),
        ops = spec::operations(&processed.spec).len(),
        schemas = processed
            .spec
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .map_or(0, |m| m.len()),
        out = out.strip_prefix(root).unwrap_or(&out).display(),
    );
    for (rule, hits) in &processed.rule_hits {
        println!("  rule {rule}: {hits}");
    }
    let report = match &previous {
        Some(previous) => drift::diff(previous, &processed.spec),
        None => drift::Report::default(),
    };
    if previous.is_none() {
        println!("  drift: no previous pull to compare with");
    } else {
        print!("{}", report.render(name));
    }
    if repin {
        at_step(Step::Write, name, sources::set_sha256(root, name, &actual))?;
        println!("  re-pinned {name} to sha256 {actual}");
    }
    Ok(report)
}

/// The result of processing one upstream file.
pub(crate) struct Processed {
    pub(crate) spec: Value,
    pub(crate) parse_time: std::time::Duration,
    pub(crate) rule_hits: Vec<(&'static str, usize)>,
}

/// Parses, selects, overlays and normalises one upstream file.
pub(crate) fn process(root: &Path, source: &Source, bytes: &[u8]) -> Result<Processed> {
    Ok(process_after(root, source, bytes, None)?)
}

/// [`process`], where `previous` (the processed spec of the previous pull) lets a refusal name
/// the successor of a selected operation that vanished.
pub(crate) fn process_after(
    root: &Path,
    source: &Source,
    bytes: &[u8],
    previous: Option<&Value>,
) -> Result<Processed, Failed> {
    let name = source.name.as_str();
    let started = Instant::now();
    let mut doc = at_step(Step::Verify, name, spec::parse(bytes, &source.url))?;
    let parse_time = started.elapsed();
    if let Err(missing) = select::select(&mut doc, source.operations.as_deref()) {
        let vanished = select::explain(&missing, previous, &doc);
        return at_step(
            Step::Select,
            name,
            Err(anyhow::anyhow!(
                "{}",
                select::render_vanished(source, &vanished)
            )),
        );
    }
    if let Some(overlay_path) = &source.overlay {
        let path = root.join("specs").join(overlay_path);
        let text = at_step(
            Step::Overlay,
            name,
            std::fs::read_to_string(&path)
                .with_context(|| format!("reading overlay {}", path.display())),
        )?;
        at_step(
            Step::Overlay,
            name,
            overlay::apply(&mut doc, &text, &overlay_path.display().to_string()),
        )?;
    }
    // A rule meeting a shape it does not expect may panic: report the step instead.
    let normalised = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let rule_hits = normalize::normalize(&mut doc);
        select::prune_components(&mut doc);
        spec::sort_keys(&mut doc);
        rule_hits
    }));
    let rule_hits = at_step(
        Step::Normalise,
        name,
        normalised.map_err(|panic| {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "unknown panic".to_owned());
            anyhow::anyhow!("a normalisation rule panicked: {message}")
        }),
    )?;
    Ok(Processed {
        spec: doc,
        parse_time,
        rule_hits,
    })
}

/// Maps `https://HOST/PATH` onto `MIRROR/HOST/PATH`.
pub(crate) fn mirror_path(mirror: &Path, url: &str) -> Result<PathBuf> {
    let rest = url
        .strip_prefix("https://")
        .with_context(|| format!("only https:// sources are supported: {url}"))?;
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    if rest.split('/').any(|seg| seg == ".." || seg.is_empty()) {
        bail!("refusing to map {url} onto a mirror: empty or `..` path segment");
    }
    Ok(mirror.join(rest))
}

/// Reads a source from the mirror, or downloads it over HTTPS (reqwest on rustls).
pub(crate) fn fetch(url: &str, mirror: Option<&Path>) -> Result<Vec<u8>> {
    if let Some(mirror) = mirror {
        let path = mirror_path(mirror, url)?;
        return std::fs::read(&path).with_context(|| {
            format!(
                "reading {url} from the mirror at {} (is the mirror complete?)",
                path.display()
            )
        });
    }
    if !url.starts_with("https://") {
        bail!("only https:// sources are supported: {url}");
    }
    // The SDK's HTTP stack (reqwest on rustls), blocking: one TLS provider in the workspace.
    let client = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .context("building the HTTP client")?;
    let response = client
        .get(url)
        .send()
        .and_then(reqwest::blocking::Response::error_for_status)
        .with_context(|| {
            format!("downloading {url} (offline? use --mirror DIR or SPECS_MIRROR)")
        })?;
    const LIMIT: u64 = 64 * 1024 * 1024;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(response, LIMIT + 1), &mut bytes)
        .with_context(|| format!("reading the body of {url}"))?;
    if bytes.len() as u64 > LIMIT {
        bail!("{url} is larger than {LIMIT} bytes");
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_map_onto_the_mirror_layout() {
        let p = mirror_path(
            Path::new("/m"),
            "https://raw.example.com/o/r/abc/openapi.yaml",
        )
        .unwrap();
        assert_eq!(p, Path::new("/m/raw.example.com/o/r/abc/openapi.yaml"));
        assert!(mirror_path(Path::new("/m"), "http://x/y").is_err());
        assert!(mirror_path(Path::new("/m"), "https://x/../etc/passwd").is_err());
    }
}
