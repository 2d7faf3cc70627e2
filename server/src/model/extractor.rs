//! Typed extraction from spanned YAML: every type mismatch becomes a `SchemaProblem` pointing
//! at the offending node, never a panic, and the rest of the object is still read.

use crate::yaml::{kind_name, Node, NodeKind, Span};

#[derive(Clone, Debug, PartialEq)]
pub struct SchemaProblem {
    pub message: String,
    pub span: Span,
}

pub struct Extractor {
    pub problems: Vec<SchemaProblem>,
}

/// A value with the span of the node it was read from.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

impl Extractor {
    pub fn new() -> Extractor {
        Extractor {
            problems: Vec::new(),
        }
    }

    pub fn problem(&mut self, span: Span, message: impl Into<String>) {
        self.problems.push(SchemaProblem {
            message: message.into(),
            span,
        });
    }

    fn mismatch(&mut self, node: &Node, what: &str, expected: &str) {
        let found = kind_name(node);
        self.problem(
            node.span,
            format!("{what} must be {expected}, found {found}"),
        );
    }

    /// The value of `key` in `parent` if it is a map (null/absent → None, other → problem).
    pub fn map<'n>(&mut self, parent: &'n Node, key: &str, what: &str) -> Option<&'n Node> {
        let n = parent.get(key)?;
        self.as_map(n, what)
    }

    pub fn as_map<'n>(&mut self, n: &'n Node, what: &str) -> Option<&'n Node> {
        if n.is_null() {
            return None;
        }
        if n.is_map() {
            Some(n)
        } else {
            self.mismatch(n, what, "a map");
            None
        }
    }

    pub fn seq<'n>(&mut self, parent: &'n Node, key: &str, what: &str) -> Option<&'n [Node]> {
        let n = parent.get(key)?;
        self.as_seq(n, what)
    }

    pub fn as_seq<'n>(&mut self, n: &'n Node, what: &str) -> Option<&'n [Node]> {
        if n.is_null() {
            return None;
        }
        match n.as_seq() {
            Some(s) => Some(s),
            None => {
                self.mismatch(n, what, "a list");
                None
            }
        }
    }

    /// A scalar read as text. Numbers and booleans are accepted (their text is kept) unless
    /// `strict`, in which case a non-string scalar is reported.
    pub fn string(&mut self, parent: &Node, key: &str, what: &str) -> Option<String> {
        let n = parent.get(key)?;
        self.as_string(n, what)
    }

    pub fn as_string(&mut self, n: &Node, what: &str) -> Option<String> {
        if n.is_null() {
            return None;
        }
        match &n.kind {
            NodeKind::Scalar { value, .. } => Some(value.to_string()),
            _ => {
                self.mismatch(n, what, "a string");
                None
            }
        }
    }

    pub fn spanned_string(
        &mut self,
        parent: &Node,
        key: &str,
        what: &str,
    ) -> Option<Spanned<String>> {
        let n = parent.get(key)?;
        self.as_string(n, what).map(|v| Spanned::new(v, n.span))
    }

    /// A string that Kubernetes requires to be a string (label values, env values…): a plain
    /// number/boolean is accepted but reported, because the API server rejects it.
    pub fn k8s_string(&mut self, n: &Node, what: &str) -> Option<String> {
        if n.is_null() {
            return None;
        }
        match &n.kind {
            NodeKind::Scalar { value, .. } => {
                if n.as_string_strict().is_none() {
                    self.problem(
                        n.span,
                        format!(
                            "{what} must be a string, found {} (quote it: \"{value}\")",
                            kind_name(n)
                        ),
                    );
                }
                Some(value.to_string())
            }
            _ => {
                self.mismatch(n, what, "a string");
                None
            }
        }
    }

    pub fn int(&mut self, parent: &Node, key: &str, what: &str) -> Option<i64> {
        let n = parent.get(key)?;
        self.as_int(n, what)
    }

    pub fn as_int(&mut self, n: &Node, what: &str) -> Option<i64> {
        if n.is_null() {
            return None;
        }
        if let Some(i) = n.as_i64() {
            return Some(i);
        }
        // quoted numbers are common in hand-written YAML ("8080"); accept them
        if let Some(s) = n.as_str() {
            if let Ok(i) = s.trim().parse::<i64>() {
                return Some(i);
            }
        }
        self.mismatch(n, what, "a number");
        None
    }

    pub fn bool(&mut self, parent: &Node, key: &str, what: &str) -> Option<bool> {
        let n = parent.get(key)?;
        if n.is_null() {
            return None;
        }
        if let Some(b) = n.as_bool() {
            return Some(b);
        }
        if let Some(s) = n.as_str() {
            match s {
                "true" => return Some(true),
                "false" => return Some(false),
                _ => {}
            }
        }
        self.mismatch(n, what, "a boolean");
        None
    }

    /// A list of strings (a single scalar is reported but accepted as a one-item list).
    pub fn strings(
        &mut self,
        parent: &Node,
        key: &str,
        what: &str,
    ) -> Option<Spanned<Vec<String>>> {
        let n = parent.get(key)?;
        self.as_strings(n, what).map(|v| Spanned::new(v, n.span))
    }

    pub fn as_strings(&mut self, n: &Node, what: &str) -> Option<Vec<String>> {
        if n.is_null() {
            return None;
        }
        match &n.kind {
            NodeKind::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for it in items {
                    if let Some(s) = self.as_string(it, what) {
                        out.push(s);
                    }
                }
                Some(out)
            }
            NodeKind::Scalar { value, .. } => {
                self.mismatch(n, what, "a list");
                Some(vec![value.to_string()])
            }
            NodeKind::Map(_) => {
                self.mismatch(n, what, "a list");
                None
            }
        }
    }

    /// A map of string → string (labels, annotations, matchLabels, ConfigMap data).
    pub fn string_map(&mut self, n: &Node, what: &str) -> Vec<(Spanned<String>, Spanned<String>)> {
        let mut out = Vec::new();
        if n.is_null() {
            return out;
        }
        let Some(entries) = n.as_map() else {
            self.mismatch(n, what, "a map of strings");
            return out;
        };
        for e in entries {
            let Some(k) = e.key.as_str() else {
                self.problem(e.key.span, format!("{what} keys must be strings"));
                continue;
            };
            let v = if e.value.is_null() {
                String::new()
            } else {
                match self.k8s_string(&e.value, &format!("{what} \"{k}\"")) {
                    Some(v) => v,
                    None => continue,
                }
            };
            out.push((
                Spanned::new(k.to_string(), e.key.span),
                Spanned::new(v, e.value.span),
            ));
        }
        out
    }
}

impl Default for Extractor {
    fn default() -> Self {
        Extractor::new()
    }
}
