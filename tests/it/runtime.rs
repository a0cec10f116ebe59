//! The shared runtime against loopback servers: retries and their waits, which methods are
//! retried after which failures, error bodies, timeouts, base-URL checks, tracing, and that no
//! secret reaches `Debug` output or logs.
//!
//! These stay on hand-made stubs rather than the testkit's emulators: they need exact control
//! of the wire (a chosen status, header or body at a chosen attempt, a delay or a hang-up at a
//! given moment, raw bodies the emulators never send).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use akamai_sdk::config::{ConfigError, HttpConfig};
use akamai_sdk::error::{ErrorBody, SNIPPET_BYTES};
use akamai_sdk::generated::linode::operations::{GET_ACCOUNT, POST_CHILD_ACCOUNT_TOKEN};
use akamai_sdk::generated::progenitor_client::{Error as GeneratedError, ResponseValue};
use akamai_sdk::generated::reqwest::{self, header, Method};
use akamai_sdk::generated::{linode, RequestSigner, SignFuture, Signer};
use akamai_sdk::retry::RetryPolicy;
use akamai_sdk::runtime::Runtime;
use akamai_sdk::Error;
use akamai_sdk_testkit::RecordedWaits;
use serde::de::DeserializeOwned;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::logs::capture;

fn config(policy: RetryPolicy, waits: &RecordedWaits) -> HttpConfig {
    HttpConfig::new()
        .allow_insecure_loopback(true)
        .with_retry(policy)
        .with_sleeper(waits.clone())
}

fn setup(policy: RetryPolicy) -> (reqwest::Client, Runtime, RecordedWaits) {
    let waits = RecordedWaits::default();
    let config = config(policy, &waits);
    (config.build_client().unwrap(), config.runtime(), waits)
}

/// Linode's error list, as a generated client types it.
#[derive(Debug, serde::Deserialize, serde::Serialize)]
struct LinodeErrors {
    #[serde(default)]
    errors: Vec<serde_json::Value>,
}

/// Does what a generated operation does: build, send, and sort the response by status
/// (2xx decoded, 4xx typed `ErrorResponse`, anything else `UnexpectedResponse`).
async fn generated_like<T: DeserializeOwned>(
    http: &reqwest::Client,
    method: Method,
    url: &str,
) -> Result<ResponseValue<T>, GeneratedError<LinodeErrors>> {
    let request = http.request(method, url).build()?;
    let response = http.execute(request).await?;
    match response.status().as_u16() {
        200..=299 => ResponseValue::from_response(response).await,
        400..=499 => Err(GeneratedError::ErrorResponse(
            ResponseValue::from_response(response).await?,
        )),
        _ => Err(GeneratedError::UnexpectedResponse(response)),
    }
}

/// Does what the SDK does for a request progenitor cannot express: send it along the
/// generated operations' path (`akamai_sdk_generated::send`), then turn an error status into
/// `UnexpectedResponse` and return the status and body of a success.
async fn handwritten(
    http: &reqwest::Client,
    builder: reqwest::RequestBuilder,
) -> Result<ResponseValue<(reqwest::StatusCode, bytes::Bytes)>, GeneratedError<()>> {
    let request = builder
        .build()
        .map_err(|e| GeneratedError::InvalidRequest(e.to_string()))?;
    let response = akamai_sdk::generated::send(&Signer::unsigned(), http, request).await?;
    let status = response.status();
    if !status.is_success() {
        return Err(GeneratedError::UnexpectedResponse(response));
    }
    let body = response
        .bytes()
        .await
        .map_err(GeneratedError::ResponseBodyError)?;
    Ok(ResponseValue::new(
        (status, body),
        status,
        header::HeaderMap::new(),
    ))
}

/// A 429 with the body Linode sends.
fn too_many() -> ResponseTemplate {
    ResponseTemplate::new(429)
        .set_body_json(serde_json::json!({"errors": [{"reason": "Too many requests"}]}))
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

fn epoch_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn get_429_honours_retry_after_seconds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/thing"))
        .respond_with(too_many().insert_header("Retry-After", "3"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/thing"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": 7})))
        .mount(&server)
        .await;
    let (http, runtime, waits) = setup(RetryPolicy::default());
    let url = format!("{}/thing", server.uri());
    let value: serde_json::Value = runtime
        .call(&GET_ACCOUNT, || generated_like(&http, Method::GET, &url))
        .await
        .unwrap();
    assert_eq!(value["id"], 7);
    assert_eq!(waits.taken(), [Duration::from_secs(3)]);
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn get_429_honours_retry_after_http_date() {
    let server = MockServer::start().await;
    let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(5));
    Mock::given(method("GET"))
        .respond_with(too_many().insert_header("Retry-After", at.as_str()))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
        .mount(&server)
        .await;
    let (http, runtime, waits) = setup(RetryPolicy::default());
    let url = server.uri();
    let _: serde_json::Value = runtime
        .call(&GET_ACCOUNT, || generated_like(&http, Method::GET, &url))
        .await
        .unwrap();
    let waits = waits.taken();
    assert_eq!(waits.len(), 1);
    // The date has whole seconds: the wait is a little under 5 s.
    assert!(
        waits[0] > Duration::from_secs(3) && waits[0] <= Duration::from_secs(5),
        "{waits:?}"
    );
}

#[tokio::test]
async fn get_429_honours_the_linode_rate_limit_reset() {
    let server = MockServer::start().await;
    let reset = (epoch_now() + 4).to_string();
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("X-RateLimit-Reset", reset.as_str())
                .set_body_json(serde_json::json!({"errors": [{"reason": "Too many requests"}]})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
        .mount(&server)
        .await;
    let (http, runtime, waits) = setup(RetryPolicy::default());
    let url = server.uri();
    let _: serde_json::Value = runtime
        .call(&GET_ACCOUNT, || generated_like(&http, Method::GET, &url))
        .await
        .unwrap();
    let waits = waits.taken();
    assert_eq!(waits.len(), 1);
    assert!(
        waits[0] > Duration::from_secs(2) && waits[0] <= Duration::from_secs(4),
        "{waits:?}"
    );
}

#[tokio::test]
async fn service_unavailable_backoff_is_bounded() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let policy = RetryPolicy::default()
        .with_max_attempts(5)
        .with_initial_backoff(Duration::from_millis(100))
        .with_max_backoff(Duration::from_millis(300));
    let (http, runtime, waits) = setup(policy.clone());
    let url = server.uri();
    let err = runtime
        .call(&GET_ACCOUNT, || {
            generated_like::<serde_json::Value>(&http, Method::GET, &url)
        })
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(reqwest::StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(requests(&server).await, 5);
    let taken = waits.taken();
    assert_eq!(taken.len(), 4);
    for (i, (wait, nominal)) in taken.iter().zip([100u64, 200, 300, 300]).enumerate() {
        let nominal = Duration::from_millis(nominal);
        assert!(
            *wait >= nominal / 2 && *wait <= nominal,
            "wait {i}: {wait:?}"
        );
    }

    // The total wait is bounded too: 100 + 100 fits in 250 ms, a third wait would not.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let (http, runtime, waits) = setup(
        policy
            .with_max_attempts(10)
            .with_jitter(false)
            .with_max_backoff(Duration::from_millis(100))
            .with_max_total_wait(Duration::from_millis(250)),
    );
    let url = server.uri();
    runtime
        .call(&GET_ACCOUNT, || {
            generated_like::<serde_json::Value>(&http, Method::GET, &url)
        })
        .await
        .unwrap_err();
    assert_eq!(waits.taken(), [Duration::from_millis(100); 2]);
    assert_eq!(requests(&server).await, 3);
}

/// A server that reads each request in full (up to `marker`) and then closes the connection
/// without answering. Returns its address and the number of requests it read.
async fn dropping_server(marker: &'static [u8]) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    tokio::spawn(async move {
        // Bounded: at most 10 connections, and the test ends long before.
        for _ in 0..10 {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1024];
            while !buf.windows(marker.len()).any(|w| w == marker) {
                match tokio::time::timeout(Duration::from_secs(5), socket.read(&mut chunk)).await {
                    Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                    _ => break,
                }
            }
            seen.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    (format!("http://{addr}"), count)
}

#[tokio::test]
async fn post_is_not_retried_when_the_connection_drops_after_the_request_was_read() {
    let (url, count) = dropping_server(b"\"label\":\"x\"}").await;
    let (http, runtime, waits) = setup(RetryPolicy::default());
    let attempts = AtomicUsize::new(0);
    let err = runtime
        .call_raw(&POST_CHILD_ACCOUNT_TOKEN, || {
            attempts.fetch_add(1, Ordering::SeqCst);
            handwritten(
                &http,
                http.post(format!("{url}/things"))
                    .json(&serde_json::json!({"label": "x"})),
            )
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(!err.is_connect());
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert!(waits.taken().is_empty());
}

#[tokio::test]
async fn get_is_retried_when_the_connection_drops() {
    let (url, count) = dropping_server(b"\r\n\r\n").await;
    let (http, runtime, waits) = setup(RetryPolicy::default().with_max_attempts(3));
    let err = runtime
        .call_raw(&GET_ACCOUNT, || {
            handwritten(&http, http.get(format!("{url}/things")))
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert_eq!(count.load(Ordering::SeqCst), 3);
    assert_eq!(waits.taken().len(), 2);
}

#[tokio::test]
async fn post_is_retried_when_the_connection_is_refused() {
    let refused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({"id": 1})))
        .mount(&server)
        .await;
    let (http, runtime, waits) = setup(RetryPolicy::default());
    let attempts = AtomicUsize::new(0);
    let good = server.uri();
    let response = runtime
        .call_raw(&POST_CHILD_ACCOUNT_TOKEN, || {
            // The first two attempts find nobody listening.
            let base = if attempts.fetch_add(1, Ordering::SeqCst) < 2 {
                &refused
            } else {
                &good
            };
            handwritten(&http, http.post(format!("{base}/things")).body("{}"))
        })
        .await
        .unwrap();
    assert_eq!(response.0.as_u16(), 201);
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
    assert_eq!(waits.taken().len(), 2);
    assert_eq!(requests(&server).await, 1);

    // When nobody ever listens, the error says the request never left.
    let err = HttpConfig::new()
        .with_retry(RetryPolicy::disabled())
        .runtime()
        .call_raw(&POST_CHILD_ACCOUNT_TOKEN, || {
            handwritten(&http, http.post(format!("{refused}/things")))
        })
        .await
        .unwrap_err();
    assert!(err.is_connect() && err.is_retryable(), "{err:?}");
}

#[tokio::test]
async fn post_is_retried_on_429_but_not_on_503() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/limited"))
        .respond_with(too_many().insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/limited"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/down"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "1"))
        .mount(&server)
        .await;
    let (http, runtime, waits) = setup(RetryPolicy::default());
    let limited = format!("{}/limited", server.uri());
    let value: serde_json::Value = runtime
        .call(&POST_CHILD_ACCOUNT_TOKEN, || {
            generated_like(&http, Method::POST, &limited)
        })
        .await
        .unwrap();
    assert_eq!(value["ok"], true);
    assert_eq!(waits.taken(), [Duration::from_secs(1)]);

    let down = format!("{}/down", server.uri());
    let err = runtime
        .call(&POST_CHILD_ACCOUNT_TOKEN, || {
            generated_like::<serde_json::Value>(&http, Method::POST, &down)
        })
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    let received = server.received_requests().await.unwrap();
    assert_eq!(
        received.iter().filter(|r| r.url.path() == "/down").count(),
        1
    );
    assert_eq!(waits.taken().len(), 1);
}

fn html_page() -> String {
    let mut page = String::from("<html><head><title>502 Bad Gateway</title></head><body>");
    while page.len() < 4000 {
        page.push_str("Ünavailable — ");
    }
    page.push_str("</body></html>");
    page
}

fn assert_html_502(err: &Error) {
    let api = err
        .api()
        .unwrap_or_else(|| panic!("not an API error: {err:?}"));
    assert_eq!(api.status().as_u16(), 502);
    assert_eq!(api.content_type(), Some("text/html; charset=utf-8"));
    let ErrorBody::Text(text) = api.body() else {
        panic!("not a text body: {:?}", api.body())
    };
    assert!(text.snippet.len() <= SNIPPET_BYTES);
    assert!(
        text.snippet.len() > SNIPPET_BYTES - 4,
        "{}",
        text.snippet.len()
    );
    assert!(text
        .snippet
        .starts_with("<html><head><title>502 Bad Gateway"));
    assert!(text.truncated);
    assert!(
        err.to_string()
            .starts_with("API error: HTTP 502 Bad Gateway: text/html"),
        "{err}"
    );
}

#[tokio::test]
async fn an_html_502_becomes_an_api_error_with_a_snippet() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(502).set_body_raw(html_page(), "text/html; charset=utf-8"),
        )
        .mount(&server)
        .await;
    let (http, runtime, _) = setup(RetryPolicy::disabled());
    let url = server.uri();
    let err = runtime
        .call(&GET_ACCOUNT, || {
            generated_like::<serde_json::Value>(&http, Method::GET, &url)
        })
        .await
        .unwrap_err();
    assert_html_502(&err);
    let err = runtime
        .call_raw(&GET_ACCOUNT, || handwritten(&http, http.get(&url)))
        .await
        .unwrap_err();
    assert_html_502(&err);

    // A generated operation that types its 5xx bodies fails to decode the page; the
    // post-response hook kept the status and headers, so it is still an API error.
    let client = linode::Client::new_with_client(&url, http.clone(), Signer::unsigned());
    let err = runtime
        .call(&GET_ACCOUNT, || client.get_account())
        .await
        .unwrap_err();
    assert_html_502(&err);
}

#[tokio::test]
async fn a_generated_get_answered_by_an_html_503_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(503).set_body_raw(html_page(), "text/html; charset=utf-8"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"email": "a@b.c"})),
        )
        .mount(&server)
        .await;
    let (http, runtime, _) = setup(RetryPolicy::new().with_max_attempts(3));
    let client = linode::Client::new_with_client(&server.uri(), http.clone(), Signer::unsigned());
    let account = runtime
        .call(&GET_ACCOUNT, || client.get_account())
        .await
        .unwrap();
    assert_eq!(
        account.email.as_ref().map(|e| e.to_string()).as_deref(),
        Some("a@b.c")
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn problem_json_and_linode_error_bodies_parse() {
    let server = MockServer::start().await;
    Mock::given(path("/problem"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("X-Akamai-Request-ID", "akreq-1")
                .set_body_raw(
                    r#"{"type":"https://problems.luna.akamaiapis.net/edgekv/not-found","title":"Not Found",
                        "detail":"The namespace does not exist","status":404,"errorCode":"EKV_3000",
                        "instance":"/edgekv/error-instances/1","additionalDetail":{"requestId":"rid-9"},
                        "somethingNew":true}"#,
                    "application/problem+json",
                ),
        )
        .mount(&server)
        .await;
    Mock::given(path("/linode-400"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "errors": [{"reason": "Label must be unique", "field": "label"}]
        })))
        .mount(&server)
        .await;
    Mock::given(path("/linode-500"))
        .respond_with(ResponseTemplate::new(500).set_body_json(serde_json::json!({
            "errors": [{"reason": "Please try again"}]
        })))
        .mount(&server)
        .await;
    let (http, runtime, _) = setup(RetryPolicy::disabled());

    let url = format!("{}/problem", server.uri());
    let err = runtime
        .call_raw(&GET_ACCOUNT, || handwritten(&http, http.get(&url)))
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.request_id(), Some("akreq-1"));
    let Some(ErrorBody::Problem(problem)) = err.api().map(|a| a.body()) else {
        panic!("not a problem: {err:?}")
    };
    assert_eq!(problem.title.as_deref(), Some("Not Found"));
    assert_eq!(
        problem.detail.as_deref(),
        Some("The namespace does not exist")
    );
    assert_eq!(problem.status, Some(404));
    assert_eq!(problem.error_code.as_deref(), Some("EKV_3000"));
    assert_eq!(
        problem.instance.as_deref(),
        Some("/edgekv/error-instances/1")
    );
    assert_eq!(problem.request_id.as_deref(), Some("rid-9"));
    assert_eq!(problem.extra["somethingNew"], true);
    assert_eq!(
        err.to_string(),
        "API error: HTTP 404 Not Found: Not Found: The namespace does not exist (EKV_3000) [request id akreq-1]"
    );

    // A typed 4xx body (ErrorResponse) and an untyped 5xx one (UnexpectedResponse).
    for (route, status, reason, field) in [
        ("linode-400", 400, "Label must be unique", Some("label")),
        ("linode-500", 500, "Please try again", None),
    ] {
        let url = format!("{}/{route}", server.uri());
        let err = runtime
            .call(&GET_ACCOUNT, || {
                generated_like::<serde_json::Value>(&http, Method::GET, &url)
            })
            .await
            .unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        let Some(ErrorBody::Linode(errors)) = err.api().map(|a| a.body()) else {
            panic!("not a Linode body: {err:?}")
        };
        assert_eq!(errors[0].reason, reason);
        assert_eq!(errors[0].field.as_deref(), field);
    }
}

#[tokio::test]
async fn the_generated_linode_client_runs_through_the_runtime() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v4/account"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "2")
                .set_body_json(serde_json::json!({"errors": [{"reason": "Too many requests"}]})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v4/account"))
        .respond_with(ResponseTemplate::new(403).set_body_json(serde_json::json!({
            "errors": [{"reason": "Unauthorized"}]
        })))
        .mount(&server)
        .await;
    let waits = RecordedWaits::default();
    let config = config(RetryPolicy::default(), &waits);
    let base = config
        .check_base_url(&format!("{}/v4/", server.uri()))
        .unwrap();
    let client =
        linode::Client::new_with_client(&base, config.build_client().unwrap(), Signer::unsigned());
    let err = config
        .runtime()
        .call(&GET_ACCOUNT, || client.get_account())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert!(
        matches!(err.api().map(|a| a.body()), Some(ErrorBody::Linode(e)) if e[0].reason == "Unauthorized")
    );
    assert_eq!(waits.taken(), [Duration::from_secs(2)]);
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn a_timeout_becomes_the_timeout_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let waits = RecordedWaits::default();
    let config = config(RetryPolicy::default(), &waits).with_timeout(Duration::from_millis(200));
    let http = config.build_client().unwrap();
    let url = server.uri();
    let attempts = AtomicUsize::new(0);
    let started = std::time::Instant::now();
    let err = config
        .runtime()
        .call_raw(&POST_CHILD_ACCOUNT_TOKEN, || {
            attempts.fetch_add(1, Ordering::SeqCst);
            handwritten(&http, http.post(&url))
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Timeout(_)) && err.is_timeout(),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "the attempt timed out (the per-attempt timeout of HttpConfig::with_timeout) at {}: operation timed out",
            server.uri()
        )
    );
    // The server may have acted: a POST that timed out after sending is not repeated.
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn disabled_retries_make_exactly_one_attempt() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "1"))
        .mount(&server)
        .await;
    let (http, runtime, waits) = setup(RetryPolicy::disabled());
    let url = server.uri();
    let err = runtime
        .call(&GET_ACCOUNT, || {
            generated_like::<serde_json::Value>(&http, Method::GET, &url)
        })
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(requests(&server).await, 1);
    assert!(waits.taken().is_empty());
}

#[tokio::test]
async fn http_base_urls_need_loopback_and_the_opt_in() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": 1})))
        .mount(&server)
        .await;
    let strict = HttpConfig::new();
    let err = strict.check_base_url(&server.uri()).unwrap_err();
    assert!(
        matches!(err, Error::Config(ConfigError::InsecureBaseUrl { .. })),
        "{err:?}"
    );
    assert!(strict
        .build_client()
        .unwrap()
        .get(server.uri())
        .send()
        .await
        .is_err());
    let loose = HttpConfig::new().allow_insecure_loopback(true);
    for url in ["http://example.com/v4", "http://192.0.2.1"] {
        assert!(
            matches!(
                loose.check_base_url(url),
                Err(Error::Config(ConfigError::InsecureBaseUrl { .. }))
            ),
            "{url}"
        );
    }
    let base = loose.check_base_url(&server.uri()).unwrap();
    let http = loose.build_client().unwrap();
    let response = loose
        .runtime()
        .call_raw(&GET_ACCOUNT, || handwritten(&http, http.get(&base)))
        .await
        .unwrap();
    assert_eq!(response.0.as_u16(), 200);
    let got: serde_json::Value = akamai_sdk::runtime::decode_json(None, &response.1).unwrap();
    assert_eq!(got["ok"], 1);
    let user_agent = &server.received_requests().await.unwrap()[0].headers["user-agent"];
    assert!(user_agent.to_str().unwrap().starts_with("akamai-sdk/"));
}

#[tokio::test]
async fn the_call_span_records_operation_attempt_status_and_latency() {
    let buffer = capture();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(too_many().insert_header("Retry-After", "3"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
        .mount(&server)
        .await;
    let (http, runtime, _) = setup(RetryPolicy::default());
    let url = server.uri();
    let _: serde_json::Value = runtime
        .call(&GET_ACCOUNT, || generated_like(&http, Method::GET, &url))
        .await
        .unwrap();
    let logs = buffer.text();
    let close = logs
        .lines()
        // The call span's own close (an attempt span's close line names the call span too).
        .find(|l| {
            l.contains("akamai_sdk.call{")
                && !l.contains("akamai_sdk.attempt{")
                && l.contains(": close")
        })
        .unwrap_or_else(|| panic!("no span close in {logs}"));
    for field in [
        "operation_id=\"get-account\"",
        "method=GET",
        "path=\"/account\"",
        "attempt=2",
        "status=200",
        "latency_ms=",
    ] {
        assert!(close.contains(field), "{field} missing in {close}");
    }
    assert!(
        logs.lines().any(|l| l.contains("DEBUG")
            && l.contains("retrying")
            && l.contains("wait_ms=3000")
            && l.contains("429")),
        "{logs}"
    );
}

/// Adds a bearer token, as a Linode signer does.
struct Bearer(&'static str);

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bearer([REDACTED])")
    }
}

impl RequestSigner for Bearer {
    fn sign<'a>(&'a self, request: &'a mut reqwest::Request) -> SignFuture<'a> {
        let mut value = header::HeaderValue::from_str(&format!("Bearer {}", self.0)).unwrap();
        value.set_sensitive(true);
        request.headers_mut().insert(header::AUTHORIZATION, value);
        Box::pin(std::future::ready(Ok(())))
    }
}

#[tokio::test]
async fn no_secret_reaches_debug_output_or_trace_logs() {
    const SECRETS: [&str; 5] = [
        "SECRET-BEARER-1",
        "SECRET-BODY-2",
        "SECRET-VALUE-3",
        "SECRET-DETAIL-4",
        "SECRET-HTML-5",
    ];
    let buffer = capture();
    let server = MockServer::start().await;
    Mock::given(path("/v4/account"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(
                    serde_json::json!({"errors": [{"reason": "slow down"}], "token": SECRETS[1]}),
                ),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/v4/account"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "errors": [{"reason": format!("Invalid Authorization: Bearer {}", SECRETS[0])}]
        })))
        .mount(&server)
        .await;
    Mock::given(path("/edgekv/token"))
        .respond_with(
            ResponseTemplate::new(409).set_body_raw(
                format!(
                    r#"{{"title":"Conflict","detail":"token was Bearer {}","name":"t","value":"{}","status":409}}"#,
                    SECRETS[3], SECRETS[2]
                ),
                "application/problem+json",
            ),
        )
        .mount(&server)
        .await;
    Mock::given(path("/html"))
        .respond_with(ResponseTemplate::new(500).set_body_raw(
            format!(
                "<html><form><input name=password value=\"{}\"></form></html>",
                SECRETS[4]
            ),
            "text/html",
        ))
        .mount(&server)
        .await;

    let waits = RecordedWaits::default();
    let config = config(RetryPolicy::default(), &waits);
    let http = config.build_client().unwrap();
    let runtime = config.runtime();
    let base = config
        .check_base_url(&format!("{}/v4", server.uri()))
        .unwrap();
    let client =
        linode::Client::new_with_client(&base, http.clone(), Signer::new(Bearer(SECRETS[0])));
    let mut shown = Vec::new();
    let err = runtime
        .call(&GET_ACCOUNT, || client.get_account())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    shown.push(format!("{err} {err:?} {client:?}"));

    let url = format!("{}/edgekv/token", server.uri());
    let err = runtime
        .call_raw(&POST_CHILD_ACCOUNT_TOKEN, || {
            handwritten(
                &http,
                http.post(&url)
                    .bearer_auth(SECRETS[0])
                    .header("x-api-key", SECRETS[0]),
            )
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err.api().map(|a| a.body()), Some(ErrorBody::Problem(_))),
        "{err:?}"
    );
    shown.push(format!("{err} {err:?}"));

    let url = format!("{}/html", server.uri());
    let err = runtime
        .call_raw(&POST_CHILD_ACCOUNT_TOKEN, || {
            handwritten(&http, http.post(&url))
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err.api().map(|a| a.body()), Some(ErrorBody::Text(_))),
        "{err:?}"
    );
    shown.push(format!("{err} {err:?}"));

    let logs = buffer.text();
    assert!(
        logs.contains("akamai_sdk.call") && logs.contains("retrying"),
        "{logs}"
    );
    for text in shown.iter().chain([&logs]) {
        for secret in SECRETS {
            assert!(!text.contains(secret), "{secret} leaked in: {text}");
        }
    }
    assert_eq!(requests(&server).await, 4);
}
