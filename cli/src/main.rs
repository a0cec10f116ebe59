//! `aksdk`: Linode parent/child accounts and Akamai EdgeKV from the command line, built on the
//! public API of `akamai-sdk`.

// The arguments' doc comments are the `--help` text, printed as written: a URL in it stays
// bare, not a rustdoc link.
#![allow(rustdoc::bare_urls)]

mod args;
mod bulk;
mod edgekv;
mod failure;
mod linode;
mod output;

use std::process::ExitCode;

use akamai_sdk::config::HttpConfig;
use clap::{CommandFactory, Parser};

use args::{Cli, Command};
use failure::Failure;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Completions { shell } => completions(shell),
        command => run(&cli.global, command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            failure.report();
            ExitCode::from(failure.code())
        }
    }
}

/// `aksdk completions SHELL`: the script on stdout.
fn completions(shell: clap_complete::Shell) -> Result<(), Failure> {
    use std::io::Write as _;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "aksdk", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(())
}

fn run(global: &args::Global, command: Command) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::failed(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        match command {
            Command::Linode(command) => linode::run(global, command).await,
            Command::Edgekv(command) => edgekv::run(global, command).await,
            Command::Completions { .. } => Ok(()),
        }
    })
}

/// The HTTP settings of every client: the SDK's defaults, `aksdk/VERSION` in the user agent,
/// and plain http accepted for a loopback address only (a local emulator or proxy).
pub(crate) fn http_config() -> HttpConfig {
    HttpConfig::new()
        .with_user_agent_suffix(concat!("aksdk/", env!("CARGO_PKG_VERSION")))
        .allow_insecure_loopback(true)
}
