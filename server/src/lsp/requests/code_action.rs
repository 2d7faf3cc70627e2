//! `textDocument/codeAction`: the fixes of the findings in the range (quick fixes) and of the
//! whole file (`source.fixAll.ambient`), computed from the findings' actions; and "Convert to
//! HTTPRoute" on a VirtualService (`lsp::routes`).

use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{CodeActionParams, CodeActionResponse};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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
    // set when this handler is dropped ($/cancelRequest): the blocking work stops early
    let cancel = Cancel::default();
    let flag = cancel.0.clone();
    let out = tokio::task::spawn_blocking(move || {
        let mut out = {
            let session = state.session();
            crate::lsp::routes::code_actions(&session, &state, &key, range, &only)
        };
        out.extend(actions::code_actions(
            &state,
            actions::Request {
                key: &key,
                range,
                only,
            },
            &flag,
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

/// A flag set when it is dropped: with the request's future when the request is cancelled.
#[derive(Default)]
struct Cancel(Arc<AtomicBool>);

impl Drop for Cancel {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}
