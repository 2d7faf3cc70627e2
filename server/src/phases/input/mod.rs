//! Input problems found while analysing a namespace. (The other input rules, `YAML-*` and
//! `SCHEMA-001`, are found while reading files: `index.rs`, `sources.rs`.)

pub mod drift;
mod missing_namespace;

use crate::analysis::NsCtx;

pub fn namespace(ctx: &mut NsCtx) {
    missing_namespace::namespace(ctx);
}
