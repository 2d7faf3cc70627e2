//! `textDocument/didChange`: the new text of an open document. The server syncs full text
//! only, so a change replaces the document — when its version is newer than the one stored:
//! handlers run concurrently and a late, older change must not overwrite a newer one.

use std::sync::Arc;

use tower_lsp_server::ls_types::DidChangeTextDocumentParams;

use crate::lsp::convert::uri_to_key;
use crate::lsp::server::Server;
use crate::lsp::worker::Msg;

pub fn handle(server: &Server, p: DidChangeTextDocumentParams) {
    let key = uri_to_key(&p.text_document.uri);
    let version = p.text_document.version;
    // the last full-text change is the document; a change with a range breaks the protocol
    // (we advertise full sync) and is not applied
    let Some(change) = p.content_changes.into_iter().next_back() else {
        return;
    };
    if change.range.is_some() {
        tracing::error!(
            "didChange for {key} with a range, but the server syncs full text: ignored"
        );
        return;
    }
    {
        let mut client = server.state.client();
        let Some(doc) = client.docs.get_mut(&key) else {
            tracing::warn!("didChange for {key}, which is not open");
            return;
        };
        if version <= doc.version {
            tracing::debug!(
                "ignoring stale version {version} of {key} (have {})",
                doc.version
            );
            return;
        }
        doc.version = version;
        doc.text = Arc::from(change.text);
    }
    server.worker.send(Msg::DocumentChanged(key));
}
