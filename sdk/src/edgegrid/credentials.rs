//! EdgeGrid API client credentials: from `.edgerc`, the environment, or code.

use std::fmt;
use std::path::{Path, PathBuf};

use reqwest::header::HeaderName;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroize;

use super::edgerc::{self, Section};
use super::error::{CredentialsError, Location};

/// The default `max_body`: how many bytes of a POST body are hashed (128 KiB).
pub const DEFAULT_MAX_BODY: usize = 131_072;
/// The section read when none is named.
pub const DEFAULT_SECTION: &str = "default";
/// Environment variable naming the `.edgerc` file.
pub const ENV_EDGERC: &str = "AKAMAI_EDGERC";
/// Environment variable naming the `.edgerc` section.
pub const ENV_EDGERC_SECTION: &str = "AKAMAI_EDGERC_SECTION";

const ORIGIN_ENV: &str = "environment";
const ORIGIN_BUILDER: &str = "builder";

/// EdgeGrid API client credentials.
///
/// `client_secret` and `access_token` are held in [`SecretString`]s (redacted `Debug`, memory
/// zeroed on drop); `Debug` of `Credentials` shows neither them nor the client token.
///
/// # Sources and precedence
///
/// [`Credentials::load`] resolves, in this order:
///
/// 1. **Section**: the `section` argument, else `AKAMAI_EDGERC_SECTION`, else `default`.
/// 2. **Environment**: if `AKAMAI_[SECTION_]HOST`, `…_CLIENT_TOKEN`, `…_CLIENT_SECRET` and
///    `…_ACCESS_TOKEN` are all set and non-empty, they are used (with the optional `…_MAX_BODY`,
///    `…_ACCOUNT_KEY` and `…_HEADERS_TO_SIGN`) and no file is read. The prefix is `AKAMAI_` for
///    section `default`, else `AKAMAI_<SECTION UPPER-CASED>_` (section `ccu` → `AKAMAI_CCU_HOST`).
///    If only some are set, they are ignored.
/// 3. **File**: the `path` argument, else `AKAMAI_EDGERC`, else `~/.edgerc` (a leading `~/` is
///    expanded with `HOME`), and the section from step 1 in it.
///
/// # `.edgerc`
///
/// ```ini
/// [default]
/// client_secret = C113nt53KR3TN6N90yVuAgICxIRwsObLi0E67/N8eRN=
/// host = akab-h05tnam3wl42son7nktnlnnx-kbob3i3v.luna.akamaiapis.net
/// access_token = akab-acc35t0k3nodujqunph3w7hzp7-gtm6ij
/// client_token = akab-c113ntt0k3n4qtari252bfxxbsl-yvsdj
/// ; optional
/// max_body = 131072
/// headers_to_sign = x-a, x-b
/// account_key = 1-ABCDE:1-2RBL
/// ```
///
/// Keys are case-insensitive and `client-token` equals `client_token` (so both `max_body` and
/// `max-body` work); unknown keys are ignored. `#` and `;` start comment lines; one pair of
/// quotes around a value is removed; a `https://` prefix and a trailing `/` on `host` are
/// removed. Missing or duplicate sections and keys, a host with a path, a non-numeric
/// `max_body` and malformed lines are errors naming the file, section, key and line. On Unix, a
/// file readable by group or others is loaded with a `tracing` warning.
#[derive(Clone)]
pub struct Credentials {
    host: String,
    client_token: String,
    client_secret: SecretString,
    access_token: SecretString,
    max_body: usize,
    headers_to_sign: Vec<HeaderName>,
    account_key: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("host", &self.host)
            .field("client_token", &"[REDACTED]")
            .field("client_secret", &"[REDACTED]")
            .field("access_token", &"[REDACTED]")
            .field("max_body", &self.max_body)
            .field("headers_to_sign", &self.headers_to_sign)
            .field("account_key", &self.account_key)
            .finish()
    }
}

impl Credentials {
    /// Starts credentials in code; [`CredentialsBuilder::build`] validates them.
    ///
    /// ```
    /// use akamai_sdk::edgegrid::Credentials;
    ///
    /// let creds = Credentials::builder(
    ///     "akab-host.luna.akamaiapis.net",
    ///     "akab-client-token",
    ///     "client-secret=",
    ///     "akab-access-token",
    /// )
    /// .max_body(65_536)
    /// .account_key("1-ABCDE:1-2RBL")
    /// .build()
    /// .unwrap();
    /// assert_eq!(creds.host(), "akab-host.luna.akamaiapis.net");
    /// assert!(!format!("{creds:?}").contains("client-secret"));
    /// ```
    pub fn builder(
        host: impl Into<String>,
        client_token: impl Into<String>,
        client_secret: impl Into<String>,
        access_token: impl Into<String>,
    ) -> CredentialsBuilder {
        CredentialsBuilder {
            host: host.into(),
            client_token: client_token.into(),
            client_secret: SecretString::from(client_secret.into()),
            access_token: SecretString::from(access_token.into()),
            max_body: DEFAULT_MAX_BODY,
            headers_to_sign: Vec::new(),
            account_key: None,
        }
    }

    /// Reads `section` of the `.edgerc` file at `path` (a leading `~/` is expanded with `HOME`).
    ///
    /// Warns (through `tracing`) when the file is readable by group or others.
    pub fn from_edgerc(path: impl AsRef<Path>, section: &str) -> Result<Self, CredentialsError> {
        let path = expand_home(path.as_ref(), &|k| std::env::var(k).ok())?;
        read_file(&path, section)
    }

    /// Reads `section` of `.edgerc` text. `origin` names the text in errors (a path, say).
    pub fn from_edgerc_str(
        text: &str,
        origin: &str,
        section: &str,
    ) -> Result<Self, CredentialsError> {
        let sections = edgerc::parse(text, origin)?;
        from_sections(&sections, origin, section)
    }

    /// Reads the credentials of `section` from the process environment
    /// (`AKAMAI_[SECTION_]HOST` etc., see the [type docs](Credentials#sources-and-precedence)).
    pub fn from_env(section: &str) -> Result<Self, CredentialsError> {
        Self::from_env_with(section, |name| std::env::var(name).ok())
    }

    /// [`Credentials::from_env`] with an injectable variable lookup (for tests).
    ///
    /// Returns [`CredentialsError::IncompleteEnvironment`] unless all four required variables
    /// are set and non-empty.
    pub fn from_env_with(
        section: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, CredentialsError> {
        let prefix = env_prefix(section);
        let var = |suffix: &str| {
            let name = format!("{prefix}{suffix}");
            let value = lookup(&name).filter(|v| !v.is_empty());
            (name, value)
        };
        let (host_var, host) = var("HOST");
        let (ct_var, client_token) = var("CLIENT_TOKEN");
        let (cs_var, client_secret) = var("CLIENT_SECRET");
        let client_secret = client_secret.map(SecretString::from);
        let (at_var, access_token) = var("ACCESS_TOKEN");
        let access_token = access_token.map(SecretString::from);
        let missing: Vec<String> = [
            (&host_var, host.is_none()),
            (&ct_var, client_token.is_none()),
            (&cs_var, client_secret.is_none()),
            (&at_var, access_token.is_none()),
        ]
        .into_iter()
        .filter(|(_, absent)| *absent)
        .map(|(name, _)| name.clone())
        .collect();
        let (Some(host), Some(client_token), Some(client_secret), Some(access_token)) =
            (host, client_token, client_secret, access_token)
        else {
            return Err(CredentialsError::IncompleteEnvironment { missing });
        };
        let (mb_var, max_body) = var("MAX_BODY");
        let (hs_var, headers) = var("HEADERS_TO_SIGN");
        let (ak_var, account_key) = var("ACCOUNT_KEY");
        let at = |_: &str| Location::new(ORIGIN_ENV, Some(section), None);
        Raw {
            host: (&host, &host_var),
            client_token: (&client_token, &ct_var),
            client_secret: (client_secret, &cs_var),
            access_token: (access_token, &at_var),
            max_body: max_body.as_deref().map(|v| (v, mb_var.as_str())),
            headers_to_sign: headers.as_deref().map(|v| (v, hs_var.as_str())),
            account_key: account_key.as_deref().map(|v| (v, ak_var.as_str())),
        }
        .validate(&at)
    }

    /// Loads credentials following the documented
    /// [precedence](Credentials#sources-and-precedence): environment variables for the section,
    /// else the `.edgerc` file.
    pub fn load(path: Option<&Path>, section: Option<&str>) -> Result<Self, CredentialsError> {
        Self::load_with(path, section, |name| std::env::var(name).ok())
    }

    /// [`Credentials::load`] with an injectable environment lookup (also used for
    /// `AKAMAI_EDGERC`, `AKAMAI_EDGERC_SECTION` and `HOME`).
    pub fn load_with(
        path: Option<&Path>,
        section: Option<&str>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, CredentialsError> {
        let section = section
            .map(str::to_owned)
            .or_else(|| lookup(ENV_EDGERC_SECTION).filter(|s| !s.is_empty()))
            .unwrap_or_else(|| DEFAULT_SECTION.to_owned());
        match Self::from_env_with(&section, &lookup) {
            Ok(creds) => {
                tracing::debug!(section = %section, "EdgeGrid credentials read from the environment");
                return Ok(creds);
            }
            Err(CredentialsError::IncompleteEnvironment { .. }) => {}
            Err(other) => return Err(other),
        }
        let path = match path {
            Some(p) => p.to_path_buf(),
            None => lookup(ENV_EDGERC)
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("~/.edgerc")),
        };
        let path = expand_home(&path, &lookup)?;
        read_file(&path, &section)
    }

    /// The API host, without scheme or trailing `/` (`akab-….luna.akamaiapis.net`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The client token (it is sent in every `Authorization` header; not a secret, but not
    /// shown by `Debug` either).
    pub fn client_token(&self) -> &str {
        &self.client_token
    }

    /// The client secret.
    pub fn client_secret(&self) -> &SecretString {
        &self.client_secret
    }

    /// The access token.
    pub fn access_token(&self) -> &SecretString {
        &self.access_token
    }

    /// How many bytes of a POST body are hashed.
    pub fn max_body(&self) -> usize {
        self.max_body
    }

    /// The headers whose values are signed, lower-cased, in signing order (usually none).
    pub fn headers_to_sign(&self) -> &[HeaderName] {
        &self.headers_to_sign
    }

    /// The account switch key added as `accountSwitchKey` to every signed request.
    pub fn account_key(&self) -> Option<&str> {
        self.account_key.as_deref()
    }
}

/// Builds [`Credentials`] in code; see [`Credentials::builder`].
pub struct CredentialsBuilder {
    host: String,
    client_token: String,
    client_secret: SecretString,
    access_token: SecretString,
    max_body: usize,
    headers_to_sign: Vec<String>,
    account_key: Option<String>,
}

impl fmt::Debug for CredentialsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsBuilder")
            .field("host", &self.host)
            .field("max_body", &self.max_body)
            .field("headers_to_sign", &self.headers_to_sign)
            .field("account_key", &self.account_key)
            .finish_non_exhaustive()
    }
}

impl CredentialsBuilder {
    /// How many bytes of a POST body are hashed (default [`DEFAULT_MAX_BODY`]).
    pub fn max_body(mut self, max_body: usize) -> Self {
        self.max_body = max_body;
        self
    }

    /// Headers whose values are signed, in this order (default none; EdgeKV needs none).
    pub fn headers_to_sign<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.headers_to_sign = names.into_iter().map(Into::into).collect();
        self
    }

    /// An account switch key, added as the `accountSwitchKey` query parameter.
    pub fn account_key(mut self, key: impl Into<String>) -> Self {
        self.account_key = Some(key.into());
        self
    }

    /// Validates the values (same rules as `.edgerc`).
    pub fn build(self) -> Result<Credentials, CredentialsError> {
        let at = |_: &str| Location::new(ORIGIN_BUILDER, None, None);
        if self.max_body == 0 {
            return Err(CredentialsError::InvalidMaxBody {
                at: at("max_body"),
                key: "max_body".to_owned(),
            });
        }
        let headers = self.headers_to_sign.join(",");
        let max_body = self.max_body.to_string();
        Raw {
            host: (&self.host, "host"),
            client_token: (&self.client_token, "client_token"),
            client_secret: (self.client_secret, "client_secret"),
            access_token: (self.access_token, "access_token"),
            max_body: Some((&max_body, "max_body")),
            headers_to_sign: Some((&headers, "headers_to_sign")),
            account_key: self.account_key.as_deref().map(|k| (k, "account_key")),
        }
        .validate(&at)
    }
}

/// Unvalidated values, each with the key (or variable) it came from.
struct Raw<'a> {
    host: (&'a str, &'a str),
    client_token: (&'a str, &'a str),
    client_secret: (SecretString, &'a str),
    access_token: (SecretString, &'a str),
    max_body: Option<(&'a str, &'a str)>,
    headers_to_sign: Option<(&'a str, &'a str)>,
    account_key: Option<(&'a str, &'a str)>,
}

impl Raw<'_> {
    /// `at(key)` gives the location of a key.
    fn validate(self, at: &dyn Fn(&str) -> Location) -> Result<Credentials, CredentialsError> {
        let (host_value, host_key) = self.host;
        let host = normalize_host(host_value, host_key, at)?;
        let (ct, ct_key) = self.client_token;
        check_required(ct, ct_key, at)?;
        check_token(ct, ct_key, at)?;
        let (client_secret, cs_key) = self.client_secret;
        check_required(client_secret.expose_secret(), cs_key, at)?;
        let (access_token, at_key) = self.access_token;
        check_required(access_token.expose_secret(), at_key, at)?;
        check_token(access_token.expose_secret(), at_key, at)?;
        let max_body = match self.max_body {
            None => DEFAULT_MAX_BODY,
            Some((v, key)) => v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| CredentialsError::InvalidMaxBody {
                    at: at(key),
                    key: key.to_owned(),
                })?,
        };
        let mut headers_to_sign = Vec::new();
        if let Some((list, key)) = self.headers_to_sign {
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let name =
                    HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).map_err(|_| {
                        CredentialsError::InvalidValue {
                            at: at(key),
                            key: key.to_owned(),
                            reason: "not a comma-separated list of header names",
                        }
                    })?;
                headers_to_sign.push(name);
            }
        }
        let account_key = self
            .account_key
            .map(|(v, _)| v.trim())
            .filter(|v| !v.is_empty())
            .map(str::to_owned);
        Ok(Credentials {
            host,
            client_token: ct.to_owned(),
            client_secret,
            access_token,
            max_body,
            headers_to_sign,
            account_key,
        })
    }
}

fn check_required(
    value: &str,
    key: &str,
    at: &dyn Fn(&str) -> Location,
) -> Result<(), CredentialsError> {
    if value.is_empty() {
        return Err(CredentialsError::EmptyKey {
            at: at(key),
            key: key.to_owned(),
        });
    }
    Ok(())
}

/// Tokens go verbatim into the `Authorization` header, between `=` and `;`.
fn check_token(
    value: &str,
    key: &str,
    at: &dyn Fn(&str) -> Location,
) -> Result<(), CredentialsError> {
    if value.bytes().all(|b| b.is_ascii_graphic() && b != b';') {
        Ok(())
    } else {
        Err(CredentialsError::InvalidValue {
            at: at(key),
            key: key.to_owned(),
            reason: "a token must be printable ASCII without blanks or `;`",
        })
    }
}

/// Strips `https://` and trailing `/`, checks that what is left is `host[:port]`, lower-cases it.
fn normalize_host(
    value: &str,
    key: &str,
    at: &dyn Fn(&str) -> Location,
) -> Result<String, CredentialsError> {
    check_required(value, key, at)?;
    let invalid = |reason| CredentialsError::InvalidHost {
        at: at(key),
        key: key.to_owned(),
        reason,
    };
    let mut host = value.trim();
    if host
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
    {
        host = &host[8..];
    } else if host.contains("://") {
        return Err(invalid("only an https:// prefix is accepted"));
    }
    let host = host.trim_end_matches('/');
    if host.is_empty() {
        return Err(CredentialsError::EmptyKey {
            at: at(key),
            key: key.to_owned(),
        });
    }
    if host.contains(['/', '?', '#']) {
        return Err(CredentialsError::HostHasPath {
            at: at(key),
            key: key.to_owned(),
        });
    }
    if host.contains('@') {
        return Err(invalid("user information is not allowed"));
    }
    if !host.is_ascii() {
        return Err(invalid("a host must be ASCII (use the punycode form)"));
    }
    if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("a host must not contain blanks"));
    }
    let url = url::Url::parse(&format!("https://{host}/"))
        .map_err(|_| invalid("not a host name or host:port"))?;
    let Some(name) = url.host_str() else {
        return Err(invalid("not a host name or host:port"));
    };
    Ok(match url.port() {
        Some(port) => format!("{name}:{port}"),
        None => name.to_owned(),
    })
}

fn from_sections(
    sections: &[Section<'_>],
    origin: &str,
    name: &str,
) -> Result<Credentials, CredentialsError> {
    let Some(section) = sections.iter().find(|s| s.name == name) else {
        return Err(CredentialsError::MissingSection {
            at: Location::new(origin, None, None),
            section: name.to_owned(),
            available: sections.iter().map(|s| s.name.to_owned()).collect(),
        });
    };
    let header_at = Location::new(origin, Some(name), Some(section.line));
    let required = |key: &'static str| {
        section
            .get(key)
            .map(|e| (e.value, e.key))
            .ok_or_else(|| CredentialsError::MissingKey {
                at: header_at.clone(),
                key: key.to_owned(),
            })
    };
    let host = required("host")?;
    let client_token = required("client_token")?;
    let client_secret = required("client_secret")?;
    let access_token = required("access_token")?;
    let optional = |key: &str| section.get(key).map(|e| (e.value, e.key));
    let at = |key: &str| {
        let normalized = edgerc::normalize_key(key);
        let line = section.get(&normalized).map_or(section.line, |e| e.line);
        Location::new(origin, Some(name), Some(line))
    };
    Raw {
        host,
        client_token,
        client_secret: (
            SecretString::from(client_secret.0.to_owned()),
            client_secret.1,
        ),
        access_token: (
            SecretString::from(access_token.0.to_owned()),
            access_token.1,
        ),
        max_body: optional("max_body"),
        headers_to_sign: optional("headers_to_sign"),
        account_key: optional("account_key"),
    }
    .validate(&at)
}

fn read_file(path: &Path, section: &str) -> Result<Credentials, CredentialsError> {
    let read_err = |source| CredentialsError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut text = std::fs::read_to_string(path).map_err(read_err)?;
    warn_if_shared(path);
    let origin = path.display().to_string();
    let result = Credentials::from_edgerc_str(&text, &origin, section);
    text.zeroize();
    result
}

#[cfg(unix)]
fn warn_if_shared(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = meta.permissions().mode();
        if mode & 0o044 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format_args!("{:o}", mode & 0o777),
                "EdgeGrid credentials file is readable by group or others; restrict it with `chmod 600`"
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_path: &Path) {}

/// `AKAMAI_` for `default`, else `AKAMAI_<SECTION>_`.
pub(crate) fn env_prefix(section: &str) -> String {
    if section == DEFAULT_SECTION {
        "AKAMAI_".to_owned()
    } else {
        format!("AKAMAI_{}_", section.to_uppercase())
    }
}

fn expand_home(
    path: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<PathBuf, CredentialsError> {
    let Some(text) = path.to_str() else {
        return Ok(path.to_path_buf());
    };
    let rest = if text == "~" {
        ""
    } else if let Some(rest) = text.strip_prefix("~/") {
        rest
    } else {
        return Ok(path.to_path_buf());
    };
    let home = lookup("HOME")
        .or_else(|| lookup("USERPROFILE"))
        .filter(|h| !h.is_empty())
        .ok_or(CredentialsError::NoHomeDirectory)?;
    Ok(Path::new(&home).join(rest))
}
