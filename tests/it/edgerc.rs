//! `.edgerc` and environment credentials: every accept and reject rule, on the official sample
//! files where they fit (`shared/edgegrid/vectors/*/`).

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use akamai_sdk::edgegrid::{Credentials, CredentialsError, DEFAULT_MAX_BODY};
use secrecy::ExposeSecret;

const SECRET: &str = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=";

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/edgegrid/vectors")
}

fn sample(rel: &str) -> (String, String) {
    let path = vectors_dir().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    (text, rel.to_owned())
}

fn load(rel: &str, section: &str) -> Result<Credentials, CredentialsError> {
    let (text, origin) = sample(rel);
    Credentials::from_edgerc_str(&text, &origin, section)
}

/// The message and the Debug print name the origin, section (when given), key and line, and
/// never contain a secret.
fn assert_names(
    err: &CredentialsError,
    origin: &str,
    section: Option<&str>,
    key: Option<&str>,
    line: Option<usize>,
    secrets: &[&str],
) {
    let msg = err.to_string();
    let debug = format!("{err:?}");
    assert!(msg.contains(origin), "{msg}");
    if let Some(section) = section {
        assert!(msg.contains(&format!("[{section}]")), "{msg}");
        assert_eq!(err.location().unwrap().section(), Some(section));
    }
    if let Some(key) = key {
        assert!(msg.contains(&format!("`{key}`")), "{msg}");
        assert_eq!(err.key(), Some(key));
    }
    if let Some(line) = line {
        assert!(msg.contains(&format!("line {line}")), "{msg}");
        assert_eq!(err.location().unwrap().line(), Some(line));
    }
    for secret in secrets {
        assert!(!msg.contains(secret), "secret in message: {msg}");
        assert!(!debug.contains(secret), "secret in Debug: {debug}");
    }
}

#[test]
fn official_samples_load_with_trailing_slash_quotes_https_and_dashes() {
    for section in ["default", "broken", "headers", "dashes"] {
        let c = load("python/sample_edgerc", section).unwrap();
        assert_eq!(
            c.host(),
            "xxxx-xxxxxxxxxxxxxxxx-xxxxxxxxxxxxxxxx.luna.akamaiapis.net"
        );
        assert_eq!(c.client_token(), "xxxx-xxxxxxxxxxxxxxxx-xxxxxxxxxxxxxxxx");
        assert_eq!(c.client_secret().expose_secret(), SECRET);
        assert_eq!(
            c.access_token().expose_secret(),
            "xxxx-xxxxxxxxxxxxxxxx-xxxxxxxxxxxxxxxx"
        );
        assert_eq!(c.max_body(), DEFAULT_MAX_BODY);
        assert_eq!(c.account_key(), None);
    }
    let headers = load("python/sample_edgerc", "headers").unwrap();
    let names: Vec<&str> = headers
        .headers_to_sign()
        .iter()
        .map(|h| h.as_str())
        .collect();
    assert_eq!(names, ["x-mything1", "x-mything2"]);

    // Node's sample: quoted secret, `max-body`, `https://` host.
    let node = load("node/test_edgerc", "default").unwrap();
    assert_eq!(node.client_secret().expose_secret(), "clientSecret");
    assert_eq!(node.host(), "example.luna.akamaiapis.net");
    assert_eq!(
        load("node/test_edgerc", "https").unwrap().host(),
        "example.luna.akamaiapis.net"
    );
    assert_eq!(
        load("node/test_edgerc", "custom:max_body")
            .unwrap()
            .max_body(),
        8192
    );
    assert_eq!(
        load("node/test_edgerc", "no-max-body").unwrap().max_body(),
        DEFAULT_MAX_BODY
    );

    // Java's sample: `max-body`, upper-case host (lower-cased), unknown `headers` key ignored.
    let good1 = load("java/edgerc", "good1").unwrap();
    assert_eq!((good1.host(), good1.max_body()), ("host1", 65536));
    assert!(load("java/edgerc", "good4").is_ok());
    assert!(load("golang/edgerc", "test").is_ok());
    assert!(load("golang/edgerc", "slash-at-the-end-of-host-value").is_ok());
    assert!(load("golang/v1_sample_edgerc", "test").is_ok());
    assert!(load("httpie-edgegrid/sample_edgerc", "default").is_ok());
}

#[test]
fn comments_inline_comments_and_quotes() {
    let text = "# hash comment\n; semicolon comment\n[default] ; after header\n  # indented comment\nhost = 'akab-h.luna.akamaiapis.net' ; c\nclient_token = akab-ct # c\nclient_secret = \"se;cr #et\" # c\naccess_token = akab-at ;comment\n";
    let c = Credentials::from_edgerc_str(text, "inline", "default").unwrap();
    assert_eq!(c.host(), "akab-h.luna.akamaiapis.net");
    assert_eq!(c.client_token(), "akab-ct");
    assert_eq!(c.client_secret().expose_secret(), "se;cr #et");
    assert_eq!(c.access_token().expose_secret(), "akab-at");
    // Without a blank before it, `;` or `#` is part of the value.
    let text = text.replace("\"se;cr #et\" # c", "se;cr#et");
    let c = Credentials::from_edgerc_str(&text, "inline", "default").unwrap();
    assert_eq!(c.client_secret().expose_secret(), "se;cr#et");
}

#[test]
fn optional_keys_account_key_and_headers() {
    let text = "[s]\nhost=https://Akab-H.luna.akamaiapis.net/\nclient_token=ct\nclient_secret=cs\naccess_token=at\nmax_body = 1024\naccount_key = 1-ABCDE:1-2RBL\nheaders_to_sign = X-A , x-b,,\n";
    let c = Credentials::from_edgerc_str(text, "t", "s").unwrap();
    assert_eq!(c.host(), "akab-h.luna.akamaiapis.net");
    assert_eq!(c.max_body(), 1024);
    assert_eq!(c.account_key(), Some("1-ABCDE:1-2RBL"));
    let names: Vec<&str> = c.headers_to_sign().iter().map(|h| h.as_str()).collect();
    assert_eq!(names, ["x-a", "x-b"]);
}

#[test]
fn missing_section_lists_the_present_ones() {
    let err = load("golang/v1_nodefault_edgerc", "default").unwrap_err();
    assert!(
        matches!(&err, CredentialsError::MissingSection { section, available, .. }
        if section == "default" && available == &["nodefault"])
    );
    let msg = err.to_string();
    assert!(msg.contains("golang/v1_nodefault_edgerc"), "{msg}");
    assert!(
        msg.contains("[default]") && msg.contains("[nodefault]"),
        "{msg}"
    );
}

#[test]
fn missing_keys_name_section_key_and_header_line() {
    let cases = [
        ("golang/edgerc", "missing-host", "host", 7),
        (
            "golang/edgerc",
            "missing-client-secret",
            "client_secret",
            13,
        ),
        ("golang/edgerc", "missing-client-token", "client_token", 19),
        ("golang/edgerc", "missing-access-token", "access_token", 25),
        ("java/edgerc", "bad1", "host", 28),
        ("java/edgerc", "bad2", "access_token", 33),
        ("java/edgerc", "bad3", "client_token", 38),
        ("java/edgerc", "bad4", "client_secret", 43),
        ("python/edgerc_that_doesnt_parse", "default", "host", 1),
        ("golang/v1_edgerc_that_doesnt_parse", "default", "host", 1),
    ];
    for (file, section, key, line) in cases {
        let err = load(file, section).unwrap_err();
        assert!(
            matches!(err, CredentialsError::MissingKey { .. }),
            "{file} [{section}]: {err:?}"
        );
        // The message names the section and the missing key, and the line as where the
        // section starts (the key itself has no line).
        let text = err.to_string();
        assert!(
            text.contains(&format!(
                "section [{section}] (from line {line}) has no `{key}` key, which is required"
            )),
            "{text}"
        );
        assert_names(
            &err,
            file,
            Some(section),
            Some(key),
            Some(line),
            &["BAD-CS", SECRET],
        );
    }
}

#[test]
fn empty_keys_are_rejected_without_showing_anything() {
    for key in ["host", "client_token", "client_secret", "access_token"] {
        let mut text = String::from("[default]\n");
        for k in ["host", "client_token", "client_secret", "access_token"] {
            if k == key {
                text.push_str(&format!("{k} = \"\"\n"));
            } else {
                text.push_str(&format!("{k} = value-of-{k}\n"));
            }
        }
        let err = Credentials::from_edgerc_str(&text, "mem", "default").unwrap_err();
        assert!(
            matches!(err, CredentialsError::EmptyKey { .. }),
            "{key}: {err:?}"
        );
        let line = 2 + ["host", "client_token", "client_secret", "access_token"]
            .iter()
            .position(|k| *k == key)
            .unwrap();
        assert_names(
            &err,
            "mem",
            Some("default"),
            Some(key),
            Some(line),
            &["value-of-client_secret", "value-of-access_token"],
        );
    }
}

#[test]
fn duplicate_sections_and_keys() {
    let err = load(
        "httpie-edgegrid/sample_edgerc_duplicated_section",
        "default",
    )
    .unwrap_err();
    assert!(matches!(
        err,
        CredentialsError::DuplicateSection { first_line: 1, .. }
    ));
    assert_names(
        &err,
        "sample_edgerc_duplicated_section",
        Some("default"),
        None,
        Some(8),
        &[SECRET],
    );

    let text = format!(
        "[default]\nhost = h.example.net\nmax_body = 1\nclient_secret = {SECRET}\nmax-body = 2\n"
    );
    let err = Credentials::from_edgerc_str(&text, "dup", "default").unwrap_err();
    assert!(matches!(
        err,
        CredentialsError::DuplicateKey { first_line: 3, .. }
    ));
    assert_names(
        &err,
        "dup",
        Some("default"),
        Some("max-body"),
        Some(5),
        &[SECRET],
    );
    let text = format!("[default]\nclient_secret = {SECRET}\nclient-secret = {SECRET}\n");
    let err = Credentials::from_edgerc_str(&text, "dup", "default").unwrap_err();
    assert!(matches!(err, CredentialsError::DuplicateKey { .. }));
    assert_names(
        &err,
        "dup",
        Some("default"),
        Some("client-secret"),
        Some(3),
        &[SECRET],
    );
}

fn with_host(host: &str) -> String {
    format!("[default]\nclient_token = ct\nclient_secret = {SECRET}\naccess_token = at\nhost = {host}\n")
}

#[test]
fn hosts_with_a_path_or_another_scheme_are_rejected() {
    for host in [
        "akab-h.luna.akamaiapis.net/foo",
        "https://akab-h.luna.akamaiapis.net/foo/",
        "akab-h.luna.akamaiapis.net?x=1",
        "akab-h.luna.akamaiapis.net#f",
    ] {
        let err = Credentials::from_edgerc_str(&with_host(host), "hosts", "default").unwrap_err();
        assert!(
            matches!(err, CredentialsError::HostHasPath { .. }),
            "{host}: {err:?}"
        );
        assert_names(
            &err,
            "hosts",
            Some("default"),
            Some("host"),
            Some(5),
            &[SECRET],
        );
    }
    for host in [
        "http://akab-h.luna.akamaiapis.net",
        "ftp://x",
        "user@akab-h.net",
        "a b.net",
        "h.net:notaport",
    ] {
        let err = Credentials::from_edgerc_str(&with_host(host), "hosts", "default").unwrap_err();
        assert!(
            matches!(err, CredentialsError::InvalidHost { .. }),
            "{host}: {err:?}"
        );
    }
    let ok = Credentials::from_edgerc_str(
        &with_host("HTTPS://H.Example.NET:8443//"),
        "hosts",
        "default",
    )
    .unwrap();
    assert_eq!(ok.host(), "h.example.net:8443");
}

#[test]
fn non_numeric_max_body_is_rejected() {
    let err = load("node/test_edgerc", "custom:max_body_NAN").unwrap_err();
    assert!(matches!(err, CredentialsError::InvalidMaxBody { .. }));
    assert_names(
        &err,
        "node/test_edgerc",
        Some("custom:max_body_NAN"),
        Some("max_body"),
        Some(27),
        &["sectionClientSecret"],
    );
    for bad in ["xx131072", "-1", "0", "1.5", "", "99999999999999999999999"] {
        let text = format!("{}max-body = {bad}\n", with_host("h.net"));
        let err = Credentials::from_edgerc_str(&text, "mb", "default").unwrap_err();
        assert!(
            matches!(err, CredentialsError::InvalidMaxBody { .. }),
            "{bad:?}: {err:?}"
        );
        assert_names(
            &err,
            "mb",
            Some("default"),
            Some("max-body"),
            Some(6),
            &[SECRET],
        );
    }
}

#[test]
fn malformed_lines_are_rejected_by_number_never_by_text() {
    let err = load("java/edgerc_malformed", "broken").unwrap_err();
    assert!(matches!(err, CredentialsError::MalformedLine { .. }));
    assert_names(
        &err,
        "java/edgerc_malformed",
        None,
        None,
        Some(1),
        &["CSCSCSC"],
    );
    let cases = [
        (format!("client_secret {SECRET}\n[default]\n"), 1),
        (format!("client_secret = {SECRET}\n[default]\n"), 1),
        (
            "[default]\nhost = h\nC113nt53KR3TN6N90yVuAgICxIRwsObLi0E67/N8eRN=\n".to_owned(),
            3,
        ),
        (format!("[default]\nclient_secret = \"{SECRET}\n"), 2),
        (
            format!("[default]\nclient_secret = \"{SECRET}\" trailing\n"),
            2,
        ),
        (format!("[default]\n= {SECRET}\n"), 2),
        ("[]\n".to_owned(), 1),
        ("[default] junk\n".to_owned(), 1),
    ];
    for (text, line) in cases {
        let err = Credentials::from_edgerc_str(&text, "bad", "default").unwrap_err();
        assert!(
            matches!(err, CredentialsError::MalformedLine { .. }),
            "{text:?}: {err:?}"
        );
        assert_names(&err, "bad", None, None, Some(line), &[SECRET]);
    }
}

#[test]
fn tokens_with_blanks_are_rejected() {
    // Node's sample quotes tokens with a blank: valid INI, but not a usable token.
    let err = load("node/test_edgerc", "comment-test").unwrap_err();
    assert!(
        matches!(err, CredentialsError::InvalidValue { .. }),
        "{err:?}"
    );
    assert_names(
        &err,
        "node/test_edgerc",
        Some("comment-test"),
        Some("client_token"),
        Some(47),
        &["client;secret"],
    );
}

fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
    path
}

#[test]
fn files_are_read_and_world_readable_ones_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let (text, _) = sample("python/sample_edgerc");
    let path = write_file(dir.path(), "edgerc", &text);
    // The warning is logged on this test's thread, so its capture buffer receives it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        const WARNING: &str = "readable by group or others";
        let captured = crate::support::logs::capture();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        Credentials::from_edgerc(&path, "default").unwrap();
        let log = captured.text();
        let warning = log
            .lines()
            .find(|line| line.contains(WARNING))
            .unwrap_or_else(|| panic!("no warning about a 0644 file in {log}"));
        assert!(warning.contains("WARN"), "{warning}");
        assert!(warning.contains(&path.display().to_string()), "{warning}");
        assert!(warning.contains("mode=644"), "{warning}");
        assert!(!log.contains(SECRET), "{log}");

        captured.clear();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        Credentials::from_edgerc(&path, "default").unwrap();
        let log = captured.text();
        assert!(
            !log.contains(WARNING),
            "a 0600 file was warned about: {log}"
        );
        assert!(!log.contains(SECRET), "{log}");
    }

    let err = Credentials::from_edgerc(dir.path().join("absent"), "default").unwrap_err();
    assert!(matches!(err, CredentialsError::Read { .. }));
    assert!(err.to_string().contains("absent"), "{err}");

    // Errors from a file name the file's path.
    let bad = write_file(dir.path(), "bad", "[default]\nhost = h/p\n");
    let err = Credentials::from_edgerc(&bad, "default").unwrap_err();
    assert!(
        err.to_string().contains(&bad.display().to_string()),
        "{err}"
    );
}

fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

#[test]
fn environment_credentials_default_and_named_sections() {
    let lookup = env(&[
        ("AKAMAI_HOST", "https://akab-env.luna.akamaiapis.net/"),
        ("AKAMAI_CLIENT_TOKEN", "akab-ct"),
        ("AKAMAI_CLIENT_SECRET", "env-secret"),
        ("AKAMAI_ACCESS_TOKEN", "akab-at"),
        ("AKAMAI_MAX_BODY", "4096"),
        ("AKAMAI_ACCOUNT_KEY", "1-ABC:1-DEF"),
        ("AKAMAI_CCU_HOST", "ccu.luna.akamaiapis.net"),
        ("AKAMAI_CCU_CLIENT_TOKEN", "ccu-ct"),
        ("AKAMAI_CCU_CLIENT_SECRET", "ccu-secret"),
        ("AKAMAI_CCU_ACCESS_TOKEN", "ccu-at"),
    ]);
    let c = Credentials::from_env_with("default", &lookup).unwrap();
    assert_eq!(c.host(), "akab-env.luna.akamaiapis.net");
    assert_eq!(c.client_secret().expose_secret(), "env-secret");
    assert_eq!((c.max_body(), c.account_key()), (4096, Some("1-ABC:1-DEF")));
    let ccu = Credentials::from_env_with("ccu", &lookup).unwrap();
    assert_eq!(
        (ccu.host(), ccu.max_body()),
        ("ccu.luna.akamaiapis.net", DEFAULT_MAX_BODY)
    );

    let err = Credentials::from_env_with("other", &lookup).unwrap_err();
    assert!(
        matches!(&err, CredentialsError::IncompleteEnvironment { missing }
        if missing.len() == 4 && missing[0] == "AKAMAI_OTHER_HOST")
    );

    let partial = env(&[
        ("AKAMAI_HOST", "h.net"),
        ("AKAMAI_CLIENT_TOKEN", "ct"),
        ("AKAMAI_CLIENT_SECRET", ""),
    ]);
    let err = Credentials::from_env_with("default", partial).unwrap_err();
    assert!(
        matches!(&err, CredentialsError::IncompleteEnvironment { missing }
        if missing == &["AKAMAI_CLIENT_SECRET", "AKAMAI_ACCESS_TOKEN"])
    );

    let bad = env(&[
        ("AKAMAI_HOST", "h.net"),
        ("AKAMAI_CLIENT_TOKEN", "ct"),
        ("AKAMAI_CLIENT_SECRET", "env-secret"),
        ("AKAMAI_ACCESS_TOKEN", "at"),
        ("AKAMAI_MAX_BODY", "lots"),
    ]);
    let err = Credentials::from_env_with("default", bad).unwrap_err();
    assert!(matches!(err, CredentialsError::InvalidMaxBody { .. }));
    assert!(err.to_string().contains("AKAMAI_MAX_BODY"), "{err}");
    assert!(err.to_string().contains("environment"), "{err}");
    assert!(!err.to_string().contains("env-secret"));
}

#[test]
fn load_follows_the_documented_precedence() {
    let dir = tempfile::tempdir().unwrap();
    let file_text = "[default]\nhost = file.net\nclient_token = f-ct\nclient_secret = f-cs\naccess_token = f-at\n[other]\nhost = other.net\nclient_token = o-ct\nclient_secret = o-cs\naccess_token = o-at\n";
    let path = write_file(dir.path(), "rc", file_text);
    let home = dir.path().to_str().unwrap().to_owned();
    write_file(
        dir.path(),
        ".edgerc",
        &file_text.replace("file.net", "home.net"),
    );

    // 1. Nothing in the environment: ~/.edgerc (HOME), section default.
    let c = Credentials::load_with(None, None, env(&[("HOME", &home)])).unwrap();
    assert_eq!(c.host(), "home.net");
    // 2. AKAMAI_EDGERC and AKAMAI_EDGERC_SECTION.
    let vars = [
        ("HOME", home.as_str()),
        ("AKAMAI_EDGERC", path.to_str().unwrap()),
        ("AKAMAI_EDGERC_SECTION", "other"),
    ];
    assert_eq!(
        Credentials::load_with(None, None, env(&vars))
            .unwrap()
            .host(),
        "other.net"
    );
    // 3. Arguments beat those variables.
    let c = Credentials::load_with(Some(&path), Some("default"), env(&vars)).unwrap();
    assert_eq!(c.host(), "file.net");
    // 4. Complete environment credentials of the section beat any file.
    let with_env = [
        ("HOME", home.as_str()),
        ("AKAMAI_EDGERC_SECTION", "other"),
        ("AKAMAI_OTHER_HOST", "env.net"),
        ("AKAMAI_OTHER_CLIENT_TOKEN", "e-ct"),
        ("AKAMAI_OTHER_CLIENT_SECRET", "e-cs"),
        ("AKAMAI_OTHER_ACCESS_TOKEN", "e-at"),
    ];
    assert_eq!(
        Credentials::load_with(Some(&path), None, env(&with_env))
            .unwrap()
            .host(),
        "env.net"
    );
    // 5. Incomplete environment credentials are ignored.
    let c = Credentials::load_with(Some(&path), None, env(&with_env[..4])).unwrap();
    assert_eq!(c.host(), "other.net");
    // 6. No home and no path.
    let err = Credentials::load_with(None, None, env(&[])).unwrap_err();
    assert!(matches!(err, CredentialsError::NoHomeDirectory));
}

#[test]
fn builder_validates_like_the_file() {
    let ok = Credentials::builder("https://H.net/", "ct", "cs", "at")
        .max_body(10)
        .headers_to_sign(["X-One"])
        .build()
        .unwrap();
    assert_eq!((ok.host(), ok.max_body()), ("h.net", 10));
    assert!(matches!(
        Credentials::builder("h.net/p", "ct", "cs", "at").build(),
        Err(CredentialsError::HostHasPath { .. })
    ));
    assert!(matches!(
        Credentials::builder("h.net", "ct", "", "at").build(),
        Err(CredentialsError::EmptyKey { .. })
    ));
    assert!(matches!(
        Credentials::builder("h.net", "ct", "cs", "at")
            .max_body(0)
            .build(),
        Err(CredentialsError::InvalidMaxBody { .. })
    ));
    assert!(matches!(
        Credentials::builder("h.net", "ct", "cs", "at")
            .headers_to_sign(["bad header"])
            .build(),
        Err(CredentialsError::InvalidValue { .. })
    ));
    let err = Credentials::builder("h.net", "c t", "top-secret", "at")
        .build()
        .unwrap_err();
    assert!(!format!("{err} {err:?}").contains("top-secret"));
}
