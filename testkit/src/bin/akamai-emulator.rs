//! `akamai-emulator`: serves the EdgeKV and Linode emulators on 127.0.0.1 for clients in any
//! language. Prints one JSON line per emulator as soon as it listens, optionally writes an
//! `.edgerc` section for the EdgeKV one, and stops cleanly on SIGINT or SIGTERM.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use akamai_sdk_testkit::{EdgeKvEmulator, LinodeEmulator};
use clap::Parser;
use serde_json::json;

/// Offline emulators of the EdgeKV and Linode parent/child APIs (with each Linode account's
/// instances, Volumes and Domains).
#[derive(Debug, Parser)]
#[command(name = "akamai-emulator", version)]
struct Args {
    /// Serve the EdgeKV emulator (the default when neither --edgekv nor --linode is given).
    #[arg(long)]
    edgekv: bool,
    /// Serve the Linode emulator.
    #[arg(long)]
    linode: bool,
    /// The port of the first emulator (the Linode one takes the next port when both run);
    /// a free port when absent.
    #[arg(long)]
    port: Option<u16>,
    /// Child accounts of the Linode parent account.
    #[arg(long, default_value_t = 3)]
    children: usize,
    /// Linode instances, Volumes and Domains each Linode account (the parent and every child)
    /// starts with, of each kind.
    #[arg(long, default_value_t = 3, value_name = "N")]
    resources_per_account: usize,
    /// Write an `.edgerc` section for the EdgeKV emulator into FILE (other sections are kept;
    /// a section of the same name is replaced).
    #[arg(long, value_name = "FILE")]
    edgerc: Option<PathBuf>,
    /// The name of that section.
    #[arg(long, default_value = "default", value_name = "NAME")]
    section: String,
    /// Throttle the EdgeKV API (not the edge data path) to N requests per sliding second, as
    /// Akamai does per account: requests over it get 429 without being performed.
    #[arg(long, value_name = "N")]
    rate_limit: Option<u32>,
    /// Add `Retry-After: SECS` to the 429s of --rate-limit (the API sends none).
    #[arg(long, value_name = "SECS", requires = "rate_limit")]
    rate_limit_retry_after: Option<u64>,
    /// Hide a newly created EdgeKV item from reads and listings for MS milliseconds after its
    /// write, as EdgeKV's eventual consistency may (overwrites are visible at once).
    #[arg(long, value_name = "MS")]
    consistency_delay_ms: Option<u64>,
    /// The most item ids an EdgeKV listing answers, whatever its maxItems asks (default
    /// 10000, the API's limit).
    #[arg(long, value_name = "N")]
    max_list_items: Option<usize>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = Args::parse();
    if !args.edgekv && !args.linode {
        args.edgekv = true;
    }
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("akamai-emulator: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let mut next_port = args.port;
    let mut out = std::io::stdout();
    let edgekv = if args.edgekv {
        let mut builder = EdgeKvEmulator::builder();
        if let Some(limit) = args.rate_limit {
            builder = builder.rate_limit(limit);
        }
        if let Some(secs) = args.rate_limit_retry_after {
            builder = builder.rate_limit_retry_after(secs);
        }
        if let Some(ms) = args.consistency_delay_ms {
            builder = builder.consistency_delay(Duration::from_millis(ms));
        }
        if let Some(max) = args.max_list_items {
            builder = builder.max_list_items(max);
        }
        if let Some(port) = next_port {
            builder = builder.port(port);
            next_port = port.checked_add(1);
        }
        let kv = builder
            .start()
            .await
            .map_err(|e| format!("cannot start EdgeKV: {e}"))?;
        if let Some(path) = &args.edgerc {
            write_section(path, &args.section, &kv.edgerc_section(&args.section))
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        let c = kv.edgegrid_credentials();
        let line = json!({
            "api": "edgekv",
            "url": kv.url(),
            "host": kv.host(),
            "client_token": c.client_token,
            "client_secret": c.client_secret,
            "access_token": c.access_token,
        });
        writeln!(out, "{line}")
            .and_then(|()| out.flush())
            .map_err(|e| e.to_string())?;
        Some(kv)
    } else {
        None
    };
    let linode = if args.linode {
        let mut builder = LinodeEmulator::builder()
            .children(args.children)
            .resources_per_account(args.resources_per_account);
        if let Some(port) = next_port {
            builder = builder.port(port);
        }
        let linode = builder
            .start()
            .await
            .map_err(|e| format!("cannot start Linode: {e}"))?;
        let line = json!({"api": "linode", "url": linode.url(), "token": linode.parent_token()});
        writeln!(out, "{line}")
            .and_then(|()| out.flush())
            .map_err(|e| e.to_string())?;
        Some(linode)
    } else {
        None
    };
    shutdown_signal().await;
    drop(linode);
    drop(edgekv);
    Ok(())
}

/// Replaces (or appends) `[section]` in the file at `path`, keeping every other section.
fn write_section(path: &Path, section: &str, text: &str) -> std::io::Result<()> {
    let existing = match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let header = format!("[{section}]");
    let mut kept = String::new();
    let mut skipping = false;
    for line in existing.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') && trimmed.ends_with(']') {
            skipping = trimmed == header;
        }
        if !skipping {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    if !kept.is_empty() && !kept.ends_with("\n\n") {
        kept.push('\n');
    }
    kept.push_str(text);
    std::fs::write(path, kept)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
