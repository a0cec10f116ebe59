//! The binary run as a user runs it, against emulators served from the test process.

use std::path::{Path, PathBuf};

use akamai_sdk_testkit::{
    EdgeKvEmulator, EdgeKvEmulatorBuilder, LinodeEmulator, LinodeEmulatorBuilder,
};
use assert_cmd::Command;
use tempfile::TempDir;

/// The variables `aksdk` reads, removed so that the machine's own settings never leak in.
const VARIABLES: [&str; 5] = [
    "LINODE_TOKEN",
    "LINODE_CLI_TOKEN",
    "LINODE_API_URL",
    "AKAMAI_EDGERC",
    "AKAMAI_EDGERC_SECTION",
];

/// `aksdk` with a clean environment: no token, no credentials file in a temporary home.
pub(crate) fn aksdk(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aksdk"));
    for name in VARIABLES {
        command.env_remove(name);
    }
    command.env("HOME", home).env("NO_COLOR", "1");
    command
}

/// The same binary as a `std::process::Command` (for a run that is interrupted).
pub(crate) fn aksdk_process(home: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_aksdk"));
    for name in VARIABLES {
        command.env_remove(name);
    }
    command.env("HOME", home);
    command
}

/// A runtime whose worker threads serve an emulator while the test thread runs the binary.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// An EdgeKV emulator and an `.edgerc` for it.
pub(crate) struct Kv {
    pub(crate) emulator: EdgeKvEmulator,
    pub(crate) dir: TempDir,
    pub(crate) edgerc: PathBuf,
    // Dropped last: it serves the emulator.
    _runtime: tokio::runtime::Runtime,
}

impl Kv {
    pub(crate) fn start() -> Self {
        Self::with(EdgeKvEmulator::builder().token_activation_reads(0))
    }

    pub(crate) fn with(builder: EdgeKvEmulatorBuilder) -> Self {
        let runtime = runtime();
        let emulator = runtime
            .block_on(builder.start())
            .expect("the emulator starts");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let edgerc = dir.path().join(".edgerc");
        std::fs::write(&edgerc, emulator.edgerc_section("default")).expect("the .edgerc");
        Self {
            emulator,
            dir,
            edgerc,
            _runtime: runtime,
        }
    }

    /// `aksdk --edgerc FILE --base-url URL`.
    pub(crate) fn aksdk(&self) -> Command {
        let mut command = aksdk(self.dir.path());
        command
            .arg("--edgerc")
            .arg(&self.edgerc)
            .arg("--base-url")
            .arg(self.emulator.url());
        command
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// A Linode emulator and the token of its parent user.
pub(crate) struct Linode {
    pub(crate) emulator: LinodeEmulator,
    pub(crate) dir: TempDir,
    _runtime: tokio::runtime::Runtime,
}

impl Linode {
    pub(crate) fn start(children: usize) -> Self {
        Self::with(LinodeEmulator::builder().children(children))
    }

    pub(crate) fn with(builder: LinodeEmulatorBuilder) -> Self {
        let runtime = runtime();
        let emulator = runtime
            .block_on(builder.start())
            .expect("the emulator starts");
        Self {
            emulator,
            dir: tempfile::tempdir().expect("a temporary directory"),
            _runtime: runtime,
        }
    }

    /// `aksdk --api-url URL` with `LINODE_TOKEN` set to the parent's token.
    pub(crate) fn aksdk(&self) -> Command {
        let mut command = aksdk(self.dir.path());
        command
            .env("LINODE_TOKEN", self.emulator.parent_token())
            .arg("--api-url")
            .arg(self.emulator.url());
        command
    }
}

/// What a finished run printed, and how it exited.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// The JSON document of stdout.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs `command` to its end.
pub(crate) fn run(command: &mut Command) -> Run {
    let output = command.output().expect("aksdk runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `command` and expects exit 0.
pub(crate) fn ok(command: &mut Command) -> Run {
    let run = run(command);
    assert_eq!(
        run.code, 0,
        "exit {}\nstdout:\n{}\nstderr:\n{}",
        run.code, run.stdout, run.stderr
    );
    run
}

/// Runs `command`, expects exit `code` and exactly one line on stderr, and returns it.
pub(crate) fn fails(command: &mut Command, code: i32) -> String {
    let run = run(command);
    assert_eq!(
        run.code, code,
        "exit {}\nstdout:\n{}\nstderr:\n{}",
        run.code, run.stdout, run.stderr
    );
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr:\n{}", run.stderr);
    assert!(lines[0].starts_with("error: "), "{}", lines[0]);
    lines[0].to_owned()
}
