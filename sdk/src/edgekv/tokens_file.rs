//! `edgekv_tokens.js`: the access tokens file that the EdgeWorkers `edgekv.js` helper imports.
//!
//! ```js
//! var edgekv_access_tokens = {
//!   "namespace-default": {
//!     "name": "my_token",
//!     "reference": "fa3a7ae0-1234-4c52-9a3e-f0638c6b7466"
//!   }
//! };
//! export { edgekv_access_tokens };
//! ```
//!
//! Keys are the namespace with a `namespace-` prefix. A legacy token that came with its
//! `value` is written with `value` instead of `reference`; the value is a secret, held in a
//! [`SecretString`] and never shown by `Debug` or in an error.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};

use super::tokens::AccessToken;

/// The prefix of every key of `edgekv_access_tokens`.
pub const NAMESPACE_PREFIX: &str = "namespace-";

/// The variable `edgekv.js` imports.
const VARIABLE: &str = "edgekv_access_tokens";

/// A problem with `edgekv_tokens.js`. Messages never quote a token value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokensFileError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The file could not be written (or moved into place).
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The text is not an `edgekv_access_tokens` declaration this reader understands.
    #[error("{origin}:{line}:{column}: {reason}")]
    Parse {
        /// The file or other origin of the text.
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
        /// What was expected.
        reason: &'static str,
    },
    /// The token grants no namespace, so it has no entry to write.
    #[error(
        "the token `{name}` has no namespace permissions, so it has no entry in edgekv_tokens.js"
    )]
    NoNamespaces {
        /// The token name.
        name: String,
    },
}

/// How an entry identifies its token.
#[derive(Clone)]
pub enum TokenCredential {
    /// The token's uuid (`"reference": …`), for current tokens.
    Reference(String),
    /// The token value (`"value": …`) of a legacy token: a secret.
    Value(SecretString),
}

impl fmt::Debug for TokenCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Reference(r) => f.debug_tuple("Reference").field(r).finish(),
            Self::Value(_) => f.write_str("Value([REDACTED])"),
        }
    }
}

impl PartialEq for TokenCredential {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Reference(a), Self::Reference(b)) => a == b,
            (Self::Value(a), Self::Value(b)) => a.expose_secret() == b.expose_secret(),
            _ => false,
        }
    }
}

/// One entry of `edgekv_access_tokens`.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenEntry {
    /// The token name.
    pub name: String,
    /// Its reference or (legacy) value.
    pub credential: TokenCredential,
}

/// The contents of `edgekv_tokens.js`, keyed as written (`namespace-<ns>`), sorted.
///
/// ```
/// use akamai_sdk::edgekv::{AccessToken, Permission, TokensFile};
///
/// let mut file = TokensFile::parse(
///     "var edgekv_access_tokens = {\n  'namespace-old': { name: 'a', reference: 'r-1', },\n};\n\
///      export { edgekv_access_tokens };",
/// )
/// .unwrap();
/// let token = AccessToken::new("b", "r-2").with_namespace("default", [Permission::R]);
/// file.merge_token(&token).unwrap();
/// assert_eq!(file.get("old").unwrap().name, "a");
/// assert_eq!(
///     file.render(),
///     "var edgekv_access_tokens = {\n  \"namespace-default\": {\n    \"name\": \"b\",\n    \"reference\": \"r-2\"\n  },\n  \
///      \"namespace-old\": {\n    \"name\": \"a\",\n    \"reference\": \"r-1\"\n  }\n};\nexport { edgekv_access_tokens };\n"
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TokensFile {
    entries: BTreeMap<String, TokenEntry>,
}

impl TokensFile {
    /// An empty file.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the text of an `edgekv_tokens.js` file.
    ///
    /// Accepted: any spacing and line breaks, `//` and `/* */` comments, `'…'` or `"…"`
    /// strings (with JavaScript escapes), bare keys, trailing commas, `var`/`let`/`const` or
    /// none; text around the declaration (the `export` line) is ignored. Each entry needs a
    /// `name` and a `reference` or `value`; other members of an entry are dropped. For a key
    /// given twice, the last one wins (as in JavaScript).
    pub fn parse(text: &str) -> Result<Self, TokensFileError> {
        Self::parse_from(text, "edgekv_tokens.js")
    }

    fn parse_from(text: &str, origin: &str) -> Result<Self, TokensFileError> {
        let mut parser = Parser {
            text,
            pos: 0,
            origin,
            depth: 0,
        };
        let object = parser.declaration()?;
        let mut entries = BTreeMap::new();
        for (key, value, at) in object {
            let JsValue::Object(members) = value else {
                return Err(parser.error_at(at, "an entry must be an object"));
            };
            let mut name = None;
            let mut reference = None;
            let mut secret = None;
            for (member, value, at) in members {
                let slot = match member.as_str() {
                    "name" => &mut name,
                    "reference" => &mut reference,
                    "value" => &mut secret,
                    _ => continue,
                };
                match value {
                    JsValue::String(s) => *slot = Some(s),
                    _ => {
                        return Err(
                            parser.error_at(at, "`name`, `reference` and `value` must be strings")
                        )
                    }
                }
            }
            let Some(name) = name else {
                return Err(parser.error_at(at, "an entry has no `name`"));
            };
            let credential = match (secret, reference) {
                (Some(v), _) => TokenCredential::Value(SecretString::from(v)),
                (None, Some(r)) => TokenCredential::Reference(r),
                (None, None) => {
                    return Err(parser.error_at(at, "an entry has neither `reference` nor `value`"))
                }
            };
            entries.insert(key, TokenEntry { name, credential });
        }
        Ok(Self { entries })
    }

    /// Reads and parses the file at `path`.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, TokensFileError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| TokensFileError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse_from(&text, &path.display().to_string())
    }

    /// Reads the file at `path`, or returns an empty one if it does not exist.
    pub fn read_or_default(path: impl AsRef<Path>) -> Result<Self, TokensFileError> {
        match Self::read(path.as_ref()) {
            Err(TokensFileError::Read { source, .. })
                if source.kind() == io::ErrorKind::NotFound =>
            {
                Ok(Self::new())
            }
            other => other,
        }
    }

    /// The entry of `namespace` (looked up as `namespace-<namespace>`).
    pub fn get(&self, namespace: &str) -> Option<&TokenEntry> {
        self.entries.get(&format!("{NAMESPACE_PREFIX}{namespace}"))
    }

    /// Sets the entry of `namespace`, returning the one it replaces.
    pub fn insert(&mut self, namespace: &str, entry: TokenEntry) -> Option<TokenEntry> {
        self.entries
            .insert(format!("{NAMESPACE_PREFIX}{namespace}"), entry)
    }

    /// Removes the entry of `namespace`.
    pub fn remove(&mut self, namespace: &str) -> Option<TokenEntry> {
        self.entries
            .remove(&format!("{NAMESPACE_PREFIX}{namespace}"))
    }

    /// The entries, by key as written (`namespace-<ns>`), sorted.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &TokenEntry)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sets the entries of every namespace `token` grants (replacing what was there for those
    /// namespaces, keeping the others): its `value` if it is a legacy token that has one, else
    /// its uuid as `reference`.
    pub fn merge_token(&mut self, token: &AccessToken) -> Result<(), TokensFileError> {
        if token.namespace_permissions.is_empty() {
            return Err(TokensFileError::NoNamespaces {
                name: token.name.clone(),
            });
        }
        let credential = match &token.value {
            Some(value) => TokenCredential::Value(value.clone()),
            None => TokenCredential::Reference(token.uuid.clone()),
        };
        for namespace in token.namespace_permissions.keys() {
            self.insert(
                namespace,
                TokenEntry {
                    name: token.name.clone(),
                    credential: credential.clone(),
                },
            );
        }
        Ok(())
    }

    /// The file text: sorted keys, two-space indent, double-quoted JSON strings, then the
    /// `export` line. The same entries always give the same bytes.
    pub fn render(&self) -> String {
        let mut out = format!("var {VARIABLE} = {{");
        for (i, (key, entry)) in self.entries.iter().enumerate() {
            out.push_str(if i == 0 { "\n" } else { ",\n" });
            let (field, text) = match &entry.credential {
                TokenCredential::Reference(r) => ("reference", r.as_str()),
                TokenCredential::Value(v) => ("value", v.expose_secret()),
            };
            out.push_str(&format!(
                "  {}: {{\n    \"name\": {},\n    \"{field}\": {}\n  }}",
                js_string(key),
                js_string(&entry.name),
                js_string(text)
            ));
        }
        if !self.entries.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!("}};\nexport {{ {VARIABLE} }};\n"));
        out
    }

    /// Whether an entry holds a legacy token value.
    fn has_secrets(&self) -> bool {
        self.entries
            .values()
            .any(|e| matches!(e.credential, TokenCredential::Value(_)))
    }

    /// Writes the file atomically: the text goes to a temporary file in the same directory,
    /// which is then renamed over `path`, so a reader sees the old or the new file, never a
    /// part. On Unix a file holding a token value is created with mode `0600`.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), TokensFileError> {
        let path = path.as_ref();
        let write_error = |source| TokensFileError::Write {
            path: path.to_owned(),
            source,
        };
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => PathBuf::from("."),
        };
        let file_name = path.file_name().ok_or_else(|| {
            write_error(io::Error::new(io::ErrorKind::InvalidInput, "no file name"))
        })?;
        let temp = dir.join(format!(
            ".{}.{}-{:016x}.tmp",
            file_name.to_string_lossy(),
            std::process::id(),
            fastrand::u64(..)
        ));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        if self.has_secrets() {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let result = (|| {
            let mut file = options.open(&temp)?;
            file.write_all(self.render().as_bytes())?;
            file.sync_all()?;
            drop(file);
            std::fs::rename(&temp, path)
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&temp);
            return Err(write_error(e));
        }
        Ok(())
    }

    /// Reads `path` (an absent file counts as empty), merges `token` into it and writes it
    /// back atomically. Returns the merged contents.
    pub fn merge_into_file(
        path: impl AsRef<Path>,
        token: &AccessToken,
    ) -> Result<Self, TokensFileError> {
        let path = path.as_ref();
        let mut file = Self::read_or_default(path)?;
        file.merge_token(token)?;
        file.write(path)?;
        Ok(file)
    }
}

/// A JSON (hence JavaScript) string literal.
fn js_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// The values of the JavaScript subset read here.
enum JsValue {
    String(String),
    Object(Vec<(String, JsValue, usize)>),
    Other,
}

/// How deep objects may nest (the file's own are two deep): a reader that recursed without a
/// bound would overflow its stack on a hostile file.
const MAX_DEPTH: usize = 32;

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    origin: &'a str,
    /// The objects open at `pos`.
    depth: usize,
}

impl Parser<'_> {
    fn error_at(&self, pos: usize, reason: &'static str) -> TokensFileError {
        let before = &self.text[..pos.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        TokensFileError::Parse {
            origin: self.origin.to_owned(),
            line,
            column,
            reason,
        }
    }

    fn error(&self, reason: &'static str) -> TokensFileError {
        self.error_at(self.pos, reason)
    }

    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Skips whitespace and comments.
    fn skip(&mut self) -> Result<(), TokensFileError> {
        loop {
            let rest = self.rest();
            if let Some(c) = rest
                .chars()
                .next()
                .filter(|c| c.is_whitespace() || *c == '\u{feff}')
            {
                self.pos += c.len_utf8();
            } else if rest.starts_with("//") {
                self.pos += rest.find('\n').unwrap_or(rest.len());
            } else if let Some(body) = rest.strip_prefix("/*") {
                let end = body
                    .find("*/")
                    .ok_or_else(|| self.error("unterminated comment"))?;
                self.pos += end + 4;
            } else {
                return Ok(());
            }
        }
    }

    fn expect(&mut self, c: char, reason: &'static str) -> Result<(), TokensFileError> {
        self.skip()?;
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            Ok(())
        } else {
            Err(self.error(reason))
        }
    }

    fn word(&mut self) -> &str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_alphanumeric() || matches!(c, '_' | '$' | '-' | '.' | '+') {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
        &self.text[start..self.pos]
    }

    /// Finds `edgekv_access_tokens =` (outside comments and strings) and parses the object.
    fn declaration(&mut self) -> Result<Vec<(String, JsValue, usize)>, TokensFileError> {
        loop {
            self.skip()?;
            match self.peek() {
                None => return Err(self.error("no `edgekv_access_tokens = { … }` declaration")),
                Some('"' | '\'' | '`') => {
                    self.string()?;
                }
                Some(c) if c.is_alphanumeric() || c == '_' || c == '$' => {
                    if self.word() == VARIABLE {
                        self.skip()?;
                        if self.peek() == Some('=') {
                            self.pos += 1;
                            self.skip()?;
                            return match self.value()? {
                                JsValue::Object(members) => Ok(members),
                                _ => Err(self.error("`edgekv_access_tokens` must be an object")),
                            };
                        }
                    }
                }
                Some(_) => {
                    self.bump();
                }
            }
        }
    }

    fn value(&mut self) -> Result<JsValue, TokensFileError> {
        self.skip()?;
        match self.peek() {
            Some('{') => self.object(),
            Some('"' | '\'' | '`') => Ok(JsValue::String(self.string()?)),
            Some(c) if c.is_alphanumeric() || c == '-' || c == '+' || c == '.' => {
                self.word();
                Ok(JsValue::Other)
            }
            _ => Err(self.error("expected a string or an object")),
        }
    }

    fn object(&mut self) -> Result<JsValue, TokensFileError> {
        if self.depth == MAX_DEPTH {
            return Err(self.error("objects nested too deeply"));
        }
        self.expect('{', "expected `{`")?;
        self.depth += 1;
        let mut members = Vec::new();
        loop {
            self.skip()?;
            if self.peek() == Some('}') {
                self.pos += 1;
                self.depth -= 1;
                return Ok(JsValue::Object(members));
            }
            let at = self.pos;
            let key = match self.peek() {
                Some('"' | '\'') => self.string()?,
                Some(c) if c.is_alphanumeric() || c == '_' || c == '$' => self.word().to_owned(),
                _ => return Err(self.error("expected a key or `}`")),
            };
            self.expect(':', "expected `:` after a key")?;
            let value = self.value()?;
            // Later duplicates win, as in JavaScript.
            members.retain(|(k, _, _)| *k != key);
            members.push((key, value, at));
            self.skip()?;
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') => {}
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    /// A quoted string (`"`, `'` or `` ` `` without substitutions), escapes decoded.
    fn string(&mut self) -> Result<String, TokensFileError> {
        let start = self.pos;
        let quote = self.bump().ok_or_else(|| self.error("expected a string"))?;
        let mut out = String::new();
        loop {
            let c = self
                .bump()
                .ok_or_else(|| self.error_at(start, "unterminated string"))?;
            match c {
                c if c == quote => return Ok(out),
                '\n' if quote != '`' => return Err(self.error_at(start, "unterminated string")),
                '\\' => {
                    let e = self
                        .bump()
                        .ok_or_else(|| self.error_at(start, "unterminated string"))?;
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'v' => out.push('\u{b}'),
                        '0' => out.push('\0'),
                        '\n' => {}
                        'x' => {
                            let code = self.hex_digits(2)?;
                            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        'u' => {
                            let c = self.unicode_escape()?;
                            out.push(c);
                        }
                        other => out.push(other),
                    }
                }
                c => out.push(c),
            }
        }
    }

    fn hex_digits(&mut self, n: usize) -> Result<u32, TokensFileError> {
        let digits = self
            .rest()
            .get(..n)
            .ok_or_else(|| self.error("bad escape"))?;
        let code = u32::from_str_radix(digits, 16).map_err(|_| self.error("bad escape"))?;
        self.pos += n;
        Ok(code)
    }

    /// After `\u`: `XXXX` (a surrogate pair spans two escapes) or `{X…}`.
    fn unicode_escape(&mut self) -> Result<char, TokensFileError> {
        if self.peek() == Some('{') {
            self.pos += 1;
            let end = self
                .rest()
                .find('}')
                .ok_or_else(|| self.error("bad escape"))?;
            let code = u32::from_str_radix(&self.rest()[..end], 16)
                .map_err(|_| self.error("bad escape"))?;
            self.pos += end + 1;
            return char::from_u32(code).ok_or_else(|| self.error("bad escape"));
        }
        let high = self.hex_digits(4)?;
        if (0xd800..0xdc00).contains(&high) && self.rest().starts_with("\\u") {
            self.pos += 2;
            let low = self.hex_digits(4)?;
            if (0xdc00..0xe000).contains(&low) {
                let code = 0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00);
                return Ok(char::from_u32(code).unwrap_or('\u{fffd}'));
            }
            return Ok('\u{fffd}');
        }
        Ok(char::from_u32(high).unwrap_or('\u{fffd}'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edgekv::Permission;

    #[test]
    fn reads_hand_written_files() {
        let text = r#"
            // tokens for the worker
            /* generated then edited */
            const edgekv_access_tokens = {
              'namespace-a' : { name : 'tok_a', reference : 'ref-a', expiry: "2026-01-01", },
              "namespace-b":{"name":"tok_b","value":"s3cr3t\u0021"},
              namespace_c: { "name": "it's \"quoted\"", "reference": `r-c` },
            } ;
            export { edgekv_access_tokens };
        "#;
        let file = TokensFile::parse(text).unwrap();
        assert_eq!(file.len(), 3);
        let a = file.get("a").unwrap();
        assert_eq!(a.name, "tok_a");
        assert_eq!(a.credential, TokenCredential::Reference("ref-a".into()));
        match &file.get("b").unwrap().credential {
            TokenCredential::Value(v) => assert_eq!(v.expose_secret(), "s3cr3t!"),
            other => panic!("{other:?}"),
        }
        let (key, c) = file.entries().nth(2).unwrap();
        assert_eq!(key, "namespace_c");
        assert_eq!(c.name, "it's \"quoted\"");
        let shown = format!("{file:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }

    #[test]
    fn render_is_deterministic_and_parses_back() {
        let mut file = TokensFile::new();
        assert_eq!(
            file.render(),
            "var edgekv_access_tokens = {};\nexport { edgekv_access_tokens };\n"
        );
        let legacy = AccessToken::new("legacy", "u-l")
            .with_namespace("z", [Permission::R])
            .with_value(SecretString::from("v\"1".to_owned()));
        let current = AccessToken::new("cur", "u-c")
            .with_namespace("m", [Permission::R])
            .with_namespace("a", [Permission::W]);
        file.merge_token(&legacy).unwrap();
        file.merge_token(&current).unwrap();
        let text = file.render();
        assert_eq!(
            text,
            "var edgekv_access_tokens = {\n  \"namespace-a\": {\n    \"name\": \"cur\",\n    \"reference\": \"u-c\"\n  },\n  \
             \"namespace-m\": {\n    \"name\": \"cur\",\n    \"reference\": \"u-c\"\n  },\n  \
             \"namespace-z\": {\n    \"name\": \"legacy\",\n    \"value\": \"v\\\"1\"\n  }\n};\nexport { edgekv_access_tokens };\n"
        );
        assert_eq!(TokensFile::parse(&text).unwrap(), file);
        // Merging a newer token for `a` replaces that entry only.
        let newer = AccessToken::new("new", "u-n").with_namespace("a", [Permission::R]);
        file.merge_token(&newer).unwrap();
        assert_eq!(file.get("a").unwrap().name, "new");
        assert_eq!(file.get("m").unwrap().name, "cur");
        assert!(matches!(
            file.merge_token(&AccessToken::new("none", "u")),
            Err(TokensFileError::NoNamespaces { .. })
        ));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let nested = |levels: usize| {
            format!(
                "var edgekv_access_tokens = {{\"namespace-a\": {{name: 'n', reference: 'r', x: {}'y'{}}}}};",
                "{z:".repeat(levels),
                "}".repeat(levels)
            )
        };
        assert!(TokensFile::parse(&nested(MAX_DEPTH - 2)).is_ok());
        let error = TokensFile::parse(&nested(100_000)).unwrap_err();
        assert!(
            error.to_string().ends_with("objects nested too deeply"),
            "{error}"
        );
    }

    #[test]
    fn parse_errors_have_positions_and_no_secrets() {
        for (text, line) in [
            ("nothing here", 1),
            (
                "var edgekv_access_tokens = {\n 'namespace-a': { name: 'x' }\n};",
                2,
            ),
            (
                "var edgekv_access_tokens = {\n 'namespace-a': { name: 'x', value: 's3cr3t' \n",
                3,
            ),
            ("var edgekv_access_tokens = [];", 1),
            ("var edgekv_access_tokens = { 'a': 'b' };", 1),
            ("var edgekv_access_tokens = { 'a: 'b' };", 1),
        ] {
            let err = TokensFile::parse(text).unwrap_err();
            let shown = err.to_string();
            assert!(!shown.contains("s3cr3t"), "{shown}");
            match err {
                TokensFileError::Parse { line: l, .. } => assert_eq!(l, line, "{text}: {shown}"),
                other => panic!("{other}"),
            }
        }
    }

    #[test]
    fn writes_atomically_and_merges() {
        let dir = std::env::temp_dir().join(format!(
            "akamai-sdk-tokens-{}-{:x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("edgekv_tokens.js");
        std::fs::write(
            &path,
            "var edgekv_access_tokens = { \"namespace-keep\": { \"name\": \"k\", \"reference\": \"r\" } };",
        )
        .unwrap();
        let token = AccessToken::new("t", "u").with_namespace("default", [Permission::R]);
        let merged = TokensFile::merge_into_file(&path, &token).unwrap();
        assert_eq!(merged.len(), 2);
        let back = TokensFile::read(&path).unwrap();
        assert_eq!(back, merged);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), merged.render());
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n != "edgekv_tokens.js")
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        assert!(TokensFile::read_or_default(dir.join("absent.js"))
            .unwrap()
            .is_empty());
        assert!(matches!(
            TokensFile::read(dir.join("absent.js")),
            Err(TokensFileError::Read { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
