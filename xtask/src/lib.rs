//! The parts of the workspace automation that the workspace's tests use too: the public-surface
//! renderer ([`surface`]), whose text the API snapshots commit, and the semver comparison of two
//! surfaces ([`semver`]) that `cargo xtask update` prints for every spec update. The commands
//! themselves are the `xtask` binary (`src/main.rs`).

pub mod semver;
pub mod surface;
