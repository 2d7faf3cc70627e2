//! Our transport: LSP base-protocol framing and JSON-RPC decoding in front of the
//! `tower-lsp-server` service, and the server loop.
//!
//! Why our own: the transport of tower-lsp-server 0.23 reads through a `tokio_util` `FramedRead`,
//! which ends its stream after the first decode error, so one undecodable message (`{}`,
//! truncated JSON, a fractional id, `"jsonrpc": "1.0"`, a lone surrogate escape) ended the
//! session. It also ran at most four handlers at a time, notifications included, so a slow
//! request held up the edits queued behind it. Here:
//!
//! - **Framing** (`FrameReader`): headers are read line by line (`Content-Length`, any case;
//!   `Content-Type` must say UTF-8 when present); garbage between frames is skipped up to the
//!   next `Content-Length`; a body over `MAX_BODY` is drained without being kept. Nothing in the
//!   input can stop the loop but the end of the input or `exit`.
//! - **Decoding** (`decode`): one frame body → a call, a reply to one of our requests, or an
//!   error reply. A message that is not valid JSON-RPC 2.0 gets an error response with its id
//!   when it has a usable one (recovered from truncated JSON too), else with `null` as JSON-RPC
//!   says, and the server keeps serving. A lone UTF-16 surrogate escape in a string (what
//!   JavaScript clients send for a lone surrogate in a document) becomes U+FFFD, which has the
//!   same length in UTF-16, so positions stay right.
//! - **Scheduling** (`serve`): notifications run in the order they arrive — each handler's
//!   synchronous part runs before the next message is read, the rest (waiting on the client)
//!   continues in its own task. Requests run concurrently in their own tasks (at most
//!   `MAX_IN_FLIGHT`; more are refused with `ServerCancelled`), so no request waits for
//!   another; `$/cancelRequest` drops the handler (and the work it started, see
//!   `requests::Cancel`). A request the service does not answer (an unknown `$/` request) gets
//!   `MethodNotFound`; a panicking handler gets `InternalError`.
//! - **Exit**: `exit` ends the loop with status 0 after `shutdown`, 1 without (LSP spec); so
//!   does the end of the input.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use futures::{FutureExt, SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt,
};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Id, Request, Response};
use tower_lsp_server::{ClientSocket, LspService};
use tower_service::Service;

/// The largest message body kept (a 256 MiB document is far over any manifest we analyse).
pub const MAX_BODY: usize = 256 << 20;
/// The longest header line kept.
const MAX_HEADER_LINE: usize = 8 << 10;
/// Requests handled at once; more are refused (`ServerCancelled`) until some finish.
pub const MAX_IN_FLIGHT: usize = 256;

/// What one read from the input gives.
#[derive(Debug, PartialEq)]
pub enum Frame {
    /// A message body.
    Body(Vec<u8>),
    /// Bytes that are not a frame, or a frame that cannot be used (what and why).
    Bad(String),
    /// The input ended.
    Eof,
}

/// Reads LSP base-protocol frames (`Content-Length: N\r\n\r\n` + N bytes), resynchronising on
/// garbage.
pub struct FrameReader<R> {
    input: R,
    max_body: usize,
}

impl<R: AsyncBufRead + Unpin> FrameReader<R> {
    pub fn new(input: R) -> Self {
        FrameReader {
            input,
            max_body: MAX_BODY,
        }
    }

    pub fn with_max_body(mut self, max: usize) -> Self {
        self.max_body = max;
        self
    }

    /// One header line without its line ending (lines longer than `MAX_HEADER_LINE` are cut;
    /// the rest is skipped). `None` at the end of the input.
    async fn line(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        let mut line = Vec::new();
        let mut any = false;
        loop {
            let buf = self.input.fill_buf().await?;
            if buf.is_empty() {
                return Ok(if any { Some(line) } else { None });
            }
            any = true;
            let (take, done) = match memchr(b'\n', buf) {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            let room = MAX_HEADER_LINE.saturating_sub(line.len());
            line.extend_from_slice(&buf[..take.min(room)]);
            self.input.consume(take);
            if done {
                while matches!(line.last(), Some(b'\n' | b'\r')) {
                    line.pop();
                }
                return Ok(Some(line));
            }
        }
    }

    /// The next frame.
    pub async fn next(&mut self) -> Frame {
        match self.next_inner().await {
            Ok(f) => f,
            Err(e) => {
                tracing::info!("reading the client's input: {e}");
                Frame::Eof
            }
        }
    }

    async fn next_inner(&mut self) -> std::io::Result<Frame> {
        let mut length: Option<Result<usize, String>> = None;
        let mut problem: Option<String> = None;
        let mut skipped = 0usize;
        // a header line was read (a block of headers ends at the next blank line)
        let mut headers = false;
        loop {
            let Some(mut line) = self.line().await? else {
                return Ok(Frame::Eof);
            };
            if line.is_empty() {
                if !headers {
                    // blank lines between frames
                    continue;
                }
                break;
            }
            // a header may follow garbage on the same line (a body shorter than its length)
            if let Some(at) = find_ci(&line, b"content-length:") {
                if at > 0 {
                    skipped += at;
                    line.drain(..at);
                    length = None;
                    problem = None;
                }
            }
            let Some(colon) = line.iter().position(|b| *b == b':') else {
                skipped += line.len() + 1;
                length = None;
                problem = None;
                headers = false;
                continue;
            };
            let name = String::from_utf8_lossy(&line[..colon])
                .trim()
                .to_ascii_lowercase();
            let value = String::from_utf8_lossy(&line[colon + 1..])
                .trim()
                .to_string();
            headers = true;
            match name.as_str() {
                "content-length" => {
                    length = Some(
                        value
                            .parse::<usize>()
                            .map_err(|_| format!("bad Content-Length {value:?}")),
                    )
                }
                "content-type" => {
                    let charset = value
                        .split(';')
                        .skip(1)
                        .filter_map(|p| p.trim().split_once('='))
                        .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
                        .map(|(_, v)| v.trim().trim_matches('"').to_ascii_lowercase());
                    if !matches!(charset.as_deref(), None | Some("utf-8" | "utf8")) {
                        problem = Some(format!("unsupported Content-Type {value:?}"));
                    }
                }
                _ if name.is_empty() || name.contains(|c: char| c.is_whitespace()) => {
                    skipped += line.len() + 1;
                    length = None;
                    problem = None;
                    headers = false;
                }
                _ => tracing::debug!("ignoring header {name}"),
            }
        }
        if skipped > 0 {
            tracing::warn!("skipped {skipped} bytes of input that were not a message header");
        }
        let len = match length {
            None => return Ok(Frame::Bad("a header without Content-Length".into())),
            Some(Err(e)) => return Ok(Frame::Bad(e)),
            Some(Ok(n)) => n,
        };
        if len > self.max_body {
            // drain without keeping it
            let mut left = len as u64;
            let mut sink = tokio::io::sink();
            let copied = tokio::io::copy(&mut (&mut self.input).take(left), &mut sink).await?;
            left -= copied;
            if left > 0 {
                return Ok(Frame::Eof);
            }
            return Ok(Frame::Bad(format!(
                "a message of {len} bytes, over the limit of {} bytes",
                self.max_body
            )));
        }
        let mut body = vec![0u8; len];
        if let Err(e) = self.input.read_exact(&mut body).await {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                return Ok(Frame::Eof);
            }
            return Err(e);
        }
        if let Some(p) = problem {
            return Ok(Frame::Bad(p));
        }
        Ok(Frame::Body(body))
    }
}

fn memchr(b: u8, s: &[u8]) -> Option<usize> {
    s.iter().position(|x| *x == b)
}

/// Case-insensitive search of ASCII `needle` in `hay`.
fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if hay.len() < needle.len() {
        return None;
    }
    (0..=hay.len() - needle.len()).find(|&i| hay[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

/// What a frame body is.
#[derive(Debug)]
pub enum Incoming {
    /// A request or notification for the service.
    Call(Request),
    /// The client's answer to one of our requests.
    Reply(Response),
    /// Not a usable message: answer `error` (to `id` if it had a usable one, else `null`).
    /// `notify`: the message had no id (a notification): log it, answer nothing.
    Invalid { id: Id, error: Error, notify: bool },
}

fn error(code: ErrorCode, message: impl Into<String>) -> Error {
    let mut e = Error::new(code);
    e.message = message.into().into();
    e
}

/// A JSON-RPC id we can answer to: an integer (that fits i64) or a string.
fn usable_id(v: &Value) -> Option<Id> {
    match v {
        Value::Number(n) => n.as_i64().map(Id::Number),
        Value::String(s) => Some(Id::String(s.clone())),
        _ => None,
    }
}

/// Replace lone UTF-16 surrogate escapes (`\uD800` not followed by a low surrogate escape, or a
/// low surrogate on its own) with `\uFFFD`. Pairs are kept. Returns `None` if there were none.
pub fn replace_lone_surrogates(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let hex = |i: usize| -> Option<u16> {
        let h = s.get(i..i + 4)?;
        if h.bytes().all(|c| c.is_ascii_hexdigit()) {
            u16::from_str_radix(h, 16).ok()
        } else {
            None
        }
    };
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    let mut changed = false;
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        if b[i + 1] != b'u' {
            i += 2; // an escape: skip the escaped character (`\\` included)
            continue;
        }
        let Some(u) = hex(i + 2) else {
            i += 2;
            continue;
        };
        let high = (0xD800..0xDC00).contains(&u);
        let low = (0xDC00..0xE000).contains(&u);
        if high {
            let paired = b.get(i + 6) == Some(&b'\\')
                && b.get(i + 7) == Some(&b'u')
                && hex(i + 8).is_some_and(|l| (0xDC00..0xE000).contains(&l));
            if paired {
                i += 12;
                continue;
            }
        }
        if high || low {
            out.push_str(&s[last..i]);
            out.push_str("\\uFFFD");
            last = i + 6;
            changed = true;
        }
        i += 6;
    }
    if !changed {
        return None;
    }
    out.push_str(&s[last..]);
    Some(out)
}

/// The id of a message whose JSON does not parse (truncated, …), if one can be read: `"id":`
/// followed by an integer or a simple string, at the top level of the object as far as a
/// simple scan can tell.
pub fn salvage_id(body: &[u8]) -> Option<Id> {
    let s = String::from_utf8_lossy(body);
    let mut depth = 0i32;
    let mut in_str = false;
    let mut esc = false;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if in_str {
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        match c {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth -= 1,
            b'"' => {
                if depth == 1 && s[i..].starts_with("\"id\"") {
                    let rest = s[i + 4..].trim_start();
                    if let Some(v) = rest.strip_prefix(':') {
                        let v = v.trim_start();
                        let num: String = v
                            .chars()
                            .take_while(|c| c.is_ascii_digit() || *c == '-')
                            .collect();
                        let after = v[num.len()..].chars().next();
                        if !num.is_empty()
                            && matches!(after, Some(',' | '}' | ' ' | '\r' | '\n' | '\t'))
                        {
                            return num.parse::<i64>().ok().map(Id::Number);
                        }
                        if let Some(sv) = v.strip_prefix('"') {
                            if let Some(end) = sv.find('"') {
                                let inner = &sv[..end];
                                if !inner.contains('\\') {
                                    return Some(Id::String(inner.to_string()));
                                }
                            }
                        }
                    }
                }
                in_str = true;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Decode one frame body.
pub fn decode(body: &[u8]) -> Incoming {
    let invalid = |id: Option<Id>, notify: bool, code: ErrorCode, msg: String| Incoming::Invalid {
        id: id.unwrap_or(Id::Null),
        error: error(code, msg),
        notify,
    };
    let text = match std::str::from_utf8(body) {
        Ok(t) => t,
        Err(e) => {
            return invalid(
                salvage_id(body),
                false,
                ErrorCode::ParseError,
                format!("the message is not UTF-8: {e}"),
            )
        }
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let fixed = replace_lone_surrogates(text).and_then(|t| serde_json::from_str(&t).ok());
            match fixed {
                Some(v) => {
                    tracing::warn!("a message with a lone UTF-16 surrogate escape: read as U+FFFD");
                    v
                }
                None => {
                    return invalid(
                        salvage_id(body),
                        false,
                        ErrorCode::ParseError,
                        format!("the message is not JSON: {e}"),
                    )
                }
            }
        }
    };
    let Value::Object(map) = &value else {
        let what = if value.is_array() {
            "a batch (JSON array): batches are not part of the LSP"
        } else {
            "not a JSON object"
        };
        return invalid(
            None,
            false,
            ErrorCode::InvalidRequest,
            format!("the message is {what}"),
        );
    };
    let id_field = map.get("id");
    let id = id_field.and_then(usable_id);
    let has_method = map.get("method").is_some();
    let notify = id_field.is_none() && has_method;
    if let Some(v) = id_field {
        if id.is_none() && (has_method || !v.is_null()) {
            return invalid(
                None,
                false,
                ErrorCode::InvalidRequest,
                format!("the message's id must be an integer or a string, not {v}"),
            );
        }
    }
    if map.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return invalid(
            id,
            notify,
            ErrorCode::InvalidRequest,
            format!(
                "the message must have \"jsonrpc\": \"2.0\" (it has {})",
                map.get("jsonrpc")
                    .map(|v| v.to_string())
                    .unwrap_or("none".into())
            ),
        );
    }
    if has_method {
        if !map["method"].is_string() {
            return invalid(
                id,
                notify,
                ErrorCode::InvalidRequest,
                "the message's method must be a string".into(),
            );
        }
        if let Some(p) = map.get("params") {
            if !(p.is_object() || p.is_array() || p.is_null()) {
                return invalid(
                    id,
                    notify,
                    ErrorCode::InvalidRequest,
                    "the message's params must be an object or an array".into(),
                );
            }
        }
        return match serde_json::from_value::<Request>(value) {
            Ok(r) => Incoming::Call(r),
            Err(e) => invalid(id, notify, ErrorCode::InvalidRequest, e.to_string()),
        };
    }
    let result = map.contains_key("result");
    let err = map.contains_key("error");
    if id_field.is_some() && result != err {
        return match serde_json::from_value::<Response>(value) {
            Ok(r) => Incoming::Reply(r),
            Err(e) => invalid(
                None,
                true,
                ErrorCode::InvalidRequest,
                format!("a response that cannot be read: {e}"),
            ),
        };
    }
    invalid(
        id,
        false,
        ErrorCode::InvalidRequest,
        "the message is neither a request, a notification nor a response".into(),
    )
}

/// Write messages to the client, one frame each.
async fn write_frames<W: AsyncWrite + Unpin>(
    mut out: W,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Value>,
    broken: Arc<AtomicBool>,
) {
    while let Some(v) = rx.recv().await {
        let body = match serde_json::to_vec(&v) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!("cannot serialize a message: {e}");
                continue;
            }
        };
        let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        frame.extend_from_slice(&body);
        let mut ok = out.write_all(&frame).await.is_ok();
        if ok && rx.is_empty() {
            ok = out.flush().await.is_ok();
        }
        if !ok {
            tracing::info!("the client's output is closed");
            broken.store(true, Ordering::SeqCst);
            return;
        }
    }
    let _ = out.flush().await;
}

fn to_value<T: serde::Serialize>(m: &T) -> Value {
    serde_json::to_value(m).unwrap_or(Value::Null)
}

/// Serve the protocol until `exit` or the end of the input. Returns the exit status: 0 after
/// `shutdown`, 1 without.
pub async fn serve<I, O, S>(
    input: I,
    output: O,
    mut service: LspService<S>,
    socket: ClientSocket,
) -> i32
where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin + Send + 'static,
    S: tower_lsp_server::LanguageServer,
{
    let (out_tx, out_rx) = tokio::sync::mpsc::unbounded_channel::<Value>();
    let broken = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn(write_frames(output, out_rx, broken.clone()));
    let (mut to_client, mut from_client) = socket.split();
    {
        // the server's requests and notifications to the client
        let out = out_tx.clone();
        tokio::spawn(async move {
            while let Some(r) = to_client.next().await {
                if out.send(to_value(&r)).is_err() {
                    break;
                }
            }
        });
    }
    let shutdown = Arc::new(AtomicBool::new(false));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let mut reader = FrameReader::new(tokio::io::BufReader::with_capacity(64 << 10, input));
    let code = loop {
        if broken.load(Ordering::SeqCst) {
            break if shutdown.load(Ordering::SeqCst) {
                0
            } else {
                1
            };
        }
        let body = match reader.next().await {
            Frame::Eof => {
                tracing::info!("the client closed the input");
                break if shutdown.load(Ordering::SeqCst) {
                    0
                } else {
                    1
                };
            }
            Frame::Bad(why) => {
                tracing::warn!("unusable input from the client: {why}");
                let e = error(ErrorCode::InvalidRequest, why);
                let _ = out_tx.send(to_value(&Response::from_error(Id::Null, e)));
                continue;
            }
            Frame::Body(b) => b,
        };
        let req = match decode(&body) {
            Incoming::Invalid { id, error, notify } => {
                tracing::warn!("unusable message from the client: {}", error.message);
                if !notify {
                    let _ = out_tx.send(to_value(&Response::from_error(id, error)));
                }
                continue;
            }
            Incoming::Reply(r) => {
                if from_client.send(r).await.is_err() {
                    tracing::debug!("a response to a request we no longer wait for");
                }
                continue;
            }
            Incoming::Call(r) => r,
        };
        let method = req.method().to_string();
        let id = req.id().cloned();
        if method == "exit" {
            let _ = ready(&mut service).await;
            let _ = service.call(req).await;
            break if shutdown.load(Ordering::SeqCst) {
                0
            } else {
                1
            };
        }
        if id.is_some() && in_flight.load(Ordering::SeqCst) >= MAX_IN_FLIGHT {
            let e = error(
                ErrorCode::ServerError(-32802),
                format!("more than {MAX_IN_FLIGHT} requests in progress: not started"),
            );
            let _ = out_tx.send(to_value(&Response::from_error(id.unwrap_or(Id::Null), e)));
            continue;
        }
        if !ready(&mut service).await {
            break if shutdown.load(Ordering::SeqCst) {
                0
            } else {
                1
            };
        }
        let fut = service.call(req);
        match id {
            None => {
                // a notification: its synchronous part now, in order; the rest in a task
                let mut fut = std::panic::AssertUnwindSafe(fut).catch_unwind().boxed();
                let first = poll_once(&mut fut).await;
                let finish = move |r: std::thread::Result<Result<Option<Response>, _>>| {
                    if r.is_err() {
                        tracing::error!("the {method} handler panicked (please report this)");
                    }
                };
                match first {
                    Poll::Ready(r) => finish(r),
                    Poll::Pending => {
                        tokio::spawn(async move { finish(fut.await) });
                    }
                }
            }
            Some(id) => {
                let out = out_tx.clone();
                let shutdown = shutdown.clone();
                let in_flight = in_flight.clone();
                in_flight.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let r = std::panic::AssertUnwindSafe(fut).catch_unwind().await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    let resp = match r {
                        Ok(Ok(Some(resp))) => resp,
                        Ok(Ok(None)) => Response::from_error(
                            id,
                            error(
                                ErrorCode::MethodNotFound,
                                format!("method not found: {method}"),
                            ),
                        ),
                        Ok(Err(_)) => return, // the server has exited
                        Err(_) => {
                            tracing::error!("the {method} handler panicked (please report this)");
                            Response::from_error(
                                id,
                                error(ErrorCode::InternalError, format!("{method} failed")),
                            )
                        }
                    };
                    if method == "shutdown" && resp.is_ok() {
                        shutdown.store(true, Ordering::SeqCst);
                    }
                    let _ = out.send(to_value(&resp));
                });
            }
        }
    };
    drop(out_tx);
    // let what is queued reach the client (bounded: a client that stopped reading)
    let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
    code
}

/// Wait until the service takes a message. `false` once it has exited. (The service is not
/// ready while `initialize` runs; it does not wake us when that ends, so poll again shortly.)
async fn ready<S: tower_lsp_server::LanguageServer>(service: &mut LspService<S>) -> bool {
    loop {
        match std::future::poll_fn(|cx| Poll::Ready(service.poll_ready(cx))).await {
            Poll::Ready(Ok(())) => return true,
            Poll::Ready(Err(_)) => return false,
            Poll::Pending => tokio::time::sleep(Duration::from_millis(1)).await,
        }
    }
}

/// Poll a future once.
async fn poll_once<F: std::future::Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(std::pin::Pin::new(&mut *f).poll(cx))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8]) -> Vec<Frame> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut r = FrameReader::new(input).with_max_body(100);
            let mut out = Vec::new();
            loop {
                let f = r.next().await;
                if f == Frame::Eof {
                    return out;
                }
                out.push(f);
            }
        })
    }

    #[test]
    fn framing_resynchronises() {
        let f = frames(b"Content-Length: 2\r\n\r\n{}garbage\r\nContent-Length: 3\r\n\r\n[1]");
        assert_eq!(
            f,
            vec![Frame::Body(b"{}".to_vec()), Frame::Body(b"[1]".to_vec())]
        );
        // a body shorter than it said: the next header follows on the same line
        let f = frames(b"Content-Length: 1\r\n\r\n{}Content-Length: 2\r\n\r\nab");
        assert_eq!(
            f,
            vec![Frame::Body(b"{".to_vec()), Frame::Body(b"ab".to_vec())]
        );
        // case, LF-only line endings, a charset
        let f = frames(
            b"content-length: 2\ncontent-type: application/vscode-jsonrpc; charset=utf-8\n\nab",
        );
        assert_eq!(f, vec![Frame::Body(b"ab".to_vec())]);
        let f = frames(b"Content-Length: x\r\n\r\nContent-Length: 1\r\n\r\na");
        assert!(matches!(&f[0], Frame::Bad(_)));
        assert_eq!(f[1], Frame::Body(b"a".to_vec()));
        // over the limit: drained, reported, the next frame read
        let mut big = b"Content-Length: 150\r\n\r\n".to_vec();
        big.extend(vec![b'x'; 150]);
        big.extend(b"Content-Length: 1\r\n\r\nz");
        let f = frames(&big);
        assert!(matches!(&f[0], Frame::Bad(m) if m.contains("over the limit")));
        assert_eq!(f[1], Frame::Body(b"z".to_vec()));
        // a block of headers without Content-Length
        let f = frames(b"Content-Type: text/plain\r\n\r\nContent-Length: 1\r\n\r\na");
        assert!(matches!(&f[0], Frame::Bad(m) if m.contains("without Content-Length")));
        assert_eq!(f[1], Frame::Body(b"a".to_vec()));
        let f = frames(b"Content-Type: text/plain; charset=latin1\r\nContent-Length: 1\r\n\r\na");
        assert!(matches!(&f[0], Frame::Bad(m) if m.contains("Content-Type")));
    }

    fn invalid(body: &str) -> (Id, i64, bool) {
        match decode(body.as_bytes()) {
            Incoming::Invalid { id, error, notify } => (id, error.code.code(), notify),
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn decoding_answers_what_it_can() {
        assert_eq!(invalid("{}"), (Id::Null, -32600, false));
        assert_eq!(
            invalid(r#"{"jsonrpc":"2.0","id":5,"method":"te"#),
            (Id::Number(5), -32700, false)
        );
        assert_eq!(
            invalid(r#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#),
            (Id::Null, -32600, false)
        );
        assert_eq!(
            invalid(r#"{"jsonrpc":"1.0","id":7,"method":"x"}"#),
            (Id::Number(7), -32600, false)
        );
        assert!(invalid(r#"{"jsonrpc":"1.0","method":"x"}"#).2);
        assert_eq!(
            invalid(r#"[{"jsonrpc":"2.0","id":1,"method":"x"}]"#).1,
            -32600
        );
        assert_eq!(
            invalid(r#"{"jsonrpc":"2.0","id":"a","method":"x","params":3}"#),
            (Id::String("a".into()), -32600, false)
        );
        assert_eq!(invalid("\u{0}\u{1}"), (Id::Null, -32700, false));
        assert_eq!(
            invalid(r#"{"jsonrpc":"2.0","id":[1],"method":"x"}"#).0,
            Id::Null
        );
        assert!(matches!(
            decode(br#"{"jsonrpc":"2.0","id":3,"result":null}"#),
            Incoming::Reply(_)
        ));
        assert!(matches!(
            decode(br#"{"jsonrpc":"2.0","id":3,"method":"a/b"}"#),
            Incoming::Call(_)
        ));
        // a lone surrogate in a string: U+FFFD; a pair is kept
        let b = r#"{"jsonrpc":"2.0","method":"x","params":{"t":"a\ud800b\\ud800\ud83d\ude00"}}"#;
        let Incoming::Call(r) = decode(b.as_bytes()) else {
            panic!()
        };
        let (_, _, p) = r.into_parts();
        assert_eq!(p.unwrap()["t"], "a\u{fffd}b\\ud800\u{1f600}");
    }

    #[test]
    fn salvaged_ids() {
        assert_eq!(
            salvage_id(br#"{"jsonrpc":"2.0","id":12,"method":"te"#),
            Some(Id::Number(12))
        );
        assert_eq!(
            salvage_id(br#"{"method":"x","id":"ab","params":{"#),
            Some(Id::String("ab".into()))
        );
        assert_eq!(salvage_id(br#"{"params":{"id":3},"me"#), None);
        assert_eq!(salvage_id(br#"{"id":1.5,"#), None);
        assert_eq!(salvage_id(br#"{"id":"#), None);
    }
}
