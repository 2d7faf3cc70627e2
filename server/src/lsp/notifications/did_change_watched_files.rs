//! `workspace/didChangeWatchedFiles`: manifests of the workspace created, changed or deleted
//! on disk (applied unless the document is open in the editor). An event may name a folder
//! (a folder deleted or moved in): every manifest under it goes or comes. A file the workspace
//! walk leaves out (`.gitignore`, `.git`, `node_modules`) is not indexed because an event
//! names it. A `.gitignore` (or `.git/info/exclude`) created, changed or deleted: its workspace
//! folder is walked again, files now left out leave the index and files no longer left out
//! come in.

use std::path::Path;

use tower_lsp_server::ls_types::{DidChangeWatchedFilesParams, FileChangeType};

use crate::lsp::convert::uri_to_key;
use crate::lsp::server::Server;
use crate::lsp::worker::Msg;

pub fn handle(server: &Server, p: DidChangeWatchedFilesParams) {
    let mut changed = Vec::new();
    let mut deleted = Vec::new();
    let mut rewalk: Vec<std::path::PathBuf> = Vec::new();
    {
        let mut client = server.state.client();
        for c in p.changes {
            let key = uri_to_key(&c.uri);
            let key = match key.trim_end_matches('/') {
                "" => key,
                k => k.to_string(),
            };
            let path = Path::new(&key);
            if !client.in_workspace(&key) {
                continue;
            }
            if path.file_name().is_some_and(|n| n == ".gitignore")
                || path.ends_with(".git/info/exclude")
            {
                if let Some(root) = client.root_of(path) {
                    if !rewalk.contains(&root) {
                        rewalk.push(root);
                    }
                }
                continue;
            }
            if c.typ == FileChangeType::DELETED {
                // a file, or a folder: the worker drops every indexed file under it
                deleted.push(key);
                continue;
            }
            let is_dir = path.is_dir();
            if !is_dir && !crate::sources::is_manifest(path) {
                continue;
            }
            if client.ignores(path, is_dir) {
                tracing::debug!("not indexing {key}: left out of the workspace (.gitignore)");
                continue;
            }
            if is_dir {
                let root = client.root_of(path);
                changed.extend(
                    crate::sources::workspace_files(path)
                        .into_iter()
                        .filter(|f| {
                            root.as_ref()
                                .is_none_or(|r| !crate::sources::is_ignored(r, f, false))
                        })
                        .map(|f| f.to_string_lossy().to_string()),
                );
            } else {
                client.uris.insert(key.clone(), c.uri.clone());
                changed.push(key);
            }
        }
    }
    for root in rewalk {
        let (gone, new) = ignore_rules_changed(server, &root);
        deleted.extend(gone);
        changed.extend(new);
    }
    if !changed.is_empty() {
        server.worker.send(Msg::DiskChanged(changed));
    }
    if !deleted.is_empty() {
        server.worker.send(Msg::DiskDeleted(deleted));
    }
}

/// The ignore rules of workspace folder `root` changed: the indexed files under it that its walk
/// now leaves out, and the files of its walk not indexed (open documents are kept by the
/// worker either way).
fn ignore_rules_changed(server: &Server, root: &Path) -> (Vec<String>, Vec<String>) {
    use std::collections::BTreeSet;
    let now: BTreeSet<String> = crate::sources::workspace_files(root)
        .into_iter()
        .map(|f| f.to_string_lossy().to_string())
        .collect();
    let indexed: BTreeSet<String> = {
        let session = server.state.session();
        session
            .index
            .files()
            .filter(|f| Path::new(&*f.path).starts_with(root))
            .map(|f| f.path.to_string())
            .collect()
    };
    let gone: Vec<String> = indexed.difference(&now).cloned().collect();
    let new: Vec<String> = now.difference(&indexed).cloned().collect();
    tracing::debug!(
        "ignore rules of {} changed: {} files leave the index, {} come in",
        root.display(),
        gone.len(),
        new.len()
    );
    (gone, new)
}
