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
    let loc = at_position(server, p.text_document_position_params, nav::definition).await;
    // the target under the client's own spelling of its URI (host, case, escapes)
    Ok(loc.map(|mut loc| {
        let key = crate::lsp::convert::uri_to_key(&loc.uri);
        if let Some(u) = server.state.client().uri_for(&key) {
            loc.uri = u;
        }
        GotoDefinitionResponse::Scalar(loc)
    }))
}
