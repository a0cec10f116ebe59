//! The `edgekv_tokens.js` reader.
//!
//! The check is `akamai_sdk::fuzzing::check_tokens_file`; seeds in `corpus/tokens_file/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| akamai_sdk::fuzzing::check_tokens_file(data));
