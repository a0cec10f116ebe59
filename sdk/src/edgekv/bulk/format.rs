//! The files of bulk import, export and sync: JSON Lines and CSV, read and written one record
//! at a time.
//!
//! **JSON Lines**, one item per line (blank lines are skipped):
//!
//! * `{"group": "G", "id": "I", "value": …}`: a JSON value, stored as `application/json`
//!   exactly as written in the line (key order and numbers kept);
//! * `{"group": "G", "id": "I", "text": "…"}`: text, stored as `text/plain; charset=utf-8`;
//! * `{"group": "G", "id": "I", "base64": "…", "content_type": "image/png"}`: bytes, stored as
//!   `application/octet-stream` when no `content_type` is given.
//!
//! `content_type` may go with any of the three; `group` may be left out when the run names
//! one. An export writes this format, so that an import of its file into another namespace
//! stores every item byte for byte with its content type.
//!
//! **CSV** with a header row (the `edgekv-importer` convention): the key column names the
//! item id, and each row is stored as a JSON object of all its columns in header order (the
//! key included), every value a string; or, with a value column, that column alone is stored
//! as text.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{BulkError, BulkItem};
use crate::edgekv::{Item, ItemKind, ItemValue};

/// How the records of a file are read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileFormat {
    /// JSON Lines (see the [`bulk`](super) module).
    JsonLines,
    /// CSV with a header row.
    Csv {
        /// The column that holds the item id.
        key: String,
        /// The column stored as text; `None` stores the whole row as a JSON object.
        value: Option<String>,
    },
}

impl FileFormat {
    /// CSV with `key` as the id column, each row stored as a JSON object.
    pub fn csv(key: impl Into<String>) -> Self {
        Self::Csv {
            key: key.into(),
            value: None,
        }
    }

    /// CSV with `key` as the id column and `value` stored as text.
    pub fn csv_value(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self::Csv {
            key: key.into(),
            value: Some(value.into()),
        }
    }
}

/// A JSON Lines record as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line<'a> {
    group: Option<String>,
    id: String,
    #[serde(default, borrow, deserialize_with = "present")]
    value: Option<&'a RawValue>,
    text: Option<String>,
    base64: Option<String>,
    content_type: Option<String>,
}

/// A `value` that is present, `null` included.
fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(deserializer).map(Some)
}

/// A source of records: a file, or bytes in memory.
pub(crate) type Source = Box<dyn Read + Send>;

/// Reads the records of a file, one at a time.
pub(crate) struct Reader {
    path: PathBuf,
    group: Option<String>,
    inner: Inner,
}

enum Inner {
    Lines {
        lines: io::Split<BufReader<Source>>,
        number: u64,
    },
    Csv {
        rows: csv::StringRecordsIntoIter<Source>,
        headers: Vec<String>,
        key: usize,
        value: Option<usize>,
    },
}

fn read_error(path: &Path, source: io::Error) -> BulkError {
    BulkError::Read {
        path: path.to_owned(),
        source,
    }
}

/// A line of a JSON Lines file without its end (`\n` or `\r\n`).
fn strip_line_end(mut line: Vec<u8>) -> Vec<u8> {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    line
}

/// Whether a line of a JSON Lines file is blank (skipped, and not counted). A line that is
/// not UTF-8 is not blank: it is a record, and a failed one.
fn is_blank(line: &[u8]) -> bool {
    std::str::from_utf8(line).is_ok_and(|text| text.trim().is_empty())
}

/// A CSV reader of `source`, with its header row. Unless `flexible`, a row of another length
/// than the header is an error of its own (the rows after it are read on).
fn csv_reader(source: Source, flexible: bool) -> csv::Reader<Source> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(flexible)
        .from_reader(source)
}

impl Reader {
    /// Opens `path`; records without a group go to `group`.
    pub(crate) fn open(
        path: &Path,
        format: &FileFormat,
        group: Option<&str>,
    ) -> Result<Self, BulkError> {
        let file = File::open(path).map_err(|e| read_error(path, e))?;
        Self::new(path, Box::new(file), format, group)
    }

    /// Reads the records of `source`, named `path` in errors; records without a group go to
    /// `group`.
    pub(crate) fn new(
        path: &Path,
        source: Source,
        format: &FileFormat,
        group: Option<&str>,
    ) -> Result<Self, BulkError> {
        let inner = match format {
            FileFormat::JsonLines => Inner::Lines {
                lines: BufReader::new(source).split(b'\n'),
                number: 0,
            },
            FileFormat::Csv { key, value } => {
                let mut reader = csv_reader(source, false);
                let headers: Vec<String> = reader
                    .headers()
                    .map_err(|e| csv_error(path, e))?
                    .iter()
                    .map(str::to_owned)
                    .collect();
                let column = |name: &str| {
                    headers
                        .iter()
                        .position(|h| h == name)
                        .ok_or_else(|| BulkError::Record {
                            origin: path.display().to_string(),
                            line: 1,
                            reason: format!(
                                "no column {name:?} in the header ({})",
                                headers.join(", ")
                            ),
                        })
                };
                let key = column(key)?;
                let value = value.as_deref().map(column).transpose()?;
                if group.is_none() {
                    return Err(BulkError::Record {
                        origin: path.display().to_string(),
                        line: 1,
                        reason: "a CSV file has no group column: name the group of its items"
                            .to_owned(),
                    });
                }
                Inner::Csv {
                    rows: reader.into_records(),
                    headers,
                    key,
                    value,
                }
            }
        };
        Ok(Self {
            path: path.to_owned(),
            group: group.map(str::to_owned),
            inner,
        })
    }

    fn record_error(&self, line: u64, reason: impl Into<String>) -> BulkError {
        BulkError::Record {
            origin: self.path.display().to_string(),
            line,
            reason: reason.into(),
        }
    }

    fn parse_line(&self, number: u64, text: &str) -> Result<BulkItem, BulkError> {
        let line: Line<'_> =
            serde_json::from_str(text).map_err(|e| self.record_error(number, e.to_string()))?;
        let group = line
            .group
            .or_else(|| self.group.clone())
            .ok_or_else(|| self.record_error(number, "no \"group\", and the run names none"))?;
        let value = match (line.value, line.text, line.base64) {
            (Some(json), None, None) => ItemValue::json_text(json.get())
                .map_err(|e| self.record_error(number, e.to_string()))?,
            (None, Some(text), None) => ItemValue::text(text),
            (None, None, Some(encoded)) => ItemValue::bytes(
                BASE64
                    .decode(encoded.as_bytes())
                    .map_err(|e| self.record_error(number, format!("\"base64\": {e}")))?,
            ),
            _ => {
                return Err(self.record_error(
                    number,
                    "exactly one of \"value\", \"text\" and \"base64\" is needed",
                ))
            }
        };
        let value = match line.content_type {
            Some(content_type) => value
                .with_content_type(content_type)
                .map_err(|e| self.record_error(number, e.to_string()))?,
            None => value,
        };
        Ok(BulkItem {
            group,
            id: line.id,
            value,
        })
    }
}

fn csv_error(path: &Path, error: csv::Error) -> BulkError {
    let line = error.position().map_or(0, csv::Position::line);
    let reason = error.to_string();
    match error.into_kind() {
        csv::ErrorKind::Io(source) => read_error(path, source),
        _ => BulkError::Record {
            origin: path.display().to_string(),
            line,
            reason,
        },
    }
}

impl Iterator for Reader {
    type Item = Result<BulkItem, BulkError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            Inner::Lines { lines, number } => loop {
                *number += 1;
                let at = *number;
                let line = match lines.next()? {
                    Err(e) => return Some(Err(read_error(&self.path, e))),
                    Ok(line) => strip_line_end(line),
                };
                if is_blank(&line) {
                    continue;
                }
                return Some(match String::from_utf8(line) {
                    Ok(text) => self.parse_line(at, &text),
                    Err(e) => Err(self.record_error(
                        at,
                        format!(
                            "the line is not UTF-8 (invalid bytes after byte {})",
                            e.utf8_error().valid_up_to()
                        ),
                    )),
                });
            },
            Inner::Csv {
                rows,
                headers,
                key,
                value,
            } => {
                let row = match rows.next()? {
                    Ok(row) => row,
                    Err(e) => return Some(Err(csv_error(&self.path, e))),
                };
                let line = row.position().map_or(0, csv::Position::line);
                let id = row.get(*key).unwrap_or_default().to_owned();
                let item = match value {
                    Some(column) => ItemValue::text(row.get(*column).unwrap_or_default()),
                    None => {
                        // Built by hand to keep the header's order.
                        let mut object = String::from("{");
                        for (i, (name, cell)) in headers.iter().zip(row.iter()).enumerate() {
                            if i > 0 {
                                object.push(',');
                            }
                            object.push_str(&serde_json::Value::from(name.as_str()).to_string());
                            object.push(':');
                            object.push_str(&serde_json::Value::from(cell).to_string());
                        }
                        object.push('}');
                        match ItemValue::json_text(object) {
                            Ok(value) => value,
                            Err(e) => return Some(Err(self.record_error(line, e.to_string()))),
                        }
                    }
                };
                Some(Ok(BulkItem {
                    group: self.group.clone().unwrap_or_default(),
                    id,
                    value: item,
                }))
            }
        }
    }
}

/// The number of records in `path` (lines that are not blank; CSV rows after the header),
/// read once without keeping any, for the estimated time left. Every record the [`Reader`]
/// gives, well-formed or not, is counted.
pub(crate) fn count_records(path: &Path, format: &FileFormat) -> Result<u64, BulkError> {
    let file = File::open(path).map_err(|e| read_error(path, e))?;
    count_in(path, Box::new(file), format)
}

/// [`count_records`] of `source`, named `path` in errors.
pub(crate) fn count_in(path: &Path, source: Source, format: &FileFormat) -> Result<u64, BulkError> {
    match format {
        FileFormat::JsonLines => {
            let mut count = 0;
            for line in BufReader::new(source).split(b'\n') {
                let line = strip_line_end(line.map_err(|e| read_error(path, e))?);
                if !is_blank(&line) {
                    count += 1;
                }
            }
            Ok(count)
        }
        FileFormat::Csv { .. } => {
            // Flexible: a row of another length is one record (a failed one) to the reader.
            let mut reader = csv_reader(source, true);
            let mut record = csv::ByteRecord::new();
            let mut count = 0;
            while reader
                .read_byte_record(&mut record)
                .map_err(|e| csv_error(path, e))?
            {
                count += 1;
            }
            Ok(count)
        }
    }
}

/// Writes one JSON Lines record for an item read back, in the form that stores the same
/// bytes and content type again: `value` for JSON that fits on one line as it is, `text` for
/// other UTF-8, `base64` otherwise; `content_type` when it is not that form's own.
pub(crate) fn write_record(
    out: &mut (impl Write + ?Sized),
    group: &str,
    id: &str,
    item: &Item,
) -> io::Result<()> {
    let bytes = item.as_bytes();
    let content_type = item.content_type();
    let mut line = String::with_capacity(bytes.len() + 64);
    line.push_str("{\"group\":");
    line.push_str(&serde_json::Value::from(group).to_string());
    line.push_str(",\"id\":");
    line.push_str(&serde_json::Value::from(id).to_string());
    let json = std::str::from_utf8(bytes).ok().filter(|text| {
        item.is_json()
            && !text.contains(['\n', '\r'])
            && text.trim() == *text
            && serde_json::from_str::<&RawValue>(text).is_ok()
    });
    let kind = if let Some(json) = json {
        line.push_str(",\"value\":");
        line.push_str(json);
        ItemKind::Json
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        line.push_str(",\"text\":");
        line.push_str(&serde_json::Value::from(text).to_string());
        ItemKind::Text
    } else {
        line.push_str(",\"base64\":\"");
        line.push_str(&BASE64.encode(bytes));
        line.push('"');
        ItemKind::Bytes
    };
    // An item stored without a content type reads back as the API's default; the form's own
    // type is left out so that an import chooses it again.
    if let Some(content_type) = content_type.filter(|ct| *ct != kind.content_type()) {
        line.push_str(",\"content_type\":");
        line.push_str(&serde_json::Value::from(content_type).to_string());
    }
    line.push_str("}\n");
    out.write_all(line.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The records of `data` and their count, as an import reads and counts them.
    fn read(data: &[u8], format: &FileFormat) -> (Vec<Result<BulkItem, BulkError>>, u64) {
        let path = Path::new("file");
        let source = || -> Source { Box::new(io::Cursor::new(data.to_vec())) };
        let count = count_in(path, source(), format).unwrap();
        let records = Reader::new(path, source(), format, Some("g"))
            .unwrap()
            .collect();
        (records, count)
    }

    fn failed_line(record: &Result<BulkItem, BulkError>) -> Option<u64> {
        match record {
            Err(BulkError::Record { line, .. }) => Some(*line),
            _ => None,
        }
    }

    #[test]
    fn a_line_that_is_not_utf8_is_a_failed_record_naming_its_line() {
        let data = b"{\"id\":\"a\",\"text\":\"x\"}\r\n\n{\"id\":\"\xff\",\"text\":\"y\"}\n{\"id\":\"c\",\"text\":\"\xe2\x82";
        let (records, count) = read(data, &FileFormat::JsonLines);
        assert_eq!(count, 3);
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].as_ref().unwrap().id, "a");
        assert_eq!(failed_line(&records[1]), Some(3));
        assert_eq!(failed_line(&records[2]), Some(4));
        let reason = records[1].as_ref().unwrap_err().to_string();
        assert!(reason.contains("not UTF-8"), "{reason}");
    }

    #[test]
    fn a_csv_row_of_another_length_is_counted_and_fails_alone() {
        let data = b"id,value\n1,a\n2\n3,c,extra\n4,d\n";
        let (records, count) = read(data, &FileFormat::csv("id"));
        assert_eq!(count, 4);
        assert_eq!(records.len(), 4);
        assert_eq!(failed_line(&records[1]), Some(3));
        assert_eq!(failed_line(&records[2]), Some(4));
        assert_eq!(records[3].as_ref().unwrap().id, "4");
    }
}
