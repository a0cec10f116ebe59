//! Facts read off the code progenitor wrote: which impl is the client's, its operation
//! methods, and the answer and error types of each.

use anyhow::{bail, Context, Result};
use syn::{GenericArgument, ImplItemFn, Item, PathArguments, Type};

/// The names of the methods of the generated `Client` (one per operation).
pub(crate) fn client_methods(file: &syn::File) -> Vec<String> {
    file.items
        .iter()
        .filter_map(|item| match item {
            Item::Impl(imp) if imp.trait_.is_none() && is_client(&imp.self_ty) => Some(imp),
            _ => None,
        })
        .flat_map(|imp| {
            imp.items.iter().filter_map(|i| match i {
                syn::ImplItem::Fn(f) if f.sig.asyncness.is_some() => Some(f.sig.ident.to_string()),
                _ => None,
            })
        })
        .collect()
}

/// Whether `ty` is the generated `Client`.
pub(crate) fn is_client(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.is_ident("Client"))
}

/// The answer type `T` and error type `E` of `Result<ResponseValue<T>, Error<E>>`.
pub(crate) fn answer_types(f: &ImplItemFn) -> Result<(Type, Type)> {
    let syn::ReturnType::Type(_, ty) = &f.sig.output else {
        bail!("{} returns nothing", f.sig.ident);
    };
    let args = generic_args(ty, "Result").context("not a Result")?;
    let [ok, err] = args.as_slice() else {
        bail!("{}: Result without two arguments", f.sig.ident);
    };
    let value = generic_args(ok, "ResponseValue").context("not a ResponseValue")?;
    let error = generic_args(err, "Error").context("not an Error")?;
    match (value.as_slice(), error.as_slice()) {
        ([t], [e]) => Ok((t.clone(), e.clone())),
        _ => bail!("{}: unexpected answer type", f.sig.ident),
    }
}

/// The type arguments of `ty` when its last path segment is `name`.
pub(crate) fn generic_args(ty: &Type, name: &str) -> Option<Vec<Type>> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    Some(
        args.args
            .iter()
            .filter_map(|a| match a {
                GenericArgument::Type(t) => Some(t.clone()),
                _ => None,
            })
            .collect(),
    )
}
