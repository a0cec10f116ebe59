//! The public surface of Rust code, read with `syn`: what a dependent can name, call, build or
//! match on.
//!
//! [`render`] turns one file (a generated module, `generated/src/linode.rs`) into sorted text:
//! every public item (one block per item, sorted by path), and in each block one line per member
//! (fields, variants, methods, trait impls). [`render_crate`] does the same for a crate whose
//! modules live in their own files (`sdk/src`). The workspace's snapshot tests commit these texts
//! (`tests/it/surface.rs`), so a change of the API shows as a reviewable diff; `cargo xtask
//! update` compares the [`Surface`] of the generated code before and after a spec update to
//! give it its semver verdict ([`crate::semver`]).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use anyhow::{Context, Result};
use quote::ToTokens;

/// The rendered public surface of one file.
pub fn render(source: &str) -> Result<String, syn::Error> {
    Ok(Surface::parse(source)?.text())
}

/// The public API of a crate whose modules are files (`lib.rs`, `name.rs` or `name/mod.rs`),
/// rendered like [`render`]'s: `src/lib.rs` with every `mod` declaration replaced by its file's
/// items, less what a dependent cannot name (`pub(crate)` and private items), test modules and
/// `#[doc(hidden)]` items (internals kept reachable for a workspace's own tests and benchmarks).
///
/// Items are listed where they are defined (`linode::client::LinodeClient`), private modules
/// included: the workspace lints `unreachable_pub`, so a `pub` item of a private module is
/// re-exported somewhere (the `pub use` lines say where).
pub fn render_crate(src: &Path) -> Result<String> {
    let mut file = parse_file(&src.join("lib.rs"))?;
    let mut private = Private::default();
    inline_modules(src, "", &mut file.items, &mut private)?;
    drop_private_impls(&mut file.items, &private.types);
    let mut surface = Surface::default();
    surface.items("", &file.items);
    Ok(surface
        .text()
        .lines()
        .filter(|line| !private.modules.iter().any(|m| *line == format!("mod {m}")))
        .map(|line| format!("{line}\n"))
        .collect())
}

/// The sections of a rendered surface, in output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Section {
    Reexport,
    Client,
    Module,
    Type,
}

/// What a dependent can do with an item beyond naming it, as far as a semver comparison cares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A struct with named fields.
    Struct {
        /// Some field is not `pub` (then no dependent can write a literal of it).
        private_fields: bool,
    },
    Enum,
    Trait,
    #[default]
    Other,
}

/// One public item: a header line and its member lines, and the parts of both that a semver
/// comparison tells apart.
#[derive(Debug, Default, Clone)]
pub(crate) struct Block {
    /// The rendered header line; `None` for the impls of a type this file does not define.
    pub(crate) header: Option<String>,
    /// `struct`, `enum`, `fn`... as written in the header.
    pub(crate) kind: &'static str,
    /// What must stay the same for code using the item to keep building: the header without
    /// its attributes (`newtype Ids(pub Vec<String>)`, `const X: Operation`, a function's
    /// signature and `cfg`).
    pub(crate) signature: String,
    /// A constant's value.
    pub(crate) value: Option<String>,
    pub(crate) shape: Shape,
    pub(crate) non_exhaustive: bool,
    /// The derived traits (`Clone`, `PartialEq`...).
    pub(crate) derives: BTreeSet<String>,
    /// Every other attribute (`serde(...)`, `cfg(...)`...), rendered.
    pub(crate) attrs: Vec<String>,
    pub(crate) members: Vec<Member>,
}

/// One member line of a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    /// Fields and variants first (0), then functions (1), then trait impls (2).
    pub(crate) rank: u8,
    /// The rendered line.
    pub(crate) line: String,
    /// What the member is, whatever its type or signature: `types::Thing.some_field`,
    /// `types::Kind::A`, `Client::get_thing`, or the whole line of a trait impl.
    pub(crate) key: String,
    /// What must stay the same for code using the member to keep building: a field's type, a
    /// variant's fields, a function's signature and `cfg`.
    pub(crate) api: String,
    /// The rest: a field's or variant's attributes, the endpoint of an operation method.
    pub(crate) detail: String,
}

/// The public surface of one file or crate: its blocks, by section and path.
#[derive(Debug, Default, Clone)]
pub struct Surface {
    pub(crate) blocks: BTreeMap<(Section, String), Block>,
}

impl Surface {
    /// The public surface of one Rust file.
    pub fn parse(source: &str) -> Result<Self, syn::Error> {
        let file = syn::parse_file(source)?;
        let mut surface = Surface::default();
        surface.items("", &file.items);
        Ok(surface)
    }

    fn block(&mut self, section: Section, path: &str) -> &mut Block {
        self.blocks.entry((section, path.to_owned())).or_default()
    }

    /// The surface as text: one block per item, sorted by path.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for ((_, path), block) in &self.blocks {
            match &block.header {
                Some(header) => out.push_str(header),
                // Impls of a type that is not itself part of this file's surface.
                None => out.push_str(&format!("(impls of) {path}")),
            }
            out.push('\n');
            // Fields and variants keep their declaration order (serde tries untagged variants
            // in order); functions and impls are sorted.
            let mut members: Vec<(u8, &str)> = block
                .members
                .iter()
                .map(|m| (m.rank, m.line.as_str()))
                .collect();
            members.sort_by(|a, b| {
                a.0.cmp(&b.0).then_with(|| {
                    if a.0 == 0 {
                        std::cmp::Ordering::Equal
                    } else {
                        a.1.cmp(b.1)
                    }
                })
            });
            members.dedup();
            for (_, line) in members {
                out.push_str("  ");
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }

    fn items(&mut self, module: &str, items: &[syn::Item]) {
        for item in items {
            self.item(module, item);
        }
    }

    fn item(&mut self, module: &str, item: &syn::Item) {
        let path = |ident: &syn::Ident| format!("{module}{ident}");
        match item {
            syn::Item::Struct(s) if is_pub(&s.vis) => {
                let path = path(&s.ident);
                let section = section_of(&path);
                let attrs = render_attrs(&s.attrs);
                let generics = render_generics(&s.generics);
                let (kind, signature, header, shape, members) = match &s.fields {
                    syn::Fields::Named(named) => {
                        let private = named.named.iter().any(|f| !is_pub(&f.vis));
                        let marker = if private { " (has private fields)" } else { "" };
                        (
                            "struct",
                            format!("struct {path}{generics}"),
                            format!("struct {path}{generics}{marker}{attrs}"),
                            Shape::Struct {
                                private_fields: private,
                            },
                            named
                                .named
                                .iter()
                                .filter(|f| is_pub(&f.vis))
                                .map(|f| field_member(&path, f))
                                .collect::<Vec<_>>(),
                        )
                    }
                    syn::Fields::Unnamed(unnamed) => {
                        let fields = unnamed
                            .unnamed
                            .iter()
                            .map(|f| {
                                let vis = if is_pub(&f.vis) { "pub " } else { "" };
                                format!("{vis}{}", compact(&f.ty))
                            })
                            .collect::<Vec<_>>()
                            .join(", ");
                        let kind = if unnamed.unnamed.len() == 1 {
                            "newtype"
                        } else {
                            "tuple struct"
                        };
                        let signature = format!("{kind} {path}{generics}({fields})");
                        (
                            kind,
                            signature.clone(),
                            format!("{signature}{attrs}"),
                            Shape::Other,
                            Vec::new(),
                        )
                    }
                    syn::Fields::Unit => {
                        let signature = format!("unit struct {path}{generics}");
                        (
                            "unit struct",
                            signature.clone(),
                            format!("{signature}{attrs}"),
                            Shape::Other,
                            Vec::new(),
                        )
                    }
                };
                let block = self.block(section, &path);
                block.header = Some(header);
                block.kind = kind;
                block.signature = signature;
                block.shape = shape;
                set_attrs(block, &s.attrs);
                block.members.extend(members);
            }
            syn::Item::Enum(e) if is_pub(&e.vis) => {
                let path = path(&e.ident);
                let attrs = render_attrs(&e.attrs);
                let generics = render_generics(&e.generics);
                let variants = e
                    .variants
                    .iter()
                    .map(|v| variant_member(&path, v))
                    .collect::<Vec<_>>();
                let block = self.block(section_of(&path), &path);
                block.header = Some(format!("enum {path}{generics}{attrs}"));
                block.kind = "enum";
                block.signature = format!("enum {path}{generics}");
                block.shape = Shape::Enum;
                set_attrs(block, &e.attrs);
                // Variant order matters to serde (untagged fallbacks are tried in order).
                block.members.extend(variants);
            }
            syn::Item::Type(t) if is_pub(&t.vis) => {
                let path = path(&t.ident);
                let generics = render_generics(&t.generics);
                let header = format!("type {path}{generics} = {}", compact(&t.ty));
                let block = self.block(section_of(&path), &path);
                block.kind = "type";
                block.signature = format!("{header}{}", gate(&t.attrs));
                block.header = Some(header);
            }
            // The operation table: its values are the surface (a renamed or moved operation
            // must show in review), so they are printed with the constant.
            syn::Item::Const(c) if is_pub(&c.vis) => {
                let path = path(&c.ident);
                let signature = format!("const {path}: {}", compact(&c.ty));
                let value = compact(&c.expr);
                let block = self.block(section_of(&path), &path);
                block.header = Some(format!("{signature} = {value}"));
                block.kind = "const";
                block.signature = format!("{signature}{}", gate(&c.attrs));
                block.value = Some(value);
            }
            syn::Item::Static(s) if is_pub(&s.vis) => {
                let path = path(&s.ident);
                let header = format!("static {path}: {}", compact(&s.ty));
                let block = self.block(section_of(&path), &path);
                block.kind = "static";
                block.signature = format!("{header}{}", gate(&s.attrs));
                block.header = Some(header);
            }
            syn::Item::Fn(f) if is_pub(&f.vis) => {
                let path = path(&f.sig.ident);
                let block = self.block(section_of(&path), &path);
                block.header = Some(render_fn(&path, &f.sig, &f.attrs));
                block.kind = "fn";
                block.signature = format!("{}{}", fn_signature(&path, &f.sig), gate(&f.attrs));
            }
            syn::Item::Trait(t) if is_pub(&t.vis) => {
                let path = path(&t.ident);
                let methods = t
                    .items
                    .iter()
                    .filter_map(|i| match i {
                        syn::TraitItem::Fn(f) => Some(fn_member(
                            &format!("{path}::{}", f.sig.ident),
                            &f.sig,
                            &f.attrs,
                        )),
                        _ => None,
                    })
                    .collect::<Vec<_>>();
                let block = self.block(section_of(&path), &path);
                block.header = Some(format!("trait {path}"));
                block.kind = "trait";
                block.signature = format!(
                    "trait {path}{}{}",
                    render_generics(&t.generics),
                    gate(&t.attrs)
                );
                block.shape = Shape::Trait;
                block.members.extend(methods);
            }
            syn::Item::Use(u) if is_pub(&u.vis) => {
                let tree = compact(&u.tree);
                let header = format!("pub use {tree} (in {})", module_name(module));
                let block = self.block(Section::Reexport, &format!("{module}{tree}"));
                block.kind = "pub use";
                block.signature = format!("{header}{}", gate(&u.attrs));
                block.header = Some(header);
            }
            syn::Item::Mod(m) if is_pub(&m.vis) => {
                let path = path(&m.ident);
                let block = self.block(Section::Module, &path);
                block.header = Some(format!("mod {path}"));
                block.kind = "mod";
                block.signature = format!("mod {path}{}", gate(&m.attrs));
                if let Some((_, items)) = &m.content {
                    self.items(&format!("{path}::"), items);
                }
            }
            syn::Item::Impl(i) => self.impl_block(module, i),
            _ => {}
        }
    }

    /// Trait impls become a member line of their self type; inherent impls contribute their
    /// public functions.
    fn impl_block(&mut self, module: &str, item: &syn::ItemImpl) {
        let self_ty = compact(&item.self_ty);
        let owner = match local_type(&item.self_ty) {
            Some(ident) => format!("{module}{ident}"),
            // `impl From<Local> for Vec<String>`: listed with the local type.
            None => item
                .trait_
                .as_ref()
                .and_then(|(_, path, _)| path.segments.last())
                .and_then(|segment| match &segment.arguments {
                    syn::PathArguments::AngleBracketed(args) => {
                        args.args.iter().find_map(|arg| match arg {
                            syn::GenericArgument::Type(ty) => local_type(ty),
                            _ => None,
                        })
                    }
                    _ => None,
                })
                .map_or_else(
                    || format!("{module}{self_ty}"),
                    |ident| format!("{module}{ident}"),
                ),
        };
        let section = section_of(&owner);
        let generics = render_generics(&item.generics);
        match &item.trait_ {
            Some((negative, trait_path, _)) => {
                let bang = if negative.is_some() { "!" } else { "" };
                let line = format!("impl{generics} {bang}{} for {self_ty}", compact(trait_path));
                let api = format!("{line}{}", gate(&item.attrs));
                self.block(section, &owner).members.push(Member {
                    rank: 2,
                    key: line.clone(),
                    line,
                    api,
                    detail: String::new(),
                });
            }
            None => {
                let impl_gate = gate(&item.attrs);
                let fns = item
                    .items
                    .iter()
                    .filter_map(|i| match i {
                        syn::ImplItem::Fn(f) if is_pub(&f.vis) => {
                            let mut member =
                                fn_member(&format!("{self_ty}::{}", f.sig.ident), &f.sig, &f.attrs);
                            member.api.push_str(&impl_gate);
                            Some(member)
                        }
                        _ => None,
                    })
                    .collect::<Vec<_>>();
                self.block(section, &owner).members.extend(fns);
            }
        }
    }
}

/// Records the attributes of a struct or enum: its derives, `#[non_exhaustive]`, the rest.
fn set_attrs(block: &mut Block, attrs: &[syn::Attribute]) {
    for attr in attrs {
        let path = attr.path();
        if path.is_ident("doc") || path.is_ident("allow") {
            continue;
        }
        if path.is_ident("derive") {
            block.derives.extend(derives(attr));
        } else if path.is_ident("non_exhaustive") {
            block.non_exhaustive = true;
        } else {
            block.attrs.push(compact(&attr.meta));
        }
    }
}

/// The `cfg` attributes among `attrs`, rendered (`  #[cfg(feature = "x")]`), or nothing.
fn gate(attrs: &[syn::Attribute]) -> String {
    let cfgs: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .map(|a| compact(&a.meta))
        .collect();
    if cfgs.is_empty() {
        String::new()
    } else {
        format!("  #[{}]", cfgs.join(", "))
    }
}

/// The name of a type written as a bare identifier (`Thing`, `&Thing`), which is how a
/// generated module refers to its own types; `None` for paths such as `Vec<String>`.
fn local_type(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Reference(r) => local_type(&r.elem),
        syn::Type::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            let segment = &p.path.segments[0];
            let name = segment.ident.to_string();
            let builtin = [
                "String", "Vec", "Option", "Box", "HashMap", "BTreeMap", "str",
            ];
            (segment.arguments.is_none() && !builtin.contains(&name.as_str())).then_some(name)
        }
        _ => None,
    }
}

fn module_name(module: &str) -> &str {
    match module.trim_end_matches("::") {
        "" => "crate root",
        m => m,
    }
}

fn section_of(path: &str) -> Section {
    if path == "Client" {
        Section::Client
    } else {
        Section::Type
    }
}

/// Only `pub` counts: `pub(crate)` and `pub(super)` are not part of the surface.
fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

fn field_member(owner: &str, field: &syn::Field) -> Member {
    let name = field
        .ident
        .as_ref()
        .map_or_else(|| "_".to_owned(), ToString::to_string);
    let key = format!("{owner}.{name}");
    let api = compact(&field.ty);
    let detail = render_attrs(&field.attrs);
    Member {
        rank: 0,
        line: format!("{key}: {api}{detail}"),
        key,
        api,
        detail,
    }
}

fn variant_member(owner: &str, variant: &syn::Variant) -> Member {
    let fields = match &variant.fields {
        syn::Fields::Named(named) => {
            let fields = named
                .named
                .iter()
                .map(|f| {
                    let name = f
                        .ident
                        .as_ref()
                        .map_or_else(String::new, ToString::to_string);
                    format!("{name}: {}{}", compact(&f.ty), render_attrs(&f.attrs))
                })
                .collect::<Vec<_>>()
                .join(", ");
            format!(" {{ {fields} }}")
        }
        syn::Fields::Unnamed(unnamed) => {
            let fields = unnamed
                .unnamed
                .iter()
                .map(|f| compact(&f.ty))
                .collect::<Vec<_>>()
                .join(", ");
            format!("({fields})")
        }
        syn::Fields::Unit => String::new(),
    };
    let discriminant = variant
        .discriminant
        .as_ref()
        .map(|(_, e)| format!(" = {}", compact(e)))
        .unwrap_or_default();
    let key = format!("{owner}::{}", variant.ident);
    let api = format!("{fields}{discriminant}");
    let detail = render_attrs(&variant.attrs);
    Member {
        rank: 0,
        line: format!("{key}{api}{detail}"),
        key,
        api,
        detail,
    }
}

fn fn_member(path: &str, sig: &syn::Signature, attrs: &[syn::Attribute]) -> Member {
    Member {
        rank: 1,
        line: render_fn(path, sig, attrs),
        key: path.to_owned(),
        api: format!("{}{}", fn_signature(path, sig), gate(attrs)),
        detail: endpoint(attrs).unwrap_or_default(),
    }
}

/// `async fn Client::get_item(&self, a: &str) -> Result<..>  [GET /path]`.
fn render_fn(path: &str, sig: &syn::Signature, attrs: &[syn::Attribute]) -> String {
    let endpoint = endpoint(attrs)
        .map(|e| format!("  [{e}]"))
        .unwrap_or_default();
    format!("{}{endpoint}", fn_signature(path, sig))
}

/// `async fn Client::get_item(&self, a: &str) -> Result<..>`.
fn fn_signature(path: &str, sig: &syn::Signature) -> String {
    let asyncness = if sig.asyncness.is_some() {
        "async "
    } else {
        ""
    };
    let unsafety = if sig.unsafety.is_some() {
        "unsafe "
    } else {
        ""
    };
    let params = render_params(&sig.generics);
    let where_clause = render_where(&sig.generics);
    let inputs = sig
        .inputs
        .iter()
        .map(|arg| match arg {
            syn::FnArg::Receiver(r) => {
                let reference = if r.reference.is_some() { "&" } else { "" };
                let mutability = if r.mutability.is_some() { "mut " } else { "" };
                format!("{reference}{mutability}self")
            }
            syn::FnArg::Typed(t) => format!("{}: {}", compact(&t.pat), compact(&t.ty)),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let output = match &sig.output {
        syn::ReturnType::Default => String::new(),
        syn::ReturnType::Type(_, ty) => format!(" -> {}", compact(ty)),
    };
    format!("{unsafety}{asyncness}fn {path}{params}({inputs}){output}{where_clause}")
}

/// The HTTP method and path that progenitor records in an operation's doc comment
/// (``Sends a `GET` request to `/path` ``).
fn endpoint(attrs: &[syn::Attribute]) -> Option<String> {
    let docs = doc_text(attrs);
    let rest = &docs[docs.find("Sends a `")? + "Sends a `".len()..];
    let (method, rest) = rest.split_once('`')?;
    let rest = rest.strip_prefix(" request to `")?;
    let (path, _) = rest.split_once('`')?;
    Some(format!("{method} {path}"))
}

/// Generic parameters without lifetimes (progenitor's `'a` carries no information), plus
/// the where clause; empty when there is neither.
fn render_generics(generics: &syn::Generics) -> String {
    format!("{}{}", render_params(generics), render_where(generics))
}

/// `<T, U>`: the generic parameters without lifetimes; empty when there are none.
fn render_params(generics: &syn::Generics) -> String {
    let params = generics
        .params
        .iter()
        .filter(|p| !matches!(p, syn::GenericParam::Lifetime(_)))
        .map(compact)
        .collect::<Vec<_>>();
    if params.is_empty() {
        String::new()
    } else {
        format!("<{}>", params.join(", "))
    }
}

/// ` where T: Bound` (without a trailing comma), or nothing.
fn render_where(generics: &syn::Generics) -> String {
    generics
        .where_clause
        .as_ref()
        .map(|clause| format!(" {}", compact(clause).trim_end_matches(',')))
        .unwrap_or_default()
}

/// The traits of a `derive` attribute, compacted.
fn derives(attr: &syn::Attribute) -> Vec<String> {
    attr.parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
        .map(|list| list.iter().map(compact).collect::<Vec<_>>())
        .unwrap_or_else(|_| vec![compact(&attr.meta)])
}

/// `derive`, `serde` and other non-documentation attributes, compacted; derive lists sorted.
fn render_attrs(attrs: &[syn::Attribute]) -> String {
    let mut out = Vec::new();
    for attr in attrs {
        let path = attr.path();
        if path.is_ident("doc") || path.is_ident("allow") {
            continue;
        }
        if path.is_ident("derive") {
            let mut derives = derives(attr);
            derives.sort();
            out.push(format!("derive({})", derives.join(", ")));
        } else {
            out.push(compact(&attr.meta));
        }
    }
    if out.is_empty() {
        String::new()
    } else {
        format!("  #[{}]", out.join(", "))
    }
}

/// Tokens printed on one line with Rust-like spacing, the lifetime of `&'a T` dropped
/// (progenitor's `'a` carries no information), and well-known paths shortened
/// (`::std::string::String` -> `String`).
pub(crate) fn compact(tokens: &impl ToTokens) -> String {
    let mut out = String::new();
    print_tokens(tokens.to_token_stream(), &mut out);
    shorten_paths(out.trim())
}

fn print_tokens(tokens: proc_macro2::TokenStream, out: &mut String) {
    use proc_macro2::{Delimiter, Spacing, TokenTree};
    let word_end =
        |out: &String| out.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '"');
    let mut iter = tokens.into_iter().peekable();
    while let Some(tree) = iter.next() {
        match tree {
            TokenTree::Ident(ident) => {
                if word_end(out) {
                    out.push(' ');
                }
                out.push_str(&ident.to_string());
            }
            TokenTree::Literal(lit) => {
                if word_end(out) {
                    out.push(' ');
                }
                out.push_str(&lit.to_string());
            }
            TokenTree::Punct(punct) => match punct.as_char() {
                ',' | ';' => {
                    out.push(punct.as_char());
                    out.push(' ');
                }
                ':' if punct.spacing() == Spacing::Joint => {
                    // The first half of `::`; the second is pushed by the next token.
                    out.push(':');
                    if let Some(TokenTree::Punct(next)) = iter.next() {
                        out.push(next.as_char());
                    }
                }
                ':' => out.push_str(": "),
                '-' if punct.spacing() == Spacing::Joint => {
                    out.push_str(" -");
                }
                '=' | '+' if punct.spacing() == Spacing::Alone => {
                    let trimmed = out.trim_end().len();
                    out.truncate(trimmed);
                    out.push(' ');
                    out.push(punct.as_char());
                    out.push(' ');
                }
                '>' if out.ends_with(" -") => out.push_str("> "),
                '>' => {
                    // prettyplease leaves a trailing comma in wrapped argument lists.
                    if out.ends_with(", ") {
                        out.truncate(out.len() - 2);
                    }
                    out.push('>');
                }
                '\'' => {
                    // A lifetime: `'` followed by its name.
                    let name = match iter.next() {
                        Some(TokenTree::Ident(name)) => name.to_string(),
                        _ => String::new(),
                    };
                    if out.ends_with('&') && name == "a" {
                        continue;
                    }
                    if word_end(out) {
                        out.push(' ');
                    }
                    out.push('\'');
                    out.push_str(&name);
                }
                c => {
                    if c == '&' && word_end(out) {
                        out.push(' ');
                    }
                    out.push(c);
                }
            },
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace if out.ends_with("::") => ("{", "}"),
                    Delimiter::Brace => (" { ", " }"),
                    Delimiter::None => ("", ""),
                };
                out.push_str(open);
                let mut inner = String::new();
                print_tokens(group.stream(), &mut inner);
                out.push_str(inner.trim().trim_end_matches(','));
                out.push_str(close);
            }
        }
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
}

/// Drops the module part of `::std::…`, `::core::…`, `::alloc::…` and `::serde::…` paths
/// and the leading `::` of other absolute paths.
fn shorten_paths(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("::") {
        let (before, after) = rest.split_at(at);
        out.push_str(before);
        let absolute = !before.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '>');
        let after = &after[2..];
        if !absolute {
            out.push_str("::");
            rest = after;
            continue;
        }
        let crate_name: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if ["std", "core", "alloc", "serde"].contains(&crate_name.as_str()) {
            // Skip `crate::` and every lowercase module segment after it.
            let mut tail = &after[crate_name.len()..];
            while let Some(next) = tail.strip_prefix("::") {
                let segment: String = next
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let is_module = segment.starts_with(|c: char| c.is_ascii_lowercase())
                    && next[segment.len()..].starts_with("::");
                if !is_module {
                    tail = next;
                    break;
                }
                tail = &next[segment.len()..];
            }
            rest = tail;
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// What a dependent cannot name: private modules (by path) and non-`pub` types (by name).
#[derive(Default)]
struct Private {
    modules: Vec<String>,
    types: HashSet<String>,
}

/// Keeps only the trait impls of a hidden module (and of its modules).
fn strip_to_trait_impls(items: &mut Vec<syn::Item>) {
    items.retain(|item| match item {
        syn::Item::Impl(imp) => imp.trait_.is_some(),
        syn::Item::Mod(_) => true,
        _ => false,
    });
    for item in items {
        if let syn::Item::Mod(module) = item {
            if let Some((_, children)) = &mut module.content {
                strip_to_trait_impls(children);
            }
        }
    }
}

/// Drops the impls of types that are not public (their trait impls are not API).
fn drop_private_impls(items: &mut Vec<syn::Item>, private: &HashSet<String>) {
    items.retain(|item| match item {
        syn::Item::Impl(imp) => match &*imp.self_ty {
            syn::Type::Path(p) => p
                .path
                .segments
                .last()
                .is_none_or(|last| !private.contains(&last.ident.to_string())),
            _ => true,
        },
        _ => true,
    });
    for item in items {
        if let syn::Item::Mod(module) = item {
            if let Some((_, children)) = &mut module.content {
                drop_private_impls(children, private);
            }
        }
    }
}

fn parse_file(path: &Path) -> Result<syn::File> {
    let source =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    syn::parse_file(&source).with_context(|| format!("parsing {}", path.display()))
}

fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| compact(&attr.meta) == "cfg(test)")
}

/// Whether `attrs` hold `#[doc(hidden)]` or `#[cfg(test)]`.
fn is_hidden(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        let text = compact(&attr.meta);
        text == "doc(hidden)" || text == "cfg(test)"
    })
}

/// Drops hidden items and loads each out-of-line module from `dir` (`name.rs` or
/// `name/mod.rs`; the module's own directory holds its children).
fn inline_modules(
    dir: &Path,
    module: &str,
    items: &mut Vec<syn::Item>,
    private: &mut Private,
) -> Result<()> {
    for item in items.iter() {
        match item {
            syn::Item::Struct(i) if !is_pub(&i.vis) => private.types.insert(i.ident.to_string()),
            syn::Item::Enum(i) if !is_pub(&i.vis) => private.types.insert(i.ident.to_string()),
            _ => false,
        };
    }
    items.retain(|item| match item {
        syn::Item::Fn(i) => !is_hidden(&i.attrs),
        syn::Item::Struct(i) => !is_hidden(&i.attrs),
        syn::Item::Enum(i) => !is_hidden(&i.attrs),
        syn::Item::Trait(i) => !is_hidden(&i.attrs),
        syn::Item::Const(i) => !is_hidden(&i.attrs),
        syn::Item::Static(i) => !is_hidden(&i.attrs),
        syn::Item::Type(i) => !is_hidden(&i.attrs),
        syn::Item::Use(i) => !is_hidden(&i.attrs),
        // A hidden module's trait impls for public types are still API: kept below.
        syn::Item::Mod(i) => !is_test(&i.attrs),
        syn::Item::Impl(i) => !is_hidden(&i.attrs),
        _ => true,
    });
    for item in items.iter_mut() {
        match item {
            syn::Item::Impl(imp) => imp.items.retain(|member| match member {
                syn::ImplItem::Fn(f) => !is_hidden(&f.attrs),
                syn::ImplItem::Const(c) => !is_hidden(&c.attrs),
                _ => true,
            }),
            syn::Item::Mod(child) => {
                let name = child.ident.to_string();
                let path = format!("{module}{name}");
                if !is_pub(&child.vis) {
                    private.modules.push(path.clone());
                    child.vis = syn::parse_quote!(pub);
                }
                let child_dir = dir.join(&name);
                if child.content.is_none() {
                    let flat = dir.join(format!("{name}.rs"));
                    let file = if flat.exists() {
                        flat
                    } else {
                        child_dir.join("mod.rs")
                    };
                    child.content = Some((Default::default(), parse_file(&file)?.items));
                }
                let hidden = is_hidden(&child.attrs);
                if let Some((_, children)) = &mut child.content {
                    inline_modules(&child_dir, &format!("{path}::"), children, private)?;
                    if hidden {
                        strip_to_trait_impls(children);
                    }
                }
                if hidden {
                    private.modules.push(path.clone());
                    child
                        .attrs
                        .retain(|attr| compact(&attr.meta) != "doc(hidden)");
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The text of an item's doc comments (`#[doc = "…"]` attributes), one line each.
pub fn doc_text(attrs: &[syn::Attribute]) -> String {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_prints_types_the_way_they_are_written() {
        let ty: syn::Type =
            syn::parse_str("::std::option::Option<&'a ::std::string::String>").unwrap();
        assert_eq!(compact(&ty), "Option<&String>");
        let ty: syn::Type = syn::parse_str(
            "Result<ResponseValue<types::Initialize>, Error<::std::collections::HashMap<::std::string::String, ::serde_json::Value>>>",
        )
        .unwrap();
        assert_eq!(
            compact(&ty),
            "Result<ResponseValue<types::Initialize>, Error<HashMap<String, serde_json::Value>>>"
        );
        let path: syn::Path = syn::parse_str("::std::option::Option::is_none").unwrap();
        assert_eq!(compact(&path), "Option::is_none");
        let ty: syn::Type = syn::parse_str("::std::borrow::Cow<'static, str>").unwrap();
        assert_eq!(compact(&ty), "Cow<'static, str>");
    }

    #[test]
    fn render_covers_operations_fields_variants_and_newtypes() {
        let source = r#"
            pub mod types {
                #[derive(::serde::Serialize, Clone, Debug)]
                pub struct Thing {
                    #[serde(rename = "someField")]
                    pub some_field: ::std::option::Option<i64>,
                    hidden: bool,
                }
                #[derive(Clone)]
                pub enum Kind {
                    #[serde(rename = "A")]
                    A,
                    #[serde(untagged)]
                    Unknown(::std::string::String),
                }
                #[serde(transparent)]
                pub struct Ids(pub ::std::vec::Vec<::std::string::String>);
                impl ::std::fmt::Display for Kind {}
                pub(super) fn internal_default() {}
            }
            pub struct Client { pub(crate) baseurl: String }
            impl Client {
                /**Get a thing

Sends a `GET` request to `/things/{id}`*/
                pub async fn get_thing<'a>(&'a self, id: &'a str, limit: Option<u64>)
                    -> Result<ResponseValue<types::Thing>, Error<()>> { unreachable!() }
                fn helper(&self) {}
            }
        "#;
        let text = render(source).unwrap();
        for expected in [
            "struct Client (has private fields)\n",
            "  async fn Client::get_thing(&self, id: &str, limit: Option<u64>) -> Result<ResponseValue<types::Thing>, Error<()>>  [GET /things/{id}]\n",
            "struct types::Thing (has private fields)  #[derive(Clone, Debug, Serialize)]\n",
            "  types::Thing.some_field: Option<i64>  #[serde(rename = \"someField\")]\n",
            "enum types::Kind  #[derive(Clone)]\n",
            "  types::Kind::A  #[serde(rename = \"A\")]\n  types::Kind::Unknown(String)  #[serde(untagged)]\n",
            "  impl Display for Kind\n",
            "newtype types::Ids(pub Vec<String>)  #[serde(transparent)]\n",
            "mod types\n",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
        assert!(!text.contains("helper"), "{text}");
        assert!(!text.contains("internal_default"), "{text}");
        assert!(!text.contains("baseurl"), "{text}");
    }

    #[test]
    fn members_keep_what_the_api_is_apart_from_attributes_and_endpoints() {
        let source = r#"
            #[derive(Clone, Debug)]
            #[non_exhaustive]
            pub struct Thing {
                #[serde(rename = "a")]
                pub a: ::std::string::String,
            }
            pub struct Client;
            impl Client {
                /// Sends a `GET` request to `/x`
                #[cfg(feature = "x")]
                pub fn get_x(&self) -> u8 { 0 }
            }
        "#;
        let surface = Surface::parse(source).unwrap();
        let thing = &surface.blocks[&(Section::Type, "Thing".to_owned())];
        assert!(thing.non_exhaustive);
        assert_eq!(
            thing.derives,
            BTreeSet::from(["Clone".to_owned(), "Debug".to_owned()])
        );
        assert_eq!(
            thing.shape,
            Shape::Struct {
                private_fields: false
            }
        );
        assert_eq!(thing.members[0].key, "Thing.a");
        assert_eq!(thing.members[0].api, "String");
        assert_eq!(thing.members[0].detail, "  #[serde(rename = \"a\")]");
        let client = &surface.blocks[&(Section::Client, "Client".to_owned())];
        assert_eq!(client.members[0].key, "Client::get_x");
        assert_eq!(
            client.members[0].api,
            "fn Client::get_x(&self) -> u8  #[cfg(feature = \"x\")]"
        );
        assert_eq!(client.members[0].detail, "GET /x");
        assert_eq!(
            client.members[0].line,
            "fn Client::get_x(&self) -> u8  [GET /x]"
        );
    }
}
