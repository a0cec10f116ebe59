//! What a dependent configures, against the emulators: a client built from an `.edgerc` file
//! keeps every option (HTTP settings, base URL, account switch key), and the per-call
//! deadline bounds all attempts and the waits between them, saying whether it ran out during
//! an attempt or before a wait.

use std::time::{Duration, Instant};

use akamai_sdk::config::HttpConfig;
use akamai_sdk::edgekv::{EdgeKvClient, ItemValue, Network};
use akamai_sdk::error::DeadlinePhase;
use akamai_sdk::retry::RetryPolicy;
use akamai_sdk::{Error, StatusCode};
use akamai_sdk_testkit::{EdgeKvEmulator, Fault, FaultKind, LinodeEmulator};

/// Retries on, deterministic waits: 50 ms, 100 ms, 200 ms, …
fn eager_retries() -> RetryPolicy {
    RetryPolicy::new()
        .with_max_attempts(10)
        .with_initial_backoff(Duration::from_millis(50))
        .with_jitter(false)
}

fn deadline_of(err: &Error) -> &akamai_sdk::error::DeadlineError {
    err.deadline()
        .unwrap_or_else(|| panic!("expected a deadline error, got {err:?}"))
}

#[tokio::test]
async fn an_edgerc_client_keeps_its_http_config_base_url_and_account_switch_key() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let edgerc = dir.path().join(".edgerc");
    std::fs::write(&edgerc, kv.edgerc_section("kv")).unwrap();

    let client = EdgeKvClient::builder_from_edgerc(&edgerc, "kv")
        .unwrap()
        .base_url(kv.url())
        .http_config(
            HttpConfig::new()
                .allow_insecure_loopback(true)
                .with_user_agent_suffix("kv-tool/2.0")
                .with_deadline(Duration::from_millis(700)),
        )
        .account_switch_key("1-ABCDE:1-2RBL")
        .build()
        .unwrap();
    let group = client.group(Network::Staging, "default", "greetings");
    group.put("en", &ItemValue::text("Hello")).await.unwrap();
    assert_eq!(
        kv.item(Network::Staging, "default", "greetings", "en")
            .unwrap()
            .1,
        b"Hello"
    );
    let put = kv.requests().pop().unwrap();
    assert!(
        put.target
            .ends_with("/items/en?accountSwitchKey=1-ABCDE%3A1-2RBL"),
        "{}",
        put.target
    );

    // The deadline came with the configuration: a read the server holds for 5 s stops at it.
    kv.inject(Fault::new(
        "GET",
        "/edgekv/v1/networks/*/namespaces/*/groups/*/items/*",
        FaultKind::Delay(Duration::from_secs(5)),
    ));
    let start = Instant::now();
    let err = group.get("en").await.unwrap_err();
    let elapsed = start.elapsed();
    assert_eq!(deadline_of(&err).phase(), DeadlinePhase::Attempt);
    assert!(
        elapsed >= Duration::from_millis(700) && elapsed < Duration::from_millis(1_200),
        "{elapsed:?}"
    );

    // A section that is not in the file is a credentials error naming it.
    let err = EdgeKvClient::builder_from_edgerc(&edgerc, "missing").unwrap_err();
    assert!(matches!(err, Error::Credentials(_)), "{err:?}");
    assert!(err.to_string().contains("missing"), "{err}");
}

#[tokio::test]
async fn the_deadline_stops_retries_of_a_slow_server_within_tolerance() {
    let linode = LinodeEmulator::start().await.unwrap();
    linode.inject(Fault::new(
        "GET",
        "/v4/account",
        FaultKind::Delay(Duration::from_secs(10)),
    ));
    // Each attempt times out after 400 ms and is retried; without the deadline the call
    // would run 10 attempts (over 5 s).
    let parent = linode.parent_client_with(
        HttpConfig::new()
            .with_timeout(Duration::from_millis(400))
            .with_retry(eager_retries())
            .with_deadline(Duration::from_millis(1_200)),
    );
    let start = Instant::now();
    let err = parent.account().await.unwrap_err();
    let elapsed = start.elapsed();

    let deadline = deadline_of(&err);
    assert_eq!(deadline.deadline(), Duration::from_millis(1_200));
    // Attempts end at 0.40 s and 0.85 s (after waits of 50 and 100 ms); the third one runs
    // from 0.95 s and is stopped at the deadline.
    assert_eq!(deadline.phase(), DeadlinePhase::Attempt);
    assert!(deadline.attempts() >= 2, "{deadline:?}");
    assert!(
        deadline
            .last_error()
            .is_some_and(|e| matches!(e, Error::Timeout(_))),
        "the earlier attempts ran out of their own timeout: {deadline:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(1_200) && elapsed < Duration::from_millis(1_500),
        "{elapsed:?}"
    );
    assert!(err.is_timeout());
    assert!(!err.is_retryable());
    assert!(
        err.to_string()
            .starts_with("the call deadline of 1200 ms ran out during attempt"),
        "{err}"
    );

    // Without a deadline, one attempt that runs out is a timeout of that attempt.
    let single = linode.parent_client_with(
        HttpConfig::new()
            .with_timeout(Duration::from_millis(200))
            .with_retry(RetryPolicy::disabled()),
    );
    let err = single.account().await.unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(err.to_string().contains("attempt timed out"), "{err}");
}

#[tokio::test]
async fn a_wait_that_would_pass_the_deadline_ends_the_call_at_once() {
    let linode = LinodeEmulator::start().await.unwrap();
    linode.inject(Fault::status("GET", "/v4/account", 503).retry_after(30));
    let parent = linode.parent_client_with(
        HttpConfig::new()
            .with_retry(eager_retries())
            .with_deadline(Duration::from_secs(5)),
    );
    let start = Instant::now();
    let err = parent.account().await.unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(1), "it did not wait");

    let deadline = deadline_of(&err);
    assert_eq!(deadline.phase(), DeadlinePhase::Wait);
    assert_eq!(deadline.attempts(), 1);
    assert_eq!(
        deadline.last_error().and_then(Error::status),
        Some(StatusCode::SERVICE_UNAVAILABLE)
    );
    assert_eq!(linode.counters().operation("get-account"), 1);
    assert!(
        err.to_string()
            .contains("would run out before attempt 2 could start"),
        "{err}"
    );
    // The attempt's error is the source, for error reporters that walk the chain.
    let source = std::error::Error::source(&err).expect("a source");
    assert!(source.to_string().contains("503"), "{source}");

    // Waits that fit are still made: 2 faults of Retry-After 1 s, then the answer.
    linode.clear_faults();
    linode.inject(
        Fault::status("GET", "/v4/account", 503)
            .retry_after(1)
            .times(2),
    );
    let account = parent.account().await.unwrap();
    assert!(account.company.is_some());
    assert_eq!(linode.counters().operation("get-account"), 4);
}
