//! `textDocument/hover`: the findings at the position and the reference there.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{Hover, HoverParams};

use super::at_position;
use crate::lsp::nav;
use crate::lsp::server::Server;

pub async fn handle(server: &Server, p: HoverParams) -> Result<Option<Hover>> {
    Ok(at_position(server, p.text_document_position_params, nav::hover).await)
}
