//! `cargo xtask generate [--check]`: progenitor (as a library) over the pulled specs.

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use progenitor_impl::{GenerationSettings, Generator, InterfaceStyle, TagStyle, TypeImpl};
use quote::quote;
use serde_json::Value;

use crate::sources::{self, Source};
use crate::{pull, spec, GenerateArgs};

mod calls;
mod features;
mod operations;

mod postprocess;
mod signature;

/// Every choice we make about progenitor's output, in one place.
///
/// * Positional interface: the SDK wraps every operation, so the generated surface stays
///   small (builder style is 2–2.6× the lines and ~25% more build time on these specs).
///   The *types*, though, come from a second, builder-style run (see [`with_type_builders`]):
///   every struct gets the builder progenitor writes there, so that the types can be
///   `#[non_exhaustive]` (an added optional field stays a minor change) and still be built.
/// * The inner type is `crate::Signer` and the async pre-request hook `crate::sign_request`:
///   each request is authenticated on its final form (see `generated/src/lib.rs`). The
///   post-response hook `crate::observe_response` keeps the status and headers that
///   progenitor drops when an error body does not decode.
/// * `format: date-time` maps to the lenient `crate::DateTime` (Linode sends offset-less UTC);
///   `format: password` to `crate::Secret` (redacted Debug, zeroised).
///   `uuid`/`ip*` formats are dropped during `pull` (rule `opaque-string-formats`), so they
///   are `String`.
pub(crate) fn settings(interface: InterfaceStyle) -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(interface)
        .with_tag(TagStyle::Merged)
        .with_inner_type(quote!(crate::Signer))
        .with_pre_hook_async(quote!(crate::sign_request))
        .with_post_hook(quote!(crate::observe_response))
        .with_derive("PartialEq");
    for (format, target) in [
        ("date-time", "crate::DateTime"),
        ("password", "crate::Secret"),
    ] {
        for nullable in [false, true] {
            let instance_type = if nullable {
                schemars::schema::SingleOrVec::Vec(vec![
                    schemars::schema::InstanceType::String,
                    schemars::schema::InstanceType::Null,
                ])
            } else {
                schemars::schema::InstanceType::String.into()
            };
            let type_name = if nullable {
                format!("::std::option::Option<{target}>")
            } else {
                target.to_owned()
            };
            settings.with_conversion(
                schemars::schema::SchemaObject {
                    instance_type: Some(instance_type),
                    format: Some(format.to_owned()),
                    ..Default::default()
                },
                type_name,
                [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
            );
        }
    }
    settings
}

pub(crate) fn run(root: &Path, args: &GenerateArgs) -> Result<()> {
    let sources = sources::select(sources::load(root)?, &args.apis)?;
    let mut stale = Vec::new();
    for source in &sources {
        let started = Instant::now();
        let processed = pull::processed_path(root, &source.name);
        let text = std::fs::read_to_string(&processed).with_context(|| {
            format!(
                "reading {} (run `cargo xtask pull` first)",
                processed.display()
            )
        })?;
        let doc: Value = serde_json::from_str(&text)?;
        let module = generate_module(source, &doc)?;
        let rel = format!("generated/src/{}.rs", source.name);
        let lines = module.code.lines().count();
        let changed = settle(root, &rel, |_| Ok(module.code.clone()), args.check)?;
        if changed && args.check {
            stale.push(rel);
        } else if args.check {
            println!("{rel} is up to date ({:.2?})", started.elapsed());
        } else {
            println!(
                "{rel}: {lines} lines generated in {:.2?}",
                started.elapsed()
            );
        }
        for (manifest, forward) in [
            ("generated/Cargo.toml", None),
            ("sdk/Cargo.toml", Some("akamai-sdk-generated")),
        ] {
            let block = |text: &str| {
                with_feature_block(text, &source.name, &module.features, forward)
                    .with_context(|| format!("in {manifest}"))
            };
            if settle(root, manifest, block, args.check)? && args.check {
                stale.push(manifest.to_owned());
            }
        }
    }
    if !stale.is_empty() {
        bail!(
            "generated code is stale: {}\nfix: `cargo xtask pull && cargo xtask generate` and commit the result",
            stale.join(", ")
        );
    }
    if args.whole_linode {
        whole_linode(root, args.mirror.as_deref())?;
    }
    Ok(())
}

/// Brings the file `rel` (under `root`) to `make(its text)`: writes it, or with `check` only
/// shows how it differs. Returns whether it differed.
fn settle(
    root: &Path,
    rel: &str,
    make: impl FnOnce(&str) -> Result<String>,
    check: bool,
) -> Result<bool> {
    let path = root.join(rel);
    let current = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .replace("\r\n", "\n");
    let wanted = make(&current)?;
    if current == wanted {
        return Ok(false);
    }
    if check {
        println!("{rel} is stale:\n{}", short_diff(&current, &wanted, 40));
    } else {
        std::fs::write(&path, &wanted).with_context(|| format!("writing {rel}"))?;
    }
    Ok(true)
}

/// A generated module: its text, and the area features of its operations (feature -> tag).
#[derive(Debug)]
pub(crate) struct Module {
    pub(crate) code: String,
    pub(crate) features: std::collections::BTreeMap<String, String>,
}

/// Runs progenitor on one processed spec and returns the formatted module.
pub(crate) fn generate_module(source: &Source, doc: &Value) -> Result<Module> {
    let mut file = generate_file(doc)?;
    let rows = operations::rows(doc, &source.name, &source.core)?;
    let table = operations::table(&rows, &signature::client_methods(&file))?;
    file.items
        .push(syn::parse2(table).context("the operation table is unparsable")?);
    let mut file = postprocess::apply(file)?;
    let calls = calls::calls(&file, &rows)?;
    let pages = calls::paginated_impls(&file, &rows)?;
    file.items.extend(calls);
    file.items.extend(pages);
    features::gate(&mut file, &rows, &all_feature(&source.name));
    let body = prettyplease::unparse(&file);
    let code = format!(
        "// Generated by `cargo xtask generate` from the pinned spec `{name}`: do not edit.\n\
         // Source: {url}\n\
         // sha256: {sha}\n\
         // Regenerate with `cargo xtask pull && cargo xtask generate` (see specs/sources.toml).\n\n{body}",
        name = source.name,
        url = source.url,
        sha = source.sha256,
    );
    Ok(Module {
        code,
        features: features::features(&rows),
    })
}

/// The feature that builds every area of `api`.
fn all_feature(api: &str) -> String {
    format!("{api}-all")
}

/// `manifest` with the block of `api`'s area features (between two marker lines inside
/// `[features]`) replaced by `features`; `forward` names the crate whose same features each
/// one enables (the SDK forwards to the generated crate).
fn with_feature_block(
    manifest: &str,
    api: &str,
    features: &std::collections::BTreeMap<String, String>,
    forward: Option<&str>,
) -> Result<String> {
    let begin = format!("# {api} area features (written by `cargo xtask generate`, do not edit):");
    let end = format!("# end of {api} area features");
    let mut block = vec![begin.clone()];
    if !features.is_empty() {
        for (feature, tag) in features {
            let enables = match forward {
                Some(krate) => format!("[\"{api}\", \"{krate}/{feature}\"]"),
                None => format!("[\"{api}\"]"),
            };
            block.push(format!("{feature} = {enables} # {tag}"));
        }
        let all = all_feature(api);
        let every: Vec<String> = features.keys().map(|f| format!("\"{f}\"")).collect();
        let enables = match forward {
            Some(krate) => format!("[{}, \"{krate}/{all}\"]", every.join(", ")),
            None => format!("[{}]", every.join(", ")),
        };
        block.push(format!("{all} = {enables}"));
    }
    block.push(end.clone());
    let lines: Vec<&str> = manifest.lines().collect();
    let start = lines.iter().position(|l| l.trim() == begin);
    let stop = lines.iter().position(|l| l.trim() == end);
    let (before, after) = match (start, stop) {
        (Some(a), Some(b)) if a < b => (&lines[..a], &lines[b + 1..]),
        (None, None) if features.is_empty() => return Ok(manifest.to_owned()),
        (None, None) => {
            let at = lines
                .iter()
                .position(|l| l.trim() == "[features]")
                .context("no [features] table for the area features")?;
            let next = lines[at + 1..]
                .iter()
                .position(|l| l.trim_start().starts_with('['))
                .map_or(lines.len(), |p| at + 1 + p);
            let mut end_of_table = next;
            while end_of_table > at + 1 && lines[end_of_table - 1].trim().is_empty() {
                end_of_table -= 1;
            }
            (&lines[..end_of_table], &lines[end_of_table..])
        }
        _ => bail!("the marker lines of the {api} area features are broken"),
    };
    let mut out: Vec<String> = before.iter().map(|l| (*l).to_owned()).collect();
    out.extend(block);
    out.extend(after.iter().map(|l| (*l).to_owned()));
    let mut text = out.join("\n");
    text.push('\n');
    Ok(text)
}

/// progenitor panics (`todo!`, `assert!`) on shapes it does not support. Turn a panic into an
/// error and find the operation that causes it by generating each operation alone.
fn generate_file(doc: &Value) -> Result<syn::File> {
    match try_generate(doc) {
        Ok(tokens) => Ok(tokens),
        Err(err) => {
            // Components alone (no operations) failing means a schema, not an operation.
            let mut bare = doc.clone();
            bare["paths"] = serde_json::json!({});
            if let Err(e) = try_generate(&bare) {
                bail!("progenitor failed on the component schemas (before any operation): {e}");
            }
            for (path, method, op) in spec::operations(doc) {
                let mut single = doc.clone();
                let item = single["paths"][&path].take();
                let mut only = serde_json::Map::new();
                if let Some(params) = item.get("parameters") {
                    only.insert("parameters".into(), params.clone());
                }
                only.insert(method.clone(), item[&method].clone());
                single["paths"] = serde_json::json!({ path.clone(): only });
                if let Err(e) = try_generate(&single) {
                    let id = op.get("operationId").and_then(Value::as_str).unwrap_or("?");
                    bail!(
                        "progenitor failed on operation {id} ({} {path}): {e}",
                        method.to_uppercase()
                    );
                }
            }
            Err(err)
        }
    }
}

fn try_generate(doc: &Value) -> Result<syn::File> {
    let api: openapiv3::OpenAPI =
        serde_json::from_value(doc.clone()).context("the processed spec is not OpenAPI 3.0")?;
    let positional = run_progenitor(&api, InterfaceStyle::Positional)?;
    let builder = run_progenitor(&api, InterfaceStyle::Builder)?;
    with_type_builders(positional, builder)
}

/// Runs progenitor with one interface style, its panics turned into errors.
fn run_progenitor(
    api: &openapiv3::OpenAPI,
    interface: InterfaceStyle,
) -> Result<proc_macro2::TokenStream> {
    let previous_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        let mut generator = Generator::new(&settings(interface));
        generator.generate_tokens(api)
    }));
    panic::set_hook(previous_hook);
    match result {
        Ok(Ok(tokens)) => Ok(tokens),
        Ok(Err(e)) => Err(anyhow!("{e} ({e:?})")),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(anyhow!(
                "panic: {}",
                message.lines().next().unwrap_or_default()
            ))
        }
    }
}

/// The positional client with the `types` module of the builder-style run: the same types
/// plus `types::builder` and each struct's `builder()` constructor. Fails when the two runs'
/// types differ in anything else, so that a progenitor release that types the two styles
/// differently cannot slip a change in unseen.
fn with_type_builders(
    positional: proc_macro2::TokenStream,
    builder: proc_macro2::TokenStream,
) -> Result<syn::File> {
    let mut file: syn::File =
        syn::parse2(positional).context("progenitor produced unparsable code")?;
    let mut builder: syn::File =
        syn::parse2(builder).context("progenitor produced unparsable builder-style code")?;
    let (Some(plain), Some(with_builders)) = (types_mut(&mut file), types_mut(&mut builder)) else {
        bail!("progenitor wrote no `types` module");
    };
    let is_builder_item = |item: &syn::Item| match item {
        syn::Item::Mod(m) => m.ident == "builder",
        syn::Item::Impl(imp) => {
            imp.trait_.is_none()
                && imp.items.len() == 1
                && matches!(&imp.items[0], syn::ImplItem::Fn(f) if f.sig.ident == "builder")
        }
        _ => false,
    };
    let text = |item: &syn::Item| quote!(#item).to_string();
    let rest: Vec<String> = with_builders
        .iter()
        .filter(|item| !is_builder_item(item))
        .map(text)
        .collect();
    let plain_text: Vec<String> = plain.iter().map(text).collect();
    if let Some((a, b)) = plain_text.iter().zip(&rest).find(|(a, b)| a != b) {
        bail!(
            "progenitor's builder-style types differ from its positional ones:\n  {}\n  {}",
            a.chars().take(200).collect::<String>(),
            b.chars().take(200).collect::<String>()
        );
    }
    if plain_text.len() != rest.len() {
        bail!(
            "progenitor's builder-style run has {} types, the positional one {}",
            rest.len(),
            plain_text.len()
        );
    }
    *plain = std::mem::take(with_builders);
    Ok(file)
}

/// The items of the `types` module of a generated file.
fn types_mut(file: &mut syn::File) -> Option<&mut Vec<syn::Item>> {
    file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "types" => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    })
}

/// A unified diff of at most `max` lines.
fn short_diff(old: &str, new: &str, max: usize) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(2)
        .header("committed", "generated")
        .to_string();
    let total = text.lines().count();
    let mut out: String = text.lines().take(max).map(|l| format!("{l}\n")).collect();
    if total > max {
        out.push_str(&format!("... ({} more diff lines)\n", total - max));
    }
    out
}

/// Generates the whole Linode spec (every operation) into `target/whole-linode` and builds
/// it, to measure what the full API would cost. Nothing of it is committed.
fn whole_linode(root: &Path, mirror: Option<&Path>) -> Result<()> {
    let all = sources::load(root)?;
    let mut source = all
        .into_iter()
        .find(|s| s.name == "linode")
        .context("no linode source")?;
    source.operations = None;
    let bytes = pull::fetch(&source.url, mirror)?;
    let started = Instant::now();
    let processed = pull::process(root, &source, &bytes)?;
    let code = generate_module(&source, &processed.spec)?.code;
    let generated_in = started.elapsed();
    let dir = root.join("target/whole-linode");
    std::fs::create_dir_all(dir.join("src"))?;
    // The handwritten seam: lib.rs and its modules, every file but the generated ones.
    for entry in std::fs::read_dir(root.join("generated/src"))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".rs") && name != "linode.rs" && name != "edgekv.rs" {
            std::fs::copy(&path, dir.join("src").join(&name))?;
        }
    }
    std::fs::write(dir.join("src/linode.rs"), &code)?;
    std::fs::write(dir.join("src/edgekv.rs"), "")?;
    std::fs::write(dir.join("Cargo.toml"), standalone_manifest(root)?)?;
    println!(
        "whole Linode spec: {} operations, {} lines generated in {generated_in:.2?}",
        spec::operations(&processed.spec).len(),
        code.lines().count()
    );
    let build = Instant::now();
    let status = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
        .args(["build", "--release", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", root.join("target/whole-linode/target"))
        .status()?;
    let elapsed = build.elapsed();
    if !status.success() {
        bail!("whole Linode spec: the generated crate does not build ({elapsed:.2?})");
    }
    println!("whole Linode spec: release build succeeded in {elapsed:.2?}");
    Ok(())
}

/// A manifest equal to the generated crate's, with workspace inheritance resolved, so that
/// the whole-spec crate builds on its own (sharing the workspace's lock file).
fn standalone_manifest(root: &Path) -> Result<String> {
    let workspace: toml::Table =
        toml::from_str(&std::fs::read_to_string(root.join("Cargo.toml"))?)?;
    let shared = workspace
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(toml::Value::as_table)
        .context("no [workspace.dependencies]")?;
    let crate_manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(root.join("generated/Cargo.toml"))?)?;
    let mut deps = toml::Table::new();
    for (name, spec) in crate_manifest
        .get("dependencies")
        .and_then(toml::Value::as_table)
        .context("no [dependencies]")?
    {
        let inherited = spec.get("workspace").and_then(toml::Value::as_bool) == Some(true);
        let resolved = if inherited {
            shared
                .get(name)
                .cloned()
                .with_context(|| format!("{name} is not a workspace dependency"))?
        } else {
            spec.clone()
        };
        deps.insert(name.clone(), resolved);
    }
    let mut manifest = toml::Table::new();
    manifest.insert(
        "package".into(),
        toml::Value::Table(toml::toml! { name = "whole-linode" version = "0.0.0" edition = "2021" publish = false }),
    );
    manifest.insert("dependencies".into(), toml::Value::Table(deps));
    if let Some(features) = crate_manifest.get("features") {
        manifest.insert("features".into(), features.clone());
    }
    manifest.insert("workspace".into(), toml::Value::Table(toml::Table::new()));
    Ok(toml::to_string(&manifest)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn source() -> Source {
        Source {
            name: "tiny".into(),
            url: "https://example.com/tiny.json".into(),
            sha256: "0".repeat(64),
            overlay: None,
            operations: None,
            core: Vec::new(),
        }
    }

    fn tiny(op: Value) -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "tiny", "version": "1"},
            "paths": {"/things/{id}": {"put": op}},
            "components": {"schemas": {"Code": {"type": "string", "pattern": "^[a-z]{2,8}$"}}}
        })
    }

    #[test]
    fn patterns_are_enforced_with_regress_and_the_file_has_the_header() {
        let op = json!({
            "operationId": "put-thing",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Code"}}}},
            "responses": {"200": {"description": "ok"}}
        });
        let code = generate_module(&source(), &tiny(op)).unwrap().code;
        assert!(
            code.starts_with("// Generated by `cargo xtask generate`"),
            "{code}"
        );
        assert!(code.contains("sha256: 0000"), "{code}");
        assert!(
            code.contains("::regress::Regex::new(\"^[a-z]{2,8}$\")"),
            "{code}"
        );
        // One request path: the hook steps became one `crate::send`.
        assert!(code.contains("let response = crate::send::<"), "{code}");
        assert!(!code.contains("self.exec("), "{code}");
        assert!(code.contains("inner: crate::Signer"), "{code}");
    }

    #[test]
    fn a_progenitor_panic_becomes_an_error_naming_the_operation() {
        // Two request media types: progenitor panics ("more media types than expected")
        // unless the `single-request-media-type` rule ran.
        let op = json!({
            "operationId": "put-thing",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "requestBody": {"content": {
                "application/json": {"schema": {"type": "object"}},
                "text/plain": {"schema": {"type": "string"}}}},
            "responses": {"200": {"description": "ok"}}
        });
        let err = generate_module(&source(), &tiny(op))
            .unwrap_err()
            .to_string();
        assert!(err.contains("put-thing"), "{err}");
        assert!(err.contains("more media types"), "{err}");
    }

    #[test]
    fn structs_get_the_builder_style_run_s_builders_and_a_positional_client() {
        let op = json!({
            "operationId": "put-thing",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "requestBody": {"content": {"application/json": {"schema": {
                "type": "object", "required": ["name"],
                "properties": {"name": {"type": "string"}, "note": {"type": "string"}}}}}},
            "responses": {"200": {"description": "ok"}}
        });
        let code = generate_module(&source(), &tiny(op)).unwrap().code;
        assert!(code.contains("pub mod builder {"), "{code}");
        assert!(
            code.contains("pub fn builder() -> builder::PutThingBody"),
            "{code}"
        );
        assert!(
            code.contains("#[non_exhaustive]\n    pub struct PutThingBody"),
            "{code}"
        );
        // The client stays positional: the body is an argument, not a builder method.
        assert!(code.contains("body: &'a types::PutThingBody"), "{code}");
    }

    #[test]
    fn types_that_differ_between_the_two_runs_fail_generation() {
        let positional = quote! {
            pub mod types { pub struct Thing { pub a: u8 } }
            pub struct Client;
        };
        let same = quote! {
            pub mod types {
                pub struct Thing { pub a: u8 }
                impl Thing { pub fn builder() -> builder::Thing { Default::default() } }
                pub mod builder { #[derive(Default)] pub struct Thing; }
            }
            pub struct Client;
        };
        let spliced = with_type_builders(positional.clone(), same).unwrap();
        let spliced = quote!(#spliced).to_string();
        assert!(spliced.contains("pub mod builder"), "{spliced}");
        let other = quote! {
            pub mod types {
                pub struct Thing { pub a: u16 }
                pub mod builder { pub struct Thing; }
            }
        };
        let Err(err) = with_type_builders(positional, other) else {
            panic!("types that differ were spliced");
        };
        let err = err.to_string();
        assert!(err.contains("differ from its positional ones"), "{err}");
    }

    #[test]
    fn generation_is_deterministic() {
        let op = json!({"operationId": "put-thing",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Code"}}}}}});
        let a = generate_module(&source(), &tiny(op.clone())).unwrap().code;
        let b = generate_module(&source(), &tiny(op)).unwrap().code;
        assert_eq!(a, b);
    }
}
