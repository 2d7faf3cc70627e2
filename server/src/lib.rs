//! ambient-lsp: analysis core, CLI and language server for migrating an Istio mesh from
//! sidecar mode to ambient mode.
//!
//! The core (`yaml`, `model`, `index`, `analysis`, `phases`, `fixes`, `report`) is pure: no I/O,
//! no async runtime, deterministic output. `sources` reads files; `cli` and `lsp` are the two
//! front ends and never re-implement a rule. `cluster` reads a live cluster into the same
//! indexed resources.

pub mod analysis;
pub mod cli;
/// The live cluster as an input (kube-rs; only this module and `cli` use an async runtime).
pub mod cluster;
pub mod detect;
pub mod edit;
pub mod engine;
pub mod finding;
pub mod fixes;
pub mod index;
pub mod lsp;
pub mod model;
pub mod output;
pub mod phases;
pub mod report;
pub mod routes;
pub mod rules;
pub mod sources;
/// Invariant checks shared by the tests and the fuzz targets.
#[doc(hidden)]
pub mod testing;
pub mod yaml;
