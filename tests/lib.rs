//! Test-only crate: the tests live in `it/` (one binary, libtest) and `external/` (the tests that
//! need tools from outside, on a libtest-mimic harness), with `common/` holding what both include.
