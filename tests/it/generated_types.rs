//! The generated clients' types decode what the live APIs send.

use akamai_sdk_generated::{edgekv, linode};
use serde_json::json;

/// A child account as the live API returns it, with everything the spec does not promise: an
/// 8-4-4-16 euuid, offset-less UTC timestamps, a field the spec does not know, an enum value it
/// does not know, and nulls inside an optional object.
fn live_child_account() -> serde_json::Value {
    json!({
        "active_since": "2018-01-01T00:01:01",
        "address_1": "123 Main Street",
        "address_2": "Suite A",
        "balance": 200,
        "balance_uninvoiced": 145,
        "billing_source": "partner_managed",
        "capabilities": ["Linodes", "NodeBalancers", "Block Storage", "Object Storage"],
        "city": "Philadelphia",
        "company": "Acme",
        "country": "US",
        "credit_card": { "last_four": null, "expiry": null },
        "email": "john.smith@linode.com",
        "euuid": "E89C475E-7476-4B95-95EA82BB4EE866E3",
        "first_name": "John",
        "last_name": "Smith",
        "phone": "215-555-1212",
        "state": "PA",
        "tax_id": "ATU99999999",
        "zip": "19102-1234",
        "brand_new_field": { "nested": [1, 2, 3] }
    })
}

#[test]
fn a_live_child_account_page_decodes() {
    let page = json!({ "data": [live_child_account()], "page": 1, "pages": 1, "results": 1 });
    let page: linode::types::ChildAccountsPage = serde_json::from_value(page).unwrap();
    let child = &page.data[0];
    assert_eq!(
        child.euuid.as_deref(),
        Some("E89C475E-7476-4B95-95EA82BB4EE866E3")
    );
    let since = child.active_since.as_ref().unwrap();
    assert_eq!(since.as_str(), "2018-01-01T00:01:01");
    assert_eq!(since.utc().to_rfc3339(), "2018-01-01T00:01:01+00:00");
    assert_eq!(
        child.billing_source,
        Some(linode::types::ChildAccountBillingSource::Unknown(
            "partner_managed".into()
        ))
    );
    let card = child.credit_card.as_ref().unwrap();
    assert_eq!(
        (card.last_four.as_ref(), card.expiry.as_ref()),
        (None, None)
    );
}

#[test]
fn known_and_unknown_enum_values_round_trip_as_sent() {
    use linode::types::ChildAccountBillingSource as Source;
    let known: Source = serde_json::from_value(json!("external")).unwrap();
    assert_eq!(known, Source::External);
    for text in ["external", "partner_managed"] {
        let value: Source = serde_json::from_value(json!(text)).unwrap();
        assert_eq!(serde_json::to_value(&value).unwrap(), json!(text));
        assert_eq!(value.to_string(), text);
        assert_eq!(text.parse::<Source>().unwrap(), value);
    }
}

#[test]
fn timestamps_are_written_back_as_read() {
    let mut child = live_child_account();
    child["active_since"] = json!("2018-01-01T00:01:01.5+02:00");
    let decoded: linode::types::ChildAccount = serde_json::from_value(child).unwrap();
    let again = serde_json::to_value(&decoded).unwrap();
    assert_eq!(again["active_since"], "2018-01-01T00:01:01.5+02:00");
    assert_eq!(again["euuid"], "E89C475E-7476-4B95-95EA82BB4EE866E3");
}

#[test]
fn an_edgekv_token_with_an_unknown_activation_status_decodes() {
    let token = json!({
        "name": "token1", "uuid": "12886ccf-xxxx-xxxx-xxxx-766740ce227e",
        "expiry": "9999-12-31", "issueDate": "2022-01-30", "latestRefreshDate": null,
        "nextScheduledRefreshDate": "2022-05-30", "tokenActivationStatus": "PAUSED",
        "namespacePermissions": { "default": ["r", "w", "d"] }
    });
    let token: edgekv::types::AccessToken = serde_json::from_value(token).unwrap();
    assert_eq!(
        token.token_activation_status,
        Some(edgekv::types::AccessTokenTokenActivationStatus::Unknown(
            "PAUSED".into()
        ))
    );
    assert_eq!(token.latest_refresh_date, None);
}

#[test]
fn generated_types_derive_json_schema_behind_the_schemars_feature() {
    let schema = schemars::schema_for!(linode::types::ChildAccount);
    let value = serde_json::to_value(&schema).unwrap();
    let props = &value["properties"];
    assert!(props.get("euuid").is_some(), "{value:#}");
    assert_eq!(
        props["active_since"]["anyOf"][0]["$ref"],
        "#/$defs/DateTime"
    );
    assert_eq!(
        value["$defs"]["DateTime"]["format"], "date-time",
        "{value:#}"
    );
    let token = serde_json::to_value(schemars::schema_for!(edgekv::types::AccessToken)).unwrap();
    assert!(token["properties"].get("namespacePermissions").is_some());
}

#[test]
fn tokens_in_generated_types_never_reach_debug_output() {
    let minted: linode::types::ProxyUserToken = serde_json::from_value(json!({
        "id": 918, "label": "parent_user_1234_1714521661", "token": "abcdefghijklmnop-secret",
        "created": "2024-05-01T00:01:01", "expiry": "2024-05-01T00:16:01", "scopes": "*"
    }))
    .unwrap();
    assert!(!format!("{minted:?}").contains("abcdefghijklmnop"));
    assert_eq!(
        minted.token.as_ref().unwrap().expose(),
        "abcdefghijklmnop-secret"
    );
    let legacy: edgekv::types::AccessToken = serde_json::from_value(json!({
        "name": "legacy", "uuid": "u", "value": "legacy-token-value"
    }))
    .unwrap();
    assert!(!format!("{legacy:?}").contains("legacy-token-value"));
    // Serialising keeps the value: a secret survives a round trip through the types.
    assert_eq!(
        serde_json::to_value(&legacy).unwrap()["value"],
        "legacy-token-value"
    );
}

/// The generated types are `#[non_exhaustive]` (a field a spec update adds breaks no
/// dependent), so a request body is built with its builder: unset optional fields take the
/// spec's default, a missing required field is an error that names it, and a value goes back to
/// a builder to change one field.
#[test]
fn request_bodies_are_built_with_their_builders() {
    use edgekv::types::{builder, PostNamespaceBody, PostNamespaceBodyGeoLocation};

    let body: PostNamespaceBody = PostNamespaceBody::builder()
        .namespace("marketing")
        .retention_in_seconds(15_724_800)
        .group_id(4284_u64)
        .try_into()
        .unwrap();
    assert_eq!(body.geo_location, PostNamespaceBodyGeoLocation::Us);
    assert_eq!(body.data_access_policy, None);
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({
            "namespace": "marketing", "retentionInSeconds": 15_724_800, "groupId": 4284,
            "geoLocation": "US"
        })
    );

    let missing = PostNamespaceBody::try_from(
        PostNamespaceBody::builder()
            .namespace("marketing")
            .retention_in_seconds(0),
    )
    .unwrap_err();
    assert_eq!(missing.to_string(), "no value supplied for group_id");

    // A constrained newtype refuses a value when it is built: strict requests.
    let company = linode::types::AccountCompany::try_from("x".repeat(129));
    assert_eq!(
        company.unwrap_err().to_string(),
        "longer than 128 characters"
    );
    let account: linode::types::Account = linode::types::Account::builder()
        .company(Some(
            linode::types::AccountCompany::try_from("Acme").unwrap(),
        ))
        .try_into()
        .unwrap();
    assert_eq!(
        serde_json::to_value(&account).unwrap(),
        json!({"company": "Acme"})
    );

    let moved: PostNamespaceBody = builder::PostNamespaceBody::from(body.clone())
        .geo_location(PostNamespaceBodyGeoLocation::Eu)
        .try_into()
        .unwrap();
    assert_eq!(moved.geo_location, PostNamespaceBodyGeoLocation::Eu);
    assert_eq!(moved.namespace, body.namespace);
}

/// The operation tables carry what the runtime needs, from the spec and the overlays: the
/// spec's operation ids, which operations may be repeated, the grants' bodiless 204 and the
/// EdgeKV 404s that mean "empty".
#[test]
fn the_operation_tables_carry_the_spec_facts() {
    use akamai_sdk_generated::{edgekv::operations as kv, linode::operations as li};
    // Every operation of the pinned Linode spec; the child-account workflow's always built.
    assert_eq!(li::ALL.len(), 390);
    assert_eq!(kv::ALL.len(), 20);
    let core: Vec<&str> = li::ALL
        .iter()
        .filter(|op| op.feature.is_none())
        .map(|op| op.id)
        .collect();
    assert_eq!(core.len(), 8, "{core:?}");
    assert_eq!(li::GET_LINODE_INSTANCES.feature, Some("linode-instances"));
    assert_eq!(li::GET_LINODE_INSTANCES.tag, "Linode instances");
    const { assert!(li::GET_LINODE_INSTANCES.paginated && li::GET_CHILD_ACCOUNTS.paginated) };
    const { assert!(!li::GET_LINODE_INSTANCE.paginated) };
    // The lists that declare no page parameters upstream are recognised by their answer.
    const { assert!(li::GET_REGIONS.paginated) };
    assert!(li::ALL.iter().filter(|op| op.paginated).count() >= 80);
    assert_eq!(li::GET_CHILD_ACCOUNTS.id, "get-child-accounts");
    assert_eq!(li::GET_CHILD_ACCOUNTS.path, "/account/child-accounts");
    assert_eq!(
        li::POST_CHILD_ACCOUNT_TOKEN.method,
        akamai_sdk_generated::reqwest::Method::POST
    );
    for op in li::ALL.iter().chain(kv::ALL) {
        let repeatable = op.method != akamai_sdk_generated::reqwest::Method::POST;
        assert_eq!(op.idempotent, repeatable, "{}", op.id);
        assert!(
            op.path.starts_with('/') && !op.path.contains("apiVersion"),
            "{}",
            op.id
        );
    }
    assert_eq!(li::GET_PROFILE_GRANTS.bodiless_statuses, [204]);
    assert_eq!(li::GET_USER_GRANTS.bodiless_statuses, [204]);
    assert!(kv::GET_TOKENS.is_empty_collection_detail("No tokens exist."));
    assert!(kv::GET_NAMESPACE_GROUPS.is_empty_collection_detail(" There are no groups. "));
    assert!(kv::GET_GROUP_ITEMS
        .is_empty_collection_detail("The requested group is empty or not found."));
    assert!(!kv::GET_GROUP_ITEMS.is_empty_collection_detail("The namespace does not exist."));
    assert!(kv::GET_TOKEN.empty_collection_details.is_empty());
}

/// Every type name users see says what it is: none is an upstream artefact (`Added…`) or
/// named after a status code (`…200`).
#[test]
fn generated_type_names_are_readable() {
    for (api, source) in [
        ("linode", include_str!("../../generated/src/linode.rs")),
        ("edgekv", include_str!("../../generated/src/edgekv.rs")),
    ] {
        let file = syn::parse_file(source).unwrap();
        let types = file
            .items
            .iter()
            .find_map(|item| match item {
                syn::Item::Mod(m) if m.ident == "types" => m.content.as_ref(),
                _ => None,
            })
            .unwrap();
        for item in &types.1 {
            let name = match item {
                syn::Item::Struct(s) => s.ident.to_string(),
                syn::Item::Enum(e) => e.ident.to_string(),
                _ => continue,
            };
            let status_suffix =
                name.len() > 3 && name[name.len() - 3..].bytes().all(|b| b.is_ascii_digit());
            assert!(
                !name.starts_with("Added") && !status_suffix,
                "{api}: {name}"
            );
        }
    }
}

/// The response of the profile carries `user_type` (an overlay); the tolerant decoding keeps
/// a value of another JSON type.
#[test]
fn the_profile_has_its_user_type() {
    let profile: linode::types::Profile =
        serde_json::from_value(json!({"username": "ops", "user_type": "proxy", "uid": "12"}))
            .unwrap();
    assert_eq!(
        profile.user_type,
        Some(linode::types::ProfileUserType::Proxy)
    );
    assert_eq!(profile.uid, Some(12));
}

/// The SDK never types a fact the spec knows: no string literal in `sdk/src` (doc comments
/// aside) is an operation id or a path template of the operation tables.
#[test]
fn no_operation_id_or_path_is_typed_in_the_sdk() {
    use akamai_sdk_generated::{edgekv::operations as kv, linode::operations as li};
    use syn::visit::Visit;

    struct Literals(Vec<String>);
    impl<'ast> Visit<'ast> for Literals {
        fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
            if !attr.path().is_ident("doc") {
                syn::visit::visit_attribute(self, attr);
            }
        }
        fn visit_lit_str(&mut self, lit: &'ast syn::LitStr) {
            self.0.push(lit.value());
        }
        // Macro bodies (format strings, test data) are token streams: read their literals.
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            for token in mac.tokens.clone() {
                if let Ok(lit) = syn::parse2::<syn::LitStr>(token.into()) {
                    self.0.push(lit.value());
                }
            }
        }
    }

    let facts: Vec<&str> = li::ALL
        .iter()
        .chain(kv::ALL)
        .flat_map(|op| [op.id, op.path, op.method_name])
        .collect();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk/src");
    let mut files = vec![root];
    let mut checked = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let file = syn::parse_file(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut literals = Literals(Vec::new());
        literals.visit_file(&file);
        for literal in &literals.0 {
            assert!(
                !facts.contains(&literal.as_str()),
                "{} types {literal:?}: take it from the operation table",
                path.display()
            );
        }
        checked += 1;
    }
    assert!(checked > 20, "only {checked} files read");
}
