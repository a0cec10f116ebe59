//! The request log and counters of an emulator.

use std::collections::BTreeMap;

/// One request an emulator received.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoggedRequest {
    /// The method.
    pub method: String,
    /// The request target as received (path and query, still percent-encoded).
    pub target: String,
    /// The operation id of the spec it matched (`getItem`, `getChildAccounts`…), if any.
    pub operation: Option<String>,
    /// The status answered (0 when the connection was dropped).
    pub status: u16,
    /// The fault applied, if any (`status`, `html502`, `drop`, `drop-before`, `delay`, `truncate`).
    pub fault: Option<&'static str>,
    /// The length of the request body.
    pub body_len: usize,
    /// Who the request acted as, when the API authenticated it: `parent` or `proxy EUUID`
    /// (Linode), `token NAME` (the EdgeKV edge path). Never a token or secret itself.
    pub principal: Option<String>,
}

/// What an emulator counted since it started (or was reset).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counters {
    /// Every request received.
    pub requests: u64,
    /// Requests per operation id (requests that matched no operation are under `unknown`).
    pub operations: BTreeMap<String, u64>,
    /// Proxy tokens created per child account euuid (Linode).
    pub mints: BTreeMap<String, u64>,
    /// Requests refused for a bad EdgeGrid signature, token, timestamp or header (EdgeKV), for
    /// a missing, unknown, expired or inactive access token on the EdgeKV edge path, or for an
    /// unknown bearer token (Linode).
    pub signature_failures: u64,
    /// Correctly signed requests refused because their nonce was already used (EdgeKV).
    pub replays: u64,
    /// Requests a fault rule was applied to.
    pub faults: u64,
    /// Requests refused with 429 by the emulated rate limit, without being performed
    /// (EdgeKV, see `EdgeKvEmulatorBuilder::rate_limit`).
    pub throttled: u64,
}

impl Counters {
    /// Requests counted for `operation`.
    pub fn operation(&self, operation: &str) -> u64 {
        self.operations.get(operation).copied().unwrap_or(0)
    }

    /// Tokens created for the child account `euuid`.
    pub fn mints_for(&self, euuid: &str) -> u64 {
        self.mints.get(euuid).copied().unwrap_or(0)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Journal {
    pub(crate) log: Vec<LoggedRequest>,
    pub(crate) counters: Counters,
}

impl Journal {
    pub(crate) fn record(&mut self, entry: LoggedRequest) {
        self.counters.requests += 1;
        let op = entry
            .operation
            .clone()
            .unwrap_or_else(|| "unknown".to_owned());
        *self.counters.operations.entry(op).or_default() += 1;
        if entry.fault.is_some() {
            self.counters.faults += 1;
        }
        self.log.push(entry);
    }
}
