//! Spanned YAML: parsing, the node tree, line/column conversion and a small emitter.

pub mod emit;
pub mod lines;
pub mod node;
pub mod parse;

pub use lines::{Encoding, LineIndex};
pub use node::{kind_name, Entry, Node, NodeKind, ScalarStyle, Span};
pub use parse::{parse_stream, Limits, ParsedDoc, ParsedStream, ProblemKind, YamlProblem};
