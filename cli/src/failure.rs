//! How a command fails: the exit status and the one line it prints on stderr.

use std::fmt;
use std::io;

use akamai_sdk::edgekv::bulk::BulkError;
use akamai_sdk::edgekv::TokensFileError;
use akamai_sdk::Error;

/// Exit status of a success.
pub(crate) const SUCCESS: u8 = 0;
/// Exit status of an API or network failure (and of a bulk run with failed items).
pub(crate) const API_FAILURE: u8 = 1;
/// Exit status of bad usage or input: missing or malformed credentials, an invalid id.
pub(crate) const BAD_INPUT: u8 = 2;
/// Exit status after Ctrl-C (128 + SIGINT, as shells report it).
pub(crate) const INTERRUPTED: u8 = 130;

/// A command that did not succeed: its exit status and, unless it was already reported, the
/// message to print.
#[derive(Debug)]
pub(crate) struct Failure {
    code: u8,
    message: Option<String>,
}

impl Failure {
    /// Bad usage or input (exit 2).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            code: BAD_INPUT,
            message: Some(message.into()),
        }
    }

    /// An API, network or local I/O failure (exit 1).
    pub(crate) fn failed(message: impl Into<String>) -> Self {
        Self {
            code: API_FAILURE,
            message: Some(message.into()),
        }
    }

    /// An exit status whose reason has already been printed.
    pub(crate) fn quiet(code: u8) -> Self {
        Self {
            code,
            message: None,
        }
    }

    /// Ctrl-C, with what to say about it.
    pub(crate) fn interrupted(message: impl Into<String>) -> Self {
        Self {
            code: INTERRUPTED,
            message: Some(message.into()),
        }
    }

    /// The exit status.
    pub(crate) fn code(&self) -> u8 {
        self.code
    }

    /// Prints the message, if any, as one line on stderr.
    pub(crate) fn report(&self) {
        if let Some(message) = &self.message {
            let label = if self.code == INTERRUPTED {
                "interrupted"
            } else {
                "error"
            };
            eprintln!("{label}: {}", one_line(message));
        }
    }
}

/// `text` on one line: line breaks and other control characters become spaces.
pub(crate) fn one_line(text: &str) -> String {
    let mut line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    line.truncate(line.trim_end().len());
    line
}

/// An SDK error as the one line the user reads: for an API error the status, the API's
/// message and its request id; otherwise the error's own description (which names the file,
/// line, section, id or setting at fault, never a secret).
pub(crate) fn describe(error: &Error) -> String {
    // A clock out of step: say by how much, which the bare 401/400 does not.
    if let Some(skew) = error.clock_skew() {
        let mut text = skew.to_string();
        if let Some(id) = skew.api().request_id() {
            text.push_str(&format!(" (request id {id})"));
        }
        return text;
    }
    if let Some(api) = error.api() {
        let mut text = format!("HTTP {}", api.status());
        if let Some(message) = api.message() {
            text.push_str(": ");
            text.push_str(&message);
        }
        if let Some(id) = api.request_id() {
            text.push_str(&format!(" (request id {id})"));
        }
        return text;
    }
    error.to_string()
}

/// Whether an SDK error is the user's to fix (credentials, configuration, an id or argument
/// refused before sending) rather than a failure of the API or the network.
pub(crate) fn is_bad_input(error: &Error) -> bool {
    matches!(
        error,
        Error::Config(_)
            | Error::Credentials(_)
            | Error::InvalidId(_)
            | Error::InvalidPage(_)
            | Error::InvalidInput(_)
            | Error::Signing(_)
    )
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let code = if is_bad_input(&error) {
            BAD_INPUT
        } else {
            API_FAILURE
        };
        Self {
            code,
            message: Some(describe(&error)),
        }
    }
}

impl From<BulkError> for Failure {
    fn from(error: BulkError) -> Self {
        match error {
            BulkError::Api(error) => error.into(),
            BulkError::Read { .. } | BulkError::Record { .. } | BulkError::Journal { .. } => {
                Self::usage(error.to_string())
            }
            other => Self::failed(other.to_string()),
        }
    }
}

impl From<TokensFileError> for Failure {
    fn from(error: TokensFileError) -> Self {
        match error {
            TokensFileError::Parse { .. } | TokensFileError::NoNamespaces { .. } => {
                Self::usage(error.to_string())
            }
            other => Self::failed(other.to_string()),
        }
    }
}

impl From<io::Error> for Failure {
    /// A failed write of the output. A closed pipe (`aksdk … | head`) ends the command
    /// quietly, as a success.
    fn from(error: io::Error) -> Self {
        if error.kind() == io::ErrorKind::BrokenPipe {
            Self::quiet(SUCCESS)
        } else {
            Self::failed(format!("cannot write the output: {error}"))
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(message) => f.write_str(message),
            None => write!(f, "exit status {}", self.code),
        }
    }
}
