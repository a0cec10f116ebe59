//! Integration tests of the akamai-sdk workspace: one binary, one module per area.
mod contract;
mod contract_all;
mod edgekv;
mod edgerc;
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
