//! Items in bulk: write, delete, import, export and sync thousands to millions of items at the
//! API's rate limit, resumably, with progress.
//!
//! [`EdgeKvClient::bulk`] starts a run on one namespace of one network. Every request of a run
//! goes through one adaptive rate (requests per second): the EdgeKV API throttles each account
//! at a limit of its own and says so only with a 429 (no `Retry-After`), so the rate starts
//! low, doubles every second until the first 429, then drops by a tenth and climbs back slowly,
//! which holds it just under the account's limit; a `Retry-After`, when one comes, holds every
//! request until it has passed (one longer than the client's retry budget,
//! [`RetryPolicy::max_total_wait`](crate::retry::RetryPolicy::max_total_wait), fails its item
//! with the 429 instead), and [`BulkOptions::max_rate`] caps the rate. A throttled
//! request is sent again (up to [`BulkOptions::max_throttled_attempts`] times); every other
//! retryable failure (a 5xx, a reset connection) is retried by the client's retry policy, as
//! for any call (PUT and DELETE are idempotent).
//!
//! Every item ends in exactly one [`Outcome`], reported to the caller: written (or deleted,
//! unchanged, skipped because an earlier run wrote it), or failed with its typed
//! [`Error`]. Nothing is dropped silently: a malformed record of a file is a
//! failed outcome naming its line.
//!
//! **Resume.** With [`BulkOptions::journal`], every acknowledged write is appended to a file
//! as soon as its answer is read (flushed to the disk in batches); the same run started again
//! with the same journal sends only what was not acknowledged, so neither a crash, a Ctrl-C
//! nor dropping the future loses an acknowledged write or sends it twice. A value changed in
//! the file since is sent again.
//!
//! **Progress.** [`BulkOptions::on_progress`] receives a [`BulkProgress`] (done, failed,
//! throttled answers, current rate, estimated time left) every
//! [`BulkOptions::progress_every`] and at the end, and an `INFO` event (target
//! `akamai_sdk::edgekv::bulk`) says the same.
//!
//! **Files.** [`Bulk::import`], [`Bulk::export`] and [`Bulk::sync`] read and write JSON
//! Lines or CSV (see [`FileFormat`]), one record at a time: memory does not grow with the
//! file. An export stores the form that an import writes back byte for byte with its content
//! type. A group listing answers at most [`MAX_LIST_ITEMS`] ids (the API's limit): a group
//! holding more cannot be listed whole, and [`BulkReport::truncated_groups`] names it.
//!
//! ```no_run
//! use akamai_sdk::edgekv::bulk::{BulkOptions, FileFormat};
//! use akamai_sdk::prelude::*;
//!
//! # async fn run(client: EdgeKvClient) -> Result<(), Box<dyn std::error::Error>> {
//! let options = BulkOptions::new()
//!     .max_rate(200.0)
//!     .journal("promo-codes.journal")
//!     .on_progress(|p| eprintln!("{} done, {} failed, {:.0}/s", p.done(), p.failed, p.rate));
//! let bulk = client.bulk(Network::Staging, "promotions", options);
//! let report = bulk
//!     .import("promo-codes.csv".as_ref(), &FileFormat::csv("code"), Some("codes"))
//!     .await?;
//! for failure in &report.failures {
//!     eprintln!("{}/{}: {:?}", failure.group, failure.id, failure.outcome);
//! }
//! # Ok(())
//! # }
//! ```

pub(crate) mod format;
pub(crate) mod journal;
pub(crate) mod rate;

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use futures::future::Either;
use futures::{stream, FutureExt as _, Stream, StreamExt as _};
use tokio::time::Instant;

pub use format::FileFormat;
use journal::Journal;
use rate::AdaptiveRate;

use super::{EdgeKvClient, Item, ItemGroup, ItemValue, Network};
use crate::error::Error;

/// The most ids one group listing answers (the API's limit per listing).
pub const MAX_LIST_ITEMS: u32 = 10_000;

/// What stops a whole run (an item's own failure is its [`Outcome::Failed`] instead).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BulkError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A file cannot be read as the format says (a missing CSV column, say). A malformed
    /// record is a failed item instead.
    #[error("{origin}:{line}: {reason}")]
    Record {
        /// The file.
        origin: String,
        /// The 1-based line (0 when unknown).
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// The journal cannot serve this run.
    #[error("the journal {}: {reason}", path.display())]
    Journal {
        /// The journal file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The export could not be written.
    #[error("cannot write the export: {0}")]
    Output(#[source] io::Error),
    /// A listing the run needs failed (the groups of the namespace, the ids of a group).
    #[error(transparent)]
    Api(#[from] Error),
}

/// One item to write: where it goes and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkItem {
    /// The group.
    pub group: String,
    /// The item id.
    pub id: String,
    /// The value with its content type.
    pub value: ItemValue,
}

impl BulkItem {
    /// An item `id` of `group` with `value`.
    pub fn new(group: impl Into<String>, id: impl Into<String>, value: ItemValue) -> Self {
        Self {
            group: group.into(),
            id: id.into(),
            value,
        }
    }
}

type ProgressFn = Arc<dyn Fn(&BulkProgress) + Send + Sync>;

/// The options of a bulk run.
#[derive(Clone)]
pub struct BulkOptions {
    max_rate: Option<f64>,
    initial_rate: f64,
    concurrency: usize,
    max_throttled: u32,
    journal: Option<PathBuf>,
    progress_every: Duration,
    on_progress: Option<ProgressFn>,
}

impl fmt::Debug for BulkOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkOptions")
            .field("max_rate", &self.max_rate)
            .field("initial_rate", &self.initial_rate)
            .field("concurrency", &self.concurrency)
            .field("max_throttled", &self.max_throttled)
            .field("journal", &self.journal)
            .field("progress_every", &self.progress_every)
            .field("on_progress", &self.on_progress.is_some())
            .finish()
    }
}

impl Default for BulkOptions {
    fn default() -> Self {
        Self {
            max_rate: None,
            initial_rate: 10.0,
            concurrency: 32,
            max_throttled: 20,
            journal: None,
            progress_every: Duration::from_secs(2),
            on_progress: None,
        }
    }
}

impl BulkOptions {
    /// The defaults: no cap, a first rate of 10 requests per second, 32 requests in flight,
    /// 20 throttled answers per item, no journal, progress every 2 s.
    pub fn new() -> Self {
        Self::default()
    }

    /// Caps the rate, in requests per second (the account's limit may be lower: the run finds
    /// it).
    pub fn max_rate(mut self, per_second: f64) -> Self {
        self.max_rate = Some(per_second);
        self
    }

    /// The rate to start at, in requests per second (default 10), which doubles every second
    /// until the first 429.
    pub fn initial_rate(mut self, per_second: f64) -> Self {
        self.initial_rate = per_second;
        self
    }

    /// The most requests in flight at once (default 32; at least 1).
    pub fn concurrency(mut self, requests: usize) -> Self {
        self.concurrency = requests.max(1);
        self
    }

    /// How many 429 answers one item may get before it fails with the last one (default 20).
    pub fn max_throttled_attempts(mut self, attempts: u32) -> Self {
        self.max_throttled = attempts;
        self
    }

    /// Records acknowledged writes in the file at `path`, and skips those an earlier run with
    /// the same journal recorded (see the [module documentation](self)).
    pub fn journal(mut self, path: impl Into<PathBuf>) -> Self {
        self.journal = Some(path.into());
        self
    }

    /// How often progress is reported (default 2 s).
    pub fn progress_every(mut self, every: Duration) -> Self {
        self.progress_every = every;
        self
    }

    /// Calls `report` with the progress every [`BulkOptions::progress_every`] and at the end.
    pub fn on_progress(mut self, report: impl Fn(&BulkProgress) + Send + Sync + 'static) -> Self {
        self.on_progress = Some(Arc::new(report));
        self
    }
}

/// Where a run stands, as a progress display draws it.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct BulkProgress {
    /// Items written (or, in a dry run, that would be).
    pub written: u64,
    /// Items deleted (or, in a dry run, that would be).
    pub deleted: u64,
    /// Items whose stored value already equals the file's (sync).
    pub unchanged: u64,
    /// Items an earlier run with the same journal wrote.
    pub skipped: u64,
    /// Items read (export).
    pub read: u64,
    /// Items that failed.
    pub failed: u64,
    /// 429 answers so far.
    pub throttled: u64,
    /// The number of items, when known (a file is counted before it is read).
    pub total: Option<u64>,
    /// The current rate, in requests per second.
    pub rate: f64,
    /// Items done per second since the last report.
    pub throughput: f64,
    /// Time since the start.
    pub elapsed: Duration,
    /// Estimated time left, when the total is known and items are moving.
    pub eta: Option<Duration>,
}

impl BulkProgress {
    /// Items done, failed ones included.
    pub fn done(&self) -> u64 {
        self.written + self.deleted + self.unchanged + self.skipped + self.read + self.failed
    }
}

/// How one item ended.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// Written.
    Written,
    /// Deleted (or already gone).
    Deleted,
    /// Read (export).
    Read,
    /// The stored value already equals the file's (sync).
    Unchanged,
    /// Written by an earlier run with the same journal, not sent again.
    Skipped,
    /// A dry run would write it.
    WouldWrite,
    /// A dry run would delete it.
    WouldDelete,
    /// Failed.
    Failed(Error),
}

/// One item's outcome.
#[derive(Debug)]
pub struct ItemOutcome {
    /// The group (empty for a record that could not be read).
    pub group: String,
    /// The item id (empty for a record that could not be read).
    pub id: String,
    /// How it ended.
    pub outcome: Outcome,
}

/// The end of a run: its counts and every failed item.
#[derive(Debug)]
#[non_exhaustive]
pub struct BulkReport {
    /// The final counts.
    pub progress: BulkProgress,
    /// The failed items, in the order they ended.
    pub failures: Vec<ItemOutcome>,
    /// Groups whose listing hit [`MAX_LIST_ITEMS`]: items beyond it were not seen.
    pub truncated_groups: Vec<String>,
}

impl BulkReport {
    /// Whether no item failed.
    pub fn is_success(&self) -> bool {
        self.failures.is_empty()
    }
}

/// What a [`Bulk::sync`] does beside writing what differs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncOptions {
    /// Deletes the items of the groups in scope that the file does not have.
    pub delete_missing: bool,
    /// Reads and compares only: reports what would be written and deleted.
    pub dry_run: bool,
}

/// A bulk run on one namespace of one network. Made by [`EdgeKvClient::bulk`]; its rate is
/// shared by all its operations, one after the other or at once.
#[derive(Debug)]
pub struct Bulk {
    client: EdgeKvClient,
    network: Network,
    namespace: String,
    sandbox: Option<String>,
    options: BulkOptions,
    rate: Arc<AdaptiveRate>,
    throttled: Arc<AtomicU64>,
}

impl EdgeKvClient {
    /// A bulk run on `namespace` of `network` (see [`bulk`](crate::edgekv::bulk)).
    pub fn bulk(
        &self,
        network: Network,
        namespace: impl Into<String>,
        options: BulkOptions,
    ) -> Bulk {
        let retry = self
            .runtime()
            .settings()
            .retry()
            .clone()
            .with_throttle_retries(false);
        Bulk {
            client: self.with_retry(retry),
            network,
            namespace: namespace.into(),
            sandbox: None,
            rate: Arc::new(AdaptiveRate::new(options.initial_rate, options.max_rate)),
            throttled: Arc::new(AtomicU64::new(0)),
            options,
        }
    }
}

/// What to do with one item.
enum Action {
    Put(ItemValue),
    Delete,
    Sync(ItemValue),
    Invalid(Error),
}

struct Op {
    group: String,
    id: String,
    action: Action,
    dry_run: bool,
}

impl Op {
    fn new(group: String, id: String, action: Action) -> Self {
        Self {
            group,
            id,
            action,
            dry_run: false,
        }
    }

    fn journal_line(&self) -> Option<String> {
        match &self.action {
            Action::Put(value) => Some(journal::put_line(&self.group, &self.id, value)),
            Action::Delete => Some(journal::delete_line(&self.group, &self.id)),
            Action::Sync(_) | Action::Invalid(_) => None,
        }
    }
}

/// A malformed record as a failed item.
fn invalid(error: BulkError) -> Result<Op, BulkError> {
    match error {
        BulkError::Record { .. } => Ok(Op::new(
            String::new(),
            String::new(),
            Action::Invalid(Error::InvalidInput(error.to_string())),
        )),
        other => Err(other),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Counts outcomes and reports progress.
struct Tracker {
    progress: BulkProgress,
    started: Instant,
    reported_at: Instant,
    reported_done: u64,
    every: Duration,
    on_progress: Option<ProgressFn>,
    rate: Arc<AdaptiveRate>,
    throttled: Arc<AtomicU64>,
    throttled_at_start: u64,
}

impl Tracker {
    fn new(bulk: &Bulk, total: Option<u64>) -> Self {
        let now = Instant::now();
        let throttled_at_start = bulk.throttled.load(Ordering::Relaxed);
        Self {
            progress: BulkProgress {
                total,
                ..BulkProgress::default()
            },
            started: now,
            reported_at: now,
            reported_done: 0,
            every: bulk.options.progress_every,
            on_progress: bulk.options.on_progress.clone(),
            rate: bulk.rate.clone(),
            throttled: bulk.throttled.clone(),
            throttled_at_start,
        }
    }

    fn observe(&mut self, outcome: &Outcome) {
        let p = &mut self.progress;
        match outcome {
            Outcome::Written | Outcome::WouldWrite => p.written += 1,
            Outcome::Deleted | Outcome::WouldDelete => p.deleted += 1,
            Outcome::Read => p.read += 1,
            Outcome::Unchanged => p.unchanged += 1,
            Outcome::Skipped => p.skipped += 1,
            Outcome::Failed(_) => p.failed += 1,
        }
        if self.reported_at.elapsed() >= self.every {
            self.report(false);
        }
    }

    fn report(&mut self, last: bool) {
        let now = Instant::now();
        let p = &mut self.progress;
        p.throttled = self.throttled.load(Ordering::Relaxed) - self.throttled_at_start;
        p.rate = self.rate.rate();
        p.elapsed = now.duration_since(self.started);
        let done = p.done();
        let window = now.duration_since(self.reported_at).as_secs_f64();
        if window > 0.0 {
            p.throughput = (done - self.reported_done) as f64 / window;
        }
        p.eta = match p.total {
            Some(total) if last || total <= done => Some(Duration::ZERO),
            Some(total) if p.throughput > 0.0 => Some(Duration::from_secs_f64(
                (total - done) as f64 / p.throughput,
            )),
            _ => None,
        };
        self.reported_at = now;
        self.reported_done = done;
        tracing::info!(
            target: "akamai_sdk::edgekv::bulk",
            done,
            total = p.total,
            written = p.written,
            deleted = p.deleted,
            unchanged = p.unchanged,
            skipped = p.skipped,
            read = p.read,
            failed = p.failed,
            throttled = p.throttled,
            rate = format_args!("{:.1}", p.rate),
            throughput = format_args!("{:.1}", p.throughput),
            eta_s = p.eta.map(|eta| eta.as_secs()),
            finished = last,
            "bulk progress"
        );
        if let Some(on_progress) = &self.on_progress {
            on_progress(p);
        }
    }
}

/// The outcomes of a run as a stream, with its counts.
struct Run<S> {
    outcomes: S,
    tracker: Arc<Mutex<Tracker>>,
}

impl Bulk {
    /// Works in the sandbox `sandbox_id`.
    pub fn sandbox(mut self, sandbox_id: impl Into<String>) -> Self {
        self.sandbox = Some(sandbox_id.into());
        self
    }

    /// The current rate, in requests per second.
    pub fn rate(&self) -> f64 {
        self.rate.rate()
    }

    /// 429 answers this run has had.
    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }

    fn group(&self, group: &str) -> ItemGroup<'_> {
        let items = self.client.group(self.network, &self.namespace, group);
        match &self.sandbox {
            Some(sandbox) => items.sandbox(sandbox),
            None => items,
        }
    }

    fn open_journal(&self) -> Result<Option<Journal>, BulkError> {
        self.options
            .journal
            .as_deref()
            .map(|path| Journal::open(path, self.network, &self.namespace))
            .transpose()
    }

    /// Runs `call` at the run's rate: each attempt waits for its turn, and a 429 slows the
    /// rate and is sent again.
    async fn limited<T, F, Fut>(&self, mut call: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let mut throttled = 0;
        loop {
            let sent = self.rate.acquire().await;
            match call().await {
                Err(error) if error.is_rate_limited() => {
                    self.throttled.fetch_add(1, Ordering::Relaxed);
                    let wait = error.api().and_then(|a| a.retry_after(SystemTime::now()));
                    // The client's retry budget bounds a server's wait as it bounds a retry's:
                    // asked to wait longer, the item fails with the 429 and the run goes on.
                    let budget = self.client.runtime().settings().retry().max_total_wait();
                    if wait.is_some_and(|wait| wait > budget) {
                        self.rate.throttled(sent, None);
                        return Err(error);
                    }
                    self.rate.throttled(sent, wait);
                    throttled += 1;
                    if throttled > self.options.max_throttled {
                        return Err(error);
                    }
                }
                result => {
                    if result
                        .as_ref()
                        .map_or_else(|e| e.status().is_some(), |_| true)
                    {
                        self.rate.succeeded();
                    }
                    return result;
                }
            }
        }
    }

    async fn perform(&self, op: Op) -> Outcome {
        let group = self.group(&op.group);
        let id = op.id.as_str();
        let result = match op.action {
            Action::Invalid(error) => Err(error),
            Action::Put(value) => self
                .limited(|| group.put(id, &value))
                .await
                .map(|_| Outcome::Written),
            Action::Delete if op.dry_run => Ok(Outcome::WouldDelete),
            Action::Delete => match self.limited(|| group.delete(id)).await {
                Ok(_) => Ok(Outcome::Deleted),
                // Gone already (or a retry after an answer that was lost).
                Err(error) if error.is_not_found() => Ok(Outcome::Deleted),
                Err(error) => Err(error),
            },
            Action::Sync(value) => match self.limited(|| group.get(id)).await {
                Ok(stored) if same(&stored, &value) => Ok(Outcome::Unchanged),
                Err(error) if !error.is_not_found() => Err(error),
                _ if op.dry_run => Ok(Outcome::WouldWrite),
                _ => self
                    .limited(|| group.put(id, &value))
                    .await
                    .map(|_| Outcome::Written),
            },
        };
        result.unwrap_or_else(Outcome::Failed)
    }

    /// Runs `ops`: each at the run's rate, `concurrency` at a time, skipping and recording
    /// what the journal holds.
    fn run<'a, S>(
        &'a self,
        ops: S,
        journal: Option<Journal>,
        total: Option<u64>,
    ) -> Run<impl Stream<Item = Result<ItemOutcome, BulkError>> + 'a>
    where
        S: Stream<Item = Result<Op, BulkError>> + 'a,
    {
        let journal = Arc::new(Mutex::new(journal));
        let tracker = Arc::new(Mutex::new(Tracker::new(self, total)));
        let seen = journal.clone();
        let started = ops
            .map(move |op| {
                let op = match op {
                    Ok(op) => op,
                    Err(error) => return Either::Left(futures::future::ready(Err(error))),
                };
                let line = op.journal_line();
                let done_before = match (&line, &*lock(&seen)) {
                    (Some(line), Some(journal)) => journal.contains(line),
                    _ => false,
                };
                let (group, id) = (op.group.clone(), op.id.clone());
                let outcome = if done_before {
                    Either::Left(futures::future::ready(Outcome::Skipped))
                } else {
                    Either::Right(self.perform(op))
                };
                Either::Right(
                    outcome.map(move |outcome| Ok((ItemOutcome { group, id, outcome }, line))),
                )
            })
            .buffer_unordered(self.options.concurrency);
        let counts = tracker.clone();
        let last = tracker.clone();
        let outcomes = started
            .map(move |done| {
                let (outcome, line) = done?;
                if matches!(outcome.outcome, Outcome::Written | Outcome::Deleted) {
                    if let (Some(line), Some(journal)) = (line, lock(&journal).as_mut()) {
                        journal.record(&line)?;
                    }
                }
                lock(&counts).observe(&outcome.outcome);
                Ok(Some(outcome))
            })
            // The final report, once every item has ended.
            .chain(stream::once(async move {
                lock(&last).report(true);
                Ok(None)
            }))
            .filter_map(|outcome| futures::future::ready(outcome.transpose()));
        Run { outcomes, tracker }
    }

    /// Drives a run to its end and reports it.
    async fn finish<S>(
        &self,
        run: Run<S>,
        truncated_groups: Vec<String>,
    ) -> Result<BulkReport, BulkError>
    where
        S: Stream<Item = Result<ItemOutcome, BulkError>>,
    {
        let mut failures = Vec::new();
        let mut outcomes = std::pin::pin!(run.outcomes);
        while let Some(outcome) = outcomes.next().await {
            let outcome = outcome?;
            if matches!(outcome.outcome, Outcome::Failed(_)) {
                failures.push(outcome);
            }
        }
        Ok(BulkReport {
            progress: lock(&run.tracker).progress.clone(),
            failures,
            truncated_groups,
        })
    }

    /// Writes every item of `items` and reports each one's outcome as it ends (in the order
    /// they end), and the progress as [`BulkOptions::on_progress`] asks (the last report once
    /// the stream has ended). Lazy: nothing is sent until the stream is polled; dropping it
    /// stops the run and loses no acknowledged write (see [`BulkOptions::journal`]).
    ///
    /// Fails at once if the journal cannot be opened.
    pub fn put<'a, S>(
        &'a self,
        items: S,
    ) -> Result<impl Stream<Item = Result<ItemOutcome, BulkError>> + 'a, BulkError>
    where
        S: Stream<Item = BulkItem> + 'a,
    {
        Ok(self.put_run(items)?.outcomes)
    }

    /// The run of [`Bulk::put`] and [`Bulk::put_all`].
    fn put_run<'a, S>(
        &'a self,
        items: S,
    ) -> Result<Run<impl Stream<Item = Result<ItemOutcome, BulkError>> + 'a>, BulkError>
    where
        S: Stream<Item = BulkItem> + 'a,
    {
        let journal = self.open_journal()?;
        let ops = items.map(|item| Ok(Op::new(item.group, item.id, Action::Put(item.value))));
        Ok(self.run(ops, journal, None))
    }

    /// Deletes every `(group, id)` of `keys` (an item already gone counts as deleted) and
    /// reports each one's outcome as it ends, as [`Bulk::put`] does.
    pub fn delete<'a, S>(
        &'a self,
        keys: S,
    ) -> Result<impl Stream<Item = Result<ItemOutcome, BulkError>> + 'a, BulkError>
    where
        S: Stream<Item = (String, String)> + 'a,
    {
        let journal = self.open_journal()?;
        let ops = keys.map(|(group, id)| Ok(Op::new(group, id, Action::Delete)));
        Ok(self.run(ops, journal, None).outcomes)
    }

    /// Writes every item of `items` and reports the run at its end.
    pub async fn put_all<S>(&self, items: S) -> Result<BulkReport, BulkError>
    where
        S: Stream<Item = BulkItem>,
    {
        self.finish(self.put_run(items)?, Vec::new()).await
    }

    /// Imports the file at `path`: every record is written (records without a group go to
    /// `group`; a CSV file needs it). The file is counted first, for the estimated time left,
    /// then read one record at a time.
    pub async fn import(
        &self,
        path: &Path,
        format: &FileFormat,
        group: Option<&str>,
    ) -> Result<BulkReport, BulkError> {
        let total = format::count_records(path, format)?;
        let reader = format::Reader::open(path, format, group)?;
        let journal = self.open_journal()?;
        let ops = stream::iter(reader).map(|record| match record {
            Ok(item) => Ok(Op::new(item.group, item.id, Action::Put(item.value))),
            Err(error) => invalid(error),
        });
        self.finish(self.run(ops, journal, Some(total)), Vec::new())
            .await
    }

    /// The groups in scope: `group`, or every group of the namespace.
    async fn groups(&self, group: Option<&str>) -> Result<Vec<String>, BulkError> {
        Ok(match group {
            Some(group) => vec![group.to_owned()],
            None => {
                self.limited(|| self.client.namespace_groups(self.network, &self.namespace))
                    .await?
            }
        })
    }

    /// The ids of `group` (at most [`MAX_LIST_ITEMS`]), and whether the listing was cut there.
    async fn ids(&self, group: &str) -> Result<(Vec<String>, bool), BulkError> {
        let items = self.group(group);
        let ids = self.limited(|| items.list(Some(MAX_LIST_ITEMS))).await?;
        let cut = ids.len() >= MAX_LIST_ITEMS as usize;
        if cut {
            tracing::warn!(
                target: "akamai_sdk::edgekv::bulk",
                group,
                "the group listing answered {MAX_LIST_ITEMS} ids, the API's limit: items beyond it are not seen"
            );
        }
        Ok((ids, cut))
    }

    /// Exports `group` (or every group of the namespace) to `out` as JSON Lines, one item per
    /// line in listing order, values read `concurrency` at a time at the run's rate. An item
    /// deleted between the listing and its read is left out; any other failed read is a
    /// failed item of the report.
    pub async fn export(
        &self,
        group: Option<&str>,
        out: &mut (impl Write + ?Sized),
    ) -> Result<BulkReport, BulkError> {
        let groups = self.groups(group).await?;
        let tracker = Arc::new(Mutex::new(Tracker::new(self, None)));
        let mut failures = Vec::new();
        let mut truncated = Vec::new();
        for group in &groups {
            let (ids, cut) = self.ids(group).await?;
            if cut {
                truncated.push(group.clone());
            }
            let items = self.group(group);
            let items = &items;
            let mut reads = std::pin::pin!(stream::iter(ids)
                .map(|id| async move {
                    let read = self.limited(|| items.get(&id)).await;
                    (id, read)
                })
                .buffered(self.options.concurrency));
            while let Some((id, read)) = reads.next().await {
                let outcome = match read {
                    Ok(item) => {
                        format::write_record(out, group, &id, &item).map_err(BulkError::Output)?;
                        Outcome::Read
                    }
                    Err(error) if error.is_not_found() => continue,
                    Err(error) => Outcome::Failed(error),
                };
                lock(&tracker).observe(&outcome);
                if matches!(outcome, Outcome::Failed(_)) {
                    failures.push(ItemOutcome {
                        group: group.clone(),
                        id,
                        outcome,
                    });
                }
            }
        }
        out.flush().map_err(BulkError::Output)?;
        let mut tracker = lock(&tracker);
        tracker.report(true);
        Ok(BulkReport {
            progress: tracker.progress.clone(),
            failures,
            truncated_groups: truncated,
        })
    }

    /// Exports `group` (or every group of the namespace) to a new file at `path` (see
    /// [`Bulk::export`]); the file is complete only when this returns `Ok`.
    pub async fn export_to_file(
        &self,
        group: Option<&str>,
        path: &Path,
    ) -> Result<BulkReport, BulkError> {
        let write_error = |source| BulkError::Write {
            path: path.to_owned(),
            source,
        };
        let file = std::fs::File::create(path).map_err(write_error)?;
        let mut out = io::BufWriter::new(file);
        let report = self.export(group, &mut out).await.map_err(|e| match e {
            BulkError::Output(source) => write_error(source),
            other => other,
        })?;
        let file = out.into_inner().map_err(|e| write_error(e.into_error()))?;
        file.sync_all().map_err(write_error)?;
        Ok(report)
    }

    /// Makes `group` (or every group the file names) equal to the file at `path`: each record
    /// is read back from the API and written only if its bytes or content type differ (or it
    /// is missing); with [`SyncOptions::delete_missing`], the items of the groups in scope
    /// (`group`, else every group of the namespace) that the file does not have are deleted.
    /// With [`SyncOptions::dry_run`] nothing is written or deleted: the report counts what
    /// would be ([`BulkProgress::written`], [`BulkProgress::deleted`]).
    ///
    /// The ids of the file are kept in memory (16 bytes each) to find what it does not have.
    pub async fn sync(
        &self,
        path: &Path,
        format: &FileFormat,
        group: Option<&str>,
        options: SyncOptions,
    ) -> Result<BulkReport, BulkError> {
        let total = format::count_records(path, format)?;
        let reader = format::Reader::open(path, format, group)?;
        let keys = Arc::new(Mutex::new(HashSet::<u128>::new()));
        let in_file = keys.clone();
        let dry_run = options.dry_run;
        let file_ops = stream::iter(reader).map(move |record| {
            let mut op = match record {
                Ok(item) => {
                    lock(&in_file).insert(key_digest(&item.group, &item.id));
                    Op::new(item.group, item.id, Action::Sync(item.value))
                }
                Err(error) => invalid(error)?,
            };
            op.dry_run = dry_run;
            Ok(op)
        });
        let truncated = Arc::new(Mutex::new(Vec::new()));
        let cut = truncated.clone();
        let deletes = stream::once(async move {
            if !options.delete_missing {
                return stream::iter(Vec::new());
            }
            let mut ops = Vec::new();
            let groups = match self.groups(group).await {
                Ok(groups) => groups,
                Err(error) => return stream::iter(vec![Err(error)]),
            };
            for group in groups {
                match self.ids(&group).await {
                    Ok((ids, was_cut)) => {
                        if was_cut {
                            lock(&cut).push(group.clone());
                        }
                        let known = lock(&keys);
                        ops.extend(
                            ids.into_iter()
                                .filter(|id| !known.contains(&key_digest(&group, id)))
                                .map(|id| {
                                    let mut op = Op::new(group.clone(), id, Action::Delete);
                                    op.dry_run = dry_run;
                                    Ok(op)
                                }),
                        );
                    }
                    Err(error) => ops.push(Err(error)),
                }
            }
            stream::iter(ops)
        })
        .flatten();
        let run = self.run(file_ops.chain(deletes), None, Some(total));
        let mut report = self.finish(run, Vec::new()).await?;
        report.truncated_groups = std::mem::take(&mut *lock(&truncated));
        Ok(report)
    }
}

/// Whether a stored item holds `value`: the same bytes and content type.
fn same(stored: &Item, value: &ItemValue) -> bool {
    stored.as_bytes() == value.as_bytes()
        && stored
            .content_type()
            .is_some_and(|ct| ct.eq_ignore_ascii_case(value.content_type()))
}

fn key_digest(group: &str, id: &str) -> u128 {
    use sha2::{Digest, Sha256};
    let hash = Sha256::new()
        .chain_update(group.as_bytes())
        .chain_update([0])
        .chain_update(id.as_bytes())
        .finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&hash[..16]);
    u128::from_le_bytes(first)
}
