//! `initialize`: what the client can do, its workspace folders and initial settings; what the
//! server offers (full text sync only, code actions, hover, definition, commands).

use std::path::PathBuf;

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use crate::lsp::actions::FIX_ALL;
use crate::lsp::server::{Server, CMD_REFRESH_CLUSTER, CMD_REPORT, CMD_WRITE};
use crate::lsp::state::{ClientCaps, ClientEdits, Settings};
use crate::yaml::Encoding;

pub fn handle(server: &Server, params: InitializeParams) -> Result<InitializeResult> {
    let caps = &params.capabilities;
    let utf8 = caps
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref())
        .is_some_and(|l| l.contains(&PositionEncodingKind::UTF8));
    {
        let mut client = server.state.client();
        client.encoding = if utf8 {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        };
        client.caps = client_caps(caps);
        client.roots = workspace_roots(&params);
    }
    if let Some(opts) = &params.initialization_options {
        crate::lsp::workspace::apply_settings(server, Settings::from_json(opts));
    }
    Ok(InitializeResult {
        offset_encoding: None,
        server_info: Some(ServerInfo {
            name: "ambient-lsp".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
        capabilities: server_capabilities(utf8),
    })
}

fn client_caps(caps: &ClientCapabilities) -> ClientCaps {
    let ws = caps.workspace.as_ref();
    let edit = ws.and_then(|w| w.workspace_edit.as_ref());
    ClientCaps {
        configuration: ws.and_then(|w| w.configuration).unwrap_or(false),
        watch_dynamic: ws
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false),
        progress: caps
            .window
            .as_ref()
            .and_then(|w| w.work_done_progress)
            .unwrap_or(false),
        disabled_actions: caps
            .text_document
            .as_ref()
            .and_then(|t| t.code_action.as_ref())
            .and_then(|c| c.disabled_support)
            .unwrap_or(false),
        edits: ClientEdits {
            document_changes: edit.and_then(|e| e.document_changes).unwrap_or(false),
            create_files: edit
                .and_then(|e| e.resource_operations.as_ref())
                .is_some_and(|ops| ops.contains(&ResourceOperationKind::Create)),
        },
    }
}

/// The workspace folders (else the root URI of older clients).
fn workspace_roots(params: &InitializeParams) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = params
        .workspace_folders
        .as_ref()
        .map(|fs| {
            fs.iter()
                .filter_map(|f| f.uri.to_file_path().map(|p| p.to_path_buf()))
                .collect()
        })
        .unwrap_or_default();
    #[allow(deprecated)] // root_uri: what clients without workspace folders send
    if roots.is_empty() {
        if let Some(p) = params.root_uri.as_ref().and_then(|u| u.to_file_path()) {
            roots.push(p.to_path_buf());
        }
    }
    roots
}

fn server_capabilities(utf8: bool) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(if utf8 {
            PositionEncodingKind::UTF8
        } else {
            PositionEncodingKind::UTF16
        }),
        // full text only: a change replaces the document when its version is newer
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, CodeActionKind::new(FIX_ALL)]),
            work_done_progress_options: Default::default(),
            resolve_provider: Some(false),
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![
                CMD_REPORT.to_string(),
                CMD_WRITE.to_string(),
                CMD_REFRESH_CLUSTER.to_string(),
            ],
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
    }
}
