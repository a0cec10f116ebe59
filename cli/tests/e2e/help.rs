//! `--help` of every command, as snapshots; each has an example. Shell completions.

use crate::support::{aksdk, ok};

const COMMANDS: &[&[&str]] = &[
    &[],
    &["linode"],
    &["linode", "child-accounts"],
    &["linode", "child-accounts", "list"],
    &["linode", "child-accounts", "get"],
    &["linode", "child-accounts", "token"],
    &["linode", "call"],
    &["linode", "operations"],
    &["edgekv"],
    &["edgekv", "init"],
    &["edgekv", "namespaces"],
    &["edgekv", "namespaces", "list"],
    &["edgekv", "namespaces", "get"],
    &["edgekv", "namespaces", "create"],
    &["edgekv", "groups"],
    &["edgekv", "groups", "list"],
    &["edgekv", "items"],
    &["edgekv", "items", "list"],
    &["edgekv", "items", "get"],
    &["edgekv", "items", "put"],
    &["edgekv", "items", "delete"],
    &["edgekv", "tokens"],
    &["edgekv", "tokens", "create"],
    &["edgekv", "tokens", "list"],
    &["edgekv", "tokens", "get"],
    &["edgekv", "tokens", "refresh"],
    &["edgekv", "tokens", "delete"],
    &["edgekv", "import"],
    &["edgekv", "export"],
    &["edgekv", "sync"],
    &["completions"],
];

#[test]
fn every_command_has_help_with_an_example() {
    let home = tempfile::tempdir().unwrap();
    for command in COMMANDS {
        let help = ok(aksdk(home.path()).args(*command).arg("--help")).stdout;
        assert!(
            help.contains("\nExamples:\n  aksdk "),
            "{command:?} has no example:\n{help}"
        );
        let name = if command.is_empty() {
            "aksdk".to_owned()
        } else {
            format!("aksdk_{}", command.join("_"))
        };
        insta::assert_snapshot!(name, help);
    }
}

#[test]
fn a_bad_command_line_exits_2() {
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["nope"][..],
        &["linode", "child-accounts", "list", "--bogus"],
        &["edgekv", "items", "get", "x"],
        &["linode", "call"],
    ] {
        let output = aksdk(home.path()).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    let home = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let script = ok(aksdk(home.path()).args(["completions", shell])).stdout;
        assert!(script.contains("aksdk"), "{shell}");
        assert!(script.contains("child-accounts"), "{shell}");
    }
}
