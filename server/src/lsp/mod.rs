//! The language server: protocol glue over the same findings as the CLI.
//!
//! Framework: `tower-lsp-server` 0.23, the maintained continuation of tower-lsp (which has had
//! no release since 2023), on tokio. It runs handlers concurrently (tower-lsp#284), so a later
//! `didChange` can overtake an earlier one; we sync full text only, with a per-document version
//! guard (a stale version never overwrites a newer one), and a single analysis thread applies
//! changes in batches (`worker`). `server.rs` dispatches each method to its handler in
//! `requests/` or `notifications/`; `state.rs` is the one place for the server's state.
//! Protocol types stay in this module.

pub mod actions;
pub mod cluster;
pub mod convert;
pub mod nav;
pub mod notifications;
pub mod requests;
pub mod routes;
pub mod safety;
pub mod server;
pub mod state;
pub mod transport;
pub mod worker;
pub mod workspace;

use std::sync::{Arc, OnceLock};

use tower_lsp_server::ls_types::MessageType;
use tower_lsp_server::LspService;

use state::ServerState;
use worker::{Outbox, Worker, WorkerHandle};

/// Log lines for `window/logMessage` (see `LogLayer`).
static LOG_TX: OnceLock<tokio::sync::mpsc::UnboundedSender<(MessageType, String)>> =
    OnceLock::new();

/// A tracing layer that also sends the server's info/warn/error events to the client.
pub struct LogLayer;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for LogLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let Some(tx) = LOG_TX.get() else { return };
        let meta = event.metadata();
        if !meta.target().starts_with("ambient_lsp") {
            return;
        }
        let typ = match *meta.level() {
            tracing::Level::ERROR => MessageType::ERROR,
            tracing::Level::WARN => MessageType::WARNING,
            tracing::Level::INFO => MessageType::INFO,
            _ => return,
        };
        struct V(String);
        impl tracing::field::Visit for V {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0.insert_str(0, &format!("{value:?}"));
                } else {
                    self.0.push_str(&format!(" {}={value:?}", field.name()));
                }
            }
        }
        let mut v = V(String::new());
        event.record(&mut v);
        let _ = tx.send((typ, v.0));
    }
}

/// Serve the protocol on stdin/stdout until the client exits. Returns the exit status.
pub fn run_stdio() -> i32 {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("ambient-lsp")
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return 2;
        }
    };
    let code = rt.block_on(async {
        let stdin = tokio::io::stdin();
        let stdout = tokio::io::stdout();
        let (service, socket) = build();
        transport::serve(stdin, stdout, service, socket).await
    });
    // the read of stdin runs on a blocking thread that may never return: do not wait for it
    rt.shutdown_background();
    code
}

/// The service: shared state, the analysis worker, the publisher and the log forwarder.
pub fn build() -> (LspService<server::Server>, tower_lsp_server::ClientSocket) {
    LspService::build(|client| {
        let state = Arc::new(ServerState::new());
        let (ptx, mut prx) = tokio::sync::mpsc::channel::<Outbox>(64);
        let c = client.clone();
        // one publisher: diagnostics reach the client in the order the worker produced them
        tokio::spawn(async move {
            while let Some(m) = prx.recv().await {
                match m {
                    Outbox::Publish(p) => {
                        c.publish_diagnostics(p.uri, p.diagnostics, p.version).await
                    }
                    Outbox::Ack(a) => {
                        let _ = a.send(());
                    }
                }
            }
        });
        let (ltx, mut lrx) = tokio::sync::mpsc::unbounded_channel::<(MessageType, String)>();
        if LOG_TX.set(ltx).is_ok() {
            let c = client.clone();
            tokio::spawn(async move {
                while let Some((t, m)) = lrx.recv().await {
                    c.log_message(t, m).await;
                }
            });
        }
        let (wtx, wrx) = std::sync::mpsc::channel();
        Worker::new(state.clone(), ptx).spawn(wrx);
        server::Server::new(client, state, WorkerHandle(wtx))
    })
    .finish()
}
