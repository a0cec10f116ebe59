//! What the Linode layer adds to a call: decoding with JSON-path errors against plain serde,
//! and a whole `GET /account` through `LinodeClient` (runtime span, retry bookkeeping, bearer
//! signer, path-tracking decode) against the same request made with bare `reqwest`, both on a
//! loopback server.
//!
//! `cargo bench -p akamai-sdk --bench linode_overhead`

use std::hint::black_box;
use std::time::Duration;

use akamai_sdk::config::HttpConfig;
use akamai_sdk::generated::linode::types;
use akamai_sdk::linode::{ChildAccountField, ChildAccountFilter, LinodeClient, Order};
use akamai_sdk::runtime::decode_json;
use criterion::{criterion_group, criterion_main, Criterion};

#[path = "support/linode_server.rs"]
#[allow(dead_code)]
mod server;

/// The generated page and child account (same field types, same open enum) without the
/// lenient decoding of their scalars: the plain serde derive the tolerant types are measured
/// against.
mod strict {
    use akamai_sdk::generated::DateTime;

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    pub(crate) struct Page {
        #[serde(default)]
        pub(crate) data: Vec<Account>,
        pub(crate) page: Option<i64>,
        pub(crate) pages: Option<i64>,
        pub(crate) results: Option<i64>,
    }

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    pub(crate) struct Account {
        active_since: Option<DateTime>,
        address_1: Option<String>,
        address_2: Option<String>,
        balance: Option<f64>,
        balance_uninvoiced: Option<f64>,
        // The generated open enum: its cost is the same in both, the lenient scalars are not.
        billing_source: Option<akamai_sdk::generated::linode::types::ChildAccountBillingSource>,
        #[serde(default)]
        capabilities: Vec<String>,
        city: Option<String>,
        company: Option<String>,
        country: Option<String>,
        credit_card: Option<Card>,
        email: Option<String>,
        euuid: Option<String>,
        first_name: Option<String>,
        last_name: Option<String>,
        phone: Option<String>,
        state: Option<String>,
        tax_id: Option<String>,
        zip: Option<String>,
    }

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    pub(crate) struct Card {
        expiry: Option<String>,
        last_four: Option<String>,
    }
}

fn decode(c: &mut Criterion) {
    let page = format!(
        r#"{{"data":{},"page":1,"pages":1,"results":500}}"#,
        server::page_data(500)
    );
    let mut group = c.benchmark_group("linode_decode_page_500");
    // The baseline: plain serde derive, no tolerance, into structs of the same shape.
    group.bench_function("serde_json_strict_mirror", |b| {
        b.iter(|| serde_json::from_str::<strict::Page>(black_box(&page)).unwrap())
    });
    // What a generated call does (progenitor decodes with serde_json into the generated,
    // lenient types).
    group.bench_function("serde_json", |b| {
        b.iter(|| serde_json::from_str::<types::ChildAccountsPage>(black_box(&page)).unwrap())
    });
    group.bench_function("sdk_decode_json", |b| {
        b.iter(|| {
            decode_json::<types::ChildAccountsPage>(None, black_box(page.as_bytes())).unwrap()
        })
    });
    group.finish();

    c.bench_function("linode_filter_to_json", |b| {
        b.iter(|| {
            ChildAccountFilter::new()
                .company(black_box("Acme"))
                .or([
                    ChildAccountFilter::new().country("US"),
                    ChildAccountFilter::new().contains(ChildAccountField::Email, "@acme"),
                ])
                .order_by(ChildAccountField::Email, Order::Desc)
                .to_json()
                .to_string()
        })
    });
}

fn call(c: &mut Criterion) {
    let base_url = server::start(server::Routes {
        account: server::child_account(1),
        page_data: "[]".into(),
        page_size: 100,
        pages: 1,
        page_latency: Duration::ZERO,
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = LinodeClient::builder()
        .token("bench-token")
        .base_url(&base_url)
        .http_config(HttpConfig::new().allow_insecure_loopback(true))
        .build()
        .unwrap();
    let with_deadline = LinodeClient::builder()
        .token("bench-token")
        .base_url(&base_url)
        .http_config(
            HttpConfig::new()
                .allow_insecure_loopback(true)
                .with_deadline(Duration::from_secs(30)),
        )
        .build()
        .unwrap();
    let raw = reqwest::Client::new();
    let url = format!("{base_url}/account");

    let mut group = c.benchmark_group("linode_get_account_loopback");
    group.bench_function("bare_reqwest", |b| {
        b.iter(|| {
            runtime.block_on(async {
                raw.get(&url)
                    .bearer_auth("bench-token")
                    .header("accept", "application/json")
                    .send()
                    .await
                    .unwrap()
                    .json::<types::Account>()
                    .await
                    .unwrap()
            })
        })
    });
    group.bench_function("linode_client", |b| {
        b.iter(|| runtime.block_on(async { client.account().await.unwrap() }))
    });
    group.bench_function("linode_client_with_deadline", |b| {
        b.iter(|| runtime.block_on(async { with_deadline.account().await.unwrap() }))
    });
    group.finish();
}

criterion_group!(benches, decode, call);
criterion_main!(benches);
