//! [`DecodeError`]: a response body that did not have the expected shape, with the JSON path
//! that failed and never the data itself.

use std::fmt;

use reqwest::StatusCode;

/// A response body that did not match the expected type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    status: Option<StatusCode>,
    path: Option<String>,
    message: String,
    snippet: Option<String>,
}

impl DecodeError {
    /// A success status the operation does not document.
    pub(crate) fn unexpected_status(status: StatusCode) -> Self {
        Self {
            status: Some(status),
            path: None,
            message: format!("unexpected response status {status}"),
            snippet: None,
        }
    }

    /// Keeps the start of a body that was not JSON at all.
    pub(crate) fn with_snippet(mut self, snippet: Option<String>) -> Self {
        self.snippet = snippet;
        self
    }

    /// The error of `serde_path_to_error` when decoding a known type: keeps the JSON path.
    pub(crate) fn from_path_error(
        status: Option<StatusCode>,
        e: &serde_path_to_error::Error<serde_json::Error>,
    ) -> Self {
        let path = e.path().to_string();
        Self::from_json_error(status, (path != ".").then_some(path), e.inner())
    }

    pub(crate) fn from_json_error(
        status: Option<StatusCode>,
        path: Option<String>,
        e: &serde_json::Error,
    ) -> Self {
        Self {
            status,
            path,
            message: scrub_quoted(&e.to_string()),
            snippet: None,
        }
    }

    /// The HTTP status of the response, when known.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// The JSON path of the value that failed (`data[3].created`), when known.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// The start of the body when it was not JSON at all (an HTML page where JSON was
    /// expected): at most [`SNIPPET_BYTES`](super::SNIPPET_BYTES), redacted. JSON bodies are never quoted here.
    pub fn snippet(&self) -> Option<&str> {
        self.snippet.as_deref()
    }

    /// What was wrong. Quoted input values are elided, so no response data (which may be a
    /// secret) appears in it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("could not decode the response")?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status})")?;
        }
        if let Some(path) = &self.path {
            write!(f, " at `{path}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Replaces the contents of every double-quoted run in a serde message with `…`: serde quotes
/// the offending input (`invalid type: string "…", expected u32`), which may be a secret.
fn scrub_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    for c in message.chars() {
        if c == '"' {
            if !inside {
                out.push_str("\"…");
            }
            if inside {
                out.push('"');
            }
            inside = !inside;
        } else if !inside {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn decode_errors_keep_the_path_but_not_the_data() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Item {
            count: u32,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Page {
            data: Vec<Item>,
        }
        let body = br#"{"data":[{"count":1},{"count":"s3cr3t"}]}"#;
        let mut de = serde_json::Deserializer::from_slice(body);
        let e = serde_path_to_error::deserialize::<_, Page>(&mut de).unwrap_err();
        let decode = DecodeError::from_path_error(Some(StatusCode::OK), &e);
        assert_eq!(decode.path(), Some("data[1].count"));
        let text = Error::Decode(Box::new(decode)).to_string();
        assert!(text.starts_with("could not decode the response (HTTP 200 OK) at `data[1].count`: invalid type: string \"…\""), "{text}");
        assert!(!text.contains("s3cr3t"));
    }
}
