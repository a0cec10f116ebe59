//! What a trial needs from outside, and what becomes of it when something is missing.
//!
//! Each trial declares its [`Need`]s. When it runs, [`decide`] looks them up in the
//! environment ([`Env`]: the variables and the workspace root, injected so that the decision
//! can be tested): all found, the trial runs with their paths ([`Found`]); something missing
//! and `CI` not set, the trial is ignored with the reason (what is missing and how to install
//! it), shown in the `ignored (…)` line of the run and counted in the summary; something
//! missing and `CI` set, it fails with the reason. A run that asks for ignored trials
//! (`--ignored`, `--include-ignored`) gets a failure with the reason, never a pass.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use libtest_mimic::{Arguments, Completion, Failed, Trial};

/// The Prism release the contract tests run against, as `.ci/run` installs it.
pub(crate) const PRISM_PACKAGE: &str = "@stoplight/prism-cli@5.14.2";

/// How to install the official EdgeGrid libraries for the differential tests.
const ORACLE_SETUP: &str =
    "run `sh ../shared/edgegrid/oracle/setup.sh $PWD/target/edgegrid-oracle` \
    and export EDGEGRID_ORACLE_DIR=$PWD/target/edgegrid-oracle";

/// The environment the prerequisites are looked up in: variables and the workspace root.
#[derive(Debug, Clone)]
pub(crate) struct Env {
    root: PathBuf,
    vars: BTreeMap<OsString, OsString>,
}

impl Env {
    /// This process's variables, and the workspace this crate is in.
    pub(crate) fn from_process() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the tests crate lives in the workspace")
            .to_path_buf();
        Self::new(root, std::env::vars_os())
    }

    pub(crate) fn new(
        root: impl Into<PathBuf>,
        vars: impl IntoIterator<Item = (impl Into<OsString>, impl Into<OsString>)>,
    ) -> Self {
        Env {
            root: root.into(),
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    fn var(&self, name: &str) -> Option<&OsStr> {
        self.vars.get(OsStr::new(name)).map(OsString::as_os_str)
    }

    /// `CI` is set (to anything): a missing prerequisite fails.
    fn ci(&self) -> bool {
        self.var("CI").is_some()
    }
}

/// Something a trial needs from outside the workspace's sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Need {
    /// The Prism binary: `PRISM_BIN`, else `target/prism/node_modules/.bin/prism`.
    Prism,
    /// The processed spec `specs/<api>.json` that `cargo xtask pull` writes.
    Spec(&'static str),
    /// The upstream spec of `api` in the spec mirror (`SPECS_MIRROR`, else `../shared/upstream`
    /// beside the checkout), at the path its URL in `specs/sources.toml` gives.
    Upstream(&'static str),
    /// The official Python EdgeGrid library: the directory `EDGEGRID_ORACLE_DIR` with
    /// `venv/bin/python`.
    PythonOracle,
    /// The official Node EdgeGrid library: the directory `EDGEGRID_ORACLE_DIR` with
    /// `node/node_modules/akamai-edgegrid`.
    NodeOracle,
    /// `node` on `PATH`.
    Node,
}

impl Need {
    /// The path this need names, or what is missing and how to get it.
    fn resolve(self, env: &Env) -> Result<PathBuf, String> {
        match self {
            Need::Prism => {
                let bin = match env.var("PRISM_BIN") {
                    Some(bin) => PathBuf::from(bin),
                    None => env.root.join("target/prism/node_modules/.bin/prism"),
                };
                if bin.is_file() {
                    Ok(bin)
                } else {
                    Err(format!(
                        "Prism at {} (run `npm install --prefix target/prism {PRISM_PACKAGE}` \
                         or set PRISM_BIN)",
                        bin.display()
                    ))
                }
            }
            Need::Spec(api) => {
                let spec = env.root.join("specs").join(format!("{api}.json"));
                if spec.is_file() {
                    Ok(spec)
                } else {
                    Err(format!(
                        "the pulled spec {} (run `cargo xtask pull --mirror <dir>`)",
                        spec.display()
                    ))
                }
            }
            Need::Upstream(api) => upstream_spec(env, api),
            Need::PythonOracle => {
                let dir = oracle_dir(env)?;
                let python = dir.join("venv/bin/python");
                if python.is_file() {
                    Ok(dir)
                } else {
                    Err(format!(
                        "the official Python EdgeGrid library at {} (EDGEGRID_ORACLE_DIR is set; \
                         run `sh ../shared/edgegrid/oracle/setup.sh {}`)",
                        python.display(),
                        dir.display()
                    ))
                }
            }
            Need::NodeOracle => {
                let dir = oracle_dir(env)?;
                let library = dir.join("node/node_modules/akamai-edgegrid");
                if library.is_dir() {
                    Ok(dir)
                } else {
                    Err(format!(
                        "the official Node EdgeGrid library at {} (EDGEGRID_ORACLE_DIR is set; \
                         run `sh ../shared/edgegrid/oracle/setup.sh {}`)",
                        library.display(),
                        dir.display()
                    ))
                }
            }
            Need::Node => env
                .var("PATH")
                .into_iter()
                .flat_map(std::env::split_paths)
                .map(|dir| dir.join("node"))
                .find(|node| node.is_file())
                .ok_or_else(|| "`node` on PATH (Node.js)".to_owned()),
        }
    }
}

fn oracle_dir(env: &Env) -> Result<PathBuf, String> {
    env.var("EDGEGRID_ORACLE_DIR")
        .map(PathBuf::from)
        .ok_or_else(|| {
            format!(
                "the official EdgeGrid libraries: EDGEGRID_ORACLE_DIR is not set ({ORACLE_SETUP})"
            )
        })
}

fn upstream_spec(env: &Env, api: &str) -> Result<PathBuf, String> {
    let dir = env
        .var("SPECS_MIRROR")
        .map(PathBuf::from)
        .unwrap_or_else(|| env.root.join("../shared/upstream"));
    let sources_path = env.root.join("specs/sources.toml");
    let sources = std::fs::read_to_string(&sources_path)
        .map_err(|e| format!("{} ({e})", sources_path.display()))?;
    let mut in_section = false;
    let mut url = None;
    for line in sources.lines().map(str::trim) {
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_section = section == api;
        } else if let Some((key, value)) = line.split_once('=').filter(|_| in_section) {
            if key.trim() == "url" {
                url = Some(value.trim().trim_matches('"').to_owned());
            }
        }
    }
    let url = url.ok_or_else(|| format!("a url in [{api}] of {}", sources_path.display()))?;
    let relative = url
        .strip_prefix("https://")
        .ok_or_else(|| format!("an https URL for {api} in specs/sources.toml, not {url}"))?;
    let file = dir.join(relative);
    if file.is_file() {
        Ok(file)
    } else {
        Err(format!(
            "the upstream spec {} (set SPECS_MIRROR or put the shared directory beside the \
             checkout)",
            file.display()
        ))
    }
}

/// The paths of a trial's needs, all found.
#[derive(Debug, Default)]
pub(crate) struct Found(BTreeMap<Need, PathBuf>);

impl Found {
    /// The path of `need`, which the trial declared.
    pub(crate) fn get(&self, need: Need) -> PathBuf {
        self.0
            .get(&need)
            .unwrap_or_else(|| panic!("{need:?} is not among the trial's needs"))
            .clone()
    }
}

/// What becomes of a trial.
#[derive(Debug)]
pub(crate) enum Decision {
    /// Everything it needs is there.
    Run(Found),
    /// Something is missing and `CI` is not set: ignored, for this reason.
    Ignore(String),
    /// Something is missing and `CI` is set: failed, for this reason.
    Fail(String),
}

/// Looks up `needs` in `env`.
pub(crate) fn decide(env: &Env, needs: &[Need]) -> Decision {
    let mut found = Found::default();
    let mut missing = Vec::new();
    for &need in needs {
        match need.resolve(env) {
            Ok(path) => {
                found.0.insert(need, path);
            }
            Err(what) => missing.push(what),
        }
    }
    if missing.is_empty() {
        return Decision::Run(found);
    }
    let reason = format!("needs {}", missing.join("; and "));
    if env.ci() {
        Decision::Fail(format!("{reason} (CI is set: a missing tool is a failure)"))
    } else {
        Decision::Ignore(reason)
    }
}

/// The body of a trial: panics to fail.
pub(crate) type Body = Box<dyn FnOnce(&Found) + Send>;

/// A trial with its needs.
pub(crate) struct Check {
    pub(crate) name: String,
    pub(crate) needs: Vec<Need>,
    pub(crate) body: Body,
}

impl Check {
    pub(crate) fn new(
        name: impl Into<String>,
        needs: Vec<Need>,
        body: impl FnOnce(&Found) + Send + 'static,
    ) -> Self {
        Check {
            name: name.into(),
            needs,
            body: Box::new(body),
        }
    }

    /// The libtest-mimic trial: it decides when it runs (see [`decide`]). A run that asks for
    /// ignored trials makes an ignored one fail with the reason; under `--ignored` (which runs
    /// only flagged trials) the trials that would be ignored are flagged, so that they run and
    /// fail.
    pub(crate) fn trial(self, env: &Arc<Env>, args: &Arguments) -> Trial {
        let run_ignored = args.ignored || args.include_ignored;
        let flagged = args.ignored && matches!(decide(env, &self.needs), Decision::Ignore(_));
        let env = Arc::clone(env);
        let Check { name, needs, body } = self;
        Trial::ignorable_test(name, move || match decide(&env, &needs) {
            Decision::Run(found) => {
                body(&found);
                Ok(Completion::Completed)
            }
            Decision::Ignore(reason) if run_ignored => Err(Failed::from(format!(
                "{reason} (ignored trials were asked for: a missing tool is a failure)"
            ))),
            Decision::Ignore(reason) => Ok(Completion::ignored_with(reason)),
            Decision::Fail(reason) => Err(Failed::from(reason)),
        })
        .with_ignored_flag(flagged)
    }
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check")
            .field("name", &self.name)
            .field("needs", &self.needs)
            .finish_non_exhaustive()
    }
}

/// Runs `future` to completion on a runtime of its own (two worker threads, as the trials had
/// under `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]`).
pub(crate) fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

// ---------------------------------------------------------------------------------------------
// The harness's own trials: the contract trials under a missing and a present Prism.

pub(crate) fn checks() -> Vec<Check> {
    vec![
        Check::new(
            "harness::a_missing_prism_ignores_the_contract_trials_with_what_to_install",
            vec![],
            |_| a_missing_prism_ignores_the_contract_trials_with_what_to_install(),
        ),
        Check::new(
            "harness::a_missing_prism_fails_the_contract_trials_on_ci",
            vec![],
            |_| a_missing_prism_fails_the_contract_trials_on_ci(),
        ),
        Check::new(
            "harness::asking_for_ignored_trials_fails_them_when_prism_is_missing",
            vec![],
            |_| asking_for_ignored_trials_fails_them_when_prism_is_missing(),
        ),
        Check::new(
            "harness::present_prerequisites_run_the_contract_trials",
            vec![],
            |_| present_prerequisites_run_the_contract_trials(),
        ),
        Check::new(
            "harness::the_oracle_trials_say_how_to_install_the_libraries",
            vec![],
            |_| the_oracle_trials_say_how_to_install_the_libraries(),
        ),
        Check::new(
            "harness::the_prism_release_agrees_with_ci_and_the_readme",
            vec![],
            |_| the_prism_release_agrees_with_ci_and_the_readme(),
        ),
    ]
}

/// A workspace in a temporary directory with the pulled specs and the spec mirror, and Prism
/// at its default place when `prism` (else `PRISM_BIN` names a file that does not exist);
/// `CI` set when `ci`.
fn fixture(prism: bool, ci: bool) -> (tempfile::TempDir, Env) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("specs")).unwrap();
    for api in ["linode", "edgekv"] {
        std::fs::write(root.join(format!("specs/{api}.json")), "{}").unwrap();
    }
    std::fs::write(
        root.join("specs/sources.toml"),
        "[linode]\nurl = \"https://mirror.test/linode.yaml\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("mirror/mirror.test")).unwrap();
    std::fs::write(root.join("mirror/mirror.test/linode.yaml"), "{}").unwrap();
    let mut vars = vec![("SPECS_MIRROR", root.join("mirror").into_os_string())];
    if prism {
        let bin = root.join("target/prism/node_modules/.bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("prism"), "").unwrap();
    } else {
        vars.push(("PRISM_BIN", root.join("no-prism/prism").into_os_string()));
    }
    if ci {
        vars.push(("CI", "true".into()));
    }
    let env = Env::new(root, vars);
    (dir, env)
}

/// The contract trials with their real needs, their bodies replaced by one that counts.
fn contract_checks(ran: &Arc<std::sync::atomic::AtomicUsize>) -> Vec<Check> {
    let checks: Vec<Check> = crate::contract::checks()
        .into_iter()
        .chain(crate::contract_all::checks())
        .collect();
    assert_eq!(checks.len(), 5, "the contract trials");
    checks
        .into_iter()
        .map(|check| {
            assert!(check.needs.contains(&Need::Prism), "{check:?}");
            let ran = Arc::clone(ran);
            Check {
                body: Box::new(move |found: &Found| {
                    assert!(found.get(Need::Prism).is_file());
                    ran.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }),
                ..check
            }
        })
        .collect()
}

/// Runs the contract trials through libtest-mimic under `env` and `args` (its report written
/// to a file): the conclusion, the report and how many bodies ran.
fn run_contract_trials(
    env: Env,
    mut args: Arguments,
) -> (libtest_mimic::Conclusion, String, usize) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("report.txt");
    args.logfile = Some(log.to_str().unwrap().to_owned());
    args.test_threads = Some(1);
    let ran = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let env = Arc::new(env);
    let trials = contract_checks(&ran)
        .into_iter()
        .map(|check| check.trial(&env, &args))
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    let report = std::fs::read_to_string(&log).unwrap();
    (
        conclusion,
        report,
        ran.load(std::sync::atomic::Ordering::SeqCst),
    )
}

fn a_missing_prism_ignores_the_contract_trials_with_what_to_install() {
    let (_dir, env) = fixture(false, false);
    for check in contract_checks(&Arc::default()) {
        match decide(&env, &check.needs) {
            Decision::Ignore(reason) => {
                assert!(reason.contains("no-prism/prism"), "{reason}");
                assert!(
                    reason.contains(&format!(
                        "npm install --prefix target/prism {PRISM_PACKAGE}"
                    )),
                    "{reason}"
                );
                // Only Prism is missing.
                assert!(!reason.contains("spec"), "{reason}");
            }
            other => panic!("{}: {other:?}", check.name),
        }
    }
    let (conclusion, report, ran) = run_contract_trials(env, Arguments::default());
    assert_eq!(
        (
            conclusion.num_ignored,
            conclusion.num_passed,
            conclusion.num_failed
        ),
        (5, 0, 0),
        "{report}"
    );
    assert_eq!(ran, 0);
    assert_eq!(
        report
            .lines()
            .filter(|l| l.contains(" ... ignored (needs Prism at ") && l.contains(PRISM_PACKAGE))
            .count(),
        5,
        "{report}"
    );
    assert!(report.contains("5 ignored"), "{report}");
}

fn a_missing_prism_fails_the_contract_trials_on_ci() {
    let (_dir, env) = fixture(false, true);
    for check in contract_checks(&Arc::default()) {
        match decide(&env, &check.needs) {
            Decision::Fail(reason) => assert!(reason.contains(PRISM_PACKAGE), "{reason}"),
            other => panic!("{}: {other:?}", check.name),
        }
    }
    let (conclusion, report, ran) = run_contract_trials(env, Arguments::default());
    assert_eq!(
        (
            conclusion.num_failed,
            conclusion.num_passed,
            conclusion.num_ignored
        ),
        (5, 0, 0),
        "{report}"
    );
    assert_eq!(ran, 0);
    assert!(report.contains("CI is set"), "{report}");
    assert!(report.contains(PRISM_PACKAGE), "{report}");
}

fn asking_for_ignored_trials_fails_them_when_prism_is_missing() {
    for args in [
        Arguments {
            ignored: true,
            ..Arguments::default()
        },
        Arguments {
            include_ignored: true,
            ..Arguments::default()
        },
    ] {
        let (_dir, env) = fixture(false, false);
        let (conclusion, report, ran) = run_contract_trials(env, args);
        assert_eq!(
            (
                conclusion.num_failed,
                conclusion.num_passed,
                conclusion.num_ignored
            ),
            (5, 0, 0),
            "{report}"
        );
        assert_eq!(ran, 0);
        assert!(report.contains(PRISM_PACKAGE), "{report}");
    }
}

fn present_prerequisites_run_the_contract_trials() {
    for ci in [false, true] {
        let (_dir, env) = fixture(true, ci);
        for check in contract_checks(&Arc::default()) {
            let decision = decide(&env, &check.needs);
            assert!(
                matches!(decision, Decision::Run(_)),
                "{}: {decision:?}",
                check.name
            );
        }
        let (conclusion, report, ran) = run_contract_trials(env, Arguments::default());
        assert_eq!(
            (
                conclusion.num_passed,
                conclusion.num_failed,
                conclusion.num_ignored
            ),
            (5, 0, 0),
            "{report}"
        );
        assert_eq!(ran, 5);
    }
}

fn the_oracle_trials_say_how_to_install_the_libraries() {
    let dir = tempfile::tempdir().unwrap();
    let unset = Env::new(dir.path(), [("PATH", dir.path().as_os_str())]);
    for check in crate::signing::checks()
        .into_iter()
        .filter(|c| !c.needs.is_empty())
    {
        match decide(&unset, &check.needs) {
            Decision::Ignore(reason) => {
                assert!(
                    reason.contains("EDGEGRID_ORACLE_DIR is not set"),
                    "{reason}"
                );
                assert!(reason.contains("oracle/setup.sh"), "{reason}");
            }
            other => panic!("{}: {other:?}", check.name),
        }
    }
    // The directory set but empty: the library that is missing is named.
    let empty = Env::new(
        dir.path(),
        [("EDGEGRID_ORACLE_DIR", dir.path().as_os_str())],
    );
    match decide(&empty, &[Need::PythonOracle]) {
        Decision::Ignore(reason) => assert!(reason.contains("venv/bin/python"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

fn the_prism_release_agrees_with_ci_and_the_readme() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for file in [".ci/run", "README.md"] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        assert!(
            text.contains(PRISM_PACKAGE),
            "{file} does not name {PRISM_PACKAGE}"
        );
    }
}
