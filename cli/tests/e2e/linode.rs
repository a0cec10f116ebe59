//! `aksdk linode` against the Linode emulator: the parent/child seed workflow, `call` of any
//! operation, and the error paths.

use akamai_sdk_testkit::Fault;
use serde_json::Value;

use crate::support::{fails, ok, run, Linode};

/// The seed workflow, as `linode-cli` users run it: list the child accounts, create a proxy
/// token for one, and act in it with that token.
#[test]
fn list_children_mint_a_proxy_token_and_act_in_the_child() {
    let linode = Linode::start(7);
    let listed = ok(linode
        .aksdk()
        .args(["linode", "child-accounts", "list", "--json"]))
    .json();
    let euuids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["euuid"].as_str().unwrap())
        .collect();
    assert_eq!(euuids, linode.emulator.euuids());
    let euuid = euuids[2].to_owned();

    let table = ok(linode.aksdk().args(["linode", "child-accounts", "list"]));
    assert!(table.stdout.starts_with("EUUID "), "{}", table.stdout);
    assert_eq!(table.stdout.lines().count(), 1 + 7);
    assert!(table.stdout.contains(&euuid));

    let account = ok(linode
        .aksdk()
        .args(["linode", "child-accounts", "get", &euuid, "--json"]))
    .json();
    let expected = linode.emulator.child_account(&euuid).unwrap();
    for field in [
        "euuid",
        "company",
        "email",
        "city",
        "country",
        "active_since",
    ] {
        assert_eq!(account[field], expected[field], "{field}");
    }

    let token = ok(linode
        .aksdk()
        .args(["linode", "child-accounts", "token", &euuid, "--json"]))
    .json();
    let bearer = token["token"].as_str().unwrap().to_owned();
    assert!(token["id"].as_i64().is_some());
    assert!(token["expiry"].as_str().is_some());
    assert!(linode
        .emulator
        .proxy_tokens()
        .iter()
        .any(|(id, e, _)| Some(*id) == token["id"].as_i64() && e == &euuid));

    // The token acts as the child's proxy user: its instances, not the parent's.
    let as_proxy = ok(linode.aksdk().env("LINODE_TOKEN", &bearer).args([
        "linode",
        "call",
        "get-linode-instances",
        "--all",
        "--json",
    ]))
    .json();
    assert_eq!(
        Value::from(linode.emulator.instances(euuid.as_str()).unwrap()),
        as_proxy
    );
    let profile = ok(linode.aksdk().env("LINODE_TOKEN", &bearer).args([
        "linode",
        "call",
        "get-profile",
        "--json",
    ]))
    .json();
    assert_eq!(profile["user_type"], "proxy");
}

#[test]
fn call_runs_any_operation_as_the_parent_or_a_child() {
    let linode = Linode::start(3);
    let euuid = linode.emulator.euuids()[1].clone();
    let instances = ok(linode.aksdk().args([
        "linode",
        "call",
        "get-linode-instances",
        "--as-child",
        &euuid,
        "--all",
        "--json",
    ]))
    .json();
    assert_eq!(
        Value::from(linode.emulator.instances(euuid.as_str()).unwrap()),
        instances
    );
    // The proxy token minted for the call is revoked at its end.
    let tokens = linode.emulator.proxy_tokens();
    assert_eq!(tokens.len(), 1);
    assert!(tokens[0].2, "the proxy token is revoked");

    // A path parameter, as the parent.
    let id = linode
        .emulator
        .instances(akamai_sdk_testkit::linode::Owner::Parent)
        .unwrap()[0]["id"]
        .clone();
    let one = ok(linode.aksdk().args([
        "linode",
        "call",
        "get-linode-instance",
        "--param",
        &format!("linodeId={id}"),
        "--json",
    ]))
    .json();
    assert_eq!(one["id"], id);

    // A body.
    let created = ok(linode.aksdk().args([
        "linode",
        "call",
        "post-linode-instance",
        "--as-child",
        &euuid,
        "--body",
        r#"{"label": "from-aksdk", "region": "us-east", "type": "g6-nanode-1"}"#,
        "--json",
    ]))
    .json();
    assert_eq!(created["label"], "from-aksdk");
    assert!(linode
        .emulator
        .instances(euuid.as_str())
        .unwrap()
        .iter()
        .any(|i| i["label"] == "from-aksdk"));

    // A table, and a DELETE.
    let table = ok(linode
        .aksdk()
        .args(["linode", "call", "get-linode-instances"]));
    assert!(table.stdout.starts_with("ID "), "{}", table.stdout);
    ok(linode.aksdk().args([
        "linode",
        "call",
        "delete-linode-instance",
        "--param",
        &format!("linodeId={id}"),
    ]));
    assert!(linode
        .emulator
        .instances(akamai_sdk_testkit::linode::Owner::Parent)
        .unwrap()
        .iter()
        .all(|i| i["id"] != id));
}

/// Every page, where linode-cli prints the first 100 without a word.
#[test]
fn all_pages_are_listed_and_a_single_page_says_there_are_more() {
    let linode = Linode::start(260);
    let listed = ok(linode
        .aksdk()
        .args(["linode", "child-accounts", "list", "--json"]))
    .json();
    assert_eq!(listed.as_array().unwrap().len(), 260);

    let all = ok(linode.aksdk().args([
        "linode",
        "call",
        "get-child-accounts",
        "--param",
        "page_size=25",
        "--all",
        "--json",
    ]))
    .json();
    let euuids: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["euuid"].as_str().unwrap())
        .collect();
    assert_eq!(euuids, linode.emulator.euuids());

    let first = ok(linode.aksdk().args([
        "linode",
        "call",
        "get-child-accounts",
        "--param",
        "page_size=25",
        "--json",
    ]));
    assert_eq!(first.json()["data"].as_array().unwrap().len(), 25);
    assert!(
        first
            .stderr
            .contains("page 1 of 11 (260 results); --all reads every page"),
        "{}",
        first.stderr
    );

    let acme = ok(linode.aksdk().args([
        "linode",
        "child-accounts",
        "list",
        "--company",
        "Acme 005",
        "--json",
    ]))
    .json();
    assert_eq!(acme.as_array().unwrap().len(), 1);
    assert_eq!(acme[0]["company"], "Acme 005");
}

#[test]
fn operations_are_listed_with_method_and_path() {
    let linode = Linode::start(0);
    let list = ok(linode.aksdk().args(["linode", "operations", "--json"])).json();
    let list = list.as_array().unwrap();
    assert!(list.len() > 300, "{}", list.len());
    let op = list
        .iter()
        .find(|op| op["id"] == "post-child-account-token")
        .unwrap();
    assert_eq!(op["method"], "POST");
    assert_eq!(op["path"], "/account/child-accounts/{euuid}/token");
    let table = ok(linode.aksdk().args(["linode", "operations"]));
    assert!(table.stdout.starts_with("ID "));
    assert!(table
        .stdout
        .lines()
        .any(|l| l.starts_with("get-child-accounts ") && l.contains(" GET ")));
}

#[test]
fn without_a_token_the_error_names_linode_token() {
    let linode = Linode::start(1);
    let line = fails(
        linode
            .aksdk()
            .env_remove("LINODE_TOKEN")
            .args(["linode", "child-accounts", "list"]),
        2,
    );
    assert!(line.contains("LINODE_TOKEN"), "{line}");
    // LINODE_CLI_TOKEN, linode-cli's variable, works too.
    ok(linode
        .aksdk()
        .env_remove("LINODE_TOKEN")
        .env("LINODE_CLI_TOKEN", linode.emulator.parent_token())
        .args(["linode", "child-accounts", "list"]));
}

#[test]
fn a_bad_euuid_is_refused_before_sending() {
    let linode = Linode::start(1);
    for command in [["get", "a/b"], ["token", "a b"]] {
        let line = fails(
            linode
                .aksdk()
                .args(["linode", "child-accounts"])
                .args(command),
            2,
        );
        assert!(line.contains("euuid"), "{line}");
    }
    let line = fails(
        linode
            .aksdk()
            .args(["linode", "call", "get-account", "--as-child", "x/y"]),
        2,
    );
    assert!(line.contains("euuid"), "{line}");
    assert!(linode.emulator.requests().is_empty());
}

#[test]
fn a_403_exits_1_with_the_status_and_the_api_message() {
    let linode = Linode::start(2);
    let euuid = linode.emulator.euuids()[0].clone();
    linode.emulator.inject(Fault::status(
        "POST",
        "/v4/account/child-accounts/*/token",
        403,
    ));
    let line = fails(
        linode
            .aksdk()
            .args(["linode", "child-accounts", "token", &euuid]),
        1,
    );
    assert_eq!(
        line,
        "error: HTTP 403 Forbidden: Injected by a fault rule (status 403)."
    );
    // No token on stdout, and none of the parent's anywhere.
    let all = run(linode
        .aksdk()
        .args(["linode", "child-accounts", "token", &euuid]));
    assert!(all.stdout.is_empty());
    assert!(!all.stderr.contains(&linode.emulator.parent_token()));
}

#[test]
fn bad_calls_are_usage_errors() {
    let linode = Linode::start(1);
    let cases: [(&[&str], &str); 5] = [
        (&["get-child-acount"], "no operation `get-child-acount`"),
        (&["get-child-account"], "needs --param euuid=VALUE"),
        (&["get-account", "--param", "oops"], "is not NAME=VALUE"),
        (
            &["post-linode-instance", "--body", "{"],
            "--body is not JSON",
        ),
        (
            &["get-account", "--all"],
            "--all follows the pages of a list",
        ),
    ];
    for (args, expected) in cases {
        let line = fails(linode.aksdk().args(["linode", "call"]).args(args), 2);
        assert!(line.contains(expected), "{args:?}: {line}");
    }
    let line = fails(
        linode.aksdk().args([
            "linode",
            "call",
            "post-linode-instance",
            "--body",
            "@/no/such/file.json",
        ]),
        2,
    );
    assert!(line.contains("/no/such/file.json"), "{line}");
    assert!(linode.emulator.requests().is_empty());
}

#[test]
fn plain_http_is_refused_except_for_a_loopback_address() {
    let linode = Linode::start(1);
    let line = fails(
        crate::support::aksdk(linode.dir.path())
            .env("LINODE_TOKEN", linode.emulator.parent_token())
            .args(["--api-url", "http://api.example.com/v4"])
            .args(["linode", "child-accounts", "list"]),
        2,
    );
    assert!(line.contains("refusing plain http"), "{line}");
    // LINODE_API_URL is the default of --api-url.
    let listed = ok(crate::support::aksdk(linode.dir.path())
        .env("LINODE_TOKEN", linode.emulator.parent_token())
        .env("LINODE_API_URL", linode.emulator.url())
        .args(["linode", "child-accounts", "list", "--json"]))
    .json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
}
