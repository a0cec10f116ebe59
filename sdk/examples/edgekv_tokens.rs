//! Creates an EdgeKV access token (or takes the existing one of that name), waits until it is
//! active, and merges it into `edgekv_tokens.js` for the EdgeWorkers `edgekv.js` helper.
//!
//! ```text
//! cargo run -p akamai-sdk --example edgekv_tokens -- --name my_token --namespace default \
//!     [--namespace other…] [--production] [--out edgekv_tokens.js] [--timeout 300] \
//!     [--edgerc ~/.edgerc] [--section default] [--base-url https://{host}/edgekv/v1]
//! ```
//!
//! The token gets read, write and delete permissions on each namespace, on staging (and on
//! production with `--production`). Existing entries of other namespaces in the output file
//! are kept; the file is replaced atomically. `--base-url` works as in `edgekv_items`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use akamai_sdk::config::HttpConfig;
use akamai_sdk::edgegrid::Credentials;
use akamai_sdk::edgekv::{
    EdgeKvClient, NewToken, Permission, TokensFile, WaitOptions, WaitOutcome,
};

#[derive(Debug)]
struct Args {
    edgerc: String,
    section: String,
    base_url: Option<String>,
    name: String,
    namespaces: Vec<String>,
    production: bool,
    out: PathBuf,
    timeout: Duration,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        edgerc: "~/.edgerc".into(),
        section: "default".into(),
        base_url: None,
        name: String::new(),
        namespaces: Vec::new(),
        production: false,
        out: PathBuf::from("edgekv_tokens.js"),
        timeout: Duration::from_secs(300),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--edgerc" => args.edgerc = value()?,
            "--section" => args.section = value()?,
            "--base-url" => args.base_url = Some(value()?),
            "--name" => args.name = value()?,
            "--namespace" => args.namespaces.push(value()?),
            "--production" => args.production = true,
            "--out" => args.out = PathBuf::from(value()?),
            "--timeout" => {
                let seconds: u64 = value()?
                    .parse()
                    .map_err(|_| "--timeout takes seconds".to_owned())?;
                args.timeout = Duration::from_secs(seconds);
            }
            "-h" | "--help" => {
                return Err(
                    "usage: edgekv_tokens --name NAME --namespace NS [--namespace NS…] \
                            [--production] [--out PATH] [--timeout SECONDS] [--edgerc PATH] \
                            [--section NAME] [--base-url URL]"
                        .into(),
                )
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    if args.name.is_empty() || args.namespaces.is_empty() {
        return Err("--name and at least one --namespace are required (try --help)".into());
    }
    Ok(args)
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let credentials = Credentials::from_edgerc(&args.edgerc, &args.section)?;
    let mut builder = EdgeKvClient::builder(credentials);
    if let Some(base_url) = &args.base_url {
        builder = builder
            .base_url(base_url)
            .http_config(HttpConfig::new().allow_insecure_loopback(true));
    }
    let client = builder.build()?;

    let mut request = NewToken::new(&args.name)
        .staging(true)
        .production(args.production);
    for namespace in &args.namespaces {
        request = request.namespace(namespace, [Permission::R, Permission::W, Permission::D]);
    }
    let token = match client.create_token(&request).await {
        Ok(token) => {
            println!("created token {} ({})", token.name, token.uuid);
            token
        }
        // 409: a token of that name exists; use it.
        Err(e) if e.status().map(|s| s.as_u16()) == Some(409) => {
            println!("token {} exists, using it", args.name);
            client.token(&args.name).await?
        }
        Err(e) => return Err(e.into()),
    };

    let wait = WaitOptions::new().with_timeout(args.timeout);
    let token = match client.wait_for_token(&token.name, wait).await? {
        WaitOutcome::Ready(token) => token,
        WaitOutcome::TimedOut(token) => {
            return Err(format!(
                "token {} is still {:?} after {:?}",
                token.name, token.activation_status, args.timeout
            )
            .into())
        }
    };
    let file = TokensFile::merge_into_file(&args.out, &token)?;
    println!(
        "wrote {} ({} entries; this token covers {:?})",
        args.out.display(),
        file.len(),
        token.namespace_permissions.keys().collect::<Vec<_>>()
    );
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
