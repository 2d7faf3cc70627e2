//! Request handlers, one per file, and what they share: waiting until the analysis covers a
//! document.

pub mod code_action;
pub mod definition;
pub mod execute_command;
pub mod hover;
pub mod initialize;
pub mod shutdown;

use std::time::{Duration, Instant};

use tower_lsp_server::ls_types::TextDocumentPositionParams;

use super::convert::{offset, uri_to_key};
use super::server::Server;
use crate::engine::Session;
use crate::index::FileData;
use crate::yaml::Encoding;

/// Wait until the workspace is indexed (with any folder added since), and the analysis covers the newest version of `key`.
/// Dropped (cancelled) with the request; gives up after a while and answers with what there is.
pub async fn wait_current(server: &Server, key: &str) {
    let deadline = Instant::now() + INDEX_WAIT;
    let mut progress = server.state.watch_progress();
    loop {
        if progress.borrow_and_update().settled() && server.state.client().is_current(key) {
            return;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            tracing::warn!("answering for {key} before its analysis caught up");
            return;
        }
        tokio::select! {
            r = progress.changed() => if r.is_err() { return },
            _ = tokio::time::sleep(left) => {}
        }
    }
}

/// Run `f` on the analysed file and byte offset of a position, once the analysis covers the
/// document's newest version.
/// Wait (at most `INDEX_WAIT`) until every reading of the workspace asked for so far is
/// applied: folders added, a new size limit. Returns whether it is.
pub async fn wait_settled(server: &Server) -> bool {
    let deadline = Instant::now() + INDEX_WAIT;
    let mut progress = server.state.watch_progress();
    loop {
        if progress.borrow_and_update().settled() {
            return true;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            tracing::warn!("answering before the workspace is indexed");
            return false;
        }
        tokio::select! {
            r = progress.changed() => if r.is_err() { return false },
            _ = tokio::time::sleep(left) => {}
        }
    }
}

/// How long a request waits for the index to catch up before answering with what there is.
pub const INDEX_WAIT: Duration = Duration::from_secs(10);

pub async fn at_position<T>(
    server: &Server,
    tp: TextDocumentPositionParams,
    f: impl FnOnce(&Session, &FileData, usize, Encoding) -> Option<T>,
) -> Option<T> {
    let key = uri_to_key(&tp.text_document.uri);
    wait_current(server, &key).await;
    let enc = server.state.client().encoding;
    let session = server.state.session();
    let file = session
        .index
        .id_of(&key)
        .and_then(|id| session.index.file(id))?;
    let off = offset(file, tp.position, enc);
    f(&session, file, off, enc)
}
