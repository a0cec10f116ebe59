//! The semver impact of a change of public surface: what `cargo xtask update` tells the person
//! merging a spec update.
//!
//! Two [`Surface`]s of the same module (before and after) are compared item by item and member
//! by member; every difference is a [`Reason`] with its [`Level`]:
//!
//! * **major**: code that builds against the old surface may not build against the new one: an
//!   item, field, variant, method or trait impl removed; a signature, field type, variant, type
//!   alias or `cfg` changed; a derive or a feature removed; `#[non_exhaustive]` or a private
//!   field added; a field added to a struct that dependents can build with a literal (every
//!   field `pub`, no `#[non_exhaustive]`: cargo-semver-checks' `constructible_struct_adds_field`);
//!   a variant added to an enum without `#[non_exhaustive]`, which dependents can match
//!   exhaustively (`enum_variant_added`); a method added to a trait dependents may implement.
//!   A required field (no serde default, and not an optional `Option`) added even to a
//!   `#[non_exhaustive]` struct is major too: its builder fails until the new field is set.
//! * **minor**: only additions that cannot break (items, methods, trait impls, derives,
//!   features; optional fields and variants of `#[non_exhaustive]` types), and changes behind an
//!   unchanged API (serde attributes, the value of a constant, the endpoint of an operation
//!   method, the code of a method).
//! * **patch**: none of these: the surface is the same and the code differs at most in its
//!   documentation (doc comments, examples) and comments.
//!
//! The verdict is the highest level of its reasons.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{TokenStream, TokenTree};

use crate::surface::{Block, Member, Shape, Surface};

/// How much a change breaks dependents, in semver terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Documentation only.
    Patch,
    /// Additions that cannot break a dependent.
    Minor,
    /// A change that can break a dependent's build.
    Major,
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Level::Patch => "patch",
            Level::Minor => "minor",
            Level::Major => "major",
        })
    }
}

/// One difference and its level: `edgekv::Client::get_group_copy: method added`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub level: Level,
    pub text: String,
}

impl Reason {
    pub fn new(level: Level, text: impl Into<String>) -> Self {
        Self {
            level,
            text: text.into(),
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.level, self.text)
    }
}

/// The level of a whole change and its reasons, the highest level first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub level: Level,
    pub reasons: Vec<Reason>,
}

/// The reason of a verdict without any other.
pub const DOCS_ONLY: &str =
    "no change to the public API, and none to the code but its documentation";

impl Verdict {
    /// The verdict of `reasons`: their highest level (patch when there are none, with
    /// [`DOCS_ONLY`] as the reason). The reasons are ordered by level, highest first, and keep
    /// their order within a level.
    pub fn of(mut reasons: Vec<Reason>) -> Self {
        if reasons.is_empty() {
            reasons.push(Reason::new(Level::Patch, DOCS_ONLY));
        }
        reasons.sort_by_key(|r| std::cmp::Reverse(r.level));
        Self {
            level: reasons[0].level,
            reasons,
        }
    }
}

/// The reasons between two versions of one Rust file whose items are at `module` (`edgekv::`,
/// or `""` for a crate root): none when the code differs at most in its documentation, else
/// the differences of their surfaces, or, when the surfaces are the same, one minor reason
/// saying that the code changes behind them.
pub fn compare_code(module: &str, old: &str, new: &str) -> Result<Vec<Reason>, syn::Error> {
    // Lexing is cheaper than parsing, and documentation-only is the common case.
    if same_but_docs(old, new)? {
        return Ok(Vec::new());
    }
    let mut reasons = compare(module, &Surface::parse(old)?, &Surface::parse(new)?);
    if reasons.is_empty() {
        let name = module.trim_end_matches("::");
        let name = if name.is_empty() { "crate root" } else { name };
        reasons.push(Reason::new(
            Level::Minor,
            format!("{name}: the code changes behind the same public API"),
        ));
    }
    Ok(reasons)
}

/// Whether two Rust files differ only in their comments and documentation (`///`, `//!`,
/// `#[doc = "..."]`).
pub fn same_but_docs(old: &str, new: &str) -> Result<bool, syn::Error> {
    let lex = |text: &str| {
        text.parse::<TokenStream>()
            .map_err(|e| syn::Error::new(e.span(), e))
    };
    Ok(same_tokens(lex(old)?, lex(new)?))
}

fn same_tokens(a: TokenStream, b: TokenStream) -> bool {
    let (a, b) = (without_docs(a), without_docs(b));
    a.len() == b.len()
        && a.into_iter().zip(b).all(|pair| match pair {
            (TokenTree::Group(x), TokenTree::Group(y)) => {
                x.delimiter() == y.delimiter() && same_tokens(x.stream(), y.stream())
            }
            (TokenTree::Ident(x), TokenTree::Ident(y)) => x == y,
            (TokenTree::Punct(x), TokenTree::Punct(y)) => {
                x.as_char() == y.as_char() && x.spacing() == y.spacing()
            }
            (TokenTree::Literal(x), TokenTree::Literal(y)) => x.to_string() == y.to_string(),
            _ => false,
        })
}

/// The tokens of one level of a stream, without its `#[doc = ...]` and `#![doc = ...]`
/// attributes (doc comments are lexed into those).
fn without_docs(stream: TokenStream) -> Vec<TokenTree> {
    let tokens: Vec<TokenTree> = stream.into_iter().collect();
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if let TokenTree::Punct(p) = &tokens[i] {
            if p.as_char() == '#' {
                let bang =
                    matches!(&tokens.get(i + 1), Some(TokenTree::Punct(b)) if b.as_char() == '!');
                let at = i + 1 + usize::from(bang);
                if let Some(TokenTree::Group(group)) = tokens.get(at) {
                    if group.delimiter() == proc_macro2::Delimiter::Bracket && is_doc(group) {
                        i = at + 1;
                        continue;
                    }
                }
            }
        }
        out.push(tokens[i].clone());
        i += 1;
    }
    out
}

/// `doc = ...` (not `doc(hidden)`, which changes what a dependent sees).
fn is_doc(group: &proc_macro2::Group) -> bool {
    let mut inner = group.stream().into_iter();
    matches!(inner.next(), Some(TokenTree::Ident(i)) if i == "doc")
        && matches!(inner.next(), Some(TokenTree::Punct(p)) if p.as_char() == '=')
}

/// The differences between two surfaces of the module at `module` (`edgekv::`), as reasons.
pub fn compare(module: &str, old: &Surface, new: &Surface) -> Vec<Reason> {
    let mut out = Vec::new();
    let keys: BTreeSet<_> = old.blocks.keys().chain(new.blocks.keys()).collect();
    for key in keys {
        let path = format!("{module}{}", key.1);
        match (old.blocks.get(key), new.blocks.get(key)) {
            (Some(before), Some(after)) => compare_blocks(&path, module, before, after, &mut out),
            (Some(before), None) if before.header.is_some() => out.push(Reason::new(
                Level::Major,
                format!("{path}: {} removed", before.kind),
            )),
            (Some(before), None) => {
                for member in &before.members {
                    out.push(removed_member(module, &path, before, member));
                }
            }
            (None, Some(after)) if after.header.is_some() => out.push(Reason::new(
                Level::Minor,
                format!("{path}: {} added", after.kind),
            )),
            (None, Some(after)) => {
                for member in &after.members {
                    out.push(added_member(module, &path, after, member));
                }
            }
            (None, None) => {}
        }
    }
    out
}

fn compare_blocks(path: &str, module: &str, old: &Block, new: &Block, out: &mut Vec<Reason>) {
    match (&old.header, &new.header) {
        (Some(_), None) => {
            out.push(Reason::new(
                Level::Major,
                format!("{path}: {} removed", old.kind),
            ));
            return;
        }
        (None, Some(_)) => out.push(Reason::new(
            Level::Minor,
            format!("{path}: {} added", new.kind),
        )),
        _ => {}
    }
    if old.header.is_some() && new.header.is_some() {
        compare_headers(path, old, new, out);
    }
    compare_members(path, module, old, new, out);
}

fn compare_headers(path: &str, old: &Block, new: &Block, out: &mut Vec<Reason>) {
    if old.signature != new.signature {
        out.push(Reason::new(
            Level::Major,
            format!(
                "{path}: {} changed: {} -> {}",
                old.kind, old.signature, new.signature
            ),
        ));
    }
    if let (
        Shape::Struct {
            private_fields: before,
        },
        Shape::Struct {
            private_fields: after,
        },
    ) = (old.shape, new.shape)
    {
        match (before, after) {
            (false, true) => out.push(Reason::new(
                Level::Major,
                format!(
                    "{path}: a private field added, so dependents can no longer build it with a \
                     literal"
                ),
            )),
            (true, false) => out.push(Reason::new(
                Level::Minor,
                format!("{path}: every field is public now"),
            )),
            _ => {}
        }
    }
    match (old.non_exhaustive, new.non_exhaustive) {
        (false, true) => out.push(Reason::new(
            Level::Major,
            format!("{path}: #[non_exhaustive] added"),
        )),
        (true, false) => out.push(Reason::new(
            Level::Minor,
            format!("{path}: #[non_exhaustive] removed"),
        )),
        _ => {}
    }
    for derive in old.derives.difference(&new.derives) {
        out.push(Reason::new(
            Level::Major,
            format!("{path}: derive({derive}) removed"),
        ));
    }
    for derive in new.derives.difference(&old.derives) {
        out.push(Reason::new(
            Level::Minor,
            format!("{path}: derive({derive}) added"),
        ));
    }
    if old.attrs != new.attrs {
        // serde's attributes change the wire format, not what a dependent's code can do.
        let serde_only = |attrs: &[String]| -> Vec<String> {
            attrs
                .iter()
                .filter(|a| !a.starts_with("serde("))
                .cloned()
                .collect()
        };
        let level = if serde_only(&old.attrs) == serde_only(&new.attrs) {
            Level::Minor
        } else {
            Level::Major
        };
        out.push(Reason::new(
            level,
            format!(
                "{path}: attributes changed: #[{}] -> #[{}]",
                old.attrs.join(", "),
                new.attrs.join(", ")
            ),
        ));
    }
    if old.value != new.value {
        out.push(Reason::new(Level::Minor, format!("{path}: value changed")));
    }
}

/// Members by key, in their order of appearance.
fn by_key(members: &[Member]) -> Vec<(&str, Vec<&Member>)> {
    let mut out: Vec<(&str, Vec<&Member>)> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for member in members {
        match index.get(member.key.as_str()) {
            Some(&i) => out[i].1.push(member),
            None => {
                index.insert(&member.key, out.len());
                out.push((&member.key, vec![member]));
            }
        }
    }
    out
}

fn compare_members(path: &str, module: &str, old: &Block, new: &Block, out: &mut Vec<Reason>) {
    let before = by_key(&old.members);
    let after = by_key(&new.members);
    let after_map: BTreeMap<&str, &Vec<&Member>> = after.iter().map(|(k, v)| (*k, v)).collect();
    let before_keys: BTreeSet<&str> = before.iter().map(|(k, _)| *k).collect();
    for (key, olds) in &before {
        let Some(news) = after_map.get(key) else {
            for member in olds {
                out.push(removed_member(module, path, old, member));
            }
            continue;
        };
        let sorted = |members: &[&Member], part: fn(&Member) -> &str| -> Vec<String> {
            let mut v: Vec<String> = members.iter().map(|m| part(m).to_owned()).collect();
            v.sort();
            v
        };
        let (api_old, api_new) = (sorted(olds, |m| &m.api), sorted(news, |m| &m.api));
        let what = member_kind(old, olds[0]);
        let name = if olds[0].rank == 1 {
            member_name(module, path, olds[0])
        } else {
            format!("{module}{key}")
        };
        if api_old != api_new {
            let text = match olds[0].rank {
                0 if old.shape == Shape::Enum => format!(
                    "{name}: {what} changed: {} -> {}",
                    olds[0].line, news[0].line
                ),
                0 => format!(
                    "{name}: {what} type changed: {} -> {}",
                    api_old.join(" | "),
                    api_new.join(" | ")
                ),
                1 => format!(
                    "{name}: signature changed: {} -> {}",
                    api_old.join(" | "),
                    api_new.join(" | ")
                ),
                _ => format!("{name}: {what} changed"),
            };
            out.push(Reason::new(Level::Major, text));
            continue;
        }
        let (detail_old, detail_new) = (sorted(olds, |m| &m.detail), sorted(news, |m| &m.detail));
        if detail_old != detail_new {
            let text = if olds[0].rank == 1 {
                format!(
                    "{name}: endpoint changed: {} -> {} (same signature)",
                    detail_old.join(" | "),
                    detail_new.join(" | ")
                )
            } else {
                format!(
                    "{name}: {what} attributes changed: {} -> {}",
                    detail_old.join(" | ").trim(),
                    detail_new.join(" | ").trim()
                )
            };
            out.push(Reason::new(Level::Minor, text));
        }
    }
    for (key, news) in &after {
        if !before_keys.contains(key) {
            for member in news {
                out.push(added_member(module, path, new, member));
            }
        }
    }
}

/// `field`, `variant`, `method` or `trait impl`.
fn member_kind(block: &Block, member: &Member) -> &'static str {
    match (member.rank, block.shape) {
        (0, Shape::Enum) => "variant",
        (0, _) => "field",
        (1, _) => "method",
        _ => "trait impl",
    }
}

/// The name of a member in a reason: its key, but for a trait impl (whose key is its line),
/// the owner and the impl.
fn member_name(module: &str, owner: &str, member: &Member) -> String {
    match member.rank {
        2 => format!("{owner}: {}", member.key),
        // A method's key starts at its type (`Thing::builder`); the owner's path has the
        // type's module too (`edgekv::types::builder::Thing`).
        1 => match owner.rfind("::") {
            Some(at) => format!("{}{}", &owner[..at + 2], member.key),
            None => format!("{module}{}", member.key),
        },
        _ => format!("{module}{}", member.key),
    }
}

fn removed_member(module: &str, owner: &str, block: &Block, member: &Member) -> Reason {
    Reason::new(
        Level::Major,
        format!(
            "{}: {} removed",
            member_name(module, owner, member),
            member_kind(block, member)
        ),
    )
}

fn added_member(module: &str, owner: &str, block: &Block, member: &Member) -> Reason {
    let name = member_name(module, owner, member);
    let (level, text) = match (member.rank, block.shape) {
        (0, Shape::Struct { private_fields }) => {
            if block.non_exhaustive && is_required(member) {
                (
                    Level::Major,
                    "required field added: code that builds the struct through its builder \
                     without setting it now gets an error",
                )
            } else if block.non_exhaustive {
                (
                    Level::Minor,
                    "field added (the struct is #[non_exhaustive])",
                )
            } else if private_fields {
                (
                    Level::Minor,
                    "field added (the struct has private fields, so no dependent builds it with \
                     a literal)",
                )
            } else {
                (
                    Level::Major,
                    "field added to a struct without #[non_exhaustive], which dependents can \
                     build with a literal",
                )
            }
        }
        (0, Shape::Enum) => {
            if block.non_exhaustive {
                (
                    Level::Minor,
                    "variant added (the enum is #[non_exhaustive])",
                )
            } else {
                (
                    Level::Major,
                    "variant added to an enum without #[non_exhaustive], which dependents can \
                     match exhaustively",
                )
            }
        }
        (0, _) => (Level::Minor, "field added"),
        (1, Shape::Trait) => (
            Level::Major,
            "method added to a trait, which dependents implementing it lack",
        ),
        (1, _) => (Level::Minor, "method added"),
        _ => (Level::Minor, "trait impl added"),
    };
    Reason::new(level, format!("{name}: {text}"))
}

/// A field a value cannot be built without, as the builders progenitor writes see it: one
/// without a serde default that is not an optional property (typify skips serialising an
/// optional `Option` when it is `None`; a required but nullable property is an `Option`
/// without that, and its builder starts it as "no value supplied" too).
fn is_required(field: &Member) -> bool {
    let optional = field.api.starts_with("Option<") && field.detail.contains("skip_serializing_if");
    !optional && !field.detail.contains("default")
}

/// The reasons between two versions of a package manifest (`Cargo.toml`), for the crate
/// `name`: its features. A feature removed, or enabling less, is major (a dependent naming it
/// no longer builds, or loses items); a feature added, or enabling more, is minor.
pub fn compare_features(name: &str, old: &str, new: &str) -> Result<Vec<Reason>, toml::de::Error> {
    let features = |text: &str| -> Result<BTreeMap<String, BTreeSet<String>>, toml::de::Error> {
        let manifest: toml::Table = toml::from_str(text)?;
        Ok(manifest
            .get("features")
            .and_then(toml::Value::as_table)
            .map(|table| {
                table
                    .iter()
                    .map(|(feature, enables)| {
                        let enables = enables
                            .as_array()
                            .map(|list| {
                                list.iter()
                                    .filter_map(toml::Value::as_str)
                                    .map(str::to_owned)
                                    .collect()
                            })
                            .unwrap_or_default();
                        (feature.clone(), enables)
                    })
                    .collect()
            })
            .unwrap_or_default())
    };
    let (old, new) = (features(old)?, features(new)?);
    let mut out = Vec::new();
    for (feature, before) in &old {
        match new.get(feature) {
            None => out.push(Reason::new(
                Level::Major,
                format!("{name}: feature `{feature}` removed"),
            )),
            Some(after) => {
                let lost: Vec<&str> = before.difference(after).map(String::as_str).collect();
                let gained: Vec<&str> = after.difference(before).map(String::as_str).collect();
                if !lost.is_empty() {
                    out.push(Reason::new(
                        Level::Major,
                        format!(
                            "{name}: feature `{feature}` no longer enables {}",
                            lost.join(", ")
                        ),
                    ));
                }
                if !gained.is_empty() {
                    out.push(Reason::new(
                        Level::Minor,
                        format!(
                            "{name}: feature `{feature}` also enables {}",
                            gained.join(", ")
                        ),
                    ));
                }
            }
        }
    }
    for feature in new.keys().filter(|f| !old.contains_key(*f)) {
        out.push(Reason::new(
            Level::Minor,
            format!("{name}: feature `{feature}` added"),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(old: &str, new: &str) -> Vec<String> {
        let old = Surface::parse(old).unwrap();
        let new = Surface::parse(new).unwrap();
        compare("api::", &old, &new)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    const THING: &str = r#"
        pub mod types {
            #[derive(Clone, Debug)]
            pub struct Thing {
                #[serde(rename = "a")]
                pub a: i64,
            }
            #[derive(Clone)]
            pub enum Kind { A, B }
        }
        pub struct Client { baseurl: String }
        impl Client {
            /// Sends a `GET` request to `/things`
            pub async fn get_things(&self, limit: Option<u64>) -> u8 { 0 }
        }
        pub mod operations {
            pub const GET_THINGS: Operation = Operation { path: "/things" };
        }
    "#;

    #[test]
    fn the_same_surface_has_no_reasons_and_the_verdict_is_patch() {
        assert_eq!(reasons(THING, THING), Vec::<String>::new());
        let verdict = Verdict::of(Vec::new());
        assert_eq!(verdict.level, Level::Patch);
        assert_eq!(verdict.reasons[0].text, DOCS_ONLY);
    }

    #[test]
    fn additions_to_exhaustive_types_are_major_and_other_additions_minor() {
        let new = THING
            .replace(
                "pub a: i64,",
                "pub a: i64,\n #[serde(skip_serializing_if = \"Option::is_none\")]\n \
                 pub b: ::std::option::Option<String>,",
            )
            .replace("A, B }", "A, B, C }")
            .replace(
                "/// Sends a `GET`",
                "pub fn count(&self) -> u8 { 0 }\n /// Sends a `GET`",
            )
            .replace(
                "pub mod types {",
                "pub mod types {\n pub struct New { x: u8 }",
            );
        assert_eq!(
            reasons(THING, &new),
            [
                "minor: api::Client::count: method added",
                "major: api::types::Kind::C: variant added to an enum without #[non_exhaustive], \
                 which dependents can match exhaustively",
                "minor: api::types::New: struct added",
                "major: api::types::Thing.b: field added to a struct without #[non_exhaustive], \
                 which dependents can build with a literal",
            ]
        );
        let non_exhaustive = |text: &str| {
            text.replace(
                "#[derive(Clone, Debug)]",
                "#[derive(Clone, Debug)] #[non_exhaustive]",
            )
            .replace("#[derive(Clone)]", "#[derive(Clone)] #[non_exhaustive]")
        };
        let with_new = new.replace("pub struct New { x: u8 }", "");
        assert_eq!(
            reasons(&non_exhaustive(THING), &non_exhaustive(&with_new)),
            [
                "minor: api::Client::count: method added",
                "minor: api::types::Kind::C: variant added (the enum is #[non_exhaustive])",
                "minor: api::types::Thing.b: field added (the struct is #[non_exhaustive])",
            ]
        );
        let required = with_new.replace(
            "pub a: i64,",
            "pub a: i64,\n pub c: u32,\n #[serde(default)] pub d: Vec<u8>,\n \
             pub e: ::std::option::Option<u8>,",
        );
        let verdicts = reasons(&non_exhaustive(&with_new), &non_exhaustive(&required));
        assert_eq!(
            verdicts,
            [
                "major: api::types::Thing.c: required field added: code that builds the struct \
                 through its builder without setting it now gets an error",
                "minor: api::types::Thing.d: field added (the struct is #[non_exhaustive])",
                "major: api::types::Thing.e: required field added: code that builds the struct \
                 through its builder without setting it now gets an error",
            ]
        );
    }

    #[test]
    fn removals_and_changed_types_are_major_and_changes_behind_the_api_minor() {
        let new = THING
            .replace("pub a: i64,", "pub a: String,")
            .replace("A, B }", "A }")
            .replace("#[derive(Clone, Debug)]", "#[derive(Debug)]")
            .replace("limit: Option<u64>", "limit: u64")
            .replace("path: \"/things\"", "path: \"/things/all\"");
        assert_eq!(
            reasons(THING, &new),
            [
                "major: api::Client::get_things: signature changed: async fn Client::get_things(&self, \
                 limit: Option<u64>) -> u8 -> async fn Client::get_things(&self, limit: u64) -> u8",
                "minor: api::operations::GET_THINGS: value changed",
                "major: api::types::Kind::B: variant removed",
                "major: api::types::Thing: derive(Clone) removed",
                "major: api::types::Thing.a: field type changed: i64 -> String",
            ]
        );
        let moved = THING
            .replace("`/things`", "`/things/all`")
            .replace("rename = \"a\"", "rename = \"A\"");
        assert_eq!(
            reasons(THING, &moved),
            [
                "minor: api::Client::get_things: endpoint changed: GET /things -> GET /things/all \
                 (same signature)",
                "minor: api::types::Thing.a: field attributes changed: #[serde(rename = \"a\")] -> \
                 #[serde(rename = \"A\")]",
            ]
        );
        let gone = THING.replace("pub mod operations", "mod operations");
        assert_eq!(
            reasons(THING, &gone),
            [
                "major: api::operations: mod removed",
                "major: api::operations::GET_THINGS: const removed",
            ]
        );
    }

    #[test]
    fn the_verdict_is_the_highest_level_with_its_reasons_first() {
        let verdict = Verdict::of(vec![
            Reason::new(Level::Minor, "a"),
            Reason::new(Level::Major, "b"),
            Reason::new(Level::Minor, "c"),
        ]);
        assert_eq!(verdict.level, Level::Major);
        let texts: Vec<&str> = verdict.reasons.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts, ["b", "a", "c"]);
    }

    #[test]
    fn code_differing_only_in_docs_is_patch_and_otherwise_minor() {
        let old = "//! Module.\n/// A.\npub fn a() -> u8 { 1 }\n#[doc = \"B\"]\npub fn b() {}\n";
        let docs =
            "//! Other.\n// sha256: x\n/** A, again. */\npub fn a() -> u8 { 1 }\npub fn b() {}\n";
        assert!(same_but_docs(old, docs).unwrap());
        assert_eq!(compare_code("m::", old, docs).unwrap(), Vec::new());
        let body = old.replace("{ 1 }", "{ 2 }");
        assert!(!same_but_docs(old, &body).unwrap());
        assert_eq!(
            compare_code("m::", old, &body).unwrap(),
            [Reason::new(
                Level::Minor,
                "m: the code changes behind the same public API"
            )]
        );
        let hidden = old.replace("#[doc = \"B\"]", "#[doc(hidden)]");
        assert!(!same_but_docs(old, &hidden).unwrap());
    }

    #[test]
    fn features_removed_are_major_and_added_minor() {
        let old = "[package]\nname = \"x\"\n[features]\na = []\nb = [\"a\"]\nc = [\"a\"]\n";
        let new =
            "[package]\nname = \"x\"\n[features]\na = []\nb = []\nc = [\"a\", \"d\"]\nd = []\n";
        let texts: Vec<String> = compare_features("x", old, new)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            texts,
            [
                "major: x: feature `b` no longer enables a",
                "minor: x: feature `c` also enables d",
                "minor: x: feature `d` added",
            ]
        );
        assert_eq!(
            compare_features("x", old, old.replace("c = [\"a\"]\n", "").as_str())
                .unwrap()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["major: x: feature `c` removed"]
        );
    }
}
