//! A chaos soak: both seed workflows and a bulk import at once against the test kit's
//! emulators, with seeded random faults on every route (429 with and without `Retry-After`,
//! 500, 503, an HTML 502, connections dropped before and after the server acted, truncated
//! bodies, delays past the client's timeout). At the end, the invariants users rely on are
//! checked against the emulators' state and counters:
//!
//! * every acknowledged write is stored exactly (items written one by one, and every item a
//!   bulk run reported written); a read after a known write sees it;
//! * every bulk item ended in at most one outcome when the run was stopped at the deadline
//!   (as a Ctrl-C stops it, writes in flight), exactly one once resumed, and the resumed run
//!   sends no acknowledged item again;
//! * no POST was sent twice: the proxy tokens the Linode emulator minted (per child) and the
//!   EdgeKV tokens it created are at most the calls that asked for them;
//! * every failure came back as a typed error of the classes the faults cause (never a decode
//!   error of a well-formed answer, never a panic);
//! * no secret (EdgeGrid client token, secret or access token, the parent's token, a proxy
//!   token) in any log line, at `TRACE`;
//! * memory stays flat (resident memory between the middle and the end of the run).
//!
//! It runs `SOAK_SECONDS` (30 by default; `.ci/run` sets more) with the seed `SOAK_SEED`
//! (fixed by default), printed first so that a failing run can be replayed. It is a test
//! binary of its own so that the process's resident memory is the soak's alone.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use akamai_sdk::config::HttpConfig;
use akamai_sdk::edgekv::bulk::{BulkItem, BulkOptions, Outcome};
use akamai_sdk::edgekv::{ItemValue, Network, NewToken, Permission};
use akamai_sdk::linode::Euuid;
use akamai_sdk::retry::RetryPolicy;
use akamai_sdk::{Error, ExposeSecret};
use akamai_sdk_testkit::{EdgeKvEmulator, Fault, FaultKind, LinodeEmulator};
use futures::{StreamExt as _, TryStreamExt as _};
use tokio::time::Instant;

// The log capture of the `it` tests; the soak uses part of it.
#[allow(dead_code)]
#[path = "../it/support/logs.rs"]
mod logs;

const NS: &str = "soak";
const TIMEOUT: Duration = Duration::from_millis(600);
const CHILDREN: usize = 30;
const BULK_ITEMS: usize = 1500;

/// The workloads' choices, from the seed.
#[path = "../common/rng.rs"]
mod rng;
use rng::Rng;

/// Seeded random faults on every route of an emulator.
fn faults(seed: u64) -> Vec<Fault> {
    let status = |status, retry_after| FaultKind::Status {
        status,
        retry_after,
    };
    let kinds = [
        (status(429, None), 0.02),
        (status(429, Some(1)), 0.002),
        (status(503, None), 0.02),
        (status(500, None), 0.01),
        (FaultKind::Html502, 0.01),
        (FaultKind::DropBeforePerforming, 0.01),
        (FaultKind::DropAfterPerforming, 0.01),
        (FaultKind::TruncatedBody, 0.01),
        (
            FaultKind::Delay(TIMEOUT + Duration::from_millis(300)),
            0.003,
        ),
    ];
    kinds
        .into_iter()
        .enumerate()
        .map(|(i, (kind, p))| {
            Fault::new("*", "/**", kind)
                .probability(p)
                .seed(seed.wrapping_add(i as u64))
        })
        .collect()
}

fn config() -> HttpConfig {
    HttpConfig::new().with_timeout(TIMEOUT).with_retry(
        RetryPolicy::new()
            .with_max_attempts(6)
            .with_initial_backoff(Duration::from_millis(10))
            .with_max_backoff(Duration::from_millis(100)),
    )
}

/// Whether `error` is of a class the injected faults cause.
fn expected(error: &Error) -> bool {
    match error {
        Error::Api(api) => matches!(api.status().as_u16(), 429 | 500 | 502 | 503),
        Error::Transport(_) | Error::Timeout(_) | Error::Deadline(_) => true,
        _ => false,
    }
}

fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What is known of an item written one by one: its value, gone, or unknown (a write whose
/// answer was lost may or may not have been done).
#[derive(Clone, Debug, PartialEq)]
enum Known {
    Value(String),
    Gone,
    Unknown,
}

#[derive(Default)]
struct Tally {
    calls: BTreeMap<&'static str, u64>,
    unexpected: Vec<String>,
    secrets: Vec<String>,
}

impl Tally {
    fn record<T>(&mut self, what: &'static str, result: &Result<T, Error>) {
        *self.calls.entry(what).or_default() += 1;
        if let Err(error) = result {
            if !expected(error) {
                self.unexpected.push(format!("{what}: {error} ({error:?})"));
            }
        }
    }
}

/// Reads the captured logs as the run goes (and then forgets them, so that they do not grow
/// with the run): counts the calls that create something, and looks for secrets.
struct Auditor {
    captured: logs::Buffer,
    fixed_secrets: Vec<String>,
    calls: BTreeMap<String, u64>,
    leaks: Vec<String>,
    bytes: usize,
}

impl Auditor {
    fn audit(&mut self, tokens: &[String]) {
        let text = self.captured.text();
        let spans = self.captured.spans();
        self.captured.clear();
        self.bytes += text.len();
        for span in spans.iter().filter(|s| s.name == "akamai_sdk.call") {
            if let Some(id) = span.field("operation_id") {
                *self.calls.entry(id.to_owned()).or_default() += 1;
            }
        }
        for secret in self.fixed_secrets.iter().chain(tokens) {
            if text.contains(secret.as_str()) {
                self.leaks
                    .push(format!("a secret of {} bytes", secret.len()));
            }
        }
        // The emulator's proxy tokens are 64 hex digits: none may appear, known or not.
        let mut run = 0;
        for c in text.chars() {
            run = if c.is_ascii_hexdigit() { run + 1 } else { 0 };
            if run == 64 {
                self.leaks
                    .push("a run of 64 hex digits (a proxy token's shape)".to_owned());
            }
        }
    }

    fn calls(&self, id: &str) -> u64 {
        self.calls.get(id).copied().unwrap_or(0)
    }
}

async fn linode_workflow(
    linode: &LinodeEmulator,
    deadline: Instant,
    seed: u64,
    tally: &Mutex<Tally>,
) {
    let parent = linode.parent_client_with(config());
    let euuids = linode.euuids();
    let mut rng = Rng(seed ^ 0x11);
    while Instant::now() < deadline {
        let listed = parent
            .child_accounts()
            .page_size(25)
            .stream()
            .try_collect::<Vec<_>>()
            .await;
        if let Ok(listed) = &listed {
            assert_eq!(listed.len(), CHILDREN, "a listing that succeeds is whole");
        }
        tally.lock().unwrap().record("list children", &listed);
        let euuid: Euuid = euuids[rng.below(euuids.len())].parse().unwrap();
        let child = parent.child(euuid);
        let account = child.account().await;
        tally.lock().unwrap().record("child account", &account);
        let profile = child.profile().await;
        tally.lock().unwrap().record("child profile", &profile);
        let token = child.token().await;
        if let Ok(token) = &token {
            tally
                .lock()
                .unwrap()
                .secrets
                .push(token.token().expose_secret().to_owned());
        }
        tally.lock().unwrap().record("child token", &token);
    }
}

async fn edgekv_workflow(
    kv: &EdgeKvEmulator,
    deadline: Instant,
    seed: u64,
    tally: &Mutex<Tally>,
) -> HashMap<String, Known> {
    let client = kv.client_with(config());
    let group = client.group(Network::Staging, NS, "one-by-one");
    let mut rng = Rng(seed ^ 0x22);
    let mut known: HashMap<String, Known> = HashMap::new();
    let mut n = 0u64;
    while Instant::now() < deadline {
        n += 1;
        let key = format!("k{}", rng.below(40));
        match rng.below(10) {
            0 => {
                let deleted = group.delete(&key).await;
                let state = match &deleted {
                    Ok(_) => Known::Gone,
                    Err(error) if error.is_not_found() => Known::Gone,
                    Err(_) => Known::Unknown,
                };
                known.insert(key, state);
                if !matches!(&deleted, Err(e) if e.is_not_found()) {
                    tally.lock().unwrap().record("delete item", &deleted);
                }
            }
            1 | 2 => {
                let read = group.get(&key).await;
                match (&read, known.get(&key)) {
                    (Ok(item), Some(Known::Value(value))) => {
                        assert_eq!(
                            item.as_bytes(),
                            value.as_bytes(),
                            "a read after a known write of {key}"
                        );
                    }
                    (Err(error), Some(Known::Value(_))) => {
                        assert!(
                            !error.is_not_found(),
                            "{key} was written and acknowledged: {error}"
                        );
                    }
                    (Ok(_), Some(Known::Gone)) => panic!("{key} was deleted and acknowledged"),
                    _ => {}
                }
                if !matches!(&read, Err(e) if e.is_not_found()) {
                    tally.lock().unwrap().record("get item", &read);
                }
            }
            3 if n.is_multiple_of(7) => {
                let created = client
                    .create_token(
                        &NewToken::new(format!("soak-{n}")).namespace(NS, [Permission::R]),
                    )
                    .await;
                tally.lock().unwrap().record("create token", &created);
            }
            _ => {
                let value = format!("value {n} of {key}");
                let put = group.put(&key, &ItemValue::text(value.clone())).await;
                known.insert(
                    key,
                    if put.is_ok() {
                        Known::Value(value)
                    } else {
                        Known::Unknown
                    },
                );
                tally.lock().unwrap().record("put item", &put);
            }
        }
    }
    known
}

fn bulk_items() -> Vec<BulkItem> {
    (0..BULK_ITEMS)
        .map(|i| {
            BulkItem::new(
                format!("bulk{}", i % 5),
                format!("b{i:05}"),
                ItemValue::text(format!("bulk value {i}")),
            )
        })
        .collect()
}

#[tokio::test]
async fn chaos_soak_keeps_every_invariant() {
    let seed: u64 = std::env::var("SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_50AC);
    let seconds: u64 = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    eprintln!("chaos soak: {seconds} s, seed {seed} (replay with SOAK_SEED={seed})");
    let captured = logs::capture();

    let linode = LinodeEmulator::builder()
        .children(CHILDREN)
        .start()
        .await
        .unwrap();
    let kv = EdgeKvEmulator::builder()
        .rate_limit(400)
        .start()
        .await
        .unwrap();
    kv.seed_namespace(Network::Staging, NS, 0);
    for fault in faults(seed) {
        linode.inject(fault.clone());
        kv.inject(fault);
    }
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("soak.journal");
    let tally = Mutex::new(Tally::default());
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let middle_rss = Arc::new(Mutex::new(None));

    let bulk_client = kv.client_with(config());
    let bulk = bulk_client.bulk(
        Network::Staging,
        NS,
        BulkOptions::new().journal(&journal).max_rate(150.0),
    );
    // Stopped at the deadline if it has not ended (the random 429s slow its rate down), as a
    // Ctrl-C would: the stream is dropped with writes in flight.
    let bulk_run = async {
        let mut outcomes = Vec::new();
        let mut stream = std::pin::pin!(bulk.put(futures::stream::iter(bulk_items())).unwrap());
        while let Ok(Some(outcome)) = tokio::time::timeout_at(deadline, stream.next()).await {
            outcomes.push(outcome.expect("the journal is writable"));
        }
        outcomes
    };
    let edgegrid = kv.edgegrid_credentials();
    let auditor = Mutex::new(Auditor {
        captured,
        fixed_secrets: vec![
            edgegrid.client_secret.clone(),
            edgegrid.access_token.clone(),
            edgegrid.client_token.clone(),
            linode.parent_token(),
        ],
        calls: BTreeMap::new(),
        leaks: Vec::new(),
        bytes: 0,
    });
    let audit = || {
        let tokens = tally.lock().unwrap().secrets.clone();
        auditor.lock().unwrap().audit(&tokens);
    };
    let auditing = async {
        let middle = started + Duration::from_secs(seconds) / 2;
        while Instant::now() < deadline {
            tokio::time::sleep(Duration::from_secs(1)).await;
            audit();
            if middle_rss.lock().unwrap().is_none() && Instant::now() >= middle {
                *middle_rss.lock().unwrap() = resident_kib();
            }
        }
    };
    // Boxed: the joined futures are too large for a test thread's stack in a debug build.
    let ((), known, outcomes, ()) = tokio::join!(
        Box::pin(linode_workflow(&linode, deadline, seed, &tally)),
        Box::pin(edgekv_workflow(&kv, deadline, seed, &tally)),
        Box::pin(bulk_run),
        auditing,
    );
    audit();
    let end_rss = resident_kib();
    eprintln!("chaos soak: workloads ended after {:?}", started.elapsed());
    linode.clear_faults();
    kv.clear_faults();

    // Every bulk item ended in at most one outcome (exactly one once the run is resumed);
    // what was written is stored exactly.
    let mut ended = std::collections::HashSet::new();
    for outcome in &outcomes {
        assert!(
            ended.insert(outcome.id.clone()),
            "{} ended twice",
            outcome.id
        );
    }
    let items = bulk_items();
    let by_id: HashMap<&str, &BulkItem> = items.iter().map(|i| (i.id.as_str(), i)).collect();
    let mut written = Vec::new();
    for outcome in &outcomes {
        let item = by_id[outcome.id.as_str()];
        match &outcome.outcome {
            Outcome::Written => {
                let stored = kv.item(Network::Staging, NS, &item.group, &item.id);
                assert_eq!(
                    stored.map(|s| s.1),
                    Some(item.value.as_bytes().to_vec()),
                    "bulk item {} was acknowledged",
                    item.id
                );
                written.push(item.id.clone());
            }
            Outcome::Failed(error) => {
                assert!(expected(error), "bulk item {}: {error:?}", item.id);
            }
            other => panic!("bulk item {}: {other:?}", item.id),
        }
    }
    // Resumed without faults: everything ends stored, nothing acknowledged is sent again.
    let before = kv.requests().len();
    let resumed = kv
        .client()
        .bulk(Network::Staging, NS, BulkOptions::new().journal(&journal))
        .put_all(futures::stream::iter(bulk_items()))
        .await
        .unwrap();
    assert!(resumed.is_success(), "{:?}", resumed.failures.first());
    assert_eq!(resumed.progress.done() as usize, BULK_ITEMS);
    assert_eq!(resumed.progress.skipped as usize, written.len());
    let resent: Vec<String> = kv.requests()[before..]
        .iter()
        .filter(|r| r.method == "PUT")
        .filter_map(|r| r.target.rsplit('/').next().map(str::to_owned))
        .filter(|id| written.contains(id))
        .collect();
    assert!(
        resent.is_empty(),
        "acknowledged items sent again: {resent:?}"
    );
    for item in &items {
        assert_eq!(
            kv.item(Network::Staging, NS, &item.group, &item.id)
                .map(|s| s.1),
            Some(item.value.as_bytes().to_vec())
        );
    }

    // Items written one by one: what was acknowledged is what is stored.
    for (key, state) in &known {
        let stored = kv
            .item(Network::Staging, NS, "one-by-one", key)
            .map(|s| s.1);
        match state {
            Known::Value(value) => assert_eq!(stored, Some(value.clone().into_bytes()), "{key}"),
            Known::Gone => assert_eq!(stored, None, "{key}"),
            Known::Unknown => {}
        }
    }

    // No POST sent twice: what the emulators created is at most what was asked for.
    let mut auditor = auditor.into_inner().unwrap();
    let mints: u64 = linode.counters().mints.values().sum();
    let mint_calls = auditor.calls("post-child-account-token");
    assert!(mint_calls > 0);
    assert!(
        mints <= mint_calls,
        "{mints} proxy tokens minted for {mint_calls} calls"
    );
    let created = kv.token_names().len() as u64;
    let create_calls = auditor.calls("post-tokens");
    assert!(
        created <= create_calls,
        "{created} EdgeKV tokens for {create_calls} calls"
    );

    // Every failure typed, of a class the faults cause.
    let tally = tally.into_inner().unwrap();
    assert!(tally.unexpected.is_empty(), "{:#?}", tally.unexpected);
    let faults = kv.counters().faults + linode.counters().faults;
    assert!(faults > 50, "the soak injected only {faults} faults");

    // No secret in any log line (of the whole run, read as it went).
    auditor.audit(&tally.secrets);
    assert!(
        auditor.bytes > 1_000_000,
        "only {} bytes of logs",
        auditor.bytes
    );
    assert!(auditor.leaks.is_empty(), "{:?}", auditor.leaks);

    // Memory flat: the second half of the run adds little.
    if let (Some(middle), Some(end)) = (*middle_rss.lock().unwrap(), end_rss) {
        eprintln!("chaos soak: resident memory {middle} KiB at the middle, {end} KiB at the end");
        assert!(
            end < middle + 64 * 1024,
            "resident memory grew from {middle} KiB to {end} KiB in the second half"
        );
    }
    eprintln!(
        "chaos soak: {} faults injected; calls {:?}; {} proxy tokens for {mint_calls} mint calls; {} bulk items written under faults, {} after resuming, {} throttled answers",
        faults,
        tally.calls,
        mints,
        written.len(),
        BULK_ITEMS - written.len(),
        bulk.throttled()
    );
}
