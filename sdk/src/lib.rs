#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub use akamai_sdk_generated as generated;

pub mod edgegrid;
#[cfg(feature = "edgekv")]
pub mod edgekv;
#[cfg(feature = "linode")]
pub mod linode;

pub mod config;
pub mod error;
mod path;
pub mod redact;
pub mod retry;
pub mod runtime;

pub use error::{Error, Result};
