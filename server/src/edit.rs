//! Minimal text edits that carry out a finding's actions in a manifest, leaving every other
//! byte (comments, key order, quoting, indentation, line endings) as it was: append documents,
//! delete one document, add/change/remove labels in `metadata.labels` (block or flow style).
//!
//! Pure: text in, edits out. The language server turns them into `WorkspaceEdit`s.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use crate::yaml::emit::scalar_text;
use crate::yaml::{parse_stream, Entry, Limits, LineIndex, Node, NodeKind, ParsedStream, Span};

/// The parse and line index of texts kept while `with_cache` runs: many edits of one text (the
/// fixes of a whole file) then parse it once instead of once each (which made whole-file code
/// actions quadratic). An entry holds its `Arc<str>`, so a `&str` with the same address and
/// length is the same, unchanged text.
#[derive(Default)]
struct Cached {
    text: Option<Arc<str>>,
    stream: Option<Rc<ParsedStream>>,
    lines: Option<Rc<LineIndex>>,
    crlf: Option<Rc<bool>>,
}

thread_local! {
    static CACHE: RefCell<Option<Vec<Cached>>> = const { RefCell::new(None) };
}

/// Run `f` with a cache of parses for the texts given to `keep` (this thread only).
pub fn with_cache<R>(f: impl FnOnce() -> R) -> R {
    struct Reset(Option<Vec<Cached>>);
    impl Drop for Reset {
        fn drop(&mut self) {
            let old = self.0.take();
            CACHE.with(|c| *c.borrow_mut() = old);
        }
    }
    let _reset = Reset(CACHE.with(|c| c.borrow_mut().replace(Vec::new())));
    f()
}

/// Keep the parse of `text` for the rest of `with_cache` (no effect outside it).
pub fn keep(text: &Arc<str>) {
    CACHE.with(|c| {
        if let Some(v) = c.borrow_mut().as_mut() {
            if !v
                .iter()
                .any(|e| e.text.as_ref().is_some_and(|t| Arc::ptr_eq(t, text)))
            {
                v.push(Cached {
                    text: Some(text.clone()),
                    ..Default::default()
                });
            }
        }
    })
}

fn cached<T>(
    text: &str,
    slot: impl Fn(&mut Cached) -> &mut Option<Rc<T>>,
    make: impl FnOnce() -> T,
) -> Rc<T> {
    let hit = CACHE.with(|c| {
        let mut c = c.borrow_mut();
        let e = c.as_mut()?.iter_mut().find(|e| {
            e.text
                .as_ref()
                .is_some_and(|t| t.as_ptr() == text.as_ptr() && t.len() == text.len())
        })?;
        Some(slot(e).clone())
    });
    match hit {
        Some(Some(v)) => v,
        Some(None) => {
            let v = Rc::new(make());
            CACHE.with(|c| {
                if let Some(e) = c.borrow_mut().as_mut().and_then(|v| {
                    v.iter_mut().find(|e| {
                        e.text
                            .as_ref()
                            .is_some_and(|t| t.as_ptr() == text.as_ptr() && t.len() == text.len())
                    })
                }) {
                    *slot(e) = Some(v.clone());
                }
            });
            v
        }
        None => Rc::new(make()),
    }
}

fn stream_of(text: &str) -> Rc<ParsedStream> {
    cached(
        text,
        |e| &mut e.stream,
        || parse_stream(text, &Limits::default()),
    )
}

fn lines_of(text: &str) -> Rc<LineIndex> {
    cached(text, |e| &mut e.lines, || LineIndex::new(text))
}

/// Replace the bytes of `span` with `new_text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    pub span: Span,
    pub new_text: String,
}

impl TextEdit {
    pub fn insert(at: usize, text: impl Into<String>) -> TextEdit {
        TextEdit {
            span: Span::empty(at),
            new_text: text.into(),
        }
    }
    pub fn replace(span: Span, text: impl Into<String>) -> TextEdit {
        TextEdit {
            span,
            new_text: text.into(),
        }
    }
}

/// Apply non-overlapping edits (any order) to `text`.
pub fn apply(text: &str, edits: &[TextEdit]) -> String {
    let mut sorted: Vec<&TextEdit> = edits.iter().collect();
    // later edits first; at the same offset keep the given order of inserts
    sorted.sort_by(|a, b| {
        b.span
            .start
            .cmp(&a.span.start)
            .then(b.span.end.cmp(&a.span.end))
    });
    let mut out = text.to_string();
    let mut bound = usize::MAX;
    for e in sorted {
        let (s, t) = (e.span.start as usize, e.span.end as usize);
        assert!(t <= bound, "overlapping edits");
        out.replace_range(s..t, &e.new_text);
        bound = s;
    }
    out
}

/// Whether two edits can be applied together.
pub fn overlaps(a: &TextEdit, b: &TextEdit) -> bool {
    let (a0, a1, b0, b1) = (a.span.start, a.span.end, b.span.start, b.span.end);
    if a0 == a1 && b0 == b1 {
        return a0 == b0;
    }
    a0 < b1 && b0 < a1 || (a0 == a1 && b0 < a0 && a0 < b1) || (b0 == b1 && a0 < b0 && b0 < a1)
}

/// The line ending a file uses.
pub fn newline(text: &str) -> &'static str {
    // a scan of the whole text: once per text while `with_cache` runs
    if *cached(text, |e| &mut e.crlf, || text.contains("\r\n")) {
        "\r\n"
    } else {
        "\n"
    }
}

fn with_newlines(s: &str, nl: &str) -> String {
    if nl == "\n" {
        s.to_string()
    } else {
        s.replace('\n', nl)
    }
}

/// An insertion at the very end of a text that ends with a line break, moved before that line
/// break (same bytes in the end). Editors disagree on the position after the last line break
/// (Neovim adds an empty line when text is inserted there); the end of the last line is safe.
fn insert_at(text: &str, at: usize, s: String, nl: &str) -> TextEdit {
    if at == text.len() && at >= nl.len() && text.ends_with(nl) && s.ends_with(nl) {
        let body = &s[..s.len() - nl.len()];
        return TextEdit::insert(at - nl.len(), format!("{nl}{body}"));
    }
    TextEdit::insert(at, s)
}

/// Append YAML documents (`docs`: one or more documents separated by `---`, ending with a
/// newline, as `yaml::emit::to_yaml_stream` writes them) at the end of `text`.
pub fn append_documents(text: &str, docs: &str) -> TextEdit {
    let nl = newline(text);
    let mut s = String::new();
    if text.trim().is_empty() {
        if !text.is_empty() && !text.ends_with('\n') {
            s.push_str(nl);
        }
    } else {
        if !text.ends_with('\n') {
            s.push_str(nl);
        }
        s.push_str("---");
        s.push_str(nl);
    }
    s.push_str(&with_newlines(docs, nl));
    if text.ends_with('\n') {
        insert_at(text, text.len(), s, nl)
    } else {
        TextEdit::insert(text.len(), s)
    }
}

/// Delete document `idx` (its `---` line included) of a file whose documents span `docs`,
/// with the comment block directly above it; a comment separated by a blank line (a file
/// header) stays.
pub fn delete_document(text: &str, docs: &[Span], idx: usize) -> Option<TextEdit> {
    let d = *docs.get(idx)?;
    let lines = lines_of(text);
    let start = lines.line_start(lines.line_of(d.start as usize));
    let end = match docs.get(idx + 1) {
        Some(next) => lines.line_start(lines.line_of(next.start as usize)),
        None => text.len(),
    };
    let mut start = start;
    if !text[d.start as usize..].starts_with("---") {
        // a comment block directly above the document (no blank line between) describes it
        let mut line = lines.line_of(start);
        while line > 0 {
            let (s, e) = lines.line_range(text, line - 1);
            let l = text[s..e].trim_start();
            if l.starts_with('#') {
                start = s;
                line -= 1;
            } else {
                break;
            }
        }
    }
    if docs.get(idx + 1).is_none() && idx > 0 {
        // the last document: also drop the separator and blank lines before it, so the file
        // keeps ending where the previous document ends
        let prev_end = docs[idx - 1].end as usize;
        let between = &text[prev_end..start];
        if between.trim().is_empty() {
            let line_end = text[prev_end..]
                .find('\n')
                .map(|i| prev_end + i + 1)
                .unwrap_or(text.len());
            start = line_end.min(start);
        }
    }
    Some(TextEdit::replace(Span::new(start, end), ""))
}

/// Delete the object at span `object` of document `doc`: the whole document when the object
/// is its root (never in JSON, which would leave the file empty and not JSON), else only the
/// `List` item (its `- ` entry, or its place in a flow sequence with its comma), every other
/// item and byte kept.
pub fn delete_object(
    text: &str,
    docs: &[Span],
    doc: usize,
    object: Span,
    style: Style,
) -> Option<TextEdit> {
    let stream = stream_of(text);
    let root = stream.docs.get(doc)?.root.as_ref()?;
    if root.span == object {
        if style == Style::Json {
            return None;
        }
        return delete_document(text, docs, doc);
    }
    let list = list_of(root, object)?;
    let items = list.entry("items")?;
    let seq = items.value.as_seq()?;
    let i = seq.iter().position(|n| n.span == object)?;
    if items.value.flow {
        let span = if seq.len() == 1 {
            object
        } else if i + 1 < seq.len() {
            Span::new(object.start as usize, seq[i + 1].span.start as usize)
        } else {
            Span::new(seq[i - 1].span.end as usize, object.end as usize)
        };
        return Some(TextEdit::replace(span, ""));
    }
    if style == Style::Json {
        return None;
    }
    let lines = lines_of(text);
    // the `-` of a block sequence entry (on the item's line or a line of its own)
    let dash = |n: &Node| -> Option<usize> {
        let before = text[..n.span.start as usize].trim_end();
        before.ends_with('-').then(|| before.len() - 1)
    };
    let item_end = |n: &Node| next_line_start(text, (n.span.end as usize).saturating_sub(1));
    if seq.len() == 1 {
        // the only item: `items: []`, what follows the entry kept
        let colon = items.key.span.end as usize + text[items.key.span.end as usize..].find(':')?;
        let mut end = item_end(&seq[0]);
        if text[..end].ends_with("\r\n") {
            end -= 2;
        } else if text[..end].ends_with('\n') {
            end -= 1;
        }
        return Some(TextEdit::replace(Span::new(colon + 1, end), " []"));
    }
    let start = lines.line_start(lines.line_of(dash(&seq[i])?));
    let end = match seq.get(i + 1) {
        Some(next) => lines.line_start(lines.line_of(dash(next)?)),
        None => item_end(&seq[i]),
    };
    Some(TextEdit::replace(Span::new(start, end), ""))
}

/// The List (a root or a nested List item) whose `items` hold the object at `object`.
fn list_of(node: &Node, object: Span) -> Option<&Node> {
    let items = node.get("items")?.as_seq()?;
    if items.iter().any(|i| i.span == object) {
        return Some(node);
    }
    items
        .iter()
        .filter(|i| i.span.start <= object.start && object.end <= i.span.end)
        .find_map(|i| list_of(i, object))
}

/// Indentation (the bytes before the key on its line) of a block map entry.
fn indent_of(text: &str, lines: &LineIndex, key: &Node) -> String {
    let ls = lines.line_start(lines.line_of(key.span.start as usize));
    let before = &text[ls..key.span.start as usize];
    if before.chars().all(|c| c == ' ') {
        before.to_string()
    } else {
        // `- key:` or similar: indent by the key's column
        " ".repeat(before.chars().count())
    }
}

/// Offset of the start of the line after the one containing `offset` (or the end of text).
fn next_line_start(text: &str, offset: usize) -> usize {
    text[offset..]
        .find('\n')
        .map(|i| offset + i + 1)
        .unwrap_or(text.len())
}

fn entry_text(text: &str, e: &Entry) -> String {
    text[e.key.span.start as usize..e.value.span.end.max(e.key.span.end) as usize].to_string()
}

fn key_of(e: &Entry) -> Option<&str> {
    e.key.as_str()
}

/// Edits that make `metadata.labels` of document `doc` hold `set` and not `remove`.
/// Errors say why the labels cannot be edited (the document does not parse, has no metadata…).
pub fn label_edits(
    text: &str,
    doc: usize,
    set: &[(String, String)],
    remove: &[String],
) -> Result<Vec<TextEdit>, String> {
    label_edits_in(text, doc, None, Style::Yaml, set, remove)
}

/// How new text is written: YAML, or JSON (quoted keys and strings, never block style) for a
/// `.json` manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Yaml,
    Json,
}

impl Style {
    /// The style of a file, by its name.
    pub fn of_path(path: &str) -> Style {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".json") {
            Style::Json
        } else {
            Style::Yaml
        }
    }
}

/// The object node with span `object` in a document root: the root itself, or an item of its
/// `items` (a `kind: List` as `kubectl get -o yaml` writes it, nested Lists included).
pub fn object_node(root: &Node, object: Span) -> Option<&Node> {
    if root.span == object {
        return Some(root);
    }
    let items = root.get("items")?.as_seq()?;
    items
        .iter()
        .filter(|i| i.span.start <= object.start && object.end <= i.span.end)
        .find_map(|i| object_node(i, object))
}

/// `label_edits` for the object at span `object` of document `doc` (`None`: the document
/// root), written in `style`.
pub fn label_edits_in(
    text: &str,
    doc: usize,
    object: Option<Span>,
    style: Style,
    set: &[(String, String)],
    remove: &[String],
) -> Result<Vec<TextEdit>, String> {
    labels_at(text, doc, object, style, &["metadata"], set, remove)
}

/// Edits that make the pod template labels of workload `kind` (the object at span `object` of
/// document `doc`, `None`: the root) hold `set` and not `remove`:
/// `spec.template.metadata.labels`, a CronJob's
/// `spec.jobTemplate.spec.template.metadata.labels`, a Pod's own `metadata.labels`.
pub fn template_label_edits(
    text: &str,
    doc: usize,
    object: Option<Span>,
    style: Style,
    kind: &str,
    set: &[(String, String)],
    remove: &[String],
) -> Result<Vec<TextEdit>, String> {
    let path: &[&str] = match kind {
        "Pod" => &["metadata"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "metadata"],
        _ => &["spec", "template", "metadata"],
    };
    labels_at(text, doc, object, style, path, set, remove)
}

/// Edits that make the `labels` of the map at `path` in the object at span `object` of
/// document `doc` hold `set` and not `remove`.
#[allow(clippy::too_many_arguments)]
fn labels_at(
    text: &str,
    doc: usize,
    object: Option<Span>,
    style: Style,
    path: &[&str],
    set: &[(String, String)],
    remove: &[String],
) -> Result<Vec<TextEdit>, String> {
    let stream = stream_of(text);
    let lines = lines_of(text);
    let d = stream
        .docs
        .get(doc)
        .ok_or_else(|| format!("document {} not found", doc + 1))?;
    let root = d
        .root
        .as_ref()
        .ok_or_else(|| format!("document {} does not parse", doc + 1))?;
    let root = match object {
        Some(span) => object_node(root, span)
            .ok_or_else(|| format!("the object is not in document {}", doc + 1))?,
        None => root,
    };
    let mut node = root;
    for key in path {
        node = &node
            .entry(key)
            .ok_or_else(|| format!("the object has no {}", path.join(".")))?
            .value;
    }
    let meta = node;
    if !meta.is_map() {
        return Err(format!("{} is not a map", path.join(".")));
    }
    let edit = LabelEdit {
        text,
        lines: &lines,
        nl: newline(text),
        set,
        remove,
        json: style == Style::Json,
    };
    if edit.json && !meta.flow {
        return Err(format!("{} is not a JSON object", path.join(".")));
    }
    match meta.entry("labels") {
        Some(l) if l.value.is_map() && l.value.flow => Ok(edit.flow_map(l)),
        Some(l) if l.value.is_map() => Ok(edit.block_map(l)),
        Some(l) => edit.empty_value(l, meta.flow),
        None => edit.absent(meta),
    }
}

/// What a label edit needs to know: the text and the labels to set and remove.
struct LabelEdit<'a> {
    text: &'a str,
    lines: &'a LineIndex,
    nl: &'static str,
    set: &'a [(String, String)],
    remove: &'a [String],
    /// Write JSON (a `.json` manifest).
    json: bool,
}

impl LabelEdit<'_> {
    fn scalar(&self, s: &str) -> String {
        if self.json {
            serde_json::Value::String(s.to_string()).to_string()
        } else {
            scalar_text(s)
        }
    }

    fn pair(&self, k: &str, v: &str) -> String {
        format!("{}: {}", self.scalar(k), self.scalar(v))
    }

    /// The separator between the entries of a flow map: `, `, or a line break and the indent
    /// of its entries when they are on lines of their own.
    fn flow_sep(&self, entries: &[Entry]) -> String {
        match entries.first() {
            Some(e) if self.multiline_flow(e) => {
                format!(",{}{}", self.nl, indent_of(self.text, self.lines, &e.key))
            }
            _ => ", ".to_string(),
        }
    }

    /// Whether a flow map entry starts a line (only spaces before it).
    fn multiline_flow(&self, e: &Entry) -> bool {
        let ls = self
            .lines
            .line_start(self.lines.line_of(e.key.span.start as usize));
        self.text[ls..e.key.span.start as usize]
            .chars()
            .all(|c| c == ' ' || c == '\t')
    }

    fn removes(&self, key: &str) -> bool {
        self.remove.iter().any(|r| r == key)
    }

    fn new_value(&self, key: &str) -> Option<&str> {
        self.set
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The whole lines of a block map entry.
    fn entry_lines(&self, e: &Entry) -> Span {
        let s = self
            .lines
            .line_start(self.lines.line_of(e.key.span.start as usize));
        let t = next_line_start(self.text, e.value.span.end.max(e.key.span.end) as usize);
        Span::new(s, t)
    }

    /// `{a: b, c: d}`: rewrite the map, keeping the text of untouched entries.
    fn flow_map(&self, labels: &Entry) -> Vec<TextEdit> {
        let NodeKind::Map(entries) = &labels.value.kind else {
            unreachable!()
        };
        let mut items: Vec<String> = Vec::new();
        let mut done: Vec<&str> = Vec::new();
        for e in entries {
            let Some(k) = key_of(e) else {
                items.push(entry_text(self.text, e));
                continue;
            };
            if self.removes(k) {
                continue;
            }
            if let Some(v) = self.new_value(k) {
                items.push(format!(
                    "{}: {}",
                    &self.text[e.key.span.start as usize..e.key.span.end as usize],
                    self.scalar(v)
                ));
                done.push(k);
            } else {
                items.push(entry_text(self.text, e));
            }
        }
        for (k, v) in self.set {
            if !done.contains(&k.as_str()) {
                items.push(self.pair(k, v));
            }
        }
        match (entries.first(), entries.last()) {
            (Some(first), Some(last)) if !items.is_empty() => {
                // keep the braces and what surrounds the entries (line breaks, indentation)
                let span = Span::new(
                    first.key.span.start as usize,
                    last.value.span.end.max(last.key.span.end) as usize,
                );
                vec![TextEdit::replace(span, items.join(&self.flow_sep(entries)))]
            }
            _ if items.is_empty() => vec![TextEdit::replace(labels.value.span, "{}")],
            _ => vec![TextEdit::replace(
                labels.value.span,
                format!("{{{}}}", items.join(", ")),
            )],
        }
    }

    /// A block map: remove lines, change values in place, add new lines after the last label.
    fn block_map(&self, labels: &Entry) -> Vec<TextEdit> {
        let NodeKind::Map(entries) = &labels.value.kind else {
            unreachable!()
        };
        let mut edits = Vec::new();
        let mut kept = 0usize;
        let mut done: Vec<&str> = Vec::new();
        for e in entries {
            let k = key_of(e).unwrap_or_default();
            if self.removes(k) {
                edits.push(TextEdit::replace(self.entry_lines(e), ""));
                continue;
            }
            kept += 1;
            if let Some(v) = self.new_value(k) {
                done.push(k);
                edits.extend(self.change_value(e, v));
            }
        }
        let indent = entries
            .first()
            .map(|e| indent_of(self.text, self.lines, &e.key))
            .unwrap_or_default();
        let new: Vec<String> = self
            .set
            .iter()
            .filter(|(k, _)| !done.contains(&k.as_str()))
            .map(|(k, v)| format!("{indent}{}{}", self.pair(k, v), self.nl))
            .collect();
        if kept == 0 && new.is_empty() {
            // every label removed: drop `labels:` as well
            return vec![TextEdit::replace(self.entry_lines(labels), "")];
        }
        if !new.is_empty() {
            let last = entries.last().expect("non-empty block map");
            let at = self.entry_lines(last).end as usize;
            self.append_lines(&mut edits, at, new.concat());
        }
        edits
    }

    /// The edit that gives entry `e` the value `v`, if it has another one.
    fn change_value(&self, e: &Entry, v: &str) -> Option<TextEdit> {
        if e.value.as_str() == Some(v) && !e.value.is_null() {
            return None;
        }
        Some(if e.value.span.is_empty() {
            // `key:` with no value
            TextEdit::replace(
                Span::empty(e.key.span.end as usize + 1),
                format!(" {}", self.scalar(v)),
            )
        } else {
            TextEdit::replace(e.value.span, self.scalar(v))
        })
    }

    /// Insert `lines` at `at` (the start of a line or the end of the text).
    fn append_lines(&self, edits: &mut Vec<TextEdit>, at: usize, mut lines: String) {
        if let Some(removed) = edits
            .iter_mut()
            .find(|e| e.new_text.is_empty() && e.span.end as usize == at)
        {
            // the last label is removed: its lines become the new ones
            removed.new_text = lines;
            return;
        }
        if at == self.text.len() && !self.text.ends_with('\n') {
            lines = format!("{}{}", self.nl, lines.trim_end_matches(['\r', '\n']));
        }
        edits.push(insert_at(self.text, at, lines, self.nl));
    }

    /// `labels:` with no value (or null): write the map in block style.
    fn empty_value(&self, labels: &Entry, in_flow: bool) -> Result<Vec<TextEdit>, String> {
        if self.set.is_empty() {
            return Ok(Vec::new());
        }
        if !labels.value.is_null() {
            return Err("metadata.labels is not a map".to_string());
        }
        if self.json || in_flow {
            let items: Vec<String> = self.set.iter().map(|(k, v)| self.pair(k, v)).collect();
            let map = format!("{{{}}}", items.join(", "));
            return Ok(vec![if labels.value.span.is_empty() {
                TextEdit::insert(labels.key.span.end as usize + 1, format!(" {map}"))
            } else {
                TextEdit::replace(labels.value.span, map)
            }]);
        }
        let indent = indent_of(self.text, self.lines, &labels.key);
        let body: String = self
            .set
            .iter()
            .map(|(k, v)| format!("{}{indent}  {}", self.nl, self.pair(k, v)))
            .collect();
        let end = if labels.value.span.is_empty() {
            labels.key.span.end as usize + 1
        } else {
            labels.value.span.end as usize
        };
        let start = labels.key.span.start as usize;
        let key_text = &self.text[start..labels.key.span.end as usize];
        Ok(vec![TextEdit::replace(
            Span::new(start, end.min(self.text.len())),
            format!("{key_text}:{body}"),
        )])
    }

    /// No `labels` in `metadata`: add it, in the style of `metadata`.
    fn absent(&self, meta: &Node) -> Result<Vec<TextEdit>, String> {
        if self.set.is_empty() {
            return Ok(Vec::new());
        }
        let NodeKind::Map(entries) = &meta.kind else {
            unreachable!()
        };
        if meta.flow {
            // {name: x, namespace: y} → {name: x, namespace: y, labels: {k: v}}
            let items: Vec<String> = self.set.iter().map(|(k, v)| self.pair(k, v)).collect();
            let entry = format!("{}: {{{}}}", self.scalar("labels"), items.join(", "));
            if let Some(last) = entries.last() {
                // after the last entry, in the map's layout
                let at = last.value.span.end.max(last.key.span.end) as usize;
                return Ok(vec![TextEdit::insert(
                    at,
                    format!("{}{entry}", self.flow_sep(entries)),
                )]);
            }
            let close = meta.span.end as usize;
            let inner_end = self.text[..close].rfind('}').unwrap_or(close);
            return Ok(vec![TextEdit::insert(inner_end, entry)]);
        }
        let last = entries.last().ok_or("metadata is empty")?;
        let indent = indent_of(self.text, self.lines, &last.key);
        let mut s = format!("{indent}labels:{}", self.nl);
        for (k, v) in self.set {
            s.push_str(&format!("{indent}  {}{}", self.pair(k, v), self.nl));
        }
        let mut edits = Vec::new();
        self.append_lines(&mut edits, self.entry_lines(last).end as usize, s);
        Ok(edits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(text: &str, set: &[(&str, &str)], remove: &[&str]) -> String {
        let set: Vec<(String, String)> = set
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let remove: Vec<String> = remove.iter().map(|s| s.to_string()).collect();
        apply(text, &label_edits(text, 0, &set, &remove).unwrap())
    }

    fn root_items(text: &str) -> (Vec<Span>, Vec<Span>) {
        let st = parse_stream(text, &Limits::default());
        let docs = st.docs.iter().map(|d| d.span).collect();
        let root = st.docs[0].root.as_ref().unwrap();
        let items = root.get("items").unwrap().as_seq().unwrap();
        (docs, items.iter().map(|i| i.span).collect())
    }

    fn delete_item(text: &str, i: usize, style: Style) -> Option<String> {
        let (docs, items) = root_items(text);
        delete_object(text, &docs, 0, items[i], style).map(|e| apply(text, &[e]))
    }

    const LIST: &str = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata:\n    name: a\n- apiVersion: v1\n  kind: Service\n  metadata:\n    name: b   # keep\n    labels:\n      app: b\n-\n  apiVersion: v1\n  kind: Service\n  metadata: {name: c}\nmetadata:\n  resourceVersion: \"\"\n";

    #[test]
    fn list_items_deleted_alone() {
        let first = delete_item(LIST, 0, Style::Yaml).unwrap();
        assert_eq!(
            first,
            LIST.replace(
                "- apiVersion: v1\n  kind: Service\n  metadata:\n    name: a\n",
                ""
            )
        );
        let last = delete_item(LIST, 2, Style::Yaml).unwrap();
        assert_eq!(
            last,
            LIST.replace(
                "-\n  apiVersion: v1\n  kind: Service\n  metadata: {name: c}\n",
                ""
            )
        );
        let one = "kind: List\nitems:\n  - kind: Service\n    metadata: {name: a}\nmetadata: {}\n";
        assert_eq!(
            delete_item(one, 0, Style::Yaml).unwrap(),
            "kind: List\nitems: []\nmetadata: {}\n"
        );
        let one = one.replace('\n', "\r\n");
        assert_eq!(
            delete_item(&one, 0, Style::Yaml).unwrap(),
            "kind: List\r\nitems: []\r\nmetadata: {}\r\n"
        );
        let flow = "kind: List\nitems: [{kind: Service, metadata: {name: a}}, {kind: Service, metadata: {name: b}}]\n";
        assert_eq!(
            delete_item(flow, 0, Style::Yaml).unwrap(),
            "kind: List\nitems: [{kind: Service, metadata: {name: b}}]\n"
        );
        assert_eq!(
            delete_item(flow, 1, Style::Yaml).unwrap(),
            "kind: List\nitems: [{kind: Service, metadata: {name: a}}]\n"
        );
        let json = "{\n  \"kind\": \"List\",\n  \"items\": [\n    {\"kind\": \"Service\", \"metadata\": {\"name\": \"a\"}},\n    {\"kind\": \"Service\", \"metadata\": {\"name\": \"b\"}}\n  ]\n}\n";
        for i in 0..2 {
            let out = delete_item(json, i, Style::Json).unwrap();
            let v: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert_eq!(v["items"].as_array().unwrap().len(), 1);
            assert_eq!(
                v["items"][0]["metadata"]["name"],
                if i == 0 { "b" } else { "a" }
            );
        }
        // the root of a JSON file is not deleted (the file would not be JSON)
        let (docs, _) = root_items(json);
        assert!(delete_object(json, &docs, 0, docs[0], Style::Json).is_none());
    }

    #[test]
    fn labels_of_a_list_item() {
        let (_, items) = root_items(LIST);
        let set = vec![("istio.io/use-waypoint".to_string(), "waypoint".to_string())];
        let out = apply(
            LIST,
            &label_edits_in(LIST, 0, Some(items[1]), Style::Yaml, &set, &[]).unwrap(),
        );
        assert_eq!(
            out,
            LIST.replace(
                "      app: b\n",
                "      app: b\n      istio.io/use-waypoint: waypoint\n"
            )
        );
        let out = apply(
            LIST,
            &label_edits_in(LIST, 0, Some(items[2]), Style::Yaml, &set, &[]).unwrap(),
        );
        assert_eq!(
            out,
            LIST.replace(
                "{name: c}",
                "{name: c, labels: {istio.io/use-waypoint: waypoint}}"
            )
        );
        let out = apply(
            LIST,
            &label_edits_in(LIST, 0, Some(items[0]), Style::Yaml, &set, &[]).unwrap(),
        );
        assert_eq!(
            out,
            LIST.replace(
                "    name: a\n",
                "    name: a\n    labels:\n      istio.io/use-waypoint: waypoint\n"
            )
        );
        // the List's own metadata is untouched
        assert!(out.ends_with("metadata:\n  resourceVersion: \"\"\n"));
    }

    #[test]
    fn json_labels_are_json() {
        let set = vec![("istio.io/dataplane-mode".to_string(), "ambient".to_string())];
        let rm = vec!["istio-injection".to_string()];
        let check = |text: &str, set: &[(String, String)], rm: &[String]| -> serde_json::Value {
            let out = apply(
                text,
                &label_edits_in(text, 0, None, Style::Json, set, rm).unwrap(),
            );
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
        };
        let t = "{\n  \"kind\": \"Namespace\",\n  \"metadata\": {\n    \"name\": \"shop\",\n    \"labels\": {\n      \"istio-injection\": \"enabled\",\n      \"team\": \"a\"\n    }\n  }\n}\n";
        let v = check(t, &set, &rm);
        assert_eq!(
            v["metadata"]["labels"],
            serde_json::json!({"team": "a", "istio.io/dataplane-mode": "ambient"})
        );
        let out = apply(
            t,
            &label_edits_in(t, 0, None, Style::Json, &set, &rm).unwrap(),
        );
        assert!(
            out.contains(
                "      \"team\": \"a\",\n      \"istio.io/dataplane-mode\": \"ambient\"\n    }"
            ),
            "{out}"
        );
        // absent labels, null labels, every label removed
        let t = "{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"shop\"}}";
        assert_eq!(
            check(t, &set, &[])["metadata"]["labels"]["istio.io/dataplane-mode"],
            "ambient"
        );
        let t = "{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"shop\", \"labels\": null}}";
        assert_eq!(
            check(t, &set, &[])["metadata"]["labels"]["istio.io/dataplane-mode"],
            "ambient"
        );
        let t = "{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"shop\", \"labels\": {\"istio-injection\": \"enabled\"}}}";
        assert_eq!(
            check(t, &[], &rm)["metadata"]["labels"],
            serde_json::json!({})
        );
        // a value that YAML would read as a boolean is a JSON string
        let t2 = vec![(
            "istio.io/ingress-use-waypoint".to_string(),
            "true".to_string(),
        )];
        assert_eq!(
            check(t, &t2, &[])["metadata"]["labels"]["istio.io/ingress-use-waypoint"],
            "true"
        );
    }

    #[test]
    fn block_labels_add_change_remove() {
        let t = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop  # the shop\n  labels:\n    istio-injection: enabled   # sidecars\n    team: a\nspec: {}\n";
        assert_eq!(
            labels(t, &[("istio.io/dataplane-mode", "ambient")], &["istio-injection"]),
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop  # the shop\n  labels:\n    team: a\n    istio.io/dataplane-mode: ambient\nspec: {}\n"
        );
        assert_eq!(
            labels(t, &[("team", "b")], &[]),
            t.replace("team: a", "team: b")
        );
        // quoting: "true" must stay a string
        assert!(labels(t, &[("istio.io/ingress-use-waypoint", "true")], &[])
            .contains("    istio.io/ingress-use-waypoint: \"true\"\n"));
    }

    #[test]
    fn labels_created_when_absent() {
        let t = "kind: Service\nmetadata:\n  name: cart\n  namespace: shop\nspec:\n  ports: [{port: 80}]\n";
        assert_eq!(
            labels(t, &[("istio.io/use-waypoint", "waypoint")], &[]),
            "kind: Service\nmetadata:\n  name: cart\n  namespace: shop\n  labels:\n    istio.io/use-waypoint: waypoint\nspec:\n  ports: [{port: 80}]\n"
        );
        let t = "kind: Service\nmetadata: {name: cart, namespace: shop}\nspec: {}\n";
        assert_eq!(
            labels(t, &[("istio.io/use-waypoint", "waypoint")], &[]),
            "kind: Service\nmetadata: {name: cart, namespace: shop, labels: {istio.io/use-waypoint: waypoint}}\nspec: {}\n"
        );
        // at the end of a file without a final newline
        let t = "kind: Namespace\nmetadata:\n  name: shop";
        assert_eq!(
            labels(t, &[("a", "b")], &[]),
            "kind: Namespace\nmetadata:\n  name: shop\n  labels:\n    a: b"
        );
    }

    #[test]
    fn flow_labels_and_crlf() {
        let t = "metadata:\n  name: shop\n  labels: {istio-injection: enabled, team: a}\n";
        assert_eq!(
            labels(
                t,
                &[("istio.io/dataplane-mode", "ambient")],
                &["istio-injection"]
            ),
            "metadata:\n  name: shop\n  labels: {team: a, istio.io/dataplane-mode: ambient}\n"
        );
        let t = "metadata:\r\n  name: shop\r\n  labels:\r\n    istio-injection: enabled\r\n";
        assert_eq!(
            labels(t, &[("x", "z")], &["istio-injection"]),
            "metadata:\r\n  name: shop\r\n  labels:\r\n    x: z\r\n"
        );
        // removing the only label removes `labels:`
        let t = "metadata:\n  name: shop\n  labels:\n    istio-injection: enabled\nspec: {}\n";
        assert_eq!(
            labels(t, &[], &["istio-injection"]),
            "metadata:\n  name: shop\nspec: {}\n"
        );
    }

    fn doc_spans(t: &str) -> Vec<Span> {
        parse_stream(t, &Limits::default())
            .docs
            .iter()
            .map(|d| d.span)
            .collect()
    }

    #[test]
    fn append_and_delete_documents() {
        let t = "a: 1 # keep\n";
        let e = append_documents(t, "b: 2\n");
        assert_eq!(apply(t, &[e]), "a: 1 # keep\n---\nb: 2\n");
        let t = "a: 1";
        assert_eq!(
            apply(t, &[append_documents(t, "b: 2\n")]),
            "a: 1\n---\nb: 2\n"
        );
        assert_eq!(apply("", &[append_documents("", "b: 2\n")]), "b: 2\n");

        let t = "# header\n\na: 1\n---\nb: 2\n---\nc: 3\n";
        let docs = doc_spans(t);
        assert_eq!(
            apply(t, &[delete_document(t, &docs, 1).unwrap()]),
            "# header\n\na: 1\n---\nc: 3\n"
        );
        assert_eq!(
            apply(t, &[delete_document(t, &docs, 2).unwrap()]),
            "# header\n\na: 1\n---\nb: 2\n"
        );
        // a file header (after a blank line) stays
        assert_eq!(
            apply(t, &[delete_document(t, &docs, 0).unwrap()]),
            "# header\n\n---\nb: 2\n---\nc: 3\n"
        );
        // a comment attached to the document goes with it
        let t = "# about a\na: 1\n---\nb: 2\n";
        let docs = doc_spans(t);
        assert_eq!(
            apply(t, &[delete_document(t, &docs, 0).unwrap()]),
            "---\nb: 2\n"
        );
    }
}
