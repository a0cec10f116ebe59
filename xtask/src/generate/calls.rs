//! Typed calls: for every operation, a method of `Calls<R>` that runs the generated method
//! through a `crate::Runner` (the SDK's clients), with the operation's table entry, so that a
//! caller names an operation once and its facts cannot come apart from its call. A paginated
//! list also gets `<method>_stream`, every item of every page.
//!
//! The methods are written from the signatures progenitor gave the `Client` methods:
//!
//! * the same parameters, except that a body of any type `B: Into<reqwest::Body>` becomes
//!   `bytes::Bytes` (an attempt may be repeated, so the body must be cloneable);
//! * the runner entry follows the answer: `call` for a JSON value, `call_optional` when the
//!   table documents a bodiless success or an empty-collection 404 (the value is an `Option`),
//!   `call_bytes` for a raw body, `call_untyped_error` when the error body is untyped;
//! * `<method>_stream` takes every parameter but `page`, owned, and streams the items.

use anyhow::{bail, Context, Result};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{FnArg, ImplItem, ImplItemFn, Item, Pat, Type};

use super::operations::Row;
use super::signature::{answer_types, generic_args, is_client};

fn is_named(ty: &Type, name: &str) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == name))
}

fn text(ty: &Type) -> String {
    quote!(#ty).to_string().replace(' ', "")
}

/// One parameter of an operation's method.
struct Param {
    name: syn::Ident,
    ty: Type,
}

/// How a stream owns a borrowed parameter: the owned type, how to make it, how to lend it.
fn owned(param: &Param) -> (TokenStream, TokenStream, TokenStream) {
    let name = &param.name;
    let ty = &param.ty;
    let t = text(ty);
    if t == "&'astr" {
        return (quote!(String), quote!(#name.to_owned()), quote!(&#name));
    }
    if t == "Option<&'astr>" {
        return (
            quote!(Option<String>),
            quote!(#name.map(ToOwned::to_owned)),
            quote!(#name.as_deref()),
        );
    }
    if let Type::Reference(r) = ty {
        let inner = &r.elem;
        return (quote!(#inner), quote!(#name.clone()), quote!(&#name));
    }
    (quote!(#ty), quote!(#name), quote!(#name))
}

/// The doc summary of a generated method: its first paragraph.
fn summary(f: &ImplItemFn) -> String {
    let doc = xtask::surface::doc_text(&f.attrs);
    doc.trim()
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// The typed calls of one module: the `Calls` struct and one method per row (plus the
/// streams of the paginated ones).
pub(crate) fn calls(file: &syn::File, rows: &[Row]) -> Result<Vec<Item>> {
    let methods: Vec<&ImplItemFn> = file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Impl(imp) if imp.trait_.is_none() && is_client(&imp.self_ty) => Some(imp),
            _ => None,
        })
        .flat_map(|imp| imp.items.iter())
        .filter_map(|i| match i {
            ImplItem::Fn(f) if f.sig.asyncness.is_some() => Some(f),
            _ => None,
        })
        .collect();
    let mut members = Vec::new();
    let mut arms = Vec::new();
    for row in rows {
        let f = methods
            .iter()
            .find(|f| f.sig.ident == row.method_name)
            .with_context(|| format!("no generated method {}", row.method_name))?;
        members.extend(call(row, f).with_context(|| format!("typed call of {}", row.id))?);
        let (value, _) = answer_types(f)?;
        let id = &row.id;
        let cfg = row.feature.as_ref().map(|f| quote!(#[cfg(feature = #f)]));
        let decode = if is_named(&value, "ByteStream") || text(&value) == "()" {
            quote!(::std::result::Result::Ok(()))
        } else {
            quote!(serde_json::from_slice::<#value>(body).map(drop))
        };
        arms.push(quote!(#cfg #id => Some(#decode),));
    }
    let decode_item: Item = syn::parse2(quote! {
        /// Decodes `body` as the success answer of the operation `operation_id` (its id in the
        /// spec), as its typed call does; `None` for an operation this build does not have.
        /// For contract tests that check every operation against the spec's examples.
        /// (Generic in `body`, so that a build that never calls it does not compile a decoder
        /// for every answer type.)
        #[doc(hidden)]
        pub fn decode_answer(operation_id: &str, body: impl AsRef<[u8]>) -> Option<Result<(), serde_json::Error>> {
            let body = body.as_ref();
            match operation_id {
                #(#arms)*
                _ => None,
            }
        }
    })?;
    let struct_item: Item = syn::parse2(quote! {
        /// Every operation of this API as a typed call, run by a [`crate::Runner`]: one of the
        /// SDK's clients, which brings authentication, retries, the per-call deadline, typed
        /// errors and tracing. Each method names its operation's entry of [`operations`], so
        /// the facts the runner acts on (idempotency, bodiless statuses, pagination) are
        /// those of the call being made. A paginated list also has `<method>_stream`: every
        /// item of every page, the next page requested while the current one is read.
        ///
        /// Operations outside the `core` of `specs/sources.toml` are built with their area's
        /// cargo feature (see [`crate::Operation::feature`]).
        pub struct Calls<'r, R: ?Sized>(&'r R);
    })?;
    let impl_new: Item = syn::parse2(quote! {
        impl<'r, R: ?Sized> Calls<'r, R> {
            /// The calls of `runner`.
            pub fn new(runner: &'r R) -> Self {
                Self(runner)
            }
        }
    })?;
    let impl_debug: Item = syn::parse2(quote! {
        impl<R: ?Sized> ::std::fmt::Debug for Calls<'_, R> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str("Calls")
            }
        }
    })?;
    let impl_calls: Item = syn::parse2(quote! {
        impl<'r, R: crate::Runner<Client> + ?Sized> Calls<'r, R> {
            #(#members)*
        }
    })?;
    Ok(vec![
        struct_item,
        impl_new,
        impl_debug,
        impl_calls,
        decode_item,
    ])
}

fn call(row: &Row, f: &ImplItemFn) -> Result<Vec<TokenStream>> {
    let (value, error) = answer_types(f)?;
    let mut params = Vec::new();
    let mut body_generic = None;
    for generic in &f.sig.generics.params {
        if let syn::GenericParam::Type(t) = generic {
            body_generic = Some(t.ident.clone());
        }
    }
    for input in f.sig.inputs.iter().skip(1) {
        let FnArg::Typed(pt) = input else { continue };
        let Pat::Ident(id) = &*pt.pat else {
            bail!("a parameter that is not a name");
        };
        let mut ty = (*pt.ty).clone();
        if body_generic
            .as_ref()
            .is_some_and(|g| matches!(&ty, Type::Path(p) if p.path.is_ident(g)))
        {
            ty = syn::parse_quote!(::bytes::Bytes);
        }
        params.push(Param {
            name: id.ident.clone(),
            ty,
        });
    }
    let name = &f.sig.ident;
    let konst = format_ident!(
        "{}",
        heck::ToShoutySnakeCase::to_shouty_snake_case(name.to_string().as_str())
    );
    let summary = summary(f);
    let doc = format!(
        " {}\n\n `{} {}` ([`operations::{konst}`]), through the runner: see [`Client::{name}`] for the parameters.",
        if summary.is_empty() { row.id.clone() } else { summary.replace('\n', " ") },
        row.method,
        row.path,
    );
    let names: Vec<&syn::Ident> = params.iter().map(|p| &p.name).collect();
    let decls = params.iter().map(|p| {
        let (n, t) = (&p.name, &p.ty);
        quote!(#n: #t)
    });
    let optional = !row.bodiless.is_empty() || !row.empty_details.is_empty();
    let raw_value = is_named(&value, "ByteStream");
    let raw_error = is_named(&error, "ByteStream");
    let (entry, output) = match (raw_value, raw_error, optional) {
        (false, false, false) => (quote!(call), quote!(#value)),
        (false, false, true) => (quote!(call_optional), quote!(Option<#value>)),
        (true, false, false) => (quote!(call_bytes), quote!(crate::RawBody)),
        (false, true, false) => (quote!(call_untyped_error), quote!(#value)),
        _ => bail!("no runner entry for this answer (raw body, untyped error, optional)"),
    };
    let mut out = vec![quote! {
        #[doc = #doc]
        pub fn #name<'a>(&'a self, #(#decls),*) -> impl ::std::future::Future<Output = Result<#output, R::Error>> + 'a {
            self.0
                .#entry(&operations::#konst, move |client: Client| {
                    #(let #names = ::std::clone::Clone::clone(&#names);)*
                    async move { client.#name(#(#names),*).await }
                })
        }
    }];
    let page = params.iter().position(|p| p.name == "page");
    if row.paginated && !raw_value && !raw_error {
        let Some(page) = page else {
            bail!("paginated, but no `page` parameter");
        };
        let page_arg = match text(&params[page].ty).as_str() {
            "Option<::std::num::NonZeroU64>" => quote!(Some(page)),
            "Option<i64>" => quote!(Some(i64::try_from(page.get()).unwrap_or(i64::MAX))),
            other => bail!("unexpected type of `page`: {other}"),
        };
        let stream = format_ident!("{name}_stream");
        let doc = format!(
            " Every item of every page of [`Calls::{name}`], the next page requested while the current one is read."
        );
        let rest: Vec<&Param> = params.iter().filter(|p| p.name != "page").collect();
        let decls = rest.iter().map(|p| {
            let (n, t) = (&p.name, &p.ty);
            quote!(#n: #t)
        });
        let owning = rest.iter().map(|p| {
            let n = &p.name;
            let (ty, make, _) = owned(p);
            quote!(let #n: #ty = #make;)
        });
        let cloning = rest.iter().map(|p| {
            let n = &p.name;
            quote!(let #n = ::std::clone::Clone::clone(&#n);)
        });
        let args = params.iter().map(|p| {
            if p.name == "page" {
                page_arg.clone()
            } else {
                owned(p).2
            }
        });
        out.push(quote! {
            #[doc = #doc]
            pub fn #stream<'a>(&'a self, #(#decls),*) -> crate::PageStream<<#value as crate::Paginated>::Item, R::Error> {
                #(#owning)*
                self.0.stream::<#value, _, _, _>(
                    &operations::#konst,
                    move |client: Client, page: ::std::num::NonZeroU64| {
                        #(#cloning)*
                        async move { client.#name(#(#args),*).await }
                    },
                )
            }
        });
    }
    Ok(out)
}

/// `impl crate::Paginated` for the answer of every paginated operation.
pub(crate) fn paginated_impls(file: &syn::File, rows: &[Row]) -> Result<Vec<Item>> {
    let mut seen = std::collections::BTreeSet::new();
    let mut impls = Vec::new();
    for item in &file.items {
        let Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() || !is_client(&imp.self_ty) {
            continue;
        }
        for member in &imp.items {
            let ImplItem::Fn(f) = member else { continue };
            if !rows
                .iter()
                .any(|r| r.paginated && f.sig.ident == r.method_name)
            {
                continue;
            }
            let (value, _) = answer_types(f)?;
            if is_named(&value, "ByteStream") || !seen.insert(text(&value)) {
                continue;
            }
            let item = data_item(file, &value)
                .with_context(|| format!("the page type of {}", f.sig.ident))?;
            impls.push(syn::parse2(quote! {
                impl crate::Paginated for #value {
                    type Item = #item;
                    fn into_page(self) -> crate::Page<Self::Item> {
                        crate::Page {
                            data: crate::paging::items(self.data),
                            page: crate::paging::count(self.page),
                            pages: crate::paging::count(self.pages),
                            results: crate::paging::count(self.results),
                        }
                    }
                }
            })?);
        }
    }
    Ok(impls)
}

/// The item type of the `data` field of the page struct `value` (`Vec<X>` or
/// `Option<Vec<X>>`).
fn data_item(file: &syn::File, value: &Type) -> Result<Type> {
    let name = match value {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
    .context("not a named type")?;
    let types = file
        .items
        .iter()
        .find_map(|item| match item {
            Item::Mod(m) if m.ident == "types" => m.content.as_ref().map(|(_, i)| i),
            _ => None,
        })
        .context("no types module")?;
    let fields = types
        .iter()
        .find_map(|item| match item {
            Item::Struct(s) if s.ident == name => Some(&s.fields),
            _ => None,
        })
        .with_context(|| format!("no struct {name}"))?;
    let data = fields
        .iter()
        .find(|f| f.ident.as_ref().is_some_and(|i| i == "data"))
        .with_context(|| format!("{name} has no `data`"))?;
    let mut ty = data.ty.clone();
    if let Some([inner]) = generic_args(&ty, "Option").as_deref() {
        ty = inner.clone();
    }
    match generic_args(&ty, "Vec").as_deref() {
        // Inside `types`, its types are named bare; outside, through the module.
        Some([Type::Path(p)])
            if p.path.get_ident().is_some_and(|i| {
                types.iter().any(|t| match t {
                    Item::Struct(s) => &s.ident == i,
                    Item::Enum(e) => &e.ident == i,
                    Item::Type(a) => &a.ident == i,
                    _ => false,
                })
            }) =>
        {
            let ident = p.path.get_ident().expect("checked by the guard");
            Ok(syn::parse_quote!(types::#ident))
        }
        Some([item]) => Ok(item.clone()),
        _ => bail!("{name}.data is not a list"),
    }
}
