//! `workspace/didChangeConfiguration`: new settings (read back from the client when the
//! notification does not carry them); a new file size limit re-reads the workspace.

use tower_lsp_server::ls_types::DidChangeConfigurationParams;

use crate::lsp::server::Server;
use crate::lsp::state::Settings;
use crate::lsp::worker::Msg;
use crate::lsp::workspace;

pub async fn handle(server: &Server, p: DidChangeConfigurationParams) {
    let s = if p.settings.get("ambient").is_some() {
        Settings::from_json(&p.settings)
    } else {
        workspace::read_settings(server).await
    };
    let old_max = server.state.client().settings.max_file_size_kb;
    if !workspace::apply_settings(server, s) {
        return;
    }
    let new_max = server.state.client().settings.max_file_size_kb;
    if new_max != old_max && server.state.progress().indexed {
        workspace::index(server).await;
    } else {
        server.worker.send(Msg::SettingsChanged);
    }
}
