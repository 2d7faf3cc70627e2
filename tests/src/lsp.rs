//! A small LSP client for the end-to-end tests: it starts the real `ambient-lsp` binary, speaks
//! JSON-RPC over its stdio, answers the server's requests like an editor would, keeps the
//! client-side copy of documents and applies `WorkspaceEdit`s to it (and to disk for files
//! that are not open).
//!
//! Nothing the server sends goes unnoticed: a response nobody read, a notification or request
//! of a method the client does not handle, or a message that is not JSON-RPC fails the test
//! when the client is dropped (or shut down).

use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The latest diagnostics the server published for a URI.
#[derive(Clone, Debug)]
pub struct Published {
    pub version: Option<i64>,
    pub diagnostics: Vec<Value>,
    pub seq: u64,
}

struct Inbox {
    diagnostics: HashMap<String, Published>,
    responses: HashMap<i64, Value>,
    seq: u64,
    log: Vec<String>,
    progress: Vec<Value>,
    /// `window/logMessage` notifications.
    log_messages: Vec<Value>,
    /// `window/showMessage` notifications not yet read (a test fails on any it leaves).
    show_messages: Vec<Value>,
    /// Messages no part of the client handles (they fail the test).
    unexpected: Vec<String>,
}

impl Inbox {
    /// What the test left unread: responses never taken and unexpected messages.
    fn unread(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .responses
            .iter()
            .map(|(id, r)| format!("the response to request {id}: {r}"))
            .collect();
        out.sort();
        out.extend(self.unexpected.iter().cloned());
        out.extend(
            self.show_messages
                .iter()
                .map(|m| format!("a window/showMessage never read: {m}")),
        );
        out
    }
}

pub struct Client {
    child: Child,
    stdin: Arc<Mutex<ChildStdin>>,
    next_id: i64,
    inbox: Arc<Mutex<Inbox>>,
    notify: Receiver<()>,
    /// Answer to `workspace/configuration` (section `ambient`).
    pub settings: Arc<Mutex<Value>>,
    /// Open documents: uri → (version, text).
    pub docs: BTreeMap<String, (i64, String)>,
    pub root: PathBuf,
    pub utf8: bool,
    /// The `initialize` result.
    pub init: Value,
    /// How long a wait for a message may take before the test fails (`TIMEOUT` unless set).
    pub timeout: Duration,
}

pub fn uri(path: &Path) -> String {
    let s = path.to_string_lossy();
    let mut out = String::from("file://");
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn path_of(uri: &str) -> PathBuf {
    let raw = uri.strip_prefix("file://").expect("a file URI");
    let mut bytes = Vec::new();
    let b = raw.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            bytes.push(u8::from_str_radix(&raw[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            bytes.push(b[i]);
            i += 1;
        }
    }
    PathBuf::from(String::from_utf8(bytes).unwrap())
}

fn write_msg(w: &mut impl Write, v: &Value) {
    let body = serde_json::to_string(v).unwrap();
    write!(w, "Content-Length: {}\r\n\r\n{}", body.len(), body).unwrap();
    w.flush().unwrap();
}

fn read_msg(r: &mut impl BufRead) -> Option<Value> {
    serde_json::from_slice(&read_body(r)?).ok()
}

/// The body of the next `Content-Length` frame; `None` at the end of the stream or on a frame
/// without a usable length.
pub fn read_body(r: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            len = v.parse::<usize>().ok();
        }
    }
    let mut buf = vec![0; len?];
    r.read_exact(&mut buf).ok()?;
    Some(buf)
}

/// Position (line, character) of byte `offset` in `text`, in UTF-16 units or bytes.
pub fn pos(text: &str, offset: usize, utf8: bool) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let seg = &text[start..offset];
    let ch = if utf8 {
        seg.len()
    } else {
        seg.encode_utf16().count()
    };
    json!({"line": line, "character": ch})
}

/// Byte offset of an LSP position in `text`.
pub fn offset(text: &str, p: &Value, utf8: bool) -> usize {
    let line = p["line"].as_u64().unwrap() as usize;
    let ch = p["character"].as_u64().unwrap() as usize;
    let mut start = 0;
    for _ in 0..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let end = text[start..]
        .find('\n')
        .map(|i| start + i)
        .unwrap_or(text.len());
    let line_text = &text[start..end];
    if utf8 {
        return start + ch.min(line_text.len());
    }
    let mut units = 0;
    for (i, c) in line_text.char_indices() {
        if units >= ch {
            return start + i;
        }
        units += c.len_utf16();
    }
    end
}

/// Apply LSP text edits (any order, non-overlapping) to `text`.
pub fn apply_edits(text: &str, edits: &[Value], utf8: bool) -> String {
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            let s = offset(text, &e["range"]["start"], utf8);
            let t = offset(text, &e["range"]["end"], utf8);
            (s, t, e["newText"].as_str().unwrap().to_string())
        })
        .collect();
    spans.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let mut out = text.to_string();
    for (s, t, n) in spans {
        out.replace_range(s..t, &n);
    }
    out
}

impl Client {
    /// The server's peak resident memory so far in MiB (`VmHWM` of `/proc/<pid>/status`;
    /// `None` where there is no such file).
    pub fn peak_rss_mib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024)
    }

    /// Start the server on `root` and initialize it.
    pub fn start(root: &Path, settings: Value) -> Client {
        Client::start_with(root, settings, false, json!({}))
    }

    pub fn start_with(root: &Path, settings: Value, utf8: bool, init_options: Value) -> Client {
        Client::start_env(root, settings, utf8, init_options, &[])
    }

    /// `start_with`, the server with these environment variables (`KUBECONFIG`…).
    pub fn start_env(
        root: &Path,
        settings: Value,
        utf8: bool,
        init_options: Value,
        env: &[(&str, &str)],
    ) -> Client {
        let mut child = Command::new(crate::binary())
            .envs(env.iter().copied())
            .arg("--stdio")
            .current_dir(root)
            .env("AMBIENT_LOG", "ambient_lsp=debug")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ambient-lsp");
        let stdin = Arc::new(Mutex::new(child.stdin.take().unwrap()));
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let inbox = Arc::new(Mutex::new(Inbox {
            diagnostics: HashMap::new(),
            responses: HashMap::new(),
            seq: 0,
            log: Vec::new(),
            progress: Vec::new(),
            log_messages: Vec::new(),
            show_messages: Vec::new(),
            unexpected: Vec::new(),
        }));
        let settings = Arc::new(Mutex::new(settings));
        let (tx, notify) = channel();
        {
            let inbox = inbox.clone();
            std::thread::spawn(move || {
                let mut r = BufReader::new(stderr);
                let mut line = String::new();
                while r.read_line(&mut line).unwrap_or(0) > 0 {
                    if std::env::var_os("AMBIENT_TEST_STDERR").is_some() {
                        eprint!("server: {line}");
                    }
                    inbox.lock().unwrap().log.push(line.clone());
                    line.clear();
                }
            });
        }
        {
            let inbox = inbox.clone();
            let settings = settings.clone();
            let stdin = stdin.clone();
            std::thread::spawn(move || {
                let mut r = BufReader::new(stdout);
                while let Some(m) = read_msg(&mut r) {
                    let method = m.get("method").and_then(Value::as_str).map(str::to_string);
                    let id = m.get("id").cloned();
                    match (method.as_deref(), id) {
                        (Some(method), Some(id)) => {
                            // a request from the server: answer like an editor
                            let result = match method {
                                "workspace/configuration" => {
                                    let s = settings.lock().unwrap().clone();
                                    let n = m["params"]["items"]
                                        .as_array()
                                        .map(|a| a.len())
                                        .unwrap_or(1);
                                    Value::Array(vec![s; n])
                                }
                                "workspace/applyEdit" => json!({"applied": false}),
                                "window/workDoneProgress/create" | "client/registerCapability" => {
                                    Value::Null
                                }
                                other => {
                                    inbox
                                        .lock()
                                        .unwrap()
                                        .unexpected
                                        .push(format!("a request {other}: {m}"));
                                    Value::Null
                                }
                            };
                            let answer = json!({"jsonrpc": "2.0", "id": id, "result": result});
                            write_msg(&mut *stdin.lock().unwrap(), &answer);
                        }
                        (Some("textDocument/publishDiagnostics"), None) => {
                            let mut ib = inbox.lock().unwrap();
                            ib.seq += 1;
                            let seq = ib.seq;
                            let p = &m["params"];
                            ib.diagnostics.insert(
                                p["uri"].as_str().unwrap().to_string(),
                                Published {
                                    version: p["version"].as_i64(),
                                    diagnostics: p["diagnostics"]
                                        .as_array()
                                        .cloned()
                                        .unwrap_or_default(),
                                    seq,
                                },
                            );
                        }
                        (Some("$/progress"), None) => {
                            inbox.lock().unwrap().progress.push(m["params"].clone());
                        }
                        (Some("window/logMessage"), None) => {
                            inbox.lock().unwrap().log_messages.push(m["params"].clone());
                        }
                        (Some("window/showMessage"), None) => {
                            inbox
                                .lock()
                                .unwrap()
                                .show_messages
                                .push(m["params"].clone());
                        }
                        (Some(other), None) => {
                            inbox
                                .lock()
                                .unwrap()
                                .unexpected
                                .push(format!("a notification {other}: {m}"));
                        }
                        (None, Some(id)) => {
                            inbox
                                .lock()
                                .unwrap()
                                .responses
                                .insert(id.as_i64().unwrap_or(-1), m);
                        }
                        (None, None) => {
                            inbox
                                .lock()
                                .unwrap()
                                .unexpected
                                .push(format!("a message that is not JSON-RPC: {m}"));
                        }
                    }
                    let _ = tx.send(());
                }
            });
        }
        let mut c = Client {
            child,
            stdin,
            next_id: 1,
            inbox,
            notify,
            settings,
            docs: BTreeMap::new(),
            root: root.to_path_buf(),
            utf8,
            init: Value::Null,
            timeout: TIMEOUT,
        };
        let encodings = if utf8 {
            json!(["utf-8", "utf-16"])
        } else {
            json!(["utf-16"])
        };
        let r = c.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri(root),
                "workspaceFolders": [{"uri": uri(root), "name": "ws"}],
                "initializationOptions": init_options,
                "capabilities": {
                    "general": {"positionEncodings": encodings},
                    "window": {"workDoneProgress": true},
                    "workspace": {
                        "configuration": true,
                        "didChangeWatchedFiles": {"dynamicRegistration": true},
                        "workspaceEdit": {"documentChanges": true, "resourceOperations": ["create", "rename", "delete"]}
                    },
                    "textDocument": {
                        "publishDiagnostics": {"relatedInformation": true, "versionSupport": true},
                        "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix", "source.fixAll"]}}, "disabledSupport": true},
                        "hover": {"contentFormat": ["markdown", "plaintext"]}
                    }
                }
            }),
        );
        assert!(r.get("result").is_some(), "initialize failed: {r}");
        c.init = r["result"].clone();
        c.notify("initialized", json!({}));
        c
    }

    fn send(&mut self, v: &Value) {
        write_msg(&mut *self.stdin.lock().unwrap(), v);
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Send a request without waiting; returns its id.
    pub fn request_async(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    pub fn response(&mut self, id: i64) -> Value {
        self.wait(&format!("response {id}"), |ib| ib.responses.remove(&id))
    }

    /// Wait until the response to `id` has arrived, leaving it unread.
    pub fn wait_arrived(&mut self, id: i64) {
        self.wait(&format!("response {id}"), |ib| {
            ib.responses.contains_key(&id).then_some(())
        })
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.request_async(method, params);
        self.response(id)
    }

    /// Wait until `f` returns something (or fail with the server's log).
    fn wait<T>(&mut self, what: &str, mut f: impl FnMut(&mut Inbox) -> Option<T>) -> T {
        let deadline = Instant::now() + self.timeout;
        loop {
            if let Some(v) = f(&mut self.inbox.lock().unwrap()) {
                return v;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self
                .notify
                .recv_timeout(left.min(Duration::from_millis(200)))
            {
                Ok(()) => {}
                Err(RecvTimeoutError::Timeout) if Instant::now() < deadline => {}
                Err(_) => {
                    let log = self.inbox.lock().unwrap().log.join("");
                    panic!("timed out waiting for {what}; server log:\n{log}");
                }
            }
        }
    }

    /// The diagnostics of `uri` once the server published them for `version` (or, for a file
    /// that is not open, once any publication newer than `after` arrived).
    pub fn diagnostics_for(&mut self, uri: &str, version: Option<i64>, after: u64) -> Vec<Value> {
        let u = uri.to_string();
        self.wait(
            &format!("diagnostics of {uri} (version {version:?})"),
            |ib| {
                let p = ib.diagnostics.get(&u)?;
                let ok = match version {
                    Some(v) => p.version == Some(v),
                    None => p.seq > after,
                };
                ok.then(|| p.diagnostics.clone())
            },
        )
    }

    /// The latest diagnostics of `uri`, if any were published.
    pub fn latest(&self, uri: &str) -> Option<Published> {
        self.inbox.lock().unwrap().diagnostics.get(uri).cloned()
    }

    pub fn seq(&self) -> u64 {
        self.inbox.lock().unwrap().seq
    }

    pub fn progress(&self) -> Vec<Value> {
        self.inbox.lock().unwrap().progress.clone()
    }

    pub fn log(&self) -> String {
        self.inbox.lock().unwrap().log.join("")
    }

    /// The `window/logMessage` notifications so far.
    pub fn log_messages(&self) -> Vec<Value> {
        self.inbox.lock().unwrap().log_messages.clone()
    }

    /// The `window/showMessage` notifications that arrived since the last call (read: the
    /// test does not fail on them).
    pub fn show_messages(&self) -> Vec<Value> {
        std::mem::take(&mut self.inbox.lock().unwrap().show_messages)
    }

    /// Wait until the latest diagnostics published for `uri` satisfy `ok`; returns them.
    pub fn wait_diagnostics(
        &mut self,
        uri: &str,
        what: &str,
        mut ok: impl FnMut(&[Value]) -> bool,
    ) -> Vec<Value> {
        let u = uri.to_string();
        self.wait(&format!("diagnostics of {uri}: {what}"), |ib| {
            let p = ib.diagnostics.get(&u)?;
            ok(&p.diagnostics).then(|| p.diagnostics.clone())
        })
    }

    /// Panic if the server sent something the test did not read (see the module doc).
    pub fn assert_all_read(&self) {
        let unread = self.inbox.lock().unwrap().unread();
        assert!(
            unread.is_empty(),
            "messages from the server left unread:\n{}",
            unread.join("\n")
        );
    }

    /// Wait until the workspace is indexed: the progress has ended.
    pub fn wait_indexed(&mut self) {
        self.wait("indexing to end", |ib| {
            ib.progress
                .iter()
                .any(|p| p["value"]["kind"] == "end")
                .then_some(())
        })
    }

    /// Wait until the server has analysed everything sent so far (a request that waits for
    /// the analysis answers after it).
    pub fn sync(&mut self) {
        let r = self.request(
            "workspace/executeCommand",
            json!({"command": "ambient.migrationReport", "arguments": []}),
        );
        assert!(r.get("result").is_some(), "{r}");
    }

    pub fn open(&mut self, path: &Path) -> String {
        let text = std::fs::read_to_string(path).unwrap();
        self.open_text(path, &text)
    }

    pub fn open_text(&mut self, path: &Path, text: &str) -> String {
        let u = uri(path);
        self.docs.insert(u.clone(), (1, text.to_string()));
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": u, "languageId": "yaml", "version": 1, "text": text}}),
        );
        u
    }

    /// Replace the whole text of an open document (the server syncs full text).
    pub fn change(&mut self, uri: &str, text: &str) -> i64 {
        let e = self.docs.get_mut(uri).expect("document is open");
        e.0 += 1;
        e.1 = text.to_string();
        let v = e.0;
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": v}, "contentChanges": [{"text": text}]}),
        );
        v
    }

    pub fn close(&mut self, uri: &str) {
        self.docs.remove(uri);
        self.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri}}),
        );
    }

    pub fn text(&self, uri: &str) -> String {
        match self.docs.get(uri) {
            Some((_, t)) => t.clone(),
            None => std::fs::read_to_string(path_of(uri)).unwrap_or_default(),
        }
    }

    pub fn code_actions(&mut self, uri: &str, range: Value, only: Option<Vec<&str>>) -> Vec<Value> {
        let mut ctx = json!({"diagnostics": []});
        if let Some(o) = only {
            ctx["only"] = json!(o);
        }
        let r = self.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": range, "context": ctx}),
        );
        r["result"].as_array().cloned().unwrap_or_default()
    }

    /// Apply a WorkspaceEdit like an editor: open documents change in memory (and the server
    /// hears `didChange`), other files change on disk (and the server hears
    /// `didChangeWatchedFiles`). Returns the URIs changed.
    pub fn apply(&mut self, edit: &Value) -> Vec<String> {
        let mut changed = Vec::new();
        let mut disk_events = Vec::new();
        let mut ops: Vec<Value> = Vec::new();
        if let Some(dc) = edit["documentChanges"].as_array() {
            ops.extend(dc.iter().cloned());
        }
        if let Some(ch) = edit["changes"].as_object() {
            for (u, edits) in ch {
                ops.push(json!({"textDocument": {"uri": u, "version": null}, "edits": edits}));
            }
        }
        for op in ops {
            if op["kind"] == "create" {
                let p = path_of(op["uri"].as_str().unwrap());
                if !p.exists() {
                    std::fs::write(&p, "").unwrap();
                    disk_events.push(json!({"uri": op["uri"], "type": 1}));
                }
                continue;
            }
            let u = op["textDocument"]["uri"].as_str().unwrap().to_string();
            let edits = op["edits"].as_array().unwrap().clone();
            if let Some(v) = op["textDocument"]["version"].as_i64() {
                let cur = self.docs.get(&u).map(|d| d.0);
                assert_eq!(
                    cur,
                    Some(v),
                    "edit for version {v} of {u}, editor has {cur:?}"
                );
            }
            let new = apply_edits(&self.text(&u), &edits, self.utf8);
            if self.docs.contains_key(&u) {
                self.change(&u, &new);
            } else {
                std::fs::write(path_of(&u), &new).unwrap();
                disk_events.push(json!({"uri": u, "type": 2}));
            }
            changed.push(u);
        }
        if !disk_events.is_empty() {
            self.notify(
                "workspace/didChangeWatchedFiles",
                json!({"changes": disk_events}),
            );
        }
        changed
    }

    pub fn shutdown(mut self) -> i32 {
        let r = self.request("shutdown", Value::Null);
        assert!(r.get("error").is_none(), "{r}");
        self.assert_all_read();
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s.code().unwrap_or(-1);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("server did not exit");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            self.assert_all_read();
        }
    }
}
