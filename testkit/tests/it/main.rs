//! Integration tests of akamai-sdk-testkit's emulators and binary: one binary, one module per area.
mod binary;
mod config;
mod dependent;
mod edge;
mod edgekv;
mod faults;
mod linode;
mod proxy_tokens;
mod realism;
mod spec_conformance;
