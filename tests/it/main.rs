//! Integration tests of the akamai-sdk workspace: one binary, one module per area. The tests
//! that need tools from outside (Prism, the official EdgeGrid libraries) are in the `external`
//! target.
mod bulk;
mod edgekv;
mod edgerc;
mod fuzz_corpus;
mod generated_types;
mod linode;
mod request_shapes;
mod runtime;
mod signing;
mod spans;
mod spec_drift;
mod support;
mod surface;
mod tolerant;
