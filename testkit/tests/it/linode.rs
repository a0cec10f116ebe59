//! The SDK's parent/child workflow end to end against the Linode emulator: listing with
//! pagination and filters, proxy tokens, the proxy principal, revocation, grants, limits.
//! Then, over plain HTTP, the resources every account owns (instances, Volumes, Domains):
//! each principal sees and changes only its own account's.

use std::time::Duration;

use akamai_sdk::config::HttpConfig;
use akamai_sdk::linode::{
    ChildAccessError, ChildAccountField, ChildAccountFilter, Euuid, LinodeClient, Order, UserType,
};
use akamai_sdk::retry::RetryPolicy;
use akamai_sdk_testkit::linode::{Owner, ResourceKind};
use akamai_sdk_testkit::LinodeEmulator;
use futures::TryStreamExt;
use secrecy::ExposeSecret;
use serde_json::{json, Value};

fn quick() -> HttpConfig {
    HttpConfig::new().with_retry(RetryPolicy::disabled())
}

#[tokio::test]
async fn every_child_account_is_listed_once_across_pages() {
    let linode = LinodeEmulator::builder()
        .children(120)
        .start()
        .await
        .unwrap();
    let parent = linode.parent_client_with(quick());
    parent.ensure_child_account_access().await.unwrap();
    let accounts: Vec<_> = parent
        .child_accounts()
        .page_size(25)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let euuids: Vec<String> = accounts.iter().map(|a| a.euuid.clone().unwrap()).collect();
    assert_eq!(euuids, linode.euuids());
    assert_eq!(linode.counters().operation("get-child-accounts"), 5);
    let page = parent.child_accounts().page_size(50).page(3).await.unwrap();
    assert_eq!(
        (page.page, page.pages, page.results, page.data.len()),
        (3, 3, 120, 20)
    );
    // The same accounts on every run.
    let again = LinodeEmulator::builder()
        .children(120)
        .start()
        .await
        .unwrap();
    assert_eq!(again.euuids(), linode.euuids());
    // Page sizes outside 25-500 are refused by the API too.
    let http = reqwest::Client::new();
    let response = http
        .get(format!(
            "{}/account/child-accounts?page_size=10",
            linode.url()
        ))
        .bearer_auth(linode.parent_token())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "page_size");
}

#[tokio::test]
async fn filters_and_orders() {
    let linode = LinodeEmulator::builder()
        .children(40)
        .start()
        .await
        .unwrap();
    let parent = linode.parent_client_with(quick());
    let companies = |accounts: Vec<akamai_sdk::linode::types::ChildAccount>| {
        accounts
            .into_iter()
            .map(|a| a.company.clone().unwrap())
            .collect::<Vec<String>>()
    };
    let acme = ChildAccountFilter::new().contains(ChildAccountField::Company, "acme");
    let found = companies(
        parent
            .child_accounts()
            .filter(&acme)
            .stream()
            .try_collect()
            .await
            .unwrap(),
    );
    assert_eq!(found.len(), 8);
    assert!(found.iter().all(|c| c.starts_with("Acme")));
    let either = ChildAccountFilter::new()
        .or([
            ChildAccountFilter::new().country("JP"),
            ChildAccountFilter::new().country("FR"),
        ])
        .order_by(ChildAccountField::Company, Order::Desc);
    let found: Vec<_> = parent
        .child_accounts()
        .filter(&either)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(found.len(), 20);
    assert!(found
        .iter()
        .all(|a| ["JP", "FR"].contains(&a.country.as_deref().unwrap())));
    let names = companies(found);
    let mut sorted = names.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(names, sorted);
    let both = json!({"+and": [{"country": "US"}, {"company": {"+contains": "Hooli"}}]});
    let found = companies(
        parent
            .child_accounts()
            .raw_filter(both)
            .stream()
            .try_collect()
            .await
            .unwrap(),
    );
    assert_eq!(found, ["Hooli 004", "Hooli 024"]);
    let bad = parent
        .child_accounts()
        .raw_filter(json!({"euuid": "x"}))
        .page(1)
        .await
        .unwrap_err();
    assert_eq!(bad.status().map(|s| s.as_u16()), Some(400));
}

#[tokio::test]
async fn a_child_client_acts_as_the_proxy_user_and_revokes_its_token() {
    let linode = LinodeEmulator::builder().children(3).start().await.unwrap();
    let parent = linode.parent_client_with(quick());
    let euuid: Euuid = linode.euuids()[1].parse().unwrap();
    let child = parent.child(euuid.clone());
    let account = child.account().await.unwrap();
    assert_eq!(account.euuid.as_deref(), Some(euuid.as_str()));
    let profile = child.profile().await.unwrap();
    assert_eq!(profile.user_type, Some(UserType::Proxy));
    assert_eq!(
        parent.profile().await.unwrap().user_type,
        Some(UserType::Parent)
    );
    assert_eq!(
        parent
            .account()
            .await
            .unwrap()
            .company
            .as_deref()
            .map(String::as_str),
        Some("Emulated Parent Inc")
    );
    child.profile_grants().await.unwrap();
    let username = profile.username.unwrap();
    child.user_grants(&username).await.unwrap();
    assert_eq!(
        linode.counters().mints_for(euuid.as_str()),
        1,
        "one token for all calls"
    );

    // A proxy token may not act as the parent.
    let token = child.token().await.unwrap();
    let as_parent = LinodeClient::builder()
        .token(token.token().expose_secret().to_owned())
        .base_url(linode.url())
        .http_config(quick().allow_insecure_loopback(true))
        .build()
        .unwrap();
    let err = as_parent.child_accounts().page(1).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    let err = as_parent.create_proxy_token(&euuid).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));

    assert!(child.revoke().await.unwrap());
    assert_eq!(
        linode.proxy_tokens(),
        [(token.id(), euuid.to_string(), true)]
    );
    let err = as_parent.account().await.unwrap_err();
    assert_eq!(
        err.status().map(|s| s.as_u16()),
        Some(401),
        "a revoked token is refused"
    );
    child.account().await.unwrap();
    assert_eq!(linode.counters().mints_for(euuid.as_str()), 2);
    let err = parent
        .child_account(&"UNKNOWN-EUUID".parse().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
}

#[tokio::test]
async fn proxy_tokens_expire_after_their_lifetime() {
    let linode = LinodeEmulator::builder()
        .token_lifetime(Duration::from_secs(120))
        .start()
        .await
        .unwrap();
    let parent = linode.parent_client_with(quick());
    let euuid: Euuid = linode.euuids()[0].parse().unwrap();
    let token = parent.create_proxy_token(&euuid).await.unwrap();
    let lifetime = token.expires_at().unwrap() - token.created().unwrap().utc();
    assert_eq!(lifetime.num_seconds(), 120);
    let proxy = LinodeClient::builder()
        .token(token.token().expose_secret().to_owned())
        .base_url(linode.url())
        .http_config(quick().allow_insecure_loopback(true))
        .build()
        .unwrap();
    proxy.account().await.unwrap();
    linode.advance_clock(Duration::from_secs(121));
    assert_eq!(
        proxy
            .account()
            .await
            .unwrap_err()
            .status()
            .map(|s| s.as_u16()),
        Some(401)
    );
}

#[tokio::test]
async fn a_restricted_parent_without_the_grant_cannot_mint() {
    let linode = LinodeEmulator::builder()
        .restricted_parent(false)
        .start()
        .await
        .unwrap();
    let parent = linode.parent_client_with(quick());
    let err = parent.ensure_child_account_access().await.unwrap_err();
    assert!(
        matches!(err, ChildAccessError::MissingGrant { .. }),
        "{err}"
    );
    let euuid: Euuid = linode.euuids()[0].parse().unwrap();
    let err = parent.create_proxy_token(&euuid).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    let granted = LinodeEmulator::builder()
        .restricted_parent(true)
        .start()
        .await
        .unwrap();
    granted
        .parent_client_with(quick())
        .ensure_child_account_access()
        .await
        .unwrap();
}

#[tokio::test]
async fn rate_limit_headers_and_429() {
    let linode = LinodeEmulator::builder()
        .rate_limit(3)
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let get = || {
        http.get(format!("{}/profile", linode.url()))
            .bearer_auth(linode.parent_token())
            .send()
    };
    let first = get().await.unwrap();
    assert_eq!(first.headers()["x-ratelimit-limit"], "3");
    assert_eq!(first.headers()["x-ratelimit-remaining"], "2");
    assert!(first.headers().contains_key("x-ratelimit-reset"));
    get().await.unwrap();
    get().await.unwrap();
    let limited = get().await.unwrap();
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    linode.advance_clock(Duration::from_secs(61));
    assert_eq!(get().await.unwrap().status(), 200);
    // Unknown tokens are refused and counted.
    let bad = http
        .get(format!("{}/profile", linode.url()))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    assert_eq!(linode.counters().signature_failures, 1);
}

#[tokio::test]
async fn seeded_children_are_listed_and_reset_forgets_them() {
    let linode = LinodeEmulator::builder().children(2).start().await.unwrap();
    let euuid = linode.add_child(json!({"euuid": "SEEDED-0001", "company": "Seeded Co"}));
    let parent = linode.parent_client_with(quick());
    let account = parent.child_account(&euuid.parse().unwrap()).await.unwrap();
    assert_eq!(account.company.as_deref(), Some("Seeded Co"));
    assert_eq!(linode.euuids().len(), 3);
    linode.reset();
    assert_eq!(linode.euuids().len(), 2);
    assert!(linode.requests().is_empty());
    assert_eq!(linode.counters().requests, 0);
}

#[tokio::test]
async fn the_log_names_who_each_request_acted_as() {
    let linode = LinodeEmulator::start().await.unwrap();
    let parent = linode.parent_client_with(quick());
    let euuid = linode.euuids()[0].clone();
    let child = parent.child(euuid.parse().unwrap());
    parent.profile().await.unwrap();
    child.profile().await.unwrap();
    let unknown = LinodeClient::builder()
        .token("not-a-token")
        .base_url(linode.url())
        .http_config(quick().allow_insecure_loopback(true))
        .build()
        .unwrap();
    unknown.profile().await.unwrap_err();
    let proxy = format!("proxy {euuid}");
    let log: Vec<_> = linode
        .requests()
        .into_iter()
        .map(|r| (r.operation, r.principal))
        .collect();
    let entry = |op: &str, who: Option<&str>| (Some(op.to_owned()), who.map(str::to_owned));
    assert_eq!(
        log,
        [
            entry("get-profile", Some("parent")),
            entry("post-child-account-token", Some("parent")),
            entry("get-profile", Some(&proxy)),
            entry("get-profile", None),
        ]
    );
}

/// A proxy token of the child account `euuid`, minted with the parent token.
async fn proxy_token(linode: &LinodeEmulator, euuid: &str) -> String {
    let (status, body) = call(
        linode,
        &linode.parent_token(),
        "POST",
        &format!("/account/child-accounts/{euuid}/token"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

/// `method path` (after `/v4`) with `token` and an optional JSON body: the status and the
/// JSON answered.
async fn call(
    linode: &LinodeEmulator,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    send(linode, token, method, path, body, None).await
}

async fn send(
    linode: &LinodeEmulator,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
    filter: Option<Value>,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", linode.url()))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    if let Some(filter) = filter {
        request = request.header("x-filter", filter.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn ids(items: &[Value]) -> Vec<i64> {
    items.iter().map(|v| v["id"].as_i64().unwrap()).collect()
}

/// Every page of `path` listed with `token`, `page_size` at a time: the ids in order and the
/// number of pages.
async fn list_all(
    linode: &LinodeEmulator,
    token: &str,
    path: &str,
    page_size: u32,
) -> (Vec<i64>, u64) {
    let mut all = Vec::new();
    let mut page = 1;
    loop {
        let (status, body) = call(
            linode,
            token,
            "GET",
            &format!("{path}?page={page}&page_size={page_size}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        all.extend(ids(body["data"].as_array().unwrap()));
        let pages = body["pages"].as_u64().unwrap();
        if page >= pages {
            assert_eq!(body["results"].as_u64().unwrap(), all.len() as u64);
            return (all, pages);
        }
        page += 1;
    }
}

#[tokio::test]
async fn a_proxy_token_lists_its_own_childs_instances_across_pages() {
    let linode = LinodeEmulator::builder()
        .children(3)
        .per_account(ResourceKind::Instances, 130)
        .start()
        .await
        .unwrap();
    let euuids = linode.euuids();
    let token = proxy_token(&linode, &euuids[1]).await;
    let (listed, pages) = list_all(&linode, &token, "/linode/instances", 50).await;
    assert_eq!(pages, 3);
    let own = ids(&linode.instances(&euuids[1]).unwrap());
    assert_eq!(listed.len(), 130);
    assert_eq!(listed, own, "every instance once, by id");
    // None of the parent's or another child's.
    let parent = ids(&linode.instances(Owner::Parent).unwrap());
    let other = ids(&linode.instances(&euuids[0]).unwrap());
    assert!(listed
        .iter()
        .all(|id| !parent.contains(id) && !other.contains(id)));
    // The parent token lists the parent's own.
    let (as_parent, _) = list_all(&linode, &linode.parent_token(), "/linode/instances", 100).await;
    assert_eq!(as_parent, parent);
    assert_eq!(parent.len(), 130);
    // Other kinds keep the default of 3, and v4beta serves the same.
    let (volumes, _) = list_all(&linode, &token, "/volumes", 25).await;
    assert_eq!(volumes, ids(&linode.volumes(&euuids[1]).unwrap()));
    assert_eq!(volumes.len(), 3);
    let beta = linode.url().replace("/v4", "/v4beta");
    let body: Value = reqwest::Client::new()
        .get(format!("{beta}/domains"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        ids(body["data"].as_array().unwrap()),
        ids(&linode.domains(&euuids[1]).unwrap())
    );
    // The log names who each listing acted as.
    let whom: Vec<Option<String>> = linode
        .requests()
        .into_iter()
        .filter(|r| r.operation.as_deref() == Some("get-linode-instances"))
        .map(|r| r.principal)
        .collect();
    let proxy = Some(format!("proxy {}", euuids[1]));
    assert_eq!(
        whom,
        [
            proxy.clone(),
            proxy.clone(),
            proxy,
            Some("parent".to_owned()),
            Some("parent".to_owned())
        ]
    );
    assert_eq!(linode.counters().operation("get-linode-instances"), 5);
    // Page sizes outside 25-500 are refused; a page past the end is empty.
    let (status, body) = call(
        &linode,
        &token,
        "GET",
        "/linode/instances?page_size=10",
        None,
    )
    .await;
    assert_eq!(
        (status, &body["errors"][0]["field"]),
        (400, &json!("page_size"))
    );
    let far = format!("/linode/instances?page={}", u64::MAX);
    let (status, body) = call(&linode, &token, "GET", &far, None).await;
    assert_eq!(
        (status, &body["data"], &body["results"]),
        (200, &json!([]), &json!(130))
    );
}

#[tokio::test]
async fn the_same_resources_on_every_run() {
    let a = LinodeEmulator::start().await.unwrap();
    let b = LinodeEmulator::start().await.unwrap();
    for kind in ResourceKind::ALL {
        for owner in [Owner::Parent, Owner::Child(&a.euuids()[2])] {
            let resources = a.resources(kind, owner).unwrap();
            assert_eq!(resources.len(), 3, "{kind:?}");
            assert_eq!(Some(resources), b.resources(kind, owner));
        }
    }
    assert_eq!(a.instances("NO-SUCH-EUUID"), None);
    let instance = &a.instances(Owner::Parent).unwrap()[0];
    for field in [
        "id",
        "label",
        "region",
        "type",
        "status",
        "image",
        "created",
        "updated",
        "ipv4",
        "ipv6",
        "tags",
        "group",
        "hypervisor",
        "specs",
        "alerts",
        "backups",
        "watchdog_enabled",
        "host_uuid",
        "lke_cluster_id",
    ] {
        assert!(
            instance.get(field).is_some(),
            "instance.{field}: {instance}"
        );
    }
    for field in ["disk", "memory", "vcpus", "transfer", "gpus"] {
        assert!(instance["specs"][field].is_i64(), "specs.{field}");
    }
    let volume = &a.volumes(Owner::Parent).unwrap()[0];
    for field in [
        "id",
        "label",
        "size",
        "region",
        "status",
        "linode_id",
        "linode_label",
        "filesystem_path",
        "tags",
        "hardware_type",
        "created",
        "updated",
    ] {
        assert!(volume.get(field).is_some(), "volume.{field}: {volume}");
    }
    assert_eq!(
        volume["linode_id"], instance["id"],
        "the first volume is attached"
    );
    let domain = &a.domains(Owner::Parent).unwrap()[0];
    for field in [
        "id",
        "domain",
        "type",
        "status",
        "soa_email",
        "description",
        "tags",
        "master_ips",
    ] {
        assert!(domain.get(field).is_some(), "domain.{field}: {domain}");
    }
}

#[tokio::test]
async fn get_create_update_delete_stay_in_the_account() {
    let linode = LinodeEmulator::builder().children(2).start().await.unwrap();
    let euuids = linode.euuids();
    let mine = proxy_token(&linode, &euuids[0]).await;
    let theirs = proxy_token(&linode, &euuids[1]).await;
    let parent = linode.parent_token();

    let (status, created) = call(
        &linode,
        &mine,
        "POST",
        "/linode/instances",
        Some(
            json!({"region": "eu-west", "type": "g6-standard-2", "label": "made-by-test",
                    "image": "linode/debian12", "tags": ["test"], "root_pass": "x"}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(
        (
            &created["label"],
            &created["region"],
            &created["type"],
            &created["status"]
        ),
        (
            &json!("made-by-test"),
            &json!("eu-west"),
            &json!("g6-standard-2"),
            &json!("running")
        )
    );
    assert_eq!(created["specs"]["vcpus"], 2);
    let id = created["id"].as_i64().unwrap();
    let path = format!("/linode/instances/{id}");
    assert!(ids(&linode.instances(&euuids[0]).unwrap()).contains(&id));
    assert_eq!(linode.instances(&euuids[0]).unwrap().len(), 4);
    assert_eq!(linode.instances(&euuids[1]).unwrap().len(), 3);
    assert_eq!(linode.instances(Owner::Parent).unwrap().len(), 3);

    let (status, got) = call(&linode, &mine, "GET", &path, None).await;
    assert_eq!((status, &got), (200, &created));
    for token in [&theirs, &parent] {
        let (status, body) = call(&linode, token, "GET", &path, None).await;
        assert_eq!(
            (status, body),
            (404, json!({"errors": [{"reason": "Not found"}]}))
        );
        let (status, _) = call(&linode, token, "DELETE", &path, None).await;
        assert_eq!(status, 404);
        let (status, _) = call(
            &linode,
            token,
            "PUT",
            &path,
            Some(json!({"label": "stolen"})),
        )
        .await;
        assert_eq!(status, 404);
    }

    let (status, updated) = call(
        &linode,
        &mine,
        "PUT",
        &path,
        Some(json!({"label": "renamed", "tags": ["a", "b"]})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        (&updated["label"], &updated["tags"]),
        (&json!("renamed"), &json!(["a", "b"]))
    );
    assert_eq!(linode.instances(&euuids[0]).unwrap()[3]["label"], "renamed");

    // A volume attached to it, then the instance deleted: the volume is detached.
    let (status, volume) = call(
        &linode,
        &mine,
        "POST",
        "/volumes",
        Some(json!({"label": "data", "linode_id": id, "size": 50})),
    )
    .await;
    assert_eq!(status, 200, "{volume}");
    assert_eq!(
        (
            &volume["linode_id"],
            &volume["linode_label"],
            &volume["region"]
        ),
        (&json!(id), &json!("renamed"), &json!("eu-west"))
    );
    let (status, body) = call(&linode, &mine, "DELETE", &path, None).await;
    assert_eq!((status, body), (200, json!({})));
    assert!(!ids(&linode.instances(&euuids[0]).unwrap()).contains(&id));
    let (status, _) = call(&linode, &mine, "GET", &path, None).await;
    assert_eq!(status, 404);
    let volume_path = format!("/volumes/{}", volume["id"]);
    let (_, volume) = call(&linode, &mine, "GET", &volume_path, None).await;
    assert_eq!(volume["linode_id"], Value::Null);
    // An instance of another account cannot be attached.
    let foreign = linode.instances(&euuids[1]).unwrap()[0]["id"].clone();
    let (status, body) = call(
        &linode,
        &mine,
        "POST",
        "/volumes",
        Some(json!({"label": "nope", "linode_id": foreign})),
    )
    .await;
    assert_eq!(
        (status, &body["errors"][0]["field"]),
        (400, &json!("linode_id"))
    );

    // Domains: create, get, delete, all in the parent's account this time.
    let (status, domain) = call(
        &linode,
        &parent,
        "POST",
        "/domains",
        Some(json!({"domain": "made-by-test.example.org", "type": "master", "soa_email": "admin@example.org"})),
    )
    .await;
    assert_eq!(status, 200, "{domain}");
    assert_eq!(
        (&domain["status"], &domain["ttl_sec"]),
        (&json!("active"), &json!(0))
    );
    let domain_path = format!("/domains/{}", domain["id"]);
    assert_eq!(call(&linode, &mine, "GET", &domain_path, None).await.0, 404);
    assert_eq!(
        call(&linode, &parent, "GET", &domain_path, None).await,
        (200, domain.clone())
    );
    assert_eq!(linode.domains(Owner::Parent).unwrap().len(), 4);
    // Domain names are unique across accounts.
    let (status, body) = call(
        &linode,
        &mine,
        "POST",
        "/domains",
        Some(
            json!({"domain": "made-by-test.example.org", "type": "master", "soa_email": "a@b.org"}),
        ),
    )
    .await;
    assert_eq!(
        (status, &body["errors"][0]["field"]),
        (400, &json!("domain"))
    );
    assert_eq!(
        call(&linode, &parent, "DELETE", &domain_path, None).await,
        (200, json!({}))
    );
    assert_eq!(linode.domains(Owner::Parent).unwrap().len(), 3);
    assert_eq!(
        call(&linode, &parent, "DELETE", &domain_path, None).await.0,
        404
    );

    // reset brings back what the accounts started with.
    linode.reset();
    assert_eq!(linode.instances(&euuids[0]).unwrap().len(), 3);
    assert_eq!(linode.volumes(&euuids[0]).unwrap().len(), 3);
}

#[tokio::test]
async fn another_accounts_ids_are_not_found() {
    let linode = LinodeEmulator::builder().children(2).start().await.unwrap();
    let euuids = linode.euuids();
    let token = proxy_token(&linode, &euuids[0]).await;
    let not_found = json!({"errors": [{"reason": "Not found"}]});
    for kind in ResourceKind::ALL {
        for owner in [Owner::Parent, Owner::Child(&euuids[1])] {
            for item in linode.resources(kind, owner).unwrap() {
                let path = format!("/{}/{}", kind.path(), item["id"]);
                let answer = call(&linode, &token, "GET", &path, None).await;
                assert_eq!(answer, (404, not_found.clone()), "{path}");
            }
        }
        let own = &linode.resources(kind, &euuids[0]).unwrap()[0];
        let path = format!("/{}/{}", kind.path(), own["id"]);
        assert_eq!(
            call(&linode, &token, "GET", &path, None).await,
            (200, own.clone())
        );
        for junk in ["abc", "-1", "99999999999999999999"] {
            let path = format!("/{}/{junk}", kind.path());
            assert_eq!(
                call(&linode, &token, "GET", &path, None).await.0,
                404,
                "{path}"
            );
        }
    }
    // Without a valid token, nothing at all.
    let (status, _) = call(&linode, "nope", "GET", "/linode/instances", None).await;
    assert_eq!(status, 401);
    let log = linode.requests();
    let first = log
        .iter()
        .find(|r| r.operation.as_deref() == Some("get-linode-instance"))
        .unwrap();
    assert_eq!(
        (first.status, first.principal.clone()),
        (404, Some(format!("proxy {}", euuids[0])))
    );
}

#[tokio::test]
async fn bad_create_bodies_are_refused_with_the_field() {
    let linode = LinodeEmulator::start().await.unwrap();
    let token = proxy_token(&linode, &linode.euuids()[0]).await;
    let fields = |body: &Value| -> Vec<String> {
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect()
    };
    let cases = [
        ("/linode/instances", json!({}), vec!["region", "type"]),
        (
            "/linode/instances",
            json!({"type": "g6-nanode-1"}),
            vec!["region"],
        ),
        (
            "/linode/instances",
            json!({"region": 5, "type": "g6-nanode-1"}),
            vec!["region"],
        ),
        (
            "/linode/instances",
            json!({"region": "mars-1", "type": "g6-nanode-1"}),
            vec!["region"],
        ),
        (
            "/linode/instances",
            json!({"region": "us-east", "type": "g9-huge"}),
            vec!["type"],
        ),
        (
            "/linode/instances",
            json!({"region": "us-east", "type": "g6-nanode-1", "label": "a"}),
            vec!["label"],
        ),
        (
            "/linode/instances",
            json!({"region": "us-east", "type": "g6-nanode-1", "tags": "x"}),
            vec!["tags"],
        ),
        ("/volumes", json!({"region": "us-east"}), vec!["label"]),
        ("/volumes", json!({"label": "v1"}), vec!["region"]),
        (
            "/volumes",
            json!({"label": "v1", "region": "us-east", "size": "big"}),
            vec!["size"],
        ),
        ("/domains", json!({}), vec!["domain", "type"]),
        ("/domains", json!({"domain": "a.example.org"}), vec!["type"]),
        (
            "/domains",
            json!({"domain": "a.example.org", "type": "primary"}),
            vec!["type"],
        ),
        (
            "/domains",
            json!({"domain": "a.example.org", "type": "master"}),
            vec!["soa_email"],
        ),
        (
            "/domains",
            json!({"domain": "a.example.org", "type": "slave"}),
            vec!["master_ips"],
        ),
        (
            "/domains",
            json!({"domain": "not a domain", "type": "slave"}),
            vec!["domain"],
        ),
    ];
    for (path, body, expected) in cases {
        let (status, answer) = call(&linode, &token, "POST", path, Some(body.clone())).await;
        assert_eq!(status, 400, "{path} {body}: {answer}");
        assert_eq!(fields(&answer), expected, "{path} {body}: {answer}");
    }
    let (_, answer) = call(
        &linode,
        &token,
        "POST",
        "/linode/instances",
        Some(json!({"type": "g6-nanode-1"})),
    )
    .await;
    assert_eq!(
        answer,
        json!({"errors": [{"field": "region", "reason": "region is required"}]})
    );
    // A label already in the account.
    let taken = linode.instances(&linode.euuids()[0]).unwrap()[0]["label"].clone();
    let (status, answer) = call(
        &linode,
        &token,
        "POST",
        "/linode/instances",
        Some(json!({"region": "us-east", "type": "g6-nanode-1", "label": taken})),
    )
    .await;
    assert_eq!((status, fields(&answer)), (400, vec!["label".to_owned()]));
    // Not JSON at all.
    let response = reqwest::Client::new()
        .post(format!("{}/volumes", linode.url()))
        .bearer_auth(&token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    // Nothing was created.
    for kind in ResourceKind::ALL {
        assert_eq!(
            linode.resources(kind, &linode.euuids()[0]).unwrap().len(),
            3
        );
    }
}

#[tokio::test]
async fn lists_filter_on_label_and_tags_and_order() {
    let linode = LinodeEmulator::builder()
        .per_account(ResourceKind::Instances, 40)
        .start()
        .await
        .unwrap();
    let euuid = linode.euuids()[0].clone();
    let token = proxy_token(&linode, &euuid).await;
    let all = linode.instances(&euuid).unwrap();
    let labels = |body: &Value| -> Vec<String> {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["label"].as_str().unwrap().to_owned())
            .collect()
    };
    let list = |filter: Value| {
        send(
            &linode,
            &token,
            "GET",
            "/linode/instances",
            None,
            Some(filter),
        )
    };

    let wanted = all[6]["label"].as_str().unwrap().to_owned();
    let (status, body) = list(json!({"label": wanted})).await;
    assert_eq!((status, labels(&body)), (200, vec![wanted.clone()]));
    assert_eq!(body["results"], 1);

    let (_, body) = list(json!({"label": {"+contains": "WEB-"}})).await;
    let expected: Vec<String> = all
        .iter()
        .map(|v| v["label"].as_str().unwrap().to_owned())
        .filter(|l| l.starts_with("web-"))
        .collect();
    assert_eq!(labels(&body), expected);
    assert_eq!(expected.len(), 8);

    let (_, body) = list(
        json!({"+or": [{"label": {"+contains": "web-"}}, {"label": {"+contains": "db-"}}],
                                "+order_by": "label", "+order": "desc"}),
    )
    .await;
    let got = labels(&body);
    assert_eq!(got.len(), 16);
    let mut sorted = got.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(got, sorted);

    let (_, body) = list(json!({"+and": [{"tags": "env:prod"}, {"region": "us-east"}]})).await;
    assert!(!labels(&body).is_empty());
    assert!(body["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["region"] == "us-east"
            && v["tags"].as_array().unwrap().contains(&json!("env:prod"))));

    let (_, body) =
        list(json!({"id": {"+gt": all[29]["id"]}, "+order_by": "id", "+order": "desc"})).await;
    assert_eq!(
        ids(body["data"].as_array().unwrap()),
        ids(&all[30..]).into_iter().rev().collect::<Vec<_>>()
    );

    for bad in [
        json!({"status": "running"}),
        json!({"label": 5}),
        json!({"+order_by": "tags"}),
    ] {
        let (status, body) = list(bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    // Volumes and domains filter on their own fields.
    let volume = linode.volumes(&euuid).unwrap()[1].clone();
    let (_, body) = send(
        &linode,
        &token,
        "GET",
        "/volumes",
        None,
        Some(json!({"label": volume["label"]})),
    )
    .await;
    assert_eq!(body["data"], json!([volume]));
    let domain = linode.domains(&euuid).unwrap()[2].clone();
    let (_, body) = send(
        &linode,
        &token,
        "GET",
        "/domains",
        None,
        Some(json!({"domain": {"+contains": domain["domain"]}})),
    )
    .await;
    assert_eq!(body["data"], json!([domain]));
}

#[tokio::test]
async fn seeded_resources_are_served() {
    let linode = LinodeEmulator::builder()
        .resources_per_account(0)
        .start()
        .await
        .unwrap();
    let euuid = linode.euuids()[0].clone();
    assert_eq!(linode.instances(&euuid), Some(Vec::new()));
    let seeded = linode
        .add_resource(
            ResourceKind::Instances,
            &euuid,
            json!({"label": "seeded", "id": 1}),
        )
        .unwrap();
    assert_eq!(seeded["label"], "seeded");
    assert_ne!(seeded["id"], 1, "the id stays the emulator's");
    assert_eq!(
        linode.add_resource(ResourceKind::Volumes, "NO-SUCH-EUUID", json!({})),
        None
    );
    let token = proxy_token(&linode, &euuid).await;
    let (status, body) = call(&linode, &token, "GET", "/linode/instances", None).await;
    assert_eq!((status, &body["data"]), (200, &json!([seeded])));
    let (_, body) = call(
        &linode,
        &linode.parent_token(),
        "GET",
        "/linode/instances",
        None,
    )
    .await;
    assert_eq!(
        (&body["data"], &body["results"], &body["pages"]),
        (&json!([]), &json!(0), &json!(1))
    );
}
