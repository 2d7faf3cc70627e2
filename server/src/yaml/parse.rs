//! Multi-document YAML → spanned trees, with per-document error recovery and hard bounds.
//!
//! The event parser is `saphyr-parser` (it passes all 402 accept/reject cases of the
//! yaml-test-suite release we test against). Its markers count characters; we convert them to
//! byte offsets so every span can be used to slice and edit the original text.
//!
//! Recovery: when a document is broken, the error is recorded for that document and parsing
//! restarts at the next line that begins with `---`, so the other documents of the file survive.
//! Bounds: nesting depth, nodes produced by alias expansion (billion laughs) and nodes per
//! document are limited; exceeding one makes that document a `Limit` problem, never a hang.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle as PStyle, Tag};

use super::node::{Entry, Node, NodeKind, ScalarStyle, Span};

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_depth: usize,
    /// Nodes that alias expansion may add to one document.
    pub max_alias_nodes: usize,
    /// Nodes in one document, aliases included.
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 200,
            max_alias_nodes: 100_000,
            max_nodes: 2_000_000,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// Not valid YAML.
    Syntax,
    /// A Helm / Go template (`{{ … }}`): not analysed.
    Template,
    /// A bound was exceeded (alias expansion, depth, size).
    Limit,
    /// The same key twice in one mapping (kubectl rejects this).
    DuplicateKey,
}

#[derive(Clone, Debug)]
pub struct YamlProblem {
    pub kind: ProblemKind,
    pub message: String,
    pub span: Span,
}

#[derive(Debug)]
pub struct ParsedDoc {
    /// 0-based position of the document in the stream.
    pub index: usize,
    /// Bytes of the document (from its `---` or first content to its last content).
    pub span: Span,
    /// `None` when the document is broken (see `problems`) or empty.
    pub root: Option<Node>,
    /// Problems of this document. A document with a Syntax/Limit/Template problem has no root.
    pub problems: Vec<YamlProblem>,
}

#[derive(Debug, Default)]
pub struct ParsedStream {
    pub docs: Vec<ParsedDoc>,
    /// Set when the file is a Helm/Go template: the documents are not analysed.
    pub template: Option<YamlProblem>,
}

/// Character index → byte offset, in O(1) for ASCII text and O(64) otherwise.
struct CharMap<'a> {
    text: &'a str,
    ascii: bool,
    /// Byte offset of every 64th character.
    checkpoints: Vec<u32>,
}

impl<'a> CharMap<'a> {
    fn new(text: &'a str) -> CharMap<'a> {
        let ascii = text.is_ascii();
        let mut checkpoints = Vec::new();
        if !ascii {
            for (n, (i, _)) in text.char_indices().enumerate() {
                if n % 64 == 0 {
                    checkpoints.push(i as u32);
                }
            }
        }
        CharMap {
            text,
            ascii,
            checkpoints,
        }
    }

    fn byte(&self, char_idx: usize) -> usize {
        if self.ascii {
            return char_idx.min(self.text.len());
        }
        let cp = char_idx / 64;
        let Some(&start) = self.checkpoints.get(cp) else {
            return self.text.len();
        };
        let rest = char_idx % 64;
        let tail = &self.text[start as usize..];
        start as usize
            + tail
                .char_indices()
                .nth(rest)
                .map(|(i, _)| i)
                .unwrap_or(tail.len())
    }

    fn char_of_byte(&self, byte: usize) -> usize {
        if self.ascii {
            byte
        } else {
            self.text[..byte].chars().count()
        }
    }
}

enum Frame {
    Seq {
        start: usize,
        flow: bool,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: usize,
        flow: bool,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<Node>,
    },
}

struct DocBuilder {
    start: usize,
    stack: Vec<Frame>,
    root: Option<Node>,
    anchors: HashMap<usize, Node>,
    alias_nodes: usize,
    nodes: usize,
    /// Set when a bound was exceeded: later events of the document are ignored.
    poisoned: Option<YamlProblem>,
    problems: Vec<YamlProblem>,
    /// A plain scalar containing `{{`/`}}`, or a map used as a key (`{{ x }}` parses that way).
    template_hint: Option<usize>,
    last_end: usize,
}

impl DocBuilder {
    fn new(start: usize) -> DocBuilder {
        DocBuilder {
            start,
            stack: Vec::new(),
            root: None,
            anchors: HashMap::new(),
            alias_nodes: 0,
            nodes: 0,
            poisoned: None,
            problems: Vec::new(),
            template_hint: None,
            last_end: start,
        }
    }

    fn poison(&mut self, message: String, at: usize) {
        self.poison_as(ProblemKind::Limit, message, at)
    }

    fn poison_as(&mut self, kind: ProblemKind, message: String, at: usize) {
        if self.poisoned.is_none() {
            self.poisoned = Some(YamlProblem {
                kind,
                message,
                span: Span::new(at, at + 1),
            });
        }
    }

    fn push_node(&mut self, mut node: Node, anchor: usize, text: &str) {
        // block scalars: the span ends with the last content character (saphyr includes the
        // following blank lines and indentation)
        if let NodeKind::Scalar {
            style: ScalarStyle::Literal | ScalarStyle::Folded,
            ..
        } = &node.kind
        {
            node.span.end =
                block_end(text, node.span.start as usize, node.span.end as usize) as u32;
        }
        // flow collections: the span ends at the closing bracket
        if node.flow {
            if let Some(e) = flow_end(text, node.span.start as usize) {
                node.span.end = e as u32;
            }
        }
        // quoted scalars: the span ends at the closing quote (saphyr may include what follows)
        if let NodeKind::Scalar {
            style: style @ (ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted),
            ..
        } = &node.kind
        {
            if let Some(e) = quoted_end(
                text,
                node.span.start as usize,
                *style == ScalarStyle::DoubleQuoted,
            ) {
                node.span.end = e as u32;
            }
        }
        // an empty document's null scalar does not extend the document
        let empty_null = matches!(&node.kind, NodeKind::Scalar { value, style: ScalarStyle::Plain } if value.is_empty());
        if !empty_null {
            self.last_end = self.last_end.max(node.span.end as usize);
        }
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => {
                    if node.is_map() && node.flow {
                        self.template_hint.get_or_insert(node.span.start as usize);
                    }
                    *key = Some(node);
                }
                Some(k) => entries.push(Entry {
                    key: k,
                    value: node,
                }),
            },
        }
    }
}

fn style_of(s: PStyle) -> ScalarStyle {
    match s {
        PStyle::Plain => ScalarStyle::Plain,
        PStyle::SingleQuoted => ScalarStyle::SingleQuoted,
        PStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
        PStyle::Literal => ScalarStyle::Literal,
        PStyle::Folded => ScalarStyle::Folded,
    }
}

/// Resolve `<<` merge keys (YAML 1.1, honoured by Kubernetes' decoder) and report duplicates.
pub(crate) fn finish_map_pub(
    mut entries: Vec<Entry>,
    problems: &mut Vec<YamlProblem>,
) -> Vec<Entry> {
    let has_merge = entries
        .iter()
        .any(|e| matches!(&e.key.kind, NodeKind::Scalar { value, style: ScalarStyle::Plain } if value == "<<"));
    if has_merge {
        let mut merged: Vec<Entry> = Vec::new();
        let mut own: Vec<Entry> = Vec::new();
        for e in entries.drain(..) {
            let is_merge = matches!(&e.key.kind, NodeKind::Scalar { value, style: ScalarStyle::Plain } if value == "<<");
            if !is_merge {
                own.push(e);
                continue;
            }
            match &e.value.kind {
                NodeKind::Map(m) => merged.extend(m.iter().cloned()),
                NodeKind::Seq(items) => {
                    for it in items {
                        if let NodeKind::Map(m) = &it.kind {
                            for me in m {
                                if !merged.iter().any(|x| {
                                    x.key.as_str().is_some() && x.key.as_str() == me.key.as_str()
                                }) {
                                    merged.push(me.clone());
                                }
                            }
                        }
                    }
                }
                _ => own.push(e),
            }
        }
        for m in merged {
            if !own
                .iter()
                .any(|o| o.key.as_str().is_some() && o.key.as_str() == m.key.as_str())
            {
                own.push(m);
            }
        }
        entries = own;
    }
    // duplicate scalar keys
    if entries.len() > 1 {
        if entries.len() <= 16 {
            for i in 1..entries.len() {
                if let Some(k) = entries[i].key.as_str() {
                    if entries[..i].iter().any(|e| e.key.as_str() == Some(k)) {
                        problems.push(YamlProblem {
                            kind: ProblemKind::DuplicateKey,
                            message: format!("duplicate key \"{k}\" in this mapping (kubectl rejects it; other tools keep the last value)"),
                            span: entries[i].key.span,
                        });
                    }
                }
            }
        } else {
            let mut seen = std::collections::HashSet::new();
            for e in &entries {
                if let Some(k) = e.key.as_str() {
                    if !seen.insert(k) {
                        problems.push(YamlProblem {
                            kind: ProblemKind::DuplicateKey,
                            message: format!("duplicate key \"{k}\" in this mapping (kubectl rejects it; other tools keep the last value)"),
                            span: e.key.span,
                        });
                    }
                }
            }
        }
    }
    entries
}

fn contains_template_marker(s: &str) -> bool {
    s.contains("{{") || s.contains("}}")
}

/// Find the byte offset of the next line that starts with `---` followed by whitespace or end
/// of line, searching from the start of the line holding `from`, and strictly after `after`.
fn next_doc_marker(text: &str, from: usize, after: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let from = from.min(text.len());
    let mut i = text[..from].rfind('\n').map(|n| n + 1).unwrap_or(0);
    while i <= after {
        match text[i..].find('\n') {
            Some(n) => i += n + 1,
            None => return None,
        }
    }
    while i < bytes.len() {
        if bytes[i..].starts_with(b"---") {
            let after = bytes.get(i + 3).copied();
            if matches!(
                after,
                None | Some(b' ') | Some(b'\t') | Some(b'\n') | Some(b'\r')
            ) {
                return Some(i);
            }
        }
        match text[i..].find('\n') {
            Some(n) => i += n + 1,
            None => return None,
        }
    }
    None
}

pub fn parse_stream(text: &str, limits: &Limits) -> ParsedStream {
    // the fast path declines templates (`{{`), so these still get the general parser's
    // template detection
    if let Some(s) = super::fast::parse_fast(text, limits) {
        return s;
    }
    parse_stream_general(text, limits)
}

/// The general parser (saphyr-parser events): every YAML 1.2 input, with recovery.
pub fn parse_stream_general(text: &str, limits: &Limits) -> ParsedStream {
    let map = CharMap::new(text);
    let mut out = ParsedStream::default();
    let mut base_byte = 0usize;
    let mut base_char = 0usize;

    'outer: loop {
        let mut parser = Parser::new_from_str(&text[base_byte..]);
        let mut doc: Option<DocBuilder> = None;
        let mut prev_end = base_byte;
        loop {
            let (event, span) = match parser.next_event() {
                None => break 'outer,
                Some(Ok(x)) => x,
                Some(Err(e)) => {
                    // record the broken document, resume at the next `---`
                    let err_at = map.byte(base_char + e.marker().index());
                    let start = doc.as_ref().map(|d| d.start).unwrap_or(prev_end);
                    let resume = next_doc_marker(text, err_at.max(start), start);
                    let broken = Broken {
                        start,
                        end: resume.unwrap_or(text.len()),
                        err_at,
                        info: e.info(),
                    };
                    let index = out.docs.len();
                    out.docs.push(broken.doc(text, doc.take(), index));
                    match resume {
                        Some(r) => {
                            base_char = map.char_of_byte(r);
                            base_byte = r;
                            continue 'outer;
                        }
                        None => break 'outer,
                    }
                }
            };
            let s = map.byte(base_char + span.start.index());
            let e = map.byte(base_char + span.end.index());
            match event {
                Event::StreamStart | Event::Nothing => {}
                Event::StreamEnd => break 'outer,
                Event::DocumentStart(_) => {
                    let mut d = DocBuilder::new(s);
                    // an explicit `---` belongs to its document
                    d.last_end = e;
                    doc = Some(d);
                }
                Event::DocumentEnd => {
                    if let Some(d) = doc.take() {
                        prev_end = e.max(d.last_end);
                        let index = out.docs.len();
                        out.docs.push(finish_doc(text, d, index));
                    }
                }
                event => {
                    if let Some(d) = doc.as_mut() {
                        d.event(event, s, e, limits, text);
                    }
                }
            }
        }
    }
    one_template_problem(&mut out);
    out
}

/// File-level template detection: one problem for the whole file, and no document analysed.
fn one_template_problem(out: &mut ParsedStream) {
    let first_template = out
        .docs
        .iter()
        .flat_map(|d| &d.problems)
        .find(|p| p.kind == ProblemKind::Template)
        .cloned();
    if let Some(t) = first_template {
        for d in &mut out.docs {
            d.root = None;
            d.problems.retain(|p| p.kind != ProblemKind::Template);
        }
        out.template = Some(t);
    }
}

/// A document the event parser gave up on: from `start` to `end` (the next `---` or the end
/// of the text), with the error at `err_at`.
struct Broken<'a> {
    start: usize,
    end: usize,
    err_at: usize,
    info: &'a str,
}

impl Broken<'_> {
    fn doc(&self, text: &str, doc: Option<DocBuilder>, index: usize) -> ParsedDoc {
        let unclosed = doc.as_ref().and_then(|d| self.unclosed(text, d));
        let mut problems = doc.map(|d| d.problems).unwrap_or_default();
        problems.push(self.problem(text, unclosed));
        ParsedDoc {
            index,
            span: Span::new(self.start, trim_end(text, self.end)),
            root: None,
            problems,
        }
    }

    /// An unclosed `[`/`{` is detected lines later (often at the next `---`): the opener.
    fn unclosed(&self, text: &str, d: &DocBuilder) -> Option<(usize, &'static str)> {
        let opener = d.stack.iter().rev().find_map(|f| match f {
            Frame::Seq {
                start, flow: true, ..
            } => Some((*start, "flow sequence `[`")),
            Frame::Map {
                start, flow: true, ..
            } => Some((*start, "flow mapping `{`")),
            _ => None,
        });
        opener.filter(|(at, _)| *at < self.err_at && text[*at..self.err_at].contains('\n'))
    }

    fn problem(&self, text: &str, unclosed: Option<(usize, &str)>) -> YamlProblem {
        let slice = &text[self.start.min(self.end)..self.end];
        if slice.contains("{{") {
            let t = self.start + slice.find("{{").unwrap_or(0);
            return YamlProblem {
                kind: ProblemKind::Template,
                message: "Helm/Go template ({{ … }}): not analysed".to_string(),
                span: Span::new(t, t + 2),
            };
        }
        let err_at = self.err_at;
        if self.info.contains("recursion limit") {
            // the parser's own bound on flow nesting: a bound (YAML-003), like our depth limit
            return YamlProblem {
                kind: ProblemKind::Limit,
                message: format!("nesting too deep: {}", self.info),
                span: char_at(text, err_at),
            };
        }
        let (message, span) = match unclosed {
            Some((at, what)) => (
                format!(
                    "YAML syntax error: this {what} is not closed ({})",
                    self.info
                ),
                char_at(text, at),
            ),
            None => (
                format!("YAML syntax error: {}", self.info),
                char_at(text, err_at),
            ),
        };
        YamlProblem {
            kind: ProblemKind::Syntax,
            message,
            span,
        }
    }
}

/// How a tag changes the style of a scalar: `!`/`!!str` make a plain scalar a string,
/// `!!int`/`!!float`/`!!bool`/`!!null` make a quoted one a plain value.
fn tagged_style(style: ScalarStyle, tag: Option<&Tag>) -> ScalarStyle {
    let Some(t) = tag else { return style };
    let non_specific =
        (t.handle.is_empty() && t.suffix == "!") || (t.handle == "!" && t.suffix.is_empty());
    if non_specific || (t.is_yaml_core_schema() && t.suffix == "str") {
        if style == ScalarStyle::Plain {
            ScalarStyle::SingleQuoted
        } else {
            style
        }
    } else if t.is_yaml_core_schema()
        && style != ScalarStyle::Plain
        && matches!(t.suffix.as_str(), "int" | "float" | "bool" | "null")
    {
        ScalarStyle::Plain
    } else {
        style
    }
}

impl Frame {
    /// The frame pushed for a collection of a poisoned document: only its kind matters.
    fn placeholder(&self, start: usize) -> Frame {
        match self {
            Frame::Seq { .. } => Frame::Seq {
                start,
                flow: false,
                anchor: 0,
                items: Vec::new(),
            },
            Frame::Map { .. } => Frame::Map {
                start,
                flow: false,
                anchor: 0,
                entries: Vec::new(),
                key: None,
            },
        }
    }
}

impl DocBuilder {
    /// One event of the document's content, its bytes `s..e`.
    fn event(&mut self, event: Event, s: usize, e: usize, limits: &Limits, text: &str) {
        match event {
            Event::Alias(id) => self.alias(id, s, e, limits, text),
            Event::Scalar(value, style, anchor, tag) => {
                let style = tagged_style(style_of(style), tag.as_deref());
                self.scalar(value, style, anchor, Span::new(s, e), limits, text)
            }
            Event::SequenceStart(anchor, _) => {
                let flow = e > s;
                // block sequences start at their first `-`, the marker points past it
                let start = if flow { s } else { dash_before(text, s) };
                let frame = Frame::Seq {
                    start,
                    flow,
                    anchor,
                    items: Vec::new(),
                };
                self.open(frame, s, limits)
            }
            Event::MappingStart(anchor, _) => {
                let frame = Frame::Map {
                    start: s,
                    flow: e > s,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                };
                self.open(frame, s, limits)
            }
            Event::SequenceEnd => self.close_seq(e, text),
            Event::MappingEnd => self.close_map(e, text),
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => {}
        }
    }

    /// Count one more node; false (and poisoned) past the bound.
    fn count_node(&mut self, s: usize, limits: &Limits) -> bool {
        self.nodes += 1;
        if self.nodes > limits.max_nodes {
            self.poison(
                format!(
                    "document has more than {} nodes: not analysed",
                    limits.max_nodes
                ),
                s,
            );
            return false;
        }
        true
    }

    fn alias(&mut self, id: usize, s: usize, e: usize, limits: &Limits, text: &str) {
        if self.poisoned.is_some() {
            return;
        }
        let Some(n) = self.anchors.get(&id) else {
            // an alias to an anchor this document does not define (anchors do not cross
            // documents): invalid YAML, not a bound
            self.poison_as(
                ProblemKind::Syntax,
                "YAML syntax error: unknown alias (anchors are local to their document)"
                    .to_string(),
                s,
            );
            return;
        };
        let count = n.count();
        self.alias_nodes += count;
        self.nodes += count;
        if self.alias_nodes > limits.max_alias_nodes {
            self.poison(
                format!(
                    "alias expansion exceeds {} nodes (a \"billion laughs\" document?): not analysed",
                    limits.max_alias_nodes
                ),
                s,
            );
            return;
        }
        let mut n = n.clone();
        // the alias node points at the alias, its contents at the anchor
        n.span = Span::new(s, e);
        self.push_node(n, 0, text);
    }

    fn scalar(
        &mut self,
        value: Cow<str>,
        style: ScalarStyle,
        anchor: usize,
        span: Span,
        limits: &Limits,
        text: &str,
    ) {
        let s = span.start as usize;
        if self.poisoned.is_some() || !self.count_node(s, limits) {
            return;
        }
        if style == ScalarStyle::Plain && contains_template_marker(&value) {
            self.template_hint.get_or_insert(s);
        }
        let mut value = value.into_owned();
        // a block scalar whose last line ends the input without a line break: saphyr-parser
        // adds one anyway (`- |\n x` → "x\n"); YAML 1.2 §8.1.1.2 (b-chomped-last is the line
        // break *or the end of input*), libyaml and the fast path give "x". Found by `fuzz/`,
        // target `yaml` (the fast path disagreed).
        if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded)
            && value.ends_with('\n')
            && !text[block_end(text, s, span.end as usize).min(text.len())..].contains('\n')
        {
            value.pop();
        }
        let node = Node::scalar(value, style, span);
        self.push_node(node, anchor, text);
    }

    /// A sequence or map starts (at byte `s`).
    fn open(&mut self, frame: Frame, s: usize, limits: &Limits) {
        if self.poisoned.is_some() {
            self.stack.push(frame.placeholder(s));
            return;
        }
        self.nodes += 1;
        if self.stack.len() >= limits.max_depth {
            self.poison(
                format!(
                    "nesting deeper than {} levels: not analysed",
                    limits.max_depth
                ),
                s,
            );
        }
        self.stack.push(frame);
    }

    /// A sequence ends (at byte `e` for a flow sequence).
    fn close_seq(&mut self, e: usize, text: &str) {
        let Some(Frame::Seq {
            start,
            flow,
            anchor,
            items,
        }) = self.stack.pop()
        else {
            return;
        };
        if self.poisoned.is_some() {
            return;
        }
        let end = if flow {
            e
        } else {
            items.last().map(|n| n.span.end as usize).unwrap_or(start)
        };
        let node = Node {
            span: Span::new(start, end),
            flow,
            kind: NodeKind::Seq(items),
        };
        self.push_node(node, anchor, text);
    }

    /// A map ends (at byte `e` for a flow map).
    fn close_map(&mut self, e: usize, text: &str) {
        let Some(Frame::Map {
            start,
            flow,
            anchor,
            mut entries,
            key,
        }) = self.stack.pop()
        else {
            return;
        };
        if self.poisoned.is_some() {
            return;
        }
        if let Some(k) = key {
            // a key without a value event cannot happen with a well-formed stream,
            // but keep it rather than lose it
            let at = k.span.end as usize;
            entries.push(Entry {
                key: k,
                value: Node::scalar("", ScalarStyle::Plain, Span::empty(at)),
            });
        }
        let end = if flow {
            e
        } else {
            entries
                .last()
                .map(|en| en.value.span.end.max(en.key.span.end) as usize)
                .unwrap_or(start)
        };
        let entries = finish_map_pub(entries, &mut self.problems);
        let node = Node {
            span: Span::new(start, end),
            flow,
            kind: NodeKind::Map(entries),
        };
        self.push_node(node, anchor, text);
    }
}

/// The end of a block scalar's last content line (dropping the blank lines and the next
/// line's indentation that the scanner includes).
fn block_end(text: &str, start: usize, end: usize) -> usize {
    let b = text.as_bytes();
    let mut e = end.min(b.len());
    loop {
        // the part after the last newline of [start, e) is only spaces: cut it
        let seg = &b[start..e];
        match seg.iter().rposition(|c| *c == b'\n') {
            Some(nl) if seg[nl + 1..].iter().all(|c| *c == b' ') => {
                e = start + nl;
                if e > start && b[e - 1] == b'\r' {
                    e -= 1;
                }
            }
            _ => break,
        }
    }
    e
}

/// The offset after the bracket that closes the flow collection opening at `start`.
fn flow_end(text: &str, start: usize) -> Option<usize> {
    let b = text.as_bytes();
    if !matches!(b.get(start), Some(b'[' | b'{')) {
        return None;
    }
    let mut depth = 0i32;
    let mut k = start;
    while k < b.len() {
        match b[k] {
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(k + 1);
                }
            }
            b'"' => {
                k = quoted_end(text, k, true)?;
                continue;
            }
            b'\'' => {
                k = quoted_end(text, k, false)?;
                continue;
            }
            b'#' if k > 0 && matches!(b[k - 1], b' ' | b'\t' | b'\n') => {
                while k < b.len() && b[k] != b'\n' {
                    k += 1;
                }
                continue;
            }
            _ => {}
        }
        k += 1;
    }
    None
}

/// The offset after the closing quote of a quoted scalar starting at `start`.
fn quoted_end(text: &str, start: usize, double: bool) -> Option<usize> {
    let b = text.as_bytes();
    let q = if double { b'"' } else { b'\'' };
    if b.get(start) != Some(&q) {
        return None;
    }
    let mut k = start + 1;
    while k < b.len() {
        if double && b[k] == b'\\' {
            k += 2;
            continue;
        }
        if b[k] == q {
            if !double && b.get(k + 1) == Some(&b'\'') {
                k += 2;
                continue;
            }
            return Some(k + 1);
        }
        k += 1;
    }
    None
}

fn dash_before(text: &str, at: usize) -> usize {
    let b = text.as_bytes();
    let mut i = at.min(b.len());
    while i > 0 && matches!(b[i - 1], b' ' | b'\t') {
        i -= 1;
    }
    if i > 0 && b[i - 1] == b'-' {
        i - 1
    } else {
        at
    }
}

fn trim_end(text: &str, mut end: usize) -> usize {
    let b = text.as_bytes();
    while end > 0 && matches!(b[end - 1], b'\n' | b'\r' | b' ' | b'\t') {
        end -= 1;
    }
    end
}

/// The span of the character at byte `at` (empty at the end of the text): a problem's span must
/// be a slice of the text (a `+ 1` cut a multi-byte character; found by `fuzz/`, target `edits`).
fn char_at(text: &str, at: usize) -> Span {
    let at = at.min(text.len());
    let len = text[at..].chars().next().map_or(0, char::len_utf8);
    Span::new(at, at + len)
}

fn finish_doc(text: &str, mut d: DocBuilder, index: usize) -> ParsedDoc {
    let end = d.last_end.max(d.start);
    let span = Span::new(d.start, end);
    if let Some(mut p) = d.poisoned.take() {
        // recorded as one byte: make it the character there
        p.span = char_at(text, p.span.start as usize);
        let mut problems = d.problems;
        problems.push(p);
        return ParsedDoc {
            index,
            span,
            root: None,
            problems,
        };
    }
    if d.template_hint.is_some() {
        // `{{ … }}` outside quoted and block scalars: a template
        let slice = &text[d.start.min(text.len())..end.min(text.len())];
        if slice.contains("{{") {
            let t = d.start + slice.find("{{").unwrap_or(0);
            let mut problems = d.problems;
            problems.push(YamlProblem {
                kind: ProblemKind::Template,
                message: "Helm/Go template ({{ … }}): not analysed".to_string(),
                span: Span::new(t, t + 2),
            });
            return ParsedDoc {
                index,
                span,
                root: None,
                problems,
            };
        }
    }
    let root = d.root.filter(|r| !r.is_null());
    ParsedDoc {
        index,
        span,
        root,
        problems: d.problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> ParsedStream {
        parse_stream(s, &Limits::default())
    }

    #[test]
    fn spans_are_bytes_and_cover_nodes() {
        let text = "# c\napiVersion: v1\nmetadata:\n  name: \"x😀\"\n  labels: {a: b}\nlist:\n- 1\n- two\n";
        let s = parse(text);
        assert_eq!(s.docs.len(), 1);
        let root = s.docs[0].root.as_ref().unwrap();
        let name = root.path(&["metadata", "name"]).unwrap();
        assert_eq!(
            &text[name.span.start as usize..name.span.end as usize],
            "\"x😀\""
        );
        let labels = root.path(&["metadata", "labels"]).unwrap();
        assert!(labels.flow);
        assert_eq!(
            &text[labels.span.start as usize..labels.span.end as usize],
            "{a: b}"
        );
        let list = root.get("list").unwrap();
        assert_eq!(
            &text[list.span.start as usize..list.span.end as usize],
            "- 1\n- two"
        );
        let meta = root.get("metadata").unwrap();
        assert!(!meta.flow);
        assert_eq!(
            &text[meta.span.start as usize..meta.span.end as usize],
            "name: \"x😀\"\n  labels: {a: b}"
        );
    }

    #[test]
    fn broken_document_keeps_the_others() {
        let text = "a: 1\n---\nb: [1, 2\nc: 3\n---\nd: 4\n";
        let s = parse(text);
        assert_eq!(s.docs.len(), 3);
        assert!(s.docs[0].root.is_some());
        assert!(s.docs[1].root.is_none());
        assert_eq!(s.docs[1].problems[0].kind, ProblemKind::Syntax);
        assert_eq!(
            s.docs[2].root.as_ref().unwrap().get("d").unwrap().as_str(),
            Some("4")
        );
    }

    #[test]
    fn unclosed_quote_reports_its_line() {
        let text = "a: 1\n---\nname: \"oops\nx: 2\n---\nb: 2\n";
        let s = parse(text);
        assert_eq!(s.docs.len(), 3);
        let p = &s.docs[1].problems[0];
        assert_eq!(p.kind, ProblemKind::Syntax);
        assert!(s.docs[2].root.is_some());
    }

    #[test]
    fn billion_laughs_is_bounded() {
        let mut text = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
        let mut prev = "a";
        for n in names {
            text.push_str(&format!("{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
            prev = n;
        }
        let t = std::time::Instant::now();
        let s = parse(&text);
        assert!(t.elapsed().as_secs() < 2);
        assert_eq!(s.docs[0].problems.last().unwrap().kind, ProblemKind::Limit);
        assert!(s.docs[0].root.is_none());
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let text = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let s = parse(&text);
        assert_eq!(s.docs.len(), 1);
        assert!(s.docs[0].root.is_none());
        // nesting beyond the bound is YAML-003 (docs/rules.md), not a syntax error
        assert_eq!(s.docs[0].problems.last().unwrap().kind, ProblemKind::Limit);
    }

    #[test]
    fn an_alias_to_another_documents_anchor_is_a_syntax_error() {
        let s = parse("a: &x 1\n---\nb: *x\n");
        assert_eq!(s.docs.len(), 2);
        assert_eq!(s.docs[1].problems.last().unwrap().kind, ProblemKind::Syntax);
    }

    #[test]
    fn helm_template_detected() {
        let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.name }}\n";
        let s = parse(text);
        assert!(s.template.is_some());
        let text2 = "{{- if .Values.enabled }}\napiVersion: v1\nkind: Service\n{{- end }}\n";
        assert!(parse(text2).template.is_some());
    }

    #[test]
    fn templates_inside_block_scalars_are_data() {
        let text = "apiVersion: v1\nkind: ConfigMap\ndata:\n  config: |\n    name: {{ .Name }}\n";
        let s = parse(text);
        assert!(s.template.is_none());
        assert!(s.docs[0].root.is_some());
    }

    #[test]
    fn merge_keys_and_duplicates() {
        let text = "base: &b {x: 1, y: 2}\nobj:\n  <<: *b\n  y: 3\ndup: 1\ndup: 2\n";
        let s = parse(text);
        let root = s.docs[0].root.as_ref().unwrap();
        let obj = root.get("obj").unwrap();
        assert_eq!(obj.get("x").unwrap().as_str(), Some("1"));
        assert_eq!(obj.get("y").unwrap().as_str(), Some("3"));
        assert!(s.docs[0]
            .problems
            .iter()
            .any(|p| p.kind == ProblemKind::DuplicateKey));
    }

    #[test]
    fn non_ascii_offsets() {
        let text = "é: ü\n---\nkey: \"中文\"\nnext: 1\n";
        let s = parse(text);
        let root = s.docs[1].root.as_ref().unwrap();
        let n = root.get("next").unwrap();
        assert_eq!(&text[n.span.start as usize..n.span.end as usize], "1");
    }

    #[test]
    fn resync_after_error_in_non_ascii_file() {
        let text = "a: \"😀\n---\nb: ü\n";
        let s = parse(text);
        assert_eq!(s.docs.len(), 2);
        let b = s.docs[1].root.as_ref().unwrap().get("b").unwrap();
        assert_eq!(&text[b.span.start as usize..b.span.end as usize], "ü");
    }
}
