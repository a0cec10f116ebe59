//! API-surface snapshots of the generated clients and of the SDK.
//!
//! `generated/src/{linode,edgekv}.rs` are parsed with `syn` and their public surface is
//! rendered as sorted text by the workspace's one renderer, `xtask::surface` (the library of
//! the xtask package, which `cargo xtask update` uses to give a spec update its semver
//! verdict): every public item (one block per item, sorted by path), and in each block one line
//! per member (fields, variants, methods, trait impls). A spec change that alters what SDK code
//! can call or match on shows up as a reviewable snapshot diff.
//!
//! The spec drift tests (`spec_drift.rs`) compare the surface of freshly generated code with
//! the baseline through the same renderer.

use std::collections::BTreeMap;
use std::path::Path;

use xtask::surface::{render, render_crate};

/// The surface of `generated/src/<api>.rs`, read relative to this crate.
fn render_committed(api: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../generated/src")
        .join(format!("{api}.rs"));
    let source = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    render(&source).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// The area of an item of the rendered surface: the cargo feature its `cfg` names, `shared` for
/// a type several areas use, `core` for what every build has.
fn area_of(line: &str) -> String {
    let Some(at) = line.find("cfg(") else {
        return "core".to_owned();
    };
    let cfg = &line[at..];
    if cfg.starts_with("cfg(any(") || cfg.starts_with("cfg(all(") {
        return "shared".to_owned();
    }
    cfg.split('"').nth(1).unwrap_or("core").to_owned()
}

/// The rendered surface of `api`, split by area (see [`area_of`]), so that a reviewer reads a
/// spec update one area at a time. The methods of `Client` and `Calls` go to their operation's
/// area (from the operation table); other members stay with their item.
fn surface_by_area(
    api: &str,
    table: &[akamai_sdk_generated::Operation],
) -> BTreeMap<String, String> {
    let text = render_committed(api);
    let feature_of = |method: &str| -> Option<String> {
        let base = method.strip_suffix("_stream").unwrap_or(method);
        table
            .iter()
            .find(|op| op.method_name == base)
            .map(|op| op.feature.unwrap_or("core").to_owned())
    };
    let mut areas: BTreeMap<String, String> = BTreeMap::new();
    let mut last_head: BTreeMap<String, String> = BTreeMap::new();
    let mut header: Option<(String, String)> = None;
    for line in text.lines() {
        if !line.starts_with("  ") {
            let area = area_of(line);
            header = Some((line.to_owned(), area));
            continue;
        }
        let Some((head, head_area)) = &header else {
            continue;
        };
        let method = ["fn Client::", "fn Calls::"]
            .iter()
            .find_map(|prefix| line.split_once(prefix))
            .and_then(|(_, rest)| rest.split(['(', '<']).next())
            .and_then(feature_of);
        let area = method.unwrap_or_else(|| head_area.clone());
        let out = areas.entry(area.clone()).or_default();
        if last_head.get(&area) != Some(head) {
            out.push_str(head);
            out.push('\n');
            last_head.insert(area, head.clone());
        }
        out.push_str(line);
        out.push('\n');
    }
    // Items without members.
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let bare = lines.peek().is_none_or(|next| !next.starts_with("  "));
        if !line.starts_with("  ") && bare {
            let out = areas.entry(area_of(line)).or_default();
            out.push_str(line);
            out.push('\n');
        }
    }
    areas
}

#[test]
fn linode_surface_snapshot() {
    let areas = surface_by_area("linode", akamai_sdk_generated::linode::operations::ALL);
    assert!(areas.contains_key("core") && areas.contains_key("linode-instances"));
    for (area, text) in areas {
        insta::assert_snapshot!(format!("linode_surface_{area}"), text);
    }
}

#[test]
fn edgekv_surface_snapshot() {
    insta::assert_snapshot!("edgekv_surface", render_committed("edgekv"));
}

/// The public API of the handwritten `akamai-sdk` crate, rendered like the generated
/// modules' (see [`render_crate`]): `sdk/src/lib.rs` with every `mod` declaration replaced by
/// its file's items, less what a dependent cannot name, test modules and `#[doc(hidden)]` items
/// (internals kept reachable for the workspace's own tests and benchmarks, each with its reason
/// where it is declared). Every feature is on.
fn render_sdk() -> String {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk/src");
    render_crate(&src).unwrap_or_else(|e| panic!("{e:#}"))
}

#[test]
fn sdk_public_api_snapshot() {
    let text = render_sdk();
    // The clients and the error type are public; a `pub(crate)` helper is not.
    assert!(
        text.contains("struct linode::client::LinodeClient"),
        "{text}"
    );
    assert!(text.contains("enum error::Error"), "{text}");
    assert!(!text.contains("linode::api::"), "{text}");
    insta::assert_snapshot!("sdk_public_api", text);
}
