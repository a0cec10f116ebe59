//! Tolerant decoding of response fields.
//!
//! `cargo xtask generate` puts `#[serde(deserialize_with = "crate::lenient::de")]` on every
//! scalar field of the generated types (strings, integers, floats, booleans, and their
//! `Option`s). A value whose JSON type differs from the documented one is kept rather than
//! failing the whole response:
//!
//! * a number or a boolean where a string is documented becomes its text (`1111` ->
//!   `"1111"`);
//! * a numeric string where a number is documented becomes the number (`"42"` -> `42`); an
//!   integral float (`3.0`) where an integer is documented becomes the integer;
//! * `"true"` / `"false"` where a boolean is documented becomes the boolean.
//!
//! Each coercion is counted inside [`crate::capture_response`]; [`explain`] finds their
//! JSON paths afterwards (the SDK logs them at DEBUG). Anything else that does not fit
//! (an object where a string is documented, `"abc"` for a number) still fails.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};

/// What a coerced value was on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// A JSON number.
    Number,
    /// A JSON string.
    String,
    /// A JSON boolean.
    Boolean,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Number => "number",
            Self::String => "string",
            Self::Boolean => "boolean",
        })
    }
}

/// One coercion, located.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coercion {
    /// The JSON path of the value (`data[3].credit_card.last_four`).
    pub path: String,
    /// What the value was.
    pub found: Found,
    /// The documented type it was read as (`string`, `integer`, `number`, `boolean`).
    pub expected: &'static str,
}

const MARK: &str = "akamai-sdk coercion mark";

thread_local! {
    // In `explain`: how many coercions to let pass before failing on the next one.
    static EXPLAIN: Cell<Option<u32>> = const { Cell::new(None) };
    static LAST: Cell<Option<(Found, &'static str)>> = const { Cell::new(None) };
}

/// Records a coercion; fails it instead while [`explain`] is looking for it.
fn coerced<E: de::Error>(found: Found, expected: &'static str) -> Result<(), E> {
    if let Some(skip) = EXPLAIN.with(Cell::get) {
        if skip == 0 {
            LAST.with(|last| last.set(Some((found, expected))));
            return Err(E::custom(MARK));
        }
        EXPLAIN.with(|e| e.set(Some(skip - 1)));
        return Ok(());
    }
    crate::request::count_coercion();
    Ok(())
}

/// Finds the JSON paths of the first `max` coercions made while decoding `bytes` as `T`
/// (one extra decoding pass per coercion; meant for logging, after a decode that
/// coerced).
pub fn explain<T: de::DeserializeOwned>(bytes: &[u8], max: u32) -> Vec<Coercion> {
    let mut found = Vec::new();
    for skip in 0..max {
        EXPLAIN.with(|e| e.set(Some(skip)));
        LAST.with(|last| last.set(None));
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let result: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
        EXPLAIN.with(|e| e.set(None));
        let located = match (result, LAST.with(Cell::take)) {
            (Err(e), Some((what, expected))) if e.inner().to_string().starts_with(MARK) => {
                Coercion {
                    path: e.path().to_string(),
                    found: what,
                    expected,
                }
            }
            _ => break,
        };
        found.push(located);
    }
    found
}

/// A scalar type that decodes leniently.
pub trait Lenient: Sized {
    /// Decodes `Self` from `deserializer`, coercing as the module docs say.
    fn deserialize_lenient<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

/// The `deserialize_with` function of the generated fields.
pub fn de<'de, D: Deserializer<'de>, T: Lenient>(deserializer: D) -> Result<T, D::Error> {
    T::deserialize_lenient(deserializer)
}

struct StringVisitor;

impl Visitor<'_> for StringVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        coerced::<E>(Found::Number, "string")?;
        Ok(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        coerced::<E>(Found::Number, "string")?;
        Ok(v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        coerced::<E>(Found::Number, "string")?;
        Ok(v.to_string())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        coerced::<E>(Found::Boolean, "string")?;
        Ok(v.to_string())
    }
}

impl Lenient for String {
    fn deserialize_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StringVisitor)
    }
}

struct BoolVisitor;

impl Visitor<'_> for BoolVisitor {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        let value = if v.eq_ignore_ascii_case("true") {
            true
        } else if v.eq_ignore_ascii_case("false") {
            false
        } else {
            return Err(E::invalid_value(de::Unexpected::Str(v), &self));
        };
        coerced::<E>(Found::String, "boolean")?;
        Ok(value)
    }
}

impl Lenient for bool {
    fn deserialize_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BoolVisitor)
    }
}

struct IntVisitor<T>(PhantomData<T>);

impl<T: TryFrom<i64> + TryFrom<u64>> IntVisitor<T> {
    fn from_i64<E: de::Error>(v: i64) -> Result<T, E> {
        T::try_from(v)
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &"an integer in range"))
    }

    fn from_u64<E: de::Error>(v: u64) -> Result<T, E> {
        T::try_from(v)
            .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &"an integer in range"))
    }
}

impl<T: TryFrom<i64> + TryFrom<u64>> Visitor<'_> for IntVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        Self::from_i64(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        Self::from_u64(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        // An integral float in the range of i64 (2^63 is exact as a float).
        if v.fract() != 0.0
            || !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&v)
        {
            return Err(E::invalid_type(de::Unexpected::Float(v), &self));
        }
        coerced::<E>(Found::Number, "integer")?;
        #[allow(clippy::cast_possible_truncation)]
        Self::from_i64(v as i64)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        let text = v.trim();
        let value = if let Ok(n) = text.parse::<i64>() {
            Self::from_i64(n)?
        } else if let Ok(n) = text.parse::<u64>() {
            Self::from_u64(n)?
        } else {
            return Err(E::invalid_value(de::Unexpected::Str(v), &self));
        };
        coerced::<E>(Found::String, "integer")?;
        Ok(value)
    }
}

macro_rules! lenient_ints {
    ($($t:ty),*) => {$(
        impl Lenient for $t {
            fn deserialize_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(IntVisitor::<$t>(PhantomData))
            }
        }
    )*};
}

lenient_ints!(i64, i32, u64, u32);

struct FloatVisitor;

impl Visitor<'_> for FloatVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }

    #[allow(clippy::cast_precision_loss)]
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }

    #[allow(clippy::cast_precision_loss)]
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        match v.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => {
                coerced::<E>(Found::String, "number")?;
                Ok(n)
            }
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
}

impl Lenient for f64 {
    fn deserialize_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FloatVisitor)
    }
}

impl Lenient for f32 {
    #[allow(clippy::cast_possible_truncation)]
    fn deserialize_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FloatVisitor).map(|v| v as f32)
    }
}

struct OptionVisitor<T>(PhantomData<T>);

impl<'de, T: Lenient> Visitor<'de> for OptionVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        T::deserialize_lenient(d).map(Some)
    }
}

impl<T: Lenient> Lenient for Option<T> {
    fn deserialize_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_option(OptionVisitor(PhantomData))
    }
}
