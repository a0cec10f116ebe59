//! `aksdk edgekv import`, `export` and `sync`: the SDK's bulk layer with a progress bar (or
//! plain progress lines), a summary, and a clean stop on Ctrl-C.

use std::future::Future;
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::Path;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use akamai_sdk::edgekv::bulk::{
    BulkError, BulkOptions, BulkProgress, BulkReport, FileFormat, Outcome, SyncOptions,
};
use akamai_sdk::edgekv::EdgeKvClient;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::args::{CsvColumns, ExportArgs, ImportArgs, Rate, SyncArgs};
use crate::failure::{describe, Failure, API_FAILURE};
use crate::output;

/// How often the bulk run reports its progress (the bar is redrawn then).
const REPORT_EVERY: Duration = Duration::from_millis(250);
/// How often a plain progress line is printed when stderr is not a terminal.
const LINE_EVERY: Duration = Duration::from_secs(5);
/// Failed items printed one by one; the rest are counted.
const SHOWN_FAILURES: usize = 20;

/// The format of a file: `*.csv` is CSV (with `--key`, and `--value` to store one column as
/// text), anything else JSON Lines.
fn file_format(path: &Path, columns: &CsvColumns) -> Result<FileFormat, Failure> {
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    match (is_csv, &columns.key, &columns.value) {
        (true, Some(key), None) => Ok(FileFormat::csv(key)),
        (true, Some(key), Some(value)) => Ok(FileFormat::csv_value(key, value)),
        (true, None, _) => Err(Failure::usage(format!(
            "{} is read as CSV (its name ends in .csv): --key COLUMN names the column of the \
             item ids",
            path.display()
        ))),
        (false, None, None) => Ok(FileFormat::JsonLines),
        (false, _, _) => Err(Failure::usage(format!(
            "--key and --value are for a .csv file, and {} is read as JSON Lines",
            path.display()
        ))),
    }
}

/// Progress on stderr: a bar on a terminal, otherwise a plain line every few seconds.
struct Progress {
    verb: &'static str,
    bar: Option<ProgressBar>,
    /// The latest report, for the plain lines.
    latest: Arc<Mutex<Option<BulkProgress>>>,
}

impl Progress {
    fn new(verb: &'static str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(spinner_style());
            bar.set_prefix(verb);
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Self {
            verb,
            bar,
            latest: Arc::default(),
        }
    }

    /// The bulk options that report to this display, with `--max-rate`.
    fn options(&self, rate: &Rate) -> BulkOptions {
        let mut options = BulkOptions::new();
        if let Some(max) = rate.max_rate {
            options = options.max_rate(max);
        }
        let bar = self.bar.clone();
        let latest = Arc::clone(&self.latest);
        options.progress_every(REPORT_EVERY).on_progress(move |p| {
            if let Some(bar) = &bar {
                if let Some(total) = p.total {
                    let total = total.max(p.done());
                    if bar.length() != Some(total) {
                        bar.set_length(total);
                        bar.set_style(bar_style());
                    }
                }
                bar.set_position(p.done());
                bar.set_message(counts(p));
            }
            *lock(&latest) = Some(p.clone());
        })
    }

    /// Prints the latest report as a plain line (when there is no bar).
    fn line(&self) {
        if self.bar.is_some() {
            return;
        }
        if let Some(p) = lock(&self.latest).as_ref() {
            let done = match p.total {
                Some(total) => format!("{}/{} items", p.done(), total.max(p.done())),
                None => format!("{} items", p.done()),
            };
            eprintln!("{}: {done}, {}", self.verb, counts(p));
        }
    }

    fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {prefix}: {pos} items  {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {prefix}: [{wide_bar}] {pos}/{len}  {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// The counts of a progress report, for the bar's message and the plain lines.
fn counts(p: &BulkProgress) -> String {
    let mut parts = Vec::new();
    if p.written > 0 || p.read == 0 {
        parts.push(format!("{} written", p.written));
    }
    for (n, what) in [
        (p.read, "read"),
        (p.deleted, "deleted"),
        (p.unchanged, "unchanged"),
        (p.skipped, "skipped"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    parts.push(format!("{} failed", p.failed));
    parts.push(format!("{} throttled", p.throttled));
    parts.push(format!("rate {:.0}/s", p.rate));
    if let Some(eta) = p.eta {
        parts.push(format!("ETA {}", seconds_text(eta)));
    }
    parts.join(", ")
}

fn seconds_text(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 3600 {
        format!("{}h{:02}m", secs / 3600, secs % 3600 / 60)
    } else if secs >= 60 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}

/// Runs a bulk future until it ends or Ctrl-C (`None`), printing a plain progress line every
/// few seconds when there is no bar. The future is dropped before this returns, which stops
/// the run between two requests and closes (and syncs) its journal.
async fn interruptible<F>(run: F, progress: &Progress) -> Result<Option<BulkReport>, BulkError>
where
    F: Future<Output = Result<BulkReport, BulkError>>,
{
    let mut run = pin!(run);
    let mut ctrl_c = pin!(tokio::signal::ctrl_c());
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + LINE_EVERY, LINE_EVERY);
    loop {
        tokio::select! {
            report = &mut run => return report.map(Some),
            signal = &mut ctrl_c => return match signal {
                Ok(()) => Ok(None),
                // No signal handling here: run to the end.
                Err(_) => run.await.map(Some),
            },
            _ = ticker.tick() => progress.line(),
        }
    }
}

/// Prints the summary and the failed items; a failed item makes the exit status 1.
fn summary(verb: &str, report: &BulkReport, written: u64, json: bool) -> Result<(), Failure> {
    let p = &report.progress;
    let seconds = (p.elapsed.as_secs_f64() * 1000.0).round() / 1000.0;
    if json {
        // In the documented order: written, failed, throttled, seconds; then the other counts.
        let mut out = output::stdout();
        writeln!(
            out,
            "{{\"written\": {written}, \"failed\": {}, \"throttled\": {}, \"seconds\": {}, \
             \"skipped\": {}, \"deleted\": {}, \"unchanged\": {}}}",
            p.failed,
            p.throttled,
            serde_json::Value::from(seconds),
            p.skipped,
            p.deleted,
            p.unchanged
        )?;
        out.flush()?;
    } else {
        let mut parts = vec![format!("{written} written")];
        for (n, what) in [
            (p.skipped, "skipped (in the journal)"),
            (p.deleted, "deleted"),
            (p.unchanged, "unchanged"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        parts.push(format!("{} failed", p.failed));
        parts.push(format!("{} throttled", p.throttled));
        eprintln!("{verb}: {} in {seconds:.1} s", parts.join(", "));
    }
    for group in &report.truncated_groups {
        eprintln!(
            "warning: the group `{group}` holds more items than one listing answers ({}); \
             those beyond it were not seen",
            akamai_sdk::edgekv::bulk::MAX_LIST_ITEMS
        );
    }
    for failure in report.failures.iter().take(SHOWN_FAILURES) {
        let Outcome::Failed(error) = &failure.outcome else {
            continue;
        };
        let reason = crate::failure::one_line(&describe(error));
        if failure.id.is_empty() {
            eprintln!("failed: {reason}");
        } else {
            eprintln!("failed: {}/{}: {reason}", failure.group, failure.id);
        }
    }
    if report.failures.len() > SHOWN_FAILURES {
        eprintln!(
            "failed: … and {} more",
            report.failures.len() - SHOWN_FAILURES
        );
    }
    if report.is_success() {
        Ok(())
    } else {
        eprintln!("error: {} items failed", report.failures.len());
        Err(Failure::quiet(API_FAILURE))
    }
}

/// The acknowledged writes a journal holds (its lines after the header).
fn journal_writes(path: &Path) -> Option<usize> {
    let file = std::fs::File::open(path).ok()?;
    let lines = std::io::BufReader::new(file).lines().count();
    Some(lines.saturating_sub(1))
}

pub(crate) async fn import(client: &EdgeKvClient, args: ImportArgs) -> Result<(), Failure> {
    let format = file_format(&args.file, &args.csv)?;
    if matches!(format, FileFormat::Csv { .. }) && args.place.group.is_none() {
        return Err(Failure::usage(
            "the items of a CSV file go to one group: name it with --group G",
        ));
    }
    let progress = Progress::new("import");
    let mut options = progress.options(&args.rate);
    if let Some(journal) = &args.journal {
        options = options.journal(journal);
    }
    let bulk = client.bulk(args.place.network.into(), &args.place.namespace, options);
    let run = bulk.import(&args.file, &format, args.place.group.as_deref());
    let report = interruptible(run, &progress).await;
    progress.clear();
    match report? {
        Some(report) => summary("import", &report, report.progress.written, args.output.json),
        None => Err(Failure::interrupted(match &args.journal {
            Some(journal) => format!(
                "the journal {} holds {} acknowledged writes; run the same command to resume",
                journal.display(),
                journal_writes(journal).unwrap_or(0)
            ),
            None => {
                "without --journal, running the command again writes every item again".to_owned()
            }
        })),
    }
}

pub(crate) async fn export(client: &EdgeKvClient, args: ExportArgs) -> Result<(), Failure> {
    if args.json && args.output_file.is_none() {
        return Err(Failure::usage(
            "--json prints the summary on stdout, where the export goes without --output FILE",
        ));
    }
    let progress = Progress::new("export");
    let options = progress.options(&args.rate);
    let bulk = client.bulk(args.place.network.into(), &args.place.namespace, options);
    let group = args.place.group.as_deref();
    let report = match &args.output_file {
        Some(path) => interruptible(bulk.export_to_file(group, path), &progress).await,
        None => {
            let mut out = output::stdout();
            interruptible(bulk.export(group, &mut out), &progress).await
        }
    };
    progress.clear();
    match report {
        Ok(Some(report)) => summary("export", &report, report.progress.read, args.json),
        Ok(None) => Err(Failure::interrupted(match &args.output_file {
            Some(path) => format!("the export in {} is incomplete", path.display()),
            None => "the export is incomplete".to_owned(),
        })),
        Err(BulkError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn sync(client: &EdgeKvClient, args: SyncArgs) -> Result<(), Failure> {
    let format = file_format(&args.file, &args.csv)?;
    if matches!(format, FileFormat::Csv { .. }) && args.place.group.is_none() {
        return Err(Failure::usage(
            "the items of a CSV file go to one group: name it with --group G",
        ));
    }
    let progress = Progress::new("sync");
    let options = progress.options(&args.rate);
    let bulk = client.bulk(args.place.network.into(), &args.place.namespace, options);
    let sync_options = SyncOptions {
        delete_missing: args.delete_missing,
        dry_run: args.dry_run,
    };
    let run = bulk.sync(
        &args.file,
        &format,
        args.place.group.as_deref(),
        sync_options,
    );
    let report = interruptible(run, &progress).await;
    progress.clear();
    let verb = if args.dry_run {
        "sync (dry run: nothing sent; written and deleted say what would be)"
    } else {
        "sync"
    };
    match report? {
        Some(report) => summary(verb, &report, report.progress.written, args.output.json),
        None => Err(Failure::interrupted(
            "run the same command again: a sync writes only what differs",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(key: Option<&str>, value: Option<&str>) -> CsvColumns {
        CsvColumns {
            key: key.map(str::to_owned),
            value: value.map(str::to_owned),
        }
    }

    #[test]
    fn the_file_name_chooses_the_format() {
        let csv = Path::new("codes.CSV");
        assert_eq!(
            file_format(csv, &columns(Some("code"), None)).unwrap(),
            FileFormat::csv("code")
        );
        assert_eq!(
            file_format(csv, &columns(Some("code"), Some("v"))).unwrap(),
            FileFormat::csv_value("code", "v")
        );
        assert_eq!(
            file_format(csv, &columns(None, None)).unwrap_err().code(),
            2
        );
        let lines = Path::new("items.jsonl");
        assert_eq!(
            file_format(lines, &columns(None, None)).unwrap(),
            FileFormat::JsonLines
        );
        assert_eq!(
            file_format(lines, &columns(Some("k"), None))
                .unwrap_err()
                .code(),
            2
        );
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(seconds_text(Duration::from_secs(42)), "42s");
        assert_eq!(seconds_text(Duration::from_secs(125)), "2m05s");
        assert_eq!(seconds_text(Duration::from_secs(3725)), "1h02m");
    }
}
