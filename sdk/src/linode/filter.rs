//! Linode `X-Filter` headers for the child-account list.

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
    conditions: Vec<(ChildAccountField, Value)>,
    alternatives: Vec<ChildAccountFilter>,
    order: Option<(ChildAccountField, Order)>,
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
    pub fn eq(mut self, field: ChildAccountField, value: impl Into<String>) -> Self {
        self.conditions.push((field, Value::String(value.into())));
        self
    }

    /// Requires `field` to differ from `value` (`+neq`).
    pub fn neq(self, field: ChildAccountField, value: impl Into<String>) -> Self {
        self.operator(field, "+neq", value.into())
    }

    /// Requires `field` to contain `value` (`+contains`).
    pub fn contains(self, field: ChildAccountField, value: impl Into<String>) -> Self {
        self.operator(field, "+contains", value.into())
    }

    fn operator(mut self, field: ChildAccountField, operator: &str, value: String) -> Self {
        let mut map = Map::new();
        map.insert(operator.to_owned(), Value::String(value));
        self.conditions.push((field, Value::Object(map)));
        self
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
    pub fn or(mut self, alternatives: impl IntoIterator<Item = ChildAccountFilter>) -> Self {
        self.alternatives.extend(alternatives);
        self
    }

    /// Sorts by `field` (`+order_by`, `+order`).
    pub fn order_by(mut self, field: ChildAccountField, order: Order) -> Self {
        self.order = Some((field, order));
        self
    }

    /// The filter as Linode's JSON filter language.
    ///
    /// Conditions on distinct fields become keys of one object; several conditions on the same
    /// field are combined with `+and`. Ordering keys sit at the top level.
    pub fn to_json(&self) -> Value {
        let mut map = self.conditions_json();
        if let Some((field, order)) = self.order {
            map.insert(
                "+order_by".to_owned(),
                Value::String(field.as_str().to_owned()),
            );
            map.insert(
                "+order".to_owned(),
                Value::String(order.as_str().to_owned()),
            );
        }
        Value::Object(map)
    }

    fn conditions_json(&self) -> Map<String, Value> {
        let mut parts: Vec<Map<String, Value>> = self
            .conditions
            .iter()
            .map(|(field, value)| {
                let mut map = Map::new();
                map.insert(field.as_str().to_owned(), value.clone());
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

/// Turns a JSON filter into an `X-Filter` header value: it must be a JSON object; non-ASCII
/// and control characters (which JSON only allows inside strings) are sent as `\u` escapes so
/// the header stays visible ASCII.
pub(crate) fn header_value(filter: &Value) -> Result<HeaderValue, Error> {
    if !filter.is_object() {
        return Err(Error::InvalidInput(
            "an X-Filter must be a JSON object".to_owned(),
        ));
    }
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
