//! `shutdown`: the analysis worker stops after what is queued.

use tower_lsp_server::jsonrpc::Result;

use crate::lsp::server::Server;
use crate::lsp::worker::Msg;

pub fn handle(server: &Server) -> Result<()> {
    server.worker.send(Msg::Shutdown);
    Ok(())
}
