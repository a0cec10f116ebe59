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

    /// A body that decoded but has a shape the SDK cannot use (`message` says which; it
    /// holds no response data).
    pub(crate) fn unusable_shape(path: Option<String>, message: &str) -> Self {
        Self {
            status: None,
            path,
            message: message.to_owned(),
            snippet: None,
        }
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

/// Elides the input that a serde message quotes, which may be a secret: the contents of every
/// double-quoted run (`invalid type: string "…", expected u32`; serde writes them with Rust's
/// escapes, so a `\"` inside does not end the run), and the name after `unknown variant` or
/// `unknown field` (written between backticks as it came, unescaped).
fn scrub_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        if c == '"' {
            out.push_str("\"…\"");
            let mut chars = rest.chars();
            loop {
                match chars.next() {
                    None | Some('"') => break,
                    Some('\\') => {
                        chars.next();
                    }
                    Some(_) => {}
                }
            }
            rest = chars.as_str();
            continue;
        }
        out.push(c);
        for named in ["unknown variant `", "unknown field `"] {
            if out.ends_with(named) {
                // The name ends at the last "`, expected " (the expected names hold none), or
                // before "`, there are no ".
                let end = rest
                    .rfind("`, expected ")
                    .or_else(|| rest.rfind("`, there are no "));
                if let Some(end) = end {
                    out.push('…');
                    rest = &rest[end..];
                }
            }
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

    #[test]
    fn quoted_input_is_elided_whatever_it_holds() {
        for (message, scrubbed) in [
            (
                r#"invalid type: string "a\"s3cr3t\\", expected u32 at line 1"#,
                r#"invalid type: string "…", expected u32 at line 1"#,
            ),
            (
                r#"invalid date-time "x\" s3cr3t": expected RFC 3339"#,
                r#"invalid date-time "…": expected RFC 3339"#,
            ),
            (
                "unknown variant `s3cr3t`, expected `a`, expected one of `x`, `y` at line 1",
                "unknown variant `…`, expected one of `x`, `y` at line 1",
            ),
            (
                "unknown field `s3cr3t`, expected `id`",
                "unknown field `…`, expected `id`",
            ),
            ("missing field `name`", "missing field `name`"),
            (
                "unknown variant `s3cr3t`, there are no variants",
                "unknown variant `…`, there are no variants",
            ),
            (r#"cut "s3cr3t"#, r#"cut "…""#),
        ] {
            assert_eq!(scrub_quoted(message), scrubbed);
        }
    }
}
