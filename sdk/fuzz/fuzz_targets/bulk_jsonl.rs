//! EdgeKV bulk import files, JSON Lines.
//!
//! The check is `akamai_sdk::fuzzing::check_bulk_jsonl`; seeds in `corpus/bulk_jsonl/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| akamai_sdk::fuzzing::check_bulk_jsonl(data));
