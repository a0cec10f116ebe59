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

/// Checks an id that goes into the URL path.
///
/// Refused before anything is sent: an empty id, one containing `/` (it would name another
/// resource), one containing `\` (URL parsers read it as `/` in http(s) URLs), and `.` or `..`
/// (dot segments are removed from URL paths). Every other id is percent-encoded by
/// [`encode_segment`]. The message names the kind of id but never quotes it.
pub(crate) fn check_id(kind: IdKind, id: &str) -> Result<(), Error> {
    let noun = kind.noun();
    let reason = if id.is_empty() {
        "must not be empty"
    } else if id.contains('/') {
        "must not contain `/`"
    } else if id.contains('\\') {
        "must not contain `\\` (URLs read it as `/`)"
    } else if id == "." || id == ".." {
        "must not be `.` or `..`"
    } else {
        return Ok(());
    };
    Err(Error::InvalidId(InvalidIdError::new(noun, reason)))
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
        for good in ["a b", "a;b", "100%", "what?", "café", "...", "a.b", "#x"] {
            check_id(IdKind::Namespace, good).unwrap();
        }
        assert!(check_query_value(IdKind::Sandbox, Some("")).is_err());
        assert!(check_query_value(IdKind::Sandbox, None).is_ok());
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
            proptest::prop_assume!(check_id(IdKind::Item, &id).is_ok());
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
