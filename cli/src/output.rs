//! What goes to stdout: aligned tables, `key: value` records and JSON documents.

use std::io::{self, BufWriter, StdoutLock, Write};

use serde_json::Value;

/// Longest cell of a table, in characters; longer ones end with `…`.
const MAX_CELL: usize = 60;

/// Buffered stdout; flush it before returning.
pub(crate) fn stdout() -> BufWriter<StdoutLock<'static>> {
    BufWriter::new(io::stdout().lock())
}

/// Prints one JSON document (pretty) and a line break.
pub(crate) fn json(value: &Value) -> io::Result<()> {
    let mut out = stdout();
    serde_json::to_writer_pretty(&mut out, value)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Writes a JSON array one element at a time (one compact element per line), so that a long
/// list is printed as it arrives.
pub(crate) struct JsonArray<W: Write> {
    out: W,
    count: u64,
}

impl<W: Write> JsonArray<W> {
    pub(crate) fn start(mut out: W) -> io::Result<Self> {
        out.write_all(b"[")?;
        Ok(Self { out, count: 0 })
    }

    pub(crate) fn push(&mut self, value: &impl serde::Serialize) -> io::Result<()> {
        self.out
            .write_all(if self.count == 0 { b"\n  " } else { b",\n  " })?;
        serde_json::to_writer(&mut self.out, value)?;
        self.count += 1;
        Ok(())
    }

    pub(crate) fn finish(mut self) -> io::Result<u64> {
        self.out
            .write_all(if self.count == 0 { b"]\n" } else { b"\n]\n" })?;
        self.out.flush()?;
        Ok(self.count)
    }
}

/// A table: a header row and rows of cells, printed with columns aligned.
#[derive(Debug, Default)]
pub(crate) struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new<S: AsRef<str>>(headers: &[S]) -> Self {
        Self {
            headers: headers.iter().map(|h| h.as_ref().to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (cleaned: one line, at most [`MAX_CELL`] characters).
    pub(crate) fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.rows
            .push(cells.into_iter().map(|c| clean(c.as_ref())).collect());
    }

    /// A table of JSON objects: one column per key of `columns` (header, key).
    pub(crate) fn of_objects(columns: &[(&str, &str)], rows: &[Value]) -> Self {
        let headers: Vec<&str> = columns.iter().map(|(h, _)| *h).collect();
        let mut table = Self::new(&headers);
        for row in rows {
            table.row(columns.iter().map(|(_, key)| cell(row.get(key))));
        }
        table
    }

    pub(crate) fn write(&self, out: &mut impl Write) -> io::Result<()> {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(width) = widths.get_mut(i) {
                    *width = (*width).max(cell.chars().count());
                }
            }
        }
        let line = |out: &mut dyn Write, cells: &[String]| -> io::Result<()> {
            let mut text = String::new();
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    text.push_str("  ");
                }
                text.push_str(cell);
                let width = widths.get(i).copied().unwrap_or(0);
                text.extend(std::iter::repeat_n(
                    ' ',
                    width.saturating_sub(cell.chars().count()),
                ));
            }
            writeln!(out, "{}", text.trim_end())
        };
        line(out, &self.headers)?;
        for row in &self.rows {
            line(out, row)?;
        }
        Ok(())
    }

    /// Prints the table on stdout.
    pub(crate) fn print(&self) -> io::Result<()> {
        let mut out = stdout();
        self.write(&mut out)?;
        out.flush()
    }
}

/// Prints `key: value` lines with the values aligned.
pub(crate) fn record(fields: &[(&str, String)]) -> io::Result<()> {
    let width = fields
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = stdout();
    for (key, value) in fields {
        let pad = width - key.chars().count();
        writeln!(
            out,
            "{key}:{} {}",
            " ".repeat(pad),
            clean_long(value).trim_end()
        )?;
    }
    out.flush()
}

/// Prints every member of a JSON object as a record (nested values as compact JSON).
pub(crate) fn object_record(value: &Value) -> io::Result<()> {
    match value {
        Value::Object(map) => {
            let fields: Vec<(&str, String)> = map
                .iter()
                .map(|(k, v)| (k.as_str(), cell_text(v)))
                .collect();
            record(&fields)
        }
        other => {
            let mut out = stdout();
            writeln!(out, "{}", cell_text(other))?;
            out.flush()
        }
    }
}

/// A JSON value as a cell: strings without quotes, `null` and absent as empty, arrays of
/// scalars joined with `,`, anything else compact JSON.
pub(crate) fn cell(value: Option<&Value>) -> String {
    value.map(cell_text).unwrap_or_default()
}

fn cell_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(_) | Value::Number(_) => value.to_string(),
        Value::Array(items) if items.iter().all(is_scalar) => {
            items.iter().map(cell_text).collect::<Vec<_>>().join(",")
        }
        other => other.to_string(),
    }
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

/// One line without control characters (no terminal escapes from API data).
fn clean_long(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// [`clean_long`], cut at [`MAX_CELL`] characters.
fn clean(text: &str) -> String {
    let line = clean_long(text);
    if line.chars().count() <= MAX_CELL {
        line
    } else {
        let mut cut: String = line.chars().take(MAX_CELL - 1).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_aligned_and_cells_cleaned() {
        let mut table = Table::new(&["ID", "NAME"]);
        table.row(["1", "short"]);
        table.row(["1234", "two\nlines"]);
        table.row(["7", &"x".repeat(80)]);
        let mut out = Vec::new();
        table.write(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "ID    NAME");
        assert_eq!(lines[1], "1     short");
        assert_eq!(lines[2], "1234  two lines");
        assert_eq!(lines[3].chars().count(), 6 + MAX_CELL);
        assert!(lines[3].ends_with('…'));
    }

    #[test]
    fn cells_of_json_values() {
        let value = serde_json::json!({"s": "a", "n": 3, "b": true, "z": null, "l": ["x", "y"], "o": {"k": 1}});
        assert_eq!(cell(value.get("s")), "a");
        assert_eq!(cell(value.get("n")), "3");
        assert_eq!(cell(value.get("b")), "true");
        assert_eq!(cell(value.get("z")), "");
        assert_eq!(cell(value.get("missing")), "");
        assert_eq!(cell(value.get("l")), "x,y");
        assert_eq!(cell(value.get("o")), r#"{"k":1}"#);
    }

    #[test]
    fn json_arrays_are_streamed_and_valid() {
        let mut out = Vec::new();
        let mut array = JsonArray::start(&mut out).unwrap();
        array.push(&serde_json::json!({"a": 1})).unwrap();
        array.push(&serde_json::json!("b")).unwrap();
        assert_eq!(array.finish().unwrap(), 2);
        let parsed: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(parsed, serde_json::json!([{"a": 1}, "b"]));
        let mut empty = Vec::new();
        JsonArray::start(&mut empty).unwrap().finish().unwrap();
        assert_eq!(empty, b"[]\n");
    }
}
