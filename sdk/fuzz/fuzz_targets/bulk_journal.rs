//! The EdgeKV bulk journal reader.
//!
//! The check is `akamai_sdk::fuzzing::check_bulk_journal`; seeds in `corpus/bulk_journal/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| akamai_sdk::fuzzing::check_bulk_journal(data));
