//! `workspace/executeCommand`: `ambient.migrationReport` (the JSON report of the workspace, or
//! the Markdown report every editor shows) and `ambient.writeRecommendations` (the recommended
//! files, written to a folder). Both answer once everything queued before them is analysed.

use std::path::PathBuf;

use serde_json::Value;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{ExecuteCommandParams, LSPAny, Uri};

use crate::lsp::server::{Server, CMD_REFRESH_CLUSTER, CMD_REPORT, CMD_WRITE};
use crate::lsp::worker::Msg;
use crate::report::markdown::{self, Links};
use crate::report::{self, ReportOptions};

pub async fn handle(server: &Server, p: ExecuteCommandParams) -> Result<Option<LSPAny>> {
    // the folders added so far read (bounded), then everything queued before us analysed
    crate::lsp::requests::wait_settled(server).await;
    let (tx, rx) = tokio::sync::oneshot::channel();
    server.worker.send(Msg::Flush(tx));
    let _ = rx.await;
    // the first reading of the workspace (as long as it takes: the report covers it all)
    let mut progress = server.state.watch_progress();
    while !progress.borrow_and_update().indexed {
        if progress.changed().await.is_err() {
            break;
        }
    }
    match p.command.as_str() {
        CMD_REPORT => match report_format(p.arguments.first()) {
            Some(ReportFormat::Json) => Ok(Some(migration_report(server))),
            Some(ReportFormat::Markdown(links)) => Ok(Some(markdown_report(server, links))),
            None => Err(Error::invalid_params(
                r#"expected no argument, or {"format": "json"} or {"format": "markdown", "links": "file"|"workspace"|"none"}"#,
            )),
        },
        CMD_WRITE => {
            let arg = p.arguments.first().cloned().unwrap_or(Value::Null);
            let overwrite = arg
                .get("overwrite")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let dir = folder_argument(arg)?;
            write_recommendations(server, &dir, overwrite)
                .map(Some)
                .map_err(Error::invalid_params)
        }
        CMD_REFRESH_CLUSTER => {
            crate::lsp::cluster::refresh(&server.client, &server.state, &server.worker)
                .await
                .map(Some)
                .map_err(|e| Error {
                    // RequestFailed (LSP 3.17): valid request, the server could not do it
                    code: tower_lsp_server::jsonrpc::ErrorCode::ServerError(-32803),
                    message: e.into(),
                    data: None,
                })
        }
        other => Err(Error::invalid_params(format!("unknown command {other}"))),
    }
}

enum ReportFormat {
    Json,
    Markdown(Links),
}

/// The arguments of `ambient.migrationReport`: none (or `null`) is the JSON report of the
/// contract; `{"format": "json"}`, or `{"format": "markdown", "links": …}` (or the bare string
/// `"markdown"`), where `links` is `file` (default), `workspace` or `none`.
fn report_format(arg: Option<&Value>) -> Option<ReportFormat> {
    let (format, links) = match arg {
        None | Some(Value::Null) => (None, None),
        Some(Value::String(s)) => (Some(s.as_str()), None),
        Some(Value::Object(m)) => (string_field(m, "format")?, string_field(m, "links")?),
        Some(_) => return None,
    };
    match (format.unwrap_or("json"), links) {
        ("json", None) => Some(ReportFormat::Json),
        ("markdown", l) => Some(ReportFormat::Markdown(match l {
            None => Links::default(),
            Some(l) => Links::parse(l)?,
        })),
        _ => None,
    }
}

/// A field that is absent or null (`Some(None)`), a string, or of another type (`None`).
fn string_field<'a>(m: &'a serde_json::Map<String, Value>, key: &str) -> Option<Option<&'a str>> {
    match m.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(v) => v.as_str().map(Some),
    }
}

/// The workspace folders, as the report's sources.
fn roots(server: &Server) -> Vec<String> {
    server
        .state
        .client()
        .roots
        .iter()
        .map(|r| r.display().to_string())
        .collect()
}

/// The report as Markdown (what the editors show) and its one-line summary (the status bar).
fn markdown_report(server: &Server, links: Links) -> Value {
    let roots = roots(server);
    let session = server.state.session();
    let opts = ReportOptions {
        ignore_failures: true,
        up_to: None,
        sources: roots.clone(),
    };
    let rep = report::build(&session.index, &session.analysis, &opts);
    let md = markdown::render(
        &rep,
        &markdown::Options {
            roots,
            links,
            docs_url: crate::rules::docs_url(),
        },
    );
    serde_json::json!({
        "format": "markdown",
        "markdown": md,
        "summary": markdown::summary(&rep),
    })
}

/// The JSON report of the workspace (every phase, as with `--ignore-failures`).
fn migration_report(server: &Server) -> Value {
    let roots = roots(server);
    let session = server.state.session();
    let opts = ReportOptions {
        ignore_failures: true,
        up_to: None,
        sources: roots,
    };
    let rep = report::build(&session.index, &session.analysis, &opts);
    let mut v = report::json::render(&rep, &[]);
    v["source"] = serde_json::json!({"kind": "workspace", "paths": v["source"]["paths"].clone()});
    v
}

/// The folder argument: an absolute path, a local `file:` URI, or `{"folder": …}` (with
/// `"overwrite": true` to replace files that are not ours). Anything else — `""`, a relative
/// path, another scheme, a `file:` URI of another host — is refused.
fn folder_argument(arg: Value) -> Result<PathBuf> {
    let dir = folder_argument_any(arg)?;
    if !dir.is_absolute() {
        return Err(Error::invalid_params(format!(
            "the folder must be an absolute path or a file: URI, not {:?}",
            dir.display().to_string()
        )));
    }
    Ok(dir)
}

fn folder_argument_any(arg: Value) -> Result<PathBuf> {
    let dir = arg
        .as_str()
        .map(str::to_string)
        .or_else(|| {
            arg.get("folder")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .ok_or_else(|| Error::invalid_params("expected a folder (path or file: URI)"))?;
    if dir.trim().is_empty() {
        return Err(Error::invalid_params("the folder is empty"));
    }
    if dir.starts_with('/') {
        return Ok(PathBuf::from(dir));
    }
    match dir.parse::<Uri>() {
        Ok(u)
            if u.as_str()
                .get(..5)
                .is_some_and(|s| s.eq_ignore_ascii_case("file:")) =>
        {
            let host = u
                .authority()
                .map(|a| a.host().to_string())
                .unwrap_or_default();
            if !(host.is_empty() || host.eq_ignore_ascii_case("localhost")) {
                return Err(Error::invalid_params(format!(
                    "{dir}: a file: URI of another host ({host})"
                )));
            }
            u.to_file_path()
                .map(|p| p.to_path_buf())
                .ok_or_else(|| Error::invalid_params("not a file URI"))
        }
        Ok(_) => Err(Error::invalid_params(format!(
            "{dir}: only file: URIs and absolute paths are written to"
        ))),
        _ => Ok(PathBuf::from(dir)),
    }
}

/// Write the recommended files of the workspace to `dir`.
fn write_recommendations(
    server: &Server,
    dir: &std::path::Path,
    overwrite: bool,
) -> std::result::Result<Value, String> {
    let session = server.state.session();
    let opts = ReportOptions {
        ignore_failures: true,
        up_to: None,
        sources: Vec::new(),
    };
    let rep = report::build(&session.index, &session.analysis, &opts);
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let foreign = crate::output::foreign_files(dir, &rep);
    if !foreign.is_empty() && !overwrite {
        return Err(format!(
            "not overwriting files that ambient-lsp did not write: {} (choose another folder, or pass {{\"folder\": …, \"overwrite\": true}})",
            foreign
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut out = serde_json::Map::new();
    for (name, path) in crate::output::write_outputs(dir, &rep)? {
        out.insert(name, Value::String(path));
    }
    Ok(
        serde_json::json!({"outputs": out, "waypoints": rep.waypoints.len(), "policies": rep.policies.len()}),
    )
}
