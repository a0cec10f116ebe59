//! Proxy-token hygiene of the child client against the Linode emulator: a short-lived token is
//! minted once, not once per call; a replaced token is revoked once its successor has served
//! a call and no call still runs with it; a failed revocation is a WARN line, never an error;
//! no token reaches a log line.
//!
//! The SDK renews a token on the local clock from the lifetime the API states, so these
//! tests use tokens of a few seconds and wait in real time.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use akamai_sdk::config::HttpConfig;
use akamai_sdk::linode::Euuid;
use akamai_sdk::retry::RetryPolicy;
use akamai_sdk::ExposeSecret;
use akamai_sdk_testkit::{Fault, FaultKind, LinodeEmulator};

/// Everything the SDK logs in this test binary, at TRACE.
fn logs() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&buffer);
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || Sink(Arc::clone(&sink)))
            .init();
        buffer
    })
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn log_text() -> String {
    String::from_utf8_lossy(&logs().lock().unwrap_or_else(|p| p.into_inner())).into_owned()
}

fn quick() -> HttpConfig {
    HttpConfig::new().with_retry(RetryPolicy::disabled())
}

async fn emulator(lifetime: Duration) -> (LinodeEmulator, Euuid) {
    logs();
    let linode = LinodeEmulator::builder()
        .children(2)
        .token_lifetime(lifetime)
        .start()
        .await
        .unwrap();
    let euuid = Euuid::new(linode.euuids()[0].clone()).unwrap();
    (linode, euuid)
}

/// `(id, revoked)` of the proxy tokens of `euuid`, in creation order.
fn tokens_of(linode: &LinodeEmulator, euuid: &Euuid) -> Vec<(i64, bool)> {
    let mut tokens: Vec<(i64, bool)> = linode
        .proxy_tokens()
        .into_iter()
        .filter(|(_, e, _)| e == euuid.as_str())
        .map(|(id, _, revoked)| (id, revoked))
        .collect();
    tokens.sort_unstable();
    tokens
}

/// Waits (up to 5 s) until the emulator has revoked `n` tokens of `euuid`.
async fn until_revoked(linode: &LinodeEmulator, euuid: &Euuid, n: usize) -> Vec<(i64, bool)> {
    let start = Instant::now();
    loop {
        let tokens = tokens_of(linode, euuid);
        if tokens.iter().filter(|(_, revoked)| *revoked).count() >= n
            || start.elapsed() > Duration::from_secs(5)
        {
            return tokens;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_short_lived_token_is_minted_once_not_once_per_call() {
    // 40 s of life: the old fixed 60 s margin renewed it on every call.
    let (linode, euuid) = emulator(Duration::from_secs(40)).await;
    let child = linode.parent_client_with(quick()).child(euuid.clone());
    for _ in 0..20 {
        child.account().await.unwrap();
    }
    assert_eq!(linode.counters().mints_for(euuid.as_str()), 1);
    assert_eq!(linode.counters().operation("get-account"), 20);

    // A chosen margin longer than the token's life would renew on every call: half the life
    // is used instead.
    let eager = child.with_refresh_margin(Duration::from_secs(300));
    for _ in 0..5 {
        eager.account().await.unwrap();
    }
    assert_eq!(linode.counters().mints_for(euuid.as_str()), 2);
    assert_eq!(
        linode.counters().operation("delete-personal-access-token"),
        0
    );
}

#[tokio::test]
async fn a_replaced_token_is_revoked_once_its_successor_is_in_use() {
    // 4 s of life, counted as 3 s (the API's times are whole seconds): the default margin is
    // 0.75 s, so the token is replaced after 2.25 s.
    let (linode, euuid) = emulator(Duration::from_secs(4)).await;
    let child = linode.parent_client_with(quick()).child(euuid.clone());
    child.account().await.unwrap();
    let first = child.token().await.unwrap();
    tokio::time::sleep(Duration::from_millis(2_600)).await;

    child.account().await.unwrap();
    let second = child.token().await.unwrap();
    assert_ne!(first.id(), second.id(), "the token was renewed");
    let tokens = until_revoked(&linode, &euuid, 1).await;
    assert_eq!(tokens, vec![(first.id(), true), (second.id(), false)]);
    assert_eq!(linode.counters().mints_for(euuid.as_str()), 2);
    assert_eq!(
        linode.counters().operation("delete-personal-access-token"),
        1
    );

    // The replaced token no longer works; the current one does.
    let http = reqwest::Client::new();
    let status = |token: String| {
        let request = http
            .get(format!("{}/account", linode.url()))
            .bearer_auth(token);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status(first.token().expose_secret().to_owned()).await, 401);
    assert_eq!(status(second.token().expose_secret().to_owned()).await, 200);

    let logs = log_text();
    for token in [&first, &second] {
        assert!(!logs.contains(token.token().expose_secret()), "{logs}");
    }
}

#[tokio::test]
async fn a_token_still_in_use_by_a_running_call_is_revoked_when_that_call_ends() {
    // 7 s of life, counted as 6 s: renewed after 4.5 s, expired for the client after 6 s.
    let (linode, euuid) = emulator(Duration::from_secs(7)).await;
    let child = linode.parent_client_with(quick()).child(euuid.clone());
    let first = child.token().await.unwrap();
    tokio::time::sleep(Duration::from_millis(3_000)).await;

    // A call with the first token that the server holds for 2.5 s…
    linode.inject(
        Fault::new(
            "GET",
            "/v4/profile",
            FaultKind::Delay(Duration::from_millis(2_500)),
        )
        .times(1),
    );
    let slow = tokio::spawn({
        let child = child.clone();
        async move { child.profile().await }
    });
    tokio::time::sleep(Duration::from_millis(1_800)).await;
    // …while another call renews the token (4.8 s) and succeeds with the new one.
    child.account().await.unwrap();
    let second = child.token().await.unwrap();
    assert_ne!(first.id(), second.id());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        tokens_of(&linode, &euuid),
        vec![(first.id(), false), (second.id(), false)],
        "the first token is not revoked under the running call"
    );

    let profile = slow.await.unwrap().unwrap();
    assert!(profile.username.is_some());
    let tokens = until_revoked(&linode, &euuid, 1).await;
    assert_eq!(tokens, vec![(first.id(), true), (second.id(), false)]);
}

#[tokio::test]
async fn a_failed_revocation_is_logged_at_warn_and_never_returned() {
    let (linode, euuid) = emulator(Duration::from_secs(4)).await;
    linode.inject(Fault::status("DELETE", "/v4/profile/tokens/*", 500));
    let child = linode.parent_client_with(quick()).child(euuid.clone());
    let first = child.token().await.unwrap();
    tokio::time::sleep(Duration::from_millis(2_600)).await;

    child
        .account()
        .await
        .expect("the revocation's failure is not the call's");
    let second = child.token().await.unwrap();
    let start = Instant::now();
    while linode.counters().operation("delete-personal-access-token") == 0
        && start.elapsed() < Duration::from_secs(5)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        tokens_of(&linode, &euuid),
        vec![(first.id(), false), (second.id(), false)]
    );

    let logs = log_text();
    let warning = logs
        .lines()
        .find(|line| {
            line.contains("WARN")
                && line.contains("could not revoke a replaced proxy token")
                && line.contains(&format!("token_id={}", first.id()))
        })
        .unwrap_or_else(|| panic!("no WARN line for token {}:\n{logs}", first.id()));
    assert!(warning.contains("500"), "{warning}");
    for token in [&first, &second] {
        assert!(!logs.contains(token.token().expose_secret()), "{logs}");
    }
}
