//! The X-Filter builder: the header reads back through `serde_json` as built.
//!
//! The check is `akamai_sdk::fuzzing::check_filter`; seeds in `corpus/filter/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| akamai_sdk::fuzzing::check_filter(data));
