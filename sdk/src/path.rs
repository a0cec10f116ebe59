//! URL path segments as both APIs receive them: every byte but the RFC 3986 unreserved
//! characters (`A-Z a-z 0-9 - . _ ~`) percent-encoded, upper-case hex. Spaces, `;`, `%`, `?`,
//! `#`, quotes and non-ASCII characters all survive the trip to the server, and what is signed
//! is what is sent.

use percent_encoding::{percent_decode_str, percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but the unreserved characters.
const STRICT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Whether a byte is an RFC 3986 unreserved character (never percent-encoded).
pub(crate) fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Appends the strict encoding of one path segment to `out`.
pub(crate) fn push_segment(segment: &[u8], out: &mut String) {
    out.extend(percent_encode(segment, STRICT));
}

/// The strict encoding of one path segment.
#[cfg(test)]
pub(crate) fn encode_segment(segment: &str) -> String {
    percent_encode(segment.as_bytes(), STRICT).to_string()
}

/// Decodes the `%XX` escapes of a path segment; anything else (a stray `%`) is kept as is.
pub(crate) fn decode_segment(segment: &str) -> Vec<u8> {
    percent_decode_str(segment).collect()
}

/// Rewrites the path of `url` so that every segment has the strict encoding.
///
/// The generated operations encode path parameters with a lighter set (they leave `;`, `'`,
/// `[`, `]` and the like as they are); decoding each segment and encoding it again gives every
/// request, generated or handwritten, the same strict form, which is then signed as sent.
pub(crate) fn canonicalize_path(url: &mut url::Url) {
    let path = url.path();
    // Most paths need nothing (`/v4/account`): leave them without allocating.
    if !path.starts_with('/') || path.bytes().all(|b| b == b'/' || is_unreserved(b)) {
        return;
    }
    let mut canonical = String::with_capacity(path.len() + 8);
    for segment in path[1..].split('/') {
        canonical.push('/');
        push_segment(&decode_segment(segment), &mut canonical);
    }
    if canonical != path {
        url.set_path(&canonical);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_strictly_encoded_and_decode_back() {
        assert_eq!(encode_segment("A1BC-34gh_~."), "A1BC-34gh_~.");
        assert_eq!(encode_segment("a%b?c#d e;'"), "a%25b%3Fc%23d%20e%3B%27");
        assert_eq!(encode_segment("ü"), "%C3%BC");
        for s in ["a b;c%d?e", "café", "%41", "%"] {
            assert_eq!(decode_segment(&encode_segment(s)), s.as_bytes());
        }
        assert_eq!(decode_segment("%4"), b"%4");
        assert_eq!(decode_segment("x%zz"), b"x%zz");
        for b in 0..128u8 {
            let encoded = encode_segment(std::str::from_utf8(&[b]).unwrap());
            assert_eq!(
                encoded.len() == 1,
                is_unreserved(b),
                "{b:#04x} -> {encoded}"
            );
        }
    }
}
