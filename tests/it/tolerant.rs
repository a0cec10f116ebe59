//! Strict requests, tolerant responses, one request path: live answers that differ from the
//! spec in small ways decode (and say so at DEBUG, with the JSON path), and a body that breaks
//! off is retried on an idempotent call but never on a POST.
//!
//! These stay on hand-made stubs rather than the testkit's emulators: they need exact control
//! of the wire (live-shaped bodies with odd fields, a body cut at a chosen byte).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use akamai_sdk::config::HttpConfig;
use akamai_sdk::linode::{Euuid, LinodeClient, UserType};
use akamai_sdk::retry::RetryPolicy;
use akamai_sdk::Error;
use futures::StreamExt;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::logs::capture;

const TOKEN: &str = "parent-Tok3n-tolerant-9d2e";
const EUUID: &str = "E1AF5EEC-526F-487D-B317EBEB34C87D71";

fn client(uri: &str, policy: RetryPolicy) -> LinodeClient {
    LinodeClient::builder()
        .token(TOKEN)
        .base_url(format!("{uri}/v4"))
        .http_config(
            HttpConfig::new()
                .allow_insecure_loopback(true)
                .with_retry(policy.with_jitter(false))
                .with_sleeper(NoWait),
        )
        .build()
        .unwrap()
}

#[derive(Debug, Clone, Copy)]
struct NoWait;

impl akamai_sdk::retry::Sleeper for NoWait {
    fn sleep(
        &self,
        _: std::time::Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
        Box::pin(std::future::ready(()))
    }
}

fn account(n: usize) -> serde_json::Value {
    json!({
        "euuid": format!("E1AF5EEC-526F-487D-B317EBEB34C87D{n:02}"),
        "company": format!("Child {n}"),
        "email": format!("child{n}@example.com"),
        "balance": 10.5,
        "credit_card": {"last_four": "4242", "expiry": "12/2030"},
        "billing_source": "external",
    })
}

/// One page where some accounts differ from the spec the way live data does: the number
/// `1111` for the string `last_four` (the spec's own example), a numeric string for the number
/// `balance`, a company name longer than the documented 128 characters, an unknown
/// `billing_source`, and a field the spec does not have.
#[tokio::test]
async fn a_page_with_live_quirks_decodes_whole_and_logs_each_coercion_with_its_path() {
    let logs = capture();
    let server = MockServer::start().await;
    let long_company = "A".repeat(300);
    let mut data: Vec<serde_json::Value> = (0..5).map(account).collect();
    data[1]["credit_card"]["last_four"] = json!(1111);
    data[2]["balance"] = json!("12.25");
    data[3]["company"] = json!(long_company);
    data[4]["billing_source"] = json!("reseller");
    data[4]["new_field"] = json!({"since": 2026});
    Mock::given(method("GET"))
        .and(path("/v4/account/child-accounts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": data, "page": "1", "pages": 1, "results": 5
        })))
        .mount(&server)
        .await;
    let parent = client(&server.uri(), RetryPolicy::disabled());
    let accounts: Vec<_> = parent
        .child_accounts()
        .page_size(25)
        .stream()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(accounts.len(), 5);
    let card = accounts[1].credit_card.as_ref().unwrap();
    assert_eq!(card.last_four.as_deref(), Some("1111"));
    assert_eq!(accounts[2].balance, Some(12.25));
    assert_eq!(accounts[3].company.as_deref(), Some(long_company.as_str()));
    assert_eq!(
        accounts[4].billing_source.as_ref().map(ToString::to_string),
        Some("reseller".to_owned())
    );

    let text = logs.text();
    for (path, found, expected) in [
        ("data[1].credit_card.last_four", "number", "string"),
        ("data[2].balance", "string", "number"),
        ("page", "string", "integer"),
    ] {
        let line = text
            .lines()
            .find(|l| {
                l.contains("read a response value as its documented type")
                    && l.contains(&format!(" path={path} "))
            })
            .unwrap_or_else(|| panic!("no coercion logged at {path}: {text}"));
        assert!(line.contains("DEBUG"), "{line}");
        assert!(line.contains(&format!("found={found}")), "{line}");
        assert!(line.contains(&format!("expected=\"{expected}\"")), "{line}");
        assert!(
            line.contains("operation_id=\"get-child-accounts\""),
            "{line}"
        );
        // The value itself is never logged.
        assert!(!line.contains("1111") && !line.contains("12.25"), "{line}");
    }
}

#[tokio::test]
async fn scalars_of_the_wrong_type_decode_in_single_objects_too() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v4/profile"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "username": 42, "uid": "7", "restricted": "false", "user_type": "parent",
            "two_factor_auth": "TRUE", "email_notifications": true
        })))
        .mount(&server)
        .await;
    let me = client(&server.uri(), RetryPolicy::disabled())
        .profile()
        .await
        .unwrap();
    assert_eq!(me.username.as_deref(), Some("42"));
    assert_eq!(me.uid, Some(7));
    assert_eq!(me.restricted, Some(false));
    assert_eq!(me.two_factor_auth, Some(true));
    assert_eq!(me.user_type, Some(UserType::Parent));
}

#[tokio::test]
async fn what_still_cannot_decode_fails_with_the_path_and_the_record_index() {
    let server = MockServer::start().await;
    let mut data: Vec<serde_json::Value> = (0..3).map(account).collect();
    data[2]["balance"] = json!("a lot");
    Mock::given(method("GET"))
        .and(path("/v4/account/child-accounts"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": data, "page": 1, "pages": 1, "results": 3})),
        )
        .mount(&server)
        .await;
    let err = client(&server.uri(), RetryPolicy::disabled())
        .child_accounts()
        .page(1)
        .await
        .unwrap_err();
    match &err {
        Error::Decode(d) => assert_eq!(d.path(), Some("data[2].balance"), "{err}"),
        other => panic!("not a decode error: {other:?}"),
    }
    assert!(!err.to_string().contains("a lot"), "{err}");
}

/// A server that answers every request with `head` and the first `cut` bytes of `body`
/// (announcing the whole length), closing the connection, for the first `cut_times`
/// requests; then the whole body. Returns its address and the number of requests read.
async fn cutting_server(
    body: &'static str,
    cut: usize,
    cut_times: usize,
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let n = seen.fetch_add(1, Ordering::SeqCst);
                let sent = if n < cut_times { &body[..cut] } else { body };
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(sent.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), count)
}

#[tokio::test]
async fn a_get_whose_body_breaks_off_is_retried() {
    let body =
        r#"{"euuid":"E1AF5EEC-526F-487D-B317EBEB34C87D71","company":"Acme Child","balance":200}"#;
    let (uri, count) = cutting_server(body, 20, 1).await;
    let account = client(&uri, RetryPolicy::default().with_max_attempts(3))
        .account()
        .await
        .unwrap();
    assert_eq!(
        account.company.as_deref().map(String::as_str),
        Some("Acme Child")
    );
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_post_whose_body_breaks_off_is_a_typed_error_and_is_sent_once() {
    let body = r#"{"token":"proxy-Tok3n-cut-41aa","id":7,"label":"u_1_t","created":"2026-01-01T00:00:00","expiry":"2026-01-01T00:15:00","scopes":"*"}"#;
    let (uri, count) = cutting_server(body, 30, usize::MAX).await;
    let euuid: Euuid = EUUID.parse().unwrap();
    let err = client(&uri, RetryPolicy::default().with_max_attempts(5))
        .create_proxy_token(&euuid)
        .await
        .unwrap_err();
    assert!(err.is_incomplete_body(), "{err:?}");
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(!err.is_connect(), "{err:?}");
    assert_eq!(count.load(Ordering::SeqCst), 1);
    // Neither the error nor its debug print shows the part of the token that arrived.
    assert!(!format!("{err} {err:?}").contains("proxy-Tok3n"));
}
