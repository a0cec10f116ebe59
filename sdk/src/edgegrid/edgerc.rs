//! The `.edgerc` INI reader.
//!
//! Syntax (a strict subset of what the official libraries read):
//! * blank lines, and lines whose first non-blank character is `#` or `;`, are ignored;
//! * `[name]` starts a section (a trailing comment is allowed); a name may appear once;
//! * `key = value` (or `key: value`) sets a key of the current section; keys are
//!   case-insensitive and `-` equals `_` (`max-body` is `max_body`); a key may appear once per
//!   section;
//! * a value may be wrapped in one pair of `"` or `'`, which is removed;
//! * outside quotes, a `#` or `;` that follows a blank starts a comment (credentials never
//!   contain blanks, so `access_token = akab-x ; comment` reads `akab-x`);
//! * anything else (a key before the first section, a line without `=`, an unterminated quote,
//!   an empty key) is an error naming the line, never showing its text.
//!
//! The parser borrows from the text, so secret values are copied once, straight into
//! [`SecretString`](secrecy::SecretString)s.

use super::error::{CredentialsError, Location};

/// One `key = value` line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry<'a> {
    /// The key as written (for messages).
    pub(crate) key: &'a str,
    pub(crate) value: &'a str,
    pub(crate) line: usize,
}

/// One `[section]` with its entries.
#[derive(Debug, Clone)]
pub(crate) struct Section<'a> {
    pub(crate) name: &'a str,
    pub(crate) line: usize,
    pub(crate) entries: Vec<(String, Entry<'a>)>,
}

impl<'a> Section<'a> {
    /// The entry of a normalized key (`max_body`).
    pub(crate) fn get(&self, key: &str) -> Option<&Entry<'a>> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, e)| e)
    }
}

/// Lower-cases a key and maps `-` to `_`.
pub(crate) fn normalize_key(key: &str) -> String {
    key.chars()
        .map(|c| match c {
            '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Parses the whole text; syntax errors anywhere in the file are reported.
pub(crate) fn parse<'a>(text: &'a str, origin: &str) -> Result<Vec<Section<'a>>, CredentialsError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sections: Vec<Section<'a>> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let current = sections.last().map(|s| s.name);
        let malformed = |reason| CredentialsError::MalformedLine {
            at: Location::new(origin, current, Some(line_no)),
            reason,
        };
        if let Some(rest) = line.strip_prefix('[') {
            let Some(end) = rest.find(']') else {
                return Err(malformed("a section header must end with `]`"));
            };
            let name = rest[..end].trim();
            let after = rest[end + 1..].trim_start();
            if !(after.is_empty() || after.starts_with('#') || after.starts_with(';')) {
                return Err(malformed("unexpected text after the section header"));
            }
            if name.is_empty() || name.contains('[') {
                return Err(malformed(
                    "a section name must be non-empty and have no `[`",
                ));
            }
            if let Some(first) = sections.iter().find(|s| s.name == name) {
                return Err(CredentialsError::DuplicateSection {
                    at: Location::new(origin, Some(name), Some(line_no)),
                    first_line: first.line,
                });
            }
            sections.push(Section {
                name,
                line: line_no,
                entries: Vec::new(),
            });
            continue;
        }
        let Some(split) = line.find(['=', ':']) else {
            return Err(malformed(
                "expected `key = value`, a `[section]` header or a comment",
            ));
        };
        let key = line[..split].trim();
        if key.is_empty() {
            return Err(malformed("a line starts with `=` (the key is missing)"));
        }
        if !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        {
            return Err(malformed(
                "a key may only contain letters, digits, `_`, `-` and `.`",
            ));
        }
        let value = parse_value(line[split + 1..].trim()).map_err(malformed)?;
        let Some(section) = sections.last_mut() else {
            return Err(malformed("a key appears before the first [section] header"));
        };
        let normalized = normalize_key(key);
        if let Some((_, first)) = section.entries.iter().find(|(k, _)| *k == normalized) {
            return Err(CredentialsError::DuplicateKey {
                at: Location::new(origin, Some(section.name), Some(line_no)),
                key: key.to_owned(),
                first_line: first.line,
            });
        }
        section.entries.push((
            normalized,
            Entry {
                key,
                value,
                line: line_no,
            },
        ));
    }
    Ok(sections)
}

/// Removes one pair of surrounding quotes, or an inline comment from an unquoted value.
fn parse_value(value: &str) -> Result<&str, &'static str> {
    let bytes = value.as_bytes();
    if let Some(&quote @ (b'"' | b'\'')) = bytes.first() {
        // The value ends at the first matching quote followed by the end or a comment.
        let inner = &value[1..];
        let end = inner
            .match_indices(quote as char)
            .map(|(i, _)| i)
            .find(|&i| {
                let after = inner[i + 1..].trim_start();
                after.is_empty() || after.starts_with('#') || after.starts_with(';')
            });
        return match end {
            Some(end) => Ok(&inner[..end]),
            None => Err("a quoted value has no closing quote (or text follows it)"),
        };
    }
    let cut = bytes
        .windows(2)
        .position(|w| w[0].is_ascii_whitespace() && (w[1] == b'#' || w[1] == b';'))
        .unwrap_or(bytes.len());
    Ok(value[..cut].trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_sections_keys_quotes_and_comments() {
        let text = "\u{feff}; top comment\n# another\n[default]\nclient-token = 'ct' # c\nHost: \"h\" ; c\nkey = a;b#c\n\n  [ other ]  ; c\nmax-body=1\nempty =\n";
        let sections = parse(text, "t").unwrap();
        assert_eq!(sections.len(), 2);
        let d = &sections[0];
        assert_eq!((d.name, d.line), ("default", 3));
        assert_eq!(d.get("client_token").unwrap().value, "ct");
        assert_eq!(d.get("client_token").unwrap().key, "client-token");
        assert_eq!(d.get("host").unwrap().value, "h");
        assert_eq!(d.get("key").unwrap().value, "a;b#c");
        let o = &sections[1];
        assert_eq!(o.name, "other");
        assert_eq!(o.get("max_body").unwrap().line, 9);
        assert_eq!(o.get("empty").unwrap().value, "");
    }

    /// Found by the fuzzer: a multi-byte character across the `https://` prefix length.
    #[test]
    fn non_ascii_hosts_are_errors_not_panics() {
        for host in [
            "abcdef\u{feff}x",
            "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}",
            "h\u{e9}.net",
        ] {
            let text = format!("[default]\nhost = {host}\nclient_token = ct\nclient_secret = cs\naccess_token = at\n");
            let err =
                crate::edgegrid::Credentials::from_edgerc_str(&text, "t", "default").unwrap_err();
            assert!(
                matches!(err, crate::edgegrid::CredentialsError::InvalidHost { .. }),
                "{err:?}"
            );
        }
    }

    #[test]
    fn crlf_line_endings_are_read() {
        let sections = parse("[a]\r\nk = v\r\n", "t").unwrap();
        assert_eq!(sections[0].get("k").unwrap().value, "v");
    }

    proptest! {
        // PROPTEST_CASES raises the count for a long run.
        #![proptest_config(ProptestConfig {
            cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(4096),
            ..ProptestConfig::default()
        })]

        /// Arbitrary text never panics, and errors never echo a line's text.
        #[test]
        fn never_panics_on_arbitrary_text(text in any::<String>()) {
            if let Err(e) = parse(&text, "fuzz") {
                let msg = e.to_string();
                prop_assert!(msg.starts_with("fuzz"));
            }
            let _ = crate::edgegrid::Credentials::from_edgerc_str(&text, "fuzz", "default");
        }

        /// Text made of INI-like pieces (far likelier to reach deep states than random text).
        #[test]
        fn never_panics_on_ini_like_text(lines in proptest::collection::vec(
            prop_oneof![
                Just("[default]".to_owned()),
                "\\[[a-z\\[\\] ]{0,6}\\]?[ ;#a-z]{0,3}",
                "[ \t]{0,2}[a-z_-]{0,8}[ \t]{0,2}[=:]?[ \t]{0,2}['\"]?[a-zA-Z0-9+/=;# :'\"\\\\é\u{feff}]{0,16}['\"]?",
                "[#;][^\n]{0,10}",
                Just(String::new()),
            ], 0..12)) {
            let text = lines.join("\n");
            let _ = parse(&text, "fuzz");
            match crate::edgegrid::Credentials::from_edgerc_str(&text, "fuzz", "default") {
                Ok(creds) => prop_assert!(!creds.host().contains('/')),
                Err(e) => prop_assert!(e.to_string().starts_with("fuzz")),
            }
        }
    }
}
