//! End-to-end tests of `aksdk`: the binary run as a user runs it, against the test kit's
//! emulators served from the test process.

mod bulk;
mod edgekv;
mod help;
mod linode;
mod support;
