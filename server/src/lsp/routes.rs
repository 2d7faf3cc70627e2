//! "Convert to HTTPRoute" on a VirtualService, and its translation in the hover — the editor side
//! of `crate::routes` (docs/routes.md). The translation is the pure `routes::translate` with the
//! workspace as its world, the one the migrate-policies rules report (RT-001…RT-005).
//!
//! - Anywhere in a mesh VirtualService whose translation is exact and not yet in the workspace:
//!   a `refactor.rewrite` action that inserts the HTTPRoutes (and subset Services and their
//!   DestinationRules) as new documents right after the VirtualService — one insertion, every
//!   other byte of the file kept.
//! - Once every object of the translation is in the workspace: an action that deletes the
//!   VirtualService's document (a Service routed by both APIs has undefined behaviour). It is
//!   never offered before, so the routing never has a gap.
//! - Hover on the VirtualService's `kind` or name: the translation as YAML, or why there is
//!   none.

use std::collections::HashMap;
use std::sync::Arc;

use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, DocumentChanges, OneOf,
    OptionalVersionedTextDocumentIdentifier, Range, TextDocumentEdit, TextEdit as LspTextEdit,
    WorkspaceEdit,
};

use super::convert::text_range;
use super::state::ServerState;
use crate::edit::{self, TextEdit};
use crate::engine::Session;
use crate::index::FileData;
use crate::model::{Body, Resource};
use crate::routes::world::crd_has_retry;
use crate::routes::{translate_in_workspace, IndexWorld, Translation, VsRef};
use crate::yaml::{emit, Encoding, Span};

/// The workspace as the translation's world.
fn world(session: &Session) -> IndexWorld<'_> {
    let facts = &session.analysis.facts;
    let retry = crd_has_retry(
        facts
            .gateway_api
            .crds
            .get("httproutes.gateway.networking.k8s.io")
            .map(|r| &**r),
    );
    IndexWorld::new(&session.index, &facts.dns_domain, retry)
}

/// The mesh VirtualService whose document holds `offset`.
fn vs_at(file: &FileData, offset: usize) -> Option<&Arc<Resource>> {
    file.resources.iter().find(|r| {
        matches!(r.body, Body::VirtualService(_))
            && (r.span.start as usize) <= offset
            && offset <= (r.span.end as usize)
    })
}

/// The translation of one VirtualService in the workspace (`None`: not mesh-bound, or no
/// `http`); `converted` when the workspace already holds it (`routes::translate_in_workspace`).
fn translation(iw: &IndexWorld, vsr: &Resource) -> Option<Translation> {
    let Body::VirtualService(vs) = &vsr.body else {
        return None;
    };
    if !vs.is_mesh_bound() || vs.http.is_empty() {
        return None;
    }
    let node = iw.node(vsr)?;
    let spec = node.get("spec")?;
    let vref = VsRef {
        namespace: &vsr.namespace,
        name: &vsr.name,
        hosts: vs.hosts.iter().map(|h| (h.value.clone(), h.span)).collect(),
        span: vs.http_span.unwrap_or(vsr.name_span),
    };
    let t = translate_in_workspace(iw, &vref, spec);
    (!t.targets.is_empty()).then_some(t)
}

fn in_workspace(session: &Session, o: &serde_json::Value) -> bool {
    let (g, k, ns, n) = crate::routes::object_key(o);
    session.index.find(&g, &k, &ns, &n).is_some()
}

fn names(t: &Translation, kind: &str) -> Vec<String> {
    t.objects
        .iter()
        .filter(|o| o["kind"] == kind)
        .map(|o| {
            let (_, _, ns, n) = crate::routes::object_key(o);
            format!("{ns}/{n}")
        })
        .collect()
}

/// Insert YAML documents right after document `doc` of `text` (at the end when it is the last).
fn insert_after(text: &str, docs: &[Span], doc: usize, yaml: &str) -> TextEdit {
    let nl = edit::newline(text);
    let body = if nl == "\n" {
        yaml.to_string()
    } else {
        yaml.replace('\n', nl)
    };
    if let (Some(cur), Some(next)) = (docs.get(doc), docs.get(doc + 1)) {
        let (ce, ns) = (cur.end as usize, next.start as usize);
        let marker = if text[ns..].starts_with("---") {
            Some(ns)
        } else {
            text.get(ce..ns)
                .and_then(|t| t.rfind("\n---"))
                .map(|i| ce + i + 1)
        };
        if let Some(at) = marker {
            if at == 0 || text.as_bytes()[at - 1] == b'\n' {
                return TextEdit::insert(at, format!("---{nl}{body}"));
            }
        }
    }
    edit::append_documents(text, yaml)
}

fn single_file_edit(
    state: &ServerState,
    file: &FileData,
    edits: Vec<TextEdit>,
    enc: Encoding,
) -> Option<WorkspaceEdit> {
    let uri = state.client().uri_for(&file.path)?;
    let lsp: Vec<LspTextEdit> = edits
        .iter()
        .map(|e| LspTextEdit {
            range: text_range(&file.text, e.span, enc),
            new_text: e.new_text.clone(),
        })
        .collect();
    let client = state.client();
    if client.caps.edits.document_changes {
        let version = client.docs.get(&*file.path).map(|d| d.version);
        Some(WorkspaceEdit {
            document_changes: Some(DocumentChanges::Edits(vec![TextDocumentEdit {
                text_document: OptionalVersionedTextDocumentIdentifier { uri, version },
                edits: lsp.into_iter().map(OneOf::Left).collect(),
            }])),
            ..Default::default()
        })
    } else {
        let mut changes = HashMap::new();
        changes.insert(uri, lsp);
        Some(WorkspaceEdit {
            changes: Some(changes),
            ..Default::default()
        })
    }
}

fn wants(only: &Option<Vec<CodeActionKind>>, kind: &CodeActionKind) -> bool {
    match only {
        None => true,
        Some(list) => list.iter().any(|k| {
            kind.as_str() == k.as_str() || kind.as_str().starts_with(&format!("{}.", k.as_str()))
        }),
    }
}

/// The route actions for the VirtualService in `range` of the file `key`.
pub fn code_actions(
    session: &Session,
    state: &ServerState,
    key: &str,
    range: Range,
    only: &Option<Vec<CodeActionKind>>,
) -> Vec<CodeActionOrCommand> {
    let kind = CodeActionKind::REFACTOR_REWRITE;
    if !wants(only, &kind) {
        return Vec::new();
    }
    let enc = state.client().encoding;
    let Some(file) = session
        .index
        .id_of(key)
        .and_then(|id| session.index.file(id))
    else {
        return Vec::new();
    };
    let offset = super::convert::offset(file, range.start, enc);
    let Some(vsr) = vs_at(file, offset) else {
        return Vec::new();
    };
    let iw = world(session);
    let mut out = Vec::new();
    let action = |title: String, edit: WorkspaceEdit| {
        CodeActionOrCommand::CodeAction(CodeAction {
            title,
            kind: Some(kind.clone()),
            diagnostics: None,
            edit: Some(edit),
            command: None,
            is_preferred: None,
            disabled: None,
            data: None,
        })
    };
    match translation(&iw, vsr) {
        Some(t) if !t.noop && t.problems.is_empty() && !t.objects.is_empty() && !t.converted => {
            let missing: Vec<&serde_json::Value> = t
                .objects
                .iter()
                .filter(|o| !in_workspace(session, o))
                .collect();
            if missing.len() == t.objects.len() {
                let yaml: Vec<String> = t.objects.iter().map(emit::to_yaml).collect();
                let e = insert_after(
                    &file.text,
                    &file.docs,
                    vsr.doc as usize,
                    &yaml.join("---\n"),
                );
                let mut title = format!(
                    "Convert to HTTPRoute: add {} next to VirtualService {}",
                    names(&t, "HTTPRoute").join(", "),
                    vsr.ns_name()
                );
                let subsets = names(&t, "Service");
                if !subsets.is_empty() {
                    title.push_str(&format!(" (with subset Services {})", subsets.join(", ")));
                }
                if let Some(we) = single_file_edit(state, file, vec![e], enc) {
                    out.push(action(title, we));
                }
            }
        }
        Some(t) if t.converted => {
            // converted already: the translation without the workspace's routes is all there
            if let Some(e) = edit::delete_document(&file.text, &file.docs, vsr.doc as usize) {
                let title = format!(
                    "Delete VirtualService {}: HTTPRoute {} replaces it",
                    vsr.ns_name(),
                    names(&t, "HTTPRoute").join(", ")
                );
                if let Some(we) = single_file_edit(state, file, vec![e], enc) {
                    out.push(action(title, we));
                }
            }
        }
        _ => {}
    }
    out
}

/// The translation of the VirtualService whose `kind` or name is at `offset`, as hover text,
/// with the span it covers.
pub fn hover(session: &Session, file: &FileData, offset: usize) -> Option<(String, Span)> {
    let vsr = vs_at(file, offset)?;
    let iw = world(session);
    let node = iw.node(vsr)?;
    let kind_span = node.entry("kind").map(|e| e.span());
    let on = |s: Span| (s.start as usize) <= offset && offset <= (s.end as usize);
    let span = if on(vsr.name_span) {
        vsr.name_span
    } else {
        kind_span.filter(|k| on(*k))?
    };
    let t = translation(&iw, vsr)?;
    let mut text = format!(
        "**HTTPRoute translation** of VirtualService {} ([routes.md](https://github.com/ambient-lsp/ambient-lsp/blob/main/docs/routes.md))\n\n",
        vsr.ns_name()
    );
    if t.converted {
        text.push_str(&format!(
            "Converted: {} in the workspace route the same way (code action *Delete VirtualService*; a Service routed by both APIs has undefined behaviour):\n\n```yaml\n",
            names(&t, "HTTPRoute").join(", ")
        ));
        let yaml: Vec<String> = t.objects.iter().map(emit::to_yaml).collect();
        text.push_str(&yaml.join("---\n"));
        text.push_str("```");
    } else if t.noop {
        text.push_str("Nothing to translate: it routes every request to the Service itself, as the waypoint does without it.");
    } else if !t.problems.is_empty() {
        text.push_str("Not translated — the HTTPRoute would route differently:\n");
        for p in &t.problems {
            text.push_str(&format!("\n- {}", p.message));
        }
    } else {
        text.push_str(&format!(
            "Same routing behaviour as {} (code action *Convert to HTTPRoute*):\n\n```yaml\n",
            names(&t, "HTTPRoute").join(", ")
        ));
        let yaml: Vec<String> = t.objects.iter().map(emit::to_yaml).collect();
        text.push_str(&yaml.join("---\n"));
        text.push_str("```");
        for n in &t.notes {
            text.push_str(&format!("\n\n- {n}"));
        }
    }
    Some((text, span))
}
