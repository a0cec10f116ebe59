//! The `.edgerc` parser must never panic, and must never echo a secret in an error.
//!
//! `cargo +nightly fuzz run edgerc` (from `sdk/`), seeds in `../../shared/edgegrid/vectors/`.
#![no_main]

use akamai_sdk::edgegrid::Credentials;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for section in ["default", "s"] {
        match Credentials::from_edgerc_str(text, "fuzz", section) {
            Ok(creds) => {
                assert!(!creds.host().contains('/'));
                assert!(creds.max_body() > 0);
                let _ = format!("{creds:?}");
            }
            Err(err) => {
                let message = err.to_string();
                assert!(message.starts_with("fuzz"), "{message}");
                let _ = format!("{err:?}");
            }
        }
    }
});
