//! Between the core's byte spans and findings and the protocol's positions and diagnostics.

use std::path::Path;

use tower_lsp_server::ls_types::{
    CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location,
    NumberOrString, Position, Range, Uri,
};

use crate::finding::{Finding, Severity};
use crate::index::{FileData, Index};
use crate::rules::Rule;
use crate::yaml::{Encoding, Span};

/// The index key of a document: its file path for `file:` URIs, else the URI itself.
pub fn uri_to_key(uri: &Uri) -> String {
    if uri
        .as_str()
        .get(..5)
        .is_some_and(|s| s.eq_ignore_ascii_case("file:"))
    {
        if let Some(p) = uri.to_file_path() {
            return p.to_string_lossy().to_string();
        }
    }
    uri.as_str().to_string()
}

pub fn key_to_uri(key: &str) -> Option<Uri> {
    if key.starts_with('/') || Path::new(key).is_absolute() {
        Uri::from_file_path(key)
    } else {
        key.parse().ok()
    }
}

pub fn position(file: &FileData, offset: usize, enc: Encoding) -> Position {
    let (line, character) = file
        .lines
        .position(&file.text, offset.min(file.text.len()), enc);
    Position { line, character }
}

pub fn range(file: &FileData, span: Span, enc: Encoding) -> Range {
    Range {
        start: position(file, span.start as usize, enc),
        end: position(file, span.end as usize, enc),
    }
}

/// Byte offset of a protocol position in `text` (clamped to the text).
pub fn offset(file: &FileData, pos: Position, enc: Encoding) -> usize {
    file.lines
        .offset(&file.text, pos.line, pos.character, enc)
        .min(file.text.len())
}

pub fn text_range(text: &str, span: Span, enc: Encoding) -> Range {
    let lines = crate::yaml::LineIndex::new(text);
    let p = |o: usize| {
        let (line, character) = lines.position(text, o.min(text.len()), enc);
        Position { line, character }
    };
    Range {
        start: p(span.start as usize),
        end: p(span.end as usize),
    }
}

pub fn docs_link(rule: &Rule) -> Option<Uri> {
    rule.docs_url().parse().ok()
}

fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
    }
}

/// One finding as a diagnostic of `file`.
pub fn diagnostic(index: &Index, file: &FileData, f: &Finding, enc: Encoding) -> Diagnostic {
    let span = f.location.map(|l| l.span).unwrap_or_default();
    let mut message = f.message.clone();
    for d in &f.details {
        message.push_str("\n• ");
        message.push_str(d);
    }
    let related: Vec<DiagnosticRelatedInformation> = f
        .related
        .iter()
        .filter_map(|r| {
            let rf = index.file(r.location.file)?;
            Some(DiagnosticRelatedInformation {
                location: Location {
                    uri: key_to_uri(&rf.path)?,
                    range: range(rf, r.location.span, enc),
                },
                message: r.message.clone(),
            })
        })
        .collect();
    Diagnostic {
        range: range(file, span, enc),
        severity: Some(severity(f.severity())),
        code: Some(NumberOrString::String(f.rule.id.to_string())),
        code_description: docs_link(f.rule).map(|href| CodeDescription { href }),
        source: Some("ambient".to_string()),
        message,
        related_information: if related.is_empty() {
            None
        } else {
            Some(related)
        },
        tags: None,
        // what a client needs to pick the fixes (quickfixes are computed from the finding)
        data: Some(serde_json::json!({"phase": f.phase().id(), "fixes": f.actions.len()})),
    }
}
