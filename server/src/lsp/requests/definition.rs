//! `textDocument/definition`: the resource a reference at the position names.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{GotoDefinitionParams, GotoDefinitionResponse};

use super::at_position;
use crate::lsp::nav;
use crate::lsp::server::Server;

pub async fn handle(
    server: &Server,
    p: GotoDefinitionParams,
) -> Result<Option<GotoDefinitionResponse>> {
    Ok(
        at_position(server, p.text_document_position_params, nav::definition)
            .await
            .map(GotoDefinitionResponse::Scalar),
    )
}
