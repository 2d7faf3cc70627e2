//! The workspace as the client describes it: settings (asked with `workspace/configuration`
//! when the client supports it), file watchers, and reading every manifest of the workspace
//! folders for the analysis worker.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use tower_lsp_server::ls_types::*;

use super::server::Server;
use super::state::Settings;
use super::worker::Msg;

/// How long we wait for the client to answer one of our requests (`workspace/configuration`,
/// `window/workDoneProgress/create`, `client/registerCapability`): a client that never answers
/// must not leave the workspace unindexed. Past it, we go on with defaults.
pub const CLIENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The client's settings of section `ambient` (the current ones when it cannot tell).
pub async fn read_settings(server: &Server) -> Settings {
    if !server.state.client().caps.configuration {
        return server.state.client().settings.clone();
    }
    let items = vec![ConfigurationItem {
        scope_uri: None,
        section: Some("ambient".to_string()),
    }];
    match tokio::time::timeout(CLIENT_TIMEOUT, server.client.configuration(items)).await {
        Ok(Ok(v)) => v.first().map(Settings::from_json).unwrap_or_default(),
        Err(_) => {
            tracing::warn!(
                "the client did not answer workspace/configuration in {CLIENT_TIMEOUT:?}: using the current settings"
            );
            server.state.client().settings.clone()
        }
        Ok(Err(e)) => {
            tracing::info!("workspace/configuration failed: {e}");
            server.state.client().settings.clone()
        }
    }
}

/// Use new settings. Returns whether they changed.
pub fn apply_settings(server: &Server, s: Settings) -> bool {
    let mut client = server.state.client();
    if client.settings == s {
        return false;
    }
    let cluster = s.cluster.clone();
    client.settings = s;
    drop(client);
    super::cluster::settings_changed(&server.client, &server.state, &server.worker, &cluster);
    true
}

/// Ask the client to tell us about changes to manifests on disk.
pub async fn register_watchers(server: &Server) {
    if !server.state.client().caps.watch_dynamic {
        return;
    }
    // `.gitignore`: what the workspace walk leaves out changes with it
    let mut watchers: Vec<FileSystemWatcher> = [
        "**/*.yaml",
        "**/*.yml",
        "**/*.json",
        "**/.gitignore",
        "**/.git/info/exclude",
    ]
    .iter()
    .map(|g| FileSystemWatcher {
        glob_pattern: GlobPattern::String(g.to_string()),
        kind: None,
    })
    .collect();
    // folders deleted or moved in: clients report them only to a watcher whose glob matches
    // the folder itself (the handler drops or reads the manifests under it)
    watchers.push(FileSystemWatcher {
        glob_pattern: GlobPattern::String("**/*".to_string()),
        kind: Some(WatchKind::Create | WatchKind::Delete),
    });
    let reg = Registration {
        id: "ambient-watch".to_string(),
        method: "workspace/didChangeWatchedFiles".to_string(),
        register_options: serde_json::to_value(DidChangeWatchedFilesRegistrationOptions {
            watchers,
        })
        .ok(),
    };
    match tokio::time::timeout(CLIENT_TIMEOUT, server.client.register_capability(vec![reg])).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::info!("could not register file watchers: {e}"),
        Err(_) => tracing::warn!(
            "the client did not answer client/registerCapability in {CLIENT_TIMEOUT:?}"
        ),
    }
}

/// Read every manifest of the workspace folders and have the worker analyse them (with the
/// open documents on top), reporting progress to the client.
pub async fn index(server: &Server) {
    let pending = server.state.begin_indexing();
    index_counted(server, pending).await
}

/// [`index`], counted as pending from `pending` on (taken by the caller before its first
/// `await`).
pub async fn index_counted(server: &Server, pending: super::state::Indexing) {
    let _pending = pending;
    let (roots, max, progress_cap) = {
        let client = server.state.client();
        (
            client.roots.clone(),
            client.settings.max_bytes(),
            client.caps.progress,
        )
    };
    let token = NumberOrString::String("ambient/indexing".to_string());
    let progress = if progress_cap
        && matches!(
            tokio::time::timeout(
                CLIENT_TIMEOUT,
                server.client.create_work_done_progress(token.clone())
            )
            .await,
            Ok(Ok(()))
        ) {
        Some(
            server
                .client
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
    let (files, problems) = tokio::task::spawn_blocking(move || read_workspace(&roots, max))
        .await
        .unwrap_or_default();
    let n = files.len() + problems.len();
    if let Some(p) = &progress {
        p.report_with_message(format!("analysing {n} files"), 50)
            .await;
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    server.worker.send(Msg::Load(files, problems, Some(tx)));
    let _ = rx.await;
    server.state.indexed();
    if let Some(p) = progress {
        p.finish_with_message(format!("{n} files")).await;
    }
    tracing::info!("indexed {n} files in {:?}", started.elapsed());
}

/// A file of the workspace the input policy could not read, with the problem to report.
pub type Unreadable = (String, &'static crate::rules::Rule, String);

/// Every manifest under the workspace folders, read in parallel, with the input policy the CLI
/// uses (`sources::walk_workspace`, `sources::read_manifest`): the files it cannot read
/// (binary, not UTF-8, over the size limit, symbolic link loops, dangling links) are reported,
/// as the CLI reports them, not skipped.
fn read_workspace(roots: &[PathBuf], max_bytes: u64) -> (Vec<(String, Arc<str>)>, Vec<Unreadable>) {
    use rayon::prelude::*;
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut problems: Vec<Unreadable> = Vec::new();
    for r in roots {
        let walk = crate::sources::walk_workspace(r);
        paths.extend(walk.files);
        for (p, m) in walk.problems {
            let e = crate::sources::ReadError::Walk(m);
            problems.push((p.to_string_lossy().to_string(), e.rule(), e.lsp_message()));
        }
    }
    paths.sort();
    paths.dedup();
    let read: Vec<Result<(String, Arc<str>), Unreadable>> = paths
        .par_iter()
        .filter_map(|p| match read_disk(p, max_bytes) {
            Disk::Text(t) => Some(Ok((p.to_string_lossy().to_string(), t))),
            Disk::Problem(rule, m) => Some(Err((p.to_string_lossy().to_string(), rule, m))),
            Disk::Skip => None,
        })
        .collect();
    let mut files = Vec::new();
    for r in read {
        match r {
            Ok(f) => files.push(f),
            Err(p) => problems.push(p),
        }
    }
    problems.sort_by(|a, b| a.0.cmp(&b.0));
    problems.dedup_by(|a, b| a.0 == b.0);
    (files, problems)
}

/// What the language server makes of a file on disk.
pub enum Disk {
    /// Its text.
    Text(Arc<str>),
    /// Not readable: the problem to report (as the CLI does).
    Problem(&'static crate::rules::Rule, String),
    /// Not ours to index: gone, or a file of recommendations ambient-lsp wrote.
    Skip,
}

/// Read one manifest with the input policy the CLI uses.
pub fn read_disk(p: &std::path::Path, max_bytes: u64) -> Disk {
    if !p.exists() {
        // gone, or a dangling link (reported by the walk of its folder)
        return Disk::Skip;
    }
    match crate::sources::read_manifest(p, max_bytes) {
        Ok(t) if crate::output::is_generated(&t) => {
            tracing::info!(
                "not indexing {}: a file of recommendations ambient-lsp wrote (not applied yet)",
                p.display()
            );
            Disk::Skip
        }
        Ok(t) => Disk::Text(Arc::from(t)),
        Err(e) => {
            tracing::info!("{}: {}", p.display(), e.lsp_message());
            Disk::Problem(e.rule(), e.lsp_message())
        }
    }
}
