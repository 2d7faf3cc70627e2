//! The protocol handlers: thin. Notifications record the client's text (newest version wins)
//! and hand the work to the analysis worker; requests wait (cancellably) until the analysis
//! has caught up with the document they are about, then read the shared session.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use super::actions::{self, ClientEdits, FIX_ALL};
use super::convert::{offset, uri_to_key};
use super::nav;
use super::state::{OpenDoc, Settings, Shared};
use super::worker::{Msg, WorkerHandle};
use crate::yaml::Encoding;

pub const CMD_REPORT: &str = "ambient.migrationReport";
pub const CMD_WRITE: &str = "ambient.writeRecommendations";

#[derive(Default)]
struct ClientCaps {
    configuration: bool,
    watch_dynamic: bool,
    progress: bool,
    edits: ClientEdits,
}

pub struct Backend {
    client: Client,
    shared: Arc<Shared>,
    worker: WorkerHandle,
    caps: Mutex<ClientCaps>,
    shutting_down: AtomicBool,
}

impl Backend {
    pub fn new(client: Client, shared: Arc<Shared>, worker: WorkerHandle) -> Backend {
        Backend {
            client,
            shared,
            worker,
            caps: Mutex::new(ClientCaps::default()),
            shutting_down: AtomicBool::new(false),
        }
    }

    fn caps<T>(&self, f: impl FnOnce(&ClientCaps) -> T) -> T {
        f(&self
            .caps
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Wait until the workspace is indexed and the analysis covers the newest version of
    /// `key`. Dropped (cancelled) with the request; gives up after a while and answers with
    /// what there is.
    async fn wait_current(&self, key: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut gen = self.shared.generation.subscribe();
        let mut indexed = self.shared.indexed.subscribe();
        loop {
            if *indexed.borrow() && self.shared.is_current(key) {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                tracing::warn!("answering for {key} before its analysis caught up");
                return;
            }
            tokio::select! {
                r = gen.changed() => if r.is_err() { return },
                r = indexed.changed() => if r.is_err() { return },
                _ = tokio::time::sleep(left) => {}
            }
        }
    }

    /// Run `f` on the analysed file and byte offset of a position, once the analysis covers
    /// the document's newest version.
    async fn at_position<T>(
        &self,
        tp: TextDocumentPositionParams,
        f: impl FnOnce(&crate::analysis::Session, &crate::index::FileData, usize, Encoding) -> Option<T>,
    ) -> Option<T> {
        let key = uri_to_key(&tp.text_document.uri);
        self.wait_current(&key).await;
        let session = self
            .shared
            .session
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let enc = self.shared.encoding();
        let file = session
            .index
            .id_of(&key)
            .and_then(|id| session.index.file(id))?;
        let off = offset(file, tp.position, enc);
        f(&session, file, off, enc)
    }

    async fn read_settings(&self) -> Settings {
        if !self.caps(|c| c.configuration) {
            return self.shared.settings();
        }
        let items = vec![ConfigurationItem {
            scope_uri: None,
            section: Some("ambient".to_string()),
        }];
        match self.client.configuration(items).await {
            Ok(v) => v.first().map(Settings::from_json).unwrap_or_default(),
            Err(e) => {
                tracing::info!("workspace/configuration failed: {e}");
                self.shared.settings()
            }
        }
    }

    fn apply_settings(&self, s: Settings) -> bool {
        let mut cur = self
            .shared
            .settings
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *cur == s {
            return false;
        }
        if s.cluster.enabled {
            tracing::warn!(
                "ambient.cluster.enabled: comparing with a live cluster is not available in this build; analysing the workspace only"
            );
        }
        *cur = s;
        true
    }

    async fn index_workspace(&self) {
        let roots: Vec<PathBuf> = self
            .shared
            .roots
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let max = self.shared.settings().max_file_size_kb.saturating_mul(1024);
        let token = NumberOrString::String("ambient/indexing".to_string());
        let progress = if self.caps(|c| c.progress)
            && self
                .client
                .create_work_done_progress(token.clone())
                .await
                .is_ok()
        {
            Some(
                self.client
                    .progress(token, "Indexing Istio manifests")
                    .with_message(format!("{} folder(s)", roots.len()))
                    .with_percentage(0)
                    .begin()
                    .await,
            )
        } else {
            None
        };
        let started = Instant::now();
        let files = tokio::task::spawn_blocking(move || read_workspace(&roots, max))
            .await
            .unwrap_or_default();
        let n = files.len();
        if let Some(p) = &progress {
            p.report_with_message(format!("analysing {n} files"), 50)
                .await;
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.worker.send(Msg::Load(files, Some(tx)));
        let _ = rx.await;
        self.shared.indexed.send_replace(true);
        if let Some(p) = progress {
            p.finish_with_message(format!("{n} files")).await;
        }
        tracing::info!("indexed {n} files in {:?}", started.elapsed());
    }

    async fn register_watchers(&self) {
        if !self.caps(|c| c.watch_dynamic) {
            return;
        }
        let watchers = ["**/*.yaml", "**/*.yml", "**/*.json"]
            .iter()
            .map(|g| FileSystemWatcher {
                glob_pattern: GlobPattern::String(g.to_string()),
                kind: None,
            })
            .collect();
        let reg = Registration {
            id: "ambient-watch".to_string(),
            method: "workspace/didChangeWatchedFiles".to_string(),
            register_options: serde_json::to_value(DidChangeWatchedFilesRegistrationOptions {
                watchers,
            })
            .ok(),
        };
        if let Err(e) = self.client.register_capability(vec![reg]).await {
            tracing::info!("could not register file watchers: {e}");
        }
    }

    fn in_workspace(&self, path: &str) -> bool {
        let roots = self
            .shared
            .roots
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        roots.is_empty()
            || roots
                .iter()
                .any(|r| std::path::Path::new(path).starts_with(r))
    }

    fn report(&self) -> Value {
        let session = self
            .shared
            .session
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let roots: Vec<String> = self
            .shared
            .roots
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|r| r.display().to_string())
            .collect();
        let opts = crate::report::ReportOptions {
            ignore_failures: true,
            up_to: None,
            sources: roots,
        };
        let rep = crate::report::build(&session.index, &session.analysis, &opts);
        let mut v = crate::report::json::render(&rep, &[]);
        v["source"] =
            serde_json::json!({"kind": "workspace", "paths": v["source"]["paths"].clone()});
        v
    }

    /// The report as Markdown (what the editors show) and its one-line summary (the status bar).
    fn report_markdown(&self, links: crate::report::markdown::Links) -> Value {
        use crate::report::markdown;
        let session = self
            .shared
            .session
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let roots: Vec<String> = self
            .shared
            .roots
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|r| r.display().to_string())
            .collect();
        let opts = crate::report::ReportOptions {
            ignore_failures: true,
            up_to: None,
            sources: roots.clone(),
        };
        let rep = crate::report::build(&session.index, &session.analysis, &opts);
        let md = markdown::render(
            &rep,
            &markdown::Options {
                roots,
                links,
                docs_url: crate::report::sarif::docs_url(),
            },
        );
        serde_json::json!({
            "format": "markdown",
            "markdown": md,
            "summary": markdown::summary(&rep),
        })
    }

    fn write_recommendations(&self, dir: &std::path::Path) -> std::result::Result<Value, String> {
        let session = self
            .shared
            .session
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let opts = crate::report::ReportOptions {
            ignore_failures: true,
            up_to: None,
            sources: Vec::new(),
        };
        let rep = crate::report::build(&session.index, &session.analysis, &opts);
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let files = [
            (
                "recommended-waypoints.yaml",
                crate::report::yaml_file(
                    "Waypoints recommended by the deploy-waypoints phase",
                    &rep.waypoints,
                ),
            ),
            (
                "recommended-policies.yaml",
                crate::report::yaml_file(
                    "Policies recommended by the migrate-policies phase",
                    &rep.policies,
                ),
            ),
            ("commands.sh", rep.commands()),
        ];
        let mut out = serde_json::Map::new();
        for (name, content) in files {
            let p = crate::cli::write_atomic(dir, name, &content)
                .map_err(|e| format!("{}: {e}", dir.join(name).display()))?;
            out.insert(name.to_string(), Value::String(p.display().to_string()));
        }
        Ok(
            serde_json::json!({"outputs": out, "waypoints": rep.waypoints.len(), "policies": rep.policies.len()}),
        )
    }
}

/// Every manifest under the workspace folders (respecting .gitignore), read in parallel.
fn read_workspace(roots: &[PathBuf], max_bytes: u64) -> Vec<(String, Arc<str>)> {
    use rayon::prelude::*;
    let mut paths: Vec<PathBuf> = Vec::new();
    for r in roots {
        paths.extend(crate::sources::workspace_files(r));
    }
    paths.sort();
    paths.dedup();
    paths
        .par_iter()
        .filter_map(|p| match crate::sources::read_manifest(p, max_bytes) {
            Ok(t) => Some((p.to_string_lossy().to_string(), Arc::from(t))),
            Err(e) => {
                tracing::info!("not indexing {}: {}", p.display(), e.message());
                None
            }
        })
        .collect()
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let caps = &params.capabilities;
        let utf8 = caps
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref())
            .is_some_and(|l| l.contains(&PositionEncodingKind::UTF8));
        self.shared.set_encoding(if utf8 {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        });
        {
            let ws = caps.workspace.as_ref();
            let edit = ws.and_then(|w| w.workspace_edit.as_ref());
            let mut c = self
                .caps
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            c.configuration = ws.and_then(|w| w.configuration).unwrap_or(false);
            c.watch_dynamic = ws
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|d| d.dynamic_registration)
                .unwrap_or(false);
            c.progress = caps
                .window
                .as_ref()
                .and_then(|w| w.work_done_progress)
                .unwrap_or(false);
            c.edits = ClientEdits {
                document_changes: edit.and_then(|e| e.document_changes).unwrap_or(false),
                create_files: edit
                    .and_then(|e| e.resource_operations.as_ref())
                    .is_some_and(|ops| ops.contains(&ResourceOperationKind::Create)),
            };
        }
        let mut roots: Vec<PathBuf> = params
            .workspace_folders
            .as_ref()
            .map(|fs| {
                fs.iter()
                    .filter_map(|f| f.uri.to_file_path().map(|p| p.to_path_buf()))
                    .collect()
            })
            .unwrap_or_default();
        #[allow(deprecated)]
        if roots.is_empty() {
            if let Some(p) = params.root_uri.as_ref().and_then(|u| u.to_file_path()) {
                roots.push(p.to_path_buf());
            }
        }
        *self
            .shared
            .roots
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = roots;
        if let Some(opts) = &params.initialization_options {
            self.apply_settings(Settings::from_json(opts));
        }
        Ok(InitializeResult {
            offset_encoding: None,
            server_info: Some(ServerInfo {
                name: "ambient-lsp".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
            capabilities: ServerCapabilities {
                position_encoding: Some(if utf8 {
                    PositionEncodingKind::UTF8
                } else {
                    PositionEncodingKind::UTF16
                }),
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::FULL),
                        save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                        ..Default::default()
                    },
                )),
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![
                            CodeActionKind::QUICKFIX,
                            CodeActionKind::new(FIX_ALL),
                        ]),
                        work_done_progress_options: Default::default(),
                        resolve_provider: Some(false),
                    },
                )),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                definition_provider: Some(OneOf::Left(true)),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: vec![CMD_REPORT.to_string(), CMD_WRITE.to_string()],
                    work_done_progress_options: Default::default(),
                }),
                workspace: Some(WorkspaceServerCapabilities {
                    workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                        supported: Some(true),
                        change_notifications: Some(OneOf::Left(true)),
                    }),
                    file_operations: None,
                }),
                ..Default::default()
            },
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let s = self.read_settings().await;
        self.apply_settings(s);
        self.register_watchers().await;
        self.index_workspace().await;
    }

    async fn shutdown(&self) -> Result<()> {
        self.shutting_down.store(true, Ordering::SeqCst);
        self.worker.send(Msg::Shutdown);
        Ok(())
    }

    async fn did_open(&self, p: DidOpenTextDocumentParams) {
        let key = uri_to_key(&p.text_document.uri);
        self.shared.docs.insert(
            key.clone(),
            OpenDoc {
                version: p.text_document.version,
                text: Arc::from(p.text_document.text),
            },
        );
        self.worker.send(Msg::Open(key));
    }

    async fn did_change(&self, p: DidChangeTextDocumentParams) {
        let key = uri_to_key(&p.text_document.uri);
        let version = p.text_document.version;
        let mut changes = p.content_changes;
        {
            let Some(mut doc) = self.shared.docs.get_mut(&key) else {
                tracing::warn!("didChange for {key}, which is not open");
                return;
            };
            // full sync + version guard: a reordered, older change never overwrites a newer one
            if version <= doc.version {
                tracing::debug!(
                    "ignoring stale version {version} of {key} (have {})",
                    doc.version
                );
                return;
            }
            let text = if changes.iter().all(|c| c.range.is_none()) {
                match changes.pop() {
                    Some(c) => c.text,
                    None => return,
                }
            } else {
                // a client that sends ranges anyway: apply them in order to the stored text
                let mut t = doc.text.to_string();
                for c in changes {
                    match c.range {
                        None => t = c.text,
                        Some(r) => {
                            let enc = self.shared.encoding();
                            let lines = crate::yaml::LineIndex::new(&t);
                            let s = lines
                                .offset(&t, r.start.line, r.start.character, enc)
                                .min(t.len());
                            let e = lines
                                .offset(&t, r.end.line, r.end.character, enc)
                                .min(t.len())
                                .max(s);
                            t.replace_range(s..e, &c.text);
                        }
                    }
                }
                t
            };
            doc.version = version;
            doc.text = Arc::from(text);
        }
        self.worker.send(Msg::Open(key));
    }

    async fn did_save(&self, _: DidSaveTextDocumentParams) {}

    async fn did_close(&self, p: DidCloseTextDocumentParams) {
        let key = uri_to_key(&p.text_document.uri);
        self.shared.docs.remove(&key);
        self.worker.send(Msg::Close(key));
    }

    async fn did_change_watched_files(&self, p: DidChangeWatchedFilesParams) {
        let mut changed = Vec::new();
        let mut deleted = Vec::new();
        for c in p.changes {
            let key = uri_to_key(&c.uri);
            if !crate::sources::is_manifest(std::path::Path::new(&key)) || !self.in_workspace(&key)
            {
                continue;
            }
            if c.typ == FileChangeType::DELETED {
                deleted.push(key);
            } else {
                changed.push(key);
            }
        }
        if !changed.is_empty() {
            self.worker.send(Msg::Disk(changed));
        }
        if !deleted.is_empty() {
            self.worker.send(Msg::Deleted(deleted));
        }
    }

    async fn did_change_configuration(&self, p: DidChangeConfigurationParams) {
        let s = if p.settings.get("ambient").is_some() {
            Settings::from_json(&p.settings)
        } else {
            self.read_settings().await
        };
        let old_max = self.shared.settings().max_file_size_kb;
        if self.apply_settings(s) {
            if self.shared.settings().max_file_size_kb != old_max && *self.shared.indexed.borrow() {
                self.index_workspace().await;
            } else {
                self.worker.send(Msg::Settings);
            }
        }
    }

    async fn did_change_workspace_folders(&self, p: DidChangeWorkspaceFoldersParams) {
        {
            let mut roots = self
                .shared
                .roots
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for r in p.event.removed {
                if let Some(path) = r.uri.to_file_path() {
                    roots.retain(|x| x != &*path);
                }
            }
            for a in p.event.added {
                if let Some(path) = a.uri.to_file_path() {
                    roots.push(path.to_path_buf());
                }
            }
        }
        self.index_workspace().await;
    }

    async fn code_action(&self, p: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let key = uri_to_key(&p.text_document.uri);
        self.wait_current(&key).await;
        let shared = self.shared.clone();
        let client = self.caps(|c| c.edits);
        let range = p.range;
        let only = p.context.only;
        let out = tokio::task::spawn_blocking(move || {
            let session = shared
                .session
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            actions::code_actions(
                &session,
                &shared,
                client,
                actions::Request {
                    key: &key,
                    range,
                    only,
                },
            )
        })
        .await
        .map_err(|e| {
            let mut err = Error::internal_error();
            err.message = e.to_string().into();
            err
        })?;
        Ok(Some(out))
    }

    async fn hover(&self, p: HoverParams) -> Result<Option<Hover>> {
        Ok(self
            .at_position(p.text_document_position_params, nav::hover)
            .await)
    }

    async fn goto_definition(
        &self,
        p: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        Ok(self
            .at_position(p.text_document_position_params, nav::definition)
            .await
            .map(GotoDefinitionResponse::Scalar))
    }

    async fn execute_command(&self, p: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        // everything queued so far is analysed first
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.worker.send(Msg::Flush(tx));
        let _ = rx.await;
        let mut indexed = self.shared.indexed.subscribe();
        while !*indexed.borrow_and_update() {
            if indexed.changed().await.is_err() {
                break;
            }
        }
        match p.command.as_str() {
            CMD_REPORT => match report_format(p.arguments.first()) {
                Some(ReportFormat::Json) => Ok(Some(self.report())),
                Some(ReportFormat::Markdown(links)) => Ok(Some(self.report_markdown(links))),
                None => Err(Error::invalid_params(
                    r#"expected no argument, or {"format": "json"} or {"format": "markdown", "links": "file"|"workspace"|"none"}"#,
                )),
            },
            CMD_WRITE => {
                let arg = p.arguments.first().cloned().unwrap_or(Value::Null);
                let dir = arg
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| {
                        arg.get("folder")
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    })
                    .ok_or_else(|| {
                        Error::invalid_params("expected a folder (path or file: URI)")
                    })?;
                let dir = match dir.parse::<Uri>() {
                    Ok(u)
                        if u.as_str()
                            .get(..5)
                            .is_some_and(|s| s.eq_ignore_ascii_case("file:")) =>
                    {
                        u.to_file_path()
                            .map(|p| p.to_path_buf())
                            .ok_or_else(|| Error::invalid_params("not a file URI"))?
                    }
                    _ => PathBuf::from(dir),
                };
                match self.write_recommendations(&dir) {
                    Ok(v) => Ok(Some(v)),
                    Err(e) => Err(Error::invalid_params(e)),
                }
            }
            other => Err(Error::invalid_params(format!("unknown command {other}"))),
        }
    }
}

enum ReportFormat {
    Json,
    Markdown(crate::report::markdown::Links),
}

/// The arguments of `ambient.migrationReport`: none (or `null`) is the JSON report of the
/// contract; `{"format": "json"}`, or `{"format": "markdown", "links": …}` (or the bare string
/// `"markdown"`), where `links` is `file` (default), `workspace` or `none`.
fn report_format(arg: Option<&Value>) -> Option<ReportFormat> {
    use crate::report::markdown::Links;
    let (format, links) = match arg {
        None | Some(Value::Null) => (None, None),
        Some(Value::String(s)) => (Some(s.as_str()), None),
        Some(Value::Object(m)) => (
            match m.get("format") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.as_str()?),
            },
            match m.get("links") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.as_str()?),
            },
        ),
        Some(_) => return None,
    };
    match (format.unwrap_or("json"), links) {
        ("json", None) => Some(ReportFormat::Json),
        ("markdown", l) => Some(ReportFormat::Markdown(match l {
            None => Links::default(),
            Some(l) => Links::parse(l)?,
        })),
        _ => None,
    }
}
