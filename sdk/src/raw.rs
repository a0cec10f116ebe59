//! Raw calls: the way to reach what the pinned specs do not have (a `v4beta` preview, a path
//! newer than the pin), through the same runtime and authentication as every typed call.
//!
//! A [`RawCall`] is a method, a path template under the client's base URL with its parameters,
//! an optional query and body. `LinodeClient::raw`, `ChildClient::raw` and `EdgeKvClient::raw`
//! run it: signed like every call (a child's with its proxy token, minted, renewed and re-minted
//! once on a 401), retried by the method's idempotency, bounded by the deadline, traced, and
//! failing with the same [`Error`]. Prefer the typed calls for everything the spec has.

use std::fmt;

use akamai_sdk_generated::Operation;
use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::Error;
use crate::path::push_segment;

/// A call the pinned spec does not have. The path template is a literal
/// (`/linode/instances/{linodeId}/preview`); each `{name}` takes the value given with
/// [`param`](Self::param), percent-encoded as one path segment.
///
/// ```no_run
/// use akamai_sdk::prelude::*;
/// use akamai_sdk::raw::RawCall;
///
/// # async fn run(parent: LinodeClient) -> akamai_sdk::Result<()> {
/// let call = RawCall::new(Method::GET, "/linode/instances/{linodeId}").param("linodeId", 123);
/// let answer = parent.raw(&call).await?;
/// let instance: JsonValue = answer.json()?;
/// # let _ = instance;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RawCall {
    op: Operation,
    params: Vec<(String, String)>,
    query: Vec<(String, String)>,
    body: Option<(&'static str, Bytes)>,
}

impl fmt::Debug for RawCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Parameters and body may hold anything: only their names and size are shown.
        f.debug_struct("RawCall")
            .field("method", &self.op.method)
            .field("path", &self.op.path)
            .field(
                "params",
                &self.params.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field(
                "query",
                &self.query.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("body_bytes", &self.body.as_ref().map(|(_, b)| b.len()))
            .finish()
    }
}

impl RawCall {
    /// A call of `method` on `path_template` (under the client's base URL). GET, HEAD, PUT,
    /// DELETE, OPTIONS and TRACE are retried as idempotent; others only when the server cannot
    /// have acted (see [`idempotent`](Self::idempotent)).
    pub fn new(method: Method, path_template: &'static str) -> Self {
        let idempotent = matches!(
            method,
            Method::GET
                | Method::HEAD
                | Method::PUT
                | Method::DELETE
                | Method::OPTIONS
                | Method::TRACE
        );
        Self {
            op: Operation::raw(method, path_template, idempotent),
            params: Vec::new(),
            query: Vec::new(),
            body: None,
        }
    }

    /// The value of the template's `{name}`.
    pub fn param(mut self, name: impl Into<String>, value: impl ToString) -> Self {
        self.params.push((name.into(), value.to_string()));
        self
    }

    /// Adds a query pair.
    pub fn query(mut self, name: impl Into<String>, value: impl ToString) -> Self {
        self.query.push((name.into(), value.to_string()));
        self
    }

    /// Sends `body` as JSON.
    pub fn json(mut self, body: &impl Serialize) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            Error::InvalidInput(format!("the body is not serializable as JSON: {e}"))
        })?;
        self.body = Some(("application/json", Bytes::from(bytes)));
        Ok(self)
    }

    /// Sends `bytes` with `content_type`.
    pub fn body(mut self, content_type: &'static str, bytes: impl Into<Bytes>) -> Self {
        self.body = Some((content_type, bytes.into()));
        self
    }

    /// Overrides whether repeating the call cannot change the outcome (for retries).
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.op.idempotent = idempotent;
        self
    }

    pub(crate) fn operation(&self) -> &Operation {
        &self.op
    }

    pub(crate) fn body_parts(&self) -> Option<(&'static str, &Bytes)> {
        self.body.as_ref().map(|(t, b)| (*t, b))
    }

    /// The URL under `base`: every `{name}` of the template replaced by its encoded value. A
    /// placeholder without a value, or a value for no placeholder, is refused.
    pub(crate) fn url(&self, base: &Url) -> Result<Url, Error> {
        let template = self.op.path;
        let mut path = base.path().trim_end_matches('/').to_owned();
        let mut used = vec![false; self.params.len()];
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            path.push_str(&rest[..open]);
            let Some(close) = rest[open..].find('}') else {
                return Err(Error::InvalidInput(format!(
                    "the path template `{template}` has an unclosed `{{`"
                )));
            };
            let name = &rest[open + 1..open + close];
            let Some(index) = self.params.iter().position(|(n, _)| n == name) else {
                return Err(Error::InvalidInput(format!(
                    "no value for `{{{name}}}` of the path template `{template}`"
                )));
            };
            used[index] = true;
            push_segment(self.params[index].1.as_bytes(), &mut path);
            rest = &rest[open + close + 1..];
        }
        path.push_str(rest);
        if let Some(unused) = used.iter().position(|u| !u) {
            return Err(Error::InvalidInput(format!(
                "`{}` is not a parameter of the path template `{template}`",
                self.params[unused].0
            )));
        }
        let mut url = base.clone();
        url.set_path(&path);
        if !self.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(self.query.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        }
        Ok(url)
    }
}

/// The answer of a [`RawCall`] with a success status (any other is an [`Error`]).
#[derive(Clone, Debug)]
pub struct RawAnswer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl RawAnswer {
    pub(crate) fn new(status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        Self {
            status,
            headers,
            body,
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body, as read.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body decoded as JSON into `T` (a mismatch is [`Error::Decode`] with its path).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        crate::runtime::decode_json(Some(self.status), &self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_filled_with_encoded_values_and_checked() {
        let base = Url::parse("https://api.linode.com/v4").unwrap();
        let call = RawCall::new(Method::GET, "/things/{id}/parts/{part}")
            .param("part", "a b/c")
            .param("id", 7)
            .query("page", 2);
        assert_eq!(
            call.url(&base).unwrap().as_str(),
            "https://api.linode.com/v4/things/7/parts/a%20b%2Fc?page=2"
        );
        let missing = RawCall::new(Method::GET, "/things/{id}").url(&base);
        assert!(matches!(missing, Err(Error::InvalidInput(_))));
        let extra = RawCall::new(Method::GET, "/things")
            .param("id", 1)
            .url(&base);
        assert!(matches!(extra, Err(Error::InvalidInput(_))));
        assert!(!RawCall::new(Method::POST, "/x").operation().idempotent);
        assert!(
            RawCall::new(Method::POST, "/x")
                .idempotent(true)
                .operation()
                .idempotent
        );
    }
}
