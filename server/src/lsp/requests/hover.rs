//! `textDocument/hover`: the findings at the position and the reference there; on a
//! VirtualService's `kind` or name, its HTTPRoute translation (`lsp::routes`).

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};

use super::at_position;
use crate::lsp::convert::range;
use crate::lsp::nav;
use crate::lsp::server::Server;

pub async fn handle(server: &Server, p: HoverParams) -> Result<Option<Hover>> {
    Ok(at_position(
        server,
        p.text_document_position_params,
        |session, file, offset, enc| {
            let base = nav::hover(session, file, offset, enc);
            let Some((text, span)) = crate::lsp::routes::hover(session, file, offset) else {
                return base;
            };
            let (value, r) = match base {
                Some(Hover {
                    contents: HoverContents::Markup(m),
                    range: r,
                }) => (format!("{}\n\n---\n\n{text}", m.value), r),
                _ => (text, None),
            };
            Some(Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value,
                }),
                range: r.or_else(|| Some(range(file, span, enc))),
            })
        },
    )
    .await)
}
