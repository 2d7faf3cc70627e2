//! `textDocument/didOpen`: the document's text is the client's from now on.

use std::sync::Arc;

use tower_lsp_server::ls_types::DidOpenTextDocumentParams;

use crate::lsp::convert::uri_to_key;
use crate::lsp::server::Server;
use crate::lsp::state::OpenDoc;
use crate::lsp::worker::Msg;

pub fn handle(server: &Server, p: DidOpenTextDocumentParams) {
    let key = uri_to_key(&p.text_document.uri);
    let mut client = server.state.client();
    client.uris.insert(key.clone(), p.text_document.uri.clone());
    client.docs.insert(
        key.clone(),
        OpenDoc {
            version: p.text_document.version,
            text: Arc::from(p.text_document.text),
            analysed: None,
        },
    );
    drop(client);
    server.worker.send(Msg::DocumentChanged(key));
}
