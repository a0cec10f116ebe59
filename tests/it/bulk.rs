//! EdgeKV items in bulk, end to end on the testkit's `EdgeKvEmulator`: import, export and sync
//! of JSON Lines and CSV files, the journal that resumes an interrupted run, throttled answers
//! (429, with and without `Retry-After`) slowing the adaptive rate, and every item ending in
//! exactly one outcome. They assert on the emulator's state and request log.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use akamai_sdk::config::HttpConfig;
use akamai_sdk::edgekv::bulk::{
    BulkItem, BulkOptions, BulkProgress, FileFormat, Outcome, SyncOptions,
};
use akamai_sdk::edgekv::{ItemValue, Network};
use akamai_sdk::retry::RetryPolicy;
use akamai_sdk::Error;
use akamai_sdk_testkit::{EdgeKvEmulator, Fault};
use futures::StreamExt as _;

const NS: &str = "bulkns";
const PUTS: &str = "/edgekv/v1/networks/*/namespaces/*/groups/*/items/*";

async fn emulator() -> EdgeKvEmulator {
    let emulator = EdgeKvEmulator::start().await.unwrap();
    emulator.seed_namespace(Network::Staging, NS, 0);
    emulator.seed_namespace(Network::Staging, "copyns", 0);
    emulator
}

fn quick_retries() -> HttpConfig {
    HttpConfig::new().with_retry(
        RetryPolicy::new()
            .with_jitter(false)
            .with_initial_backoff(Duration::from_millis(5)),
    )
}

fn fast() -> BulkOptions {
    BulkOptions::new().initial_rate(2000.0)
}

/// Every item of `namespace`: (group, id) -> (content type, bytes), read from the state.
fn stored(
    emulator: &EdgeKvEmulator,
    namespace: &str,
    keys: &[(&str, &str)],
) -> BTreeMap<(String, String), (Option<String>, Vec<u8>)> {
    keys.iter()
        .filter_map(|(g, i)| {
            emulator
                .item(Network::Staging, namespace, g, i)
                .map(|v| (((*g).to_owned(), (*i).to_owned()), v))
        })
        .collect()
}

fn put_targets(emulator: &EdgeKvEmulator) -> Vec<String> {
    emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT" && r.operation.as_deref() == Some("put-item"))
        .map(|r| r.target)
        .collect()
}

const JSONL: &str = r#"{"group": "promo", "id": "A1", "value": {"b": 1.50, "a": [1, 2]}}
{"group": "promo", "id": "A2", "text": " spaced \"quoted\" "}

{"group": "img", "id": "logo", "base64": "iVBORw0KGgo=", "content_type": "image/png"}
{"group": "promo", "id": "A3", "value": null}
{"group": "promo", "id": "A4", "text": "<b>hi</b>", "content_type": "text/html"}
{"group": "promo", "id": "bad id", "text": "refused before sending"}
{"group": "promo", "id": "A5", "text": "x", "base64": "eA=="}
not json at all
"#;

const KEYS: &[(&str, &str)] = &[
    ("promo", "A1"),
    ("promo", "A2"),
    ("img", "logo"),
    ("promo", "A3"),
    ("promo", "A4"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_writes_every_form_exactly_and_reports_each_bad_record() {
    let emulator = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("items.jsonl");
    std::fs::write(&file, JSONL).unwrap();
    let progress = Arc::new(Mutex::new(Vec::<BulkProgress>::new()));
    let seen = progress.clone();
    let bulk = emulator.client().bulk(
        Network::Staging,
        NS,
        fast().on_progress(move |p| seen.lock().unwrap().push(p.clone())),
    );
    let report = bulk
        .import(&file, &FileFormat::JsonLines, None)
        .await
        .unwrap();

    assert_eq!(report.progress.written, 5);
    assert_eq!(report.progress.failed, 3);
    assert_eq!(report.progress.total, Some(8));
    assert_eq!(report.progress.done(), 8);
    let reasons: Vec<String> = report
        .failures
        .iter()
        .map(|f| match &f.outcome {
            Outcome::Failed(error) => error.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(matches!(
        report
            .failures
            .iter()
            .find(|f| f.id == "bad id")
            .unwrap()
            .outcome,
        Outcome::Failed(Error::InvalidId(_))
    ));
    assert!(
        reasons.iter().any(|r| r.contains("items.jsonl:8")
            && r.contains("exactly one of \"value\", \"text\" and \"base64\"")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("items.jsonl:9")),
        "{reasons:?}"
    );
    // Nothing was sent for the refused id.
    assert!(put_targets(&emulator).iter().all(|t| !t.contains("bad")));

    let items = stored(&emulator, NS, KEYS);
    let get = |g: &str, i: &str| items[&(g.to_owned(), i.to_owned())].clone();
    assert_eq!(
        get("promo", "A1"),
        (
            Some("application/json".to_owned()),
            br#"{"b": 1.50, "a": [1, 2]}"#.to_vec()
        )
    );
    assert_eq!(get("promo", "A2").1, b" spaced \"quoted\" ".to_vec());
    assert_eq!(
        get("img", "logo"),
        (
            Some("image/png".to_owned()),
            vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]
        )
    );
    assert_eq!(get("promo", "A3").1, b"null".to_vec());
    assert_eq!(get("promo", "A4").0.as_deref(), Some("text/html"));

    let progress = progress.lock().unwrap();
    let last = progress.last().expect("a final progress report");
    assert_eq!(last.done(), 8);
    assert_eq!(last.eta, Some(Duration::ZERO));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_then_import_elsewhere_reproduces_every_item_byte_for_byte() {
    let emulator = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("items.jsonl");
    std::fs::write(&source, JSONL).unwrap();
    // Items the export has to carry in each of its forms.
    emulator.seed_item(
        Network::Staging,
        NS,
        "raw",
        "bin",
        "application/octet-stream",
        vec![0u8, 255, 10, 13],
    );
    emulator.seed_item(
        Network::Staging,
        NS,
        "raw",
        "pretty",
        "application/json",
        "{\n  \"a\": 1\n}",
    );
    emulator.seed_item(
        Network::Staging,
        NS,
        "raw",
        "padded",
        "application/json; charset=utf-8",
        " [1] ",
    );
    let client = emulator.client();
    client
        .bulk(Network::Staging, NS, fast())
        .import(&source, &FileFormat::JsonLines, None)
        .await
        .unwrap();

    let exported = dir.path().join("export.jsonl");
    let report = client
        .bulk(Network::Staging, NS, fast())
        .export_to_file(None, &exported)
        .await
        .unwrap();
    assert_eq!(report.progress.read, 8, "{report:?}");
    assert!(report.is_success());
    let text = std::fs::read_to_string(&exported).unwrap();
    assert_eq!(text.lines().count(), 8);
    assert!(
        text.contains(r#"{"group":"promo","id":"A1","value":{"b": 1.50, "a": [1, 2]}}"#),
        "{text}"
    );

    let report = client
        .bulk(Network::Staging, "copyns", fast())
        .import(&exported, &FileFormat::JsonLines, None)
        .await
        .unwrap();
    assert_eq!(report.progress.written, 8);
    let keys: Vec<(&str, &str)> = KEYS
        .iter()
        .copied()
        .chain([("raw", "bin"), ("raw", "pretty"), ("raw", "padded")])
        .collect();
    let original = stored(&emulator, NS, &keys);
    assert_eq!(original.len(), 8);
    assert_eq!(stored(&emulator, "copyns", &keys), original);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_rows_become_json_objects_in_header_order_or_text_of_one_column() {
    let emulator = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("codes.csv");
    std::fs::write(
        &file,
        "code,discount,note\nSPRING,10,\"a, b\"\nFALL,5,\"say \"\"hi\"\"\"\n",
    )
    .unwrap();
    let client = emulator.client();
    let report = client
        .bulk(Network::Staging, NS, fast())
        .import(&file, &FileFormat::csv("code"), Some("codes"))
        .await
        .unwrap();
    assert_eq!(report.progress.written, 2);
    assert_eq!(
        emulator
            .item(Network::Staging, NS, "codes", "SPRING")
            .unwrap(),
        (
            Some("application/json".to_owned()),
            br#"{"code":"SPRING","discount":"10","note":"a, b"}"#.to_vec()
        )
    );
    client
        .bulk(Network::Staging, NS, fast())
        .import(&file, &FileFormat::csv_value("code", "note"), Some("notes"))
        .await
        .unwrap();
    assert_eq!(
        emulator
            .item(Network::Staging, NS, "notes", "FALL")
            .unwrap()
            .1,
        b"say \"hi\"".to_vec()
    );
    // A column that is not there stops the run before anything is sent.
    let error = client
        .bulk(Network::Staging, NS, fast())
        .import(&file, &FileFormat::csv("sku"), Some("codes"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no column \"sku\""), "{error}");
}

fn items(n: usize) -> Vec<BulkItem> {
    (0..n)
        .map(|i| {
            BulkItem::new(
                format!("g{}", i % 3),
                format!("item-{i:04}"),
                ItemValue::text(format!("value {i}")),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_run_resumes_from_its_journal_without_sending_an_acknowledged_item_twice() {
    let emulator = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("run.journal");
    let client = emulator.client();
    let options = || fast().concurrency(8).journal(&journal);

    // The first run is dropped after 40 outcomes, with writes still in flight.
    let bulk = client.bulk(Network::Staging, NS, options());
    let acknowledged: Vec<String> = {
        let outcomes = bulk.put(futures::stream::iter(items(200))).unwrap();
        outcomes
            .take(40)
            .map(|o| {
                let o = o.unwrap();
                assert!(matches!(o.outcome, Outcome::Written), "{o:?}");
                o.id
            })
            .collect()
            .await
    };
    let first_puts = put_targets(&emulator).len();
    assert!(first_puts >= 40);

    // Run again: only what was not acknowledged is sent, and everything ends written.
    let report = client
        .bulk(Network::Staging, NS, options())
        .put_all(futures::stream::iter(items(200)))
        .await
        .unwrap();
    assert_eq!(report.progress.skipped, 40, "{:?}", report.progress);
    assert_eq!(report.progress.written, 160);
    let mut sends: HashMap<String, usize> = HashMap::new();
    for target in put_targets(&emulator) {
        let id = target.rsplit('/').next().unwrap().to_owned();
        *sends.entry(id).or_default() += 1;
    }
    for id in &acknowledged {
        assert_eq!(sends[id], 1, "{id} was acknowledged and sent again");
    }
    for (i, item) in items(200).iter().enumerate() {
        let stored = emulator
            .item(Network::Staging, NS, &item.group, &item.id)
            .unwrap_or_else(|| panic!("item {i} missing"));
        assert_eq!(stored.1, item.value.as_bytes());
    }

    // A value changed since is sent again; the rest is skipped.
    let mut changed = items(200);
    changed[7].value = ItemValue::text("new value");
    let report = client
        .bulk(Network::Staging, NS, options())
        .put_all(futures::stream::iter(changed))
        .await
        .unwrap();
    assert_eq!((report.progress.written, report.progress.skipped), (1, 199));

    // A journal of another namespace is refused before anything is sent.
    let before = emulator.requests().len();
    let error = client
        .bulk(Network::Staging, "copyns", options())
        .put_all(futures::stream::iter(items(1)))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("another run"), "{error}");
    assert_eq!(emulator.requests().len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_answers_slow_the_rate_and_every_item_still_ends_written() {
    let emulator = emulator().await;
    emulator.inject(Fault::status("PUT", PUTS, 429).skip(20).times(6));
    let client = emulator.client_with(quick_retries());
    let bulk = client.bulk(
        Network::Staging,
        NS,
        BulkOptions::new().initial_rate(500.0).concurrency(4),
    );
    let report = bulk
        .put_all(futures::stream::iter(items(60)))
        .await
        .unwrap();
    assert_eq!(report.progress.written, 60);
    assert_eq!(report.progress.throttled, 6);
    assert!(report.is_success());
    // The throttled answers were not retried by the client's own policy: each was seen once.
    assert_eq!(bulk.throttled(), 6);
    assert!(bulk.rate() < 500.0, "{}", bulk.rate());
    let refused = emulator
        .requests()
        .iter()
        .filter(|r| r.status == 429)
        .count();
    assert_eq!(refused, 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_holds_the_run_and_too_many_throttles_fail_the_item() {
    let emulator = emulator().await;
    emulator.inject(Fault::status("PUT", PUTS, 429).retry_after(1).times(1));
    let client = emulator.client();
    let started = Instant::now();
    let report = client
        .bulk(Network::Staging, NS, fast())
        .put_all(futures::stream::iter(items(3)))
        .await
        .unwrap();
    assert_eq!(report.progress.written, 3);
    assert!(started.elapsed() >= Duration::from_secs(1));

    emulator.inject(Fault::status("PUT", PUTS, 429));
    let report = client
        .bulk(Network::Staging, NS, fast().max_throttled_attempts(2))
        .put_all(futures::stream::iter(items(1)))
        .await
        .unwrap();
    assert_eq!(report.progress.failed, 1);
    assert_eq!(report.progress.throttled, 3);
    let Outcome::Failed(error) = &report.failures[0].outcome else {
        panic!("{report:?}")
    };
    assert!(error.is_rate_limited(), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_past_the_retry_budget_fails_its_item_and_the_run_goes_on() {
    let emulator = emulator().await;
    // Longer than any clock can count: it once overflowed the pause and panicked.
    emulator.inject(
        Fault::status("PUT", PUTS, 429)
            .retry_after(u64::MAX)
            .times(1),
    );
    let client = emulator.client();
    let started = Instant::now();
    let report = client
        .bulk(Network::Staging, NS, fast())
        .put_all(futures::stream::iter(items(3)))
        .await
        .unwrap();
    assert_eq!(report.progress.written, 2);
    assert_eq!(report.progress.failed, 1);
    let Outcome::Failed(error) = &report.failures[0].outcome else {
        panic!("{report:?}")
    };
    assert!(error.is_rate_limited(), "{error}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_writes_only_what_differs_and_deletes_what_the_file_lacks() {
    let emulator = emulator().await;
    let seed = |id: &str, ct: &str, bytes: &str| {
        emulator.seed_item(Network::Staging, NS, "flags", id, ct, bytes.to_owned());
    };
    seed("same", "text/plain; charset=utf-8", "on");
    seed("changed", "text/plain; charset=utf-8", "off");
    seed("retyped", "application/json", "\"on\"");
    seed("extra", "text/plain; charset=utf-8", "stale");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("flags.jsonl");
    std::fs::write(
        &file,
        [
            r#"{"id": "same", "text": "on"}"#,
            r#"{"id": "changed", "text": "on"}"#,
            r#"{"id": "retyped", "text": "\"on\""}"#,
            r#"{"id": "new", "text": "on"}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let client = emulator.client();
    let bulk = client.bulk(Network::Staging, NS, fast());
    let options = SyncOptions {
        delete_missing: true,
        dry_run: true,
    };
    let before = put_targets(&emulator).len();
    let dry = bulk
        .sync(&file, &FileFormat::JsonLines, Some("flags"), options)
        .await
        .unwrap();
    assert_eq!(
        (
            dry.progress.unchanged,
            dry.progress.written,
            dry.progress.deleted
        ),
        (1, 3, 1)
    );
    assert_eq!(put_targets(&emulator).len(), before);
    assert!(emulator
        .item(Network::Staging, NS, "flags", "extra")
        .is_some());

    let report = bulk
        .sync(
            &file,
            &FileFormat::JsonLines,
            Some("flags"),
            SyncOptions {
                dry_run: false,
                ..options
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (
            report.progress.unchanged,
            report.progress.written,
            report.progress.deleted
        ),
        (1, 3, 1)
    );
    let targets = put_targets(&emulator);
    assert!(!targets.iter().any(|t| t.ends_with("/same")), "{targets:?}");
    assert!(emulator
        .item(Network::Staging, NS, "flags", "extra")
        .is_none());
    assert_eq!(
        emulator
            .item(Network::Staging, NS, "flags", "retyped")
            .unwrap(),
        (
            Some("text/plain; charset=utf-8".to_owned()),
            b"\"on\"".to_vec()
        )
    );
    // In sync now: nothing more to write.
    let again = bulk
        .sync(&file, &FileFormat::JsonLines, Some("flags"), options)
        .await
        .unwrap();
    assert_eq!(
        (
            again.progress.unchanged,
            again.progress.written,
            again.progress.deleted
        ),
        (4, 0, 0)
    );
}

#[test]
fn a_missing_file_is_a_typed_error_naming_it() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let emulator = emulator().await;
        let error = emulator
            .client()
            .bulk(Network::Staging, NS, fast())
            .import(
                Path::new("/nonexistent/items.jsonl"),
                &FileFormat::JsonLines,
                None,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(error, akamai_sdk::edgekv::bulk::BulkError::Read { .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains("/nonexistent/items.jsonl"));
    });
}
