//! Streaming every child account: memory stays flat while the list grows, and the one-page
//! prefetch hides the server's latency behind the consumer's work.
//!
//! `cargo bench -p akamai-sdk --bench linode_stream` prints, against a loopback server:
//!
//! * the peak resident memory (Linux `VmHWM`, reset between phases through
//!   `/proc/self/clear_refs`) while streaming 200 pages of 500 accounts and dropping each one,
//!   against collecting them all into a `Vec`;
//! * the time to go through 40 pages when the server takes 20 ms per page and the consumer
//!   20 ms per page, page by page (`page(n)` in a loop) against `stream()`.

use std::time::{Duration, Instant};

use akamai_sdk::config::HttpConfig;
use akamai_sdk::linode::LinodeClient;
use futures::{StreamExt, TryStreamExt};

#[path = "support/linode_server.rs"]
#[allow(dead_code)]
mod server;

fn client(base_url: &str) -> LinodeClient {
    LinodeClient::builder()
        .token("bench-token")
        .base_url(base_url)
        .http_config(HttpConfig::new().allow_insecure_loopback(true))
        .build()
        .expect("client")
}

/// Peak resident set size in KiB since the last reset, if the platform tells.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn current_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets the peak to the current RSS (Linux 4.0+); false when not possible.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

async fn memory() {
    const PAGES: usize = 200;
    const PAGE_SIZE: usize = 500;
    let base_url = server::start(server::Routes {
        account: "{}".into(),
        page_data: server::page_data(PAGE_SIZE),
        page_size: PAGE_SIZE,
        pages: PAGES,
        page_latency: Duration::ZERO,
    });
    let client = client(&base_url);
    let request = client.child_accounts().page_size(PAGE_SIZE as u32);
    // Warm up connections and allocator.
    request.page(1).await.expect("page 1");

    if !reset_peak() {
        println!("memory: cannot reset the peak RSS here (no /proc/self/clear_refs); skipped");
        return;
    }
    let before = current_rss_kib().unwrap_or(0);
    let started = Instant::now();
    let mut count = 0usize;
    let mut stream = std::pin::pin!(request.clone().stream());
    while let Some(account) = stream.next().await {
        let account = account.expect("account");
        count += usize::from(account.euuid.is_some());
    }
    let streamed_peak = peak_rss_kib().unwrap_or(0);
    let streamed_time = started.elapsed();

    reset_peak();
    let before_collect = current_rss_kib().unwrap_or(0);
    let started = Instant::now();
    let all: Vec<_> = request.stream().try_collect().await.expect("collect");
    let collected_peak = peak_rss_kib().unwrap_or(0);
    let collected_time = started.elapsed();
    assert_eq!(all.len(), count);
    drop(all);

    println!(
        "memory: {count} accounts in {PAGES} pages of {PAGE_SIZE}: streamed with peak RSS +{:.1} MiB \
         ({:.2} s); collected into a Vec with peak RSS +{:.1} MiB ({:.2} s)",
        mib(streamed_peak.saturating_sub(before)),
        streamed_time.as_secs_f64(),
        mib(collected_peak.saturating_sub(before_collect)),
        collected_time.as_secs_f64(),
    );
}

async fn prefetch() {
    const PAGES: usize = 40;
    const LATENCY: Duration = Duration::from_millis(20);
    const WORK: Duration = Duration::from_millis(20);
    let base_url = server::start(server::Routes {
        account: "{}".into(),
        page_data: server::page_data(25),
        page_size: 25,
        pages: PAGES,
        page_latency: LATENCY,
    });
    let client = client(&base_url);
    let request = client.child_accounts().page_size(25);

    let started = Instant::now();
    for page in 1..=PAGES as u64 {
        let page = request.page(page).await.expect("page");
        assert_eq!(page.data.len(), 25);
        tokio::time::sleep(WORK).await;
    }
    let sequential = started.elapsed();

    let started = Instant::now();
    let mut stream = std::pin::pin!(request.stream());
    let mut seen = 0;
    while let Some(account) = stream.next().await {
        account.expect("account");
        seen += 1;
        if seen % 25 == 0 {
            tokio::time::sleep(WORK).await;
        }
    }
    let streamed = started.elapsed();
    assert_eq!(seen, PAGES * 25);

    println!(
        "prefetch: {PAGES} pages, {} ms server latency and {} ms consumer work per page: \
         page by page {:.0} ms ({:.1} ms/page), stream() {:.0} ms ({:.1} ms/page)",
        LATENCY.as_millis(),
        WORK.as_millis(),
        sequential.as_secs_f64() * 1e3,
        sequential.as_secs_f64() * 1e3 / PAGES as f64,
        streamed.as_secs_f64() * 1e3,
        streamed.as_secs_f64() * 1e3 / PAGES as f64,
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        memory().await;
        prefetch().await;
    });
}
