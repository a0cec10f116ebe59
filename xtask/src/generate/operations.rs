//! The operation table of a generated module: one `akamai_sdk_generated::Operation` constant
//! per operation of the processed spec, so that the SDK never types an operation id, method or
//! path template.
//!
//! Besides what every spec has (id, method, path), an entry carries what the pipeline and the
//! overlays record for the SDK's runtime:
//!
//! * `idempotent`: from the method (GET, HEAD, PUT, DELETE, OPTIONS, TRACE), unless the
//!   operation says otherwise with `x-idempotent`;
//! * `bodiless_statuses`: the statuses rule `bodiless-success-statuses` moved to
//!   `x-bodiless-responses`;
//! * `empty_collection_details`: the overlays' `x-empty-collection-details`, the problem
//!   `detail` texts of a 404 that means "nothing here";
//! * `paginated`: rule `paginated-lists` found a page of items in its answer (`x-paginated`);
//! * `tag` and `feature`: the operation's first tag (its area), and the cargo feature that
//!   builds its method and typed call, `None` for the source's `core` operations (see
//!   [`feature_name`]).

use anyhow::{bail, Context, Result};
use heck::ToShoutySnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::spec::{self, method_name};

/// The cargo feature that builds the operations of `tag`: `<api>-<area>`, the area being the
/// tag's abbreviation in parentheses if it has one, otherwise its words in lower case without
/// a leading API name ("Linode instances" -> `linode-instances`, "Linode Kubernetes Engine
/// (LKE)" -> `linode-lke`, "Object Storage" -> `linode-object-storage`).
pub(crate) fn feature_name(api: &str, tag: &str) -> String {
    let base = tag
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .map_or(tag, |(abbreviation, _)| abbreviation);
    let words: Vec<String> = base
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let words = match words.split_first() {
        Some((first, rest)) if first == api && !rest.is_empty() => rest,
        _ => &words[..],
    };
    if words.is_empty() {
        return format!("{api}-other");
    }
    format!("{api}-{}", words.join("-"))
}

/// One row of the table.
#[derive(Debug)]
pub(crate) struct Row {
    pub(crate) id: String,
    pub(crate) method_name: String,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) idempotent: bool,
    pub(crate) bodiless: Vec<u16>,
    pub(crate) empty_details: Vec<String>,
    pub(crate) paginated: bool,
    pub(crate) tag: String,
    /// `None` for a core operation (always built).
    pub(crate) feature: Option<String>,
}

/// The rows of `doc`'s operations, sorted by method name. With `core` empty every operation is
/// core; otherwise each id of `core` must exist.
pub(crate) fn rows(doc: &Value, api: &str, core: &[String]) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for (path, method, op) in spec::operations(doc) {
        let id = op
            .get("operationId")
            .and_then(Value::as_str)
            .with_context(|| format!("{} {path} has no operationId", method.to_uppercase()))?
            .to_owned();
        let idempotent = match op.get("x-idempotent") {
            Some(Value::Bool(b)) => *b,
            Some(other) => bail!("{id}: x-idempotent must be a boolean, not {other}"),
            None => matches!(
                method.as_str(),
                "get" | "head" | "put" | "delete" | "options" | "trace"
            ),
        };
        let bodiless = op
            .get("x-bodiless-responses")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|responses| responses.keys())
            .map(|status| {
                status.parse::<u16>().with_context(|| {
                    format!("{id}: x-bodiless-responses has {status:?}, not a status")
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let empty_details = match op.get("x-empty-collection-details") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str().map(str::to_owned).with_context(|| {
                        format!("{id}: x-empty-collection-details holds {v}, not a text")
                    })
                })
                .collect::<Result<_>>()?,
            Some(other) => bail!("{id}: x-empty-collection-details must be a list, not {other}"),
        };
        let paginated = op.get("x-paginated").and_then(Value::as_bool) == Some(true);
        let tag = op
            .pointer("/tags/0")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let feature = if core.is_empty() || core.contains(&id) {
            None
        } else {
            Some(feature_name(api, &tag))
        };
        rows.push(Row {
            method_name: method_name(&id),
            id,
            method: method.to_uppercase(),
            path,
            idempotent,
            bodiless,
            empty_details,
            paginated,
            tag,
            feature,
        });
    }
    for id in core {
        if !rows.iter().any(|r| &r.id == id) {
            bail!("core operation {id} is not in the processed spec (specs/sources.toml `core`)");
        }
    }
    rows.sort_by(|a, b| a.method_name.cmp(&b.method_name));
    Ok(rows)
}

/// The `operations` module of a generated file. Every operation must have a generated method
/// of the name progenitor gives it (`methods`), so a change of progenitor's naming cannot
/// leave the table pointing at nothing.
pub(crate) fn table(rows: &[Row], methods: &[String]) -> Result<TokenStream> {
    for row in rows {
        if !methods.contains(&row.method_name) {
            bail!(
                "operation {} has no generated method {} (methods: {})",
                row.id,
                row.method_name,
                methods.join(", ")
            );
        }
    }
    let consts = rows.iter().map(|row| {
        let name = format_ident!("{}", row.method_name.to_shouty_snake_case());
        let doc = format!(
            " `{}`: `{} {}` (generated method `Client::{}`).",
            row.id, row.method, row.path, row.method_name
        );
        let Row {
            id,
            method_name,
            path,
            idempotent,
            bodiless,
            empty_details,
            paginated,
            tag,
            ..
        } = row;
        let feature = match &row.feature {
            Some(f) => quote!(Some(#f)),
            None => quote!(None),
        };
        let method = format_ident!("{}", row.method);
        quote! {
            #[doc = #doc]
            pub const #name: Operation = Operation {
                id: #id,
                method_name: #method_name,
                method: Method::#method,
                path: #path,
                idempotent: #idempotent,
                bodiless_statuses: &[#(#bodiless),*],
                empty_collection_details: &[#(#empty_details),*],
                paginated: #paginated,
                tag: #tag,
                feature: #feature,
            };
        }
    });
    let names = rows
        .iter()
        .map(|row| format_ident!("{}", row.method_name.to_shouty_snake_case()));
    Ok(quote! {
        /// The operations of this client, as the processed spec describes them: one constant
        /// per operation, named after its generated method.
        pub mod operations {
            use crate::Operation;
            use reqwest::Method;

            #(#consts)*

            /// Every operation, in the order of their method names.
            pub const ALL: &[Operation] = &[#(#names),*];
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_table_has_ids_methods_paths_and_runtime_facts() {
        let doc = json!({"paths": {
            "/tokens": {
                "get": {"operationId": "get-tokens", "x-empty-collection-details": ["No tokens exist."]},
                "post": {"operationId": "post-tokens"}
            },
            "/tokens/{name}/refresh": {"post": {"operationId": "post-token-refresh", "x-idempotent": true}},
            "/grants": {"get": {"operationId": "get-grants", "x-bodiless-responses": {"204": {"description": "none"}}}}
        }});
        let methods: Vec<String> = [
            "get_tokens",
            "post_tokens",
            "post_token_refresh",
            "get_grants",
        ]
        .map(String::from)
        .to_vec();
        let rows = rows(&doc, "tiny", &[]).unwrap();
        let file: syn::File = syn::parse2(table(&rows, &methods).unwrap()).unwrap();
        let text = prettyplease::unparse(&file);
        assert!(text.contains("pub const GET_TOKENS: Operation"), "{text}");
        assert!(text.contains("id: \"get-tokens\""), "{text}");
        assert!(text.contains("method: Method::POST"), "{text}");
        assert!(text.contains("path: \"/tokens/{name}/refresh\""), "{text}");
        assert!(
            text.contains("empty_collection_details: &[\"No tokens exist.\"]"),
            "{text}"
        );
        assert!(text.contains("bodiless_statuses: &[204u16]"), "{text}");
        let post_tokens = &text[text.find("POST_TOKENS: Operation").unwrap()..];
        assert!(post_tokens[..400].contains("idempotent: false"), "{text}");
        let refresh = &text[text.find("POST_TOKEN_REFRESH: Operation").unwrap()..];
        assert!(refresh[..400].contains("idempotent: true"), "{text}");
        let all = &text[text.find("ALL: &[Operation]").unwrap()..];
        let order: Vec<usize> = [
            "GET_GRANTS,",
            "GET_TOKENS,",
            "POST_TOKEN_REFRESH,",
            "POST_TOKENS,",
        ]
        .iter()
        .map(|name| all.find(name).unwrap())
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{all}");
    }

    #[test]
    fn features_follow_tags_and_core_operations_have_none() {
        assert_eq!(
            feature_name("linode", "Linode instances"),
            "linode-instances"
        );
        assert_eq!(
            feature_name("linode", "Linode Kubernetes Engine (LKE)"),
            "linode-lke"
        );
        assert_eq!(
            feature_name("linode", "Object Storage"),
            "linode-object-storage"
        );
        assert_eq!(feature_name("linode", "VPCs"), "linode-vpcs");
        assert_eq!(feature_name("linode", "Linode"), "linode-linode");
        assert_eq!(feature_name("linode", ""), "linode-other");
        let doc = json!({"paths": {
            "/a": {"get": {"operationId": "get-a", "tags": ["Account"], "x-paginated": true}},
            "/b": {"get": {"operationId": "get-b", "tags": ["Volumes"]}}
        }});
        let rows = rows(&doc, "linode", &["get-a".to_owned()]).unwrap();
        assert_eq!(rows[0].feature, None);
        assert!(rows[0].paginated);
        assert_eq!(rows[1].feature.as_deref(), Some("linode-volumes"));
        assert_eq!(rows[1].tag, "Volumes");
        let err = super::rows(&doc, "linode", &["get-z".to_owned()]).unwrap_err();
        assert!(err.to_string().contains("get-z"), "{err}");
    }

    #[test]
    fn an_operation_without_a_generated_method_is_an_error() {
        let doc = json!({"paths": {"/a": {"get": {"operationId": "get-a"}}}});
        let rows = rows(&doc, "tiny", &[]).unwrap();
        let err = table(&rows, &["get_b".to_owned()]).unwrap_err().to_string();
        assert!(err.contains("get-a") && err.contains("get_a"), "{err}");
    }
}
