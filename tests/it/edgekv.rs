//! The EdgeKV layer, end to end.
//!
//! **On the testkit's `EdgeKvEmulator`** (stateful, every EdgeGrid signature and nonce checked
//! by its own verifier, fault rules): items as text, JSON and bytes with their stored bytes and
//! content types, id encoding signed as sent, the initialization lifecycle and its waiter, token
//! creation, activation and `edgekv_tokens.js`, the token waiter's timeout, empty collections
//! versus unknown-namespace 404s, names-only versus detailed namespace listings, retries of
//! idempotent item calls versus POSTs not re-sent (status with `Retry-After`, a connection
//! dropped after the server acted, a truncated body), and a badly signed request refused. They
//! assert on the emulator's state, request log and counters.
//!
//! **On hand-made wiremock stubs**, behind an independent verifier (`support/edgegrid.rs`) that
//! answers 401 to a bad signature, where a test needs exact control of the wire:
//! `every_operation_sends_its_documented_request` (exact request shapes, bodies, headers and
//! the account switch key), `the_spec_error_examples_come_back_typed` (the spec's own error
//! bodies), `initialize_without_a_policy_sends_a_null_policy` (an exact body),
//! `namespace_listings_decode_names_and_string_numbers` (listings shaped as the live API
//! sends them, plain names and numbers as strings), `no_secret_in_trace_logs` (a legacy token
//! value inside an error body), and the stub guard's own test. Client construction needs no
//! server.

use std::collections::HashSet;
use std::time::Duration;

use akamai_sdk::config::HttpConfig;
use akamai_sdk::edgegrid::{Credentials, EdgeGridSigner, Timestamp};
use akamai_sdk::edgekv::{
    AccessToken, DataAccessPolicy, EdgeKvClient, EdgeKvClientBuilder, InitializeAccountStatus,
    ItemValue, Network, NewToken, Permission, PostNamespaceBody, TokenActivationStatus,
    TokenCredential, TokensFile, WaitOptions, WaitOutcome,
};
use akamai_sdk::error::{ClockOffset, ErrorBody};
use akamai_sdk::retry::RetryPolicy;
use akamai_sdk::Error;
use akamai_sdk_testkit::RecordedWaits;
use akamai_sdk_testkit::{EdgeKvEmulator, Fault, FaultKind};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::bodies::marketing_namespace;
use crate::support::edgegrid::{parse_authorization, BadlySigned, Verifier};
use crate::support::logs;

const CLIENT_TOKEN: &str = "akab-client-token-ekv-7c1d";
const CLIENT_SECRET: &str = "ZWRnZWt2LWNsaWVudC1zZWNyZXQtOWYyYQ==";
const ACCESS_TOKEN: &str = "akab-access-token-ekv-41be";
const ASK: &str = "1-ABCDE:1-2RBL";
const BASE: &str = "/edgekv/v1";
const ITEMS: &str = "/edgekv/v1/networks/*/namespaces/*/groups/*/items/*";

fn retrying() -> RetryPolicy {
    RetryPolicy::default()
        .with_jitter(false)
        .with_initial_backoff(Duration::from_millis(10))
}

fn quick() -> WaitOptions {
    WaitOptions::new()
        .with_poll_interval(Duration::from_millis(10))
        .with_timeout(Duration::from_secs(5))
}

// ---------------------------------------------------------------------------------------
// On the emulator.
// ---------------------------------------------------------------------------------------

/// A client of `kv` without retries.
fn client_of(kv: &EdgeKvEmulator) -> EdgeKvClient {
    kv.client_with(HttpConfig::new().with_retry(RetryPolicy::disabled()))
}

/// Every request was correctly signed with a fresh nonce: the emulator refuses a reused nonce
/// and counts it.
fn assert_signed_afresh(kv: &EdgeKvEmulator) {
    let counters = kv.counters();
    assert_eq!(
        (counters.signature_failures, counters.replays),
        (0, 0),
        "{:?}",
        kv.requests()
    );
}

/// The status and `errorCode` of an API error.
fn status_and_code(err: &Error) -> (Option<u16>, Option<String>) {
    let code = match err.api().map(|a| a.body()) {
        Some(ErrorBody::Problem(p)) => p.error_code.clone(),
        _ => None,
    };
    (err.status().map(|s| s.as_u16()), code)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Country {
    name: String,
    currency: String,
    tags: Vec<String>,
}

#[tokio::test]
async fn items_round_trip_as_text_json_and_bytes() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let client = client_of(&kv);
    let group = client.group(Network::Staging, "default", "countries");
    let stored = |item: &str| kv.item(Network::Staging, "default", "countries", item);

    let text = " \"quoted\" and 'single'  \n\t";
    let country = Country {
        name: "\"Belgium\"".into(),
        currency: "€".into(),
        tags: vec![" padded ".into()],
    };
    let bytes = vec![0u8, 0xff, b'"', b' ', b'\n', 0x80];
    group.put("text", &ItemValue::text(text)).await.unwrap();
    let confirmation = group
        .put("json", &ItemValue::json(&country).unwrap())
        .await
        .unwrap();
    assert!(
        confirmation.starts_with("Item was upserted"),
        "{confirmation}"
    );
    group
        .put("bytes", &ItemValue::bytes(bytes.clone()))
        .await
        .unwrap();
    // A string that looks like JSON stays text when sent as text.
    group
        .put("looks-json", &ItemValue::text("{\"a\": 1}"))
        .await
        .unwrap();

    // What the server stored: the bytes as given, with the content type of their kind.
    let text_type = Some("text/plain; charset=utf-8".to_owned());
    assert_eq!(
        stored("text"),
        Some((text_type.clone(), text.as_bytes().to_vec()))
    );
    assert_eq!(
        stored("json"),
        Some((
            Some("application/json".to_owned()),
            serde_json::to_vec(&country).unwrap()
        ))
    );
    assert_eq!(
        stored("bytes"),
        Some((Some("application/octet-stream".to_owned()), bytes.clone()))
    );
    assert_eq!(
        stored("looks-json"),
        Some((text_type, b"{\"a\": 1}".to_vec()))
    );

    let item = group.get("text").await.unwrap();
    assert_eq!(item.text().unwrap(), text);
    assert!(item.content_type().unwrap().starts_with("text/plain"));
    assert!(!item.is_json());
    let item = group.get("json").await.unwrap();
    assert!(item.is_json());
    assert_eq!(item.json::<Country>().unwrap(), country);
    assert_eq!(item.get::<Value>().unwrap()["name"], "\"Belgium\"");
    assert_eq!(group.get_json::<Country>("json").await.unwrap(), country);
    let item = group.get("bytes").await.unwrap();
    assert_eq!(item.as_bytes(), bytes.as_slice());
    assert_eq!(item.content_type(), Some("application/octet-stream"));
    assert!(item.text().is_err());
    let item = group.get("looks-json").await.unwrap();
    assert_eq!(item.as_bytes(), b"{\"a\": 1}");
    assert!(matches!(item.json::<Vec<u8>>(), Err(Error::Decode(_))));
    assert!(!format!("{item:?}").contains("\"a\""));

    // A sandbox is another store, named in the query.
    let sandbox = group.clone().sandbox("sb-4d91");
    sandbox
        .put("text", &ItemValue::text("sandboxed"))
        .await
        .unwrap();
    let last = kv.requests().pop().unwrap();
    assert_eq!(
        last.target,
        "/edgekv/v1/networks/staging/namespaces/default/groups/countries/items/text?sandboxId=sb-4d91"
    );
    assert_eq!(
        kv.sandbox_item(
            Network::Staging,
            "default",
            Some("sb-4d91"),
            "countries",
            "text"
        )
        .unwrap()
        .1,
        b"sandboxed"
    );
    assert_eq!(
        sandbox.get("text").await.unwrap().text().unwrap(),
        "sandboxed"
    );
    assert_eq!(group.get("text").await.unwrap().text().unwrap(), text);

    let deleted = group.delete("text").await.unwrap();
    assert!(deleted.contains("deleted"), "{deleted}");
    assert_eq!(stored("text"), None);
    let err = group.get("text").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(status_and_code(&err), (Some(404), Some("EKV_9000".into())));
    let request_id = err.request_id().expect("the problem's requestId");
    assert_eq!(request_id.len(), 16, "{request_id}");

    let counters = kv.counters();
    assert_eq!(
        (
            counters.operation("put-item"),
            counters.operation("get-item"),
            counters.operation("delete-item")
        ),
        (5, 8, 1)
    );
    assert_signed_afresh(&kv);
}

#[tokio::test]
async fn ids_outside_the_documented_rule_are_refused_before_sending() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let client = client_of(&kv);
    let plain = client.group(Network::Staging, "default", "g_1");
    // The emulator (like the API) keeps namespace, group and item ids to A-Z a-z 0-9 _ -:
    // the SDK refuses the others itself, with the rule in the error, and sends nothing.
    let before = kv.counters().requests;
    let weird = [
        "a b",
        "x;y",
        "100%",
        "%41",
        "what?",
        "#1",
        "it's",
        "café ☕",
        "a.b~c",
        "...",
    ];
    for id in weird {
        let errors = [
            (
                plain.put(id, &ItemValue::text(id)).await.map(drop),
                "item id",
            ),
            (plain.get(id).await.map(drop), "item id"),
            (
                client
                    .group(Network::Staging, "default", id)
                    .list(None)
                    .await
                    .map(drop),
                "group id",
            ),
            (
                client.namespace(Network::Staging, id).await.map(drop),
                "namespace id",
            ),
        ];
        for (result, what) in errors {
            let err = result.unwrap_err();
            assert!(
                matches!(&err, Error::InvalidId(e) if e.what() == what),
                "{id}: {err}"
            );
            assert!(err.to_string().contains("A-Z a-z 0-9 _ and -"), "{err}");
        }
    }
    let too_long = "k".repeat(akamai_sdk::edgekv::MAX_ITEM_LEN + 1);
    assert!(matches!(
        plain.get(&too_long).await,
        Err(Error::InvalidId(_))
    ));
    assert!(matches!(
        client.namespace(Network::Staging, "-ns").await,
        Err(Error::InvalidId(_))
    ));
    assert_eq!(kv.counters().requests, before, "nothing was sent");

    // Ids the API takes round trip, up to the longest item id.
    let longest = "k".repeat(akamai_sdk_testkit::edgekv::MAX_ITEM_ID_LEN);
    for id in ["a-b_C9", longest.as_str()] {
        plain.put(id, &ItemValue::text(id)).await.unwrap();
        assert_eq!(plain.get(id).await.unwrap().text().unwrap(), id);
        assert!(kv.item(Network::Staging, "default", "g_1", id).is_some());
    }
    assert_signed_afresh(&kv);
}

#[tokio::test]
async fn path_ids_are_percent_encoded_and_signed_as_sent() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let client = client_of(&kv);
    let group = client.group(Network::Staging, "ns", "g");
    // Token names keep only the path-segment rules: whatever else they hold travels strictly
    // percent-encoded, and the signature over the encoded target checks out (a mismatch would
    // be a 401; an unknown token is a 404).
    for (name, encoded) in [
        ("a b", "a%20b"),
        ("x;y", "x%3By"),
        ("100%", "100%25"),
        ("%41", "%2541"),
        ("what?", "what%3F"),
        ("#1", "%231"),
        ("it's", "it%27s"),
        ("café ☕", "caf%C3%A9%20%E2%98%95"),
        ("a.b~c_d-e", "a.b~c_d-e"),
        ("...", "..."),
    ] {
        let err = client.token(name).await.unwrap_err();
        assert_ne!(err.status().map(|s| s.as_u16()), Some(401), "{name}: {err}");
        assert_eq!(
            kv.requests().pop().unwrap().target,
            format!("{BASE}/tokens/{encoded}"),
            "{name}"
        );
    }

    // Ids that cannot be a path segment are refused before anything is sent.
    let before = kv.counters().requests;
    for bad in ["", "a/b", "/", "a\\b", ".", ".."] {
        let errors = [
            group.put(bad, &ItemValue::text("x")).await.unwrap_err(),
            group.get(bad).await.unwrap_err(),
            group.delete(bad).await.unwrap_err(),
            client
                .group(Network::Staging, bad, "g")
                .list(None)
                .await
                .unwrap_err(),
            client
                .group(Network::Staging, "ns", bad)
                .get("i")
                .await
                .unwrap_err(),
            client.namespace(Network::Staging, bad).await.unwrap_err(),
            client
                .namespace_groups(Network::Staging, bad)
                .await
                .unwrap_err(),
            client
                .update_namespace(Network::Staging, bad, 1)
                .await
                .unwrap_err(),
            client.reauthorize_namespace(bad, 1).await.unwrap_err(),
            client.token(bad).await.unwrap_err(),
            client.delete_token(bad).await.unwrap_err(),
            client.refresh_token(bad).await.unwrap_err(),
        ];
        for err in errors {
            assert!(matches!(err, Error::InvalidId(_)), "{bad:?}: {err}");
        }
    }
    let err = group.clone().sandbox("").get("i").await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidId(id) if id.what() == "sandbox id"),
        "{err}"
    );
    assert_eq!(kv.counters().requests, before);
    assert_signed_afresh(&kv);
}

#[tokio::test]
async fn tokens_without_include_expired_send_no_such_parameter() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let client = client_of(&kv);
    assert!(client.tokens(false).await.unwrap().is_empty());
    assert!(client.tokens(true).await.unwrap().is_empty());
    let targets: Vec<String> = kv.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        ["/edgekv/v1/tokens", "/edgekv/v1/tokens?includeExpired=true"]
    );
}

#[tokio::test]
async fn initialize_starts_once_and_waits_through_pending() {
    let kv = EdgeKvEmulator::builder()
        .uninitialized(2)
        .start()
        .await
        .unwrap();
    let client = client_of(&kv);
    let outcome = client.initialize_and_wait(None, quick()).await.unwrap();
    let WaitOutcome::Ready(status) = outcome else {
        panic!("not ready: {outcome:?}");
    };
    assert_eq!(status.account_status, InitializeAccountStatus::Initialized);
    assert_eq!(status.cpcode.as_deref(), Some("1234567"));
    let counters = kv.counters();
    assert_eq!(counters.operation("put-initialize"), 1);
    // 404 UNINITIALIZED, PENDING twice, then INITIALIZED.
    assert_eq!(counters.operation("get-initialize"), 4);
    let statuses: Vec<(String, u16)> = kv
        .requests()
        .into_iter()
        .map(|r| (r.method, r.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("GET".to_owned(), 404),
            ("PUT".to_owned(), 201),
            ("GET".to_owned(), 200),
            ("GET".to_owned(), 200),
            ("GET".to_owned(), 200),
        ]
    );
    // Initialized: the default namespaces exist.
    assert_eq!(client.namespaces(Network::Staging).await.unwrap().len(), 1);
}

#[tokio::test]
async fn initialize_does_not_put_when_initialized_or_pending() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let outcome = client_of(&kv)
        .initialize_and_wait(None, quick())
        .await
        .unwrap();
    assert!(outcome.is_ready());
    assert_eq!(kv.counters().requests, 1);
    assert_eq!(kv.counters().operation("put-initialize"), 0);

    // Pending (started elsewhere) for longer than the wait.
    let pending = EdgeKvEmulator::builder()
        .uninitialized(1_000)
        .start()
        .await
        .unwrap();
    let client = client_of(&pending);
    client.initialize(None).await.unwrap();
    let wait = WaitOptions::new()
        .with_poll_interval(Duration::from_millis(10))
        .with_timeout(Duration::from_millis(60));
    let outcome = client.initialize_and_wait(None, wait).await.unwrap();
    let WaitOutcome::TimedOut(last) = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(last.account_status, InitializeAccountStatus::Pending);
    let counters = pending.counters();
    assert_eq!(counters.operation("put-initialize"), 1, "only the first");
    assert!(counters.operation("get-initialize") >= 2);
}

#[tokio::test]
async fn token_is_created_awaited_and_written_to_edgekv_tokens_js() {
    let kv = EdgeKvEmulator::builder()
        .token_activation_reads(2)
        .start()
        .await
        .unwrap();
    kv.seed_namespace(Network::Staging, "marketing", 86_400);
    let client = client_of(&kv);
    let created = client
        .create_token(
            &NewToken::new("my_token")
                .namespace("default", [Permission::R, Permission::W, Permission::D])
                .namespace("marketing", [Permission::R]),
        )
        .await
        .unwrap();
    assert!(!created.is_active());
    assert_eq!(
        created.activation_status,
        Some(TokenActivationStatus::InProgress)
    );
    let token = client
        .wait_for_token(&created.name, quick())
        .await
        .unwrap()
        .ready()
        .expect("active");
    assert!(token.is_active());
    assert_eq!(token.uuid, created.uuid);
    assert_eq!(
        kv.counters().operation("get-token"),
        3,
        "two IN_PROGRESS reads, then COMPLETE"
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("edgekv_tokens.js");
    std::fs::write(
        &file,
        "// written by hand\nvar edgekv_access_tokens = {\n    'namespace-keep' : {name:'keeper',reference:'r-keep',},\n\
         \"namespace-default\": { \"name\": \"stale\", \"reference\": \"r-stale\" },\n};\nexport { edgekv_access_tokens };\n",
    )
    .unwrap();
    TokensFile::merge_into_file(&file, &token).unwrap();
    let written = std::fs::read_to_string(&file).unwrap();
    let uuid = &token.uuid;
    assert_eq!(
        written,
        format!(
            "var edgekv_access_tokens = {{\n  \"namespace-default\": {{\n    \"name\": \"my_token\",\n    \"reference\": \"{uuid}\"\n  }},\n  \
             \"namespace-keep\": {{\n    \"name\": \"keeper\",\n    \"reference\": \"r-keep\"\n  }},\n  \
             \"namespace-marketing\": {{\n    \"name\": \"my_token\",\n    \"reference\": \"{uuid}\"\n  }}\n}};\n\
             export {{ edgekv_access_tokens }};\n"
        )
    );
    let back = TokensFile::read(&file).unwrap();
    assert_eq!(back.len(), 3);
    assert_eq!(
        back.get("marketing").unwrap().credential,
        TokenCredential::Reference(token.uuid.clone())
    );

    // A token issued with a value (as legacy tokens were) brings it: it is written instead of
    // a reference and shown nowhere.
    let legacy_kv = EdgeKvEmulator::builder()
        .legacy_token_values()
        .token_activation_reads(0)
        .start()
        .await
        .unwrap();
    legacy_kv.seed_namespace(Network::Staging, "old", 86_400);
    let legacy_client = client_of(&legacy_kv);
    legacy_client
        .create_token(&NewToken::new("legacy_token").namespace("old", [Permission::R]))
        .await
        .unwrap();
    let legacy = legacy_client.token("legacy_token").await.unwrap();
    let value = legacy.value.as_ref().unwrap().expose_secret().to_owned();
    assert!(!value.is_empty());
    assert!(!format!("{legacy:?}").contains(&value));
    let merged = TokensFile::merge_into_file(&file, &legacy).unwrap();
    assert!(!format!("{merged:?}").contains(&value));
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(
        written.contains(&format!(
            "\"namespace-old\": {{\n    \"name\": \"legacy_token\",\n    \"value\": \"{value}\"\n  }}"
        )),
        "{written}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
    assert_eq!(TokensFile::read(&file).unwrap().len(), 4);

    let no_namespaces = AccessToken::new("bare", "u-1");
    assert!(TokensFile::new().merge_token(&no_namespaces).is_err());
    assert_signed_afresh(&kv);
}

#[tokio::test]
async fn token_wait_times_out_with_the_last_state() {
    let kv = EdgeKvEmulator::builder()
        .token_activation_reads(u32::MAX)
        .start()
        .await
        .unwrap();
    let client = client_of(&kv);
    client
        .create_token(&NewToken::new("slow").namespace("default", [Permission::R]))
        .await
        .unwrap();
    let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = std::sync::Arc::clone(&heard);
    let wait = WaitOptions::new()
        .with_poll_interval(Duration::from_millis(10))
        .with_timeout(Duration::from_millis(50))
        .on_poll(move |progress| sink.lock().unwrap().push(progress.poll()));
    let outcome = client.wait_for_token("slow", wait.clone()).await.unwrap();
    assert!(!outcome.is_ready());
    // Every poll that did not end the wait reached the hook, in order: the first read of the
    // token is not a poll.
    let polls = heard.lock().unwrap().clone();
    let expected: Vec<u32> = (1..=kv.counters().operation("get-token") as u32 - 1).collect();
    assert_eq!(polls, expected);
    let last = outcome.into_inner();
    assert_eq!(last.name, "slow");
    assert_eq!(
        last.activation_status,
        Some(TokenActivationStatus::InProgress)
    );
    assert!(kv.counters().operation("get-token") >= 2);
    // An unknown token ends the wait with its error.
    let err = client.wait_for_token("gone", wait).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(status_and_code(&err), (Some(404), Some("EKV_3000".into())));
}

/// The API answers 404 where a collection is empty; other 404s of the same operations (an
/// unknown namespace) stay typed not-found errors.
#[tokio::test]
async fn empty_collections_are_empty_lists_and_other_404s_stay_errors() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    kv.seed_namespace(Network::Staging, "ns", 86_400);
    let c = client_of(&kv);
    assert!(c.tokens(false).await.unwrap().is_empty());
    assert_eq!(
        c.namespace_groups(Network::Staging, "ns").await.unwrap(),
        Vec::<String>::new()
    );
    let group = c.group(Network::Staging, "ns", "g");
    assert_eq!(group.list(None).await.unwrap(), Vec::<String>::new());
    // The empty answers really were 404s.
    let statuses: Vec<u16> = kv.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [404, 404, 404]);

    for err in [
        c.namespace_groups(Network::Staging, "gone")
            .await
            .unwrap_err(),
        c.group(Network::Staging, "gone", "g")
            .list(None)
            .await
            .unwrap_err(),
    ] {
        assert!(err.is_not_found(), "{err:?}");
        assert_eq!(status_and_code(&err), (Some(404), Some("EKV_9000".into())));
        assert!(err.request_id().is_some(), "{err:?}");
        assert!(err.to_string().contains("404"), "{err}");
    }
}

#[tokio::test]
async fn idempotent_item_calls_are_retried_and_posts_are_not() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let sleeps = RecordedWaits::default();
    let client = kv.client_with(
        HttpConfig::new()
            .with_retry(retrying())
            .with_sleeper(sleeps.clone()),
    );
    let group = client.group(Network::Staging, "default", "g");
    let op = |name: &str| kv.counters().operation(name);

    kv.inject(Fault::status("PUT", ITEMS, 429).retry_after(3).times(1));
    group.put("k", &ItemValue::text("v")).await.unwrap();
    assert_eq!(sleeps.taken(), [Duration::from_secs(3)]);
    assert_eq!(op("put-item"), 2);
    assert_eq!(
        kv.item(Network::Staging, "default", "g", "k").unwrap().1,
        b"v"
    );

    kv.inject(Fault::status("GET", ITEMS, 429).retry_after(2).times(1));
    assert_eq!(group.get("k").await.unwrap().as_bytes(), b"v");
    assert_eq!(sleeps.taken()[1], Duration::from_secs(2));
    assert_eq!(op("get-item"), 2);

    kv.inject(Fault::status("DELETE", ITEMS, 503).times(2));
    group.delete("k").await.unwrap();
    assert_eq!(sleeps.taken().len(), 4);
    assert_eq!(op("delete-item"), 3);
    assert!(kv.item(Network::Staging, "default", "g", "k").is_none());

    // A connection dropped after the server acted, and a truncated answer: a PUT and a GET
    // are sent again.
    kv.inject(Fault::new("PUT", ITEMS, FaultKind::DropAfterPerforming).times(1));
    group.put("k", &ItemValue::text("w")).await.unwrap();
    assert_eq!(op("put-item"), 4);
    kv.inject(Fault::new("GET", ITEMS, FaultKind::TruncatedBody).times(1));
    assert_eq!(group.get("k").await.unwrap().as_bytes(), b"w");
    assert_eq!(op("get-item"), 4);
    let retried = sleeps.taken().len();
    assert_eq!(retried, 6);

    // Creation is a POST: after a 5xx, a dropped connection or a cut answer the server may
    // have acted, so it is not repeated.
    kv.inject(Fault::status("POST", "/edgekv/v1/tokens", 500).times(1));
    let err = client
        .create_token(&NewToken::new("t").namespace("default", [Permission::R]))
        .await
        .unwrap_err();
    assert_eq!(status_and_code(&err), (Some(500), Some("EKV_0000".into())));
    assert_eq!(op("post-tokens"), 1);
    kv.inject(Fault::status("POST", "/edgekv/v1/networks/*/namespaces", 502).times(1));
    let err = client
        .create_namespace(
            Network::Staging,
            &PostNamespaceBody::builder()
                .namespace("n")
                .retention_in_seconds(0)
                .group_id(0)
                .try_into()
                .unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
    assert_eq!(op("post-namespace"), 1);
    kv.inject(Fault::new("POST", "/edgekv/v1/tokens", FaultKind::DropAfterPerforming).times(1));
    let err = client
        .create_token(&NewToken::new("dropped").namespace("default", [Permission::R]))
        .await
        .unwrap_err();
    assert!(err.status().is_none(), "no answer: {err}");
    assert_eq!(op("post-tokens"), 2);
    assert!(
        kv.token_names().contains(&"dropped".to_owned()),
        "it was created"
    );
    kv.inject(Fault::new("POST", "/edgekv/v1/tokens", FaultKind::TruncatedBody).times(1));
    client
        .create_token(&NewToken::new("cut").namespace("default", [Permission::R]))
        .await
        .unwrap_err();
    assert_eq!(op("post-tokens"), 3);
    assert_eq!(sleeps.taken().len(), retried, "no POST was retried");
    assert_eq!(kv.counters().faults, 10);
    assert_signed_afresh(&kv);
}

#[tokio::test]
async fn a_badly_signed_request_is_refused() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let good = kv.edgegrid_credentials();
    let wrong = Credentials::builder(
        kv.host(),
        good.client_token,
        "d3Jvbmctc2VjcmV0",
        good.access_token,
    )
    .build()
    .unwrap();
    let client = EdgeKvClient::builder(wrong)
        .http_config(
            HttpConfig::new()
                .allow_insecure_loopback(true)
                .with_retry(RetryPolicy::disabled()),
        )
        .base_url(kv.url())
        .build()
        .unwrap();
    let err = client.tokens(false).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    let err = client
        .group(Network::Staging, "default", "g")
        .put("k", &ItemValue::text("v"))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert!(kv.item(Network::Staging, "default", "g", "k").is_none());
    assert_eq!(kv.counters().signature_failures, 2);
    // The emulator's own client is accepted.
    client_of(&kv).tokens(false).await.unwrap();
    assert_eq!(kv.counters().signature_failures, 2);
}

#[tokio::test]
async fn a_clock_ten_minutes_fast_gets_a_clock_skew_error_with_the_offset() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let fast = || {
        let now = std::time::SystemTime::now() + Duration::from_secs(600);
        Timestamp::from_system_time(now).unwrap()
    };
    let signer = EdgeGridSigner::new(kv.credentials()).with_clock(fast);
    let client = EdgeKvClientBuilder::with_signer(signer)
        .http_config(
            HttpConfig::new()
                .allow_insecure_loopback(true)
                .with_retry(retrying()),
        )
        .base_url(kv.url())
        .build()
        .unwrap();
    let err = client.tokens(false).await.unwrap_err();
    let skew = err.clock_skew().unwrap_or_else(|| panic!("{err:?}"));
    let Some(ClockOffset::Ahead(offset)) = skew.offset() else {
        panic!("{:?}", skew.offset());
    };
    assert!((598..=602).contains(&offset.as_secs()), "offset {offset:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(err.api().map(|a| a.status().as_u16()), Some(401));
    assert!(!err.is_retryable());
    let text = err.to_string();
    assert!(text.contains("ahead of the server's"), "{text}");
    assert!(text.contains("Invalid timestamp"), "{text}");
    // Not retried: a second attempt would be signed by the same clock.
    assert_eq!(kv.requests().len(), 1);
    // A write is refused alike, and nothing is stored.
    let err = client
        .group(Network::Staging, "default", "g")
        .put("k", &ItemValue::text("v"))
        .await
        .unwrap_err();
    assert!(err.clock_skew().is_some(), "{err:?}");
    assert!(kv.item(Network::Staging, "default", "g", "k").is_none());
    assert_eq!(kv.requests().len(), 2);
}

/// Without `details` the API lists names only; `namespaces` asks `details=on` and gets whole
/// namespaces.
#[tokio::test]
async fn namespaces_are_listed_by_name_or_in_detail() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let c = client_of(&kv);
    let body = marketing_namespace();
    c.create_namespace(Network::Staging, &body).await.unwrap();
    kv.seed_namespace(Network::Production, "marketing", 86_400);
    let detailed = c.namespaces(Network::Staging).await.unwrap();
    assert_eq!(detailed.len(), 2);
    assert_eq!(detailed[1].namespace, "marketing");
    assert_eq!(detailed[1].retention_in_seconds, 15_724_800);
    assert_eq!(detailed[1].group_id, 4284);
    let names = c.namespace_names(Network::Production).await.unwrap();
    assert_eq!(names, ["default", "marketing"]);
    let log = kv.requests();
    let targets: Vec<&str> = log.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(
        targets[1..],
        [
            "/edgekv/v1/networks/staging/namespaces?details=on",
            "/edgekv/v1/networks/production/namespaces",
        ],
        "a names-only listing sends no `details`"
    );
}

// ---------------------------------------------------------------------------------------
// On hand-made stubs: exact control of the wire.
// ---------------------------------------------------------------------------------------

struct Fixture {
    server: MockServer,
    client: EdgeKvClient,
}

fn verifier() -> Verifier {
    Verifier::new(CLIENT_TOKEN, CLIENT_SECRET, ACCESS_TOKEN)
}

async fn fixture_with(policy: RetryPolicy, account_switch_key: Option<&str>) -> Fixture {
    let server = MockServer::start().await;
    Mock::given(BadlySigned(verifier()))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "type": "https://problems.luna.akamaiapis.net/-/pep-authn/deny",
            "title": "Not authorized", "status": 401
        })))
        .with_priority(1)
        .expect(0)
        .named("badly signed requests")
        .mount(&server)
        .await;
    let host = server.address().to_string();
    let credentials = Credentials::builder(&host, CLIENT_TOKEN, CLIENT_SECRET, ACCESS_TOKEN)
        .build()
        .unwrap();
    let config = HttpConfig::new()
        .allow_insecure_loopback(true)
        .with_retry(policy)
        .with_sleeper(RecordedWaits::default());
    let mut builder = EdgeKvClient::builder(credentials)
        .http_config(config)
        .base_url(format!("{}{BASE}", server.uri()));
    if let Some(key) = account_switch_key {
        builder = builder.account_switch_key(key);
    }
    Fixture {
        client: builder.build().unwrap(),
        server,
    }
}

async fn fixture() -> Fixture {
    fixture_with(RetryPolicy::disabled(), None).await
}

impl Fixture {
    async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap()
    }

    /// Every request carried a fresh nonce (each attempt is signed anew).
    async fn assert_fresh_nonces(&self) {
        let requests = self.requests().await;
        let mut seen = HashSet::new();
        for request in &requests {
            let auth = request.headers["authorization"].to_str().unwrap();
            let fields = parse_authorization(auth).unwrap();
            assert!(seen.insert(fields.nonce), "nonce reused");
        }
    }
}

fn initialized() -> Value {
    json!({
        "accountStatus": "INITIALIZED",
        "cpcode": "1234567",
        "dataAccessPolicy": {"allowNamespacePolicyOverride": false, "restrictDataAccess": true},
        "productionStatus": "INITIALIZED",
        "stagingStatus": "INITIALIZED"
    })
}

fn pending() -> Value {
    json!({
        "accountStatus": "PENDING",
        "cpcode": null,
        "dataAccessPolicy": null,
        "productionStatus": "PENDING",
        "stagingStatus": "PENDING"
    })
}

fn namespace_json(name: &str, retention: i64) -> Value {
    json!({
        "dataAccessPolicy": {"policyType": "overridden", "restrictDataAccess": false},
        "geoLocation": "US",
        "groupId": 4284,
        "namespace": name,
        "retentionInSeconds": retention
    })
}

fn token_json(name: &str, status: &str) -> Value {
    json!({
        "allowOnProduction": true,
        "allowOnStaging": false,
        "cpcode": "1234567",
        "expiry": "2021-09-30",
        "issueDate": "2022-04-30",
        "name": name,
        "namespacePermissions": {"default": ["r", "w", "d"], "marketing": ["r"]},
        "nextScheduledRefreshDate": "2022-06-30",
        "restrictToEdgeWorkerIds": ["1234", "5678"],
        "tokenActivationStatus": status,
        "uuid": "fa3a7ae0-1c5e-4b1d-9c2e-f0638c6b7466"
    })
}

/// A mock for one operation: method, path, the account switch key, and one call expected.
fn op(verb: &str, p: &str) -> wiremock::MockBuilder {
    Mock::given(method(verb))
        .and(path(format!("{BASE}{p}")))
        .and(query_param("accountSwitchKey", ASK))
}

fn problem(status: u16, code: &str, request_id: &str, detail: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "additionalDetail": {"requestId": request_id},
        "detail": detail,
        "errorCode": code,
        "instance": "/edgekv/error-instances/e77c8cc1-3698-412a-b574-64fc12c05741",
        "status": status,
        "title": "Error",
        "type": "/edgekv/error-types/edgekv-error"
    }))
}

fn assert_problem(err: &Error, status: u16, code: &str, request_id: &str) {
    assert_eq!(err.status().map(|s| s.as_u16()), Some(status), "{err}");
    assert_eq!(err.request_id(), Some(request_id), "{err}");
    match err.api().map(|a| a.body()) {
        Some(ErrorBody::Problem(p)) => {
            assert_eq!(p.error_code.as_deref(), Some(code));
            assert_eq!(p.status, Some(status));
        }
        other => panic!("not a problem body: {other:?}"),
    }
    let shown = err.to_string();
    assert!(shown.contains(&status.to_string()), "{shown}");
}

#[tokio::test]
async fn initialize_without_a_policy_sends_a_null_policy() {
    let f = fixture().await;
    Mock::given(method("PUT"))
        .and(path(format!("{BASE}/initialize")))
        .and(body_json(json!({"dataAccessPolicy": null})))
        .respond_with(ResponseTemplate::new(201).set_body_json(pending()))
        .expect(1)
        .mount(&f.server)
        .await;
    let status = f.client.initialize(None).await.unwrap();
    assert_eq!(status.account_status, InitializeAccountStatus::Pending);
    f.server.verify().await;
}

#[tokio::test]
async fn every_operation_sends_its_documented_request() {
    let f = fixture_with(RetryPolicy::disabled(), Some(ASK)).await;
    let s = &f.server;
    let ok = |body: Value| ResponseTemplate::new(200).set_body_json(body);
    let policy_json = json!({"dataAccessPolicy": {"allowNamespacePolicyOverride": true, "restrictDataAccess": false}});
    let policy = DataAccessPolicy {
        restrict_data_access: false,
        allow_namespace_policy_override: true,
    };

    op("PUT", "/auth/database")
        .and(body_json(&policy_json))
        .respond_with(ok(initialized()))
        .expect(1)
        .mount(s)
        .await;
    op("GET", "/auth/groups")
        .respond_with(ok(json!({"groups": [
            {"capabilities": ["READ_DATA", "CREATE_NAMESPACE", "SOMETHING_NEW"], "groupId": 4284, "groupName": "Group #42"}
        ]})))
        .expect(1)
        .mount(s)
        .await;
    op("GET", "/auth/groups/4284")
        .respond_with(ok(
            json!({"capabilities": ["VIEW_TOKEN"], "groupId": 4284, "groupName": "Group #42"}),
        ))
        .expect(1)
        .mount(s)
        .await;
    op("PUT", "/auth/namespaces/marketing")
        .and(body_json(json!({"groupId": 4284})))
        .respond_with(ok(json!({"groupId": 4284})))
        .expect(1)
        .mount(s)
        .await;
    op("GET", "/initialize")
        .respond_with(ok(initialized()))
        .expect(1)
        .mount(s)
        .await;
    op("PUT", "/initialize")
        .and(body_json(&policy_json))
        .respond_with(ResponseTemplate::new(201).set_body_json(initialized()))
        .expect(1)
        .mount(s)
        .await;
    op("GET", "/networks/staging/namespaces")
        .and(query_param("details", "on"))
        .respond_with(ok(json!({"namespaces": [namespace_json("default", 0), namespace_json("marketing", 15724800)]})))
        .expect(1)
        .mount(s)
        .await;
    op("POST", "/networks/staging/namespaces")
        .and(body_json(json!({"namespace": "marketing", "retentionInSeconds": 15724800, "groupId": 4284, "geoLocation": "US"})))
        .and(header("content-type", "application/json"))
        .respond_with(ok(namespace_json("marketing", 15724800)))
        .expect(1)
        .mount(s)
        .await;
    op("GET", "/networks/production/namespaces/marketing")
        .respond_with(ok(namespace_json("marketing", 15724800)))
        .expect(1)
        .mount(s)
        .await;
    op("PUT", "/networks/staging/namespaces/marketing")
        .and(body_json(
            json!({"namespace": "marketing", "retentionInSeconds": 86400}),
        ))
        .respond_with(ok(namespace_json("marketing", 86400)))
        .expect(1)
        .mount(s)
        .await;
    op("GET", "/networks/staging/namespaces/marketing/groups")
        .respond_with(ok(json!(["countries", "languages"])))
        .expect(1)
        .mount(s)
        .await;
    op(
        "GET",
        "/networks/staging/namespaces/marketing/groups/countries",
    )
    .and(query_param("maxItems", "10"))
    .and(query_param("sandboxId", "sb-1"))
    .respond_with(ok(json!(["US", "BE"])))
    .expect(1)
    .mount(s)
    .await;
    op(
        "PUT",
        "/networks/production/namespaces/marketing/groups/countries/items/US",
    )
    .and(query_param("sandboxId", "sb-1"))
    .and(header("content-type", "application/json"))
    .and(body_json(json!({"currency": "$", "name": "United States"})))
    .respond_with(ResponseTemplate::new(200).set_body_raw("Item was upserted", "text/plain"))
    .expect(1)
    .mount(s)
    .await;
    op(
        "GET",
        "/networks/production/namespaces/marketing/groups/countries/items/US",
    )
    .and(query_param("sandboxId", "sb-1"))
    .respond_with(
        ResponseTemplate::new(200).set_body_raw("{\"currency\":\"$\"}", "application/json"),
    )
    .expect(1)
    .mount(s)
    .await;
    op(
        "DELETE",
        "/networks/production/namespaces/marketing/groups/countries/items/US",
    )
    .and(query_param("sandboxId", "sb-1"))
    .respond_with(
        ResponseTemplate::new(200).set_body_raw("Item was marked for deletion", "text/plain"),
    )
    .expect(1)
    .mount(s)
    .await;
    op("GET", "/tokens")
        .and(query_param("includeExpired", "true"))
        .respond_with(ok(json!({"tokens": [
            {"expiry": "9999-12-31", "name": "token1", "uuid": "12886ccf-0000-0000-0000-766740ce227e",
             "tokenActivationStatus": "COMPLETE", "issueDate": "2022-01-30",
             "latestRefreshDate": "2022-03-30", "nextScheduledRefreshDate": "2022-05-30"},
            {"expiry": "9999-12-31", "name": "token2", "uuid": "12886ccf-0000-0000-0000-766740ce227f",
             "tokenActivationStatus": "IN_PROGRESS", "issueDate": "2022-04-30",
             "latestRefreshDate": null, "nextScheduledRefreshDate": "2022-06-30"}
        ]})))
        .expect(1)
        .mount(s)
        .await;
    op("POST", "/tokens")
        .and(body_json(json!({
            "name": "my_token", "allowOnProduction": true, "allowOnStaging": false,
            "namespacePermissions": {"default": ["r", "w", "d"], "marketing": ["r"]},
            "expiry": "2021-09-30", "restrictToEdgeWorkerIds": ["1234", "5678"]
        })))
        .respond_with(ok(token_json("my_token", "IN_PROGRESS")))
        .expect(1)
        .mount(s)
        .await;
    op("GET", "/tokens/token1")
        .respond_with(ok(token_json("token1", "COMPLETE")))
        .expect(1)
        .mount(s)
        .await;
    op("DELETE", "/tokens/token1")
        .respond_with(ok(
            json!({"name": "token1", "uuid": "12886ccf-0000-0000-0000-766740ce227e"}),
        ))
        .expect(1)
        .mount(s)
        .await;
    op("POST", "/tokens/token1/refresh")
        .respond_with(ok(token_json("token1", "IN_PROGRESS")))
        .expect(1)
        .mount(s)
        .await;

    let c = &f.client;
    assert_eq!(c.account_switch_key(), Some(ASK));
    let status = c.set_data_access_policy(policy).await.unwrap();
    assert_eq!(status.account_status, InitializeAccountStatus::Initialized);
    let groups = c.auth_groups().await.unwrap();
    assert_eq!(groups[0].group_name, "Group #42");
    assert_eq!(groups[0].capabilities.len(), 3);
    assert_eq!(c.auth_group(4284).await.unwrap().group_id, 4284);
    assert_eq!(
        c.reauthorize_namespace("marketing", 4284)
            .await
            .unwrap()
            .group_id,
        4284
    );
    assert_eq!(
        c.initialization_status().await.unwrap().cpcode.as_deref(),
        Some("1234567")
    );
    assert!(akamai_sdk::edgekv::is_initialized(
        &c.initialize(Some(policy)).await.unwrap()
    ));
    let namespaces = c.namespaces(Network::Staging).await.unwrap();
    assert_eq!(namespaces.len(), 2);
    assert_eq!(namespaces[1].namespace, "marketing");
    let created = c
        .create_namespace(Network::Staging, &marketing_namespace())
        .await
        .unwrap();
    assert_eq!(created.group_id, 4284);
    assert_eq!(
        c.namespace(Network::Production, "marketing")
            .await
            .unwrap()
            .namespace,
        "marketing"
    );
    assert_eq!(
        c.update_namespace(Network::Staging, "marketing", 86400)
            .await
            .unwrap()
            .retention_in_seconds,
        86400
    );
    assert_eq!(
        c.namespace_groups(Network::Staging, "marketing")
            .await
            .unwrap(),
        ["countries", "languages"]
    );
    let countries = c
        .group(Network::Staging, "marketing", "countries")
        .sandbox("sb-1");
    assert_eq!(countries.list(Some(10)).await.unwrap(), ["US", "BE"]);
    let prod = c
        .group(Network::Production, "marketing", "countries")
        .sandbox("sb-1");
    prod.put(
        "US",
        &ItemValue::json(&json!({"name": "United States", "currency": "$"})).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        prod.get_json::<Value>("US").await.unwrap(),
        json!({"currency": "$"})
    );
    prod.delete("US").await.unwrap();
    let tokens = c.tokens(true).await.unwrap();
    assert_eq!(tokens.len(), 2);
    assert!(tokens[0].is_active() && !tokens[1].is_active());
    assert_eq!(tokens[1].latest_refresh_date, None);
    let token = c
        .create_token(
            &NewToken::new("my_token")
                .staging(false)
                .production(true)
                .namespace("default", [Permission::R, Permission::W, Permission::D])
                .namespace("marketing", [Permission::R])
                .expiry("2021-09-30")
                .restrict_to_edge_workers(["1234", "5678"]),
        )
        .await
        .unwrap();
    assert_eq!(
        token.activation_status,
        Some(TokenActivationStatus::InProgress)
    );
    assert_eq!(token.restrict_to_edge_worker_ids, ["1234", "5678"]);
    assert!(c.token("token1").await.unwrap().is_active());
    assert_eq!(c.delete_token("token1").await.unwrap().name, "token1");
    assert!(!c.refresh_token("token1").await.unwrap().is_active());

    let requests = f.requests().await;
    // Only POST bodies are hashed; the refresh has no body at all.
    let refresh = requests
        .iter()
        .find(|r| r.url.path().ends_with("/refresh"))
        .unwrap();
    assert!(refresh.body.is_empty());
    // The account switch key appears exactly once per request.
    for r in &requests {
        let keys = r
            .url
            .query_pairs()
            .filter(|(k, _)| k == "accountSwitchKey")
            .count();
        assert_eq!(keys, 1, "{}", r.url);
    }
    f.assert_fresh_nonces().await;
}

#[tokio::test]
async fn the_spec_error_examples_come_back_typed() {
    let f = fixture().await;
    let s = &f.server;
    let c = &f.client;
    let cases: [(&str, &str, u16, &str, &str, &str); 8] = [
        ("DELETE", "/tokens/token1", 404, "EKV_3000", "b08961e0a5540233", "Token with name token1 does not exist."),
        ("GET", "/networks/staging/namespaces/ns/groups/g/items/item1", 404, "EKV_9000", "ac1961e09b0e00a5", "Item 'item1' or group 'group1' was not found in the database."),
        ("POST", "/networks/staging/namespaces", 409, "EKV_3000", "c04b61e191f202f3", "A namespace with the name marketing already exists with a different configuration"),
        ("GET", "/tokens/token1", 410, "EKV_3000", "b08961e0a5540233", "Token has expired."),
        ("POST", "/tokens", 422, "EKV_2001", "9c5c61e18b90013b", "The JSON request body contained a syntax error or duplicate attributes."),
        ("PUT", "/networks/staging/namespaces/ns/groups/g/items/item1", 429, "EKV_9100", "16fc97b7cb0ee4dd", "Your request has been denied: 364 hits per second too high. limit set at 73. Please try again soon."),
        ("GET", "/networks/staging/namespaces", 500, "EKV_0000", "cd9b61e08148009b", "An internal error occurred."),
        ("GET", "/initialize", 404, "EKV_9000", "5e1b2c3d4e5f6a7b", "EdgeKV is not initialized."),
    ];
    for (verb, p, status, code, rid, detail) in cases {
        Mock::given(method(verb))
            .and(path(format!("{BASE}{p}")))
            .respond_with(problem(status, code, rid, detail))
            .expect(1)
            .mount(s)
            .await;
    }
    let group = c.group(Network::Staging, "ns", "g");
    let results = [
        c.delete_token("token1").await.map(drop),
        group.get("item1").await.map(drop),
        c.create_namespace(
            Network::Staging,
            &PostNamespaceBody::builder()
                .namespace("marketing")
                .retention_in_seconds(0)
                .group_id(1)
                .try_into()
                .unwrap(),
        )
        .await
        .map(drop),
        c.token("token1").await.map(drop),
        c.create_token(&NewToken::new("my_token").namespace("default", [Permission::R]))
            .await
            .map(drop),
        group.put("item1", &ItemValue::text("v")).await.map(drop),
        c.namespaces(Network::Staging).await.map(drop),
        c.initialization_status().await.map(drop),
    ];
    for ((_, _, status, code, rid, detail), result) in cases.iter().zip(results) {
        let err = result.unwrap_err();
        assert_problem(&err, *status, code, rid);
        assert_eq!(
            err.api()
                .and_then(|a| match a.body() {
                    ErrorBody::Problem(p) => p.detail.clone(),
                    _ => None,
                })
                .as_deref(),
            Some(*detail)
        );
    }
}

#[tokio::test]
async fn a_badly_signed_request_is_refused_by_the_test_server() {
    // The guard itself: a client with a wrong secret gets the guard's 401.
    let server = MockServer::start().await;
    Mock::given(BadlySigned(verifier()))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"status": 401, "title": "Not authorized"})),
        )
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"tokens": []})))
        .mount(&server)
        .await;
    let host = server.address().to_string();
    let wrong = Credentials::builder(&host, CLIENT_TOKEN, "d3Jvbmctc2VjcmV0", ACCESS_TOKEN)
        .build()
        .unwrap();
    let client = EdgeKvClient::builder(wrong)
        .http_config(
            HttpConfig::new()
                .allow_insecure_loopback(true)
                .with_retry(RetryPolicy::disabled()),
        )
        .base_url(format!("{}{BASE}", server.uri()))
        .build()
        .unwrap();
    let err = client.tokens(false).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
}

#[tokio::test]
async fn client_construction_checks_the_base_url_and_hides_secrets() {
    let creds = || {
        Credentials::builder(
            "akab-h.luna.akamaiapis.net",
            CLIENT_TOKEN,
            CLIENT_SECRET,
            ACCESS_TOKEN,
        )
        .build()
        .unwrap()
    };
    let client = EdgeKvClient::builder(creds()).build().unwrap();
    assert_eq!(
        client.base_url().as_str(),
        "https://akab-h.luna.akamaiapis.net/edgekv/v1"
    );
    let shown = format!("{client:?}");
    for secret in [CLIENT_SECRET, ACCESS_TOKEN, CLIENT_TOKEN] {
        assert!(!shown.contains(secret), "{shown}");
    }
    // Another host would receive unsigned requests; plain http only to an allowed loopback.
    for (base, config) in [
        ("https://elsewhere.example/edgekv/v1", HttpConfig::new()),
        (
            "http://akab-h.luna.akamaiapis.net/edgekv/v1",
            HttpConfig::new().allow_insecure_loopback(true),
        ),
    ] {
        let err = EdgeKvClient::builder(creds())
            .http_config(config)
            .base_url(base)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err}");
    }
    let err = EdgeKvClient::builder(creds())
        .account_switch_key(" ")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err}");
    // A missing .edgerc is a credentials error naming the file, not a panic.
    let err = EdgeKvClient::from_edgerc("/nonexistent/.edgerc", "default").unwrap_err();
    assert!(matches!(err, Error::Credentials(_)), "{err}");
    assert!(err.to_string().contains("/nonexistent/.edgerc"), "{err}");
    assert_eq!("Staging".parse::<Network>().unwrap(), Network::Staging);
    assert!("prod".parse::<Network>().is_err());
}

#[tokio::test(flavor = "current_thread")]
async fn no_secret_in_trace_logs() {
    let captured = logs::capture();

    let f = fixture_with(retrying(), None).await;
    let secret_value = "legacy-S3cr3t-Value-in-logs";
    let mut legacy = token_json("legacy_token", "COMPLETE");
    legacy["value"] = json!(secret_value);
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/tokens/legacy_token")))
        .respond_with(ResponseTemplate::new(200).set_body_json(legacy))
        .mount(&f.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/tokens/refused")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "status": 400, "errorCode": "EKV_9000", "detail": "bad", "value": secret_value
        })))
        .mount(&f.server)
        .await;
    let item = format!("{BASE}/networks/staging/namespaces/ns/groups/g/items/k");
    Mock::given(method("PUT"))
        .and(path(&item))
        .respond_with(problem(503, "EKV_0000", "r-1", "unavailable"))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&f.server)
        .await;
    Mock::given(method("PUT"))
        .and(path(&item))
        .respond_with(ResponseTemplate::new(200).set_body_raw("ok", "text/plain"))
        .with_priority(3)
        .mount(&f.server)
        .await;

    let token = f.client.token("legacy_token").await.unwrap();
    let err = f.client.token("refused").await.unwrap_err();
    assert!(!format!("{err} {err:?}").contains("S3cr3t"), "{err:?}");
    f.client
        .group(Network::Staging, "ns", "g")
        .put("k", &ItemValue::text(secret_value))
        .await
        .unwrap();
    let mut file = TokensFile::new();
    file.merge_token(&token).unwrap();
    tracing::info!(?token, ?file, "merged");

    let logs = captured.text();
    assert!(logs.contains("put-item"), "{logs}");
    assert!(logs.contains("get-token"), "{logs}");
    for secret in ["S3cr3t", CLIENT_SECRET, ACCESS_TOKEN] {
        assert!(!logs.contains(secret), "{secret} logged:\n{logs}");
    }
}

/// Without `details` the API lists names only (the overlay makes each entry a name or a
/// namespace); `namespaces` asks `details=on` and gets whole namespaces.
/// Listings as the live API shapes them: a names-only listing may be plain strings (the
/// overlay makes each entry a name or a namespace) and a number may come as a string.
#[tokio::test]
async fn namespace_listings_decode_names_and_string_numbers() {
    let f = fixture().await;
    let s = &f.server;
    let c = &f.client;
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/networks/staging/namespaces")))
        .and(query_param("details", "on"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"namespaces": [
            {"namespace": "default", "retentionInSeconds": 0, "groupId": 0, "geoLocation": "US"},
            {"namespace": "marketing", "retentionInSeconds": "15724800", "groupId": 4284,
             "geoLocation": "EU", "dataAccessPolicy": {"policyType": "overridden", "restrictDataAccess": false}}
        ]})))
        .expect(1)
        .mount(s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/networks/production/namespaces")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"namespaces": ["default", "marketing"]})),
        )
        .expect(1)
        .mount(s)
        .await;
    let detailed = c.namespaces(Network::Staging).await.unwrap();
    assert_eq!(detailed.len(), 2);
    assert_eq!(detailed[1].namespace, "marketing");
    assert_eq!(detailed[1].retention_in_seconds, 15_724_800);
    assert_eq!(detailed[1].group_id, 4284);
    let names = c.namespace_names(Network::Production).await.unwrap();
    assert_eq!(names, ["default", "marketing"]);
    let requests = f.requests().await;
    let names_only = requests
        .iter()
        .find(|r| r.url.path().ends_with("/production/namespaces"))
        .unwrap();
    assert_eq!(
        names_only.url.query(),
        None,
        "a names-only listing sends no `details`"
    );
}

/// A missing namespace is not-found everywhere: reading it is a 400 whose problem says it does
/// not exist, listing its groups a 404; `is_not_found` is true for both, and the statuses are
/// kept as the API sent them.
#[tokio::test]
async fn a_missing_namespace_is_not_found_for_every_operation() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let client = client_of(&kv);
    let read = client
        .namespace(Network::Staging, "nope")
        .await
        .unwrap_err();
    assert_eq!(read.status().map(|s| s.as_u16()), Some(400), "{read}");
    assert!(read.is_not_found(), "{read}");
    let groups = client
        .namespace_groups(Network::Staging, "nope")
        .await
        .unwrap_err();
    assert!(groups.is_not_found(), "{groups}");
}

/// A raw call (for what the pinned spec lacks) is signed, sent and answered like the typed
/// ones: here it reads back an item the typed call wrote.
#[tokio::test]
async fn a_raw_call_is_signed_and_reads_what_a_typed_call_wrote() {
    use akamai_sdk::raw::RawCall;
    use akamai_sdk::Method;

    let kv = EdgeKvEmulator::start().await.unwrap();
    let client = client_of(&kv);
    let group = client.group(Network::Staging, "default", "g_1");
    group
        .put("greeting", &ItemValue::text("hi there"))
        .await
        .unwrap();
    let call = RawCall::new(
        Method::GET,
        "/networks/{network}/namespaces/{namespace}/groups/{group}/items/{item}",
    )
    .param("network", "staging")
    .param("namespace", "default")
    .param("group", "g_1")
    .param("item", "greeting");
    let answer = client.raw(&call).await.unwrap();
    assert_eq!(answer.body().as_ref(), b"hi there");
    assert_eq!(kv.counters().signature_failures, 0);
    // An error status is the same typed error as for any call.
    let missing = call.clone().param("unused", 1);
    assert!(matches!(
        client.raw(&missing).await,
        Err(Error::InvalidInput(_))
    ));
    let gone = RawCall::new(Method::GET, "/tokens/{name}").param("name", "nope");
    assert!(client.raw(&gone).await.unwrap_err().is_not_found());
}
