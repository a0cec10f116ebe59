//! The Linode parent/child-account layer, end to end.
//!
//! **On the testkit's `LinodeEmulator`** (stateful, deterministic child accounts, fault rules,
//! a request log naming who each request acted as): pagination with prefetch and a page's
//! position, a stream ending at its first error, X-Filter results, credential separation
//! between the parent and a child, euuid encoding, child account access with its typed
//! errors, an HTML error page and a slow answer. They assert on the emulator's accounts,
//! request log and counters.
//!
//! **On hand-made stubs**, where a test needs exact control of the wire:
//! `x_filter_is_sent_as_built` (the exact `X-Filter` header value), the proxy-token renewal
//! and revocation tests (`a_401_renews_the_proxy_token_once_and_retries`,
//! `a_second_401_is_returned_after_one_renewal`, `concurrent_first_uses_mint_once`,
//! `tokens_are_renewed_shortly_before_expiry_and_the_replaced_one_revoked`,
//! `revoke_deletes_the_token_with_the_child_token`: a 401 or an expiry at a chosen request, a
//! delayed mint, the exact DELETE of a replaced token; the same behaviour on the emulator is
//! in `testkit/tests/it/proxy_tokens.rs`), `a_mint_the_server_received_is_never_retried`
//! (a server that hangs up after reading a request head), `no_token_in_debug_output_or_trace_logs`
//! (a token echoed in error bodies), `a_live_shaped_child_account_decodes` (a live body with
//! odd fields), `an_html_page_with_status_200_is_a_decode_error` and
//! `other_user_types_are_not_parent_users` (answers the emulator never gives).

use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use akamai_sdk::config::HttpConfig;
use akamai_sdk::error::ErrorBody;
use akamai_sdk::linode::types::ChildAccountBillingSource;
use akamai_sdk::linode::{
    ChildAccessError, ChildAccountField, ChildAccountFilter, Euuid, Grants, LinodeClient, Order,
    UserType,
};
use akamai_sdk::retry::RetryPolicy;
use akamai_sdk::Error;
use akamai_sdk_testkit::{Fault, FaultKind, LinodeEmulator};
use futures::{StreamExt, TryStreamExt};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::logs;

// ---------------------------------------------------------------------------------------
// On the emulator.
// ---------------------------------------------------------------------------------------

fn no_retry() -> HttpConfig {
    HttpConfig::new().with_retry(RetryPolicy::disabled())
}

/// The `page` of every child-account listing the emulator received, in order.
fn pages_requested(linode: &LinodeEmulator) -> Vec<u64> {
    linode
        .requests()
        .iter()
        .filter(|r| r.operation.as_deref() == Some("get-child-accounts"))
        .map(|r| {
            let query = r.target.split_once('?').map(|(_, q)| q).unwrap_or("");
            query
                .split('&')
                .find_map(|pair| pair.strip_prefix("page="))
                .and_then(|p| p.parse().ok())
                .unwrap_or(1)
        })
        .collect()
}

#[tokio::test]
async fn child_account_stream_prefetches_one_page_ahead() {
    let linode = LinodeEmulator::builder()
        .children(60)
        .start()
        .await
        .unwrap();
    let client = linode.parent_client_with(no_retry());
    let euuids = linode.euuids();
    let mut stream = pin!(client.child_accounts().page_size(25).stream());
    let mut seen = 0;
    while let Some(item) = stream.next().await {
        let account = item.unwrap();
        assert_eq!(account.euuid.as_deref(), Some(euuids[seen].as_str()));
        seen += 1;
        if seen % 25 == 0 {
            // A slow consumer holding the last item of page n: page n + 1 gets requested
            // meanwhile, and nothing beyond it.
            let current = (seen / 25) as u64;
            let expected: Vec<u64> = (1..=current + 1).collect();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
            while pages_requested(&linode) != expected && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert_eq!(pages_requested(&linode), expected, "after {seen} items");
        }
    }
    assert_eq!(seen, 60);
    assert_eq!(pages_requested(&linode), [1, 2, 3]);
    // Every page as the parent, without a filter (the emulator would have filtered).
    for request in linode.requests() {
        assert_eq!(request.principal.as_deref(), Some("parent"));
        assert!(
            request.target.contains("page_size=25"),
            "{}",
            request.target
        );
    }
}

#[tokio::test]
async fn one_page_reports_its_position() {
    let linode = LinodeEmulator::builder()
        .children(65)
        .start()
        .await
        .unwrap();
    let page = linode
        .parent_client_with(no_retry())
        .child_accounts()
        .page_size(30)
        .page(3)
        .await
        .unwrap();
    assert_eq!((page.page, page.pages, page.results), (3, 3, 65));
    assert_eq!(page.data.len(), 5);
    assert_eq!(
        page.data[0].euuid.as_deref(),
        Some(linode.euuids()[60].as_str())
    );
    assert_eq!(pages_requested(&linode), [3]);
}

#[tokio::test]
async fn a_stream_ends_with_its_first_error() {
    let linode = LinodeEmulator::builder()
        .children(75)
        .start()
        .await
        .unwrap();
    // Page 1 says there are three pages; page 2 fails, page 3 must never be asked for.
    linode.inject(
        Fault::status("GET", "/v4/account/child-accounts", 500)
            .skip(1)
            .times(1),
    );
    let items: Vec<_> = linode
        .parent_client_with(no_retry())
        .child_accounts()
        .page_size(25)
        .stream()
        .collect()
        .await;
    assert_eq!(items.len(), 26);
    assert!(items[..25].iter().all(Result::is_ok));
    let err = items[25].as_ref().unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert!(
        err.to_string().contains("Injected by a fault rule"),
        "{err}"
    );
    assert_eq!(pages_requested(&linode), [1, 2]);
}

#[tokio::test]
async fn x_filter_selects_and_orders_on_the_server() {
    let linode = LinodeEmulator::builder()
        .children(40)
        .start()
        .await
        .unwrap();
    let client = linode.parent_client_with(no_retry());
    let filter = ChildAccountFilter::new()
        .contains(ChildAccountField::Company, "acme")
        .or([
            ChildAccountFilter::new().country("US"),
            ChildAccountFilter::new().contains(ChildAccountField::Email, "@acme.example"),
        ])
        .order_by(ChildAccountField::Email, Order::Desc);
    // What the filter means, worked out from the emulator's accounts.
    let mut expected: Vec<(String, String)> = linode
        .euuids()
        .iter()
        .filter_map(|e| linode.child_account(e))
        .filter(|a| {
            let field = |k: &str| a[k].as_str().unwrap_or_default().to_owned();
            field("company").to_lowercase().contains("acme")
                && (field("country") == "US" || field("email").contains("@acme.example"))
        })
        .map(|a| {
            (
                a["email"].as_str().unwrap().to_owned(),
                a["euuid"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    expected.sort_by(|a, b| b.0.cmp(&a.0));
    assert!(!expected.is_empty());

    let page = client
        .child_accounts()
        .filter(&filter)
        .page(1)
        .await
        .unwrap();
    let got = |accounts: Vec<akamai_sdk::linode::types::ChildAccount>| {
        accounts
            .into_iter()
            .map(|a| (a.email.unwrap(), a.euuid.unwrap()))
            .collect::<Vec<_>>()
    };
    assert_eq!(got(page.data), expected);
    assert_eq!(page.results as usize, expected.len());
    let all: Vec<_> = client
        .child_accounts()
        .filter(&filter)
        .page_size(25)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got(all), expected);
    // A filter the API refuses is its 400.
    let err = client
        .child_accounts()
        .raw_filter(json!({"euuid": "x"}))
        .page(1)
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
}

#[tokio::test]
async fn parent_and_child_credentials_never_cross() {
    let linode = LinodeEmulator::builder().children(2).start().await.unwrap();
    let euuid: Euuid = linode.euuids()[1].parse().unwrap();
    let parent = linode.parent_client_with(no_retry());
    let child = parent.child(euuid.clone());
    parent.account().await.unwrap();
    let _: Vec<_> = parent
        .child_accounts()
        .page_size(25)
        .stream()
        .collect()
        .await;
    assert_eq!(
        child.account().await.unwrap().euuid.as_deref(),
        Some(euuid.as_str())
    );
    child.profile().await.unwrap();
    parent.profile().await.unwrap();
    parent.account().await.unwrap();
    // The typed calls, through the child client and through the parent's.
    let account = child.api().get_account().await.unwrap();
    assert_eq!(account.euuid.as_deref(), Some(euuid.as_str()));
    let own = parent.api().get_account().await.unwrap();
    assert_ne!(own.euuid.as_deref(), Some(euuid.as_str()));

    let proxy = format!("proxy {euuid}");
    let expected = [
        ("get-account", "parent"),
        ("get-child-accounts", "parent"),
        ("post-child-account-token", "parent"),
        ("get-account", proxy.as_str()),
        ("get-profile", proxy.as_str()),
        ("get-profile", "parent"),
        ("get-account", "parent"),
        ("get-account", proxy.as_str()),
        ("get-account", "parent"),
    ];
    let log = linode.requests();
    let got: Vec<(&str, &str)> = log
        .iter()
        .map(|r| {
            (
                r.operation.as_deref().unwrap_or("?"),
                r.principal.as_deref().unwrap_or("?"),
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(linode.counters().mints_for(euuid.as_str()), 1);
}

#[tokio::test]
async fn an_html_error_page_becomes_a_text_snippet() {
    let linode = LinodeEmulator::start().await.unwrap();
    linode.inject(Fault::new("GET", "/v4/account", FaultKind::Html502));
    let err = linode
        .parent_client_with(no_retry())
        .account()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
    match err.api().map(|api| api.body()) {
        Some(ErrorBody::Text(text)) => {
            assert_eq!(text.content_type.as_deref(), Some("text/html"));
            assert!(text.snippet.contains("An error occurred"), "{text:?}");
        }
        other => panic!("unexpected body {other:?}"),
    }
    assert_eq!(linode.requests()[0].fault, Some("html502"));
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let linode = LinodeEmulator::start().await.unwrap();
    let euuid: Euuid = linode.euuids()[0].parse().unwrap();
    linode.inject(Fault::new(
        "GET",
        "/v4/account/child-accounts/*",
        FaultKind::Delay(Duration::from_secs(3)),
    ));
    let client = linode.parent_client_with(no_retry().with_timeout(Duration::from_millis(200)));
    let started = std::time::Instant::now();
    let err = client.child_account(&euuid).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn euuids_are_percent_encoded_in_paths() {
    let linode = LinodeEmulator::start().await.unwrap();
    let odd = linode.add_child(json!({"euuid": "odd?euuid%x", "company": "Odd Co"}));
    let euuid: Euuid = odd.parse().unwrap();
    let parent = linode.parent_client_with(no_retry());
    let token = parent.create_proxy_token(&euuid).await.unwrap();
    let created = token.created().unwrap();
    assert_eq!(
        token.label(),
        Some(format!("parent-user_{}_{}", token.id(), created.as_str()).as_str())
    );
    assert_eq!(token.scopes(), Some("*"));
    assert_eq!(
        parent
            .child_account(&euuid)
            .await
            .unwrap()
            .company
            .as_deref(),
        Some("Odd Co")
    );
    let targets: Vec<String> = linode.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        [
            "/v4/account/child-accounts/odd%3Feuuid%25x/token",
            "/v4/account/child-accounts/odd%3Feuuid%25x",
        ]
    );
    assert_eq!(linode.counters().mints_for("odd?euuid%x"), 1);
}

#[tokio::test]
async fn child_account_access_is_checked_with_typed_errors() {
    let denied = LinodeEmulator::builder()
        .restricted_parent(false)
        .start()
        .await
        .unwrap();
    let client = denied.parent_client_with(no_retry());
    match client.ensure_child_account_access().await {
        Err(ChildAccessError::MissingGrant { username }) => {
            assert_eq!(username.as_deref(), Some("parent-user"))
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(!client.has_child_account_access().await.unwrap());
    let as_error: Error = client
        .ensure_child_account_access()
        .await
        .unwrap_err()
        .into();
    assert!(
        as_error.to_string().contains("child_account_access"),
        "{as_error}"
    );

    let granted = LinodeEmulator::builder()
        .restricted_parent(true)
        .start()
        .await
        .unwrap();
    let client = granted.parent_client_with(no_retry());
    assert!(matches!(
        client.profile_grants().await.unwrap(),
        Grants::Restricted(_)
    ));
    client.ensure_child_account_access().await.unwrap();

    // An unrestricted parent: grants answer 204.
    let open = LinodeEmulator::start().await.unwrap();
    let client = open.parent_client_with(no_retry());
    assert_eq!(client.profile_grants().await.unwrap(), Grants::Unrestricted);
    client.ensure_child_account_access().await.unwrap();

    // A proxy user is not a parent user.
    let euuid: Euuid = open.euuids()[0].parse().unwrap();
    let token = client.create_proxy_token(&euuid).await.unwrap();
    let proxy = LinodeClient::builder()
        .token(token.token().expose_secret().to_owned())
        .base_url(open.url())
        .http_config(no_retry().allow_insecure_loopback(true))
        .build()
        .unwrap();
    match proxy.ensure_child_account_access().await {
        Err(ChildAccessError::NotAParentUser { user_type }) => {
            assert_eq!(user_type, UserType::Proxy)
        }
        other => panic!("unexpected {other:?}"),
    }
    // As the SDK's one error type (`?` in a function returning `akamai_sdk::Result`), the
    // reason stays typed: a caller can still branch on it.
    let err = Error::from(proxy.ensure_child_account_access().await.unwrap_err());
    assert!(matches!(err, Error::AccessDenied(_)), "{err:?}");
    assert!(
        matches!(
            err.child_access(),
            Some(ChildAccessError::NotAParentUser {
                user_type: UserType::Proxy
            })
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("only users of a parent account"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------
// On hand-made stubs: exact control of the wire.
// ---------------------------------------------------------------------------------------

const PARENT_TOKEN: &str = "parent-Tok3n-7f9c2e51a0";
const CHILD_TOKEN_1: &str = "child-Tok3n-one-4b1d";
const CHILD_TOKEN_2: &str = "child-Tok3n-two-93ce";
const EUUID: &str = "E1AF5EEC-526F-487D-B317EBEB34C87D71";
const CHILD_ACCOUNT: &str = include_str!("fixtures/linode/child_account.json");
const PROXY_TOKEN: &str = include_str!("fixtures/linode/proxy_token.json");

fn config() -> HttpConfig {
    HttpConfig::new()
        .allow_insecure_loopback(true)
        .with_retry(RetryPolicy::disabled())
}

fn parent_at(uri: &str, config: HttpConfig) -> LinodeClient {
    LinodeClient::builder()
        .token(PARENT_TOKEN)
        .base_url(format!("{uri}/v4"))
        .http_config(config)
        .build()
        .unwrap()
}

fn parent(server: &MockServer) -> LinodeClient {
    parent_at(&server.uri(), config())
}

fn euuid() -> Euuid {
    EUUID.parse().unwrap()
}

fn token_path() -> String {
    format!("/v4/account/child-accounts/{EUUID}/token")
}

fn account_json(i: usize) -> Value {
    json!({
        "euuid": format!("{i:08X}-0000-0000-{i:016X}"),
        "company": format!("Child {i}"),
        "email": format!("child{i}@example.com"),
        "active_since": "2020-01-01T00:00:00",
        "billing_source": "external",
        "credit_card": {"last_four": null, "expiry": null},
    })
}

/// A proxy token body like the API's, with `token`, `id` and `expiry` replaced.
fn token_json(token: &str, id: i64, expiry: &str) -> Value {
    let mut body: Value = serde_json::from_str(PROXY_TOKEN).unwrap();
    body["token"] = json!(token);
    body["id"] = json!(id);
    body["expiry"] = json!(expiry);
    body
}

fn authorization(request: &Request) -> Option<String> {
    let values: Vec<_> = request.headers.get_all("authorization").iter().collect();
    assert!(values.len() <= 1, "several Authorization headers");
    values.first().map(|v| v.to_str().unwrap().to_owned())
}

async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

/// `(method, path, Authorization)` of every request the server got.
async fn log(server: &MockServer) -> Vec<(String, String, Option<String>)> {
    received(server)
        .await
        .iter()
        .map(|r| {
            (
                r.method.to_string(),
                r.url.path().to_owned(),
                authorization(r),
            )
        })
        .collect()
}

async fn mount_pages(server: &MockServer, sizes: &[usize], page_size: usize) {
    let total: usize = sizes.iter().sum();
    for (index, size) in sizes.iter().enumerate() {
        let data: Vec<Value> = (0..*size)
            .map(|k| account_json(index * page_size + k))
            .collect();
        Mock::given(method("GET"))
            .and(path("/v4/account/child-accounts"))
            .and(query_param("page", (index + 1).to_string()))
            .and(query_param("page_size", page_size.to_string()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "data": data,
                "page": index + 1,
                "pages": sizes.len(),
                "results": total,
            })))
            .mount(server)
            .await;
    }
}

/// Matches a header by its whole value (wiremock's `header` matcher splits values on commas,
/// which JSON is full of).
struct HeaderIs(&'static str, String);

impl wiremock::Match for HeaderIs {
    fn matches(&self, request: &Request) -> bool {
        request
            .headers
            .get(self.0)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == self.1)
    }
}

#[tokio::test]
async fn x_filter_is_sent_as_built() {
    let server = MockServer::start().await;
    let filter = ChildAccountFilter::new()
        .company("Acme")
        .or([
            ChildAccountFilter::new().country("US"),
            ChildAccountFilter::new().contains(ChildAccountField::Email, "@acme.example"),
        ])
        .order_by(ChildAccountField::Email, Order::Desc);
    let expected = json!({
        "company": "Acme",
        "+or": [{"country": "US"}, {"email": {"+contains": "@acme.example"}}],
        "+order_by": "email",
        "+order": "desc",
    });
    assert_eq!(filter.to_json(), expected);
    Mock::given(method("GET"))
        .and(path("/v4/account/child-accounts"))
        .and(HeaderIs("x-filter", filter.to_json().to_string()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"data": [account_json(1)], "page": 1, "pages": 1, "results": 1}),
            ),
        )
        .expect(2)
        .mount(&server)
        .await;

    let client = parent(&server);
    let page = client
        .child_accounts()
        .filter(&filter)
        .page(1)
        .await
        .unwrap();
    assert_eq!(page.data.len(), 1);
    let all: Vec<_> = client
        .child_accounts()
        .filter(&filter)
        .stream()
        .collect()
        .await;
    assert_eq!(all.len(), 1);
    assert!(all[0].is_ok());

    let raw = json!({"company": {"+contains": "Zürich"}});
    client
        .child_accounts()
        .raw_filter(raw.clone())
        .page(1)
        .await
        .unwrap_err();
    let requests = received(&server).await;
    let sent: Vec<Value> = requests
        .iter()
        .map(|r| serde_json::from_str(r.headers["x-filter"].to_str().unwrap()).unwrap())
        .collect();
    assert_eq!(sent, [expected.clone(), expected, raw]);
    server.verify().await;
}

/// A server that reads each request's head, counts it, and closes the connection unanswered.
async fn hanging_up_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut chunk = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&chunk[..n]),
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                drop(socket);
            });
        }
    });
    (uri, count)
}

#[tokio::test]
async fn a_mint_the_server_received_is_never_retried() {
    let retrying = || {
        config().with_retry(
            RetryPolicy::default()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1))
                .with_jitter(false),
        )
    };
    let (uri, mints) = hanging_up_server().await;
    let client = parent_at(&uri, retrying());
    let err = client.create_proxy_token(&euuid()).await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(!err.is_connect());
    assert_eq!(mints.load(Ordering::SeqCst), 1);

    // The same failure on a GET is retried: the count above is not an accident.
    let (uri, gets) = hanging_up_server().await;
    let client = parent_at(&uri, retrying());
    client.profile().await.unwrap_err();
    assert_eq!(gets.load(Ordering::SeqCst), 3);

    // Through a child client, a failed mint fails the call without a second attempt.
    let (uri, mints) = hanging_up_server().await;
    let child = parent_at(&uri, retrying()).child(euuid());
    child.account().await.unwrap_err();
    assert_eq!(mints.load(Ordering::SeqCst), 1);
}

async fn mount_mints(server: &MockServer, bodies: &[Value]) {
    for body in bodies {
        Mock::given(method("POST"))
            .and(path(token_path()))
            .and(header(
                "authorization",
                format!("Bearer {PARENT_TOKEN}").as_str(),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .up_to_n_times(1)
            .mount(server)
            .await;
    }
}

fn account_body() -> Value {
    json!({"company": "Acme Child", "euuid": EUUID, "balance": 0, "active_since": "2018-01-01T00:01:01"})
}

/// A server that mints two proxy tokens (ids 1 and 2) and answers a GET of `path` with the
/// first one 401, as for a token revoked behind the client's back.
async fn server_refusing_the_first_proxy_token(path_refused: &str) -> MockServer {
    let server = MockServer::start().await;
    mount_mints(
        &server,
        &[
            token_json(CHILD_TOKEN_1, 1, "2024-05-01T10:15:00"),
            token_json(CHILD_TOKEN_2, 2, "2024-05-01T10:15:00"),
        ],
    )
    .await;
    Mock::given(method("GET"))
        .and(path(path_refused))
        .and(header(
            "authorization",
            format!("Bearer {CHILD_TOKEN_1}").as_str(),
        ))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"errors": [{"reason": "Invalid Token"}]})),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_401_renews_the_proxy_token_once_and_retries() {
    let server = server_refusing_the_first_proxy_token("/v4/account").await;
    Mock::given(method("GET"))
        .and(path("/v4/account"))
        .and(header(
            "authorization",
            format!("Bearer {CHILD_TOKEN_2}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(account_body()))
        .mount(&server)
        .await;

    let child = parent(&server).child(euuid());
    let account = child.account().await.unwrap();
    assert_eq!(account.euuid.as_deref(), Some(EUUID));
    assert_eq!(child.token().await.unwrap().id(), 2);
    let parent_auth = Some(format!("Bearer {PARENT_TOKEN}"));
    assert_eq!(
        log(&server).await,
        [
            ("POST".into(), token_path(), parent_auth.clone()),
            (
                "GET".into(),
                "/v4/account".into(),
                Some(format!("Bearer {CHILD_TOKEN_1}"))
            ),
            ("POST".into(), token_path(), parent_auth),
            (
                "GET".into(),
                "/v4/account".into(),
                Some(format!("Bearer {CHILD_TOKEN_2}"))
            ),
        ]
    );
}

#[tokio::test]
async fn a_second_401_is_returned_after_one_renewal() {
    let server = MockServer::start().await;
    mount_mints(
        &server,
        &[
            token_json(CHILD_TOKEN_1, 1, "2024-05-01T10:15:00"),
            token_json(CHILD_TOKEN_2, 2, "2024-05-01T10:15:00"),
            token_json("child-Tok3n-three", 3, "2024-05-01T10:15:00"),
        ],
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/v4/profile"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"errors": [{"reason": "Invalid Token"}]})),
        )
        .mount(&server)
        .await;
    let err = parent(&server).child(euuid()).profile().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    let methods: Vec<String> = log(&server).await.into_iter().map(|(m, _, _)| m).collect();
    assert_eq!(methods, ["POST", "GET", "POST", "GET"]);
}

#[tokio::test]
async fn concurrent_first_uses_mint_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_json(CHILD_TOKEN_1, 1, "2024-05-01T10:15:00"))
                .set_delay(Duration::from_millis(150)),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v4/profile"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"username": "proxy-user", "user_type": "proxy"})),
        )
        .mount(&server)
        .await;
    let child = parent(&server).child(euuid());
    let calls = (0..8).map(|_| {
        let child = child.clone();
        tokio::spawn(async move { child.profile().await })
    });
    for result in futures::future::join_all(calls).await {
        assert_eq!(result.unwrap().unwrap().user_type, Some(UserType::Proxy));
    }
    let mints = log(&server)
        .await
        .iter()
        .filter(|(m, _, _)| m == "POST")
        .count();
    assert_eq!(mints, 1);
}

#[tokio::test]
async fn tokens_are_renewed_shortly_before_expiry_and_the_replaced_one_revoked() {
    let server = MockServer::start().await;
    // created 10:00:00, expiry 10:00:04: 4 s of life as the API says, counted as 3 s (the
    // times' one-second resolution), renewed when 0.75 s are left (a quarter of the
    // lifetime, being less than 60 s), so after 2.25 s.
    mount_mints(
        &server,
        &[
            token_json(CHILD_TOKEN_1, 1, "2024-05-01T10:00:04"),
            token_json(CHILD_TOKEN_2, 2, "2024-05-01T10:15:00"),
        ],
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/v4/account"))
        .respond_with(ResponseTemplate::new(200).set_body_json(account_body()))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v4/profile/tokens/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let child = parent(&server).child(euuid());
    child.account().await.unwrap();
    child.account().await.unwrap();
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    child.account().await.unwrap();
    let deletes = || async {
        log(&server)
            .await
            .into_iter()
            .filter(|(m, _, _)| m == "DELETE")
            .collect::<Vec<_>>()
    };
    for _ in 0..200 {
        if !deletes().await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let auths: Vec<Option<String>> = log(&server)
        .await
        .into_iter()
        .filter(|(m, _, _)| m == "GET")
        .map(|(_, _, a)| a)
        .collect();
    assert_eq!(
        auths,
        [
            Some(format!("Bearer {CHILD_TOKEN_1}")),
            Some(format!("Bearer {CHILD_TOKEN_1}")),
            Some(format!("Bearer {CHILD_TOKEN_2}")),
        ]
    );
    // The replaced token is revoked with itself, once its successor has served a call.
    assert_eq!(
        deletes().await,
        [(
            "DELETE".to_owned(),
            "/v4/profile/tokens/1".to_owned(),
            Some(format!("Bearer {CHILD_TOKEN_1}"))
        )]
    );
}

/// A child client of a Linode emulator whose proxy tokens say they live `stated` (in whole
/// seconds, as the API's do) but stop working `overstated` earlier.
async fn short_lived_tokens(stated: Duration, overstated: Duration) -> (LinodeEmulator, Euuid) {
    let linode = LinodeEmulator::builder()
        .children(1)
        .token_lifetime(stated)
        .token_life_overstated_by(overstated)
        .start()
        .await
        .unwrap();
    let euuid: Euuid = linode.euuids()[0].parse().unwrap();
    (linode, euuid)
}

#[tokio::test]
async fn a_token_living_less_than_its_expiry_says_is_renewed_before_it_ends() {
    // `expiry - created` says 2 s; the token stops working 0.9 s earlier, as a token created
    // at 10:00:00.9 and said to be created at 10:00:00 would. With no refresh margin, only
    // the anchoring of the expiry keeps the client from using it past its end.
    let (linode, euuid) =
        short_lived_tokens(Duration::from_secs(2), Duration::from_millis(900)).await;
    let child = linode
        .parent_client_with(no_retry())
        .child(euuid.clone())
        .with_refresh_margin(Duration::ZERO);
    child.account().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    child.account().await.unwrap();
    let statuses: Vec<(String, u16)> = linode
        .requests()
        .into_iter()
        .map(|r| (r.operation.unwrap_or_default(), r.status))
        .collect();
    assert!(
        statuses.iter().all(|(_, status)| *status != 401),
        "a token was used past its end: {statuses:?}"
    );
    assert_eq!(linode.counters().mints_for(euuid.as_str()), 2);
}

#[tokio::test]
async fn a_refresh_margin_over_half_the_lifetime_is_honoured() {
    // 4 s said, 3 s counted: a margin of 2.5 s renews 0.5 s after the token was created.
    let (linode, euuid) = short_lived_tokens(Duration::from_secs(4), Duration::ZERO).await;
    let captured = logs::capture();
    let child = linode
        .parent_client_with(no_retry())
        .child(euuid.clone())
        .with_refresh_margin(Duration::from_millis(2_500));
    child.account().await.unwrap();
    child.account().await.unwrap();
    assert_eq!(linode.counters().mints_for(euuid.as_str()), 1);
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    child.account().await.unwrap();
    assert_eq!(
        linode.counters().mints_for(euuid.as_str()),
        2,
        "renewed with the margin chosen, not half the lifetime"
    );
    assert!(
        !captured.text().contains("refresh margin"),
        "{}",
        captured.text()
    );
}

#[tokio::test]
async fn a_refresh_margin_as_long_as_the_lifetime_is_logged_once_and_halved() {
    // 2 s said, 1 s counted: a margin of 10 s would renew on every call; half the lifetime
    // (0.5 s) is used instead.
    let (linode, euuid) = short_lived_tokens(Duration::from_secs(2), Duration::ZERO).await;
    let captured = logs::capture();
    let child = linode
        .parent_client_with(no_retry())
        .child(euuid.clone())
        .with_refresh_margin(Duration::from_secs(10));
    child.account().await.unwrap();
    child.profile().await.unwrap();
    assert_eq!(linode.counters().mints_for(euuid.as_str()), 1);
    tokio::time::sleep(Duration::from_millis(700)).await;
    child.account().await.unwrap();
    child.clone().profile().await.unwrap();
    assert_eq!(linode.counters().mints_for(euuid.as_str()), 2);
    let text = captured.text();
    let warnings: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("refresh margin"))
        .collect();
    assert_eq!(warnings.len(), 1, "{text}");
    assert!(warnings[0].contains("WARN"), "{}", warnings[0]);
    assert!(
        warnings[0].contains("refresh_margin_s=10"),
        "{}",
        warnings[0]
    );
}

#[tokio::test]
async fn revoke_deletes_the_token_with_the_child_token() {
    let server = MockServer::start().await;
    mount_mints(
        &server,
        &[token_json(CHILD_TOKEN_1, 4242, "2024-05-01T10:15:00")],
    )
    .await;
    Mock::given(method("DELETE"))
        .and(path("/v4/profile/tokens/4242"))
        .and(header(
            "authorization",
            format!("Bearer {CHILD_TOKEN_1}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let child = parent(&server).child(euuid());
    assert!(!child.revoke().await.unwrap(), "nothing to revoke yet");
    let token = child.token().await.unwrap();
    assert_eq!(token.id(), 4242);
    assert_eq!(token.token().expose_secret(), CHILD_TOKEN_1);
    assert!(child.revoke().await.unwrap());
    assert!(!child.revoke().await.unwrap());
    server.verify().await;
}

#[tokio::test]
async fn a_live_shaped_child_account_decodes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v4/account/child-accounts/{EUUID}")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(CHILD_ACCOUNT, "application/json"))
        .mount(&server)
        .await;
    let page = format!(r#"{{"data": [{CHILD_ACCOUNT}], "page": 1, "pages": 1, "results": 1}}"#);
    Mock::given(method("GET"))
        .and(path("/v4/account/child-accounts"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(page, "application/json"))
        .mount(&server)
        .await;

    let client = parent(&server);
    let account = client.child_account(&euuid()).await.unwrap();
    assert_eq!(account.euuid.as_deref(), Some(EUUID));
    let since = account.active_since.as_ref().unwrap();
    assert_eq!(since.as_str(), "2018-01-01T00:01:01");
    assert_eq!(since.utc().to_rfc3339(), "2018-01-01T00:01:01+00:00");
    assert_eq!(
        account.billing_source,
        Some(ChildAccountBillingSource::Unknown("partner_managed".into()))
    );
    let card = account.credit_card.as_ref().unwrap();
    assert_eq!(
        (card.last_four.as_deref(), card.expiry.as_deref()),
        (None, None)
    );
    assert_eq!(account.balance, Some(200.0));
    assert_eq!(account.tax_id.as_deref(), Some(""));

    let listed: Vec<_> = client.child_accounts().stream().collect().await;
    assert_eq!(listed.len(), 1);
    let listed = listed.into_iter().next().unwrap().unwrap();
    assert_eq!(listed, account);
    assert_eq!(Euuid::try_from(&listed).unwrap(), euuid());
}

#[tokio::test(flavor = "current_thread")]
async fn no_token_in_debug_output_or_trace_logs() {
    let captured = logs::capture();

    let server = MockServer::start().await;
    mount_pages(&server, &[25, 3], 25).await;
    mount_mints(
        &server,
        &[
            token_json(CHILD_TOKEN_1, 1, "2024-05-01T10:15:00"),
            token_json(CHILD_TOKEN_2, 2, "2024-05-01T10:15:00"),
        ],
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/v4/account"))
        .and(header(
            "authorization",
            format!("Bearer {CHILD_TOKEN_1}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"errors": [{"reason": format!("Invalid Token: Bearer {CHILD_TOKEN_1}")}]}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v4/account"))
        .respond_with(ResponseTemplate::new(200).set_body_json(account_body()))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v4/profile/tokens/2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v4/profile"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(
                json!({"errors": [{"reason": "Invalid Token"}], "token": PARENT_TOKEN}),
            ),
        )
        .mount(&server)
        .await;

    let parent = parent(&server);
    let listed: Vec<_> = parent
        .child_accounts()
        .page_size(25)
        .stream()
        .collect()
        .await;
    assert_eq!(listed.len(), 28);
    let child = parent.child(euuid());
    child.account().await.unwrap();
    let token = child.token().await.unwrap();
    let parent_error = parent.profile().await.unwrap_err();
    let debug = format!(
        "{parent:?} {child:?} {token:?} {parent_error:?} {parent_error} {:?}",
        LinodeClient::builder().token(PARENT_TOKEN)
    );
    assert!(child.revoke().await.unwrap());

    let logs = captured.text();
    assert!(
        logs.contains("akamai_sdk.call"),
        "nothing was logged: {logs}"
    );
    assert!(
        logs.contains("operation_id=\"post-child-account-token\""),
        "{logs}"
    );
    for secret in [PARENT_TOKEN, CHILD_TOKEN_1, CHILD_TOKEN_2] {
        if let Some(at) = logs.find(secret) {
            let line = logs[..at].rsplit('\n').next().unwrap_or_default();
            panic!("a token leaked into the logs after: {line}");
        }
        assert!(
            !debug.contains(secret),
            "a token leaked into Debug output: {debug}"
        );
    }
}

#[tokio::test]
async fn an_html_page_with_status_200_is_a_decode_error() {
    // A gateway page where JSON was expected, with a success status: the emulator's HTML
    // fault is a 502, so this one needs a stub.
    let server = MockServer::start().await;
    let page = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>";
    Mock::given(method("GET"))
        .and(path("/v4/profile"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(page, "text/html"))
        .mount(&server)
        .await;
    let err = parent(&server).profile().await.unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
}

async fn access_server(profile: Value, grants: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v4/profile"))
        .respond_with(ResponseTemplate::new(200).set_body_json(profile))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v4/profile/grants"))
        .respond_with(grants)
        .mount(&server)
        .await;
    server
}

/// User types the emulator does not have (a child user, a type the spec does not name).
#[tokio::test]
async fn other_user_types_are_not_parent_users() {
    let child_user = json!({"username": "kid", "user_type": "child", "restricted": false});
    let server = access_server(child_user, ResponseTemplate::new(204)).await;
    match parent(&server).ensure_child_account_access().await {
        Err(ChildAccessError::NotAParentUser { user_type }) => {
            assert_eq!(user_type, UserType::Child)
        }
        other => panic!("unexpected {other:?}"),
    }

    let odd = json!({"username": "x", "user_type": "reseller"});
    let server = access_server(odd, ResponseTemplate::new(204)).await;
    let profile = parent(&server).profile().await.unwrap();
    assert_eq!(
        profile.user_type,
        Some(UserType::Unknown("reseller".into()))
    );
}

/// The seed workflow goes on into the child account: through a child client's typed calls,
/// every instance of the child (all pages), one instance, a new one and its deletion, each
/// with the proxy token and never the parent's; the parent's own calls see its own account.
#[tokio::test]
async fn a_child_client_drives_the_whole_api_in_its_account_only() {
    use akamai_sdk::linode::Filter;
    use akamai_sdk_testkit::linode::{Owner, ResourceKind};

    let linode = LinodeEmulator::builder()
        .children(3)
        .per_account(ResourceKind::Instances, 130)
        .start()
        .await
        .unwrap();
    let euuid: Euuid = linode.euuids()[1].parse().unwrap();
    let parent = linode.parent_client_with(no_retry());
    let child = parent.child(euuid.clone());

    // Every page (130 instances at 100 a page: two pages), streamed.
    let mine: Vec<_> = child
        .api()
        .get_linode_instances_stream(None, None)
        .try_collect()
        .await
        .unwrap();
    let stored = linode.instances(euuid.as_str()).unwrap();
    assert_eq!(mine.len(), 130);
    let ids =
        |values: &[Value]| -> Vec<i64> { values.iter().filter_map(|v| v["id"].as_i64()).collect() };
    assert_eq!(
        mine.iter().filter_map(|i| i.id).collect::<Vec<_>>(),
        ids(&stored)
    );
    let theirs = linode.instances(Owner::Parent).unwrap();
    assert!(mine.iter().all(|i| !ids(&theirs).contains(&i.id.unwrap())));

    // A page size and a filter on any field, through the generic filter.
    let label = stored[7]["label"].as_str().unwrap().to_owned();
    let filter = Filter::new().eq("label", label.as_str()).to_header();
    let found: Vec<_> = child
        .api()
        .get_linode_instances_stream(Some(25), Some(&filter))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].label.as_deref(), Some(label.as_str()));

    // Get one, create one, delete one.
    let first = mine[0].id.unwrap();
    let one = child.api().get_linode_instance(first).await.unwrap();
    assert_eq!(one.id, Some(first));
    let body: akamai_sdk::linode::types::PostLinodeInstanceBody = serde_json::from_value(
        json!({"region": "us-east", "type": "g6-standard-2", "label": "made-by-child"}),
    )
    .unwrap();
    let made = child.api().post_linode_instance(&body).await.unwrap();
    let made_id = made.id.unwrap();
    assert!(ids(&linode.instances(euuid.as_str()).unwrap()).contains(&made_id));
    assert!(!ids(&linode.instances(Owner::Parent).unwrap()).contains(&made_id));
    child.api().delete_linode_instance(made_id).await.unwrap();
    assert!(!ids(&linode.instances(euuid.as_str()).unwrap()).contains(&made_id));

    // The parent's token sees the parent's instances, and not the child's.
    let parents: Vec<_> = parent
        .api()
        .get_linode_instances_stream(None, None)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        parents.iter().filter_map(|i| i.id).collect::<Vec<_>>(),
        ids(&theirs)
    );
    let refused = parent.api().get_linode_instance(first).await.unwrap_err();
    assert!(refused.is_not_found(), "{refused}");

    // Instance routes in the order sent: the child's calls (two pages, the filtered page, get,
    // create, delete) with its proxy token only, then the parent's (its own two pages, the
    // refused get) with its own token only.
    let proxy = format!("proxy {euuid}");
    let who: Vec<String> = linode
        .requests()
        .iter()
        .filter(|r| r.target.contains("/linode/instances"))
        .map(|r| r.principal.clone().unwrap_or_default())
        .collect();
    let child_calls = 2 + 1 + 3;
    assert_eq!(who.len(), child_calls + 2 + 1, "{who:?}");
    assert!(who[..child_calls].iter().all(|w| *w == proxy), "{who:?}");
    assert!(who[child_calls..].iter().all(|w| w == "parent"), "{who:?}");
}

/// A typed call's future can be spawned on a multi-threaded runtime, for the parent and for a
/// child: the runner trait does not promise `Send`, the concrete clients' futures are. (A
/// compile-time check: this test fails by not compiling.)
#[test]
fn typed_calls_can_be_spawned() {
    fn spawnable<F: std::future::Future + Send + 'static>(_: F) {}
    let parent = LinodeClient::new("t").unwrap();
    let child = parent.child(euuid());
    let account = parent.clone();
    spawnable(async move { account.api().get_account().await });
    spawnable(async move { parent.api().get_linode_instance(1).await });
    let volumes = child.clone();
    spawnable(async move { volumes.api().get_volumes(None, None, None).await });
    spawnable(async move {
        child
            .api()
            .get_linode_instances_stream(None, None)
            .try_collect::<Vec<_>>()
            .await
    });
}

/// The escape hatch for what the pinned spec lacks: a raw call on a child client runs with the
/// proxy token, and a 401 renews it once and repeats the call, as for every typed call; the
/// parent's raw call carries the parent's token, the path template filled and encoded.
#[tokio::test]
async fn a_raw_call_renews_the_proxy_token_on_401() {
    use akamai_sdk::raw::RawCall;
    use akamai_sdk::Method;

    let server = server_refusing_the_first_proxy_token("/v4/preview/things/a%20b").await;
    Mock::given(method("GET"))
        .and(path("/v4/preview/things/a%20b"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
        .mount(&server)
        .await;

    let parent = parent(&server);
    let call = RawCall::new(Method::GET, "/preview/things/{name}")
        .param("name", "a b")
        .query("detail", "full");
    let child = parent.child(euuid());
    let answer = child.raw(&call).await.unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(answer.json::<Value>().unwrap(), json!({"ok": true}));
    assert_eq!(
        child.token().await.unwrap().id(),
        2,
        "renewed after the 401"
    );

    parent.raw(&call).await.unwrap();
    let raw_calls: Vec<_> = received(&server)
        .await
        .into_iter()
        .filter(|r| r.url.path().starts_with("/v4/preview"))
        .map(|r| (r.url.query().map(str::to_owned), authorization(&r)))
        .collect();
    let query = Some("detail=full".to_owned());
    assert_eq!(
        raw_calls,
        [
            (query.clone(), Some(format!("Bearer {CHILD_TOKEN_1}"))),
            (query.clone(), Some(format!("Bearer {CHILD_TOKEN_2}"))),
            (query, Some(format!("Bearer {PARENT_TOKEN}"))),
        ]
    );
}
