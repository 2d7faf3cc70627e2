//! Spanned YAML: parsing, the node tree, line/column conversion and a small emitter.

pub mod emit;
pub mod fast;
pub mod lines;
pub mod node;
pub mod parse;

pub use lines::{Encoding, LineIndex};
pub use node::{kind_name, Entry, Node, NodeKind, ScalarStyle, Span};
pub use parse::{
    parse_stream, parse_stream_general, Limits, ParsedDoc, ParsedStream, ProblemKind, YamlProblem,
};
