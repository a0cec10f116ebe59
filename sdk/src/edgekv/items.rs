//! Items: values with an explicit type, read back byte for byte.

use std::fmt;

use bytes::Bytes;
use reqwest::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::client::{EdgeKvClient, Network};
use super::ids::{check_id, check_query_value, IdKind};
use crate::error::{Error, Result};
use akamai_sdk_generated::edgekv::operations as ops;

use crate::runtime::decode_json;

/// How an item value is sent: the type is always chosen by the caller, never guessed from
/// the content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ItemKind {
    /// UTF-8 text, sent as `text/plain; charset=utf-8`.
    Text,
    /// A JSON document, sent as `application/json`.
    Json,
    /// Raw bytes, sent as `application/octet-stream`.
    Bytes,
}

impl ItemKind {
    /// The `Content-Type` the value is sent with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Text => "text/plain; charset=utf-8",
            Self::Json => "application/json",
            Self::Bytes => "application/octet-stream",
        }
    }
}

/// A value to write, with its explicit [`ItemKind`]. The bytes are sent exactly as given
/// (text is not trimmed or quoted; JSON is serialized once, compactly).
///
/// ```
/// use akamai_sdk::edgekv::{ItemKind, ItemValue};
///
/// let text = ItemValue::text(" \"quoted\" ");
/// assert_eq!(text.as_bytes(), b" \"quoted\" ");
/// let json = ItemValue::json(&serde_json::json!({"currency": "€"})).unwrap();
/// assert_eq!(json.kind(), ItemKind::Json);
/// assert_eq!(json.as_bytes(), "{\"currency\":\"€\"}".as_bytes());
/// let raw = ItemValue::bytes(vec![0u8, 255]);
/// assert_eq!(raw.content_type(), "application/octet-stream");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ItemValue {
    kind: ItemKind,
    /// A content type other than the kind's own ([`ItemValue::with_content_type`]).
    content_type: Option<Box<str>>,
    body: Bytes,
}

impl fmt::Debug for ItemValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemValue")
            .field("kind", &self.kind)
            .field("content_type", &self.content_type())
            .field("len", &self.body.len())
            .finish()
    }
}

impl ItemValue {
    /// A text value (`text/plain`).
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            kind: ItemKind::Text,
            content_type: None,
            body: Bytes::from(text.into()),
        }
    }

    /// A JSON value (`application/json`) serialized from any serde value.
    ///
    /// Fails with [`Error::InvalidInput`] if `value` cannot be serialized (a map with
    /// non-string keys, say).
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self> {
        let body = serde_json::to_vec(value).map_err(|e| {
            Error::InvalidInput(format!("the item value is not serializable as JSON: {e}"))
        })?;
        Ok(Self {
            kind: ItemKind::Json,
            content_type: None,
            body: Bytes::from(body),
        })
    }

    /// A JSON value (`application/json`) from an already built document.
    pub fn json_value(value: &serde_json::Value) -> Self {
        Self {
            kind: ItemKind::Json,
            content_type: None,
            body: Bytes::from(value.to_string()),
        }
    }

    /// A JSON value (`application/json`) from JSON text, sent exactly as given (key order,
    /// number forms and whitespace kept).
    ///
    /// Fails with [`Error::InvalidInput`] if `text` is not one JSON value.
    ///
    /// ```
    /// use akamai_sdk::edgekv::ItemValue;
    ///
    /// let value = ItemValue::json_text(r#"{"b": 1.50, "a": 2}"#).unwrap();
    /// assert_eq!(value.as_bytes(), br#"{"b": 1.50, "a": 2}"#);
    /// assert!(ItemValue::json_text("{").is_err());
    /// ```
    pub fn json_text(text: impl Into<String>) -> Result<Self> {
        let text = text.into();
        serde_json::from_str::<serde::de::IgnoredAny>(&text)
            .map_err(|e| Error::InvalidInput(format!("the item value is not JSON: {e}")))?;
        Ok(Self {
            kind: ItemKind::Json,
            content_type: None,
            body: Bytes::from(text),
        })
    }

    /// Raw bytes (`application/octet-stream`).
    pub fn bytes(bytes: impl Into<Bytes>) -> Self {
        Self {
            kind: ItemKind::Bytes,
            content_type: None,
            body: bytes.into(),
        }
    }

    /// The kind of value.
    pub fn kind(&self) -> ItemKind {
        self.kind
    }

    /// Sends the value with `content_type` instead of its kind's own (`image/png` bytes,
    /// `text/html` text, `application/json; charset=utf-8` JSON), as an export stores it.
    ///
    /// Fails with [`Error::InvalidInput`] if `content_type` cannot be a header value (empty,
    /// a control character or non-ASCII).
    ///
    /// ```
    /// use akamai_sdk::edgekv::ItemValue;
    ///
    /// let png = ItemValue::bytes(vec![0x89, b'P']).with_content_type("image/png").unwrap();
    /// assert_eq!(png.content_type(), "image/png");
    /// assert!(ItemValue::text("x").with_content_type("text/\nplain").is_err());
    /// ```
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Result<Self> {
        let content_type = content_type.into();
        let valid = !content_type.trim().is_empty()
            && content_type
                .bytes()
                .all(|b| b == b'\t' || (b' '..=b'~').contains(&b));
        if !valid {
            return Err(Error::InvalidInput(format!(
                "the content type {content_type:?} is not a valid header value"
            )));
        }
        self.content_type = (content_type != self.kind.content_type()).then(|| content_type.into());
        Ok(self)
    }

    /// The `Content-Type` it is sent with.
    pub fn content_type(&self) -> &str {
        self.content_type
            .as_deref()
            .unwrap_or_else(|| self.kind.content_type())
    }

    /// The bytes sent.
    pub fn as_bytes(&self) -> &[u8] {
        &self.body
    }
}

/// An item as read: its bytes exactly as the API returned them, and their content type.
///
/// `Debug` shows the content type and length only (values may be sensitive).
#[derive(Clone, PartialEq, Eq)]
pub struct Item {
    content_type: Option<String>,
    body: Bytes,
}

impl fmt::Debug for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Item")
            .field("content_type", &self.content_type)
            .field("len", &self.body.len())
            .finish()
    }
}

impl Item {
    /// An item made of `body` with `content_type` (as a test double, or for replay).
    pub fn new(content_type: Option<String>, body: impl Into<Bytes>) -> Self {
        Self {
            content_type,
            body: body.into(),
        }
    }

    /// The bytes of the value, untouched (quotes and whitespace included).
    pub fn as_bytes(&self) -> &[u8] {
        &self.body
    }

    /// The bytes of the value.
    pub fn into_bytes(self) -> Bytes {
        self.body
    }

    /// The `Content-Type` of the response, if any.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// Whether the content type is JSON (`application/json` or `…+json`).
    pub fn is_json(&self) -> bool {
        self.content_type.as_deref().is_some_and(|ct| {
            let essence = ct.split(';').next().unwrap_or("").trim();
            essence.eq_ignore_ascii_case("application/json")
                || essence.to_ascii_lowercase().ends_with("+json")
        })
    }

    /// The value as UTF-8 text, untouched.
    pub fn text(&self) -> std::result::Result<&str, std::str::Utf8Error> {
        std::str::from_utf8(&self.body)
    }

    /// The value decoded as JSON into `T` (whatever the content type says); a mismatch is
    /// [`Error::Decode`] with the JSON path that failed.
    ///
    /// ```
    /// use akamai_sdk::edgekv::Item;
    ///
    /// let item = Item::new(Some("application/json".into()), &br#"{"n": 2}"#[..]);
    /// #[derive(serde::Deserialize)]
    /// struct Doc { n: u32 }
    /// assert_eq!(item.json::<Doc>().unwrap().n, 2);
    /// assert!(item.json::<Vec<u8>>().is_err());
    /// ```
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        decode_json(None, &self.body)
    }

    /// Same as [`Item::json`].
    pub fn get<T: DeserializeOwned>(&self) -> Result<T> {
        self.json()
    }
}

/// The items of one group of one namespace on one network, optionally in a sandbox.
///
/// Made by [`EdgeKvClient::group`]. Ids are checked on each call against the API's rule:
/// namespace, group and item ids hold only `A-Z a-z 0-9 _ -` (namespace names at most
/// [`MAX_NAMESPACE_LEN`](super::MAX_NAMESPACE_LEN) characters and not starting with `-`, group
/// ids at most [`MAX_GROUP_LEN`](super::MAX_GROUP_LEN), item ids at most
/// [`MAX_ITEM_LEN`](super::MAX_ITEM_LEN)); any other id is refused with [`Error::InvalidId`]
/// before anything is sent. Every path is still percent-encoded strictly.
#[derive(Clone, Debug)]
pub struct ItemGroup<'a> {
    client: &'a EdgeKvClient,
    network: Network,
    namespace: String,
    group: String,
    sandbox: Option<String>,
}

impl EdgeKvClient {
    /// The items of `group` in `namespace` on `network`.
    ///
    /// ```no_run
    /// # async fn run(client: akamai_sdk::edgekv::EdgeKvClient) -> Result<(), akamai_sdk::Error> {
    /// use akamai_sdk::edgekv::{ItemValue, Network};
    ///
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct Country { name: String, currency: String }
    ///
    /// let countries = client.group(Network::Staging, "default", "countries");
    /// let be = Country { name: "Belgium".into(), currency: "€".into() };
    /// countries.put("BE", &ItemValue::json(&be)?).await?;
    /// let back: Country = countries.get("BE").await?.json()?;
    /// let keys = countries.list(Some(100)).await?;
    /// countries.delete("BE").await?;
    /// # let _ = (back, keys);
    /// # Ok(())
    /// # }
    /// ```
    pub fn group(
        &self,
        network: Network,
        namespace: impl Into<String>,
        group: impl Into<String>,
    ) -> ItemGroup<'_> {
        ItemGroup {
            client: self,
            network,
            namespace: namespace.into(),
            group: group.into(),
            sandbox: None,
        }
    }
}

impl ItemGroup<'_> {
    /// Works in the sandbox `sandbox_id` (`sandboxId` query parameter).
    pub fn sandbox(mut self, sandbox_id: impl Into<String>) -> Self {
        self.sandbox = Some(sandbox_id.into());
        self
    }

    /// The network.
    pub fn network(&self) -> Network {
        self.network
    }

    /// The namespace id.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The group id.
    pub fn group_id(&self) -> &str {
        &self.group
    }

    fn check(&self, item_id: Option<&str>) -> Result<()> {
        check_id(IdKind::Namespace, &self.namespace)?;
        check_id(IdKind::Group, &self.group)?;
        if let Some(item_id) = item_id {
            check_id(IdKind::Item, item_id)?;
        }
        check_query_value(IdKind::Sandbox, self.sandbox.as_deref())
    }

    fn item_url(&self, item_id: &str) -> url::Url {
        let query: Vec<(&str, &str)> = self
            .sandbox
            .as_deref()
            .map(|s| ("sandboxId", s))
            .into_iter()
            .collect();
        self.client.url(
            &[
                "networks",
                self.network.as_str(),
                "namespaces",
                &self.namespace,
                "groups",
                &self.group,
                "items",
                item_id,
            ],
            &query,
        )
    }

    /// Lists the item ids of the group (at most `max_items` when given).
    ///
    /// An empty group is an empty list: the API answers 404 "The requested group is empty or
    /// not found." for a group without items, and EdgeKV has no empty groups (a group exists
    /// while it holds an item), so a group that does not exist is listed as empty too. Any
    /// other 404 (an unknown namespace) is an error.
    pub async fn list(&self, max_items: Option<u32>) -> Result<Vec<String>> {
        self.check(None)?;
        let max_items = max_items.map(i64::from);
        let items = self
            .client
            .runtime()
            .call_optional(&ops::GET_GROUP_ITEMS, || {
                self.client.generated().get_group_items(
                    self.network.into(),
                    &self.namespace,
                    &self.group,
                    self.client.account_switch_key(),
                    max_items,
                    self.sandbox.as_deref(),
                )
            })
            .await?;
        Ok(items.map(|items| items.0).unwrap_or_default())
    }

    /// Creates or replaces an item. The group is created if needed; the namespace must exist.
    /// Returns the API's confirmation text. Retried per the runtime policy (a PUT is
    /// idempotent), honouring `Retry-After` on 429.
    pub async fn put(&self, item_id: &str, value: &ItemValue) -> Result<String> {
        self.check(Some(item_id))?;
        let url = self.item_url(item_id);
        let (_, _, body) = self
            .client
            .endpoint()
            .send(
                &ops::PUT_ITEM,
                &url,
                Some((value.content_type(), &value.body)),
            )
            .await?;
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    /// Reads an item: its bytes exactly as stored, and the content type of the answer.
    pub async fn get(&self, item_id: &str) -> Result<Item> {
        self.check(Some(item_id))?;
        let (headers, body) = self
            .client
            .runtime()
            .call_bytes(&ops::GET_ITEM, || {
                self.client.generated().get_item(
                    self.network.into(),
                    &self.namespace,
                    &self.group,
                    item_id,
                    self.client.account_switch_key(),
                    self.sandbox.as_deref(),
                )
            })
            .await?;
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(Item { content_type, body })
    }

    /// Reads an item and decodes it as JSON into `T`.
    pub async fn get_json<T: DeserializeOwned>(&self, item_id: &str) -> Result<T> {
        self.get(item_id).await?.json()
    }

    /// Deletes an item. Returns the API's confirmation text. Retried per the runtime policy
    /// (a DELETE is idempotent).
    pub async fn delete(&self, item_id: &str) -> Result<String> {
        self.check(Some(item_id))?;
        let (_, body) = self
            .client
            .runtime()
            .call_bytes(&ops::DELETE_ITEM, || {
                self.client.generated().delete_item(
                    self.network.into(),
                    &self.namespace,
                    &self.group,
                    item_id,
                    self.client.account_switch_key(),
                    self.sandbox.as_deref(),
                )
            })
            .await?;
        Ok(String::from_utf8_lossy(&body).into_owned())
    }
}
