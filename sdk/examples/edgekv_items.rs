//! Creates an EdgeKV namespace (unless it exists), writes an item as text, JSON and bytes,
//! reads each back byte for byte, lists the group and deletes the items.
//!
//! ```text
//! cargo run -p akamai-sdk --example edgekv_items -- \
//!     [--edgerc ~/.edgerc] [--section default] [--base-url https://{host}/edgekv/v1] \
//!     [--network staging|production] [--namespace sdk-example] [--group greetings] \
//!     [--access-group <id>]
//! ```
//!
//! `--base-url` points the client at another server (for a local mock server, an http URL on a
//! loopback host, which is then allowed); its host and port must be the `.edgerc` host, since
//! only requests to that host are signed. `--access-group` is the Akamai access group a new
//! namespace is created in (default: the first group the credentials may use).

use std::process::ExitCode;

use akamai_sdk::config::HttpConfig;
use akamai_sdk::edgegrid::Credentials;
use akamai_sdk::edgekv::{EdgeKvClient, ItemValue, Network, PostNamespaceBody};

#[derive(Debug)]
struct Args {
    edgerc: String,
    section: String,
    base_url: Option<String>,
    network: Network,
    namespace: String,
    group: String,
    access_group: Option<u64>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        edgerc: "~/.edgerc".into(),
        section: "default".into(),
        base_url: None,
        network: Network::Staging,
        namespace: "sdk-example".into(),
        group: "greetings".into(),
        access_group: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--edgerc" => args.edgerc = value()?,
            "--section" => args.section = value()?,
            "--base-url" => args.base_url = Some(value()?),
            "--network" => args.network = value()?.parse().map_err(|e| format!("{e}"))?,
            "--namespace" => args.namespace = value()?,
            "--group" => args.group = value()?,
            "--access-group" => {
                args.access_group = Some(
                    value()?
                        .parse()
                        .map_err(|_| "--access-group takes a number".to_owned())?,
                );
            }
            "-h" | "--help" => {
                return Err(
                    "usage: edgekv_items [--edgerc PATH] [--section NAME] [--base-url URL] \
                            [--network staging|production] [--namespace NS] [--group GROUP] \
                            [--access-group ID]"
                        .into(),
                )
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    Ok(args)
}

fn client(args: &Args) -> Result<EdgeKvClient, Box<dyn std::error::Error>> {
    let credentials = Credentials::from_edgerc(&args.edgerc, &args.section)?;
    let mut builder = EdgeKvClient::builder(credentials);
    if let Some(base_url) = &args.base_url {
        builder = builder
            .base_url(base_url)
            .http_config(HttpConfig::new().allow_insecure_loopback(true));
    }
    Ok(builder.build()?)
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let client = client(&args)?;
    let network = args.network;

    match client.namespace(network, &args.namespace).await {
        Ok(ns) => println!("namespace {} exists (group {})", ns.namespace, ns.group_id),
        Err(e) if e.is_not_found() || e.status().map(|s| s.as_u16()) == Some(400) => {
            let group_id = match args.access_group {
                Some(id) => id,
                None => client
                    .auth_groups()
                    .await?
                    .first()
                    .and_then(|g| u64::try_from(g.group_id).ok())
                    .ok_or("the credentials may use no access group")?,
            };
            let body: PostNamespaceBody = PostNamespaceBody::builder()
                .namespace(args.namespace.clone())
                .retention_in_seconds(0)
                .group_id(group_id)
                .try_into()?;
            let ns = client.create_namespace(network, &body).await?;
            println!(
                "created namespace {} in group {}",
                ns.namespace, ns.group_id
            );
        }
        Err(e) => return Err(e.into()),
    }

    let group = client.group(network, &args.namespace, &args.group);
    let values = [
        ("as-text", ItemValue::text(" \"Hello\", world ")),
        (
            "as-json",
            ItemValue::json(&serde_json::json!({"greeting": "Hello", "to": ["world"]}))?,
        ),
        ("as-bytes", ItemValue::bytes(vec![0x48, 0x69, 0x00, 0xff])),
    ];
    for (key, value) in &values {
        let answer = group.put(key, value).await?;
        println!("put {key} ({}): {answer}", value.content_type());
    }
    for (key, value) in &values {
        let item = group.get(key).await?;
        let same = item.as_bytes() == value.as_bytes();
        println!(
            "get {key}: {} bytes, content type {:?}, identical: {same}",
            item.as_bytes().len(),
            item.content_type()
        );
    }
    let greeting: serde_json::Value = group.get("as-json").await?.json()?;
    println!("as-json decoded: {greeting}");
    println!(
        "items in {}: {:?}",
        args.group,
        group.list(Some(100)).await?
    );
    for (key, _) in &values {
        group.delete(key).await?;
    }
    println!("deleted {} items", values.len());
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
