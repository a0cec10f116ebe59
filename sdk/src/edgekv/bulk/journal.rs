//! The journal of a bulk run: an append-only file of the writes the API acknowledged, so that
//! the same run started again sends only the rest.
//!
//! The first line names the network and namespace; each further line is one acknowledged
//! write: `P`, the group, the item id and a digest of the content type and bytes written, or
//! `D`, the group and the item id of a delete, separated by tabs (ids never hold a tab: they
//! are checked before anything is sent). Each line is written as soon as its answer is read,
//! so a killed process loses none; the file is flushed to the disk every
//! [`SYNC_EVERY`] lines or [`SYNC_INTERVAL`], and when the journal is dropped. A last line
//! cut short by a crash is ignored (that write is sent again).
//!
//! Only a 128-bit digest of each line is kept in memory: 16 bytes per acknowledged write.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::BulkError;
use crate::edgekv::{ItemValue, Network};

/// Lines written between two flushes to the disk, at most.
pub(crate) const SYNC_EVERY: usize = 512;
/// Time between two flushes to the disk, at most (checked as lines are written).
pub(crate) const SYNC_INTERVAL: Duration = Duration::from_secs(1);

const MAGIC: &str = "akamai-sdk edgekv bulk journal v1";

/// An open journal.
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
    file: File,
    done: HashSet<u128>,
    unsynced: usize,
    synced_at: Instant,
}

fn digest(line: &[u8]) -> u128 {
    let hash = Sha256::digest(line);
    let mut first = [0u8; 16];
    first.copy_from_slice(&hash[..16]);
    u128::from_le_bytes(first)
}

/// The first line of the journal of `namespace` on `network`.
pub(crate) fn header(network: Network, namespace: &str) -> String {
    format!("{MAGIC} {network} {namespace}")
}

/// What a journal file holds, read as bytes: a line is whatever ends with `\n`, whatever its
/// bytes (a journal is written in UTF-8, but one damaged on the disk must still open).
#[derive(Debug, Default)]
pub(crate) struct Contents {
    /// The first complete line.
    first: Option<Vec<u8>>,
    /// The digests of the complete lines after it.
    done: HashSet<u128>,
    /// Whether the file ends with a complete line (or is empty).
    complete: bool,
}

impl Contents {
    /// Reads the lines of `reader`; a last line without its `\n` was cut short by a crash
    /// and is left out.
    pub(crate) fn read(mut reader: impl BufRead) -> io::Result<Self> {
        let mut contents = Self {
            complete: true,
            ..Self::default()
        };
        let mut line = Vec::new();
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            let Some(text) = line.strip_suffix(b"\n") else {
                // Cut short by a crash: not acknowledged.
                contents.complete = false;
                break;
            };
            if contents.first.is_none() {
                contents.first = Some(text.to_owned());
            } else {
                contents.done.insert(digest(text));
            }
        }
        Ok(contents)
    }

    /// Whether these contents can serve the run whose first line is `header`: `Ok(true)` when
    /// they are that run's journal, `Ok(false)` when they hold no line yet, else why not.
    pub(crate) fn check(&self, header: &str) -> Result<bool, String> {
        match &self.first {
            None => Ok(false),
            Some(found) if found.as_slice() == header.as_bytes() => Ok(true),
            Some(found) => Err(format!(
                "it records another run: {:?} where this run is {header:?}",
                String::from_utf8_lossy(found)
            )),
        }
    }

    /// Whether `line` was acknowledged.
    #[cfg(feature = "fuzzing")]
    pub(crate) fn contains(&self, line: &str) -> bool {
        self.done.contains(&digest(line.as_bytes()))
    }

    /// The number of acknowledged lines.
    #[cfg(feature = "fuzzing")]
    pub(crate) fn len(&self) -> usize {
        self.done.len()
    }

    /// Whether the last line is complete.
    #[cfg(feature = "fuzzing")]
    pub(crate) fn is_complete(&self) -> bool {
        self.complete
    }
}

/// The journal line of a write.
pub(crate) fn put_line(group: &str, id: &str, value: &ItemValue) -> String {
    let mut hash = Sha256::new();
    hash.update(value.content_type().as_bytes());
    hash.update([0]);
    hash.update(value.as_bytes());
    let hash = hash.finalize();
    let mut line = format!("P\t{group}\t{id}\t");
    for byte in &hash[..16] {
        line.push_str(&format!("{byte:02x}"));
    }
    line
}

/// The journal line of a delete.
pub(crate) fn delete_line(group: &str, id: &str) -> String {
    format!("D\t{group}\t{id}")
}

impl Journal {
    /// Opens (or creates) the journal at `path` for `namespace` on `network`.
    pub(crate) fn open(path: &Path, network: Network, namespace: &str) -> Result<Self, BulkError> {
        let header = header(network, namespace);
        let write_error = |source| BulkError::Write {
            path: path.to_owned(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(write_error)?;
        let contents = Contents::read(BufReader::new(&file)).map_err(|source| BulkError::Read {
            path: path.to_owned(),
            source,
        })?;
        let resumed = contents
            .check(&header)
            .map_err(|reason| BulkError::Journal {
                path: path.to_owned(),
                reason,
            })?;
        if !resumed {
            let mut text = String::new();
            if !contents.complete {
                text.push('\n');
            }
            text.push_str(&header);
            text.push('\n');
            file.write_all(text.as_bytes()).map_err(write_error)?;
            file.sync_data().map_err(write_error)?;
        } else if !contents.complete {
            file.write_all(b"\n").map_err(write_error)?;
        }
        let done = contents.done;
        Ok(Self {
            path: path.to_owned(),
            file,
            done,
            unsynced: 0,
            synced_at: Instant::now(),
        })
    }

    /// Whether `line` was acknowledged in an earlier run.
    pub(crate) fn contains(&self, line: &str) -> bool {
        self.done.contains(&digest(line.as_bytes()))
    }

    /// The number of acknowledged writes recorded.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.done.len()
    }

    /// Records an acknowledged write: written to the file at once, flushed to the disk in
    /// batches.
    pub(crate) fn record(&mut self, line: &str) -> Result<(), BulkError> {
        let mut text = String::with_capacity(line.len() + 1);
        text.push_str(line);
        text.push('\n');
        self.file
            .write_all(text.as_bytes())
            .map_err(|source| self.write_error(source))?;
        self.done.insert(digest(line.as_bytes()));
        self.unsynced += 1;
        if self.unsynced >= SYNC_EVERY || self.synced_at.elapsed() >= SYNC_INTERVAL {
            self.sync()?;
        }
        Ok(())
    }

    /// Flushes what was written to the disk.
    pub(crate) fn sync(&mut self) -> Result<(), BulkError> {
        if self.unsynced > 0 {
            self.file
                .sync_data()
                .map_err(|source| self.write_error(source))?;
            self.unsynced = 0;
        }
        self.synced_at = Instant::now();
        Ok(())
    }

    fn write_error(&self, source: io::Error) -> BulkError {
        BulkError::Write {
            path: self.path.clone(),
            source,
        }
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        if let Err(error) = self.sync() {
            tracing::warn!(%error, "the bulk journal could not be flushed to the disk");
        }
    }
}

/// Whether the file at `path` ends with a newline (or is empty). Used by tests.
#[cfg(test)]
fn ends_with_newline(path: &Path) -> io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};

    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_run_sees_what_the_first_acknowledged() {
        let dir = tempfile_dir();
        let path = dir.join("journal");
        let value = ItemValue::text("v");
        {
            let mut journal = Journal::open(&path, Network::Staging, "ns").unwrap();
            journal.record(&put_line("g", "a", &value)).unwrap();
            journal.record(&delete_line("g", "b")).unwrap();
        }
        let journal = Journal::open(&path, Network::Staging, "ns").unwrap();
        assert_eq!(journal.len(), 2);
        assert!(journal.contains(&put_line("g", "a", &value)));
        assert!(journal.contains(&delete_line("g", "b")));
        // Another value for the same item is not acknowledged.
        assert!(!journal.contains(&put_line("g", "a", &ItemValue::text("w"))));
        assert!(!journal.contains(&put_line("g", "a", &ItemValue::json_text("\"v\"").unwrap())));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_line_cut_short_is_not_acknowledged_and_is_closed() {
        let dir = tempfile_dir();
        let path = dir.join("journal");
        let value = ItemValue::text("v");
        drop(Journal::open(&path, Network::Staging, "ns").unwrap());
        let full = put_line("g", "a", &value);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&full.as_bytes()[..full.len() - 3]).unwrap();
        drop(file);
        let mut journal = Journal::open(&path, Network::Staging, "ns").unwrap();
        assert!(!journal.contains(&full));
        assert!(ends_with_newline(&path).unwrap());
        journal.record(&full).unwrap();
        drop(journal);
        assert!(Journal::open(&path, Network::Staging, "ns")
            .unwrap()
            .contains(&full));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_line_cut_inside_a_character_or_damaged_bytes_do_not_stop_a_journal() {
        let dir = tempfile_dir();
        let path = dir.join("journal");
        let value = ItemValue::text("v");
        drop(Journal::open(&path, Network::Staging, "ns").unwrap());
        let done = put_line("g", "été", &value);
        let cut = put_line("g", "€", &value);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"P\tg\t\xff\xfe\tdamaged\n").unwrap();
        file.write_all(format!("{done}\n").as_bytes()).unwrap();
        // Cut after the first byte of `€`.
        let at = cut.find('€').unwrap() + 1;
        file.write_all(&cut.as_bytes()[..at]).unwrap();
        drop(file);
        let journal = Journal::open(&path, Network::Staging, "ns").unwrap();
        assert_eq!(journal.len(), 2);
        assert!(journal.contains(&done));
        assert!(!journal.contains(&cut));
        assert!(ends_with_newline(&path).unwrap());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_journal_of_another_namespace_is_refused() {
        let dir = tempfile_dir();
        let path = dir.join("journal");
        drop(Journal::open(&path, Network::Staging, "ns").unwrap());
        let error = Journal::open(&path, Network::Production, "ns").unwrap_err();
        assert!(matches!(error, BulkError::Journal { .. }), "{error}");
        assert!(error.to_string().contains("production"), "{error}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "akamai-sdk-journal-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
