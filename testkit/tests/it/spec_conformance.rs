//! Where the emulators answered differently from the specs they emulate (found by driving them
//! with schemathesis from specs/edgekv.json and specs/linode.json, scripts/schemathesis.sh):
//! each answer as the spec documents it.

use akamai_sdk::edgegrid::EdgeGridSigner;
use akamai_sdk_testkit::linode::{Owner, ResourceKind};
use akamai_sdk_testkit::{EdgeKvEmulator, LinodeEmulator};
use serde_json::{json, Value};

/// `method path` (after `/edgekv/v1`) with `body` as sent, EdgeGrid-signed: the status and the
/// JSON answered (`Value::Null` for a body that is not JSON).
async fn edgekv(kv: &EdgeKvEmulator, method: &str, path: &str, body: &str) -> (u16, Value) {
    let http = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = http
        .request(method, format!("{}{path}", kv.url()))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .build()
        .unwrap();
    EdgeGridSigner::new(kv.credentials())
        .sign(&mut request)
        .unwrap();
    let response = http.execute(request).await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// `method path` (after `/v4`) with the parent token and `body` as sent (none when `None`).
async fn linode(
    linode: &LinodeEmulator,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", linode.url()))
        .bearer_auth(linode.parent_token());
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn fields(answer: &Value) -> Vec<&str> {
    answer["errors"]
        .as_array()
        .map(|errors| errors.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn initializing_takes_an_object_with_its_data_access_policy() {
    let kv = EdgeKvEmulator::builder()
        .uninitialized(0)
        .start()
        .await
        .unwrap();
    // dataAccessPolicy is required (null for none): a body without it, or one that is not an
    // object, is refused with the documented 400, and nothing is initialized.
    for body in [r#"{"other": 1}"#, "[]", "5", r#""text""#] {
        let (status, problem) = edgekv(&kv, "PUT", "/initialize", body).await;
        assert_eq!(
            (status, &problem["errorCode"]),
            (400, &json!("EKV_2000")),
            "{body}"
        );
    }
    assert_eq!(edgekv(&kv, "GET", "/initialize", "").await.0, 404);
    let (status, answer) = edgekv(&kv, "PUT", "/initialize", r#"{"dataAccessPolicy": null}"#).await;
    assert_eq!(
        (status, &answer["accountStatus"]),
        (201, &json!("INITIALIZED"))
    );
}

#[tokio::test]
async fn a_retention_out_of_any_range_is_said_to_be_out_of_range() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    for retention in ["-50165927441320394752", "1e30", "86400.5"] {
        let body = format!(
            r#"{{"namespace": "marketing", "groupId": 0, "retentionInSeconds": {retention}}}"#
        );
        let (status, problem) = edgekv(&kv, "POST", "/networks/staging/namespaces", &body).await;
        assert_eq!(status, 400, "{retention}");
        assert_eq!(
            problem["detail"], "Retention period must be 0 or between 86400 and 315360000 seconds.",
            "{retention}"
        );
    }
    let body = r#"{"namespace": "marketing", "groupId": 0}"#;
    let (_, problem) = edgekv(&kv, "POST", "/networks/staging/namespaces", body).await;
    assert_eq!(problem["detail"], "Retention period must be specified.");
}

#[tokio::test]
async fn a_group_id_that_names_no_group_is_a_group_the_account_does_not_have() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    for group in ["10371956842639236999675518124032", "-1", "4284.5", "99"] {
        let body =
            format!(r#"{{"namespace": "marketing", "groupId": {group}, "retentionInSeconds": 0}}"#);
        let (status, problem) = edgekv(&kv, "POST", "/networks/staging/namespaces", &body).await;
        assert_eq!(
            (status, &problem["errorCode"]),
            (403, &json!("EKV_1000")),
            "{group}"
        );
        let body = format!(r#"{{"groupId": {group}}}"#);
        let (status, problem) = edgekv(&kv, "PUT", "/auth/namespaces/default", &body).await;
        assert_eq!(
            (status, &problem["errorCode"]),
            (400, &json!("EKV_1002")),
            "{group}"
        );
    }
    let (status, problem) = edgekv(&kv, "PUT", "/auth/namespaces/default", "{}").await;
    assert_eq!(
        (status, &problem["detail"]),
        (400, &json!("groupId is required."))
    );
    let (status, answer) = edgekv(
        &kv,
        "PUT",
        "/auth/namespaces/default",
        r#"{"groupId": 4284}"#,
    )
    .await;
    assert_eq!((status, answer), (200, json!({"groupId": 4284})));
}

#[tokio::test]
async fn a_max_items_past_any_limit_is_clamped() {
    let kv = EdgeKvEmulator::builder()
        .max_list_items(2)
        .start()
        .await
        .unwrap();
    for item in ["a", "b", "c"] {
        let path = format!("/networks/staging/namespaces/default/groups/g/items/{item}");
        assert_eq!(edgekv(&kv, "PUT", &path, "1").await.0, 200);
    }
    let list = "/networks/staging/namespaces/default/groups/g";
    let (status, ids) = edgekv(
        &kv,
        "GET",
        &format!("{list}?maxItems=99999999999999999999999"),
        "",
    )
    .await;
    assert_eq!((status, ids.as_array().map(Vec::len)), (200, Some(2)));
    for refused in ["0", "-3", "x"] {
        let (status, _) = edgekv(&kv, "GET", &format!("{list}?maxItems={refused}"), "").await;
        assert_eq!(status, 400, "{refused}");
    }
}

#[tokio::test]
async fn an_update_needs_a_body() {
    let emulator = LinodeEmulator::start().await.unwrap();
    for kind in ResourceKind::ALL {
        let existing = emulator.resources(kind, Owner::Parent).unwrap()[0].clone();
        let path = format!("/{}/{}", kind.path(), existing["id"]);
        for body in [None, Some(""), Some("  ")] {
            let (status, answer) = linode(&emulator, "PUT", &path, body).await;
            assert_eq!(status, 400, "{path} {body:?}: {answer}");
        }
        assert_eq!(
            emulator.resources(kind, Owner::Parent).unwrap()[0],
            existing
        );
        let (status, _) = linode(&emulator, "PUT", &path, Some("{}")).await;
        assert_eq!(status, 200, "{path}");
    }
}

#[tokio::test]
async fn a_volume_is_1_to_10240_gb_and_its_linode_any_number() {
    let emulator = LinodeEmulator::start().await.unwrap();
    let create = |size: &str| {
        format!(
            r#"{{"label": "vol-{}", "region": "us-east", "size": {size}}}"#,
            size.len()
        )
    };
    for size in ["4873942", "0", "-1e30", "-50165927441320394752"] {
        let (status, answer) = linode(&emulator, "POST", "/volumes", Some(&create(size))).await;
        assert_eq!(
            (status, fields(&answer)),
            (400, vec!["size"]),
            "{size}: {answer}"
        );
        assert_eq!(
            answer["errors"][0]["reason"], "size must be 1 to 10240 GB",
            "{size}"
        );
    }
    let (status, volume) = linode(&emulator, "POST", "/volumes", Some(&create("10240"))).await;
    assert_eq!((status, &volume["size"]), (200, &json!(10_240)), "{volume}");
    // A Linode id of any size names no Linode.
    let body = r#"{"label": "attached", "linode_id": 1e30}"#;
    let (status, answer) = linode(&emulator, "POST", "/volumes", Some(body)).await;
    assert_eq!(
        (status, fields(&answer)),
        (400, vec!["linode_id"]),
        "{answer}"
    );
    assert_eq!(
        answer["errors"][0]["reason"],
        "Linode 1000000000000000000000000000000 not found"
    );
}

#[tokio::test]
async fn domain_intervals_are_rounded_up_to_a_valid_value() {
    let emulator = LinodeEmulator::start().await.unwrap();
    let body = r#"{"domain": "rounded.example.org", "type": "master",
                   "soa_email": "admin@example.org", "ttl_sec": 301, "refresh_sec": 300,
                   "retry_sec": -5, "expire_sec": 2103814067206365552774465594589184}"#;
    let (status, domain) = linode(&emulator, "POST", "/domains", Some(body)).await;
    assert_eq!(status, 200, "{domain}");
    let intervals = ["ttl_sec", "refresh_sec", "retry_sec", "expire_sec"].map(|f| &domain[f]);
    assert_eq!(
        intervals,
        [&json!(3_600), &json!(300), &json!(0), &json!(2_419_200)]
    );
    let path = format!("/domains/{}", domain["id"]);
    let (status, domain) = linode(&emulator, "PUT", &path, Some(r#"{"ttl_sec": 31}"#)).await;
    assert_eq!((status, &domain["ttl_sec"]), (200, &json!(120)));
    let (status, answer) = linode(&emulator, "PUT", &path, Some(r#"{"ttl_sec": 1.5}"#)).await;
    assert_eq!((status, fields(&answer)), (400, vec!["ttl_sec"]));
}

#[tokio::test]
async fn a_domains_description_and_group_have_the_specs_lengths() {
    let emulator = LinodeEmulator::start().await.unwrap();
    let existing = emulator.domains(Owner::Parent).unwrap()[0].clone();
    let path = format!("/domains/{}", existing["id"]);
    for (body, field) in [
        (json!({"description": ""}), "description"),
        (json!({"description": "d".repeat(254)}), "description"),
        (json!({"group": ""}), "group"),
        (json!({"group": "g".repeat(51)}), "group"),
    ] {
        let (status, answer) = linode(&emulator, "PUT", &path, Some(&body.to_string())).await;
        assert_eq!((status, fields(&answer)), (400, vec![field]), "{answer}");
    }
    let body = json!({"description": "d".repeat(253), "group": "g".repeat(50)}).to_string();
    let (status, domain) = linode(&emulator, "PUT", &path, Some(&body)).await;
    assert_eq!(status, 200, "{domain}");
    assert_eq!(domain["group"], "g".repeat(50));
}

#[tokio::test]
async fn an_instance_label_may_end_in_a_dash_an_underscore_or_a_dot() {
    let emulator = LinodeEmulator::start().await.unwrap();
    for label in ["KQ-", "web_", "db."] {
        let body = json!({"region": "us-east", "type": "g6-nanode-1", "label": label});
        let (status, instance) = linode(
            &emulator,
            "POST",
            "/linode/instances",
            Some(&body.to_string()),
        )
        .await;
        assert_eq!(
            (status, &instance["label"]),
            (200, &json!(label)),
            "{instance}"
        );
    }
    for label in ["1ab", "ab", "a--b", "a..b"] {
        let body = json!({"region": "us-east", "type": "g6-nanode-1", "label": label});
        let (status, _) = linode(
            &emulator,
            "POST",
            "/linode/instances",
            Some(&body.to_string()),
        )
        .await;
        assert_eq!(status, 400, "{label}");
    }
}

#[tokio::test]
async fn a_page_past_any_number_is_an_empty_page() {
    let emulator = LinodeEmulator::start().await.unwrap();
    for path in [
        "/account/child-accounts",
        "/linode/instances",
        "/volumes",
        "/domains",
    ] {
        let (status, page) = linode(
            &emulator,
            "GET",
            &format!("{path}?page=7774075976533481693746483333947195392"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{path}: {page}");
        assert_eq!(page["data"], json!([]), "{path}");
        assert_eq!(page["results"], 3, "{path}");
        let (status, _) = linode(&emulator, "GET", &format!("{path}?page=0"), None).await;
        assert_eq!(status, 400, "{path}");
    }
}
