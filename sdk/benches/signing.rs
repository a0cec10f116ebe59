//! Signing a 1 KiB POST: the signer (cached keyed HMAC states) against the uncached
//! computation with the same crypto (RustCrypto `hmac` + `sha2`), in the same run.
//!
//! `cargo bench -p akamai-sdk --bench signing`

use std::hint::black_box;

use akamai_sdk::edgegrid::{
    sign_parts_uncached, Credentials, EdgeGridSigner, RequestParts, Timestamp,
};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};

const HOST: &str = "akaa-baseurl-xxxxxxxxxxx-xxxxxxxxxxxxx.luna.akamaiapis.net";
const PATH: &str = "/edgekv/v1/networks/staging/namespaces/bench/groups/g1/items/item-1";

fn nonce(buf: &mut [u8; uuid::fmt::Hyphenated::LENGTH]) -> &str {
    uuid::Uuid::new_v4().hyphenated().encode_lower(buf)
}

fn signing(c: &mut Criterion) {
    let credentials = Credentials::builder(
        HOST,
        "akab-client-token-xxx-xxxxxxxxxxxxxxxx",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=",
        "akab-access-token-xxx-xxxxxxxxxxxxxxxx",
    )
    .build()
    .expect("valid credentials");
    let signer = EdgeGridSigner::new(credentials.clone());
    let body = vec![b'x'; 1024];
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let parts = RequestParts {
        method: "POST",
        scheme: "https",
        host: HOST,
        path_and_query: PATH,
        headers: &headers,
        body: &body,
    };

    let mut group = c.benchmark_group("sign_1kib_post");
    group.throughput(Throughput::Elements(1));
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    group.bench_function("cached", |b| {
        b.iter(|| black_box(signer.sign_parts(&parts, &Timestamp::now(), nonce(&mut buf))))
    });
    group.bench_function("naive", |b| {
        b.iter(|| {
            black_box(sign_parts_uncached(
                &credentials,
                &parts,
                &Timestamp::now(),
                nonce(&mut buf),
            ))
        })
    });
    let url = reqwest::Url::parse(&format!("https://{HOST}{PATH}")).expect("valid URL");
    let mut request = reqwest::Request::new(reqwest::Method::POST, url);
    request.headers_mut().extend(headers.clone());
    *request.body_mut() = Some(body.clone().into());
    group.bench_function("request", |b| {
        b.iter(|| {
            signer.sign(&mut request).expect("signable");
            black_box(request.headers().len())
        })
    });
    group.finish();
}

criterion_group!(benches, signing);
criterion_main!(benches);
