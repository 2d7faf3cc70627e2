//! `workspace/didChangeWorkspaceFolders`: folders added or removed; the workspace is read again.

use tower_lsp_server::ls_types::DidChangeWorkspaceFoldersParams;

use crate::lsp::server::Server;
use crate::lsp::workspace;

pub async fn handle(server: &Server, p: DidChangeWorkspaceFoldersParams) {
    // counted now, before the first `await`: a request right after this notification waits
    let pending = server.state.begin_indexing();
    {
        let mut client = server.state.client();
        for r in p.event.removed {
            if let Some(path) = r.uri.to_file_path() {
                // a folder added twice and removed once is still a folder
                if let Some(i) = client.roots.iter().position(|x| x == &*path) {
                    client.roots.remove(i);
                }
            }
        }
        for a in p.event.added {
            if let Some(path) = a.uri.to_file_path() {
                client.roots.push(path.to_path_buf());
            }
        }
    }
    workspace::index_counted(server, pending).await;
}
