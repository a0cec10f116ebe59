//! HTTP client configuration: timeouts, user agent, retry policy and base-URL checks.
//!
//! [`HttpConfig`] is the one settings object of a client: it builds the `reqwest::Client`
//! (rustls, no redirects) that the generated clients are given, the
//! [`Runtime`](crate::runtime::Runtime) that runs calls with its retry policy, sleeper and
//! deadline, and checks base URLs: credentials only travel over https, except to a loopback
//! host (`127.0.0.0/8`, `::1`, `localhost`) when [`HttpConfig::allow_insecure_loopback`] was
//! set (for tests against a local mock server).
//!
//! ```
//! use std::time::Duration;
//! use akamai_sdk::config::HttpConfig;
//!
//! # fn main() -> Result<(), akamai_sdk::Error> {
//! let config = HttpConfig::new()
//!     .with_timeout(Duration::from_secs(30))
//!     .with_user_agent_suffix("my-tool/1.2");
//! let base_url = config.check_base_url("https://api.linode.com/v4/")?;
//! assert_eq!(base_url, "https://api.linode.com/v4");
//! let http = config.build_client()?;
//! let runtime = config.runtime();
//! // A generated client takes both halves:
//! // `linode::Client::new_with_client(&base_url, http, signer)`, and each call goes through
//! // `runtime.call(..)` (see `akamai_sdk::runtime`).
//! # let _ = (http, runtime);
//! # Ok(())
//! # }
//! ```

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;
use reqwest::Url;

pub use crate::error::ConfigError;
use crate::error::Error;
use crate::retry::{RetryPolicy, Sleeper, TokioSleeper};

/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default total timeout of one attempt (connect, send, and read the whole response).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The user agent every request carries (a suffix may follow).
pub const USER_AGENT: &str = concat!("akamai-sdk/", env!("CARGO_PKG_VERSION"));

/// Settings of the HTTP client and of the call runtime. Cheap to clone.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    connect_timeout: Duration,
    timeout: Duration,
    user_agent_suffix: Option<String>,
    allow_insecure_loopback: bool,
    retry: RetryPolicy,
    sleeper: Arc<dyn Sleeper>,
    deadline: Option<Duration>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            user_agent_suffix: None,
            allow_insecure_loopback: false,
            retry: RetryPolicy::default(),
            sleeper: Arc::new(TokioSleeper),
            deadline: None,
        }
    }
}

impl HttpConfig {
    /// The defaults: 10 s connect timeout, 60 s total timeout, user agent
    /// `akamai-sdk/<version>`, the default [`RetryPolicy`], https only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the connect timeout.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the total timeout of one attempt (connect, send, and read the whole response).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Bounds every call as a whole: all its attempts and the waits between them. The running
    /// attempt is stopped at the deadline, and no retry starts when its wait would end past
    /// it; the call then fails with [`Error::Deadline`], which says which of the two happened.
    /// [`with_timeout`](Self::with_timeout) still bounds each attempt on its own
    /// ([`Error::Timeout`]). A call is one request of the API with its retries: each page of
    /// a child-account stream, and the token creation a child client makes before a call,
    /// have a deadline of their own. No deadline by default.
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The per-call deadline, if one is set.
    pub fn deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// Appends ` <suffix>` to the user agent (for instance `my-tool/1.2`).
    pub fn with_user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Sets the retry policy ([`RetryPolicy::disabled`] turns retries off).
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sets how the runtime waits between attempts (tests record the waits instead).
    pub fn with_sleeper(mut self, sleeper: impl Sleeper) -> Self {
        self.sleeper = Arc::new(sleeper);
        self
    }

    /// Allows plain http base URLs whose host is a loopback address or `localhost` (off by
    /// default; meant for tests against a local mock server). Other http URLs stay refused.
    pub fn allow_insecure_loopback(mut self, allow: bool) -> Self {
        self.allow_insecure_loopback = allow;
        self
    }

    /// The connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The total timeout of one attempt.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The retry policy.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The user agent: `akamai-sdk/<version>`, then the suffix if one was set.
    pub fn user_agent(&self) -> String {
        match &self.user_agent_suffix {
            Some(suffix) if !suffix.trim().is_empty() => format!("{USER_AGENT} {}", suffix.trim()),
            _ => USER_AGENT.to_owned(),
        }
    }

    /// Builds the HTTP client: rustls, the timeouts and user agent of this configuration, no
    /// redirects (a redirect would need the request signed anew), and https only unless
    /// insecure loopback URLs were allowed.
    pub fn build_client(&self) -> Result<reqwest::Client, Error> {
        let user_agent =
            HeaderValue::from_str(&self.user_agent()).map_err(|_| ConfigError::InvalidUserAgent)?;
        reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .user_agent(user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .https_only(!self.allow_insecure_loopback)
            .build()
            .map_err(|e| ConfigError::Client(e).into())
    }

    /// What waits between attempts.
    pub(crate) fn sleeper(&self) -> &dyn Sleeper {
        self.sleeper.as_ref()
    }

    /// Checks a base URL and returns it as the generated clients want it (no trailing `/`).
    ///
    /// It must be an absolute https URL with a host and without user name, password, query or
    /// fragment; plain http is accepted only for a loopback host (`127.0.0.0/8`, `::1`,
    /// `localhost`) when [`HttpConfig::allow_insecure_loopback`] is set.
    pub fn check_base_url(&self, base_url: &str) -> Result<String, Error> {
        Ok(self
            .parse_base_url(base_url)?
            .as_str()
            .trim_end_matches('/')
            .to_owned())
    }

    /// Like [`HttpConfig::check_base_url`], returning the parsed URL.
    pub fn parse_base_url(&self, base_url: &str) -> Result<Url, Error> {
        let invalid = |reason: &str| ConfigError::InvalidBaseUrl {
            reason: reason.to_owned(),
        };
        let url = Url::parse(base_url.trim()).map_err(|e| invalid(&e.to_string()))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("it must not contain a user name or password").into());
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("it must not have a query or fragment").into());
        }
        let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
            return Err(invalid("it has no host").into());
        };
        match url.scheme() {
            "https" => Ok(url),
            "http" if self.allow_insecure_loopback && is_loopback_host(&url) => Ok(url),
            "http" => Err(ConfigError::InsecureBaseUrl {
                host: host.to_owned(),
            }
            .into()),
            other => Err(invalid(&format!("scheme `{other}` is not https")).into()),
        }
    }
}

/// Whether the URL's host is `localhost`, an address in `127.0.0.0/8`, or `::1`.
pub(crate) fn is_loopback_host(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_is_accepted_and_trimmed() {
        let config = HttpConfig::new();
        assert_eq!(
            config.check_base_url("https://api.linode.com/v4/").unwrap(),
            "https://api.linode.com/v4"
        );
        assert_eq!(
            config
                .check_base_url("https://akab-host.luna.akamaiapis.net")
                .unwrap(),
            "https://akab-host.luna.akamaiapis.net"
        );
    }

    #[test]
    fn plain_http_needs_a_loopback_host_and_the_opt_in() {
        let strict = HttpConfig::new();
        let loose = HttpConfig::new().allow_insecure_loopback(true);
        for url in [
            "http://127.0.0.1:8080",
            "http://127.9.9.9/v4",
            "http://[::1]:1/",
            "http://localhost:3000",
            "http://LOCALHOST",
        ] {
            assert!(
                matches!(
                    strict.check_base_url(url),
                    Err(Error::Config(ConfigError::InsecureBaseUrl { .. }))
                ),
                "{url}"
            );
            assert!(loose.check_base_url(url).is_ok(), "{url}");
        }
        for url in [
            "http://example.com",
            "http://10.0.0.1",
            "http://localhost.example.com",
            "http://128.0.0.1",
            "http://[::2]",
        ] {
            assert!(
                matches!(
                    loose.check_base_url(url),
                    Err(Error::Config(ConfigError::InsecureBaseUrl { .. }))
                ),
                "{url}"
            );
        }
    }

    #[test]
    fn malformed_base_urls_are_refused_without_echoing_credentials() {
        let config = HttpConfig::new().allow_insecure_loopback(true);
        for url in [
            "not a url",
            "ftp://host",
            "https://user:hunter2@host",
            "https://host/?token=x",
            "file:///etc/passwd",
            "/v4",
        ] {
            let err = config.check_base_url(url).unwrap_err();
            assert!(matches!(err, Error::Config(_)), "{url}: {err:?}");
            let text = format!("{err} {err:?}");
            assert!(!text.contains("hunter2"), "{text}");
        }
    }

    #[test]
    fn user_agent_and_client() {
        assert_eq!(HttpConfig::new().user_agent(), USER_AGENT);
        assert!(USER_AGENT.starts_with("akamai-sdk/"));
        let config = HttpConfig::new().with_user_agent_suffix("tool/1.0");
        assert_eq!(config.user_agent(), format!("{USER_AGENT} tool/1.0"));
        assert!(config.build_client().is_ok());
        let bad = HttpConfig::new().with_user_agent_suffix("bad\nvalue");
        assert!(matches!(
            bad.build_client(),
            Err(Error::Config(ConfigError::InvalidUserAgent))
        ));
        assert_eq!(HttpConfig::new().connect_timeout(), Duration::from_secs(10));
        assert_eq!(HttpConfig::new().timeout(), Duration::from_secs(60));
    }
}
