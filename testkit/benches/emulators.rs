//! Start-up time of both emulators and the requests per second they serve to the SDK on
//! loopback: `cargo bench -p akamai-sdk-testkit --bench emulators`.

use std::time::{Duration, Instant};

use akamai_sdk::config::HttpConfig;
use akamai_sdk::edgekv::{ItemValue, Network};
use akamai_sdk::retry::RetryPolicy;
use akamai_sdk_testkit::{EdgeKvEmulator, LinodeEmulator};
use futures::future::join_all;

fn per_second(n: usize, elapsed: Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64()
}

#[tokio::main]
async fn main() {
    let runs = 50;
    let start = Instant::now();
    for _ in 0..runs {
        drop(EdgeKvEmulator::start().await.expect("start"));
    }
    println!(
        "edgekv start-up: {:?} per emulator ({runs} runs)",
        start.elapsed() / runs
    );
    let start = Instant::now();
    for _ in 0..runs {
        drop(
            LinodeEmulator::builder()
                .children(120)
                .start()
                .await
                .expect("start"),
        );
    }
    println!(
        "linode start-up (120 children): {:?} per emulator ({runs} runs)",
        start.elapsed() / runs
    );

    let kv = EdgeKvEmulator::start().await.expect("start");
    let client = kv.client_with(HttpConfig::new().with_retry(RetryPolicy::disabled()));
    let group = client.group(Network::Staging, "default", "bench");
    group.put("k", &ItemValue::text("v")).await.expect("put");
    for concurrency in [1usize, 8] {
        let n = 4000;
        let start = Instant::now();
        let per_task = n / concurrency;
        join_all((0..concurrency).map(|_| {
            let group = group.clone();
            async move {
                for _ in 0..per_task {
                    group.get("k").await.expect("get");
                }
            }
        }))
        .await;
        println!(
            "edgekv signed GET item, {concurrency} concurrent: {:.0} requests/s",
            per_second(n, start.elapsed())
        );
    }

    let linode = LinodeEmulator::builder()
        .children(120)
        .start()
        .await
        .expect("start");
    let parent = linode.parent_client_with(HttpConfig::new().with_retry(RetryPolicy::disabled()));
    for concurrency in [1usize, 8] {
        let n = 4000;
        let start = Instant::now();
        let per_task = n / concurrency;
        join_all((0..concurrency).map(|_| {
            let parent = parent.clone();
            async move {
                for _ in 0..per_task {
                    parent.profile().await.expect("profile");
                }
            }
        }))
        .await;
        println!(
            "linode GET /profile, {concurrency} concurrent: {:.0} requests/s",
            per_second(n, start.elapsed())
        );
    }
}
