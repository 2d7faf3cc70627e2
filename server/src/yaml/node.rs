//! The spanned YAML tree: every node knows the bytes of the file it came from.

/// A byte range `[start, end)` in the text of one file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end.max(start) as u32,
        }
    }
    pub fn empty(at: usize) -> Span {
        Span::new(at, at)
    }
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
    pub fn contains(&self, offset: usize) -> bool {
        (self.start as usize) <= offset && offset <= (self.end as usize)
    }
}

/// How a scalar was written. Quoted and block scalars are always strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Scalar {
        value: compact_str::CompactString,
        style: ScalarStyle,
    },
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

impl Entry {
    /// The span to show for this entry: from the key to the end of the value when the value
    /// is on the same line (or small), otherwise just the key.
    pub fn span(&self) -> Span {
        self.key.span.cover(self.value.span)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub span: Span,
    /// `true` for `{...}` / `[...]` collections.
    pub flow: bool,
    pub kind: NodeKind,
}

/// The type of a node in words, for error messages.
pub fn kind_name(node: &Node) -> &'static str {
    match &node.kind {
        NodeKind::Scalar { .. } if node.is_null() => "null",
        NodeKind::Scalar { style, value } => {
            if *style == ScalarStyle::Plain {
                if plain_bool(value).is_some() {
                    return "a boolean";
                }
                if plain_int(value).is_some() {
                    return "a number";
                }
            }
            "a string"
        }
        NodeKind::Seq(_) => "a list",
        NodeKind::Map(_) => "a map",
    }
}

pub fn plain_bool(v: &str) -> Option<bool> {
    match v {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

pub fn plain_int(v: &str) -> Option<i64> {
    let t = v.strip_prefix('+').unwrap_or(v);
    if let Some(h) = t.strip_prefix("0x") {
        return i64::from_str_radix(h, 16).ok();
    }
    if let Some(o) = t.strip_prefix("0o") {
        return i64::from_str_radix(o, 8).ok();
    }
    if t.is_empty()
        || !t
            .bytes()
            .enumerate()
            .all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-'))
    {
        return None;
    }
    t.parse().ok()
}

pub fn plain_float(v: &str) -> Option<f64> {
    match v {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    let b = v.as_bytes();
    if b.is_empty() {
        return None;
    }
    // YAML 1.2 core schema float: [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    let mut i = 0;
    if b[i] == b'-' || b[i] == b'+' {
        i += 1;
    }
    let digits_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - digits_start;
    let mut frac_digits = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let fs = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - fs;
    }
    if int_digits == 0 && frac_digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let es = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == es {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    v.parse().ok()
}

pub fn plain_null(v: &str) -> bool {
    matches!(v, "" | "~" | "null" | "Null" | "NULL")
}

impl Node {
    pub fn scalar(
        value: impl Into<compact_str::CompactString>,
        style: ScalarStyle,
        span: Span,
    ) -> Node {
        Node {
            span,
            flow: false,
            kind: NodeKind::Scalar {
                value: value.into(),
                style,
            },
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { value, style: ScalarStyle::Plain } if plain_null(value))
    }

    /// The scalar text of a non-null scalar (numbers and booleans included, as written).
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { value, .. } if !self.is_null() => Some(value),
            _ => None,
        }
    }

    /// A scalar that YAML resolves to a string (quoted, block, or plain text that is not a
    /// number, boolean or null).
    pub fn as_string_strict(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { value, style } => {
                if *style != ScalarStyle::Plain {
                    return Some(value);
                }
                if plain_null(value)
                    || plain_bool(value).is_some()
                    || plain_int(value).is_some()
                    || plain_float(value).is_some()
                {
                    None
                } else {
                    Some(value)
                }
            }
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            NodeKind::Scalar {
                value,
                style: ScalarStyle::Plain,
            } => plain_bool(value),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match &self.kind {
            NodeKind::Scalar {
                value,
                style: ScalarStyle::Plain,
            } => plain_int(value),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.kind, NodeKind::Map(_))
    }

    /// The entry whose key is the scalar `key` (last one wins, like most loaders).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?
            .iter()
            .rev()
            .find(|e| e.key.as_str() == Some(key))
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// `get` that treats an explicit null value as absent.
    pub fn get_nonnull(&self, key: &str) -> Option<&Node> {
        self.get(key).filter(|n| !n.is_null())
    }

    /// Walk a dotted path of map keys.
    pub fn path(&self, path: &[&str]) -> Option<&Node> {
        let mut cur = self;
        for k in path {
            cur = cur.get(k)?;
        }
        Some(cur)
    }

    /// Number of nodes in this subtree (used for alias budgets).
    pub fn count(&self) -> usize {
        let mut n = 0;
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            n += 1;
            match &node.kind {
                NodeKind::Scalar { .. } => {}
                NodeKind::Seq(items) => stack.extend(items.iter()),
                NodeKind::Map(entries) => {
                    for e in entries {
                        stack.push(&e.key);
                        stack.push(&e.value);
                    }
                }
            }
        }
        n
    }

    /// Convert to JSON using the YAML 1.2 core schema for plain scalars. Map keys that are not
    /// scalars are rendered as their JSON text.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            NodeKind::Scalar { value, style } => {
                if *style != ScalarStyle::Plain {
                    return Value::String(value.to_string());
                }
                if plain_null(value) {
                    return Value::Null;
                }
                if let Some(b) = plain_bool(value) {
                    return Value::Bool(b);
                }
                if let Some(i) = plain_int(value) {
                    return Value::from(i);
                }
                if let Some(f) = plain_float(value) {
                    if let Some(n) = serde_json::Number::from_f64(f) {
                        return Value::Number(n);
                    }
                    return Value::String(value.to_string());
                }
                Value::String(value.to_string())
            }
            NodeKind::Seq(items) => Value::Array(items.iter().map(|n| n.to_json()).collect()),
            NodeKind::Map(entries) => {
                let mut m = serde_json::Map::new();
                for e in entries {
                    let k = match &e.key.kind {
                        NodeKind::Scalar { value, .. } => value.to_string(),
                        _ => e.key.to_json().to_string(),
                    };
                    m.insert(k, e.value.to_json());
                }
                Value::Object(m)
            }
        }
    }

    /// Like `to_json` but every scalar stays a string (Kubernetes label/data semantics).
    pub fn to_json_strings(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            NodeKind::Scalar { value, .. } => {
                if self.is_null() {
                    Value::Null
                } else {
                    Value::String(value.to_string())
                }
            }
            NodeKind::Seq(items) => {
                Value::Array(items.iter().map(|n| n.to_json_strings()).collect())
            }
            NodeKind::Map(entries) => {
                let mut m = serde_json::Map::new();
                for e in entries {
                    let k = e.key.as_str().map(str::to_string).unwrap_or_default();
                    m.insert(k, e.value.to_json_strings());
                }
                Value::Object(m)
            }
        }
    }
}
