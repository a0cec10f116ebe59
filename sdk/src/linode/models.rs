//! Types of the Linode layer that the generated client does not provide, or provides in a form
//! unfit for the public API (secrets as plain strings, unvalidated path segments).

use std::fmt;
use std::str::FromStr;

use akamai_sdk_generated::linode::types;
use akamai_sdk_generated::DateTime;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, InvalidIdError};

/// Lifetime of a proxy user token when the API does not say (`created` + 15 minutes).
pub const PROXY_TOKEN_LIFETIME: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The `euuid` of a child account: an opaque identifier, as returned by the API.
///
/// It looks like a UUID but is not one (the API uses 8-4-4-16 hexadecimal groups), so it is
/// never parsed as one: any non-empty text without `/`, whitespace or control characters, of at
/// most 128 bytes, is accepted. It is percent-encoded wherever it goes into a path.
///
/// ```
/// use akamai_sdk::linode::Euuid;
///
/// let euuid: Euuid = "A1BC2DEF-34GH-567I-J890KLMN12O34P56".parse().unwrap();
/// assert_eq!(euuid.as_str(), "A1BC2DEF-34GH-567I-J890KLMN12O34P56");
/// assert!("a/b".parse::<Euuid>().is_err());
/// assert!("".parse::<Euuid>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Euuid(String);

impl Euuid {
    /// Longest accepted `euuid`, in bytes.
    pub const MAX_LEN: usize = 128;

    /// Checks and wraps an `euuid`.
    pub fn new(value: impl Into<String>) -> Result<Self, Error> {
        let value = value.into();
        let problem = if value.is_empty() {
            Some("must not be empty")
        } else if value.len() > Self::MAX_LEN {
            Some("must be at most 128 bytes long")
        } else if value.contains('/') {
            Some("must not contain `/`")
        } else if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            Some("must not contain whitespace or control characters")
        } else {
            None
        };
        match problem {
            Some(reason) => Err(Error::InvalidId(InvalidIdError::new(
                "child account euuid",
                reason,
            ))),
            None => Ok(Self(value)),
        }
    }

    /// The `euuid` as sent by the API.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Euuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Euuid").field(&self.0).finish()
    }
}

impl fmt::Display for Euuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Euuid {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Euuid {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for Euuid {
    type Error = Error;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<&str> for Euuid {
    type Error = Error;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<&types::ChildAccount> for Euuid {
    type Error = Error;

    /// The `euuid` of a listed child account (an error if the API left it out).
    fn try_from(account: &types::ChildAccount) -> Result<Self, Self::Error> {
        match &account.euuid {
            Some(euuid) => Self::new(euuid.as_str()),
            None => Err(Error::InvalidId(InvalidIdError::new(
                "child account euuid",
                "is missing from the listed account",
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for Euuid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Self::new(value).map_err(serde::de::Error::custom)
    }
}

/// A proxy user token: a short-lived bearer token of the proxy user of a child account,
/// created by a parent user (`POST /account/child-accounts/{euuid}/token`).
///
/// The token itself is a [`SecretString`]; `Debug` shows every field but it.
#[derive(Clone)]
pub struct ProxyToken {
    pub(crate) token: SecretString,
    pub(crate) id: i64,
    pub(crate) label: Option<String>,
    pub(crate) created: Option<DateTime>,
    pub(crate) expiry: Option<DateTime>,
    pub(crate) scopes: Option<String>,
}

impl ProxyToken {
    /// The bearer token. Handle with care: anyone holding it acts as the child account's
    /// proxy user until it expires or is revoked.
    pub fn token(&self) -> &SecretString {
        &self.token
    }

    /// The token's id, used to revoke it (`DELETE /profile/tokens/{id}`).
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The label the API gave the token (`<username>_<uid>_<time>`).
    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    /// When the token was created.
    pub fn created(&self) -> Option<&DateTime> {
        self.created.as_ref()
    }

    /// When the token expires, as the API says.
    pub fn expiry(&self) -> Option<&DateTime> {
        self.expiry.as_ref()
    }

    /// The scopes of the token (`*` for all the proxy user's permissions).
    pub fn scopes(&self) -> Option<&str> {
        self.scopes.as_deref()
    }

    /// When the token stops working: `expiry`, else `created` + 15 minutes, else `None`.
    pub fn expires_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.expiry.as_ref().map(DateTime::utc).or_else(|| {
            let lifetime = chrono::Duration::from_std(PROXY_TOKEN_LIFETIME).ok()?;
            self.created.as_ref().map(|c| c.utc() + lifetime)
        })
    }
}

impl fmt::Debug for ProxyToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyToken")
            .field("id", &self.id)
            .field("label", &self.label)
            .field("created", &self.created)
            .field("expiry", &self.expiry)
            .field("scopes", &self.scopes)
            .field("token", &"[REDACTED]")
            .finish()
    }
}

impl ProxyToken {
    /// The answer of `post-child-account-token`, its token moved into a [`SecretString`].
    /// An answer without a token or an id is an [`Error::Decode`].
    pub(crate) fn from_generated(minted: types::ProxyUserToken) -> Result<Self, Error> {
        let types::ProxyUserToken {
            created,
            expiry,
            id,
            label,
            scopes,
            token,
            ..
        } = minted;
        let (Some(token), Some(id)) = (token, id) else {
            return Err(Error::Decode(Box::new(
                crate::error::DecodeError::unusable_shape(
                    None,
                    "the proxy token answer has no `token` or no `id`",
                ),
            )));
        };
        Ok(Self {
            // Moved out of the redacting generated `Secret`, not copied.
            token: SecretString::from(token.into_string()),
            id,
            label,
            created,
            expiry,
            scopes,
        })
    }

    /// Whether two values hold the same token (compared by id and secret).
    pub(crate) fn same_as(&self, other: &ProxyToken) -> bool {
        self.id == other.id && self.token.expose_secret() == other.token.expose_secret()
    }
}

/// The username of the proxy user that a child account gives its parent, as the API documents
/// the convention: `<parent company>_<SHA-256 of the parent company and the euuid>`, using
/// the first 15 and the first 16 characters of those values.
///
/// The reading implemented: the first 15 characters (not bytes) of the parent company name,
/// an underscore, then the first 16 characters of the lowercase hexadecimal SHA-256 digest of
/// the company name immediately followed by the euuid, both as UTF-8, with no separator. A
/// child client reports the name it actually acts as ([`super::ChildClient::proxy_username`]),
/// which is the one to trust if the API's rule ever differs.
///
/// ```
/// use akamai_sdk::linode::{proxy_username, Euuid};
///
/// let euuid: Euuid = "A1BC2DEF-34GH-567I-J890KLMN12O34P56".parse().unwrap();
/// let name = proxy_username("Acme Corporation International", &euuid);
/// assert!(name.starts_with("Acme Corporatio_"));
/// assert_eq!(name.len(), 15 + 1 + 16);
/// ```
pub fn proxy_username(parent_company: &str, euuid: &Euuid) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(parent_company.as_bytes())
        .chain_update(euuid.as_str().as_bytes())
        .finalize();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let company: String = parent_company.chars().take(15).collect();
    format!("{company}_{hex}")
}

/// What kind of user a token acts as (`user_type` of `GET /profile`): `Parent`, `Child`,
/// `Proxy`, `Default`, or `Unknown` with a value this version does not know.
pub use types::ProfileUserType as UserType;

/// `GET /profile`: the generated profile, with the `user_type` the live API sends (added to
/// the published schema by `specs/overlays/linode.yaml`).
pub type ProfileInfo = types::Profile;

/// What `GET /profile/grants` (or `GET /account/users/{username}/grants`) says.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Grants {
    /// The user is unrestricted (the API answered 204 without a body): it may do everything.
    Unrestricted,
    /// The user is restricted to these grants.
    Restricted(Box<types::GrantsResponse>),
}

impl Grants {
    /// The grants of a document (`None`: the API answered 204, an unrestricted user).
    pub(crate) fn from_document(document: Option<types::GrantsResponse>) -> Self {
        match document {
            Some(grants) => Self::Restricted(Box::new(grants)),
            None => Self::Unrestricted,
        }
    }

    /// Whether these grants include `global.child_account_access` (always true for an
    /// unrestricted user).
    pub fn child_account_access(&self) -> bool {
        match self {
            Self::Unrestricted => true,
            Self::Restricted(grants) => grants
                .global
                .as_ref()
                .and_then(|g| g.child_account_access)
                .unwrap_or(false),
        }
    }
}

/// Which version of the Linode API a client talks to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiVersion {
    /// `https://api.linode.com/v4` (the default).
    #[default]
    V4,
    /// `https://api.linode.com/v4beta`: beta features.
    V4Beta,
}

impl ApiVersion {
    /// The base URL of this version.
    pub fn base_url(self) -> &'static str {
        match self {
            Self::V4 => "https://api.linode.com/v4",
            Self::V4Beta => "https://api.linode.com/v4beta",
        }
    }
}

/// One page of a Linode list.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page.
    pub data: Vec<T>,
    /// The number of this page (from 1).
    pub page: u64,
    /// How many pages there are.
    pub pages: u64,
    /// How many items there are in all.
    pub results: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euuid_is_opaque_but_checked() {
        for ok in [
            "A1BC2DEF-34GH-567I-J890KLMN12O34P56",
            "0c0a1d2e-1234-5678-9abcdef012345678",
            "not-a-uuid-at-all",
            "with%percent?and#hash",
        ] {
            assert_eq!(Euuid::new(ok).unwrap().as_str(), ok);
        }
        for bad in ["", "a/b", "a b", "tab\there", "x".repeat(129).as_str()] {
            assert!(
                matches!(Euuid::new(bad), Err(Error::InvalidId(_))),
                "{bad:?}"
            );
        }
        let parsed: Euuid = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(parsed.to_string(), "abc");
        assert!(serde_json::from_str::<Euuid>("\"a/b\"").is_err());
    }

    #[test]
    fn user_type_keeps_unknown_values() {
        let parsed: Vec<UserType> =
            serde_json::from_str(r#"["parent","child","proxy","default","reseller"]"#).unwrap();
        assert_eq!(
            parsed,
            [
                UserType::Parent,
                UserType::Child,
                UserType::Proxy,
                UserType::Default,
                UserType::Unknown("reseller".into())
            ]
        );
        assert_eq!(serde_json::to_string(&parsed[4]).unwrap(), "\"reseller\"");
    }

    #[test]
    fn the_proxy_username_follows_the_documented_convention() {
        use sha2::{Digest, Sha256};
        let euuid: Euuid = "E1AF5EEC-526F-487D-B317EBEB34C87D71".parse().unwrap();
        let digest = Sha256::digest(b"Acme Partners LLCE1AF5EEC-526F-487D-B317EBEB34C87D71");
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            proxy_username("Acme Partners LLC", &euuid),
            format!("Acme Partners L_{}", &hex[..16])
        );
        // Short names are kept whole; characters, not bytes, are counted.
        assert!(proxy_username("Ünïcode", &euuid).starts_with("Ünïcode_"));
        let long = proxy_username("ÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄ", &euuid);
        assert!(long.starts_with(&format!("{}_", "Ä".repeat(15))), "{long}");
        // Another euuid, another digest.
        let other: Euuid = "E1AF5EEC-526F-487D-B317EBEB34C87D72".parse().unwrap();
        assert_ne!(
            proxy_username("Acme Partners LLC", &euuid),
            proxy_username("Acme Partners LLC", &other)
        );
    }

    #[test]
    fn a_proxy_token_answer_without_token_or_id_is_a_decode_error() {
        for body in [r#"{"id":7}"#, r#"{"token":"t"}"#] {
            let minted: types::ProxyUserToken = serde_json::from_str(body).unwrap();
            let err = ProxyToken::from_generated(minted).unwrap_err();
            assert!(matches!(err, Error::Decode(_)), "{err:?}");
        }
    }

    #[test]
    fn proxy_token_debug_hides_the_secret_and_expiry_falls_back() {
        let minted: types::ProxyUserToken = serde_json::from_str(
            r#"{"token":"s3cr3t-tok","id":7,"label":"u_1_t","created":"2024-01-01T00:00:00","expiry":null,"scopes":"*","extra":1}"#,
        )
        .unwrap();
        assert!(!format!("{minted:?}").contains("s3cr3t"));
        let token = ProxyToken::from_generated(minted).unwrap();
        let debug = format!("{token:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(debug.contains("[REDACTED]"));
        assert_eq!(token.id(), 7);
        assert_eq!(
            token.expires_at().unwrap().to_rfc3339(),
            "2024-01-01T00:15:00+00:00"
        );
    }

    #[test]
    fn profile_info_reads_user_type_and_the_rest() {
        let info: ProfileInfo = serde_json::from_str(
            r#"{"username":"parent-user","user_type":"proxy","restricted":false,"uid":5,"new_field":{"a":1},"lish_auth_method":"passkeys"}"#,
        )
        .unwrap();
        assert_eq!(info.user_type, Some(UserType::Proxy));
        assert_eq!(info.username.as_deref(), Some("parent-user"));
        assert_eq!(info.uid, Some(5));
        let none: ProfileInfo = serde_json::from_str(r#"{"user_type":null}"#).unwrap();
        assert_eq!(none.user_type, None);
    }
}
