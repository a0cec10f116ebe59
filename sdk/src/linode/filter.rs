//! Linode `X-Filter` headers: [`Filter`] for any list and any field, [`ChildAccountFilter`]
//! with the fields of the child-account list.

use std::fmt::Write as _;

use reqwest::header::HeaderValue;
use serde_json::{Map, Value};

use crate::error::Error;

/// The fields of a child account that the API can filter and order on (the ones its schema
/// marks `Filterable`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChildAccountField {
    /// `address_1`
    Address1,
    /// `address_2`
    Address2,
    /// `city`
    City,
    /// `company`
    Company,
    /// `country`
    Country,
    /// `email`
    Email,
    /// `first_name`
    FirstName,
    /// `last_name`
    LastName,
    /// `phone`
    Phone,
    /// `state`
    State,
    /// `zip`
    Zip,
}

impl ChildAccountField {
    /// The field's name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Address1 => "address_1",
            Self::Address2 => "address_2",
            Self::City => "city",
            Self::Company => "company",
            Self::Country => "country",
            Self::Email => "email",
            Self::FirstName => "first_name",
            Self::LastName => "last_name",
            Self::Phone => "phone",
            Self::State => "state",
            Self::Zip => "zip",
        }
    }
}

/// Sort order of `+order`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Order {
    /// Ascending (`asc`).
    Asc,
    /// Descending (`desc`).
    Desc,
}

impl Order {
    fn as_str(self) -> &'static str {
        match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        }
    }
}

/// An `X-Filter` for any Linode list, on any of its __Filterable__ fields: every paginated
/// operation of the typed calls takes one as its `x_filter` argument (the JSON text of
/// [`Filter::to_header`]).
///
/// Conditions added one after another must all hold; [`Filter::or`] adds a group of
/// alternatives (`+or`), and [`Filter::order_by`] sorts the result (`+order_by`, `+order`).
/// Values are JSON: text, numbers and booleans convert with `into()`.
///
/// ```
/// use akamai_sdk::linode::{Filter, Order};
///
/// let filter = Filter::new()
///     .eq("region", "us-east")
///     .gte("specs.memory", 4096)
///     .or([Filter::new().contains("label", "web"), Filter::new().eq("tags", "prod")])
///     .order_by("label", Order::Asc);
/// assert_eq!(
///     filter.to_json(),
///     serde_json::json!({
///         "region": "us-east",
///         "specs.memory": {"+gte": 4096},
///         "+or": [{"label": {"+contains": "web"}}, {"tags": "prod"}],
///         "+order_by": "label",
///         "+order": "asc"
///     })
/// );
/// // For a typed call: `child.api().get_linode_instances_stream(None, Some(&filter.to_header()))`.
/// assert!(filter.to_header().is_ascii());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    conditions: Vec<(String, Value)>,
    alternatives: Vec<Filter>,
    order: Option<(String, Order)>,
}

impl Filter {
    /// A filter that matches every item.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requires `field` to equal `value`.
    pub fn eq(mut self, field: impl Into<String>, value: impl Into<Value>) -> Self {
        self.conditions.push((field.into(), value.into()));
        self
    }

    /// Requires `field` to differ from `value` (`+neq`).
    pub fn neq(self, field: impl Into<String>, value: impl Into<Value>) -> Self {
        self.operator(field, "+neq", value)
    }

    /// Requires the text of `field` to contain `value` (`+contains`).
    pub fn contains(self, field: impl Into<String>, value: impl Into<String>) -> Self {
        self.operator(field, "+contains", value.into())
    }

    /// Requires `field` to be greater than `value` (`+gt`).
    pub fn gt(self, field: impl Into<String>, value: impl Into<Value>) -> Self {
        self.operator(field, "+gt", value)
    }

    /// Requires `field` to be at least `value` (`+gte`).
    pub fn gte(self, field: impl Into<String>, value: impl Into<Value>) -> Self {
        self.operator(field, "+gte", value)
    }

    /// Requires `field` to be less than `value` (`+lt`).
    pub fn lt(self, field: impl Into<String>, value: impl Into<Value>) -> Self {
        self.operator(field, "+lt", value)
    }

    /// Requires `field` to be at most `value` (`+lte`).
    pub fn lte(self, field: impl Into<String>, value: impl Into<Value>) -> Self {
        self.operator(field, "+lte", value)
    }

    fn operator(
        mut self,
        field: impl Into<String>,
        operator: &str,
        value: impl Into<Value>,
    ) -> Self {
        let mut map = Map::new();
        map.insert(operator.to_owned(), value.into());
        self.conditions.push((field.into(), Value::Object(map)));
        self
    }

    /// Requires at least one of `alternatives` to hold (`+or`). An empty list is ignored.
    pub fn or(mut self, alternatives: impl IntoIterator<Item = Filter>) -> Self {
        self.alternatives.extend(alternatives);
        self
    }

    /// Sorts by `field` (`+order_by`, `+order`).
    pub fn order_by(mut self, field: impl Into<String>, order: Order) -> Self {
        self.order = Some((field.into(), order));
        self
    }

    /// The filter as Linode's JSON filter language.
    ///
    /// Conditions on distinct fields become keys of one object; several conditions on the same
    /// field are combined with `+and`. Ordering keys sit at the top level.
    pub fn to_json(&self) -> Value {
        let mut map = self.conditions_json();
        if let Some((field, order)) = &self.order {
            map.insert("+order_by".to_owned(), Value::String(field.clone()));
            map.insert(
                "+order".to_owned(),
                Value::String(order.as_str().to_owned()),
            );
        }
        Value::Object(map)
    }

    /// The filter as the text of an `X-Filter` header: its JSON, with every character outside
    /// visible ASCII written as a `\u` escape (JSON allows them only inside strings, where the
    /// escape means the same).
    pub fn to_header(&self) -> String {
        ascii_json(&self.to_json())
    }

    fn conditions_json(&self) -> Map<String, Value> {
        let mut parts: Vec<Map<String, Value>> = self
            .conditions
            .iter()
            .map(|(field, value)| {
                let mut map = Map::new();
                map.insert(field.clone(), value.clone());
                map
            })
            .collect();
        if !self.alternatives.is_empty() {
            let alternatives = self
                .alternatives
                .iter()
                .map(|alt| Value::Object(alt.conditions_json()))
                .collect();
            let mut map = Map::new();
            map.insert("+or".to_owned(), Value::Array(alternatives));
            parts.push(map);
        }
        let mut merged = Map::new();
        let mut distinct = true;
        for part in &parts {
            for (key, value) in part {
                if merged.contains_key(key) {
                    distinct = false;
                } else {
                    merged.insert(key.clone(), value.clone());
                }
            }
        }
        if distinct {
            merged
        } else {
            let mut map = Map::new();
            map.insert(
                "+and".to_owned(),
                Value::Array(parts.into_iter().map(Value::Object).collect()),
            );
            map
        }
    }
}

/// A typed `X-Filter` for listing child accounts.
///
/// Conditions added one after another must all hold; [`ChildAccountFilter::or`] adds a group of
/// alternatives (`+or`), and [`ChildAccountFilter::order_by`] sorts the result (`+order_by`,
/// `+order`). For anything this builder cannot say, pass raw JSON with
/// [`ChildAccountsRequest::raw_filter`](super::ChildAccountsRequest::raw_filter).
///
/// ```
/// use akamai_sdk::linode::{ChildAccountField, ChildAccountFilter, Order};
///
/// let filter = ChildAccountFilter::new()
///     .company("Acme")
///     .or([
///         ChildAccountFilter::new().country("US"),
///         ChildAccountFilter::new().contains(ChildAccountField::Email, "@acme.example"),
///     ])
///     .order_by(ChildAccountField::Email, Order::Desc);
/// assert_eq!(
///     filter.to_json(),
///     serde_json::json!({
///         "company": "Acme",
///         "+or": [{"country": "US"}, {"email": {"+contains": "@acme.example"}}],
///         "+order_by": "email",
///         "+order": "desc"
///     })
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChildAccountFilter {
    inner: Filter,
}

macro_rules! equality {
    ($($(#[$doc:meta])* $name:ident => $field:ident;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(self, value: impl Into<String>) -> Self {
                self.eq(ChildAccountField::$field, value)
            }
        )*
    };
}

impl ChildAccountFilter {
    /// A filter that matches every child account.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requires `field` to equal `value`.
    pub fn eq(self, field: ChildAccountField, value: impl Into<String>) -> Self {
        Self {
            inner: self.inner.eq(field.as_str(), value.into()),
        }
    }

    /// Requires `field` to differ from `value` (`+neq`).
    pub fn neq(self, field: ChildAccountField, value: impl Into<String>) -> Self {
        Self {
            inner: self.inner.neq(field.as_str(), value.into()),
        }
    }

    /// Requires `field` to contain `value` (`+contains`).
    pub fn contains(self, field: ChildAccountField, value: impl Into<String>) -> Self {
        Self {
            inner: self.inner.contains(field.as_str(), value),
        }
    }

    equality! {
        /// Requires `company` to equal `value`.
        company => Company;
        /// Requires `email` to equal `value`.
        email => Email;
        /// Requires `first_name` to equal `value`.
        first_name => FirstName;
        /// Requires `last_name` to equal `value`.
        last_name => LastName;
        /// Requires `phone` to equal `value`.
        phone => Phone;
        /// Requires `address_1` to equal `value`.
        address_1 => Address1;
        /// Requires `address_2` to equal `value`.
        address_2 => Address2;
        /// Requires `city` to equal `value`.
        city => City;
        /// Requires `state` to equal `value`.
        state => State;
        /// Requires `zip` to equal `value`.
        zip => Zip;
        /// Requires `country` (two-letter ISO 3166 code) to equal `value`.
        country => Country;
    }

    /// Requires at least one of `alternatives` to hold (`+or`). An empty list is ignored.
    pub fn or(self, alternatives: impl IntoIterator<Item = ChildAccountFilter>) -> Self {
        Self {
            inner: self.inner.or(alternatives.into_iter().map(|a| a.inner)),
        }
    }

    /// Sorts by `field` (`+order_by`, `+order`).
    pub fn order_by(self, field: ChildAccountField, order: Order) -> Self {
        Self {
            inner: self.inner.order_by(field.as_str(), order),
        }
    }

    /// The filter as Linode's JSON filter language (see [`Filter::to_json`]).
    pub fn to_json(&self) -> Value {
        self.inner.to_json()
    }
}

impl From<ChildAccountFilter> for Filter {
    fn from(filter: ChildAccountFilter) -> Self {
        filter.inner
    }
}

/// `filter` as JSON text with everything outside visible ASCII escaped (`\u`).
fn ascii_json(filter: &Value) -> String {
    let text = filter.to_string();
    let mut ascii = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() && !c.is_ascii_control() {
            ascii.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(ascii, "\\u{unit:04x}");
            }
        }
    }
    ascii
}

/// Turns a JSON filter into an `X-Filter` header value: it must be a JSON object; non-ASCII
/// and control characters (which JSON only allows inside strings) are sent as `\u` escapes so
/// the header stays visible ASCII.
pub(crate) fn header_value(filter: &Value) -> Result<HeaderValue, Error> {
    if !filter.is_object() {
        return Err(Error::InvalidInput(
            "an X-Filter must be a JSON object".to_owned(),
        ));
    }
    let ascii = ascii_json(filter);
    HeaderValue::from_str(&ascii)
        .map_err(|_| Error::InvalidInput("the X-Filter is not a valid header value".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_text_survives_the_header(value in any::<String>()) {
            let filter = ChildAccountFilter::new().company(value.clone()).to_json();
            let header = header_value(&filter).unwrap();
            let text = header.to_str().unwrap();
            prop_assert!(text.is_ascii());
            let back: Value = serde_json::from_str(text).unwrap();
            prop_assert_eq!(back, filter);
        }
    }

    #[test]
    fn simple_filters_are_flat_objects() {
        let filter = ChildAccountFilter::new()
            .company("Acme")
            .email("a@b.example");
        assert_eq!(
            filter.to_json(),
            serde_json::json!({"company": "Acme", "email": "a@b.example"})
        );
        assert_eq!(ChildAccountFilter::new().to_json(), serde_json::json!({}));
    }

    #[test]
    fn repeated_fields_use_and() {
        let filter = ChildAccountFilter::new()
            .contains(ChildAccountField::Company, "Ac")
            .neq(ChildAccountField::Company, "Acme Test")
            .order_by(ChildAccountField::Company, Order::Asc);
        assert_eq!(
            filter.to_json(),
            serde_json::json!({
                "+and": [
                    {"company": {"+contains": "Ac"}},
                    {"company": {"+neq": "Acme Test"}}
                ],
                "+order_by": "company",
                "+order": "asc"
            })
        );
    }

    #[test]
    fn generic_filters_take_any_field_and_json_values() {
        let filter = Filter::new()
            .eq("status", "running")
            .eq("status", "booting")
            .lt("specs.disk", 81920)
            .neq("watchdog_enabled", false);
        assert_eq!(
            filter.to_json(),
            serde_json::json!({"+and": [
                {"status": "running"},
                {"status": "booting"},
                {"specs.disk": {"+lt": 81920}},
                {"watchdog_enabled": {"+neq": false}}
            ]})
        );
        let child: Filter = ChildAccountFilter::new().company("Ac").into();
        assert_eq!(child, Filter::new().eq("company", "Ac"));
        let text = Filter::new().eq("label", "Zürich").to_header();
        assert_eq!(text, r#"{"label":"Z\u00fcrich"}"#);
    }

    #[test]
    fn header_values_are_ascii_json_objects() {
        let value = header_value(&ChildAccountFilter::new().city("Zürich").to_json()).unwrap();
        assert_eq!(value.to_str().unwrap(), r#"{"city":"Z\u00fcrich"}"#);
        let back: Value = serde_json::from_str(value.to_str().unwrap()).unwrap();
        assert_eq!(back["city"], "Zürich");
        let del = header_value(&serde_json::json!({"company": "a\u{7f}b\tc"})).unwrap();
        assert_eq!(del.to_str().unwrap(), r#"{"company":"a\u007fb\tc"}"#);
        let emoji = header_value(&serde_json::json!({"company": "😀"})).unwrap();
        let back: Value = serde_json::from_str(emoji.to_str().unwrap()).unwrap();
        assert_eq!(back["company"], "😀");
        assert!(matches!(
            header_value(&serde_json::json!(["x"])),
            Err(Error::InvalidInput(_))
        ));
    }
}
