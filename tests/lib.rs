//! Test-only crate; everything lives in `it/`.
