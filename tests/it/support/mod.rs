//! Helpers shared by the test modules: the independent EdgeGrid verifier and log capture.

pub(crate) mod edgegrid;
pub(crate) mod logs;
