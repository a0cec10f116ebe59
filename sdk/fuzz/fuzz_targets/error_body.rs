//! Error answers (Linode `errors`, problem+json, HTML, truncated) into `ApiError`.
//!
//! The check is `akamai_sdk::fuzzing::check_error_body`; seeds in `corpus/error_body/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| akamai_sdk::fuzzing::check_error_body(data));
