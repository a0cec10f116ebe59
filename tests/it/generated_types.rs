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
