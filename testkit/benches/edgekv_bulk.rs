//! EdgeKV bulk import and export against the emulator's rate limit:
//! `cargo bench -p akamai-sdk-testkit --bench edgekv_bulk [-- --items N]` (default 5,000).
//!
//! For each limit (50 and 200 requests per second): the sustained rate once converged (over
//! the second half of the run), the share of throttled answers, and items lost or changed;
//! the same at 200/s with 2 % of the PUTs answered 503, with 2 % of the connections dropped
//! after the PUT was performed, and with the importing process killed (SIGKILL) in the middle
//! and the run resumed from its journal (no acknowledged item sent twice). Beside it, the
//! `edgekv-importer` pacing (one request every 75 ms, abort on the first non-200 answer).
//! Then the export of the items, and the peak memory of an importing process for 10x more
//! items (the file is read one record at a time).

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use akamai_sdk::config::HttpConfig;
use akamai_sdk::edgekv::bulk::{BulkOptions, FileFormat};
use akamai_sdk::edgekv::{EdgeKvClient, ItemValue, Network};
use akamai_sdk_testkit::{EdgeKvEmulator, Fault, FaultKind};

const NS: &str = "bench";
const PUTS: &str = "/edgekv/v1/networks/*/namespaces/*/groups/*/items/*";

fn value(i: usize) -> String {
    format!(
        "{{\"code\":\"PROMO{i:06}\",\"discount\":{},\"active\":true}}",
        i % 50
    )
}

fn write_items(path: &Path, n: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..n {
        writeln!(
            out,
            "{{\"group\":\"g{}\",\"id\":\"item-{i:07}\",\"value\":{}}}",
            i % 4,
            value(i)
        )
        .unwrap();
    }
}

async fn emulator(limit: Option<u32>) -> EdgeKvEmulator {
    let mut builder = EdgeKvEmulator::builder();
    if let Some(limit) = limit {
        builder = builder.rate_limit(limit);
    }
    let emulator = builder.start().await.unwrap();
    emulator.seed_namespace(Network::Staging, NS, 0);
    emulator
}

/// Items missing or not as written.
fn lost_or_changed(emulator: &EdgeKvEmulator, n: usize) -> usize {
    (0..n)
        .filter(|&i| {
            emulator
                .item(
                    Network::Staging,
                    NS,
                    &format!("g{}", i % 4),
                    &format!("item-{i:07}"),
                )
                .is_none_or(|(_, bytes)| bytes != value(i).as_bytes())
        })
        .count()
}

struct Figures {
    seconds: f64,
    sustained: f64,
    throttled_share: f64,
    requests: u64,
}

/// Imports `file` (n items) through `client`; the sustained rate is measured over the second
/// half of the items.
async fn import(
    client: &EdgeKvClient,
    emulator: &EdgeKvEmulator,
    file: &Path,
    n: usize,
    journal: Option<&Path>,
) -> Figures {
    let marks = Arc::new(Mutex::new(Vec::<(f64, u64)>::new()));
    let seen = marks.clone();
    let mut options = BulkOptions::new()
        .progress_every(Duration::from_millis(250))
        .on_progress(move |p| {
            seen.lock()
                .unwrap()
                .push((p.elapsed.as_secs_f64(), p.done()))
        });
    if let Some(journal) = journal {
        options = options.journal(journal);
    }
    let before = emulator.counters();
    let start = Instant::now();
    let report = client
        .bulk(Network::Staging, NS, options)
        .import(file, &FileFormat::JsonLines, None)
        .await
        .unwrap();
    let seconds = start.elapsed().as_secs_f64();
    assert!(report.is_success(), "{:?}", report.failures.first());
    let marks = marks.lock().unwrap();
    let half = (n / 2) as u64;
    let (t0, d0) = marks
        .iter()
        .copied()
        .find(|(_, done)| *done >= half)
        .unwrap_or((0.0, 0));
    let (t1, d1) = *marks.last().unwrap();
    let after = emulator.counters();
    let requests = after.operation("put-item") - before.operation("put-item");
    let throttled = after.throttled - before.throttled;
    Figures {
        seconds,
        sustained: (d1 - d0) as f64 / (t1 - t0).max(1e-9),
        throttled_share: throttled as f64 / requests.max(1) as f64,
        requests,
    }
}

fn print(name: &str, limit: u32, f: &Figures, lost: usize) {
    println!(
        "{name:<28} limit {limit:>3}/s: {:>6.1} s, sustained {:>6.1}/s ({:>5.1} % of the limit), {:>5} PUTs, throttled {:>4.1} %, lost or changed {lost}",
        f.seconds,
        f.sustained,
        100.0 * f.sustained / f64::from(limit),
        f.requests,
        100.0 * f.throttled_share
    );
}

/// The child process of the kill scenario: imports with a journal until killed.
async fn child(url: &str, host: &str, file: &Path, journal: &Path) {
    let emulator_creds = akamai_sdk_testkit::edgekv::default_credentials();
    let credentials = akamai_sdk::edgegrid::Credentials::builder(
        host,
        emulator_creds.client_token,
        emulator_creds.client_secret,
        emulator_creds.access_token,
    )
    .build()
    .unwrap();
    let client = EdgeKvClient::builder(credentials)
        .http_config(HttpConfig::new().allow_insecure_loopback(true))
        .base_url(url)
        .build()
        .unwrap();
    let report = client
        .bulk(Network::Staging, NS, BulkOptions::new().journal(journal))
        .import(file, &FileFormat::JsonLines, None)
        .await
        .unwrap();
    // The peak resident memory of this process.
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .unwrap_or("VmHWM: ?")
        .to_owned();
    println!("{} {peak}", report.progress.written);
}

fn spawn_child(emulator: &EdgeKvEmulator, file: &Path, journal: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["child", &emulator.url(), &emulator.host()])
        .arg(file)
        .arg(journal)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The PUTs answered 200 per item id.
fn puts_per_item(emulator: &EdgeKvEmulator) -> HashMap<String, usize> {
    let mut puts = HashMap::new();
    for request in emulator.requests() {
        if request.operation.as_deref() == Some("put-item") && request.status == 200 {
            let id = request.target.rsplit('/').next().unwrap().to_owned();
            *puts.entry(id).or_default() += 1;
        }
    }
    puts
}

/// The ids a journal holds.
fn journaled(journal: &Path) -> Vec<String> {
    std::fs::read_to_string(journal)
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').nth(2).map(str::to_owned))
        .collect()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("child") {
        child(&args[2], &args[3], Path::new(&args[4]), Path::new(&args[5])).await;
        return;
    }
    let n = args
        .iter()
        .position(|a| a == "--items")
        .and_then(|i| args.get(i + 1))
        .map_or(5_000, |v| v.parse().expect("--items N"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("items.jsonl");
    write_items(&file, n);
    println!("{n} JSON items per run\n");

    for limit in [50u32, 200] {
        let emulator = emulator(Some(limit)).await;
        let figures = import(&emulator.client(), &emulator, &file, n, None).await;
        print("adaptive", limit, &figures, lost_or_changed(&emulator, n));
    }

    let limit = 200;
    let emulator = emulator(Some(limit)).await;
    emulator.inject(Fault::status("PUT", PUTS, 503).probability(0.02));
    let figures = import(&emulator.client(), &emulator, &file, n, None).await;
    print(
        "adaptive, 2 % 503",
        limit,
        &figures,
        lost_or_changed(&emulator, n),
    );

    let emulator = self::emulator(Some(limit)).await;
    emulator.inject(Fault::new("PUT", PUTS, FaultKind::DropAfterPerforming).probability(0.02));
    let figures = import(&emulator.client(), &emulator, &file, n, None).await;
    print(
        "adaptive, 2 % dropped",
        limit,
        &figures,
        lost_or_changed(&emulator, n),
    );

    // Killed in the middle, then resumed from the journal.
    let emulator = self::emulator(Some(limit)).await;
    let journal = dir.path().join("kill.journal");
    let mut child = spawn_child(&emulator, &file, &journal);
    tokio::time::sleep(Duration::from_secs_f64(n as f64 / f64::from(limit) / 2.0)).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let acknowledged = journaled(&journal);
    let figures = import(&emulator.client(), &emulator, &file, n, Some(&journal)).await;
    let puts = puts_per_item(&emulator);
    let twice = acknowledged
        .iter()
        .filter(|id| puts.get(*id).copied().unwrap_or(0) != 1)
        .count();
    print(
        "killed, then resumed",
        limit,
        &figures,
        lost_or_changed(&emulator, n),
    );
    println!(
        "{:<28} {} acknowledged before the kill, {twice} of them sent again",
        "",
        acknowledged.len()
    );

    // The edgekv-importer pacing: one request every 75 ms, the first non-200 ends the run.
    let sample = n.min(400);
    for limit in [10u32, 200] {
        let emulator = self::emulator(Some(limit)).await;
        let client = emulator
            .client_with(HttpConfig::new().with_retry(akamai_sdk::retry::RetryPolicy::disabled()));
        let start = Instant::now();
        let mut written = 0;
        let mut ticks = tokio::time::interval(Duration::from_millis(75));
        let mut aborted = None;
        for i in 0..sample {
            ticks.tick().await;
            let group = client.group(Network::Staging, NS, format!("g{}", i % 4));
            match group
                .put(
                    &format!("item-{i:07}"),
                    &ItemValue::json_text(value(i)).unwrap(),
                )
                .await
            {
                Ok(_) => written += 1,
                Err(error) => {
                    aborted = Some(error.status().map_or(0, |s| s.as_u16()));
                    break;
                }
            }
        }
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "{:<28} limit {limit:>3}/s: {written} of {sample} items in {seconds:.1} s ({:.1}/s){}; {n} items would take {:.0} s",
            "edgekv-importer pacing",
            f64::from(written) / seconds,
            aborted.map_or(String::new(), |s| format!(", aborted on a {s}")),
            n as f64 * 0.075
        );
    }

    // Export.
    for limit in [None, Some(200u32)] {
        let emulator = self::emulator(limit).await;
        for i in 0..n {
            emulator.seed_item(
                Network::Staging,
                NS,
                &format!("g{}", i % 4),
                &format!("item-{i:07}"),
                "application/json",
                value(i),
            );
        }
        let out = dir.path().join("export.jsonl");
        let start = Instant::now();
        let report = emulator
            .client()
            .bulk(Network::Staging, NS, BulkOptions::new())
            .export_to_file(None, &out)
            .await
            .unwrap();
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "{:<28} limit {:>3}: {} items in {seconds:.1} s ({:.0} items/s)",
            "export",
            limit.map_or("none".to_owned(), |l| format!("{l}/s")),
            report.progress.read,
            report.progress.read as f64 / seconds
        );
    }

    // Peak memory of an importing process: n items, then 10 n.
    for items in [n, 10 * n] {
        let emulator = self::emulator(None).await;
        let big = dir.path().join(format!("items-{items}.jsonl"));
        write_items(&big, items);
        let journal = dir.path().join(format!("memory-{items}.journal"));
        let output = spawn_child(&emulator, &big, &journal)
            .wait_with_output()
            .unwrap();
        println!(
            "{:<28} {items:>7} items: {}",
            "importer process memory",
            String::from_utf8_lossy(&output.stdout).trim()
        );
    }
}
