//! [`DateTime`]: the lenient timestamp every `format: date-time` of the specs maps to.

use std::fmt;

/// A timestamp as the APIs send it: RFC 3339 (`2024-05-21T10:11:12Z`, `…+02:00`) or, as Linode
/// does, an offset-less UTC date-time (`2018-01-01T00:01:01`).
///
/// It parses leniently and serializes back exactly the text it was read from, so a value that
/// round-trips through the SDK is not rewritten.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateTime {
    utc: chrono::DateTime<chrono::Utc>,
    text: String,
}

impl DateTime {
    /// The instant, in UTC (offset-less input is taken as UTC).
    pub fn utc(&self) -> chrono::DateTime<chrono::Utc> {
        self.utc
    }

    /// The text this value was read from.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl From<chrono::DateTime<chrono::Utc>> for DateTime {
    fn from(utc: chrono::DateTime<chrono::Utc>) -> Self {
        Self {
            utc,
            text: utc.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        }
    }
}

/// The text is not a date-time in any of the accepted forms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateTimeParseError(String);

impl fmt::Display for DateTimeParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid date-time {:?}: expected RFC 3339 or YYYY-MM-DDTHH:MM:SS[.fff] (UTC)",
            self.0
        )
    }
}

impl std::error::Error for DateTimeParseError {}

impl std::str::FromStr for DateTime {
    type Err = DateTimeParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let utc = chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&chrono::Utc))
            .or_else(|_| {
                // RFC 3339 with a space instead of `T`, or without an offset (taken as UTC).
                chrono::DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z")
                    .map(|t| t.with_timezone(&chrono::Utc))
                    .or_else(|_| {
                        ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
                            .iter()
                            .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
                            .map(|t| t.and_utc())
                            .ok_or(())
                    })
            })
            .map_err(|_| DateTimeParseError(text.to_owned()))?;
        Ok(Self {
            utc,
            text: text.to_owned(),
        })
    }
}

impl serde::Serialize for DateTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for DateTime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for DateTime {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DateTime".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "date-time" })
    }
}
