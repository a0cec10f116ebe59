//! Conversion of the generated clients' errors (`progenitor_client::Error<E>`) into
//! [`Error`]: the body of an undocumented or untyped error answer is read (at most
//! [`MAX_ERROR_BODY_BYTES`]) and parsed like a documented one.

use futures::{Stream, StreamExt};
use progenitor_client::{ByteStream, Error as GeneratedError};
use serde::Serialize;

use crate::error::{
    non_json_snippet, ApiError, DecodeError, Error, ErrorBody, KeptHeaders, MAX_ERROR_BODY_BYTES,
};
use crate::redact;

impl Error {
    /// Converts an error of a generated client, reading (at most [`MAX_ERROR_BODY_BYTES`] of)
    /// the body of an undocumented response so that it can be parsed like a documented one.
    ///
    /// A typed error body (`ErrorResponse`) is re-serialized and parsed into [`ErrorBody`].
    ///
    /// On its own this cannot keep the status of a typed error body that does not decode (an
    /// HTML page from a gateway on a documented 5xx): progenitor reports
    /// `InvalidResponsePayload` with the bytes only, which becomes [`Error::Decode`] with a
    /// redacted [snippet](DecodeError::snippet). [`Runtime::call`](super::Runtime::call)
    /// does better: it captures the response's status and headers around each attempt
    /// (`akamai_sdk_generated::capture_response`) and turns such a body into [`Error::Api`].
    pub(super) async fn from_generated<E: Serialize>(error: GeneratedError<E>) -> Self {
        match error {
            GeneratedError::UnexpectedResponse(response) => Self::from_response(response).await,
            other => Self::from(other),
        }
    }

    /// Like [`Error::from_generated`], for operations whose error body is untyped
    /// (`ByteStream`): reads at most [`MAX_ERROR_BODY_BYTES`] of it and parses it.
    pub(crate) async fn from_generated_stream(error: GeneratedError<ByteStream>) -> Self {
        match error {
            GeneratedError::ErrorResponse(response) => {
                let status = response.status();
                let headers = KeptHeaders::from_map(response.headers());
                let (buf, complete) =
                    read_bounded(response.into_inner_stream(), MAX_ERROR_BODY_BYTES).await;
                let body = ErrorBody::parse(headers.get("content-type"), &buf, complete);
                Self::Api(Box::new(ApiError::from_parts(status, headers, body)))
            }
            GeneratedError::UnexpectedResponse(response) => Self::from_response(response).await,
            GeneratedError::InvalidRequest(m) => {
                Self::from(GeneratedError::<()>::InvalidRequest(m))
            }
            GeneratedError::CommunicationError(e) => Self::from_reqwest(e),
            GeneratedError::ResponseBodyError(e) => Self::from_reqwest(e),
            GeneratedError::InvalidUpgrade(e) => Self::Transport(e),
            GeneratedError::InvalidResponsePayload(bytes, e) => {
                Self::from(GeneratedError::<()>::InvalidResponsePayload(bytes, e))
            }
            GeneratedError::Custom(m) => Self::from(GeneratedError::<()>::Custom(m)),
        }
    }

    /// Turns a response with an unwanted status into an error, reading at most
    /// [`MAX_ERROR_BODY_BYTES`] of its body. A success status that the caller did not expect
    /// becomes [`Error::Decode`]; any other status becomes [`Error::Api`].
    pub(crate) async fn from_response(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = KeptHeaders::from_map(response.headers());
        if status.is_success() {
            return Self::Decode(Box::new(DecodeError::unexpected_status(status)));
        }
        let (body, complete) = read_bounded(response.bytes_stream(), MAX_ERROR_BODY_BYTES).await;
        let body = ErrorBody::parse(headers.get("content-type"), &body, complete);
        Self::Api(Box::new(ApiError::from_parts(status, headers, body)))
    }
}

/// Synchronous conversion of a generated client's error. The body of an undocumented response
/// (`UnexpectedResponse`) cannot be read here and is dropped (status and headers are kept);
/// the runtime, which runs every call, reads it (bounded) instead.
impl<E: Serialize> From<GeneratedError<E>> for Error {
    fn from(error: GeneratedError<E>) -> Self {
        match error {
            GeneratedError::InvalidRequest(message) => {
                Self::InvalidInput(redact::redact_text(&message).into_owned())
            }
            GeneratedError::CommunicationError(e) | GeneratedError::ResponseBodyError(e) => {
                Self::from_reqwest(e)
            }
            GeneratedError::InvalidUpgrade(e) => Self::Transport(e),
            GeneratedError::ErrorResponse(response) => {
                let status = response.status();
                let headers = KeptHeaders::from_map(response.headers());
                let body = match serde_json::to_value(response.into_inner()) {
                    Ok(value) => ErrorBody::from_json(value),
                    Err(_) => ErrorBody::Empty,
                };
                Self::Api(Box::new(ApiError::from_parts(status, headers, body)))
            }
            GeneratedError::InvalidResponsePayload(bytes, e) => {
                let decode = DecodeError::from_json_error(None, None, &e)
                    .with_snippet(non_json_snippet(&bytes));
                Self::Decode(Box::new(decode))
            }
            GeneratedError::UnexpectedResponse(response) => {
                let status = response.status();
                let headers = KeptHeaders::from_map(response.headers());
                if status.is_success() {
                    Self::Decode(Box::new(DecodeError::unexpected_status(status)))
                } else {
                    Self::Api(Box::new(ApiError::from_parts(
                        status,
                        headers,
                        ErrorBody::Empty,
                    )))
                }
            }
            GeneratedError::Custom(message) => {
                Self::Signing(redact::redact_text(&message).into_owned())
            }
        }
    }
}

/// Reads at most `limit` bytes of a body, chunk by chunk. Returns the bytes and whether that
/// was all of it (a body that fails part way is as much as was read, and not complete).
async fn read_bounded<E>(
    chunks: impl Stream<Item = Result<bytes::Bytes, E>>,
    limit: usize,
) -> (Vec<u8>, bool) {
    let mut chunks = std::pin::pin!(chunks);
    let mut buf = Vec::new();
    loop {
        match chunks.next().await {
            Some(Ok(chunk)) => {
                let room = limit - buf.len();
                if chunk.len() > room {
                    buf.extend_from_slice(&chunk[..room]);
                    return (buf, false);
                }
                buf.extend_from_slice(&chunk);
            }
            Some(Err(_)) => return (buf, false),
            None => return (buf, true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};
    use reqwest::StatusCode;

    #[test]
    fn generated_error_response_is_reserialized() {
        #[derive(Serialize)]
        struct Errors {
            errors: Vec<Reason>,
        }
        #[derive(Serialize)]
        struct Reason {
            reason: String,
            field: Option<String>,
        }
        let mut headers = HeaderMap::new();
        headers.insert("x-request-id", HeaderValue::from_static("abc"));
        let typed = Errors {
            errors: vec![Reason {
                reason: "Not found".into(),
                field: None,
            }],
        };
        let error: Error = GeneratedError::ErrorResponse(progenitor_client::ResponseValue::new(
            typed,
            StatusCode::NOT_FOUND,
            headers,
        ))
        .into();
        assert!(error.is_not_found());
        assert!(!error.is_retryable());
        assert_eq!(error.request_id(), Some("abc"));
        assert!(
            matches!(error.api().map(ApiError::body), Some(ErrorBody::Linode(e)) if e[0].reason == "Not found")
        );

        let unit: Error = GeneratedError::<()>::Custom("no credentials for host".into()).into();
        assert!(matches!(unit, Error::Signing(_)));
        let invalid: Error = GeneratedError::<()>::InvalidRequest("bad token=abc".into()).into();
        assert_eq!(invalid.to_string(), "invalid input: bad token=[REDACTED]");
    }
}
