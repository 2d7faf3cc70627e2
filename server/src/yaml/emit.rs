//! A deterministic block-style YAML emitter for the objects we generate (kubectl's layout:
//! two-space indentation, sequence items at the indentation of their key).

use serde_json::Value;

/// Whether a string can be written as a plain scalar and still read back as the same string
/// under both YAML 1.2 and the YAML 1.1 rules Kubernetes' decoder uses.
pub fn is_plain_safe(s: &str) -> bool {
    if s.is_empty() || s.trim() != s {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "null"
            | "~"
            | "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "y"
            | "n"
            | ".inf"
            | "-.inf"
            | "+.inf"
            | ".nan"
    ) {
        return false;
    }
    let first = s.chars().next().unwrap();
    if first.is_ascii_digit()
        || matches!(first, '+' | '.' | '-')
            && s.len() > 1
            && s[1..].starts_with(|c: char| c.is_ascii_digit())
    {
        return false;
    }
    if matches!(
        first,
        '-' | '?'
            | ':'
            | ','
            | '['
            | ']'
            | '{'
            | '}'
            | '#'
            | '&'
            | '*'
            | '!'
            | '|'
            | '>'
            | '\''
            | '"'
            | '%'
            | '@'
            | '`'
    ) {
        return false;
    }
    if s.ends_with(':') || s.contains(": ") || s.contains(" #") || s.contains(['\n', '\r', '\t']) {
        return false;
    }
    if s.chars()
        .any(|c| c.is_control() || matches!(c, '{' | '}' | '[' | ']' | ','))
    {
        return false;
    }
    true
}

pub fn scalar_text(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some("null".to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(scalar_text(s)),
        Value::Array(a) if a.is_empty() => Some("[]".to_string()),
        Value::Object(o) if o.is_empty() => Some("{}".to_string()),
        _ => None,
    }
}

/// Emit one document (no leading `---`), ending with a newline.
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    match scalar(v) {
        Some(s) => {
            out.push_str(&s);
            out.push('\n');
        }
        None => emit_block(v, 0, &mut out),
    }
    out
}

/// Emit documents separated by `---`.
pub fn to_yaml_stream<'a>(docs: impl IntoIterator<Item = &'a Value>) -> String {
    let mut out = String::new();
    for (i, d) in docs.into_iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&to_yaml(d));
    }
    out
}

fn pad(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

fn emit_block(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Object(map) => {
            for (k, val) in map {
                pad(out, indent);
                emit_entry(k, val, indent, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                pad(out, indent);
                emit_item(item, indent, out);
            }
        }
        other => {
            pad(out, indent);
            out.push_str(&scalar(other).unwrap_or_default());
            out.push('\n');
        }
    }
}

/// `key: value` where the cursor is already indented.
fn emit_entry(k: &str, val: &Value, indent: usize, out: &mut String) {
    out.push_str(&scalar_text(k));
    out.push(':');
    match scalar(val) {
        Some(s) => {
            out.push(' ');
            out.push_str(&s);
            out.push('\n');
        }
        None => {
            out.push('\n');
            match val {
                Value::Array(_) => emit_block(val, indent, out),
                _ => emit_block(val, indent + 2, out),
            }
        }
    }
}

/// `- item` where the cursor is already indented.
fn emit_item(item: &Value, indent: usize, out: &mut String) {
    out.push_str("- ");
    match item {
        Value::Object(map) if !map.is_empty() => {
            let mut first = true;
            for (k, val) in map {
                if !first {
                    pad(out, indent + 2);
                }
                first = false;
                emit_entry(k, val, indent + 2, out);
            }
        }
        Value::Array(inner) if !inner.is_empty() => {
            let mut first = true;
            for it in inner {
                if !first {
                    pad(out, indent + 2);
                }
                first = false;
                emit_item(it, indent + 2, out);
            }
        }
        other => {
            out.push_str(&scalar(other).unwrap_or_default());
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};
    use serde_json::json;

    #[test]
    fn emits_kubectl_layout_and_round_trips() {
        let v = json!({
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {"name": "waypoint", "namespace": "app", "labels": {"istio.io/rev": "1-26"}},
            "spec": {"gatewayClassName": "istio-waypoint", "listeners": [{"name": "mesh", "port": 15008, "protocol": "HBONE"}],
                     "empty": {}, "none": [], "strs": ["*", "80", "true", "a: b", "", "GET"], "nested": [[1, 2], {"a": [{"b": 1}]}]}
        });
        let text = to_yaml(&v);
        assert!(text.contains("  listeners:\n  - name: mesh\n    port: 15008\n"));
        let parsed = parse_stream(&text, &Limits::default());
        assert!(parsed.docs[0].problems.is_empty(), "{text}");
        assert_eq!(parsed.docs[0].root.as_ref().unwrap().to_json(), v, "{text}");
    }

    #[test]
    fn quoting() {
        for s in [
            "yes",
            "No",
            "1.25",
            "0x10",
            "-1",
            "*",
            "&a",
            "a: b",
            "#x",
            "x #y",
            "",
            " a",
            "a\nb",
            "2024-01-01",
            "[x]",
        ] {
            assert!(!is_plain_safe(s), "{s}");
        }
        for s in [
            "waypoint",
            "cluster.local/ns/app/sa/waypoint",
            "GET",
            "/api/v1",
            "istio.io/rev",
            "a-b_c.d",
        ] {
            assert!(is_plain_safe(s), "{s}");
        }
    }
}
