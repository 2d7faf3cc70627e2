//! A fast path for the YAML that Kubernetes manifests are made of: block mappings and
//! sequences, single-line plain/quoted scalars, single-line flow collections, literal and
//! simple folded block scalars, comments, `---` separators.
//!
//! It builds the same spanned tree as the general parser (`parse.rs`, on saphyr-parser) and
//! gives up — returning `None` — on anything else (anchors, tags, multi-line scalars, tabs,
//! directives, complex keys, errors…), in which case the caller uses the general parser for the
//! whole file. A differential test over the corpus and the yaml-test-suite checks that both
//! parsers agree whenever the fast path accepts a file.

use super::node::{Entry, Node, NodeKind, ScalarStyle, Span};
use super::parse::{finish_map_pub, Limits, ParsedDoc, ParsedStream, YamlProblem};

struct Bail;
type R<T> = Result<T, Bail>;

#[derive(Clone, Copy, Debug)]
struct Line {
    start: usize,
    /// End of content (before `\r\n` / `\n`).
    end: usize,
    /// First non-space byte (== end for blank lines).
    content: usize,
    kind: LineKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LineKind {
    /// Empty or only a comment.
    Blank,
    /// `---` (optionally followed by a comment).
    DocStart,
    Content,
}

struct P<'a> {
    t: &'a str,
    b: &'a [u8],
    lines: Vec<Line>,
    /// Index of the current line.
    i: usize,
    depth: usize,
    limits: Limits,
    nodes: usize,
    problems: Vec<YamlProblem>,
}

fn is_indicator(c: u8) -> bool {
    matches!(
        c,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

pub fn parse_fast(text: &str, limits: &Limits) -> Option<ParsedStream> {
    let b = text.as_bytes();
    if text.starts_with('\u{feff}') {
        return None;
    }
    let mut lines = Vec::with_capacity(b.len() / 24 + 1);
    let mut pos = 0;
    while pos < b.len() {
        // one pass per line: find the newline and reject tabs, stray CRs and `{{`
        let mut nl = None;
        let mut k = pos;
        while k < b.len() {
            match b[k] {
                b'\n' => {
                    nl = Some(k);
                    break;
                }
                b'\t' => return None,
                b'\r' if b.get(k + 1) != Some(&b'\n') => return None,
                // characters YAML does not allow (c-printable, YAML 1.2 §5.1): control
                // characters, DEL, C1 controls, U+FEFF inside the text, U+FFFE/U+FFFF (with
                // the rest of U+FEC0–U+FEFF and U+FFC0–U+FFFF, rare: declining is always
                // right). The general parser reports them; the fast path took a NUL as content
                // (found by fuzzing).
                0x00..=0x08 | 0x0b | 0x0c | 0x0e..=0x1f | 0x7f => return None,
                0xc2 if matches!(b.get(k + 1), Some(0x80..=0x9f)) => return None,
                0xef if b.get(k + 1) == Some(&0xbb) || b.get(k + 1) == Some(&0xbf) => return None,
                b'{' if b.get(k + 1) == Some(&b'{') => return None,
                _ => {}
            }
            k += 1;
        }
        let mut end = nl.unwrap_or(b.len());
        if end > pos && b[end - 1] == b'\r' {
            end -= 1;
        }
        let mut c = pos;
        while c < end && b[c] == b' ' {
            c += 1;
        }
        let kind = if c == end || b[c] == b'#' {
            LineKind::Blank
        } else if c == pos
            && b[pos..end].starts_with(b"---")
            && (end == pos + 3 || b[pos + 3] == b' ')
        {
            // `---` followed only by a comment
            let rest = text[pos + 3..end].trim_start();
            if !(rest.is_empty() || rest.starts_with('#')) {
                return None;
            }
            LineKind::DocStart
        } else if c == pos && (b[pos..end].starts_with(b"...") || b[pos] == b'%') {
            return None;
        } else {
            LineKind::Content
        };
        lines.push(Line {
            start: pos,
            end,
            content: c,
            kind,
        });
        pos = match nl {
            Some(n) => n + 1,
            None => b.len(),
        };
    }
    let mut p = P {
        t: text,
        b,
        lines,
        i: 0,
        depth: 0,
        limits: *limits,
        nodes: 0,
        problems: Vec::new(),
    };
    p.stream().ok()
}

impl<'a> P<'a> {
    fn line(&self) -> Option<&Line> {
        self.lines.get(self.i)
    }

    fn skip_blank(&mut self) {
        while let Some(l) = self.lines.get(self.i) {
            if l.kind == LineKind::Blank {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    /// The next content line (skipping blanks) without consuming it.
    fn peek_content(&self) -> Option<Line> {
        let mut j = self.i;
        while let Some(l) = self.lines.get(j) {
            match l.kind {
                LineKind::Blank => j += 1,
                LineKind::DocStart => return None,
                LineKind::Content => return Some(*l),
            }
        }
        None
    }

    fn indent_of(&self, l: &Line) -> usize {
        l.content - l.start
    }

    fn stream(&mut self) -> R<ParsedStream> {
        let mut out = ParsedStream::default();
        let mut index = 0;
        self.skip_blank();
        // an implicit first document, then one per `---`
        let mut explicit_start: Option<usize> = None;
        loop {
            self.skip_blank();
            let Some(l) = self.line().copied() else {
                if let Some(s) = explicit_start {
                    out.docs.push(ParsedDoc {
                        index,
                        span: Span::new(s, s + 3),
                        root: None,
                        problems: Vec::new(),
                    });
                }
                break;
            };
            if l.kind == LineKind::DocStart {
                if let Some(s) = explicit_start {
                    // an empty document
                    out.docs.push(ParsedDoc {
                        index,
                        span: Span::new(s, s + 3),
                        root: None,
                        problems: Vec::new(),
                    });
                    index += 1;
                }
                explicit_start = Some(l.start);
                self.i += 1;
                continue;
            }
            // content: a document
            let start = explicit_start.take().unwrap_or(l.content);
            if self.indent_of(&l) != 0 && start == l.content {
                // top-level content must start at column 0 for our block parser
                return Err(Bail);
            }
            self.nodes = 0;
            self.problems.clear();
            let root = self.block(0)?;
            if !matches!(root.kind, NodeKind::Map(_) | NodeKind::Seq(_)) || root.flow {
                // scalar or flow documents: rare in manifests, leave them to the general parser
                return Err(Bail);
            }
            // the document must end at a `---` or at the end
            self.skip_blank();
            if let Some(l2) = self.line() {
                if l2.kind != LineKind::DocStart {
                    return Err(Bail);
                }
            }
            let end = root.span.end as usize;
            out.docs.push(ParsedDoc {
                index,
                span: Span::new(start, end.max(start)),
                root: if root.is_null() { None } else { Some(root) },
                problems: std::mem::take(&mut self.problems),
            });
            index += 1;
        }
        Ok(out)
    }

    fn count(&mut self) -> R<()> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return Err(Bail);
        }
        Ok(())
    }

    /// A block node whose first line is the current line (a content line with indent ≥ 0).
    fn block(&mut self, min_indent: usize) -> R<Node> {
        self.depth += 1;
        if self.depth > self.limits.max_depth.saturating_sub(2) {
            return Err(Bail);
        }
        let l = self.line().copied().ok_or(Bail)?;
        let ind = self.indent_of(&l);
        if ind < min_indent {
            return Err(Bail);
        }
        let r = if self.is_seq_item(l.content, l.end) {
            self.seq(ind)
        } else if let Some(k) = self.key_at(l.content, l.end)? {
            self.map(ind, l.content, Some(k))
        } else {
            // a scalar (or flow collection) alone on its line
            let v = self.inline_value(
                l.content,
                l.end,
                if min_indent == 0 {
                    None
                } else {
                    Some(min_indent - 1)
                },
            )?;
            Ok(v)
        };
        self.depth -= 1;
        r
    }

    fn is_seq_item(&self, pos: usize, end: usize) -> bool {
        self.b[pos] == b'-' && (pos + 1 == end || self.b[pos + 1] == b' ')
    }

    /// If a mapping key starts at `pos`: (key node, offset of the `:`).
    fn key_at(&mut self, pos: usize, end: usize) -> R<Option<(Node, usize)>> {
        let b = self.b;
        let c = b[pos];
        if c == b'"' || c == b'\'' {
            let (node, after) = self.quoted(pos, end)?;
            let mut k = after;
            while k < end && b[k] == b' ' {
                k += 1;
            }
            if k < end && b[k] == b':' && (k + 1 == end || b[k + 1] == b' ') {
                return Ok(Some((node, k)));
            }
            return Ok(None);
        }
        if is_indicator(c)
            && !(matches!(c, b'-' | b':' | b'?') && pos + 1 < end && b[pos + 1] != b' ')
        {
            return Ok(None);
        }
        if c == b'?' {
            return Err(Bail);
        }
        let mut k = pos;
        let mut brackets = false;
        while k < end {
            match b[k] {
                b':' if k + 1 == end || b[k + 1] == b' ' => {
                    let mut ke = k;
                    while ke > pos && b[ke - 1] == b' ' {
                        ke -= 1;
                    }
                    let key = &self.t[pos..ke];
                    if key.is_empty() || brackets {
                        return Err(Bail);
                    }
                    self.count()?;
                    return Ok(Some((
                        Node::scalar(key, ScalarStyle::Plain, Span::new(pos, ke)),
                        k,
                    )));
                }
                b'#' if k > pos && b[k - 1] == b' ' => return Ok(None),
                b'[' | b']' | b'{' | b'}' | b',' => {
                    brackets = true;
                    k += 1;
                }
                _ => k += 1,
            }
        }
        Ok(None)
    }

    /// A block mapping at indent `ind`; its first key starts at `first` on the current line.
    fn map(&mut self, ind: usize, first: usize, first_key: Option<(Node, usize)>) -> R<Node> {
        let mut entries: Vec<Entry> = Vec::with_capacity(4);
        let mut key = first_key;
        let mut key_pos = first;
        self.count()?;
        loop {
            let (k, colon) = match key.take() {
                Some(k) => k,
                None => {
                    let l = self.line().copied().ok_or(Bail)?;
                    match self.key_at(key_pos, l.end)? {
                        Some(k) => k,
                        None => return Err(Bail),
                    }
                }
            };
            let l = self.line().copied().ok_or(Bail)?;
            let mut v = colon + 1;
            while v < l.end && self.b[v] == b' ' {
                v += 1;
            }
            let value = if v == l.end || self.b[v] == b'#' {
                self.i += 1;
                match self.peek_content() {
                    Some(n) if self.indent_of(&n) > ind => {
                        self.skip_blank();
                        self.block(ind + 1)?
                    }
                    Some(n) if self.indent_of(&n) == ind && self.is_seq_item(n.content, n.end) => {
                        self.skip_blank();
                        self.depth += 1;
                        let s = self.seq(ind)?;
                        self.depth -= 1;
                        s
                    }
                    _ => {
                        self.count()?;
                        Node::scalar("", ScalarStyle::Plain, Span::empty(colon))
                    }
                }
            } else {
                self.inline_value(v, l.end, Some(ind))?
            };
            entries.push(Entry { key: k, value });
            // next key at the same indentation?
            match self.peek_content() {
                Some(n) if self.indent_of(&n) == ind && !self.is_seq_item(n.content, n.end) => {
                    self.skip_blank();
                    key_pos = n.content;
                }
                Some(n) if self.indent_of(&n) > ind => return Err(Bail),
                _ => break,
            }
        }
        let start = entries[0].key.span.start as usize;
        let last = entries.last().unwrap();
        let end = last.value.span.end.max(last.key.span.end) as usize;
        let entries = finish_map_pub(entries, &mut self.problems);
        Ok(Node {
            span: Span::new(start, end),
            flow: false,
            kind: NodeKind::Map(entries),
        })
    }

    /// A block sequence whose `-` items are at indent `ind`, starting on the current line.
    fn seq(&mut self, ind: usize) -> R<Node> {
        let mut items = Vec::with_capacity(4);
        let start = self.line().ok_or(Bail)?.content;
        self.count()?;
        loop {
            let l = self.line().copied().ok_or(Bail)?;
            let mut v = l.content + 1;
            while v < l.end && self.b[v] == b' ' {
                v += 1;
            }
            let item = if v == l.end || self.b[v] == b'#' {
                self.i += 1;
                match self.peek_content() {
                    Some(n) if self.indent_of(&n) > ind => {
                        self.skip_blank();
                        self.block(ind + 1)?
                    }
                    _ => return Err(Bail), // `-` with an empty item: let the general parser decide
                }
            } else if self.is_seq_item(v, l.end) {
                return Err(Bail);
            } else if let Some(k) = self.key_at(v, l.end)? {
                let col = v - l.start;
                self.depth += 1;
                let m = self.map(col, v, Some(k))?;
                self.depth -= 1;
                m
            } else {
                self.inline_value(v, l.end, Some(ind))?
            };
            items.push(item);
            match self.peek_content() {
                Some(n) if self.indent_of(&n) == ind && self.is_seq_item(n.content, n.end) => {
                    self.skip_blank();
                }
                Some(n) if self.indent_of(&n) > ind => return Err(Bail),
                _ => break,
            }
        }
        let end = items
            .last()
            .map(|n: &Node| n.span.end as usize)
            .unwrap_or(start);
        Ok(Node {
            span: Span::new(start, end),
            flow: false,
            kind: NodeKind::Seq(items),
        })
    }

    /// A value that starts on the current line at `pos` (after `key: ` or `- `). `pind` is
    /// the indentation of the parent collection (continuation lines must not be deeper).
    /// Consumes the line (and a block scalar's lines).
    fn inline_value(&mut self, pos: usize, end: usize, pind: Option<usize>) -> R<Node> {
        let b = self.b;
        let c = b[pos];
        let node = match c {
            b'|' | b'>' => return self.block_scalar(pos, end, pind),
            b'"' | b'\'' => {
                let (n, after) = self.quoted(pos, end)?;
                self.rest_is_comment(after, end)?;
                n
            }
            b'[' | b'{' => {
                let (n, after) = self.flow(pos, end, 0)?;
                self.rest_is_comment(after, end)?;
                n
            }
            b'&' | b'*' | b'!' | b'?' | b'%' | b'@' | b'`' | b',' | b']' | b'}' | b'#' => {
                return Err(Bail)
            }
            b'-' | b':' if pos + 1 == end || b[pos + 1] == b' ' => return Err(Bail),
            _ => {
                let mut k = pos;
                let mut last = pos;
                while k < end {
                    let ch = b[k];
                    if ch == b'#' && k > pos && b[k - 1] == b' ' {
                        break;
                    }
                    if ch == b':' && (k + 1 == end || b[k + 1] == b' ') {
                        return Err(Bail);
                    }
                    if ch != b' ' {
                        last = k + 1;
                    }
                    k += 1;
                }
                self.count()?;
                Node::scalar(&self.t[pos..last], ScalarStyle::Plain, Span::new(pos, last))
            }
        };
        self.i += 1;
        // a deeper line after a single-line value would be a continuation: not ours
        if let Some(n) = self.peek_content() {
            let deeper = match pind {
                Some(p) => self.indent_of(&n) > p,
                None => true,
            };
            if deeper && !(pind.is_some() && self.indent_of(&n) == pind.unwrap()) {
                // only allowed: the next line is at the parent's level or shallower
                return Err(Bail);
            }
        }
        Ok(node)
    }

    fn rest_is_comment(&self, mut k: usize, end: usize) -> R<()> {
        let b = self.b;
        let had_space = k < end && b[k] == b' ';
        while k < end && b[k] == b' ' {
            k += 1;
        }
        if k == end || (b[k] == b'#' && had_space) {
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// A single-line quoted scalar at `pos`: (node, offset after the closing quote).
    fn quoted(&mut self, pos: usize, end: usize) -> R<(Node, usize)> {
        let b = self.b;
        let q = b[pos];
        let mut out = String::new();
        let mut k = pos + 1;
        if q == b'\'' {
            let mut seg = k;
            loop {
                if k >= end {
                    return Err(Bail);
                }
                if b[k] == b'\'' {
                    if k + 1 < end && b[k + 1] == b'\'' {
                        out.push_str(&self.t[seg..=k]);
                        k += 2;
                        seg = k;
                        continue;
                    }
                    out.push_str(&self.t[seg..k]);
                    k += 1;
                    break;
                }
                k += 1;
            }
            self.count()?;
            return Ok((
                Node::scalar(out, ScalarStyle::SingleQuoted, Span::new(pos, k)),
                k,
            ));
        }
        let mut seg = k;
        loop {
            if k >= end {
                return Err(Bail);
            }
            match b[k] {
                b'"' => {
                    out.push_str(&self.t[seg..k]);
                    k += 1;
                    break;
                }
                b'\\' => {
                    out.push_str(&self.t[seg..k]);
                    if k + 1 >= end {
                        return Err(Bail); // line continuation
                    }
                    let e = b[k + 1];
                    let mut hex = |n: usize| -> R<()> {
                        if k + 2 + n > end {
                            return Err(Bail);
                        }
                        let h = &self.t[k + 2..k + 2 + n];
                        let v = u32::from_str_radix(h, 16).map_err(|_| Bail)?;
                        out.push(char::from_u32(v).ok_or(Bail)?);
                        k += 2 + n;
                        Ok(())
                    };
                    match e {
                        b'x' => hex(2)?,
                        b'u' => hex(4)?,
                        b'U' => hex(8)?,
                        _ => {
                            let ch = match e {
                                b'0' => '\0',
                                b'a' => '\u{7}',
                                b'b' => '\u{8}',
                                b't' => '\t',
                                b'n' => '\n',
                                b'v' => '\u{b}',
                                b'f' => '\u{c}',
                                b'r' => '\r',
                                b'e' => '\u{1b}',
                                b' ' => ' ',
                                b'"' => '"',
                                b'/' => '/',
                                b'\\' => '\\',
                                b'N' => '\u{85}',
                                b'_' => '\u{a0}',
                                b'L' => '\u{2028}',
                                b'P' => '\u{2029}',
                                _ => return Err(Bail),
                            };
                            out.push(ch);
                            k += 2;
                        }
                    }
                    seg = k;
                }
                _ => k += 1,
            }
        }
        self.count()?;
        Ok((
            Node::scalar(out, ScalarStyle::DoubleQuoted, Span::new(pos, k)),
            k,
        ))
    }

    /// A flow collection on one line: (node, offset after the closing bracket).
    fn flow(&mut self, pos: usize, end: usize, depth: usize) -> R<(Node, usize)> {
        if depth > 16 {
            return Err(Bail);
        }
        let b = self.b;
        let open = b[pos];
        let close = if open == b'[' { b']' } else { b'}' };
        let mut k = pos + 1;
        let mut items: Vec<Node> = Vec::new();
        let mut entries: Vec<Entry> = Vec::new();
        self.count()?;
        let skip = |k: &mut usize| {
            while *k < end && b[*k] == b' ' {
                *k += 1;
            }
        };
        skip(&mut k);
        if k < end && b[k] == close {
            k += 1;
        } else {
            loop {
                skip(&mut k);
                if k >= end {
                    return Err(Bail);
                }
                let (first, after) = self.flow_scalar_or_collection(k, end, depth)?;
                k = after;
                skip(&mut k);
                if open == b'{' {
                    // key: value
                    if k >= end || b[k] != b':' {
                        return Err(Bail);
                    }
                    k += 1;
                    if k < end && b[k] != b' ' {
                        return Err(Bail);
                    }
                    skip(&mut k);
                    if k >= end {
                        return Err(Bail);
                    }
                    if b[k] == b',' || b[k] == b'}' {
                        return Err(Bail);
                    }
                    let (val, after) = self.flow_scalar_or_collection(k, end, depth)?;
                    k = after;
                    entries.push(Entry {
                        key: first,
                        value: val,
                    });
                } else {
                    if k < end && b[k] == b':' {
                        return Err(Bail); // single-pair mapping inside a sequence
                    }
                    items.push(first);
                }
                skip(&mut k);
                if k >= end {
                    return Err(Bail);
                }
                if b[k] == b',' {
                    k += 1;
                    skip(&mut k);
                    if k < end && b[k] == close {
                        k += 1;
                        break;
                    }
                    continue;
                }
                if b[k] == close {
                    k += 1;
                    break;
                }
                return Err(Bail);
            }
        }
        let span = Span::new(pos, k);
        let node = if open == b'[' {
            Node {
                span,
                flow: true,
                kind: NodeKind::Seq(items),
            }
        } else {
            let entries = finish_map_pub(entries, &mut self.problems);
            Node {
                span,
                flow: true,
                kind: NodeKind::Map(entries),
            }
        };
        Ok((node, k))
    }

    fn flow_scalar_or_collection(
        &mut self,
        k: usize,
        end: usize,
        depth: usize,
    ) -> R<(Node, usize)> {
        let b = self.b;
        match b[k] {
            b'[' | b'{' => self.flow(k, end, depth + 1),
            b'"' | b'\'' => self.quoted(k, end),
            c if is_indicator(c)
                && !(c == b'-'
                    && k + 1 < end
                    && !matches!(b[k + 1], b' ' | b',' | b'[' | b']' | b'{' | b'}')) =>
            {
                Err(Bail)
            }
            _ => {
                let mut e = k;
                while e < end {
                    let c = b[e];
                    if matches!(c, b',' | b'[' | b']' | b'{' | b'}') {
                        break;
                    }
                    if c == b':' && (e + 1 == end || matches!(b[e + 1], b' ' | b',' | b']' | b'}'))
                    {
                        break;
                    }
                    if c == b'#' && e > k && b[e - 1] == b' ' {
                        return Err(Bail);
                    }
                    e += 1;
                }
                let mut last = e;
                while last > k && b[last - 1] == b' ' {
                    last -= 1;
                }
                if last == k {
                    return Err(Bail);
                }
                self.count()?;
                Ok((
                    Node::scalar(&self.t[k..last], ScalarStyle::Plain, Span::new(k, last)),
                    e,
                ))
            }
        }
    }

    /// `|` / `>` block scalars (clip, strip and keep chomping; no indentation indicator).
    fn block_scalar(&mut self, pos: usize, end: usize, pind: Option<usize>) -> R<Node> {
        let b = self.b;
        let literal = b[pos] == b'|';
        let mut k = pos + 1;
        let mut chomp = 0i8; // 0 clip, -1 strip, 1 keep
        if k < end && b[k] == b'-' {
            chomp = -1;
            k += 1;
        } else if k < end && b[k] == b'+' {
            chomp = 1;
            k += 1;
        }
        if k < end && b[k].is_ascii_digit() {
            return Err(Bail);
        }
        self.rest_is_comment(k, end)
            .or(if k == end { Ok(()) } else { Err(Bail) })?;
        let parent = pind.map(|p| p as isize).unwrap_or(-1);
        self.i += 1;
        // collect content lines: blank lines and lines indented deeper than the parent
        let first = self.i;
        let mut indent: Option<usize> = None;
        let mut j = self.i;
        let mut last_content = None;
        while let Some(l) = self.lines.get(j) {
            let raw_blank = l.content == l.end;
            if raw_blank {
                j += 1;
                continue;
            }
            let li = l.content - l.start;
            if (li as isize) <= parent || l.kind == LineKind::DocStart {
                break;
            }
            match indent {
                None => indent = Some(li),
                Some(n) if li < n => return Err(Bail),
                _ => {}
            }
            last_content = Some(j);
            j += 1;
        }
        let Some(n) = indent else { return Err(Bail) };
        let last = last_content.unwrap();
        // blank lines with more spaces than the content indentation carry content: not ours
        for l in &self.lines[first..j] {
            if l.content == l.end && l.end - l.start > n {
                return Err(Bail);
            }
        }
        let mut text_lines: Vec<&str> = Vec::new();
        for l in &self.lines[first..=last] {
            if l.content == l.end {
                text_lines.push("");
            } else {
                text_lines.push(&self.t[l.start + n..l.end]);
            }
        }
        // trailing blank lines after the last content line (for keep chomping)
        let mut trailing = 0;
        let mut t = last + 1;
        while t < j {
            trailing += 1;
            t += 1;
        }
        let mut value = String::new();
        if literal {
            value = text_lines.join("\n");
        } else {
            // simple folding: runs of lines are joined by spaces, empty lines become newlines;
            // more-indented lines keep their breaks in YAML — not handled here
            if text_lines.iter().any(|l| l.starts_with(' ')) {
                return Err(Bail);
            }
            let mut prev_empty = false;
            for (idx, l) in text_lines.iter().enumerate() {
                if l.is_empty() {
                    value.push('\n');
                    prev_empty = true;
                    continue;
                }
                if idx > 0 && !prev_empty {
                    value.push(' ');
                }
                value.push_str(l);
                prev_empty = false;
            }
        }
        match chomp {
            -1 => {}
            0 => value.push('\n'),
            _ => {
                value.push('\n');
                // a final line without newline at EOF keeps no extra
                let eof_no_nl = self.lines[last].end == self.b.len();
                if eof_no_nl {
                    value.pop();
                }
                for _ in 0..trailing {
                    value.push('\n');
                }
            }
        }
        if chomp == 0 && self.lines[last].end == self.b.len() {
            // content runs to EOF without a final newline: YAML clips to no newline? it keeps
            // one only if a line break is present
            value.pop();
        }
        self.count()?;
        let start = self.lines[first..=last]
            .iter()
            .find(|l| l.content < l.end)
            .map(|l| l.start + n)
            .unwrap_or(pos);
        let span_end = self.lines[last].end;
        self.i = last + 1;
        let style = if literal {
            ScalarStyle::Literal
        } else {
            ScalarStyle::Folded
        };
        // a block scalar's lines are only indentation and text: nothing deeper may follow
        Ok(Node::scalar(value, style, Span::new(start, span_end)))
    }
}
