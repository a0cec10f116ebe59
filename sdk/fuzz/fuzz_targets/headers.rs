//! `Retry-After`, `X-RateLimit-Reset` and `Date` headers, and the waits they ask for.
//!
//! The check is `akamai_sdk::fuzzing::check_headers`; seeds in `corpus/headers/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| akamai_sdk::fuzzing::check_headers(data));
