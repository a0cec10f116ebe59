//! Listing as every Linode collection does it: `X-Filter` (field conditions, `+and`/`+or`,
//! `+order_by`/`+order`), then `page` and `page_size` into `{"data","page","pages","results"}`.

use std::cmp::Ordering;

use serde_json::{json, Map, Value};

use super::{errors, field_error};
use crate::core::{Exchange, Reply};

/// How a filterable field compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FieldKind {
    /// A string (a missing or `null` value compares as `""`).
    Text,
    /// A number (a missing or `null` value matches no condition).
    Number,
    /// A list of strings (`tags`, `ipv4`): a value matches when an element does.
    List,
}

/// The kind of each field a collection filters on (`None`: not filterable).
pub(super) type Fields = fn(&str) -> Option<FieldKind>;

/// One page of `items` (in their listing order) after the request's `X-Filter`.
pub(super) fn page(exchange: &Exchange, items: Vec<&Value>, fields: Fields) -> Reply {
    let page = match exchange.query("page").map(page_number) {
        None => 1,
        Some(Some(p)) if p >= 1 => p,
        Some(_) => return field_error(400, "page", "Must be a positive integer"),
    };
    let page_size = match exchange.query("page_size").map(str::parse::<u64>) {
        None => 100,
        Some(Ok(s)) if (25..=500).contains(&s) => s,
        Some(_) => return field_error(400, "page_size", "Must be 25-500"),
    };
    let filter = match exchange.header("x-filter") {
        None => Map::new(),
        Some(raw) => match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(map)) => map,
            _ => return errors(400, "Invalid JSON in X-Filter"),
        },
    };
    let mut kept = Vec::new();
    for item in items {
        match matches(&filter, item, fields) {
            Ok(true) => kept.push(item),
            Ok(false) => {}
            Err(reason) => return errors(400, &reason),
        }
    }
    if let Err(reason) = order(&filter, &mut kept, fields) {
        return errors(400, &reason);
    }
    let results = kept.len() as u64;
    let pages = results.div_ceil(page_size).max(1);
    let start = (page - 1).saturating_mul(page_size).min(results) as usize;
    let end = (start + page_size as usize).min(kept.len());
    let data: Vec<&Value> = kept[start..end].to_vec();
    Reply::json(
        200,
        &json!({"data": data, "page": page, "pages": pages, "results": results}),
    )
}

/// A page number; one too large for a `u64` is past every last page all the same.
fn page_number(text: &str) -> Option<u64> {
    match text.parse::<u64>() {
        Ok(n) => Some(n),
        Err(_) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => Some(u64::MAX),
        Err(_) => None,
    }
}

/// Sorts `items` by `+order_by` (ascending unless `+order` is `desc`); a stable sort, so
/// equal keys keep the listing order.
fn order(filter: &Map<String, Value>, items: &mut [&Value], fields: Fields) -> Result<(), String> {
    let Some(field) = filter.get("+order_by") else {
        return Ok(());
    };
    let Some((field, kind)) = field
        .as_str()
        .and_then(|f| fields(f).map(|kind| (f, kind)))
        .filter(|(_, kind)| *kind != FieldKind::List)
    else {
        return Err("Cannot order by this field".to_owned());
    };
    let desc = match filter.get("+order").map(Value::as_str) {
        None | Some(Some("asc")) => false,
        Some(Some("desc")) => true,
        _ => return Err("+order must be asc or desc".to_owned()),
    };
    items.sort_by(|a, b| {
        let ord = match kind {
            FieldKind::Number => {
                let key = |v: &Value| v.get(field).and_then(Value::as_f64);
                key(a).partial_cmp(&key(b)).unwrap_or(Ordering::Equal)
            }
            _ => {
                let key = |v: &'_ Value| {
                    v.get(field)
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned()
                };
                key(a).cmp(&key(b))
            }
        };
        if desc {
            ord.reverse()
        } else {
            ord
        }
    });
    Ok(())
}

/// Whether `item` passes `filter` (top-level keys all hold; `+or`/`+and` take lists of
/// filters).
fn matches(filter: &Map<String, Value>, item: &Value, fields: Fields) -> Result<bool, String> {
    for (key, condition) in filter {
        let holds = match key.as_str() {
            "+order_by" | "+order" => true,
            "+or" | "+and" => {
                let Some(list) = condition.as_array() else {
                    return Err(format!("{key} takes a list of filters"));
                };
                let mut results = Vec::new();
                for f in list {
                    let Some(f) = f.as_object() else {
                        return Err(format!("{key} takes a list of filters"));
                    };
                    results.push(matches(f, item, fields)?);
                }
                if key == "+or" {
                    results.iter().any(|r| *r)
                } else {
                    results.iter().all(|r| *r)
                }
            }
            field => match fields(field) {
                Some(kind) => condition_holds(field, kind, condition, item.get(field))?,
                None => return Err(format!("Cannot filter on {field}")),
            },
        };
        if !holds {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether the value `actual` of `field` meets `condition`: a value (equality), a list of
/// values (any of them) or an object of operators (all of them).
fn condition_holds(
    field: &str,
    kind: FieldKind,
    condition: &Value,
    actual: Option<&Value>,
) -> Result<bool, String> {
    match condition {
        Value::Object(ops) => {
            for (op, value) in ops {
                if !operator_holds(field, kind, op, value, actual)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Value::Array(values) => {
            for value in values {
                if equals(field, kind, value, actual)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        value => equals(field, kind, value, actual),
    }
}

fn text(actual: Option<&Value>) -> &str {
    actual.and_then(Value::as_str).unwrap_or("")
}

fn elements(actual: Option<&Value>) -> impl Iterator<Item = &str> {
    actual
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

fn equals(
    field: &str,
    kind: FieldKind,
    expected: &Value,
    actual: Option<&Value>,
) -> Result<bool, String> {
    match (kind, expected) {
        (FieldKind::Text, Value::String(expected)) => Ok(text(actual) == expected),
        (FieldKind::List, Value::String(expected)) => Ok(elements(actual).any(|e| e == expected)),
        (FieldKind::Number, Value::Number(expected)) => {
            Ok(actual.and_then(Value::as_f64) == expected.as_f64())
        }
        _ => Err(format!("{field}: unsupported filter value")),
    }
}

fn operator_holds(
    field: &str,
    kind: FieldKind,
    op: &str,
    value: &Value,
    actual: Option<&Value>,
) -> Result<bool, String> {
    match kind {
        FieldKind::Text => {
            let Some(value) = value.as_str() else {
                return Err(format!("{field}: {op} takes a string"));
            };
            let actual = text(actual);
            Ok(match op {
                "+contains" => actual.to_lowercase().contains(&value.to_lowercase()),
                "+neq" => actual != value,
                "+gt" => actual > value,
                "+gte" => actual >= value,
                "+lt" => actual < value,
                "+lte" => actual <= value,
                other => return Err(format!("{field}: unknown operator {other}")),
            })
        }
        FieldKind::List => {
            let Some(value) = value.as_str() else {
                return Err(format!("{field}: {op} takes a string"));
            };
            Ok(match op {
                "+contains" => {
                    let value = value.to_lowercase();
                    elements(actual).any(|e| e.to_lowercase().contains(&value))
                }
                "+neq" => !elements(actual).any(|e| e == value),
                other => return Err(format!("{field}: unknown operator {other}")),
            })
        }
        FieldKind::Number => {
            let Some(value) = value.as_f64() else {
                return Err(format!("{field}: {op} takes a number"));
            };
            let Some(actual) = actual.and_then(Value::as_f64) else {
                return Ok(false);
            };
            Ok(match op {
                "+neq" => actual != value,
                "+gt" => actual > value,
                "+gte" => actual >= value,
                "+lt" => actual < value,
                "+lte" => actual <= value,
                other => return Err(format!("{field}: unknown operator {other}")),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn child_fields(field: &str) -> Option<FieldKind> {
        ["company", "country", "city"]
            .contains(&field)
            .then_some(FieldKind::Text)
    }

    fn instance_fields(field: &str) -> Option<FieldKind> {
        match field {
            "id" => Some(FieldKind::Number),
            "label" => Some(FieldKind::Text),
            "tags" => Some(FieldKind::List),
            _ => None,
        }
    }

    #[test]
    fn text_fields() {
        let a = json!({"company": "Acme 001", "country": "US", "city": "Berlin"});
        let f = |v: Value| matches(v.as_object().unwrap(), &a, child_fields);
        assert_eq!(f(json!({"company": "Acme 001"})), Ok(true));
        assert_eq!(f(json!({"company": {"+contains": "acme"}})), Ok(true));
        assert_eq!(f(json!({"company": {"+neq": "Acme 001"}})), Ok(false));
        assert_eq!(f(json!({"country": ["DE", "US"]})), Ok(true));
        assert_eq!(
            f(json!({"+or": [{"country": "DE"}, {"city": "Berlin"}]})),
            Ok(true)
        );
        assert_eq!(
            f(json!({"+and": [{"country": "US"}, {"city": "Lyon"}]})),
            Ok(false)
        );
        assert!(f(json!({"euuid": "x"})).is_err());
        assert!(f(json!({"company": {"+like": "x"}})).is_err());
        assert!(f(json!({"company": 5})).is_err());
    }

    #[test]
    fn number_and_list_fields() {
        let a = json!({"id": 42, "label": "web-1", "tags": ["env:prod", "team-a"]});
        let f = |v: Value| matches(v.as_object().unwrap(), &a, instance_fields);
        assert_eq!(f(json!({"id": 42})), Ok(true));
        assert_eq!(f(json!({"id": {"+gt": 41, "+lte": 42}})), Ok(true));
        assert_eq!(f(json!({"id": {"+lt": 42}})), Ok(false));
        assert_eq!(f(json!({"id": [1, 42]})), Ok(true));
        assert_eq!(f(json!({"tags": "team-a"})), Ok(true));
        assert_eq!(f(json!({"tags": "team"})), Ok(false));
        assert_eq!(f(json!({"tags": {"+contains": "PROD"}})), Ok(true));
        assert_eq!(f(json!({"tags": {"+neq": "team-a"}})), Ok(false));
        assert!(f(json!({"id": "42"})).is_err());
        assert!(f(json!({"id": {"+contains": "4"}})).is_err());
        assert!(f(json!({"tags": {"+gt": "a"}})).is_err());
        assert!(f(json!({"region": "us-east"})).is_err());
    }

    #[test]
    fn page_numbers_of_any_size() {
        assert_eq!(page_number("3"), Some(3));
        assert_eq!(page_number("99999999999999999999999999"), Some(u64::MAX));
        assert_eq!(page_number("-1"), None);
        assert_eq!(page_number("1.5"), None);
        assert_eq!(page_number(""), None);
    }

    #[test]
    fn orders_numbers_numerically_and_refuses_lists() {
        let (a, b, c) = (json!({"id": 9}), json!({"id": 10}), json!({"id": 100}));
        let mut items = vec![&b, &c, &a];
        let filter = json!({"+order_by": "id", "+order": "desc"});
        order(filter.as_object().unwrap(), &mut items, instance_fields).unwrap();
        assert_eq!(items, [&c, &b, &a]);
        let filter = json!({"+order_by": "tags"});
        assert!(order(filter.as_object().unwrap(), &mut items, instance_fields).is_err());
    }
}
