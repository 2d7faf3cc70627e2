//! The language server: `Server` holds the protocol client, the state and the worker, and
//! dispatches each method to its handler — one file per handler under `requests/` and
//! `notifications/`. Handlers are thin: notifications record what the client said and hand the
//! work to the analysis worker; requests wait until the analysis covers their document, then
//! read the session.

use std::sync::Arc;

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use super::notifications;
use super::requests;
use super::state::ServerState;
use super::worker::WorkerHandle;

/// The commands the server runs (`workspace/executeCommand`).
pub const CMD_REPORT: &str = "ambient.migrationReport";
pub const CMD_WRITE: &str = "ambient.writeRecommendations";
pub const CMD_REFRESH_CLUSTER: &str = "ambient.refreshCluster";

pub struct Server {
    pub client: Client,
    pub state: Arc<ServerState>,
    pub worker: WorkerHandle,
}

impl Server {
    pub fn new(client: Client, state: Arc<ServerState>, worker: WorkerHandle) -> Server {
        Server {
            client,
            state,
            worker,
        }
    }
}

impl LanguageServer for Server {
    async fn initialize(&self, p: InitializeParams) -> Result<InitializeResult> {
        requests::initialize::handle(self, p)
    }

    async fn initialized(&self, _: InitializedParams) {
        notifications::initialized::handle(self).await
    }

    async fn shutdown(&self) -> Result<()> {
        requests::shutdown::handle(self)
    }

    async fn did_open(&self, p: DidOpenTextDocumentParams) {
        notifications::did_open::handle(self, p)
    }

    async fn did_change(&self, p: DidChangeTextDocumentParams) {
        notifications::did_change::handle(self, p)
    }

    /// Nothing to do: the text arrived with `didChange`.
    async fn did_save(&self, _: DidSaveTextDocumentParams) {}

    async fn did_close(&self, p: DidCloseTextDocumentParams) {
        notifications::did_close::handle(self, p)
    }

    async fn did_change_watched_files(&self, p: DidChangeWatchedFilesParams) {
        notifications::did_change_watched_files::handle(self, p)
    }

    async fn did_change_configuration(&self, p: DidChangeConfigurationParams) {
        notifications::did_change_configuration::handle(self, p).await
    }

    async fn did_change_workspace_folders(&self, p: DidChangeWorkspaceFoldersParams) {
        notifications::did_change_workspace_folders::handle(self, p).await
    }

    async fn code_action(&self, p: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        requests::code_action::handle(self, p).await
    }

    async fn hover(&self, p: HoverParams) -> Result<Option<Hover>> {
        requests::hover::handle(self, p).await
    }

    async fn goto_definition(
        &self,
        p: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        requests::definition::handle(self, p).await
    }

    async fn execute_command(&self, p: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        requests::execute_command::handle(self, p).await
    }
}
