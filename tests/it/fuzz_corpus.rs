//! The seed corpora of the fuzz targets (`sdk/fuzz/corpus/<target>/`), replayed on stable: every
//! file goes through its target's check (`akamai_sdk::fuzzing`), the very function the fuzz
//! target runs, so that an input that once crashed the SDK stays fixed without nightly.

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use akamai_sdk::fuzzing::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk/fuzz")
}

fn seeds(target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join("corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_seed_of_every_fuzz_target_replays_without_a_failure() {
    let mut failed = Vec::new();
    let mut replayed = 0;
    for (target, check) in TARGETS {
        let files = seeds(target);
        assert!(!files.is_empty(), "the fuzz target {target} has no seed");
        for path in files {
            let data = std::fs::read(&path).unwrap();
            if panic::catch_unwind(AssertUnwindSafe(|| check(&data))).is_err() {
                failed.push(path.display().to_string());
            }
            replayed += 1;
        }
    }
    assert!(
        failed.is_empty(),
        "failing seeds (see the panics above): {failed:#?}"
    );
    assert!(replayed >= TARGETS.len());
}

#[test]
fn every_fuzz_target_runs_its_check() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    let bins: Vec<&str> = manifest
        .lines()
        .filter_map(|line| line.strip_prefix("name = \""))
        .filter_map(|rest| rest.strip_suffix('"'))
        .filter(|name| *name != "akamai-sdk-fuzz")
        .collect();
    let checks: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        bins, checks,
        "sdk/fuzz/Cargo.toml's targets vs akamai_sdk::fuzzing::TARGETS"
    );
    for target in checks {
        let source =
            std::fs::read_to_string(fuzz_dir().join("fuzz_targets").join(format!("{target}.rs")))
                .unwrap();
        assert!(
            source.contains(&format!("akamai_sdk::fuzzing::check_{target}(data)")),
            "fuzz_targets/{target}.rs does not run check_{target}"
        );
    }
}
