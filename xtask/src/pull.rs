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

/// Pulls every selected source; returns the drift reports, one per API.
pub(crate) fn run(root: &Path, args: &PullArgs) -> Result<Vec<(String, drift::Report)>> {
    let sources = sources::select(sources::load(root)?, &args.apis)?;
    let mut reports = Vec::new();
    for source in &sources {
        let started = Instant::now();
        let bytes = fetch(&source.url, args.mirror.as_deref())?;
        let fetched = started.elapsed();
        let actual = hex::encode(Sha256::digest(&bytes));
        let out = processed_path(root, &source.name);
        let previous = std::fs::read(&out)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
        let repin = actual != source.sha256;
        if repin && !args.update {
            // Show what changed before refusing, so that the decision is an informed one.
            if let Ok(processed) = process(root, source, &bytes) {
                if let Some(previous) = &previous {
                    print!(
                        "{}",
                        drift::diff(previous, &processed.spec).render(&source.name)
                    );
                }
            }
            bail!(
                "sha256 mismatch for {name} ({url})\n  pinned:   {pinned}\n  received: {actual}\n\
                 The upstream file changed (or the mirror holds another revision). Review the drift \
                 report above, then accept it with `cargo xtask pull --update --api {name}` (or \
                 `cargo xtask update --api {name}`), which re-pins specs/sources.toml.",
                name = source.name,
                url = source.url,
                pinned = source.sha256,
            );
        }
        let processed = process(root, source, &bytes)?;
        let text = spec::to_text(&processed.spec);
        std::fs::write(&out, &text).with_context(|| format!("writing {}", out.display()))?;
        println!(
            "{name}: {size} bytes fetched in {fetched:.2?}, parsed in {parsed:.2?}, processed in \
             {total:.2?}; {ops} operations, {schemas} schemas -> {out}",
            name = source.name,
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
            print!("{}", report.render(&source.name));
        }
        if repin {
            sources::set_sha256(root, &source.name, &actual)?;
            println!("  re-pinned {} to sha256 {actual}", source.name);
        }
        reports.push((source.name.clone(), report));
    }
    Ok(reports)
}

/// The result of processing one upstream file.
pub(crate) struct Processed {
    pub(crate) spec: Value,
    pub(crate) parse_time: std::time::Duration,
    pub(crate) rule_hits: Vec<(&'static str, usize)>,
}

/// Parses, selects, overlays and normalises one upstream file.
pub(crate) fn process(root: &Path, source: &Source, bytes: &[u8]) -> Result<Processed> {
    let started = Instant::now();
    let mut doc = spec::parse(bytes, &source.url)?;
    let parse_time = started.elapsed();
    select::select(&mut doc, source.operations.as_deref())
        .with_context(|| format!("selecting operations of {}", source.name))?;
    if let Some(overlay_path) = &source.overlay {
        let path = root.join("specs").join(overlay_path);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading overlay {}", path.display()))?;
        overlay::apply(&mut doc, &text, &overlay_path.display().to_string())?;
    }
    let rule_hits = normalize::normalize(&mut doc);
    select::prune_components(&mut doc);
    spec::sort_keys(&mut doc);
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

/// Reads a source from the mirror, or downloads it over HTTPS (rustls).
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
    let response = ureq::get(url).call().with_context(|| {
        format!("downloading {url} (offline? use --mirror DIR or SPECS_MIRROR)")
    })?;
    let bytes = response
        .into_body()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_vec()
        .with_context(|| format!("reading the body of {url}"))?;
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
