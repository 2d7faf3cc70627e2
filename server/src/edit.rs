//! Minimal text edits that carry out a finding's actions in a manifest, leaving every other
//! byte (comments, key order, quoting, indentation, line endings) as it was: append documents,
//! delete one document, add/change/remove labels in `metadata.labels` (block or flow style).
//!
//! Pure: text in, edits out. The language server turns them into `WorkspaceEdit`s.

use crate::yaml::emit::scalar_text;
use crate::yaml::{parse_stream, Entry, Limits, LineIndex, Node, NodeKind, Span};

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
    if text.contains("\r\n") {
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
    let lines = LineIndex::new(text);
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
    let stream = parse_stream(text, &Limits::default());
    let d = stream
        .docs
        .get(doc)
        .ok_or_else(|| format!("document {} not found", doc + 1))?;
    let root = d
        .root
        .as_ref()
        .ok_or_else(|| format!("document {} does not parse", doc + 1))?;
    let meta = root
        .entry("metadata")
        .ok_or_else(|| "the object has no metadata".to_string())?;
    if !meta.value.is_map() {
        return Err("metadata is not a map".to_string());
    }
    let nl = newline(text);
    let lines = LineIndex::new(text);
    let pair = |k: &str, v: &str| format!("{}: {}", scalar_text(k), scalar_text(v));
    let mut edits = Vec::new();
    let labels = meta.value.entry("labels");
    match labels {
        Some(l) if l.value.is_map() && l.value.flow => {
            // {a: b, c: d}: rewrite the map, keeping the text of untouched entries
            let NodeKind::Map(entries) = &l.value.kind else {
                unreachable!()
            };
            let mut items: Vec<String> = Vec::new();
            let mut done: Vec<&str> = Vec::new();
            for e in entries {
                let Some(k) = key_of(e) else {
                    items.push(entry_text(text, e));
                    continue;
                };
                if remove.iter().any(|r| r == k) {
                    continue;
                }
                if let Some((_, v)) = set.iter().find(|(sk, _)| sk == k) {
                    items.push(format!(
                        "{}: {}",
                        &text[e.key.span.start as usize..e.key.span.end as usize],
                        scalar_text(v)
                    ));
                    done.push(k);
                } else {
                    items.push(entry_text(text, e));
                }
            }
            for (k, v) in set {
                if !done.contains(&k.as_str()) {
                    items.push(pair(k, v));
                }
            }
            if items.is_empty() {
                edits.push(TextEdit::replace(l.value.span, "{}"));
            } else {
                edits.push(TextEdit::replace(
                    l.value.span,
                    format!("{{{}}}", items.join(", ")),
                ));
            }
        }
        Some(l) if l.value.is_map() => {
            let NodeKind::Map(entries) = &l.value.kind else {
                unreachable!()
            };
            let indent = entries
                .first()
                .map(|e| indent_of(text, &lines, &e.key))
                .unwrap_or_default();
            let mut kept = 0usize;
            let mut done: Vec<&str> = Vec::new();
            for e in entries {
                let k = key_of(e).unwrap_or_default();
                if remove.iter().any(|r| r == k) {
                    let s = lines.line_start(lines.line_of(e.key.span.start as usize));
                    let t = next_line_start(text, e.value.span.end.max(e.key.span.end) as usize);
                    edits.push(TextEdit::replace(Span::new(s, t), ""));
                    continue;
                }
                kept += 1;
                if let Some((_, v)) = set.iter().find(|(sk, _)| sk == k) {
                    done.push(k);
                    if e.value.as_str() != Some(v.as_str()) || e.value.is_null() {
                        let span = if e.value.span.is_empty() {
                            // `key:` with no value
                            Span::empty(e.key.span.end as usize + 1)
                        } else {
                            e.value.span
                        };
                        let t = if e.value.span.is_empty() {
                            format!(" {}", scalar_text(v))
                        } else {
                            scalar_text(v)
                        };
                        edits.push(TextEdit::replace(span, t));
                    }
                }
            }
            let new: Vec<String> = set
                .iter()
                .filter(|(k, _)| !done.contains(&k.as_str()))
                .map(|(k, v)| format!("{indent}{}{nl}", pair(k, v)))
                .collect();
            if kept == 0 && new.is_empty() {
                // every label removed: drop `labels:` as well
                let s = lines.line_start(lines.line_of(l.key.span.start as usize));
                let t = next_line_start(text, l.value.span.end.max(l.key.span.end) as usize);
                edits.clear();
                edits.push(TextEdit::replace(Span::new(s, t), ""));
            } else if !new.is_empty() {
                let last = entries.last().expect("non-empty block map");
                let at = next_line_start(text, last.value.span.end.max(last.key.span.end) as usize);
                let mut s = new.concat();
                if let Some(removed) = edits
                    .iter_mut()
                    .find(|e| e.new_text.is_empty() && e.span.end as usize == at)
                {
                    // the last label is removed: its lines become the new ones
                    removed.new_text = s;
                } else {
                    if at == text.len() && !text.ends_with('\n') {
                        s = format!("{nl}{}", s.trim_end_matches(['\r', '\n']));
                    }
                    edits.push(insert_at(text, at, s, nl));
                }
            }
        }
        Some(l) => {
            // `labels:` with no value (or null): write the map in block style
            if set.is_empty() {
                return Ok(Vec::new());
            }
            if !l.value.is_null() {
                return Err("metadata.labels is not a map".to_string());
            }
            let indent = indent_of(text, &lines, &l.key);
            let body: Vec<String> = set
                .iter()
                .map(|(k, v)| format!("{nl}{indent}  {}", pair(k, v)))
                .collect();
            let end = if l.value.span.is_empty() {
                l.key.span.end as usize + 1
            } else {
                l.value.span.end as usize
            };
            let start = l.key.span.start as usize;
            let key_text = &text[start..l.key.span.end as usize];
            edits.push(TextEdit::replace(
                Span::new(start, end.min(text.len())),
                format!("{key_text}:{}", body.concat()),
            ));
        }
        None => {
            if set.is_empty() {
                return Ok(Vec::new());
            }
            let NodeKind::Map(entries) = &meta.value.kind else {
                unreachable!()
            };
            if meta.value.flow {
                // {name: x, namespace: y} → {name: x, namespace: y, labels: {k: v}}
                let items: Vec<String> = set.iter().map(|(k, v)| pair(k, v)).collect();
                let close = meta.value.span.end as usize;
                let inner_end = text[..close].rfind('}').unwrap_or(close);
                let sep = if entries.is_empty() { "" } else { ", " };
                edits.push(TextEdit::insert(
                    inner_end,
                    format!("{sep}labels: {{{}}}", items.join(", ")),
                ));
            } else {
                let last = entries.last().ok_or("metadata is empty")?;
                let indent = indent_of(text, &lines, &last.key);
                let at = next_line_start(text, last.value.span.end.max(last.key.span.end) as usize);
                let mut s = format!("{indent}labels:{nl}");
                for (k, v) in set {
                    s.push_str(&format!("{indent}  {}{nl}", pair(k, v)));
                }
                if at == text.len() && !text.ends_with('\n') {
                    s = format!("{nl}{}", s.trim_end_matches(['\r', '\n']));
                }
                edits.push(insert_at(text, at, s, nl));
            }
        }
    }
    Ok(edits)
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
