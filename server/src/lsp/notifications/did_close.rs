//! `textDocument/didClose`: the file on disk applies again.

use tower_lsp_server::ls_types::DidCloseTextDocumentParams;

use crate::lsp::convert::uri_to_key;
use crate::lsp::server::Server;
use crate::lsp::worker::Msg;

pub fn handle(server: &Server, p: DidCloseTextDocumentParams) {
    let key = uri_to_key(&p.text_document.uri);
    server.state.client().docs.remove(&key);
    server.worker.send(Msg::DocumentClosed(key));
}
