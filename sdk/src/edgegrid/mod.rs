//! Akamai EdgeGrid (EG1-HMAC-SHA256) credentials and request signing.
//!
//! * [`Credentials`] come from an `.edgerc` file, `AKAMAI_*` environment variables or code
//!   ([`Credentials::load`] documents the precedence). Secrets are [`secrecy::SecretString`]s.
//! * [`EdgeGridSigner`] signs a finished `reqwest::Request` in place and implements the
//!   generated clients' [`RequestSigner`](akamai_sdk_generated::RequestSigner) seam.
//!
//! The signature covers the method, scheme, host, the path and query exactly as sent, the
//! configured `headers_to_sign`, a SHA-256 of the first `max_body` bytes of a `POST` body, and
//! the `client_token`, `access_token`, timestamp and nonce:
//!
//! ```text
//! signing_key = base64(HMAC-SHA256(client_secret, timestamp))
//! signature   = base64(HMAC-SHA256(signing_key as base64 text, data_to_sign))
//! Authorization: EG1-HMAC-SHA256 client_token=…;access_token=…;timestamp=…;nonce=…;signature=…
//! ```
//!
//! ```no_run
//! use akamai_sdk::edgegrid::{Credentials, EdgeGridSigner};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let signer = EdgeGridSigner::new(Credentials::load(None, None)?);
//! let url = format!("https://{}/edgekv/v1/networks", signer.credentials().host()).parse()?;
//! let mut request = reqwest::Request::new(reqwest::Method::GET, url);
//! signer.sign(&mut request)?;
//! # Ok(())
//! # }
//! ```

mod credentials;
mod edgerc;
mod error;
mod signer;
mod timestamp;

pub use credentials::{
    Credentials, CredentialsBuilder, DEFAULT_MAX_BODY, DEFAULT_SECTION, ENV_EDGERC,
    ENV_EDGERC_SECTION,
};
pub use error::{CredentialsError, Location, SigningError};
// The direct computation, without caches: the benchmark baseline and a cross-check in tests.
pub(crate) use signer::observe_signing;
#[doc(hidden)]
pub use signer::sign_parts_uncached;
pub use signer::{Clock, EdgeGridSigner, NonceSource, RequestParts, SignedParts, MONIKER};
pub use timestamp::{Timestamp, TimestampParseError};
