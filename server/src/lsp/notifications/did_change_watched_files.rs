//! `workspace/didChangeWatchedFiles`: manifests of the workspace created, changed or deleted
//! on disk (applied unless the document is open in the editor).

use tower_lsp_server::ls_types::{DidChangeWatchedFilesParams, FileChangeType};

use crate::lsp::convert::uri_to_key;
use crate::lsp::server::Server;
use crate::lsp::worker::Msg;

pub fn handle(server: &Server, p: DidChangeWatchedFilesParams) {
    let mut changed = Vec::new();
    let mut deleted = Vec::new();
    {
        let client = server.state.client();
        for c in p.changes {
            let key = uri_to_key(&c.uri);
            if !crate::sources::is_manifest(std::path::Path::new(&key))
                || !client.in_workspace(&key)
            {
                continue;
            }
            if c.typ == FileChangeType::DELETED {
                deleted.push(key);
            } else {
                changed.push(key);
            }
        }
    }
    if !changed.is_empty() {
        server.worker.send(Msg::DiskChanged(changed));
    }
    if !deleted.is_empty() {
        server.worker.send(Msg::DiskDeleted(deleted));
    }
}
