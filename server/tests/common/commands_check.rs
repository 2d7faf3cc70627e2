//! A checker of `commands.sh` (the script `ambient-lsp migrate` writes): `sh -n` accepts it, and
//! every kubectl line — runnable or written commented out because its phase failed — has one of
//! the forms the tool means to emit, with valid names, labels and patches; its verbs and flags
//! are checked against the real `kubectl` (`kubectl <verb> --help`, `kubectl options`) when one
//! is installed (`AMBIENT_KUBECTL`, else PATH; required when `CI` is set). The forms are strict on
//! purpose: a new kind of command must be added here, on a reviewer's sight.
//!
//! Also used by the e2e crate (`tests/cli.rs`) through `#[path]`.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// What the script holds, once checked.
#[derive(Debug, Default)]
pub struct Script {
    /// kubectl lines that run, in order.
    pub commands: Vec<String>,
    /// kubectl lines written commented out (a failed phase).
    pub disabled: Vec<String>,
    /// `# by hand:` steps.
    pub manual: Vec<String>,
}

/// Checks a `commands.sh`; `Err` lists every problem.
pub fn check(script: &str) -> Result<Script, String> {
    let mut problems = Vec::new();
    if let Err(e) = sh_n(script) {
        problems.push(e);
    }
    let mut out = Script::default();
    let mut forms: BTreeMap<Vec<String>, BTreeSet<String>> = BTreeMap::new();
    for (i, line) in script.lines().enumerate() {
        let n = i + 1;
        let t = line.trim();
        if t.is_empty() || t == "#!/bin/sh" || t == "set -e" || t == "cd \"$(dirname \"$0\")\"" {
            continue;
        }
        let (cmd, disabled) = if let Some(rest) = t.strip_prefix("# kubectl ") {
            (format!("kubectl {rest}"), true)
        } else if let Some(step) = t.strip_prefix("# by hand: ") {
            if step.trim().is_empty() {
                problems.push(format!("line {n}: an empty manual step"));
            }
            out.manual.push(step.to_string());
            continue;
        } else if t.starts_with('#') {
            continue;
        } else {
            (t.to_string(), false)
        };
        match kubectl_form(&cmd) {
            Ok((verb, flags)) => {
                forms.entry(verb).or_default().extend(flags);
                if disabled {
                    out.disabled.push(cmd);
                } else {
                    out.commands.push(cmd);
                }
            }
            Err(e) => problems.push(format!("line {n}: {e}: {line}")),
        }
    }
    if let Err(e) = against_kubectl(&forms) {
        problems.push(e);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems.join("\n"))
    }
}

/// `sh -n`: the script parses.
fn sh_n(script: &str) -> Result<(), String> {
    // one folder per call: the tests of a binary run in parallel, and one call removing a
    // shared folder made another's write fail (ENOENT)
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("commands-check-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join(format!("commands-{:x}.sh", fxhash(script)));
    std::fs::write(&path, script).map_err(|e| e.to_string())?;
    let o = Command::new("sh")
        .arg("-n")
        .arg(&path)
        .output()
        .map_err(|e| format!("sh: {e}"))?;
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_dir(&dir);
    if o.status.success() {
        Ok(())
    } else {
        Err(format!(
            "sh -n rejects the script: {}",
            String::from_utf8_lossy(&o.stderr)
        ))
    }
}

fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

/// Words of a line as `sh` splits them (single and double quotes; no expansions are allowed).
pub fn words(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut any = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                any = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => return Err("unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                any = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('$' | '`' | '\\') => {
                            return Err("expansion or escape inside double quotes".into())
                        }
                        Some(c) => cur.push(c),
                        None => return Err("unterminated double quote".into()),
                    }
                }
            }
            c if c.is_whitespace() => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            '$' | '`' | '\\' | ';' | '&' | '|' | '<' | '>' | '(' | ')' | '*' | '?' | '[' | '#'
            | '~' => {
                return Err(format!("shell metacharacter {c:?} outside quotes"));
            }
            c => {
                any = true;
                cur.push(c);
            }
        }
    }
    if any {
        out.push(cur);
    }
    Ok(out)
}

/// A DNS-1123 label (names of namespaces, Services, Pods' controllers…).
fn dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A DNS-1123 subdomain (object names).
fn dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(dns_label)
}

/// A label name part / value: at most 63 characters `[A-Za-z0-9]([-_.A-Za-z0-9]*[A-Za-z0-9])?`.
fn label_part(s: &str, may_be_empty: bool) -> bool {
    if s.is_empty() {
        return may_be_empty;
    }
    s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && s.as_bytes()[0].is_ascii_alphanumeric()
        && s.as_bytes()[s.len() - 1].is_ascii_alphanumeric()
}

/// A label key: `[prefix/]name`.
pub fn label_key(k: &str) -> bool {
    match k.split_once('/') {
        Some((p, n)) => dns_subdomain(p) && label_part(n, false),
        None => label_part(k, false),
    }
}

/// `k=v` or `k-`.
fn label_op(op: &str) -> Result<(), String> {
    if let Some((k, v)) = op.split_once('=') {
        if label_key(k) && label_part(v, true) {
            return Ok(());
        }
    } else if let Some(k) = op.strip_suffix('-') {
        if label_key(k) {
            return Ok(());
        }
    }
    Err(format!("invalid label operation {op:?}"))
}

/// Reads `-n NS` (or `--namespace=NS`) out of `args`, which keeps the rest.
fn take_namespace(args: &mut Vec<String>) -> Option<String> {
    if let Some(i) = args.iter().position(|a| a == "-n" || a == "--namespace") {
        if i + 1 < args.len() {
            let ns = args.remove(i + 1);
            args.remove(i);
            return Some(ns);
        }
    }
    if let Some(i) = args.iter().position(|a| a.starts_with("--namespace=")) {
        let a = args.remove(i);
        return Some(a["--namespace=".len()..].to_string());
    }
    None
}

fn take_flag(args: &mut Vec<String>, flag: &str) -> Option<String> {
    let i = args
        .iter()
        .position(|a| a == flag || a.starts_with(&format!("{flag}=")))?;
    let a = args.remove(i);
    if let Some(v) = a.strip_prefix(&format!("{flag}=")) {
        return Some(v.to_string());
    }
    if i < args.len() && !args[i].starts_with('-') {
        return Some(args.remove(i));
    }
    Some(String::new())
}

const ROLLOUT_KINDS: [&str; 3] = ["deployment", "daemonset", "statefulset"];

/// The forms the tool emits: `(verb path, flags used)` or why the line is not one of them.
pub fn kubectl_form(line: &str) -> Result<(Vec<String>, Vec<String>), String> {
    let w = words(line)?;
    if w.first().map(String::as_str) != Some("kubectl") {
        return Err("not a kubectl command".into());
    }
    let mut args: Vec<String> = w[1..].to_vec();
    if args.is_empty() {
        return Err("kubectl without a verb".into());
    }
    let verb = args.remove(0);
    let ns = take_namespace(&mut args);
    let mut flags = Vec::new();
    if ns.is_some() {
        flags.push("--namespace".to_string());
    }
    if let Some(ns) = &ns {
        if !dns_label(ns) {
            return Err(format!("invalid namespace {ns:?}"));
        }
    }
    let need_ns = |what: &str| -> Result<(), String> {
        ns.as_ref()
            .map(|_| ())
            .ok_or_else(|| format!("{what} without -n"))
    };
    let verbs = match verb.as_str() {
        "apply" => {
            let f = take_flag(&mut args, "-f").ok_or("apply without -f")?;
            flags.push("--filename".into());
            if !matches!(
                f.as_str(),
                "recommended-waypoints.yaml"
                    | "recommended-policies.yaml"
                    | "recommended-routes.yaml"
            ) {
                return Err(format!("apply of an unexpected file {f:?}"));
            }
            vec![verb]
        }
        "label" => {
            if take_flag(&mut args, "--overwrite").is_some() {
                flags.push("--overwrite".into());
            }
            if args.len() < 3 {
                return Err("label needs a type, a name and a label".into());
            }
            let kind = args.remove(0);
            let name = args.remove(0);
            match kind.as_str() {
                "ns" | "namespace" => {
                    if ns.is_some() {
                        return Err("a Namespace label with -n".into());
                    }
                }
                "service"
                | "svc"
                | "pod"
                | "serviceentries.networking.istio.io"
                | "gateways.gateway.networking.k8s.io" => need_ns("label")?,
                k => return Err(format!("label of an unexpected type {k:?}")),
            }
            if !dns_subdomain(&name) {
                return Err(format!("invalid name {name:?}"));
            }
            for op in &args {
                label_op(op)?;
            }
            args.clear();
            vec![verb]
        }
        "delete" => {
            if args.len() != 2 {
                return Err("delete needs exactly a type and a name".into());
            }
            let (kind, name) = (&args[0], &args[1]);
            if matches!(kind.as_str(), "pod" | "pods" | "po")
                || kind.starts_with("pod/")
                || kind.starts_with("pods/")
            {
                return Err("a Pod is deleted (a bare Pod would not come back)".into());
            }
            let plural_group = kind.contains('.')
                && kind.split('.').all(|p| {
                    !p.is_empty()
                        && p.bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                });
            if !plural_group {
                return Err(format!(
                    "delete of {kind:?}: use the full resource.group name"
                ));
            }
            if !dns_subdomain(name) {
                return Err(format!("invalid name {name:?}"));
            }
            // cluster-scoped kinds take no namespace; every other kind must say which
            let cluster_scoped = matches!(
                kind.split('.').next().unwrap_or(""),
                "mutatingwebhookconfigurations"
                    | "validatingwebhookconfigurations"
                    | "customresourcedefinitions"
                    | "clusterroles"
                    | "clusterrolebindings"
                    | "namespaces"
                    | "gatewayclasses"
            );
            if cluster_scoped {
                if ns.is_some() {
                    return Err(format!("delete of cluster-scoped {kind:?} with -n"));
                }
            } else {
                need_ns("delete")?;
            }
            args.clear();
            vec![verb]
        }
        "rollout" => {
            if args.is_empty() {
                return Err("rollout without a subcommand".into());
            }
            let sub = args.remove(0);
            if !matches!(sub.as_str(), "restart" | "status") {
                return Err(format!("rollout {sub}"));
            }
            if sub == "status" {
                if let Some(t) = take_flag(&mut args, "--timeout") {
                    flags.push("--timeout".into());
                    if !t.ends_with('m') && !t.ends_with('s') {
                        return Err(format!("invalid timeout {t:?}"));
                    }
                }
            }
            if args.len() != 1 {
                return Err(format!("rollout {sub} needs exactly one kind/name"));
            }
            let (kind, name) = args[0]
                .split_once('/')
                .ok_or("rollout target is not kind/name")?;
            if !ROLLOUT_KINDS.contains(&kind) {
                return Err(format!(
                    "kubectl rollout {sub} does not support {kind:?} (only Deployment, DaemonSet, StatefulSet)"
                ));
            }
            if !dns_subdomain(name) {
                return Err(format!("invalid name {name:?}"));
            }
            need_ns("rollout")?;
            args.clear();
            vec![verb, sub]
        }
        "patch" => {
            let ty = take_flag(&mut args, "--type").ok_or("patch without --type")?;
            let p = take_flag(&mut args, "-p").ok_or("patch without -p")?;
            flags.push("--type".into());
            flags.push("--patch".into());
            if ty != "merge" {
                return Err(format!("patch --type={ty}"));
            }
            if args.len() != 2 {
                return Err("patch needs exactly a type and a name".into());
            }
            let (kind, name) = (args[0].clone(), args[1].clone());
            if !dns_subdomain(&name) {
                return Err(format!("invalid name {name:?}"));
            }
            need_ns("patch")?;
            let v: serde_json::Value =
                serde_json::from_str(&p).map_err(|e| format!("patch is not JSON: {e}"))?;
            let labels = match kind.as_str() {
                "deployment" | "daemonset" | "statefulset" | "replicaset" => {
                    &v["spec"]["template"]["metadata"]["labels"]
                }
                "cronjob" => &v["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"],
                k => return Err(format!("patch of an unexpected type {k:?}")),
            };
            let Some(labels) = labels.as_object() else {
                return Err("the patch does not change the pod template's labels".into());
            };
            // nothing else in the patch
            let mut only = v.clone();
            let strip = if kind == "cronjob" {
                &mut only["spec"]["jobTemplate"]["spec"]["template"]["metadata"]
            } else {
                &mut only["spec"]["template"]["metadata"]
            };
            strip.as_object_mut().unwrap().remove("labels");
            if !only_empty_maps(&only) {
                return Err(format!("the patch changes more than labels: {p}"));
            }
            for (k, val) in labels {
                if !label_key(k) {
                    return Err(format!("invalid label key {k:?}"));
                }
                match val {
                    serde_json::Value::Null => {}
                    serde_json::Value::String(s) if label_part(s, true) => {}
                    _ => return Err(format!("invalid label value {val}")),
                }
            }
            args.clear();
            vec![verb]
        }
        "wait" => {
            // only: wait until a Gateway API Gateway (a waypoint) is programmed
            let cond = take_flag(&mut args, "--for").ok_or("wait without --for")?;
            flags.push("--for".into());
            if cond != "condition=Programmed" {
                return Err(format!("wait --for={cond}"));
            }
            let t = take_flag(&mut args, "--timeout").ok_or("wait without --timeout")?;
            flags.push("--timeout".into());
            if !t.ends_with('m') && !t.ends_with('s') {
                return Err(format!("invalid timeout {t:?}"));
            }
            if args.len() != 1 {
                return Err("wait needs exactly one type/name".into());
            }
            let (kind, name) = args[0]
                .split_once('/')
                .ok_or("wait target is not type/name")?;
            if kind != "gateways.gateway.networking.k8s.io" {
                return Err(format!(
                    "wait for {kind:?}: only gateways.gateway.networking.k8s.io (gateway alone may be Istio's)"
                ));
            }
            if !dns_subdomain(name) {
                return Err(format!("invalid name {name:?}"));
            }
            need_ns("wait")?;
            args.clear();
            vec![verb]
        }
        v => return Err(format!("unexpected verb {v:?}")),
    };
    if !args.is_empty() {
        return Err(format!("unexpected arguments {args:?}"));
    }
    Ok((verbs, flags))
}

/// A JSON object holding only objects, down to empty ones.
fn only_empty_maps(v: &serde_json::Value) -> bool {
    v.as_object()
        .is_some_and(|m| m.values().all(only_empty_maps))
}

/// The kubectl binaries to check against (`AMBIENT_KUBECTL`, colon-separated, else the
/// `kubectl` on PATH), those that run.
pub fn kubectls() -> Vec<PathBuf> {
    static FOUND: std::sync::OnceLock<Vec<PathBuf>> = std::sync::OnceLock::new();
    FOUND.get_or_init(find_kubectls).clone()
}

fn find_kubectls() -> Vec<PathBuf> {
    let list: Vec<PathBuf> = match std::env::var_os("AMBIENT_KUBECTL") {
        Some(v) => std::env::split_paths(&v)
            .filter(|p| !p.as_os_str().is_empty())
            .collect(),
        None => vec![PathBuf::from("kubectl")],
    };
    list.into_iter()
        .filter(|k| {
            Command::new(k)
                .args(["version", "--client"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .collect()
}

/// `kubectl ARGS` (help texts), each asked once per test binary.
fn help(k: &PathBuf, args: &[&str]) -> String {
    static CACHE: std::sync::OnceLock<std::sync::Mutex<BTreeMap<String, String>>> =
        std::sync::OnceLock::new();
    let key = format!("{} {}", k.display(), args.join(" "));
    let cache = CACHE.get_or_init(Default::default);
    if let Some(h) = cache.lock().unwrap().get(&key) {
        return h.clone();
    }
    let h = run_help(k, args);
    cache.lock().unwrap().insert(key, h.clone());
    h
}

fn run_help(k: &PathBuf, args: &[&str]) -> String {
    Command::new(k)
        .args(args)
        .env("KUBECONFIG", "/dev/null")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
        .unwrap_or_default()
}

/// Every verb path is a kubectl command and every flag one of its flags (or a global one).
pub fn against_kubectl(forms: &BTreeMap<Vec<String>, BTreeSet<String>>) -> Result<(), String> {
    let ks = kubectls();
    if ks.is_empty() {
        if std::env::var_os("CI").is_some() {
            return Err("no kubectl found (AMBIENT_KUBECTL or PATH)".into());
        }
        eprintln!("commands_check: no kubectl installed; only the forms were checked");
        return Ok(());
    }
    let mut problems = Vec::new();
    for k in &ks {
        let global = help(k, &["options"]);
        for (verb, flags) in forms {
            let mut args: Vec<&str> = verb.iter().map(String::as_str).collect();
            args.push("--help");
            let h = help(k, &args);
            let usage = format!("kubectl {}", verb.join(" "));
            if !h.contains(&usage) {
                problems.push(format!("{}: no command {usage:?}", k.display()));
                continue;
            }
            for f in flags {
                let listed =
                    |text: &str| text.contains(&format!("{f}=")) || text.contains(&format!("{f}:"));
                if !listed(&h) && !listed(&global) {
                    problems.push(format!("{}: {usage} has no flag {f}", k.display()));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}
