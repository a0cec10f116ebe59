//! EdgeKV bulk import files, CSV.
//!
//! The check is `akamai_sdk::fuzzing::check_bulk_csv`; seeds in `corpus/bulk_csv/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| akamai_sdk::fuzzing::check_bulk_csv(data));
