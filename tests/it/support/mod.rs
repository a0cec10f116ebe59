//! Helpers shared by the test modules: the independent EdgeGrid verifier, log capture and the
//! request bodies the `external` target sends too.

#[path = "../../common/bodies.rs"]
pub(crate) mod bodies;

pub(crate) mod edgegrid;
pub(crate) mod logs;
