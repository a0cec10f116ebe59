//! Bearer-token authentication for the Linode API.

use std::fmt;

use akamai_sdk_generated::{RequestSigner, SignFuture};
use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};

use crate::config::ConfigError;
use crate::error::Error;

/// Adds `Authorization: Bearer <token>` to requests bound for the origin (scheme, host and
/// port) of the base URL it was made for, and to no other request.
///
/// The token is kept in a [`SecretString`]; the header value is marked sensitive, so `reqwest`
/// and `hyper` never print it. An `Authorization` header already present on a request is
/// always removed first, so a request carries at most this signer's credential.
///
/// ```
/// use akamai_sdk::linode::BearerSigner;
///
/// # fn main() -> Result<(), akamai_sdk::Error> {
/// let base = "https://api.linode.com/v4".parse().unwrap();
/// let signer = BearerSigner::new("my-token".into(), &base)?;
/// assert!(!format!("{signer:?}").contains("my-token"));
/// # Ok(())
/// # }
/// ```
pub struct BearerSigner {
    token: SecretString,
    origin: url::Origin,
}

impl BearerSigner {
    /// A signer that sends `token` to the origin of `base_url` only.
    ///
    /// The token must be non-empty visible ASCII (it goes into an HTTP header); otherwise a
    /// [`ConfigError`] that does not quote the token is returned.
    pub fn new(token: SecretString, base_url: &Url) -> Result<Self, Error> {
        let value = token.expose_secret().trim();
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ConfigError::Invalid(
                "the Linode token is empty or contains characters not allowed in an HTTP header"
                    .to_owned(),
            )
            .into());
        }
        let token = if value.len() == token.expose_secret().len() {
            token
        } else {
            SecretString::from(value.to_owned())
        };
        Ok(Self {
            token,
            origin: base_url.origin(),
        })
    }

    /// Sets the `Authorization` header of `request` when its URL has the signer's origin, and
    /// removes any `Authorization` header otherwise.
    pub fn authorize(&self, request: &mut reqwest::Request) {
        request.headers_mut().remove(AUTHORIZATION);
        if request.url().origin() != self.origin {
            tracing::debug!("not sending the bearer token to a host other than the base URL's");
            return;
        }
        // Path parameters in the strict encoding both APIs receive (see `crate::path`).
        crate::path::canonicalize_path(request.url_mut());
        let text = format!("Bearer {}", self.token.expose_secret());
        // The token was checked to be visible ASCII when the signer was made.
        if let Ok(mut value) = HeaderValue::from_str(&text) {
            value.set_sensitive(true);
            request.headers_mut().insert(AUTHORIZATION, value);
        }
        drop(zeroize::Zeroizing::new(text));
    }
}

impl fmt::Debug for BearerSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerSigner")
            .field("origin", &self.origin.ascii_serialization())
            .field("token", &"[REDACTED]")
            .finish()
    }
}

impl RequestSigner for BearerSigner {
    fn sign<'a>(&'a self, request: &'a mut reqwest::Request) -> SignFuture<'a> {
        self.authorize(request);
        Box::pin(std::future::ready(Ok(())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(url: &str) -> reqwest::Request {
        reqwest::Request::new(reqwest::Method::GET, url.parse().unwrap())
    }

    #[test]
    fn token_only_goes_to_the_base_origin() {
        let base: Url = "https://api.linode.com/v4".parse().unwrap();
        let signer = BearerSigner::new(" abc123 ".into(), &base).unwrap();

        let mut same = request("https://api.linode.com/v4/profile");
        signer.authorize(&mut same);
        let value = same.headers().get(AUTHORIZATION).unwrap();
        assert_eq!(value, "Bearer abc123");
        assert!(value.is_sensitive());
        assert!(!format!("{same:?}").contains("abc123"));

        for other in [
            "https://evil.example/v4/profile",
            "http://api.linode.com/v4/profile",
            "https://api.linode.com:8443/v4/profile",
        ] {
            let mut req = request(other);
            req.headers_mut()
                .insert(AUTHORIZATION, HeaderValue::from_static("Bearer stale"));
            signer.authorize(&mut req);
            assert!(req.headers().get(AUTHORIZATION).is_none(), "{other}");
        }
        assert!(!format!("{signer:?}").contains("abc123"));
    }

    #[test]
    fn bad_tokens_are_refused_without_echo() {
        let base: Url = "https://api.linode.com/v4".parse().unwrap();
        for token in ["", "   ", "abc\ndef", "tök"] {
            let err = BearerSigner::new(token.into(), &base).unwrap_err();
            assert!(matches!(err, Error::Config(_)));
            if !token.trim().is_empty() {
                assert!(!err.to_string().contains(token));
            }
        }
    }
}
