//! The request pipeline both emulators share: read the request, apply a fault rule, let the
//! API answer, log and count, then send the answer (or drop or cut it).

use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use serde_json::Value;

use crate::faults::{Fault, FaultKind, Faults};
use crate::journal::{Counters, Journal, LoggedRequest};
use crate::server::{ConnectionControl, Server};

/// The largest request body read (EdgeKV values are limited far below this).
const MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;

/// A request as received.
#[derive(Debug)]
pub(crate) struct Exchange {
    pub(crate) method: String,
    /// Path and query exactly as received.
    pub(crate) target: String,
    /// The path as received (still percent-encoded).
    pub(crate) path: String,
    /// The query pairs, decoded.
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Exchange {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path split into decoded segments (`None` when a segment is not UTF-8 once decoded).
    pub(crate) fn segments(&self) -> Option<Vec<String>> {
        self.path
            .trim_start_matches('/')
            .split('/')
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8()
                    .ok()
                    .map(|s| s.into_owned())
            })
            .collect()
    }
}

/// An answer, with what the journal should count.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Bytes,
    pub(crate) signature_failure: bool,
    pub(crate) replay: bool,
    /// Refused by the rate limit without being performed.
    pub(crate) throttled: bool,
    pub(crate) mint: Option<String>,
    /// Who the request acted as, for the log (never a secret).
    pub(crate) principal: Option<String>,
}

impl Reply {
    pub(crate) fn new(status: u16, content_type: &str, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            headers: vec![("content-type", content_type.to_owned())],
            body: body.into(),
            signature_failure: false,
            replay: false,
            throttled: false,
            mint: None,
            principal: None,
        }
    }

    pub(crate) fn json(status: u16, value: &Value) -> Self {
        Self::new(status, "application/json", value.to_string())
    }

    pub(crate) fn problem(status: u16, value: &Value) -> Self {
        Self::new(status, "application/problem+json", value.to_string())
    }

    pub(crate) fn text(status: u16, text: &str) -> Self {
        Self::new(status, "text/plain;charset=UTF-8", text.to_owned())
    }

    pub(crate) fn empty(status: u16) -> Self {
        Self {
            headers: Vec::new(),
            ..Self::new(status, "", Bytes::new())
        }
    }

    /// Names who the request acted as, for the log.
    pub(crate) fn acting_as(mut self, principal: impl Into<String>) -> Self {
        self.principal = Some(principal.into());
        self
    }

    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// What an emulated API does.
pub(crate) trait Api: Send + Sync + 'static {
    /// The operation id of a request, if it is one of the API's.
    fn operation(&self, method: &str, segments: &[String]) -> Option<&'static str>;
    /// Handles a request (authentication included).
    fn handle(&self, exchange: &Exchange, operation: Option<&'static str>) -> Reply;
    /// The problem+json body of an injected status.
    fn fault_body(&self, status: u16) -> Value;
}

/// An API with its faults and journal.
#[derive(Debug)]
pub(crate) struct Core<A> {
    pub(crate) api: A,
    pub(crate) faults: Mutex<Faults>,
    pub(crate) journal: Mutex<Journal>,
}

/// Locks a mutex, going on with the data if a panicking thread poisoned it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl<A: Api + Send + Sync + 'static> Core<A> {
    /// Serves `api` on 127.0.0.1:`port` (0 for a free port).
    pub(crate) async fn start(api: A, port: u16) -> std::io::Result<(Arc<Self>, Server)> {
        let core = Arc::new(Self {
            api,
            faults: Mutex::default(),
            journal: Mutex::default(),
        });
        let serving = Arc::clone(&core);
        let addr = std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, port));
        let server =
            Server::start(addr, move |request| Arc::clone(&serving).serve(request)).await?;
        Ok((core, server))
    }
}

impl<A> Core<A> {
    pub(crate) fn inject(&self, fault: Fault) {
        lock(&self.faults).add(fault);
    }

    pub(crate) fn clear_faults(&self) {
        lock(&self.faults).clear();
    }

    pub(crate) fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.journal).log.clone()
    }

    pub(crate) fn counters(&self) -> Counters {
        lock(&self.journal).counters.clone()
    }

    /// Forgets the fault rules, the log and the counters (the API resets its own state).
    pub(crate) fn reset(&self) {
        self.clear_faults();
        *lock(&self.journal) = Journal::default();
    }
}

impl<A: Api> Core<A> {
    pub(crate) async fn serve(self: Arc<Self>, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let control = parts.extensions.get::<ConnectionControl>().cloned();
        let body = match axum::body::to_bytes(body, MAX_REQUEST_BYTES).await {
            Ok(body) => body,
            Err(_) => return plain(413, "request body too large"),
        };
        let target = parts
            .uri
            .path_and_query()
            .map(|pq| pq.as_str().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p.to_owned(), q),
            None => (target.clone(), ""),
        };
        let query = form_pairs(query);
        let exchange = Exchange {
            method: parts.method.as_str().to_owned(),
            target,
            path,
            query,
            headers: parts.headers,
            body,
        };
        let operation = exchange
            .segments()
            .and_then(|s| self.api.operation(&exchange.method, &s));
        let fault = lock(&self.faults).pick(&exchange.method, &exchange.path);
        let mut entry = LoggedRequest {
            method: exchange.method.clone(),
            target: exchange.target.clone(),
            operation: operation.map(str::to_owned),
            status: 0,
            fault: fault.as_ref().map(fault_name),
            body_len: exchange.body.len(),
            principal: None,
        };
        let reply = match &fault {
            Some(FaultKind::Status {
                status,
                retry_after,
            }) => {
                let mut reply = Reply::problem(*status, &self.api.fault_body(*status));
                if let Some(secs) = retry_after {
                    reply = reply.header("retry-after", secs.to_string());
                }
                reply
            }
            Some(FaultKind::Html502) => Reply::new(
                502,
                "text/html",
                "<HTML><HEAD><TITLE>Error</TITLE></HEAD><BODY>An error occurred while processing \
                 your request.<p>Reference&#32;#97.1f6b4c17.1700000000.0</p></BODY></HTML>\n",
            ),
            Some(FaultKind::Delay(delay)) => {
                tokio::time::sleep(*delay).await;
                self.api.handle(&exchange, operation)
            }
            Some(FaultKind::DropBeforePerforming) => Reply::empty(0),
            _ => self.api.handle(&exchange, operation),
        };
        {
            let mut journal = lock(&self.journal);
            if reply.signature_failure {
                journal.counters.signature_failures += 1;
            }
            if reply.replay {
                journal.counters.replays += 1;
            }
            if reply.throttled {
                journal.counters.throttled += 1;
            }
            if let Some(euuid) = &reply.mint {
                *journal.counters.mints.entry(euuid.clone()).or_default() += 1;
            }
            entry.principal = reply.principal.clone();
            entry.status = match fault {
                Some(FaultKind::DropAfterPerforming | FaultKind::DropBeforePerforming) => 0,
                _ => reply.status,
            };
            journal.record(entry);
        }
        match fault {
            Some(FaultKind::DropAfterPerforming | FaultKind::DropBeforePerforming) => {
                if let Some(control) = control {
                    control.drop_now();
                }
                std::future::pending().await
            }
            Some(FaultKind::TruncatedBody) => truncated(reply),
            _ => respond(reply),
        }
    }
}

fn fault_name(kind: &FaultKind) -> &'static str {
    match kind {
        FaultKind::Status { .. } => "status",
        FaultKind::Html502 => "html502",
        FaultKind::DropAfterPerforming => "drop",
        FaultKind::DropBeforePerforming => "drop-before",
        FaultKind::Delay(_) => "delay",
        FaultKind::TruncatedBody => "truncate",
    }
}

fn form_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_form(k), decode_form(v))
        })
        .collect()
}

fn decode_form(s: &str) -> String {
    let s = s.replace('+', " ");
    percent_encoding::percent_decode_str(&s)
        .decode_utf8_lossy()
        .into_owned()
}

fn plain(status: u16, text: &'static str) -> Response {
    respond(Reply::text(status, text))
}

fn head(reply: &Reply) -> axum::http::response::Builder {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = Response::builder().status(status);
    for (name, value) in &reply.headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            builder = builder.header(*name, value);
        }
    }
    builder
}

fn respond(reply: Reply) -> Response {
    let builder = head(&reply);
    builder
        .body(Body::from(reply.body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// The full `Content-Length`, half the body, then an error that makes hyper close the
/// connection.
fn truncated(reply: Reply) -> Response {
    let full = reply.body.len();
    let half = reply.body.slice(..full / 2);
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(half),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "truncated by a fault rule",
        )),
    ];
    head(&reply)
        .header("content-length", full.max(1).to_string())
        .body(Body::from_stream(futures::stream::iter(chunks)))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}
