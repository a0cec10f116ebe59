//! Errors of credential loading and request signing.
//!
//! No message, `Debug` print or field of these types ever holds a secret: a malformed line is
//! reported by its number and a reason, never by its text, and a rejected value is never echoed.

use std::fmt;
use std::path::PathBuf;

/// Where a credential setting came from: a file (or a named text), a section and a line.
///
/// `Display` reads like `~/.edgerc, section [default], line 4`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    origin: String,
    section: Option<String>,
    line: Option<usize>,
}

impl Location {
    pub(crate) fn new(origin: &str, section: Option<&str>, line: Option<usize>) -> Self {
        Self {
            origin: origin.to_owned(),
            section: section.map(str::to_owned),
            line,
        }
    }

    /// The file path, the origin name given to
    /// [`Credentials::from_edgerc_str`](super::Credentials::from_edgerc_str), `environment` or
    /// `builder`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The `.edgerc` section, when the problem is inside one.
    pub fn section(&self) -> Option<&str> {
        self.section.as_deref()
    }

    /// The 1-based line number, when the setting came from a file.
    pub fn line(&self) -> Option<usize> {
        self.line
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(section) = &self.section {
            write!(f, ", section [{section}]")?;
        }
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        Ok(())
    }
}

/// The message of a missing key: the section and the key, with the line where the section
/// starts (a missing key has no line of its own), as in
/// "~/.edgerc: section \[default\] (from line 3) has no `client_secret` key, which is required".
fn missing_key_message(at: &Location, key: &str) -> String {
    match (&at.section, at.line) {
        (Some(section), Some(line)) => format!(
            "{}: section [{section}] (from line {line}) has no `{key}` key, which is required",
            at.origin
        ),
        (Some(section), None) => format!(
            "{}: section [{section}] has no `{key}` key, which is required",
            at.origin
        ),
        _ => format!("{at}: required key `{key}` is missing"),
    }
}

/// EdgeGrid credentials could not be loaded or are invalid.
///
/// Every variant that concerns a setting names where it was found ([`Location`]: file,
/// section, line) and the key. No variant carries a secret or the text of a rejected line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The credentials file could not be read.
    #[error("cannot read EdgeGrid credentials file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// No `.edgerc` path was given, `AKAMAI_EDGERC` is not set and there is no home directory
    /// to find `~/.edgerc` in.
    #[error("no home directory to find ~/.edgerc in: set AKAMAI_EDGERC or HOME, or pass a path")]
    NoHomeDirectory,
    /// The requested section is not in the file.
    #[error(
        "{at}: section [{section}] not found (sections present: {})",
        list_or_none(available)
    )]
    MissingSection {
        /// The file.
        at: Location,
        /// The section that was asked for.
        section: String,
        /// The sections the file has, in file order.
        available: Vec<String>,
    },
    /// A section header appears twice.
    #[error("{at}: section [{}] is defined again (first defined at line {first_line})", at.section().unwrap_or_default())]
    DuplicateSection {
        /// The second header.
        at: Location,
        /// The line of the first header.
        first_line: usize,
    },
    /// A key is set twice in one section (`max_body` and `max-body` are the same key).
    #[error("{at}: key `{key}` is set again (first set at line {first_line})")]
    DuplicateKey {
        /// The second assignment.
        at: Location,
        /// The key as written on that line.
        key: String,
        /// The line of the first assignment.
        first_line: usize,
    },
    /// A line is neither a comment, a `[section]` header nor a `key = value` pair.
    #[error("{at}: malformed line: {reason}")]
    MalformedLine {
        /// The line.
        at: Location,
        /// What is wrong with it (the line's text is never shown: it may hold a secret).
        reason: &'static str,
    },
    /// A required key is absent from a section (or the environment).
    #[error("{}", missing_key_message(at, key))]
    MissingKey {
        /// The section (its line is the section's header line) or the environment.
        at: Location,
        /// The key or environment variable.
        key: String,
    },
    /// A required key is present but empty.
    #[error("{at}: key `{key}` is empty")]
    EmptyKey {
        /// The assignment.
        at: Location,
        /// The key or environment variable.
        key: String,
    },
    /// The host has a path, query or fragment (`host = example.luna.akamaiapis.net/foo`).
    #[error("{at}: key `{key}` must be a bare host name (an https:// prefix and a trailing / are accepted), not a URL with a path")]
    HostHasPath {
        /// The assignment.
        at: Location,
        /// The key or environment variable.
        key: String,
    },
    /// The host is not a valid host name (or `host:port`).
    #[error("{at}: key `{key}` is not a valid host: {reason}")]
    InvalidHost {
        /// The assignment.
        at: Location,
        /// The key or environment variable.
        key: String,
        /// Why.
        reason: &'static str,
    },
    /// `max_body` is not a positive integer.
    #[error("{at}: key `{key}` must be a positive integer (a number of bytes)")]
    InvalidMaxBody {
        /// The assignment.
        at: Location,
        /// The key or environment variable.
        key: String,
    },
    /// Another value is not usable (a token with spaces, an invalid header name...).
    #[error("{at}: key `{key}` is invalid: {reason}")]
    InvalidValue {
        /// The assignment.
        at: Location,
        /// The key or environment variable.
        key: String,
        /// Why (never the value itself).
        reason: &'static str,
    },
    /// Not every required `AKAMAI_…` environment variable is set (returned by
    /// [`Credentials::from_env`](super::Credentials::from_env); [`Credentials::load`](super::Credentials::load)
    /// then falls back to the file).
    #[error("EdgeGrid credentials are not (completely) set in the environment: missing {}", missing.join(", "))]
    IncompleteEnvironment {
        /// The unset or empty variables.
        missing: Vec<String>,
    },
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items
            .iter()
            .map(|s| format!("[{s}]"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl CredentialsError {
    /// Where the problem is (file, section, line), when it concerns a setting.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Self::MissingSection { at, .. }
            | Self::DuplicateSection { at, .. }
            | Self::DuplicateKey { at, .. }
            | Self::MalformedLine { at, .. }
            | Self::MissingKey { at, .. }
            | Self::EmptyKey { at, .. }
            | Self::HostHasPath { at, .. }
            | Self::InvalidHost { at, .. }
            | Self::InvalidMaxBody { at, .. }
            | Self::InvalidValue { at, .. } => Some(at),
            Self::Read { .. } | Self::NoHomeDirectory | Self::IncompleteEnvironment { .. } => None,
        }
    }

    /// The key (or environment variable) concerned, when there is one.
    pub fn key(&self) -> Option<&str> {
        match self {
            Self::DuplicateKey { key, .. }
            | Self::MissingKey { key, .. }
            | Self::EmptyKey { key, .. }
            | Self::HostHasPath { key, .. }
            | Self::InvalidHost { key, .. }
            | Self::InvalidMaxBody { key, .. }
            | Self::InvalidValue { key, .. } => Some(key),
            _ => None,
        }
    }
}

/// A request could not be signed. The message never contains a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SigningError {
    /// The body of a `POST` is a stream, so it cannot be hashed before it is sent. EdgeGrid signs
    /// a hash of the first `max_body` bytes of every POST body: give the request a buffered body
    /// (bytes, a `String`, JSON).
    #[error("cannot sign a {method} request with a streaming body: EdgeGrid hashes the body of a POST, so it must be buffered")]
    UnhashableBody {
        /// The request method.
        method: String,
    },
    /// The `Authorization` value is not a valid header value (a nonce from a custom nonce
    /// source with a control character, for instance).
    #[error("the Authorization header value is invalid: {reason}")]
    InvalidHeader {
        /// Why.
        reason: &'static str,
    },
}
