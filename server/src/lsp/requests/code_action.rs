//! `textDocument/codeAction`: the fixes of the findings in the range (quick fixes) and of the
//! whole file (`source.fixAll.ambient`), computed from the findings' actions; and "Convert to
//! HTTPRoute" on a VirtualService (`lsp::routes`).

use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{CodeActionParams, CodeActionResponse};

use super::wait_current;
use crate::lsp::actions;
use crate::lsp::convert::uri_to_key;
use crate::lsp::server::Server;

pub async fn handle(server: &Server, p: CodeActionParams) -> Result<Option<CodeActionResponse>> {
    let key = uri_to_key(&p.text_document.uri);
    wait_current(server, &key).await;
    let state = server.state.clone();
    let range = p.range;
    let only = p.context.only;
    let out = tokio::task::spawn_blocking(move || {
        let session = state.session();
        let mut out = crate::lsp::routes::code_actions(&session, &state, &key, range, &only);
        out.extend(actions::code_actions(
            &session,
            &state,
            actions::Request {
                key: &key,
                range,
                only,
            },
        ));
        out
    })
    .await
    .map_err(|e| {
        let mut err = Error::internal_error();
        err.message = e.to_string().into();
        err
    })?;
    Ok(Some(out))
}
