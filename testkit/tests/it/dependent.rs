//! The two seed workflows written as a dependent writes them: the only SDK imports are
//! `akamai_sdk` paths (its prelude and modules) and `tokio`; no `secrecy`, `reqwest`,
//! `futures` or `akamai_sdk_generated` import. The emulators stand in for the APIs.

use std::time::Duration;

use akamai_sdk::edgekv::{TokensFile, WaitOutcome};
use akamai_sdk::linode::UserType;
use akamai_sdk::prelude::*;
use akamai_sdk_testkit::linode::PARENT_COMPANY;
use akamai_sdk_testkit::{EdgeKvEmulator, LinodeEmulator};

#[tokio::test]
async fn list_children_mint_a_proxy_token_and_act_as_the_child() {
    let linode = LinodeEmulator::builder()
        .children(30)
        .start()
        .await
        .unwrap();
    let parent: LinodeClient = linode.parent_client();

    parent.ensure_child_account_access().await.unwrap();
    let children: Vec<_> = parent
        .child_accounts()
        .page_size(25)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(children.len(), 30);
    let euuid = Euuid::try_from(&children[7]).unwrap();

    let child: ChildClient = parent.child(euuid.clone());
    let account = child.account().await.unwrap();
    assert_eq!(account.euuid.as_deref(), Some(euuid.as_str()));
    let me = child.profile().await.unwrap();
    assert_eq!(me.user_type, Some(UserType::Proxy));
    // The proxy user is named as the API documents it.
    assert_eq!(
        child.proxy_username().await.unwrap(),
        Some(proxy_username(PARENT_COMPANY, &euuid))
    );

    let token: ProxyToken = child.token().await.unwrap();
    let secret: &SecretString = token.token();
    assert!(!secret.expose_secret().is_empty());
    let expires: Option<&DateTime> = token.expiry();
    assert!(expires.is_some());
    assert!(!format!("{token:?}").contains(secret.expose_secret()));

    // A parent route with the proxy token is refused; the error's status is SDK-typed.
    let err: Error = LinodeClient::builder()
        .token(secret.expose_secret().to_owned())
        .base_url(linode.url())
        .http_config(HttpConfig::new().allow_insecure_loopback(true))
        .build()
        .unwrap()
        .child_accounts()
        .page(1)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
    assert!(child.revoke().await.unwrap());
}

#[tokio::test]
async fn create_an_access_token_wait_for_it_and_write_the_tokens_file() {
    let kv = EdgeKvEmulator::builder()
        .token_activation_reads(2)
        .start()
        .await
        .unwrap();
    let client: EdgeKvClient = kv.client();
    let created = client
        .create_token(&NewToken::new("worker").namespace("default", [Permission::R, Permission::W]))
        .await
        .unwrap();
    assert!(!created.is_active());
    let wait = WaitOptions::new()
        .with_poll_interval(Duration::from_millis(5))
        .with_timeout(Duration::from_secs(5));
    let ready = match client.wait_for_token("worker", wait).await.unwrap() {
        WaitOutcome::Ready(token) => token,
        WaitOutcome::TimedOut(token) => panic!("still {:?}", token.activation_status),
    };
    assert!(ready.is_active());
    let dir = std::env::temp_dir().join(format!("akamai-sdk-dependent-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("edgekv_tokens.js");
    TokensFile::merge_into_file(&path, &ready).unwrap();
    assert!(TokensFile::read(&path).unwrap().get("default").is_some());
    std::fs::remove_dir_all(&dir).unwrap();

    let group = client.group(Network::Staging, "default", "greetings");
    group.put("en", &ItemValue::text("Hello")).await.unwrap();
    assert_eq!(group.get("en").await.unwrap().as_bytes(), b"Hello");
}
