//! Path segments: id checks and the one percent-encoding every EdgeKV path uses.

use crate::error::{Error, InvalidIdError};

/// What an id names, for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IdKind {
    Namespace,
    Group,
    Item,
    Token,
    Sandbox,
}

impl IdKind {
    fn noun(self) -> &'static str {
        match self {
            Self::Namespace => "namespace id",
            Self::Group => "group id",
            Self::Item => "item id",
            Self::Token => "token name",
            Self::Sandbox => "sandbox id",
        }
    }
}

/// The rule the API documents for an id: the longest length and whether a leading `-` is
/// refused (namespaces); the characters are `A-Z a-z 0-9 _ -`. `None` where the API documents
/// none (token names and sandbox ids keep only the path-segment rules).
fn documented_rule(kind: IdKind) -> Option<(usize, bool)> {
    match kind {
        IdKind::Namespace => Some((MAX_NAMESPACE_LEN, true)),
        IdKind::Group => Some((MAX_GROUP_LEN, false)),
        IdKind::Item => Some((MAX_ITEM_LEN, false)),
        IdKind::Token | IdKind::Sandbox => None,
    }
}

/// The longest namespace name the API accepts (Akamai's EdgeKV limits: 1 to 32 characters).
pub const MAX_NAMESPACE_LEN: usize = 32;
/// The longest group id the API accepts.
pub const MAX_GROUP_LEN: usize = 128;
/// The longest item id (key) the API accepts.
pub const MAX_ITEM_LEN: usize = 512;

/// Checks an id that goes into the URL path, before anything is sent.
///
/// Namespace names, group ids and item ids follow the API's documented rule: only
/// `A-Z a-z 0-9 _ -`, at most [`MAX_NAMESPACE_LEN`], [`MAX_GROUP_LEN`] or [`MAX_ITEM_LEN`]
/// characters, and a namespace name does not start with `-`. Every id (token names and sandbox
/// ids too) must also be a path segment: not empty, no `/`, no `\` (URL parsers read it as
/// `/` in http(s) URLs), not `.` or `..` (dot segments are removed from URL paths). What passes
/// is still percent-encoded by [`encode_segment`], a second line of defence. The message names
/// the kind of id and the rule, but never quotes the id.
pub(crate) fn check_id(kind: IdKind, id: &str) -> Result<(), Error> {
    let noun = kind.noun();
    let refuse = |reason: String| Err(Error::InvalidId(InvalidIdError::new(noun, reason)));
    if id.is_empty() {
        return refuse("must not be empty".to_owned());
    }
    if let Some((max, no_leading_dash)) = documented_rule(kind) {
        if !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return refuse("may contain only A-Z a-z 0-9 _ and - (the API's rule)".to_owned());
        }
        if id.len() > max {
            return refuse(format!("must be at most {max} characters long"));
        }
        if no_leading_dash && id.starts_with('-') {
            return refuse("must not start with `-`".to_owned());
        }
        return Ok(());
    }
    let reason = if id.contains('/') {
        "must not contain `/`"
    } else if id.contains('\\') {
        "must not contain `\\` (URLs read it as `/`)"
    } else if id == "." || id == ".." {
        "must not be `.` or `..`"
    } else {
        return Ok(());
    };
    refuse(reason.to_owned())
}

/// Checks an optional query value (the sandbox id): it must not be empty when given.
pub(crate) fn check_query_value(kind: IdKind, value: Option<&str>) -> Result<(), Error> {
    match value {
        Some("") => Err(Error::InvalidId(InvalidIdError::new(
            kind.noun(),
            "must not be empty",
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
use crate::path::decode_segment;
pub(crate) use crate::path::push_segment as encode_segment;

pub(crate) use crate::path::canonicalize_path;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::is_unreserved;

    fn encode(s: &str) -> String {
        let mut out = String::new();
        encode_segment(s.as_bytes(), &mut out);
        out
    }

    #[test]
    fn ids_are_checked() {
        for bad in ["", "a/b", "/", "a\\b", ".", ".."] {
            let err = check_id(IdKind::Item, bad).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidId(id) if id.what() == "item id"),
                "{bad}"
            );
            assert!(err.to_string().contains("item id"), "{err}");
        }
        // Token names keep only the path-segment rules.
        for good in ["a b", "a;b", "100%", "what?", "café", "...", "a.b", "#x"] {
            check_id(IdKind::Token, good).unwrap();
        }
        for bad in ["", "a/b", "\\", ".", ".."] {
            assert!(check_id(IdKind::Token, bad).is_err(), "{bad}");
        }
        assert!(check_query_value(IdKind::Sandbox, Some("")).is_err());
        assert!(check_query_value(IdKind::Sandbox, None).is_ok());
    }

    #[test]
    fn namespaces_groups_and_items_follow_the_documented_rule() {
        for (kind, max) in [
            (IdKind::Namespace, MAX_NAMESPACE_LEN),
            (IdKind::Group, MAX_GROUP_LEN),
            (IdKind::Item, MAX_ITEM_LEN),
        ] {
            check_id(kind, "a-Z_09").unwrap();
            check_id(kind, &"k".repeat(max)).unwrap();
            let long = check_id(kind, &"k".repeat(max + 1)).unwrap_err();
            assert!(
                long.to_string().contains(&format!("at most {max}")),
                "{long}"
            );
            for bad in [
                "a b", "a;b", "100%", "what?", "café", "a.b", "#x", "a/b", ".",
            ] {
                let err = check_id(kind, bad).unwrap_err();
                assert!(
                    err.to_string().contains("only A-Z a-z 0-9 _ and -"),
                    "{bad}: {err}"
                );
                assert!(
                    !err.to_string().contains(bad),
                    "the id is not quoted: {err}"
                );
            }
        }
        assert!(check_id(IdKind::Namespace, "-ns").is_err());
        check_id(IdKind::Group, "-g").unwrap();
    }

    #[test]
    fn segments_are_strictly_encoded_and_decode_back() {
        assert_eq!(encode("a b;c%d?e#f"), "a%20b%3Bc%25d%3Fe%23f");
        assert_eq!(encode("café"), "caf%C3%A9");
        assert_eq!(encode("A-z_0.9~"), "A-z_0.9~");
        for s in ["a b;c%d?e", "café", "%41", "%", "%4", "x%zz"] {
            assert_eq!(decode_segment(&encode(s)), s.as_bytes(), "{s}");
        }
        assert_eq!(decode_segment("%4"), b"%4");
        assert_eq!(decode_segment("a%2fb%2F"), b"a/b/");
    }

    proptest::proptest! {
        /// Any accepted id survives URL parsing unchanged and decodes back to itself, and the
        /// canonical form is a fixed point.
        #[test]
        fn accepted_ids_round_trip_through_a_url(id in "(?s).{0,24}") {
            proptest::prop_assume!(check_id(IdKind::Token, &id).is_ok());
            let encoded = encode(&id);
            proptest::prop_assert!(encoded
                .bytes()
                .all(|b| is_unreserved(b) || b == b'%' || b.is_ascii_hexdigit()));
            let mut url = url::Url::parse("https://h/edgekv/v1/items/").unwrap();
            url.set_path(&format!("/edgekv/v1/items/{encoded}"));
            proptest::prop_assert_eq!(url.path(), format!("/edgekv/v1/items/{encoded}"));
            let segment = url.path_segments().unwrap().next_back().unwrap().to_owned();
            proptest::prop_assert_eq!(decode_segment(&segment), id.as_bytes());
            let before = url.clone();
            canonicalize_path(&mut url);
            proptest::prop_assert_eq!(url, before);
        }
    }

    #[test]
    fn paths_are_canonicalized_without_touching_the_query() {
        let mut url =
            url::Url::parse("https://h/edgekv/v1/networks/staging/namespaces/a;b%20c'?x=1;2")
                .unwrap();
        canonicalize_path(&mut url);
        assert_eq!(
            url.as_str(),
            "https://h/edgekv/v1/networks/staging/namespaces/a%3Bb%20c%27?x=1;2"
        );
        let mut plain = url::Url::parse("https://h/edgekv/v1/tokens").unwrap();
        canonicalize_path(&mut plain);
        assert_eq!(plain.as_str(), "https://h/edgekv/v1/tokens");
    }
}
