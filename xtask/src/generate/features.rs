//! Per-area cargo features: every operation that is not `core` is built only with its area's
//! feature (`linode-instances`, ...), and so is every generated type that only such operations
//! reach.
//!
//! A dependent that uses the child-account workflow compiles the core operations and the types
//! they need; the compiler drops the rest right after parsing. The rules:
//!
//! * a method of `Client` and its typed call carry `#[cfg(feature = "<its feature>")]`;
//! * a type reached (through fields and variants) from a core operation's signature has no
//!   `cfg`; a type reached only from gated operations has `#[cfg(any(feature = ...))]` of
//!   their features; a type no operation reaches is built with `<api>-all` only;
//! * an `impl` block or a `defaults` function has the `cfg` of every gated type it names
//!   (`all(...)` when it names several);
//! * a type's builder (`types::builder::Thing`) has its type's `cfg`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use proc_macro2::TokenStream;
use quote::quote;
use syn::visit::Visit;
use syn::{parse_quote, Attribute, ImplItem, Item};

use super::operations::Row;

/// When a type (or an item naming types) is built: `None` always, `Some(features)` when any of
/// them is enabled.
type Gate = Option<BTreeSet<String>>;

/// The identifiers an item names in type positions (`types::Foo`, `super::Bar`, `Vec<Baz>`);
/// paths of values (`Self::Linode`, a variant) are not types and do not count.
#[derive(Default)]
struct Idents(BTreeSet<String>);

impl<'ast> Visit<'ast> for Idents {
    fn visit_type_path(&mut self, path: &'ast syn::TypePath) {
        for segment in &path.path.segments {
            self.0.insert(segment.ident.to_string());
        }
        syn::visit::visit_type_path(self, path);
    }
}

/// The types an impl block is about: its self type and its trait's type arguments (its body
/// only uses them).
fn impl_header_idents(imp: &syn::ItemImpl) -> BTreeSet<String> {
    idents_of(|v| {
        v.visit_type(&imp.self_ty);
        if let Some((_, path, _)) = &imp.trait_ {
            v.visit_path(path);
        }
    })
}

fn idents_of(visit: impl FnOnce(&mut Idents)) -> BTreeSet<String> {
    let mut idents = Idents::default();
    visit(&mut idents);
    idents.0
}

/// The `cfg` attribute for one gate (`None` when the item is always built).
fn cfg_attr(gate: &BTreeSet<String>) -> Attribute {
    let features: Vec<TokenStream> = gate.iter().map(|f| quote!(feature = #f)).collect();
    match features.as_slice() {
        [one] => parse_quote!(#[cfg(#one)]),
        _ => parse_quote!(#[cfg(any(#(#features),*))]),
    }
}

/// The `cfg` attribute of an item that names the types `names`: every gated one must be built.
fn cfg_for_names(names: &BTreeSet<String>, gates: &BTreeMap<String, Gate>) -> Option<Attribute> {
    let needed: BTreeSet<&BTreeSet<String>> = names
        .iter()
        .filter_map(|n| gates.get(n))
        .filter_map(Option::as_ref)
        .collect();
    let parts: Vec<TokenStream> = needed
        .iter()
        .map(|gate| {
            let features: Vec<TokenStream> = gate.iter().map(|f| quote!(feature = #f)).collect();
            match features.as_slice() {
                [one] => one.clone(),
                _ => quote!(any(#(#features),*)),
            }
        })
        .collect();
    match parts.as_slice() {
        [] => None,
        [one] => Some(parse_quote!(#[cfg(#one)])),
        _ => Some(parse_quote!(#[cfg(all(#(#parts),*))])),
    }
}

/// The gate of each type of the `types` module, from the operations that reach it.
fn type_gates(
    types: &[Item],
    roots: &[(BTreeSet<String>, Option<String>)],
    all_feature: &str,
) -> BTreeMap<String, Gate> {
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in types {
        let (name, mentioned) = match item {
            Item::Struct(s) => (s.ident.to_string(), idents_of(|v| v.visit_item_struct(s))),
            Item::Enum(e) => (e.ident.to_string(), idents_of(|v| v.visit_item_enum(e))),
            Item::Type(t) => (t.ident.to_string(), idents_of(|v| v.visit_item_type(t))),
            _ => continue,
        };
        deps.insert(name, mentioned);
    }
    let names: BTreeSet<String> = deps.keys().cloned().collect();
    // For each type: whether a core operation reaches it, and which features do.
    let mut core = BTreeSet::new();
    let mut reached: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (mentioned, feature) in roots {
        let mut queue: VecDeque<String> = mentioned.intersection(&names).cloned().collect();
        let mut seen = BTreeSet::new();
        while let Some(name) = queue.pop_front() {
            if !seen.insert(name.clone()) {
                continue;
            }
            for next in deps[&name].intersection(&names) {
                queue.push_back(next.clone());
            }
        }
        for name in seen {
            match feature {
                None => {
                    core.insert(name);
                }
                Some(f) => {
                    reached.entry(name).or_default().insert(f.clone());
                }
            }
        }
    }
    names
        .into_iter()
        .map(|name| {
            let gate = if core.contains(&name) {
                None
            } else {
                Some(
                    reached
                        .remove(&name)
                        .unwrap_or_else(|| BTreeSet::from([all_feature.to_owned()])),
                )
            };
            (name, gate)
        })
        .collect()
}

/// Gates the methods of `Client`, the typed calls, the `Paginated` impls and the types of a
/// generated module. `rows` are the module's operation table.
pub(crate) fn gate(file: &mut syn::File, rows: &[Row], all_feature: &str) {
    let feature_of: BTreeMap<&str, Option<&String>> = rows
        .iter()
        .map(|r| (r.method_name.as_str(), r.feature.as_ref()))
        .collect();
    if feature_of.values().all(Option::is_none) {
        return;
    }
    // The roots: what each operation's method names (signature and body).
    let mut roots = Vec::new();
    for item in &file.items {
        let Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() || !super::signature::is_client(&imp.self_ty) {
            continue;
        }
        for member in &imp.items {
            if let ImplItem::Fn(f) = member {
                if let Some(feature) = feature_of.get(f.sig.ident.to_string().as_str()) {
                    roots.push((idents_of(|v| v.visit_impl_item_fn(f)), feature.cloned()));
                }
            }
        }
    }
    let mut gates = BTreeMap::new();
    for item in &mut file.items {
        match item {
            Item::Mod(module) if module.ident == "types" => {
                let Some((_, items)) = &mut module.content else {
                    continue;
                };
                gates = type_gates(items, &roots, all_feature);
                gate_types(items, &gates);
            }
            Item::Impl(imp) if imp.trait_.is_none() => {
                for member in &mut imp.items {
                    if let ImplItem::Fn(f) = member {
                        let name = f.sig.ident.to_string();
                        let base = name.strip_suffix("_stream").unwrap_or(&name);
                        let feature = feature_of
                            .get(name.as_str())
                            .or_else(|| feature_of.get(base));
                        if let Some(Some(feature)) = feature {
                            f.attrs
                                .insert(0, cfg_attr(&BTreeSet::from([(*feature).clone()])));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    // Impls outside `types` that name generated types (`Paginated`).
    for item in &mut file.items {
        if let Item::Impl(imp) = item {
            if imp.trait_.is_some() {
                let names = impl_header_idents(imp);
                if let Some(attr) = cfg_for_names(&names, &gates) {
                    imp.attrs.insert(0, attr);
                }
            }
        }
    }
}

fn gate_types(items: &mut [Item], gates: &BTreeMap<String, Gate>) {
    for item in items {
        match item {
            Item::Struct(s) => {
                if let Some(Some(gate)) = gates.get(&s.ident.to_string()) {
                    s.attrs.insert(0, cfg_attr(gate));
                }
            }
            Item::Enum(e) => {
                if let Some(Some(gate)) = gates.get(&e.ident.to_string()) {
                    e.attrs.insert(0, cfg_attr(gate));
                }
            }
            Item::Type(t) => {
                if let Some(Some(gate)) = gates.get(&t.ident.to_string()) {
                    t.attrs.insert(0, cfg_attr(gate));
                }
            }
            Item::Impl(imp) => {
                let names = impl_header_idents(imp);
                if let Some(attr) = cfg_for_names(&names, gates) {
                    imp.attrs.insert(0, attr);
                }
            }
            // A builder has its type's name: `gates` applies as it is.
            Item::Mod(module) if module.ident == "builder" => {
                if let Some((_, items)) = &mut module.content {
                    gate_types(items, gates);
                }
            }
            Item::Mod(module) if module.ident == "defaults" => {
                if let Some((_, items)) = &mut module.content {
                    for item in items {
                        if let Item::Fn(f) = item {
                            let names = idents_of(|v| v.visit_item_fn(f));
                            if let Some(attr) = cfg_for_names(&names, gates) {
                                f.attrs.insert(0, attr);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// The features of a module's operations, sorted: `(feature, tag)`.
pub(crate) fn features(rows: &[Row]) -> BTreeMap<String, String> {
    rows.iter()
        .filter_map(|r| r.feature.clone().map(|f| (f, r.tag.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(method_name: &str, feature: Option<&str>) -> Row {
        Row {
            id: method_name.replace('_', "-"),
            method_name: method_name.to_owned(),
            method: "GET".into(),
            path: "/x".into(),
            idempotent: true,
            bodiless: Vec::new(),
            empty_details: Vec::new(),
            paginated: false,
            tag: "T".into(),
            feature: feature.map(str::to_owned),
        }
    }

    #[test]
    fn types_take_the_features_of_the_operations_that_reach_them() {
        let mut file: syn::File = parse_quote! {
            pub mod types {
                pub struct Shared { pub a: Leaf }
                pub struct Leaf(pub String);
                pub struct OnlyVolumes { pub s: Shared }
                pub struct Both { pub x: u8 }
                pub struct Orphan;
                impl From<&Both> for Both { fn from(b: &Both) -> Self { Both { x: b.x } } }
                impl From<Orphan> for Leaf { fn from(_: Orphan) -> Self { Leaf(String::new()) } }
                pub mod builder {
                    pub struct OnlyVolumes { s: Result<super::Shared, String> }
                    impl TryFrom<OnlyVolumes> for super::OnlyVolumes {
                        type Error = String;
                        fn try_from(b: OnlyVolumes) -> Result<Self, String> { Ok(Self { s: b.s? }) }
                    }
                    pub struct Shared { a: Result<super::Leaf, String> }
                }
                pub mod defaults {
                    pub(super) fn orphan() -> super::Orphan { super::Orphan }
                    pub(super) fn plain() -> u8 { 1 }
                }
            }
            pub struct Client;
            impl Client {
                pub async fn get_core(&self) -> Option<types::Shared> { None }
                pub async fn get_volumes(&self) -> Option<types::OnlyVolumes> { None }
                pub async fn get_both(&self, b: &types::Both) { }
                pub async fn get_both_stream(&self) { }
                pub async fn get_instances(&self, b: &types::Both) { }
            }
        };
        let rows = [
            row("get_core", None),
            row("get_volumes", Some("x-volumes")),
            row("get_both", Some("x-volumes")),
            row("get_instances", Some("x-instances")),
        ];
        gate(&mut file, &rows, "x-all");
        let text = prettyplease::unparse(&file);
        let before_in = |text: &str, needle: &str| {
            let at = text
                .find(needle)
                .unwrap_or_else(|| panic!("{needle} in {text}"));
            text[..at]
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or_default()
                .trim()
                .to_owned()
        };
        let before = |needle: &str| before_in(&text, needle);
        let builders = &text[text.find("pub mod builder").expect("the builder module")..];
        assert!(!before("pub struct Shared").starts_with("#[cfg"));
        assert!(!before("pub struct Leaf").starts_with("#[cfg"));
        assert_eq!(
            before("pub struct OnlyVolumes"),
            "#[cfg(feature = \"x-volumes\")]"
        );
        assert_eq!(
            before("pub struct Both"),
            "#[cfg(any(feature = \"x-instances\", feature = \"x-volumes\"))]"
        );
        assert_eq!(before("pub struct Orphan"), "#[cfg(feature = \"x-all\")]");
        assert_eq!(
            before("impl From<&Both> for Both"),
            "#[cfg(any(feature = \"x-instances\", feature = \"x-volumes\"))]"
        );
        assert_eq!(
            before("impl From<Orphan> for Leaf"),
            "#[cfg(feature = \"x-all\")]"
        );
        assert_eq!(
            before_in(builders, "pub struct OnlyVolumes"),
            "#[cfg(feature = \"x-volumes\")]",
            "a builder has its type's gate"
        );
        assert_eq!(
            before_in(builders, "impl TryFrom<OnlyVolumes> for super::OnlyVolumes"),
            "#[cfg(feature = \"x-volumes\")]"
        );
        assert!(!before_in(builders, "pub struct Shared").starts_with("#[cfg"));
        assert_eq!(
            before("pub(super) fn orphan"),
            "#[cfg(feature = \"x-all\")]"
        );
        assert!(!before("pub(super) fn plain").starts_with("#[cfg"));
        assert!(!before("pub async fn get_core").starts_with("#[cfg"));
        assert_eq!(
            before("pub async fn get_volumes"),
            "#[cfg(feature = \"x-volumes\")]"
        );
        assert_eq!(
            before("pub async fn get_both_stream"),
            "#[cfg(feature = \"x-volumes\")]"
        );
        let features = features(&rows);
        assert_eq!(
            features.keys().collect::<Vec<_>>(),
            ["x-instances", "x-volumes"]
        );
    }
}
