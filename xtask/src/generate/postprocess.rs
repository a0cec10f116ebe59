//! Rewrites of progenitor's output that no generation setting offers, applied to the parsed
//! module before formatting:
//!
//! * open enums: every string enum gets an `Unknown(String)` variant that catches (and
//!   re-serialises) values this version does not know, so that a new `tokenActivationStatus`
//!   or `billing_source` does not fail a whole response;
//! * `schemars::JsonSchema` is derived on every type behind the `schemars` feature;
//! * every struct with named fields and every enum is `#[non_exhaustive]`: a field or a value
//!   the spec adds is then a minor change for dependents (no literal or exhaustive `match` of
//!   theirs can break); structs are built with their builders (`types::Thing::builder()`);
//! * code blocks in doc comments (upstream descriptions show CLI commands and JSON) are
//!   marked `text`, so that rustdoc neither tests nor highlights them as Rust; the
//!   documentation portal's markup (`<<LB>>` breaks, `(ref:operation)` links) becomes text;
//! * tolerant scalars: every string, integer, float and boolean field (and their `Option`s) of
//!   a generated struct decodes through `crate::lenient::de`, so a number sent where the spec
//!   documents a string (or the reverse) is kept instead of failing the whole response;
//! * tolerant newtypes: a constrained string newtype checks its constraints when built, not
//!   when decoded from a response;
//! * one request path: every operation method hands its built request to `crate::send`
//!   (sign, `crate::execute`, observe) in one call, instead of progenitor's five hook steps:
//!   the same behaviour, and each method's future has one await point fewer than four, which
//!   is most of what the whole Linode API costs the type checker; the client's `ClientHooks`
//!   impl executes through `crate::execute` too.

use anyhow::Context as _;

use super::signature::{answer_types, is_client};
use quote::quote;
use syn::visit_mut::VisitMut;
use syn::{parse_quote, Arm, Attribute, Item, ItemEnum, ItemImpl, Pat};

pub(crate) fn apply(mut file: syn::File) -> anyhow::Result<syn::File> {
    DocFences.visit_file_mut(&mut file);
    for item in &mut file.items {
        match item {
            Item::Mod(module) if module.ident == "types" => {
                if let Some((_, items)) = &mut module.content {
                    rewrite_types(items);
                }
            }
            Item::Impl(imp) if is_client_hooks_impl(imp) => {
                *imp = parse_quote! {
                    impl ClientHooks<crate::Signer> for &Client {
                        async fn exec(
                            &self,
                            request: reqwest::Request,
                            _info: &OperationInfo,
                        ) -> reqwest::Result<reqwest::Response> {
                            crate::execute(&self.client, request).await
                        }
                    }
                };
            }
            Item::Impl(imp) if imp.trait_.is_none() && is_client(&imp.self_ty) => {
                for member in &mut imp.items {
                    if let syn::ImplItem::Fn(f) = member {
                        if f.sig.asyncness.is_some() {
                            one_send(f).with_context(|| format!("in `{}`", f.sig.ident))?;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(file)
}

/// The hook steps progenitor writes between building a request and reading its response, in
/// order (token text prefixes).
const HOOK_STEPS: [&str; 7] = [
    "let info = OperationInfo",
    "match (crate :: sign_request) (& self . inner , & mut request) . await",
    "self . pre (& mut request , & info) . await ?",
    "let result = self . exec (request , & info) . await",
    "self . post (& result , & info) . await ?",
    "(crate :: observe_response) (& self . inner , & result)",
    "let response = result ?",
];

/// Replaces an operation method's hook steps with one `crate::send`; fails when progenitor's
/// output no longer has them, so a progenitor update cannot silently bypass the runtime's path.
fn one_send(f: &mut syn::ImplItemFn) -> anyhow::Result<()> {
    let (_, error) = answer_types(f)?;
    let stmts = &mut f.block.stmts;
    let text: Vec<String> = stmts.iter().map(|s| quote!(#s).to_string()).collect();
    let Some(start) = text.iter().position(|t| t.starts_with(HOOK_STEPS[0])) else {
        anyhow::bail!("no `OperationInfo` statement: progenitor's method shape changed");
    };
    for (offset, step) in HOOK_STEPS.iter().enumerate() {
        if !text
            .get(start + offset)
            .is_some_and(|t| t.starts_with(step))
        {
            anyhow::bail!(
                "expected `{step}` among the hook steps: progenitor's method shape changed"
            );
        }
    }
    stmts.splice(
        start..start + HOOK_STEPS.len(),
        [parse_quote! {
            let response = crate::send::<#error>(&self.inner, &self.client, request).await?;
        }],
    );
    Ok(())
}

/// The empty `impl ClientHooks<crate::Signer> for &Client {}` progenitor writes.
fn is_client_hooks_impl(imp: &ItemImpl) -> bool {
    imp.trait_.as_ref().is_some_and(|(_, path, _)| {
        path.segments
            .last()
            .is_some_and(|s| s.ident == "ClientHooks")
    }) && imp.items.is_empty()
}

/// The scalar field types that decode leniently (see `generated/src/lenient.rs`).
const LENIENT_SCALARS: &[&str] = &[
    "::std::string::String",
    "String",
    "i64",
    "i32",
    "u64",
    "u32",
    "f64",
    "f32",
    "bool",
];

/// `Some(true)` for `Option<scalar>`, `Some(false)` for a scalar, `None` otherwise.
fn lenient_kind(ty: &syn::Type) -> Option<bool> {
    let text = quote!(#ty).to_string().replace(' ', "");
    let inner = text
        .strip_prefix("::std::option::Option<")
        .or_else(|| text.strip_prefix("Option<"))
        .and_then(|t| t.strip_suffix('>'));
    match inner {
        Some(inner) if LENIENT_SCALARS.contains(&inner) => Some(true),
        Some(_) => None,
        None if LENIENT_SCALARS.contains(&text.as_str()) => Some(false),
        None => None,
    }
}

/// Routes the scalar fields of a struct through `crate::lenient::de`. An optional field also
/// gets `default` (with `deserialize_with`, serde no longer treats a missing `Option` field as
/// `None` by itself), unless typify made it required-but-nullable: then its own
/// `deserialize_with = "Option::deserialize"` is replaced and the field stays required.
fn lenient_fields(s: &mut syn::ItemStruct) {
    let syn::Fields::Named(fields) = &mut s.fields else {
        return;
    };
    for field in &mut fields.named {
        let Some(optional) = lenient_kind(&field.ty) else {
            continue;
        };
        let serde_attrs: Vec<String> = field
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("serde"))
            .map(|a| quote!(#a).to_string().replace(' ', ""))
            .collect();
        if serde_attrs
            .iter()
            .any(|a| a.contains("with=") && !a.contains("Option::deserialize"))
        {
            continue;
        }
        let required_nullable = serde_attrs
            .iter()
            .any(|a| a.contains("deserialize_with=\"::std::option::Option::deserialize\""));
        if required_nullable {
            field.attrs.retain(|a| {
                !(a.path().is_ident("serde")
                    && quote!(#a)
                        .to_string()
                        .replace(' ', "")
                        .contains("Option::deserialize"))
            });
        }
        let has_default = serde_attrs.iter().any(|a| a.contains("default"));
        if optional && !required_nullable && !has_default {
            field
                .attrs
                .push(parse_quote!(#[serde(default, deserialize_with = "crate::lenient::de")]));
        } else {
            field
                .attrs
                .push(parse_quote!(#[serde(deserialize_with = "crate::lenient::de")]));
        }
    }
}

fn derives_deserialize(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .any(|a| a.path().is_ident("derive") && quote!(#a).to_string().contains("Deserialize"))
}

fn rewrite_types(items: &mut [Item]) {
    let open: Vec<(String, syn::Ident)> = items
        .iter_mut()
        .filter_map(|item| match item {
            Item::Enum(e) if is_string_enum(e) => {
                let variant = open_enum(e);
                Some((e.ident.to_string(), variant))
            }
            _ => None,
        })
        .collect();
    for item in items.iter_mut() {
        match item {
            Item::Struct(s) => {
                if derives_deserialize(&s.attrs) {
                    lenient_fields(s);
                }
                s.attrs.push(schemars_attr());
                if matches!(s.fields, syn::Fields::Named(_)) {
                    s.attrs.push(parse_quote!(#[non_exhaustive]));
                }
            }
            Item::Enum(e) => {
                e.attrs.push(schemars_attr());
                e.attrs.push(parse_quote!(#[non_exhaustive]));
            }
            Item::Impl(imp) => {
                let ty = &imp.self_ty;
                let name = quote!(#ty).to_string();
                if let Some((_, variant)) = open.iter().find(|(n, _)| *n == name) {
                    open_impl(imp, variant);
                }
                tolerant_newtype_decoding(imp);
            }
            _ => {}
        }
    }
}

/// A constrained string newtype (a `maxLength` or `pattern` on a schema that requests use too:
/// `AccountCompany`) checks its constraints when a caller builds it (`FromStr`, `TryFrom`),
/// but not when a response is decoded into it: typify's `Deserialize` impl parses through the
/// checks; it is replaced by a lenient read of the text (a number sent for it keeps its text,
/// as every response scalar does). Strict requests, tolerant responses.
fn tolerant_newtype_decoding(imp: &mut ItemImpl) {
    let is_deserialize = imp.trait_.as_ref().is_some_and(|(_, path, _)| {
        path.segments
            .last()
            .is_some_and(|s| s.ident == "Deserialize")
    });
    if !is_deserialize {
        return;
    }
    for member in &mut imp.items {
        let syn::ImplItem::Fn(f) = member else {
            continue;
        };
        let body = quote!(#f).to_string().replace(' ', "");
        if f.sig.ident == "deserialize"
            && body.contains("::std::string::String::deserialize(deserializer)?.parse()")
        {
            f.block = parse_quote!({
                ::std::result::Result::Ok(Self(crate::lenient::de::<D, ::std::string::String>(
                    deserializer,
                )?))
            });
        }
    }
}

fn schemars_attr() -> Attribute {
    parse_quote!(#[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))])
}

/// An enum whose variants are all unit variants renamed to their wire string, deriving
/// `Deserialize`: the shape typify gives a `type: string` + `enum` schema.
fn is_string_enum(e: &ItemEnum) -> bool {
    let derives_deserialize = e
        .attrs
        .iter()
        .any(|a| a.path().is_ident("derive") && quote!(#a).to_string().contains("Deserialize"));
    derives_deserialize
        && !e.variants.is_empty()
        && e.variants.iter().all(|v| {
            matches!(v.fields, syn::Fields::Unit)
                && v.attrs.iter().any(|a| {
                    a.path().is_ident("serde") && quote!(#a).to_string().contains("rename")
                })
        })
}

/// Adds the catch-all variant and returns its name: `Unknown`, or `UnknownValue` (then
/// `UnknownValue1`, ...) where the spec already has a value of that name.
fn open_enum(e: &mut ItemEnum) -> syn::Ident {
    for attr in &mut e.attrs {
        if attr.path().is_ident("derive") {
            let kept: Vec<syn::Path> = attr
                .parse_args_with(
                    syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
                )
                .map(|list| list.into_iter().filter(|p| !p.is_ident("Copy")).collect())
                .unwrap_or_default();
            if !kept.is_empty() {
                *attr = parse_quote!(#[derive(#(#kept),*)]);
            }
        }
    }
    let taken = |name: &str| e.variants.iter().any(|v| v.ident == name);
    let name = std::iter::once("Unknown".to_owned())
        .chain((0..).map(|n| {
            format!(
                "UnknownValue{}",
                if n == 0 { String::new() } else { n.to_string() }
            )
        }))
        .find(|n| !taken(n))
        .unwrap_or_default();
    let variant = syn::Ident::new(&name, proc_macro2::Span::call_site());
    e.variants.push(parse_quote! {
        /// A value this version of the SDK does not know, kept as sent.
        #[serde(untagged)]
        #variant(::std::string::String)
    });
    variant
}

/// Teaches the enum's `Display` and `FromStr` impls about the catch-all variant.
fn open_impl(imp: &mut ItemImpl, variant: &syn::Ident) {
    let Some((_, trait_path, _)) = &imp.trait_ else {
        return;
    };
    let last = trait_path.segments.last().map(|s| s.ident.to_string());
    match last.as_deref() {
        Some("Display") => AddArm(parse_quote!(Self::#variant(ref value) => f.write_str(value),))
            .visit_item_impl_mut(imp),
        Some("FromStr") => {
            ReplaceWildcard(parse_quote!(_ => Ok(Self::#variant(value.to_owned())),))
                .visit_item_impl_mut(imp)
        }
        _ => {}
    }
}

struct DocFences;

impl VisitMut for DocFences {
    fn visit_attribute_mut(&mut self, attr: &mut Attribute) {
        if !attr.path().is_ident("doc") {
            return;
        }
        if let syn::Meta::NameValue(nv) = &mut attr.meta {
            if let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) = &mut nv.value
            {
                let fixed = text_fences(&portal_markup(&text.value()));
                *text = syn::LitStr::new(&fixed, text.span());
            }
        }
    }
}

/// Drops the portal's `<<LB>>` line breaks and turns `[text](ref:target)` links, which
/// point into the portal, into their text.
fn portal_markup(doc: &str) -> String {
    let lines: Vec<&str> = doc.split('\n').filter(|l| l.trim() != "<<LB>>").collect();
    let mut out = lines.join("\n");
    while let Some(start) = out.find("](ref:") {
        let Some(open) = out[..start].rfind('[') else {
            break;
        };
        let Some(close) = out[start..].find(')') else {
            break;
        };
        let text = out[open + 1..start].to_owned();
        out.replace_range(open..start + close + 1, &text);
    }
    out
}

/// Marks every fenced code block's opening fence as `text`.
fn text_fences(doc: &str) -> String {
    let mut inside = false;
    let mut out: Vec<String> = Vec::new();
    for line in doc.split('\n') {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            if inside {
                inside = false;
                out.push(line.to_owned());
            } else {
                inside = true;
                let indent = &line[..line.len() - trimmed.len()];
                let label = info.trim();
                out.push(if label.is_empty() {
                    format!("{indent}```text")
                } else {
                    format!("{indent}```text ({label})")
                });
            }
        } else {
            out.push(line.to_owned());
        }
    }
    out.join("\n")
}

struct AddArm(Arm);

impl VisitMut for AddArm {
    fn visit_expr_match_mut(&mut self, m: &mut syn::ExprMatch) {
        if !m.arms.iter().any(|a| matches!(a.pat, Pat::Wild(_))) {
            m.arms.push(self.0.clone());
        }
    }
}

struct ReplaceWildcard(Arm);

impl VisitMut for ReplaceWildcard {
    fn visit_expr_match_mut(&mut self, m: &mut syn::ExprMatch) {
        for arm in &mut m.arms {
            if matches!(arm.pat, Pat::Wild(_)) {
                *arm = self.0.clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_without_progenitor_hook_steps_fails_generation() {
        // A progenitor release that sends differently must not bypass `crate::send` silently.
        let mut f: syn::ImplItemFn = parse_quote! {
            pub async fn get_thing<'a>(&'a self) -> Result<ResponseValue<types::Thing>, Error<()>> {
                let request = self.client.get("x").build()?;
                let response = self.client.execute(request).await?;
                ResponseValue::from_response(response).await
            }
        };
        let err = one_send(&mut f).unwrap_err();
        assert!(err.to_string().contains("method shape changed"), "{err}");
    }

    #[test]
    fn portal_markup_becomes_text() {
        assert_eq!(
            portal_markup(
                "The current [page](ref:pagination).\n\n<<LB>>\n\nMore [x](https://e.com)."
            ),
            "The current page.\n\n\nMore [x](https://e.com)."
        );
    }

    #[test]
    fn doc_code_blocks_become_text() {
        let doc = "Run:\n\n```Text CLI\nlinode-cli profile view\n```\n```\n{\"a\": 1}\n```";
        assert_eq!(
            text_fences(doc),
            "Run:\n\n```text (Text CLI)\nlinode-cli profile view\n```\n```text\n{\"a\": 1}\n```"
        );
    }

    #[test]
    fn string_enums_become_open_and_types_get_the_schemars_derive() {
        let file: syn::File = parse_quote! {
            pub mod types {
                #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Copy, Debug)]
                pub enum Status {
                    #[serde(rename = "DONE")]
                    Done,
                }
                impl ::std::fmt::Display for Status {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        match *self { Self::Done => f.write_str("DONE") }
                    }
                }
                impl ::std::str::FromStr for Status {
                    type Err = ();
                    fn from_str(value: &str) -> Result<Self, ()> {
                        match value { "DONE" => Ok(Self::Done), _ => Err(()) }
                    }
                }
                #[derive(::serde::Deserialize)]
                pub enum Tagged { A(u8) }
                #[derive(::serde::Deserialize)]
                pub enum Health {
                    #[serde(rename = "unknown")]
                    Unknown,
                }
                pub struct Plain {}
            }
        };
        let out = prettyplease::unparse(&apply(file).unwrap());
        assert!(out.contains("Unknown(::std::string::String)"), "{out}");
        assert!(out.contains("#[serde(untagged)]"), "{out}");
        assert!(!out.contains("Copy"), "{out}");
        assert!(
            out.contains("Self::Unknown(ref value) => f.write_str(value)"),
            "{out}"
        );
        assert!(
            out.contains("_ => Ok(Self::Unknown(value.to_owned()))"),
            "{out}"
        );
        assert_eq!(
            out.matches("Unknown(::std").count(),
            1,
            "tagged enums stay closed"
        );
        assert!(out.contains("UnknownValue(::std::string::String)"), "{out}");
        assert_eq!(out.matches("cfg_attr(feature = \"schemars\"").count(), 4);
        assert_eq!(
            out.matches("#[non_exhaustive]").count(),
            4,
            "every enum and struct with named fields: {out}"
        );
    }
}
