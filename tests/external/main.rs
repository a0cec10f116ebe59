//! The tests that need tools from outside the workspace: the contract tests against Prism
//! (with the pulled specs, and the spec mirror for the one over every Linode operation) and the
//! differential signing tests against the official EdgeGrid libraries.
//!
//! A libtest-mimic harness (`harness = false`): each trial looks up what it needs when it runs
//! (see [`harness`]). Missing something, it is reported as `ignored (needs …)` with what to
//! install, and counted as ignored in the summary; with `CI` set, or when ignored trials are
//! asked for (`--ignored`, `--include-ignored`), it fails with that reason instead. Unlike
//! libtest, the harness does not capture what the trials print.
//!
//! `cargo test -p akamai-sdk-tests --test external` runs them; the usual filters and flags
//! apply.

use std::sync::Arc;

mod contract;
mod contract_all;
mod harness;
mod signing;

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let env = Arc::new(harness::Env::from_process());
    let trials = harness::checks()
        .into_iter()
        .chain(contract::checks())
        .chain(contract_all::checks())
        .chain(signing::checks())
        .map(|check| check.trial(&env, &args))
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
