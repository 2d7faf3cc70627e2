//! The server against a hostile client, over its real stdio, byte by byte: malformed headers,
//! bodies that are not JSON-RPC, unknown methods, a body over the size limit, the input ending
//! mid-message. After each, the server must still answer (issue 12, item 1 and item 10).
//!
//! The client here is raw on purpose (the shared test client only writes well-formed frames).

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(30);

struct Raw {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Value>,
    /// Messages read but not yet taken.
    seen: Vec<Value>,
    /// Answer the server's requests (a client that never does: `false`).
    answer: bool,
}

fn read_frame(r: &mut impl BufRead) -> Option<Value> {
    let body = e2e::lsp::read_body(r)?;
    Some(serde_json::from_slice(&body).expect("the server writes JSON"))
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut f = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    f.extend_from_slice(body);
    f
}

impl Raw {
    fn start(root: &Path) -> Raw {
        Raw::start_with(root, json!({}), true)
    }

    fn start_with(root: &Path, capabilities: Value, answer: bool) -> Raw {
        let mut child = Command::new(e2e::binary())
            .arg("--stdio")
            .current_dir(root)
            .env("AMBIENT_LOG", "ambient_lsp=info")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if std::env::var_os("AMBIENT_TEST_STDERR").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("start ambient-lsp");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(m) = read_frame(&mut r) {
                if tx.send(m).is_err() {
                    break;
                }
            }
        });
        let mut raw = Raw {
            child,
            stdin,
            rx,
            seen: Vec::new(),
            answer,
        };
        let root_uri = e2e::lsp::uri(root);
        raw.send(
            &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "processId": null, "rootUri": root_uri, "capabilities": capabilities,
            "workspaceFolders": [{"uri": root_uri, "name": "w"}]}}),
        );
        let init = raw.take(|m| m["id"] == 0);
        assert!(init.get("result").is_some(), "{init}");
        raw.send(&json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
        raw
    }

    fn write(&mut self, bytes: &[u8]) {
        let w = self.stdin.as_mut().expect("stdin open");
        w.write_all(bytes).unwrap();
        w.flush().unwrap();
    }

    fn send(&mut self, v: &Value) {
        self.write(&frame(serde_json::to_string(v).unwrap().as_bytes()));
    }

    /// The first message (read or still to come) that `f` accepts; server requests are answered
    /// with `null` meanwhile.
    fn take(&mut self, f: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.seen.iter().position(&f) {
            return self.seen.remove(i);
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let m = self
                .rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no such message; seen {:?}", self.seen));
            if m.get("method").is_some() && m.get("id").is_some() {
                if !self.answer {
                    continue;
                }
                let answer = if m["method"] == "workspace/configuration" {
                    json!([{}])
                } else {
                    Value::Null
                };
                self.send(&json!({"jsonrpc": "2.0", "id": m["id"], "result": answer}));
                continue;
            }
            if f(&m) {
                return m;
            }
            self.seen.push(m);
        }
    }

    /// The server still answers a request (proof it keeps serving).
    fn alive(&mut self, id: i64) {
        self.send(
            &json!({"jsonrpc": "2.0", "id": id, "method": "workspace/executeCommand",
            "params": {"command": "ambient.migrationReport", "arguments": []}}),
        );
        let r = self.take(|m| m["id"] == id);
        assert!(r.get("result").is_some(), "{r}");
    }

    /// The error response with `id` and its code.
    fn error_for(&mut self, id: Value) -> i64 {
        let r = self.take(|m| m["id"] == id && m.get("error").is_some());
        assert_eq!(r["jsonrpc"], "2.0");
        r["error"]["code"].as_i64().unwrap()
    }

    fn wait_exit(&mut self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn workspace() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("ns.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    istio-injection: enabled\n",
    )
    .unwrap();
    d
}

#[test]
fn undecodable_messages_get_an_error_and_the_server_keeps_serving() {
    let d = workspace();
    let mut c = Raw::start(d.path());
    c.alive(1);
    // bodies that are not JSON-RPC: an error with the id when there is a usable one, else null
    let cases: &[(&[u8], Value, i64)] = &[
        (b"{}", Value::Null, -32600),
        (
            br#"{"jsonrpc":"2.0","id":5,"method":"textDoc"#,
            json!(5),
            -32700,
        ),
        (
            br#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#,
            Value::Null,
            -32600,
        ),
        (
            br#"{"jsonrpc":"1.0","id":7,"method":"shutdown"}"#,
            json!(7),
            -32600,
        ),
        (
            br#"{"jsonrpc":"2.0","id":"s","method":"x","params":3}"#,
            json!("s"),
            -32600,
        ),
        (b"[1,2,3]", Value::Null, -32600),
        (b"\xff\xfe\x00garbage", Value::Null, -32700),
        (b"", Value::Null, -32700),
    ];
    for (i, (body, id, code)) in cases.iter().enumerate() {
        c.write(&frame(body));
        assert_eq!(
            c.error_for(id.clone()),
            *code,
            "{}",
            String::from_utf8_lossy(body)
        );
        c.alive(100 + i as i64);
    }
    // a notification that is not JSON-RPC: nothing to answer, still serving
    c.write(&frame(br#"{"jsonrpc":"1.0","method":"initialized"}"#));
    c.alive(200);
    c.send(&json!({"jsonrpc": "2.0", "id": 201, "method": "shutdown"}));
    assert!(c.take(|m| m["id"] == 201).get("result").is_some());
    c.send(&json!({"jsonrpc": "2.0", "method": "exit"}));
    assert_eq!(c.wait_exit(), 0);
}

#[test]
fn malformed_headers_are_skipped_and_the_next_frame_is_read() {
    let d = workspace();
    let mut c = Raw::start(d.path());
    // garbage lines, then a good frame
    c.write(b"hello there\r\n\r\n");
    c.alive(1);
    // a Content-Length that is not a number, and one that overflows
    c.write(b"Content-Length: ten\r\n\r\n");
    assert_eq!(c.error_for(Value::Null), -32600);
    c.alive(2);
    c.write(b"Content-Length: 99999999999999999999999\r\n\r\n");
    assert_eq!(c.error_for(Value::Null), -32600);
    c.alive(3);
    // a header block with no Content-Length
    c.write(b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n");
    assert_eq!(c.error_for(Value::Null), -32600);
    c.alive(4);
    // a charset we do not speak: the body is consumed and refused
    let body = br#"{"jsonrpc":"2.0","id":9,"method":"shutdown"}"#;
    let mut f = b"Content-Type: text/plain; charset=latin1\r\n".to_vec();
    f.extend(frame(body));
    c.write(&f);
    assert_eq!(c.error_for(Value::Null), -32600);
    c.alive(5);
    // lower-case header names and LF-only line endings are read
    let body = br#"{"jsonrpc":"2.0","id":6,"method":"workspace/executeCommand","params":{"command":"ambient.migrationReport","arguments":[]}}"#;
    let mut f = format!("content-length: {}\n\n", body.len()).into_bytes();
    f.extend_from_slice(body);
    c.write(&f);
    assert!(c.take(|m| m["id"] == 6).get("result").is_some());
    // a body shorter than its Content-Length swallows the start of the next frame (an error),
    // what is left of that frame is not a frame (an error); the one after is read
    c.write(b"Content-Length: 30\r\n\r\n{\"jsonrpc\":\"2.0\"}");
    c.write(b"Content-Length: 100\r\n\r\n");
    assert_eq!(c.error_for(Value::Null), -32700);
    assert_eq!(c.error_for(Value::Null), -32600);
    c.alive(7);
    // a body over the limit (256 MiB) is drained without being kept
    let big = 257usize << 20;
    c.write(format!("Content-Length: {big}\r\n\r\n").as_bytes());
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..257 {
        c.write(&chunk);
    }
    let r = c.take(|m| m["id"].is_null() && m.get("error").is_some());
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("over the limit"),
        "{r}"
    );
    c.alive(8);
}

#[test]
fn unknown_methods() {
    let d = workspace();
    let mut c = Raw::start(d.path());
    c.send(&json!({"jsonrpc": "2.0", "id": 1, "method": "no/suchMethod", "params": {}}));
    assert_eq!(c.error_for(json!(1)), -32601);
    // an unknown `$/` request gets MethodNotFound too (the spec: may be ignored only as a
    // notification)
    c.send(&json!({"jsonrpc": "2.0", "id": 2, "method": "$/unknownThing", "params": {}}));
    assert_eq!(c.error_for(json!(2)), -32601);
    // unknown notifications, `$/` or not: nothing
    c.send(&json!({"jsonrpc": "2.0", "method": "$/unknownThing", "params": {}}));
    c.send(&json!({"jsonrpc": "2.0", "method": "no/suchNotification", "params": {}}));
    // a cancel for a request that does not exist
    c.send(&json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 999}}));
    // a response to a request the server never sent
    c.send(&json!({"jsonrpc": "2.0", "id": 12345, "result": null}));
    c.alive(3);
    // wrong params for a known method: InvalidParams, still serving
    c.send(&json!({"jsonrpc": "2.0", "id": 4, "method": "textDocument/hover", "params": {"x": 1}}));
    assert_eq!(c.error_for(json!(4)), -32602);
    c.alive(5);
    // a request before `initialize` is done twice: the second initialize is refused
    c.send(
        &json!({"jsonrpc": "2.0", "id": 6, "method": "initialize", "params": {"capabilities": {}}}),
    );
    let r = c.take(|m| m["id"] == 6);
    assert!(r.get("error").is_some(), "{r}");
    c.alive(7);
}

#[test]
fn a_lone_surrogate_in_a_document_is_replaced_and_positions_stay_right() {
    let d = workspace();
    let mut c = Raw::start(d.path());
    let path = d.path().join("doc.yaml");
    let uri = e2e::lsp::uri(&path);
    c.send(
        &json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": "a: 1\n"}}}),
    );
    // `\ud800` alone, as a JavaScript client sends a lone surrogate
    let text =
        r#"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: \ud800x\n  labels: {bad: [\n"#;
    let body = format!(
        r#"{{"jsonrpc":"2.0","method":"textDocument/didChange","params":{{"textDocument":{{"uri":"{uri}","version":2}},"contentChanges":[{{"text":"{text}"}}]}}}}"#
    );
    c.write(&frame(body.as_bytes()));
    let p = c.take(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri.as_str()
            && m["params"]["version"] == 2
    });
    // the broken flow sequence on line 4 is reported there (U+FFFD is one UTF-16 unit, like the
    // surrogate, so positions match the client's text)
    let diags = p["params"]["diagnostics"].as_array().unwrap();
    assert!(
        diags.iter().any(|d| d["range"]["start"]["line"] == 4),
        "{p}"
    );
    c.alive(1);
}

#[test]
fn the_input_ending_mid_message_ends_the_server_promptly() {
    let d = workspace();
    let mut c = Raw::start(d.path());
    c.alive(1);
    c.write(b"Content-Length: 100\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":2,");
    c.stdin.take();
    // no shutdown: status 1 (LSP spec)
    assert_eq!(c.wait_exit(), 1);

    // the same in the middle of a header
    let mut c = Raw::start(d.path());
    c.alive(1);
    c.write(b"Content-Len");
    c.stdin.take();
    assert_eq!(c.wait_exit(), 1);

    // after shutdown, the end of the input is a clean exit
    let mut c = Raw::start(d.path());
    c.send(&json!({"jsonrpc": "2.0", "id": 1, "method": "shutdown"}));
    assert!(c.take(|m| m["id"] == 1).get("result").is_some());
    c.stdin.take();
    assert_eq!(c.wait_exit(), 0);
}

#[test]
fn exit_without_shutdown_is_status_1_and_requests_after_shutdown_are_refused() {
    let d = workspace();
    let mut c = Raw::start(d.path());
    c.send(&json!({"jsonrpc": "2.0", "method": "exit"}));
    assert_eq!(c.wait_exit(), 1);

    let mut c = Raw::start(d.path());
    c.send(&json!({"jsonrpc": "2.0", "id": 1, "method": "shutdown"}));
    assert!(c.take(|m| m["id"] == 1).get("result").is_some());
    c.send(
        &json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {
        "textDocument": {"uri": "file:///x.yaml"}, "position": {"line": 0, "character": 0}}}),
    );
    assert_eq!(c.error_for(json!(2)), -32600);
    c.send(&json!({"jsonrpc": "2.0", "method": "exit"}));
    assert_eq!(c.wait_exit(), 0);
}

#[test]
fn a_flood_of_garbage_does_not_stop_the_server() {
    let d = workspace();
    let mut c = Raw::start(d.path());
    // a deterministic pseudo-random mix of frames and junk
    let mut x: u64 = 0x9e3779b97f4a7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut junk = Vec::new();
    for _ in 0..2000 {
        match next() % 4 {
            0 => junk.extend(frame(
                &(0..next() % 64).map(|_| next() as u8).collect::<Vec<_>>(),
            )),
            1 => junk.extend((0..next() % 32).map(|_| next() as u8)),
            2 => junk.extend(b"\r\n"),
            _ => junk.extend(frame(br#"{"jsonrpc":"2.0","method":"$/x"}"#)),
        }
    }
    // whatever the junk did to the framing, a few blank frames get the reader back in step
    junk.extend(b"\r\n\r\n");
    c.write(&junk);
    for _ in 0..3 {
        c.write(b"Content-Length: 2\r\n\r\n{}");
    }
    // some request goes through (the first may be eaten by a body the junk announced)
    for id in 1..=20 {
        c.send(&json!({"jsonrpc": "2.0", "id": id, "method": "shutdown"}));
    }
    let r = c.take(|m| m["id"].is_i64() && m.get("result").is_some());
    assert!(r["result"].is_null(), "{r}");
}

/// `docs` (YAML text of several documents) as a `kind: List` with block items.
fn as_list(text: &str) -> String {
    let st = ambient_lsp::yaml::parse_stream(text, &ambient_lsp::yaml::Limits::default());
    let mut out = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for d in &st.docs {
        let Some(root) = &d.root else { continue };
        let y = ambient_lsp::yaml::emit::to_yaml(&root.to_json());
        for (i, line) in y.lines().enumerate() {
            out.push_str(if i == 0 { "- " } else { "  " });
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str("metadata:\n  resourceVersion: \"\"\n");
    out
}

fn items(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{}/{}",
                i["kind"].as_str().unwrap(),
                i["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn fixes_on_a_kubectl_list_and_a_json_manifest() {
    use e2e::lsp::{uri, Client};
    let ws = e2e::example_copy();
    // payments/policies.yaml as `kubectl get -o yaml` writes it
    let f = ws.path().join("payments/policies.yaml");
    let list = as_list(&std::fs::read_to_string(&f).unwrap());
    std::fs::write(&f, &list).unwrap();
    // bookinfo's Namespace as JSON
    let ns = ws.path().join("bookinfo/namespace.yaml");
    let ns_json = ws.path().join("bookinfo/namespace.json");
    let v = serde_json::to_value(
        ambient_lsp::yaml::parse_stream(
            &std::fs::read_to_string(&ns).unwrap(),
            &ambient_lsp::yaml::Limits::default(),
        )
        .docs[0]
            .root
            .as_ref()
            .unwrap()
            .to_json(),
    )
    .unwrap();
    std::fs::remove_file(&ns).unwrap();
    std::fs::write(&ns_json, serde_json::to_string_pretty(&v).unwrap() + "\n").unwrap();
    // R001's label fix is offered only once R009 (bookinfo's fail-closed policies) is gone
    std::fs::write(ws.path().join("bookinfo/authorization.yaml"), "").unwrap();

    let mut c = Client::start(ws.path(), json!({}));
    c.wait_indexed();
    c.sync();

    // delete the migrated policy: that item alone
    let u = c.open(&f);
    c.sync();
    let d = c.diagnostics_for(&u, Some(1), 0);
    let s = d
        .iter()
        .find(|d| d["code"] == "S001" && d["message"].as_str().unwrap().contains("checkout-viewer"))
        .unwrap_or_else(|| panic!("no S001 in {d:#?}"))
        .clone();
    let actions = c.code_actions(&u, s["range"].clone(), None);
    let a = actions
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .unwrap()
                .contains("Delete AuthorizationPolicy payments/checkout-viewer")
        })
        .unwrap_or_else(|| panic!("{actions:#?}"))
        .clone();
    c.apply(&a["edit"]);
    let after = c.text(&u);
    let before_v: Value = serde_json::to_value(
        ambient_lsp::yaml::parse_stream(&list, &Default::default()).docs[0]
            .root
            .as_ref()
            .unwrap()
            .to_json(),
    )
    .unwrap();
    let after_v: Value = serde_json::to_value(
        ambient_lsp::yaml::parse_stream(&after, &Default::default()).docs[0]
            .root
            .as_ref()
            .unwrap()
            .to_json(),
    )
    .unwrap();
    let mut want = items(&before_v);
    want.retain(|i| i != "AuthorizationPolicy/checkout-viewer");
    assert_eq!(items(&after_v), want, "{after}");
    assert_eq!(after_v["kind"], "List");
    assert!(after.ends_with("metadata:\n  resourceVersion: \"\"\n"));

    // the namespace labels of the JSON manifest: JSON edits, still JSON
    let u = c.open(&ns_json);
    c.sync();
    let d = c.diagnostics_for(&u, Some(1), 0);
    let r = d
        .iter()
        .find(|d| d["code"] == "R001")
        .unwrap_or_else(|| panic!("no R001 in {d:#?}"))
        .clone();
    let actions = c.code_actions(&u, r["range"].clone(), None);
    assert!(
        actions
            .iter()
            .all(|a| !a["title"].as_str().unwrap().contains("to this file")),
        "{actions:#?}"
    );
    let a = actions
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .unwrap()
                .contains("Label Namespace bookinfo")
        })
        .unwrap_or_else(|| panic!("{actions:#?}"))
        .clone();
    c.apply(&a["edit"]);
    let text = c.text(&u);
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(
        v["metadata"]["labels"]["istio.io/dataplane-mode"],
        "ambient"
    );
    assert!(v["metadata"]["labels"].get("istio-injection").is_none());
    assert_eq!(v["metadata"]["labels"]["team"], "books");
    c.sync();
    let d = c.diagnostics_for(&u, Some(2), 0);
    assert!(
        d.iter()
            .all(|d| d["code"] != "R001" && d["code"] != "YAML-001"),
        "{d:#?}"
    );

    // YAML typed into the JSON file is reported
    c.change(
        &u,
        &format!("{text}---\nkind: Namespace\nmetadata: {{name: x}}\n"),
    );
    c.sync();
    let d = c.diagnostics_for(&u, Some(3), 0);
    assert!(
        d.iter().any(|d| d["code"] == "YAML-001"
            && d["message"].as_str().unwrap().contains("not valid JSON")),
        "{d:#?}"
    );
    let _ = uri;
}

#[test]
fn write_recommendations_is_safe() {
    use e2e::lsp::{uri, Client};
    let ws = e2e::example_copy();
    let mut c = Client::start(ws.path(), json!({}));
    c.wait_indexed();
    c.sync();
    let write = |c: &mut Client, arg: Value| -> Value {
        c.request(
            "workspace/executeCommand",
            json!({"command": "ambient.writeRecommendations", "arguments": [arg]}),
        )
    };
    // only an absolute path or a local file: URI
    for bad in [
        json!(""),
        json!("relative/dir"),
        json!("https://example.com/out"),
        json!("file://otherhost/tmp/out"),
        json!({"folder": ""}),
        json!(42),
    ] {
        let r = write(&mut c, bad.clone());
        assert_eq!(r["error"]["code"], -32602, "{bad}: {r}");
    }
    let report = |c: &mut Client| -> Value {
        let r = c.request(
            "workspace/executeCommand",
            json!({"command": "ambient.migrationReport", "arguments": []}),
        );
        r["result"]["phases"].clone()
    };
    let before = report(&mut c);
    // into the workspace itself: the files written are not analysed as if applied
    let out = ws.path().join("recs");
    let r = write(&mut c, json!(uri(&out)));
    let outputs = r["result"]["outputs"]
        .as_object()
        .unwrap_or_else(|| panic!("{r}"))
        .clone();
    let mut events = Vec::new();
    for (name, path) in &outputs {
        let p = std::path::Path::new(path.as_str().unwrap());
        assert_eq!(p, out.join(name), "the real path written");
        assert!(p.is_file());
        events.push(json!({"uri": uri(p), "type": 1}));
    }
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": events}),
    );
    c.sync();
    assert_eq!(
        report(&mut c),
        before,
        "our own output files changed the analysis"
    );
    // writing again over our own files is fine
    let r = write(&mut c, json!(out.to_str().unwrap()));
    assert!(r.get("result").is_some(), "{r}");
    // a file of the user's with one of our names is never overwritten silently
    let user = ws.path().join("mine");
    std::fs::create_dir_all(&user).unwrap();
    let theirs = "# my own policies\nkind: ConfigMap\n";
    std::fs::write(user.join("recommended-policies.yaml"), theirs).unwrap();
    let r = write(&mut c, json!({"folder": uri(&user)}));
    assert_eq!(r["error"]["code"], -32602, "{r}");
    assert!(r["error"]["message"]
        .as_str()
        .unwrap()
        .contains("recommended-policies.yaml"));
    assert_eq!(
        std::fs::read_to_string(user.join("recommended-policies.yaml")).unwrap(),
        theirs
    );
    assert!(
        !user.join("commands.sh").exists(),
        "nothing written when refused"
    );
    let r = write(&mut c, json!({"folder": uri(&user), "overwrite": true}));
    assert!(r.get("result").is_some(), "{r}");
    assert_ne!(
        std::fs::read_to_string(user.join("recommended-policies.yaml")).unwrap(),
        theirs
    );
}

#[test]
fn a_client_that_never_answers_still_gets_an_indexed_workspace() {
    let d = workspace();
    let caps = json!({
        "workspace": {"configuration": true, "didChangeWatchedFiles": {"dynamicRegistration": true}},
        "window": {"workDoneProgress": true}
    });
    let mut c = Raw::start_with(d.path(), caps, false);
    let started = Instant::now();
    c.send(
        &json!({"jsonrpc": "2.0", "id": 1, "method": "workspace/executeCommand",
        "params": {"command": "ambient.migrationReport", "arguments": []}}),
    );
    let r = c.take(|m| m["id"] == 1);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    // the namespace of the workspace is in the report: it was indexed
    assert_eq!(r["result"]["inputs"]["resources"], 1, "{r}");
}
