//! `aksdk edgekv import`, `export` and `sync` against the EdgeKV emulator: the JSON summary,
//! a round trip byte for byte, CSV, sync, failed items, and an interrupted import resumed.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::process::Stdio;
use std::time::{Duration, Instant};

use akamai_sdk::edgekv::Network;
use akamai_sdk_testkit::Fault;
use serde_json::Value;

use crate::support::{aksdk_process, fails, ok, run, Kv};

const STAGING: [&str; 2] = ["--network", "staging"];

/// A JSON Lines file of `n` items over three groups, in every value form.
fn items_file(kv: &Kv, name: &str, n: usize) -> std::path::PathBuf {
    let path = kv.path(name);
    let mut file = std::fs::File::create(&path).unwrap();
    for i in 0..n {
        let group = format!("g{}", i % 3);
        let line = match i % 4 {
            0 => format!(r#"{{"group":"{group}","id":"k{i}","value":{{"n":{i},"x":1.50}}}}"#),
            1 => format!(r#"{{"group":"{group}","id":"k{i}","text":"text {i}"}}"#),
            2 => format!(
                r#"{{"group":"{group}","id":"k{i}","base64":"AAEC/w==","content_type":"image/x-{i}"}}"#
            ),
            _ => format!(
                r#"{{"group":"{group}","id":"k{i}","text":"<p>{i}</p>","content_type":"text/html"}}"#
            ),
        };
        writeln!(file, "{line}").unwrap();
    }
    path
}

fn summary(run: &crate::support::Run) -> (u64, u64, u64, f64) {
    let json = run.json();
    (
        json["written"].as_u64().unwrap(),
        json["failed"].as_u64().unwrap(),
        json["throttled"].as_u64().unwrap(),
        json["seconds"].as_f64().unwrap(),
    )
}

/// The items `k0`… `k{n-1}` stored in the groups of [`items_file`].
fn stored(kv: &Kv, namespace: &str, n: usize) -> Vec<(String, String, Option<String>, Vec<u8>)> {
    let mut all = Vec::new();
    for group in ["g0", "g1", "g2"] {
        let mut ids: Vec<String> = (0..n).map(|i| format!("k{i}")).collect();
        ids.sort();
        for id in ids {
            if let Some((content_type, bytes)) =
                kv.emulator.item(Network::Staging, namespace, group, &id)
            {
                all.push((group.to_owned(), id, content_type, bytes));
            }
        }
    }
    all
}

#[test]
fn import_then_export_round_trips_byte_for_byte() {
    let kv = Kv::start();
    kv.emulator.seed_namespace(Network::Staging, "source", 0);
    kv.emulator.seed_namespace(Network::Staging, "copy", 0);
    let file = items_file(&kv, "items.jsonl", 120);

    let imported = ok(kv
        .aksdk()
        .args(["edgekv", "import"])
        .arg(&file)
        .args(STAGING)
        .args(["--namespace", "source", "--json"]));
    let (written, failed, throttled, seconds) = summary(&imported);
    assert_eq!((written, failed, throttled), (120, 0, 0));
    assert!(seconds > 0.0);
    assert!(imported
        .stdout
        .starts_with(r#"{"written": 120, "failed": 0, "throttled": 0, "seconds": "#));
    let source = stored(&kv, "source", 120);
    assert_eq!(source.len(), 120);

    let exported = kv.path("export.jsonl");
    let export = ok(kv
        .aksdk()
        .args(["edgekv", "export"])
        .args(STAGING)
        .args(["--namespace", "source", "--output"])
        .arg(&exported)
        .arg("--json"));
    assert_eq!(summary(&export).0, 120);
    let lines = |path: &std::path::Path| -> BTreeSet<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(lines(&exported), lines(&file));

    // Exported to stdout, one group.
    let one_group = ok(kv.aksdk().args(["edgekv", "export"]).args(STAGING).args([
        "--namespace",
        "source",
        "--group",
        "g1",
    ]));
    assert_eq!(one_group.stdout.lines().count(), 40);
    assert!(
        one_group.stderr.contains("export: 40 written"),
        "{}",
        one_group.stderr
    );

    // The export imports into another namespace as the same bytes and content types.
    ok(kv
        .aksdk()
        .args(["edgekv", "import"])
        .arg(&exported)
        .args(STAGING)
        .args(["--namespace", "copy"]));
    assert_eq!(stored(&kv, "copy", 120), source);
}

#[test]
fn csv_rows_are_imported_as_json_objects_or_one_column_as_text() {
    let kv = Kv::start();
    let csv = kv.path("codes.csv");
    std::fs::write(&csv, "code,discount\nA1,10\nB2,25\n").unwrap();
    let run = ok(kv
        .aksdk()
        .args(["edgekv", "import"])
        .arg(&csv)
        .args(STAGING)
        .args([
            "--namespace",
            "default",
            "--group",
            "codes",
            "--key",
            "code",
        ]));
    assert!(
        run.stderr.contains("import: 2 written, 0 failed"),
        "{}",
        run.stderr
    );
    let (content_type, bytes) = kv
        .emulator
        .item(Network::Staging, "default", "codes", "B2")
        .unwrap();
    assert_eq!(content_type.as_deref(), Some("application/json"));
    assert_eq!(
        serde_json::from_slice::<Value>(&bytes).unwrap(),
        serde_json::json!({"code": "B2", "discount": "25"})
    );
    ok(kv
        .aksdk()
        .args(["edgekv", "import"])
        .arg(&csv)
        .args(STAGING)
        .args(["--namespace", "default", "--group", "rates"])
        .args(["--key", "code", "--value", "discount"]));
    let (_, bytes) = kv
        .emulator
        .item(Network::Staging, "default", "rates", "A1")
        .unwrap();
    assert_eq!(bytes, b"10");

    let line = fails(
        kv.aksdk()
            .args(["edgekv", "import"])
            .arg(&csv)
            .args(STAGING)
            .args(["--namespace", "default", "--group", "codes"]),
        2,
    );
    assert!(line.contains("--key COLUMN"), "{line}");
    let line = fails(
        kv.aksdk()
            .args(["edgekv", "import"])
            .arg(&csv)
            .args(STAGING)
            .args(["--namespace", "default", "--key", "code"]),
        2,
    );
    assert!(line.contains("--group"), "{line}");
    let line = fails(
        kv.aksdk()
            .args(["edgekv", "import"])
            .arg(kv.path("missing.jsonl"))
            .args(STAGING)
            .args(["--namespace", "default"]),
        2,
    );
    assert!(line.contains("missing.jsonl"), "{line}");
}

#[test]
fn sync_writes_what_differs_and_deletes_what_the_file_lacks() {
    let kv = Kv::start();
    let file = items_file(&kv, "items.jsonl", 30);
    ok(kv
        .aksdk()
        .args(["edgekv", "import"])
        .arg(&file)
        .args(STAGING)
        .args(["--namespace", "default"]));
    kv.emulator.seed_item(
        Network::Staging,
        "default",
        "g0",
        "stray",
        "text/plain",
        b"x".to_vec(),
    );
    kv.emulator.seed_item(
        Network::Staging,
        "default",
        "g1",
        "k1",
        "text/plain",
        b"changed".to_vec(),
    );

    let dry = ok(kv
        .aksdk()
        .args(["edgekv", "sync"])
        .arg(&file)
        .args(STAGING)
        .args([
            "--namespace",
            "default",
            "--delete-missing",
            "--dry-run",
            "--json",
        ]))
    .json();
    assert_eq!(dry["written"], 1);
    assert_eq!(dry["deleted"], 1);
    assert_eq!(dry["unchanged"], 29);
    assert!(kv
        .emulator
        .item(Network::Staging, "default", "g0", "stray")
        .is_some());

    let real = ok(kv
        .aksdk()
        .args(["edgekv", "sync"])
        .arg(&file)
        .args(STAGING)
        .args(["--namespace", "default", "--delete-missing", "--json"]))
    .json();
    assert_eq!(
        (real["written"].as_u64(), real["deleted"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(kv
        .emulator
        .item(Network::Staging, "default", "g0", "stray")
        .is_none());
    assert_eq!(
        kv.emulator
            .item(Network::Staging, "default", "g1", "k1")
            .unwrap()
            .1,
        b"text 1"
    );
}

#[test]
fn failed_items_are_listed_and_exit_1() {
    let kv = Kv::start();
    let file = items_file(&kv, "items.jsonl", 12);
    let mut lines = std::fs::read_to_string(&file).unwrap();
    lines.push_str("this line is not JSON\n");
    std::fs::write(&file, lines).unwrap();
    kv.emulator.inject(Fault::status(
        "PUT",
        "/edgekv/v1/networks/staging/namespaces/default/groups/g2/items/k5",
        400,
    ));
    let run = run(kv
        .aksdk()
        .args(["edgekv", "import"])
        .arg(&file)
        .args(STAGING)
        .args(["--namespace", "default", "--json"]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json = run.json();
    assert_eq!(
        (json["written"].as_u64(), json["failed"].as_u64()),
        (Some(11), Some(2))
    );
    assert!(
        run.stderr.contains("failed: g2/k5: HTTP 400 Bad Request: "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(":13: "),
        "the bad line is named: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("error: 2 items failed"),
        "{}",
        run.stderr
    );
}

/// Ctrl-C stops an import with its journal flushed; the same command then sends only what
/// the journal does not hold.
#[test]
fn an_interrupted_import_resumes_from_its_journal() {
    let kv = Kv::start();
    let file = items_file(&kv, "items.jsonl", 240);
    let journal = kv.path("items.journal");
    let args = |max_rate: &str| {
        let mut command = aksdk_process(kv.dir.path());
        command
            .arg("--edgerc")
            .arg(&kv.edgerc)
            .args(["--base-url", &kv.emulator.url(), "edgekv", "import"])
            .arg(&file)
            .args(STAGING)
            .args(["--namespace", "default", "--journal"])
            .arg(&journal)
            .args(["--max-rate", max_rate, "--json"]);
        command
    };
    let first = args("40")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let recorded = |path: &std::path::Path| {
        std::fs::read_to_string(path)
            .map(|t| t.lines().count().saturating_sub(1))
            .unwrap_or(0)
    };
    let started = Instant::now();
    while recorded(&journal) < 30 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the import is stuck"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &first.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = first.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    let acknowledged = recorded(&journal);
    assert!((30..240).contains(&acknowledged), "{acknowledged}");
    assert!(
        stderr.contains(&format!(
            "interrupted: the journal {} holds {acknowledged} acknowledged writes; run the same command to resume",
            journal.display()
        )),
        "{stderr}"
    );
    let journal_text = std::fs::read_to_string(&journal).unwrap();
    let done: BTreeSet<String> = journal_text
        .lines()
        .skip(1)
        .map(|l| {
            let fields: Vec<&str> = l.split('\t').collect();
            format!("{}/{}", fields[1], fields[2])
        })
        .collect();
    assert_eq!(done.len(), acknowledged);

    let before = kv.emulator.requests().len();
    let second = args("1000").output().unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(0), "{stderr}");
    let json: Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(json["skipped"].as_u64(), Some(acknowledged as u64));
    assert_eq!(json["written"].as_u64(), Some(240 - acknowledged as u64));
    assert_eq!(json["failed"].as_u64(), Some(0));
    // Nothing the first run had acknowledged was sent again.
    for request in &kv.emulator.requests()[before..] {
        if request.method == "PUT" {
            let path = request.target.split('?').next().unwrap_or_default();
            let parts: Vec<&str> = path.rsplit('/').collect();
            let key = format!("{}/{}", parts[2], parts[0]);
            assert!(!done.contains(&key), "{key} was written twice");
        }
    }
    assert_eq!(stored(&kv, "default", 240).len(), 240);
}

#[test]
fn export_refuses_json_without_an_output_file() {
    let kv = Kv::start();
    let line = fails(
        kv.aksdk().args(["edgekv", "export"]).args(STAGING).args([
            "--namespace",
            "default",
            "--json",
        ]),
        2,
    );
    assert!(line.contains("--output FILE"), "{line}");
}
