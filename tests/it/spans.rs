//! The spans every call makes, in the OpenTelemetry semantic conventions for HTTP client spans,
//! recorded by the test subscriber of `support::logs`: one `akamai_sdk.call` span naming the
//! operation, and inside it one `akamai_sdk.attempt` span per attempt whose `otel.*` and HTTP
//! fields `tracing-opentelemetry` exports as a standard client span.

use std::time::Duration;

use akamai_sdk::config::HttpConfig;
use akamai_sdk::linode::{Euuid, LinodeClient};
use akamai_sdk::retry::RetryPolicy;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::logs::{self, SpanRecord};

const PARENT_TOKEN: &str = "parent-Sp4n-Tok3n-51a0";
const CHILD_TOKEN: &str = "child-Sp4n-Tok3n-4b1d";
const EUUID: &str = "E1AF5EEC-526F-487D-B317EBEB34C87D71";

fn parent(server_uri: &str, retry: RetryPolicy) -> LinodeClient {
    LinodeClient::builder()
        .token(PARENT_TOKEN)
        .base_url(format!("{server_uri}/v4"))
        .http_config(
            HttpConfig::new()
                .allow_insecure_loopback(true)
                .with_retry(retry)
                .with_connect_timeout(Duration::from_secs(2)),
        )
        .build()
        .unwrap()
}

fn account() -> serde_json::Value {
    json!({"company": "Acme", "euuid": EUUID, "balance": 0, "active_since": "2018-01-01T00:01:01"})
}

fn named<'a>(spans: &'a [SpanRecord], name: &str) -> Vec<&'a SpanRecord> {
    spans.iter().filter(|s| s.name == name).collect()
}

/// The host and port of a loopback server URI (`http://127.0.0.1:PORT`).
fn host_port(uri: &str) -> (String, String) {
    let authority = uri.trim_start_matches("http://");
    let (host, port) = authority.rsplit_once(':').unwrap();
    (host.to_owned(), port.to_owned())
}

#[tokio::test]
async fn a_success_is_one_call_span_around_one_client_span() {
    let captured = logs::capture();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v4/account"))
        .respond_with(ResponseTemplate::new(200).set_body_json(account()))
        .mount(&server)
        .await;
    parent(&server.uri(), RetryPolicy::disabled())
        .api()
        .get_account()
        .await
        .unwrap();

    let spans = captured.spans();
    let [attempt] = named(&spans, "akamai_sdk.attempt")[..] else {
        panic!("one attempt span: {spans:#?}");
    };
    let (host, port) = host_port(&server.uri());
    assert_eq!(attempt.parent, Some("akamai_sdk.call"));
    assert_eq!(attempt.field("otel.name"), Some("GET /v4/account"));
    assert_eq!(attempt.field("otel.kind"), Some("client"));
    assert_eq!(attempt.field("http.request.method"), Some("GET"));
    assert_eq!(attempt.field("url.template"), Some("/v4/account"));
    assert_eq!(
        attempt.field("url.full"),
        Some(format!("{}/v4/account", server.uri()).as_str())
    );
    assert_eq!(attempt.field("server.address"), Some(host.as_str()));
    assert_eq!(attempt.field("server.port"), Some(port.as_str()));
    assert_eq!(attempt.field("http.response.status_code"), Some("200"));
    assert_eq!(attempt.field("error.type"), None);
    assert_eq!(attempt.field("otel.status_code"), None);
    assert_eq!(attempt.field("http.request.resend_count"), None);

    let [call] = named(&spans, "akamai_sdk.call")[..] else {
        panic!("one call span: {spans:#?}");
    };
    assert_eq!(call.field("operation_id"), Some("get-account"));
    assert_eq!(call.field("otel.name"), Some("get-account"));
    assert_eq!(call.field("error.type"), None);
}

#[tokio::test]
async fn a_resent_attempt_has_its_own_span_with_the_resend_count() {
    let captured = logs::capture();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v4/account"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"errors": []})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v4/account"))
        .respond_with(ResponseTemplate::new(200).set_body_json(account()))
        .mount(&server)
        .await;
    let retry = RetryPolicy::default()
        .with_jitter(false)
        .with_initial_backoff(Duration::from_millis(1));
    parent(&server.uri(), retry)
        .api()
        .get_account()
        .await
        .unwrap();

    let spans = captured.spans();
    let [first, second] = named(&spans, "akamai_sdk.attempt")[..] else {
        panic!("two attempt spans: {spans:#?}");
    };
    assert_eq!(first.field("http.response.status_code"), Some("503"));
    assert_eq!(first.field("error.type"), Some("503"));
    assert_eq!(first.field("otel.status_code"), Some("error"));
    assert_eq!(first.field("http.request.resend_count"), None);
    assert_eq!(second.field("http.response.status_code"), Some("200"));
    assert_eq!(second.field("error.type"), None);
    assert_eq!(second.field("http.request.resend_count"), Some("1"));
    for attempt in [first, second] {
        assert_eq!(attempt.field("otel.name"), Some("GET /v4/account"));
        assert_eq!(attempt.parent, Some("akamai_sdk.call"));
    }
    let [call] = named(&spans, "akamai_sdk.call")[..] else {
        panic!("one call span: {spans:#?}");
    };
    assert_eq!(call.field("attempt"), Some("2"));
    assert_eq!(call.field("error.type"), None);
}

#[tokio::test]
async fn a_refused_connection_has_an_error_type_and_no_status() {
    let captured = logs::capture();
    // A port that was just free: nothing listens there any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = parent(&uri, RetryPolicy::disabled())
        .api()
        .get_account()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");

    let spans = captured.spans();
    let [attempt] = named(&spans, "akamai_sdk.attempt")[..] else {
        panic!("one attempt span: {spans:#?}");
    };
    assert_eq!(attempt.field("error.type"), Some("connect_error"));
    assert_eq!(attempt.field("otel.status_code"), Some("error"));
    assert_eq!(attempt.field("http.response.status_code"), None);
    assert_eq!(
        attempt.field("url.full"),
        Some(format!("{uri}/v4/account").as_str())
    );
    let [call] = named(&spans, "akamai_sdk.call")[..] else {
        panic!("one call span: {spans:#?}");
    };
    assert_eq!(call.field("error.type"), Some("connect_error"));
    assert_eq!(call.field("otel.status_code"), Some("error"));
}

#[tokio::test]
async fn a_child_clients_mint_and_call_put_no_token_in_any_field() {
    let captured = logs::capture();
    let server = MockServer::start().await;
    let token_path = format!("/v4/account/child-accounts/{EUUID}/token");
    Mock::given(method("POST"))
        .and(path(token_path.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": 7, "token": CHILD_TOKEN, "label": "proxy", "scopes": "*",
            "created": "2024-05-01T10:00:00", "expiry": "2999-05-01T10:15:00"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v4/account"))
        .respond_with(ResponseTemplate::new(200).set_body_json(account()))
        .mount(&server)
        .await;
    let child =
        parent(&server.uri(), RetryPolicy::disabled()).child(EUUID.parse::<Euuid>().unwrap());
    child.api().get_account().await.unwrap();

    let spans = captured.spans();
    let attempts = named(&spans, "akamai_sdk.attempt");
    let names: Vec<_> = attempts.iter().map(|s| s.field("otel.name")).collect();
    assert_eq!(
        names,
        [
            Some("POST /v4/account/child-accounts/{euuid}/token"),
            Some("GET /v4/account")
        ],
        "the mint, then the call"
    );
    assert_eq!(
        attempts[0].field("url.full"),
        Some(format!("{}{token_path}", server.uri()).as_str())
    );
    for span in &spans {
        for (field, value) in &span.fields {
            assert!(
                !value.contains(CHILD_TOKEN) && !value.contains(PARENT_TOKEN),
                "a token in field `{field}` of `{}`",
                span.name
            );
        }
    }
}

/// An `https://` base URL for a plain-http server (a local emulator reached the wrong way):
/// the TLS handshake fails, the error says where it went and why in its `Display`, and it is
/// not retried (one attempt, though the policy would retry a connection failure).
#[tokio::test]
async fn a_tls_handshake_with_a_plain_http_server_fails_once_and_says_why() {
    let captured = logs::capture();
    let server = MockServer::start().await;
    let (host, port) = host_port(&server.uri());
    let https = format!("https://{host}:{port}");
    let retry = RetryPolicy::default()
        .with_jitter(false)
        .with_initial_backoff(Duration::from_millis(1));
    let err = parent(&https, retry).api().get_account().await.unwrap_err();
    assert!(err.is_tls_failure(), "{err:?}");
    assert!(!err.is_retryable(), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("the TLS handshake failed with {https}: ")),
        "{text}"
    );
    assert!(
        text.len() > format!("the TLS handshake failed with {https}: ").len(),
        "the root cause follows: {text}"
    );
    let spans = captured.spans();
    let attempts = named(&spans, "akamai_sdk.attempt");
    assert_eq!(attempts.len(), 1, "{spans:#?}");
    assert_eq!(attempts[0].field("error.type"), Some("tls_error"));
    assert!(server.received_requests().await.unwrap().is_empty());
}
