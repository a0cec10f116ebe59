//! The SDK's parent/child workflow end to end against the Linode emulator: listing with
//! pagination and filters, proxy tokens, the proxy principal, revocation, grants, limits.

use std::time::Duration;

use akamai_sdk::config::HttpConfig;
use akamai_sdk::linode::{
    ChildAccessError, ChildAccountField, ChildAccountFilter, Euuid, LinodeClient, Order, UserType,
};
use akamai_sdk::retry::RetryPolicy;
use akamai_sdk_testkit::LinodeEmulator;
use futures::TryStreamExt;
use secrecy::ExposeSecret;
use serde_json::json;

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
        parent.account().await.unwrap().company.as_deref(),
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
