//! `initialized`: read the settings, watch the manifests on disk, index the workspace.

use crate::lsp::server::Server;
use crate::lsp::workspace;

pub async fn handle(server: &Server) {
    let s = workspace::read_settings(server).await;
    workspace::apply_settings(server, s);
    // indexing does not wait for the client to accept our watchers
    tokio::join!(
        workspace::register_watchers(server),
        workspace::index(server)
    );
}
