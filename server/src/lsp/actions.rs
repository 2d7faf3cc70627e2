//! Code actions: a finding's machine-readable actions turned into minimal `WorkspaceEdit`s
//! (see `crate::edit` for the text edits themselves).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tower_lsp_server::ls_types::{
    CodeAction, CodeActionDisabled, CodeActionKind, CodeActionOrCommand, CreateFile,
    CreateFileOptions, Diagnostic, DocumentChangeOperation, DocumentChanges, OneOf,
    OptionalVersionedTextDocumentIdentifier, Position, Range, ResourceOp, TextDocumentEdit,
    TextEdit as LspTextEdit, Uri, WorkspaceEdit,
};

use super::convert::diagnostic;
use super::safety::{self, Change, Simulator};
use super::state::{ClientEdits, ServerState};
use crate::edit::{self, Style, TextEdit};
use crate::engine::Session;
use crate::finding::{Action, Finding, LabelTarget, Object};
use crate::index::FileData;
use crate::model::Resource;
use crate::yaml::{emit, Encoding};

pub const FIX_ALL: &str = "source.fixAll.ambient";

/// Edits to one file (by index key), against a known text.
struct FileEdits {
    key: String,
    text: Arc<str>,
    edits: Vec<TextEdit>,
    create: bool,
}

struct Builder<'a> {
    session: &'a Session,
    state: &'a ServerState,
    enc: Encoding,
    client: ClientEdits,
}

fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("")
}

impl Builder<'_> {
    fn file(&self, key: &str) -> Option<&Arc<FileData>> {
        let index = &self.session.index;
        index.id_of(key).and_then(|id| index.file(id))
    }

    fn workspace_edit(&self, files: Vec<FileEdits>) -> Option<WorkspaceEdit> {
        if files.iter().all(|f| f.edits.is_empty()) {
            return None;
        }
        // positions from the file's own line index when the edits are against the analysed
        // text (one scan of a text per edit made whole-file actions quadratic)
        let lsp_edits = |f: &FileEdits| -> Vec<LspTextEdit> {
            let own;
            let lines = match self.file(&f.key) {
                Some(fd) if Arc::ptr_eq(&fd.text, &f.text) => &fd.lines,
                _ => {
                    own = crate::yaml::LineIndex::new(&f.text);
                    &own
                }
            };
            let position = |o: usize| {
                let (line, character) = lines.position(&f.text, o.min(f.text.len()), self.enc);
                Position { line, character }
            };
            f.edits
                .iter()
                .map(|e| LspTextEdit {
                    range: Range {
                        start: position(e.span.start as usize),
                        end: position(e.span.end as usize),
                    },
                    new_text: e.new_text.clone(),
                })
                .collect()
        };
        if self.client.document_changes {
            let mut ops = Vec::new();
            for f in &files {
                let uri = self.state.client().uri_for(&f.key)?;
                if f.create {
                    ops.push(DocumentChangeOperation::Op(ResourceOp::Create(
                        CreateFile {
                            uri: uri.clone(),
                            options: Some(CreateFileOptions {
                                overwrite: Some(false),
                                ignore_if_exists: Some(true),
                            }),
                            annotation_id: None,
                        },
                    )));
                }
                let version = if f.create {
                    None
                } else {
                    self.state.client().docs.get(&f.key).map(|d| d.version)
                };
                ops.push(DocumentChangeOperation::Edit(TextDocumentEdit {
                    text_document: OptionalVersionedTextDocumentIdentifier { uri, version },
                    edits: lsp_edits(f).into_iter().map(OneOf::Left).collect(),
                }));
            }
            Some(WorkspaceEdit {
                changes: None,
                document_changes: Some(
                    if ops
                        .iter()
                        .all(|o| matches!(o, DocumentChangeOperation::Edit(_)))
                    {
                        DocumentChanges::Edits(
                            ops.into_iter()
                                .filter_map(|o| match o {
                                    DocumentChangeOperation::Edit(e) => Some(e),
                                    _ => None,
                                })
                                .collect(),
                        )
                    } else {
                        DocumentChanges::Operations(ops)
                    },
                ),
                change_annotations: None,
            })
        } else {
            if files.iter().any(|f| f.create) {
                return None;
            }
            let mut changes: HashMap<Uri, Vec<LspTextEdit>> = HashMap::new();
            for f in &files {
                let uri = self.state.client().uri_for(&f.key)?;
                changes.insert(uri, lsp_edits(f));
            }
            Some(WorkspaceEdit {
                changes: Some(changes),
                document_changes: None,
                change_annotations: None,
            })
        }
    }

    /// The manifest of a label target.
    fn label_target(&self, kind: &str, ns: Option<&str>, name: &str) -> Option<&Arc<Resource>> {
        let index = &self.session.index;
        match kind {
            "Namespace" => index.find("", "Namespace", "", name),
            k => index.find("", k, ns.unwrap_or(""), name),
        }
    }

    fn exists(&self, obj: &crate::finding::Object) -> bool {
        let v = obj.value();
        let api = v["apiVersion"].as_str().unwrap_or("");
        self.session
            .index
            .find(
                group_of(api),
                v["kind"].as_str().unwrap_or(""),
                v["metadata"]["namespace"].as_str().unwrap_or(""),
                v["metadata"]["name"].as_str().unwrap_or(""),
            )
            .is_some()
    }

    /// The document to delete for a `delete` action: the resource, its file and the edit.
    fn deletion(
        &self,
        resource: &crate::model::ResourceRef,
    ) -> Option<(&Arc<Resource>, &Arc<FileData>, TextEdit)> {
        let index = &self.session.index;
        let r = index.find(
            group_of(&resource.api_version),
            &resource.kind,
            resource.namespace.as_deref().unwrap_or(""),
            &resource.name,
        )?;
        let tf = index.file(r.file)?;
        edit::keep(&tf.text);
        // the object alone: a `List` item, never the List; never a JSON file's only object
        let e = edit::delete_object(
            &tf.text,
            &tf.docs,
            r.doc as usize,
            r.span,
            Style::of_path(&tf.path),
        )?;
        Some((r, tf, e))
    }

    /// Code actions for one action of a finding located in `file`.
    fn actions_for(&self, file: &FileData, a: &Action) -> Vec<(String, Vec<FileEdits>)> {
        match a {
            Action::Apply { resource, .. } if !self.exists(resource) => {
                self.add_object(file, resource)
            }
            Action::DeployWaypoint {
                namespace,
                resource,
                ..
            } if !self.exists(resource) => self.add_waypoint(file, namespace, resource),
            Action::Label {
                target,
                set,
                remove,
                ..
            } => self.label(target, set, remove),
            Action::Delete { resource, .. } => self.delete(resource),
            Action::LabelTemplate {
                workload,
                set,
                remove,
                ..
            } => self.label_template(workload, set, remove),
            _ => Vec::new(),
        }
    }

    /// The workload manifest of a `label-template` action.
    fn workload(&self, w: &crate::finding::WorkloadTarget) -> Option<&Arc<Resource>> {
        self.session.index.ns(&w.namespace).find(|r| {
            r.kind == w.kind
                && r.name == w.name
                && matches!(r.body, crate::model::Body::Workload(_))
        })
    }

    /// Set and remove labels on a workload's pod template, where it is written.
    fn label_template(
        &self,
        w: &crate::finding::WorkloadTarget,
        set: &BTreeMap<String, String>,
        remove: &[String],
    ) -> Vec<(String, Vec<FileEdits>)> {
        let Some(r) = self.workload(w) else {
            return Vec::new();
        };
        let Some(tf) = self.session.index.file(r.file) else {
            return Vec::new();
        };
        edit::keep(&tf.text);
        let set_v: Vec<(String, String)> =
            set.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        match edit::template_label_edits(
            &tf.text,
            r.doc as usize,
            Some(r.span),
            Style::of_path(&tf.path),
            &r.kind,
            &set_v,
            remove,
        ) {
            Ok(edits) if !edits.is_empty() => {
                let mut parts: Vec<String> = remove.iter().map(|k| format!("-{k}")).collect();
                parts.extend(set.iter().map(|(k, v)| format!("{k}={v}")));
                let what = if r.kind == "Pod" {
                    "Label"
                } else {
                    "Label the pod template of"
                };
                vec![(
                    format!("{what} {} {}: {}", r.kind, r.ns_name(), parts.join(" ")),
                    vec![FileEdits {
                        key: tf.path.to_string(),
                        text: tf.text.clone(),
                        edits,
                        create: false,
                    }],
                )]
            }
            Ok(_) => Vec::new(),
            Err(e) => {
                tracing::info!("no pod template label edit for {}: {e}", r.ns_name());
                Vec::new()
            }
        }
    }

    /// Append a recommended object to the file of the finding.
    fn add_object(&self, file: &FileData, resource: &Object) -> Vec<(String, Vec<FileEdits>)> {
        let object = resource.value();
        let yaml = emit::to_yaml(&object);
        // a copy attaches to the waypoint (targetRefs); an allow-from-waypoint policy
        // selects the workloads
        let what = match object["kind"].as_str() {
            // the objects of an HTTPRoute translation (docs/routes.md)
            Some("HTTPRoute") => "translation of the VirtualService",
            Some("Service") => "subset Service of the HTTPRoute translation",
            Some("DestinationRule") => "traffic policy of a subset Service",
            _ if object.pointer("/spec/targetRefs").is_some() => "copy enforced by the waypoint",
            _ => "allow traffic from the waypoint",
        };
        let title = format!(
            "Add {} {}/{} ({what})",
            resource.kind(),
            resource.namespace(),
            resource.name()
        );
        if Style::of_path(&file.path) == Style::Json {
            // never YAML into a JSON file: a YAML file beside it
            let Some(target) = yaml_beside(&file.path) else {
                return Vec::new();
            };
            let name = file_name(&target);
            return self
                .append_or_create(
                    target,
                    &yaml,
                    format!("{title} to {name}"),
                    format!("{title} in a new file {name}"),
                )
                .into_iter()
                .collect();
        }
        vec![(title, vec![append_to(file, &yaml)])]
    }

    /// Append `yaml` to the file `target` (open, indexed or on disk), or create it when the
    /// client can.
    fn append_or_create(
        &self,
        target: String,
        yaml: &str,
        title_add: String,
        title_create: String,
    ) -> Option<(String, Vec<FileEdits>)> {
        let open = self
            .state
            .client()
            .docs
            .get(&target)
            .map(|d| d.text.clone());
        let existing = open
            .or_else(|| self.file(&target).map(|f| f.text.clone()))
            .or_else(|| std::fs::read_to_string(&target).ok().map(Arc::from));
        match existing {
            Some(text) => Some((
                title_add,
                vec![FileEdits {
                    key: target,
                    edits: vec![edit::append_documents(&text, yaml)],
                    text,
                    create: false,
                }],
            )),
            None if self.client.create_files => Some((
                title_create,
                vec![FileEdits {
                    key: target,
                    text: Arc::from(""),
                    edits: vec![TextEdit::insert(0, yaml.to_string())],
                    create: true,
                }],
            )),
            None => None,
        }
    }

    /// Add a waypoint Gateway: to `waypoint.yaml` beside the namespace's manifests (created when
    /// the client can), or to the file of the finding.
    fn add_waypoint(
        &self,
        file: &FileData,
        namespace: &str,
        resource: &Object,
    ) -> Vec<(String, Vec<FileEdits>)> {
        let mut out = Vec::new();
        let yaml = emit::to_yaml(&resource.value());
        let name = resource.name();
        let index = &self.session.index;
        let anchor_path = index
            .namespace_object(namespace)
            .and_then(|r| index.file(r.file))
            .map(|fd| fd.path.to_string())
            .unwrap_or_else(|| file.path.to_string());
        if anchor_path.starts_with('/') {
            let dir = Path::new(&anchor_path).parent().unwrap_or(Path::new("/"));
            let target = dir.join("waypoint.yaml").to_string_lossy().to_string();
            out.extend(self.append_or_create(
                target,
                &yaml,
                format!("Add waypoint Gateway {namespace}/{name} to waypoint.yaml"),
                format!("Create waypoint.yaml with waypoint Gateway {namespace}/{name}"),
            ));
        }
        if Style::of_path(&file.path) == Style::Json {
            // never YAML into a JSON file
            return out;
        }
        out.push((
            format!("Add waypoint Gateway {namespace}/{name} to this file"),
            vec![append_to(file, &yaml)],
        ));
        out
    }

    /// Set and remove labels on the object the action names, where it is written.
    fn label(
        &self,
        target: &LabelTarget,
        set: &BTreeMap<String, String>,
        remove: &[String],
    ) -> Vec<(String, Vec<FileEdits>)> {
        let Some(r) = self.label_target(&target.kind, target.namespace.as_deref(), &target.name)
        else {
            return Vec::new();
        };
        let Some(tf) = self.session.index.file(r.file) else {
            return Vec::new();
        };
        edit::keep(&tf.text);
        let set_v: Vec<(String, String)> =
            set.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        match edit::label_edits_in(
            &tf.text,
            r.doc as usize,
            Some(r.span),
            Style::of_path(&tf.path),
            &set_v,
            remove,
        ) {
            Ok(edits) if !edits.is_empty() => {
                let mut parts: Vec<String> = remove.iter().map(|k| format!("-{k}")).collect();
                parts.extend(set.iter().map(|(k, v)| format!("{k}={v}")));
                vec![(
                    format!("Label {} {}: {}", target.kind, r.ns_name(), parts.join(" ")),
                    vec![FileEdits {
                        key: tf.path.to_string(),
                        text: tf.text.clone(),
                        edits,
                        create: false,
                    }],
                )]
            }
            Ok(_) => Vec::new(),
            Err(e) => {
                tracing::info!("no label edit for {}: {e}", r.ns_name());
                Vec::new()
            }
        }
    }

    /// Delete the document of a migrated resource.
    fn delete(&self, resource: &crate::model::ResourceRef) -> Vec<(String, Vec<FileEdits>)> {
        let Some((r, tf, e)) = self.deletion(resource) else {
            return Vec::new();
        };
        vec![(
            format!("Delete {} {} (migrated)", r.kind, r.ns_name()),
            vec![FileEdits {
                key: tf.path.to_string(),
                text: tf.text.clone(),
                edits: vec![e],
                create: false,
            }],
        )]
    }
}

/// The YAML file that takes what a fix adds for a JSON manifest: `x.json` → `x.ambient.yaml`.
fn yaml_beside(path: &str) -> Option<String> {
    let p = Path::new(path);
    if !p.is_absolute() {
        return None;
    }
    let stem = p.file_stem()?.to_string_lossy();
    Some(
        p.with_file_name(format!("{stem}.ambient.yaml"))
            .to_string_lossy()
            .to_string(),
    )
}

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

/// Append YAML documents to a file.
fn append_to(file: &FileData, yaml: &str) -> FileEdits {
    FileEdits {
        key: file.path.to_string(),
        text: file.text.clone(),
        edits: vec![edit::append_documents(&file.text, yaml)],
        create: false,
    }
}

/// The findings of `file` whose node overlaps `[start, end]`.
pub fn findings_at<'a>(
    session: &'a Session,
    file: &'a FileData,
    start: usize,
    end: usize,
) -> Vec<&'a Finding> {
    let mut out: Vec<&Finding> = session
        .analysis
        .findings_in(file)
        .into_iter()
        .filter(|f| {
            f.location.is_some_and(|l| {
                l.file == file.id
                    && (l.span.start as usize) <= end
                    && start <= (l.span.end as usize)
            })
        })
        .collect();
    out.sort_by_key(|f| f.location.map(|l| (l.span.start, l.span.end)));
    out
}

fn findings_in_file<'a>(session: &'a Session, file: &'a FileData) -> Vec<&'a Finding> {
    findings_at(session, file, 0, usize::MAX)
}

pub struct Request<'a> {
    pub key: &'a str,
    pub range: Range,
    pub only: Option<Vec<CodeActionKind>>,
}

fn wants(only: &Option<Vec<CodeActionKind>>, kind: &CodeActionKind) -> bool {
    match only {
        None => true,
        Some(list) => list.iter().any(|k| {
            kind.as_str() == k.as_str() || kind.as_str().starts_with(&format!("{}.", k.as_str()))
        }),
    }
}

/// A quick fix planned under the read lock: its finding's rule and diagnostic, its candidates.
struct Planned {
    rule: &'static str,
    diag: Diagnostic,
    /// A finding of deploy-waypoints: its fixes create the waypoint the later phases wait for.
    creates_waypoint: bool,
    candidates: Vec<(String, Vec<FileEdits>)>,
    /// Fixes that create the waypoint but are not safe yet: offered disabled, saying why.
    withheld: Vec<String>,
}

/// The quick fixes of the findings in the range and the fix-all action of the file. Each is
/// planned under the session's read lock, tried (`safety::Simulator`, which takes the write
/// lock for each simulation only) and turned into a workspace edit; `cancel` (set when the
/// request is cancelled) stops the work between findings and between simulations.
pub fn code_actions(
    state: &ServerState,
    req: Request,
    cancel: &AtomicBool,
) -> Vec<CodeActionOrCommand> {
    // each text parsed once for all the edits of the request
    edit::with_cache(|| code_actions_in(state, req, cancel))
}

fn code_actions_in(
    state: &ServerState,
    req: Request,
    cancel: &AtomicBool,
) -> Vec<CodeActionOrCommand> {
    let (enc, client_edits, settings, disabled_actions) = {
        let client = state.client();
        (
            client.encoding,
            client.caps.edits,
            client.settings.clone(),
            client.caps.disabled_actions,
        )
    };
    let settings = &settings;
    let quickfix = CodeActionKind::QUICKFIX;
    let fix_all = CodeActionKind::new(FIX_ALL);
    let want_fix_all = req
        .only
        .as_ref()
        .is_some_and(|_| wants(&req.only, &fix_all));
    let cancelled = || cancel.load(Ordering::Relaxed);
    let (file, mut planned, fix_all_findings) = {
        let session = state.session();
        let b = Builder {
            session: &session,
            state,
            enc,
            client: client_edits,
        };
        let Some(file) = b.file(req.key).cloned() else {
            return Vec::new();
        };
        edit::keep(&file.text);
        let mut planned = Vec::new();
        let order = safety::Order::new(&session);
        if wants(&req.only, &quickfix) {
            let start = super::convert::offset(&file, req.range.start, enc);
            let end = super::convert::offset(&file, req.range.end, enc);
            for f in findings_at(&session, &file, start, end) {
                if cancelled() {
                    return Vec::new();
                }
                if !settings.phase_enabled(f.phase()) || !order.allows(f) {
                    continue;
                }
                let mut candidates = Vec::new();
                for a in &f.actions {
                    candidates.extend(b.actions_for(&file, a));
                }
                if candidates.is_empty() {
                    continue;
                }
                planned.push(Planned {
                    rule: f.rule.id,
                    diag: diagnostic(&session.index, &file, f, enc),
                    creates_waypoint: f.phase() == crate::finding::Phase::DeployWaypoints,
                    candidates,
                    withheld: Vec::new(),
                });
            }
        }
        let findings: Vec<Finding> = if want_fix_all {
            findings_in_file(&session, &file)
                .into_iter()
                .filter(|f| settings.phase_enabled(f.phase()) && order.allows(f))
                .filter(|f| !f.actions.is_empty())
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        (file, planned, findings)
    };
    // every fix offered is tried first (docs/robustness.md, "Safe fixes")
    let mut sim = Simulator::new(state, cancel);
    for p in &mut planned {
        let mut withheld = Vec::new();
        p.candidates.retain(|(title, edits)| {
            let tried = sim.skipped;
            let ok = sim.safe(&changes(edits));
            // a fix that unblocks the migration but would add a problem now (W020 creating the
            // waypoint of a namespace already labelled `istio.io/use-waypoint` by hand, while
            // the policies the waypoint must enforce are not copied: U008) stays in sight,
            // disabled, saying what to apply first — never as an edit that adds an error
            if !ok && p.creates_waypoint && sim.skipped == tried {
                withheld.push(title.clone());
            }
            ok
        });
        if disabled_actions {
            p.withheld = withheld;
        }
    }
    let fix_all_edits = if want_fix_all && !cancelled() {
        fix_all_edits(state, enc, client_edits, &file, &fix_all_findings, &mut sim)
    } else {
        None
    };
    if sim.skipped > 0 {
        tracing::info!(
            "{} fix(es) of {} not offered: not tried within the request's bounds ({} tried)",
            sim.skipped,
            file.path,
            sim.runs
        );
    }
    if cancelled() {
        return Vec::new();
    }
    let session = state.session();
    let b = Builder {
        session: &session,
        state,
        enc,
        client: client_edits,
    };
    let mut out = Vec::new();
    for p in planned {
        for title in p.withheld {
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!(
                    "{title} [{}] (after the other fixes of this namespace)",
                    p.rule
                ),
                kind: Some(quickfix.clone()),
                diagnostics: Some(vec![p.diag.clone()]),
                edit: None,
                command: None,
                is_preferred: Some(false),
                disabled: Some(CodeActionDisabled {
                    reason: WITHHELD_REASON.to_string(),
                }),
                data: None,
            }));
        }
        let single = p.candidates.len() == 1;
        for (title, edits) in p.candidates {
            if let Some(edit) = b.workspace_edit(edits) {
                out.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: format!("{title} [{}]", p.rule),
                    kind: Some(quickfix.clone()),
                    diagnostics: Some(vec![p.diag.clone()]),
                    edit: Some(edit),
                    command: None,
                    is_preferred: Some(single),
                    disabled: None,
                    data: None,
                }));
            }
        }
    }
    if let Some((edits, count, elsewhere)) = fix_all_edits {
        if let Some(a) = fix_all_action(&b, &file, edits, count, elsewhere) {
            out.push(CodeActionOrCommand::CodeAction(a));
        }
    }
    out
}

/// Why a fix that creates the waypoint is offered disabled (docs/robustness.md, "Safe fixes").
pub const WITHHELD_REASON: &str = "Applying this now would add an error or warning: apply the other fixes of this namespace first (the policy copies the waypoint must enforce, migrate-policies), then this fix is enabled";

/// The edits of `files` as a simulation takes them.
fn changes(files: &[FileEdits]) -> Vec<Change<'_>> {
    files
        .iter()
        .map(|f| Change {
            key: &f.key,
            text: &f.text,
            edits: &f.edits,
        })
        .collect()
}

/// Every fix of `findings` (this file's) that edits only this file, merged into one edit: all
/// of them when together they are safe, else those that, added one by one, stay safe (while
/// the request's bounds allow). With the number of quick fixes carried out and of those left
/// out because they edit other files or are alternatives.
fn fix_all_edits(
    state: &ServerState,
    enc: Encoding,
    client: ClientEdits,
    file: &Arc<FileData>,
    findings: &[Finding],
    sim: &mut Simulator,
) -> Option<(Vec<TextEdit>, usize, usize)> {
    let style = Style::of_path(&file.path);
    let collect = |set: &[&Finding]| {
        let session = state.session();
        let b = Builder {
            session: &session,
            state,
            enc,
            client,
        };
        let fixes = FileFixes::collect(&b, file, set);
        let elsewhere = fixes.elsewhere;
        let (edits, count) = fixes.merge(&file.text, style);
        (edits, count, elsewhere)
    };
    let try_set_with = |set: &[&Finding], sim: &mut Simulator, anyway: bool| {
        let r = collect(set);
        let change = [Change {
            key: &file.path,
            text: &file.text,
            edits: &r.0,
        }];
        let ok = if anyway {
            sim.safe_anyway(&change)
        } else {
            sim.safe(&change)
        };
        ok.then_some(r)
    };
    let try_set = |set: &[&Finding], sim: &mut Simulator| try_set_with(set, sim, false);
    let all: Vec<&Finding> = findings.iter().collect();
    let r = match try_set(&all, sim) {
        Some(all) => all,
        None => {
            // the fixes of each finding alone first (a simulation of its own documents), then
            // those safe alone all together; one by one only when they are not safe together
            // (each step simulates all that is kept: quadratic, so within the request's bounds;
            // the first is known safe, its verdict is cached)
            let mut alone: Vec<&Finding> = Vec::new();
            for f in &all {
                if sim.exhausted() {
                    break;
                }
                if try_set(std::slice::from_ref(f), sim).is_some() {
                    alone.push(f);
                }
            }
            // this one even when the bounds are spent: its cost is linear in the file
            match try_set_with(&alone, sim, true) {
                Some(r) if !alone.is_empty() => r,
                _ => {
                    let mut kept: Vec<&Finding> = Vec::new();
                    let mut best = (Vec::new(), 0, 0);
                    for f in &alone {
                        if sim.exhausted() {
                            break;
                        }
                        kept.push(f);
                        match try_set(&kept, sim) {
                            Some(r) => best = r,
                            None => {
                                kept.pop();
                            }
                        }
                    }
                    best
                }
            }
        }
    };
    (!r.0.is_empty()).then_some(r)
}

/// The fix-all action of `file`. Its title counts the quick fixes it carries out, and those
/// left out: they edit other files, or are one of several alternatives (where to put a
/// waypoint).
fn fix_all_action(
    b: &Builder,
    file: &FileData,
    edits: Vec<TextEdit>,
    count: usize,
    elsewhere: usize,
) -> Option<CodeAction> {
    if edits.is_empty() {
        return None;
    }
    let edit = b.workspace_edit(vec![FileEdits {
        key: file.path.to_string(),
        text: file.text.clone(),
        edits,
        create: false,
    }])?;
    Some(CodeAction {
        title: format!(
            "Apply all {count} ambient migration fix{} of this file{}",
            if count == 1 { "" } else { "es" },
            match elsewhere {
                0 => String::new(),
                1 => " (1 more quick fix edits another file or is an alternative: apply it by itself)"
                    .to_string(),
                n => format!(
                    " ({n} more quick fixes edit other files or are alternatives: apply them by themselves)"
                ),
            }
        ),
        kind: Some(CodeActionKind::new(FIX_ALL)),
        diagnostics: None,
        edit: Some(edit),
        command: None,
        is_preferred: None,
        disabled: None,
        data: None,
    })
}

/// Labels to set and to remove on one document.
type LabelChange = (BTreeMap<String, String>, Vec<String>);

/// The actions of one file's findings that edit only that file, gathered by kind, with the
/// number of quick fixes each carries out (several findings may offer the same fix).
#[derive(Default)]
struct FileFixes {
    /// Documents to append, by resource key (one per resource).
    appends: BTreeMap<String, (String, usize)>,
    /// Label changes by object: (document, span of the object — a `List` item or the root).
    labels: BTreeMap<(u32, u32, u32), (LabelChange, usize)>,
    /// Pod template label changes by object (as `labels`), with the workload's kind.
    templates: BTreeMap<(u32, u32, u32), (String, LabelChange, usize)>,
    deletes: Vec<TextEdit>,
    /// Quick fixes of the file's findings left out of the fix-all edit (other files, alternatives).
    elsewhere: usize,
}

impl FileFixes {
    fn collect(b: &Builder, file: &FileData, findings: &[&Finding]) -> FileFixes {
        let mut fixes = FileFixes::default();
        for f in findings {
            for a in &f.actions {
                if !fixes.add(b, file, a) {
                    fixes.elsewhere += b.actions_for(file, a).len();
                }
            }
        }
        fixes
    }

    /// Whether the action is taken (it edits this file only).
    fn add(&mut self, b: &Builder, file: &FileData, a: &Action) -> bool {
        let merge = |e: &mut LabelChange, set: &BTreeMap<String, String>, remove: &[String]| {
            for (k, v) in set {
                e.0.insert(k.clone(), v.clone());
            }
            for k in remove {
                if !e.1.contains(k) {
                    e.1.push(k.clone());
                }
            }
        };
        match a {
            Action::Apply { resource, .. } if !b.exists(resource) => {
                self.appends
                    .entry(resource.key())
                    .or_insert_with(|| (emit::to_yaml(&resource.value()), 0))
                    .1 += 1;
                true
            }
            Action::Label {
                target,
                set,
                remove,
                ..
            } => {
                let Some(r) =
                    b.label_target(&target.kind, target.namespace.as_deref(), &target.name)
                else {
                    return false;
                };
                if r.file != file.id {
                    return false;
                }
                let (e, n) = self
                    .labels
                    .entry((r.doc, r.span.start, r.span.end))
                    .or_default();
                *n += 1;
                merge(e, set, remove);
                true
            }
            Action::LabelTemplate {
                workload,
                set,
                remove,
                ..
            } => {
                let Some(r) = b.workload(workload) else {
                    return false;
                };
                if r.file != file.id {
                    return false;
                }
                let (_, e, n) = self
                    .templates
                    .entry((r.doc, r.span.start, r.span.end))
                    .or_insert_with(|| (r.kind.to_string(), LabelChange::default(), 0));
                *n += 1;
                merge(e, set, remove);
                true
            }
            Action::Delete { resource, .. } => match b.deletion(resource) {
                Some((_, tf, e)) if tf.id == file.id => {
                    self.deletes.push(e);
                    true
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// The edits that do not overlap (labels first, then pod templates, deletions, appended
    /// documents) and the number of fixes they carry out.
    fn merge(self, text: &str, style: Style) -> (Vec<TextEdit>, usize) {
        let mut edits = Taken::default();
        let mut count = 0;
        let free = |e: &TextEdit, edits: &Taken| edits.free(e);
        let keep = |set: BTreeMap<String, String>, remove: &[String]| -> Vec<(String, String)> {
            set.into_iter()
                .filter(|(k, _)| !remove.contains(k))
                .collect()
        };
        for ((doc, start, end), ((set, remove), n)) in self.labels {
            let set = keep(set, &remove);
            let object = Some(crate::yaml::Span { start, end });
            if let Ok(es) = edit::label_edits_in(text, doc as usize, object, style, &set, &remove) {
                if es.iter().all(|e| free(e, &edits)) {
                    count += n;
                    es.into_iter().for_each(|e| edits.push(e));
                }
            }
        }
        for ((doc, start, end), (kind, (set, remove), n)) in self.templates {
            let set = keep(set, &remove);
            let object = Some(crate::yaml::Span { start, end });
            if let Ok(es) =
                edit::template_label_edits(text, doc as usize, object, style, &kind, &set, &remove)
            {
                if es.iter().all(|e| free(e, &edits)) {
                    count += n;
                    es.into_iter().for_each(|e| edits.push(e));
                }
            }
        }
        for d in self.deletes {
            if free(&d, &edits) {
                count += 1;
                edits.push(d);
            }
        }
        // never YAML documents appended to a JSON file
        if !self.appends.is_empty() && style == Style::Yaml {
            let n: usize = self.appends.values().map(|(_, n)| n).sum();
            let docs: Vec<String> = self.appends.into_values().map(|(d, _)| d).collect();
            let e = edit::append_documents(text, &docs.join("---\n"));
            if free(&e, &edits) {
                count += n;
                edits.push(e);
            }
        }
        (edits.edits, count)
    }
}

/// The edits taken so far, which do not overlap, with their spans in order: whether another
/// overlaps one of them is a look at its neighbours, not a scan (a fix-all of thousands of
/// fixes).
#[derive(Default)]
struct Taken {
    edits: Vec<TextEdit>,
    spans: std::collections::BTreeSet<(u32, u32, usize)>,
}

impl Taken {
    fn free(&self, e: &TextEdit) -> bool {
        // the edits taken are disjoint: those starting up to `e`'s end, backwards, until one
        // ends before `e` starts
        for &(_, end, i) in self
            .spans
            .range(..=(e.span.end, u32::MAX, usize::MAX))
            .rev()
        {
            if edit::overlaps(e, &self.edits[i]) {
                return false;
            }
            if end < e.span.start {
                break;
            }
        }
        true
    }

    fn push(&mut self, e: TextEdit) {
        self.spans
            .insert((e.span.start, e.span.end, self.edits.len()));
        self.edits.push(e);
    }
}
