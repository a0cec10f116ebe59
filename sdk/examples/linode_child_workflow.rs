//! The parent/child-account workflow: list the child accounts, create a proxy token for one of
//! them, and act in it as its proxy user.
//!
//! ```text
//! LINODE_TOKEN=… cargo run -p akamai-sdk --example linode_child_workflow -- \
//!     [--base-url https://api.linode.com/v4] [--euuid <euuid>] [--company <name>] [--insecure-loopback]
//! ```
//!
//! The token is read from `LINODE_TOKEN` (or `LINODE_CLI_TOKEN`) and never printed.
//! `--insecure-loopback` allows a plain-http base URL on a loopback host (a local mock server).

use std::process::ExitCode;

use akamai_sdk::config::HttpConfig;
use akamai_sdk::linode::{ChildAccountFilter, Euuid, LinodeClient};
use futures::StreamExt;

#[derive(Debug, Default)]
struct Args {
    base_url: Option<String>,
    euuid: Option<String>,
    company: Option<String>,
    insecure_loopback: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--base-url" => args.base_url = Some(value("--base-url")?),
            "--euuid" => args.euuid = Some(value("--euuid")?),
            "--company" => args.company = Some(value("--company")?),
            "--insecure-loopback" => args.insecure_loopback = true,
            "-h" | "--help" => {
                return Err(
                    "usage: linode_child_workflow [--base-url URL] [--euuid EUUID] \
                            [--company NAME] [--insecure-loopback]"
                        .into(),
                )
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    Ok(args)
}

#[tokio::main]
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

async fn run(args: Args) -> Result<(), akamai_sdk::Error> {
    let mut builder = LinodeClient::builder()
        .http_config(HttpConfig::new().allow_insecure_loopback(args.insecure_loopback));
    if let Some(base_url) = &args.base_url {
        builder = builder.base_url(base_url);
    }
    let parent = builder.build()?;

    let me = parent.profile().await?;
    println!(
        "signed in as {} ({} user)",
        me.username.as_deref().unwrap_or("?"),
        me.user_type
            .as_ref()
            .map_or_else(|| "unknown".to_owned(), ToString::to_string)
    );
    parent.ensure_child_account_access().await?;

    // 1. List the child accounts and pick one.
    let mut request = parent.child_accounts().page_size(100);
    if let Some(company) = &args.company {
        request = request.filter(&ChildAccountFilter::new().company(company.as_str()));
    }
    let mut accounts = std::pin::pin!(request.stream());
    let mut chosen: Option<Euuid> = args.euuid.as_deref().map(str::parse).transpose()?;
    let mut count = 0;
    while let Some(account) = accounts.next().await {
        let account = account?;
        count += 1;
        println!(
            "  {}  {}",
            account.euuid.as_deref().unwrap_or("-"),
            account.company.as_deref().unwrap_or("-")
        );
        if chosen.is_none() {
            chosen = Some(Euuid::try_from(&account)?);
        }
    }
    println!("{count} child account(s)");
    let Some(euuid) = chosen else {
        println!("no child account to act in");
        return Ok(());
    };

    // 2. Create a proxy token for it (the child client does this on first use).
    let child = parent.child(euuid);
    let token = child.token().await?;
    println!(
        "proxy token {} created, expires {}",
        token.id(),
        token
            .expiry()
            .map_or_else(|| "in 15 minutes".to_owned(), |e| e.to_string())
    );

    // 3. Act as the child account's proxy user.
    let account = child.account().await?;
    let who = child.profile().await?;
    println!(
        "acting in child account {} ({}) as {} ({} user)",
        account.euuid.as_deref().unwrap_or("?"),
        account.company.as_deref().map_or("?", String::as_str),
        who.username.as_deref().unwrap_or("?"),
        who.user_type
            .as_ref()
            .map_or_else(|| "unknown".to_owned(), ToString::to_string)
    );

    if child.revoke().await? {
        println!("proxy token {} revoked", token.id());
    }
    Ok(())
}
