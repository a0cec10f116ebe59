//! `aksdk edgekv` against the EdgeKV emulator: the token seed workflow with the
//! `edgekv_tokens.js` it writes, items, namespaces, and the error paths.

use std::path::Path;

use akamai_sdk::edgekv::{Network, TokenCredential, TokensFile};
use akamai_sdk_testkit::edgekv::{AUTH_REF_HEADER, NETWORK_HEADER};
use akamai_sdk_testkit::{EdgeKvEmulator, Fault};

use crate::support::{fails, ok, run, Kv};

/// The seed workflow: the database initialized, a namespace, a token for it activated and
/// written to `edgekv_tokens.js` under `namespace-NS` (the key cli-edgeworkers #156 got
/// wrong), then merged with a second token.
#[test]
fn init_a_namespace_and_a_token_saved_for_edgekv_js() {
    let kv = Kv::with(
        EdgeKvEmulator::builder()
            .uninitialized(0)
            .token_activation_reads(0),
    );
    let status = ok(kv.aksdk().args(["edgekv", "init", "--wait", "--json"])).json();
    assert_eq!(status["accountStatus"], "INITIALIZED");

    let created = ok(kv.aksdk().args([
        "edgekv",
        "namespaces",
        "create",
        "myspace",
        "--network",
        "staging",
        "--retention",
        "86400",
        "--json",
    ]))
    .json();
    assert_eq!(created["namespace"], "myspace");
    assert_eq!(created["retentionInSeconds"], 86400);

    let built = kv.path("built");
    let token = ok(kv.aksdk().args([
        "edgekv",
        "tokens",
        "create",
        "my_token",
        "--namespace",
        "myspace+rwd",
        "--save-path",
        built.to_str().unwrap(),
        "--json",
    ]))
    .json();
    assert_eq!(token["name"], "my_token");
    assert_eq!(token["tokenActivationStatus"], "COMPLETE");
    assert_eq!(
        token["namespacePermissions"],
        serde_json::json!({"myspace": ["r", "w", "d"]})
    );
    let uuid = token["uuid"].as_str().unwrap().to_owned();

    let file = built.join("edgekv_tokens.js");
    let tokens = TokensFile::read(&file).unwrap();
    let entry = tokens
        .get("myspace")
        .expect("an entry for namespace-myspace");
    assert_eq!(entry.name, "my_token");
    assert_eq!(entry.credential, TokenCredential::Reference(uuid.clone()));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("\"namespace-myspace\": {"), "{text}");
    assert!(
        text.ends_with("export { edgekv_access_tokens };\n"),
        "{text}"
    );

    // A second token for another namespace is merged in; the first entry stays.
    ok(kv.aksdk().args([
        "edgekv",
        "namespaces",
        "create",
        "other",
        "--network",
        "staging",
    ]));
    ok(kv.aksdk().args([
        "edgekv",
        "tokens",
        "create",
        "reader",
        "--namespace",
        "other+r",
        "--save-path",
        built.to_str().unwrap(),
    ]));
    let merged = TokensFile::read(&file).unwrap();
    assert_eq!(merged.len(), 2);
    assert_eq!(merged.get("myspace").unwrap().name, "my_token");
    assert_eq!(merged.get("other").unwrap().name, "reader");

    // An EdgeWorker reads an item with that file, as edgekv.js does.
    ok(kv.aksdk().args([
        "edgekv",
        "items",
        "put",
        "en",
        "--text",
        "Hello",
        "--network",
        "staging",
        "--namespace",
        "myspace",
        "--group",
        "greetings",
    ]));
    read_with_node(&kv, &built, "myspace", "greetings", "en", "Hello");

    let listed = ok(kv.aksdk().args(["edgekv", "tokens", "list", "--json"])).json();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"my_token") && names.contains(&"reader"));
    let table = ok(kv.aksdk().args(["edgekv", "tokens", "list"]));
    assert!(table.stdout.contains("myspace+rwd"), "{}", table.stdout);

    let refreshed = ok(kv.aksdk().args([
        "edgekv",
        "tokens",
        "refresh",
        "my_token",
        "--save-path",
        built.to_str().unwrap(),
        "--json",
    ]))
    .json();
    assert_eq!(refreshed["name"], "my_token");
    let got = ok(kv
        .aksdk()
        .args(["edgekv", "tokens", "get", "reader", "--json"]))
    .json();
    assert_eq!(
        got["namespacePermissions"],
        serde_json::json!({"other": ["r"]})
    );
    ok(kv.aksdk().args(["edgekv", "tokens", "delete", "reader"]));
    assert_eq!(kv.emulator.token_names(), ["my_token"]);
}

/// Reads `edgekv_tokens.js` with node, as `edgekv.js` does (the entry `namespace-NS`, its
/// `reference` sent in `X-Akamai-EdgeDB-Auth-Ref`), and fetches an item from the emulator's
/// edge data path with it. Where node is not installed the read is left out with a note,
/// except with `CI` set, where it fails.
fn read_with_node(kv: &Kv, dir: &Path, namespace: &str, group: &str, item: &str, expected: &str) {
    if std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "node is needed on CI to read edgekv_tokens.js as edgekv.js does"
        );
        eprintln!("note: node is not installed; edgekv_tokens.js is not read by node");
        return;
    }
    std::fs::write(dir.join("package.json"), r#"{"type": "module"}"#).unwrap();
    let script = format!(
        r#"import {{ edgekv_access_tokens }} from "./edgekv_tokens.js";
const name = "namespace-" + {namespace:?};
if (!(name in edgekv_access_tokens)) {{
  console.error("MISSING ACCESS TOKEN. No EdgeKV Access Token defined for namespace " + {namespace:?});
  process.exit(3);
}}
const entry = edgekv_access_tokens[name];
const response = await fetch({url:?}, {{
  headers: {{ {auth:?}: entry.reference, {network:?}: "staging" }},
}});
process.stdout.write(response.status + " " + await response.text());
"#,
        url = format!(
            "{}/api/v1/namespaces/{namespace}/groups/{group}/items/{item}",
            kv.emulator.edge_url()
        ),
        auth = AUTH_REF_HEADER,
        network = NETWORK_HEADER,
    );
    std::fs::write(dir.join("read.mjs"), script).unwrap();
    let output = std::process::Command::new("node")
        .arg("read.mjs")
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "node: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("200 {expected}")
    );
}

#[test]
fn items_are_written_read_listed_and_deleted() {
    let kv = Kv::start();
    let place = [
        "--network",
        "staging",
        "--namespace",
        "default",
        "--group",
        "greetings",
    ];
    ok(kv
        .aksdk()
        .args(["edgekv", "items", "put", "en", "--text", "Hello \"you\"\n"])
        .args(place));
    ok(kv
        .aksdk()
        .args([
            "edgekv",
            "items",
            "put",
            "all",
            "--json",
            r#"{"b": 1.50, "a": [1]}"#,
        ])
        .args(place));
    let png = kv.path("logo.png");
    std::fs::write(&png, [0x89, b'P', b'N', b'G', 0, 0xff]).unwrap();
    ok(kv
        .aksdk()
        .args(["edgekv", "items", "put", "logo", "--file"])
        .arg(&png)
        .args(["--content-type", "image/png"])
        .args(place));

    let (content_type, bytes) = kv
        .emulator
        .item(Network::Staging, "default", "greetings", "all")
        .unwrap();
    assert_eq!(content_type.as_deref(), Some("application/json"));
    assert_eq!(bytes, br#"{"b": 1.50, "a": [1]}"#);

    // `get` prints the value as it is stored: every byte, nothing added.
    let output = kv
        .aksdk()
        .args(["edgekv", "items", "get", "logo"])
        .args(place)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(output.stdout, [0x89, b'P', b'N', b'G', 0, 0xff]);
    let text = ok(kv
        .aksdk()
        .args(["edgekv", "items", "get", "en"])
        .args(place));
    assert_eq!(text.stdout, "Hello \"you\"\n");

    let json = ok(kv
        .aksdk()
        .args(["edgekv", "items", "get", "all", "--json"])
        .args(place))
    .json();
    assert_eq!(json["value"], serde_json::json!({"b": 1.50, "a": [1]}));
    assert_eq!(json["content_type"], "application/json");
    let logo = ok(kv
        .aksdk()
        .args(["edgekv", "items", "get", "logo", "--json"])
        .args(place))
    .json();
    assert_eq!(logo["base64"], "iVBORwD/");
    assert_eq!(logo["content_type"], "image/png");

    let ids = ok(kv
        .aksdk()
        .args(["edgekv", "items", "list", "--json"])
        .args(place))
    .json();
    assert_eq!(ids, serde_json::json!(["all", "en", "logo"]));
    let groups = ok(kv.aksdk().args([
        "edgekv",
        "groups",
        "list",
        "--network",
        "staging",
        "--namespace",
        "default",
        "--json",
    ]))
    .json();
    assert_eq!(groups, serde_json::json!(["greetings"]));

    ok(kv
        .aksdk()
        .args(["edgekv", "items", "delete", "en"])
        .args(place));
    let line = fails(
        kv.aksdk()
            .args(["edgekv", "items", "get", "en"])
            .args(place),
        1,
    );
    assert!(line.starts_with("error: HTTP 404 Not Found: "), "{line}");
    assert!(line.contains("(request id "), "{line}");

    // Exactly one of --text, --json, --file.
    let both = run(kv
        .aksdk()
        .args(["edgekv", "items", "put", "x", "--text", "a", "--json", "1"])
        .args(place));
    assert_eq!(both.code, 2);
    let bad = fails(
        kv.aksdk()
            .args(["edgekv", "items", "put", "x", "--json", "{"])
            .args(place),
        2,
    );
    assert!(bad.contains("not JSON"), "{bad}");
}

#[test]
fn namespaces_are_listed_and_shown() {
    let kv = Kv::start();
    kv.emulator
        .seed_namespace(Network::Production, "promos", 3600);
    let list = ok(kv.aksdk().args([
        "edgekv",
        "namespaces",
        "list",
        "--network",
        "production",
        "--json",
    ]))
    .json();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["namespace"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"promos"), "{names:?}");
    let table = ok(kv
        .aksdk()
        .args(["edgekv", "namespaces", "list", "--network", "production"]));
    assert!(table.stdout.starts_with("NAMESPACE "), "{}", table.stdout);
    let one = ok(kv.aksdk().args([
        "edgekv",
        "namespaces",
        "get",
        "promos",
        "--network",
        "production",
        "--json",
    ]))
    .json();
    assert_eq!(one["retentionInSeconds"], 3600);
    let status = ok(kv.aksdk().args(["edgekv", "init", "--json"])).json();
    assert_eq!(status["accountStatus"], "INITIALIZED");
}

#[test]
fn a_malformed_edgerc_names_the_file_and_the_line() {
    let kv = Kv::start();
    let bad = kv.path("bad.edgerc");
    std::fs::write(
        &bad,
        "[default]\nhost = akab-x.luna.akamaiapis.net\nclient_secret s3cr3t-value\n",
    )
    .unwrap();
    let line = fails(
        crate::support::aksdk(kv.dir.path())
            .arg("--edgerc")
            .arg(&bad)
            .args(["edgekv", "tokens", "list"]),
        2,
    );
    assert!(line.contains(bad.to_str().unwrap()), "{line}");
    assert!(line.contains("line 3"), "{line}");
    assert!(!line.contains("s3cr3t"), "{line}");

    let missing = kv.path("no-such.edgerc");
    let line = fails(
        crate::support::aksdk(kv.dir.path())
            .arg("--edgerc")
            .arg(&missing)
            .args(["edgekv", "tokens", "list"]),
        2,
    );
    assert!(line.contains("no-such.edgerc"), "{line}");
    assert!(kv.emulator.requests().is_empty());
}

#[test]
fn an_unknown_section_is_named_with_those_present() {
    let kv = Kv::start();
    let line = fails(
        kv.aksdk()
            .args(["--section", "nope", "edgekv", "tokens", "list"]),
        2,
    );
    assert!(line.contains("section [nope] not found"), "{line}");
    assert!(line.contains("[default]"), "{line}");
    // AKAMAI_EDGERC_SECTION and AKAMAI_EDGERC as the flags' defaults.
    let line = fails(
        crate::support::aksdk(kv.dir.path())
            .env("AKAMAI_EDGERC", &kv.edgerc)
            .env("AKAMAI_EDGERC_SECTION", "other")
            .args(["--base-url", &kv.emulator.url(), "edgekv", "tokens", "list"]),
        2,
    );
    assert!(line.contains("section [other] not found"), "{line}");
    ok(crate::support::aksdk(kv.dir.path())
        .env("AKAMAI_EDGERC", &kv.edgerc)
        .args(["--base-url", &kv.emulator.url(), "edgekv", "tokens", "list"]));
}

#[test]
fn a_403_exits_1_with_the_status_the_message_and_the_request_id() {
    let kv = Kv::start();
    kv.emulator.inject(Fault::status(
        "GET",
        "/edgekv/v1/networks/*/namespaces",
        403,
    ));
    let line = fails(
        kv.aksdk()
            .args(["edgekv", "namespaces", "list", "--network", "staging"]),
        1,
    );
    assert!(
        line.starts_with("error: HTTP 403 Forbidden: ")
            && line.contains("Injected by a fault rule"),
        "{line}"
    );
    assert!(line.contains("(request id "), "{line}");
    let secret = &kv.emulator.edgegrid_credentials().client_secret;
    assert!(!line.contains(secret.as_str()));
}

#[test]
fn invalid_ids_and_arguments_are_usage_errors() {
    let kv = Kv::start();
    let line = fails(
        kv.aksdk().args([
            "edgekv",
            "items",
            "get",
            "a/b",
            "--network",
            "staging",
            "--namespace",
            "default",
            "--group",
            "g",
        ]),
        2,
    );
    assert!(line.contains("item id"), "{line}");
    let line = fails(
        kv.aksdk().args([
            "edgekv",
            "tokens",
            "create",
            "t",
            "--namespace",
            "default+rx",
        ]),
        2,
    );
    assert!(line.contains("NAMESPACE+PERMISSIONS"), "{line}");
    let line = fails(
        kv.aksdk().args([
            "edgekv",
            "tokens",
            "create",
            "t",
            "--namespace",
            "default+r",
            "--expiry",
            "31/12/2026",
        ]),
        2,
    );
    assert!(line.contains("YYYY-MM-DD"), "{line}");
    // An unknown network is clap's usage error.
    assert_eq!(
        run(kv
            .aksdk()
            .args(["edgekv", "namespaces", "list", "--network", "prod"]))
        .code,
        2
    );
    // Plain http to a host that is not a loopback address is refused.
    let line = fails(
        crate::support::aksdk(kv.dir.path())
            .arg("--edgerc")
            .arg(&kv.edgerc)
            .args(["--base-url", "http://example.com/edgekv/v1"])
            .args(["edgekv", "tokens", "list"]),
        2,
    );
    assert!(line.contains("configuration error"), "{line}");
    assert!(kv.emulator.requests().is_empty());
}
