//! The JSON report, version 1 (contract §2).

use serde_json::{json, Map, Value};

use super::Report;
use crate::finding::Finding;

pub fn finding(report: &Report, f: &Finding) -> Value {
    let mut m = Map::new();
    m.insert("rule".into(), json!(f.rule));
    m.insert("severity".into(), json!(f.severity.as_str()));
    m.insert("blocking".into(), json!(f.blocking));
    m.insert("message".into(), json!(f.message));
    if !f.details.is_empty() {
        m.insert("details".into(), json!(f.details));
    }
    m.insert(
        "resource".into(),
        f.resource
            .as_ref()
            .map(|r| serde_json::to_value(r.ref_()).unwrap_or(Value::Null))
            .unwrap_or(Value::Null),
    );
    if let Some(ns) = &f.namespace {
        m.insert("namespace".into(), json!(ns));
    }
    m.insert(
        "location".into(),
        match report.position(f) {
            Some((file, line, col, el, ec)) => {
                json!({"file": file, "line": line, "column": col, "endLine": el, "endColumn": ec})
            }
            None => Value::Null,
        },
    );
    if !f.related.is_empty() {
        let rel: Vec<Value> = f
            .related
            .iter()
            .filter_map(|r| {
                let tmp = Finding::new(f.rule, "").at(r.location.file, r.location.span);
                report.position(&tmp).map(|(file, line, col, _, _)| json!({"file": file, "line": line, "column": col, "message": r.message}))
            })
            .collect();
        m.insert("related".into(), Value::Array(rel));
    }
    m.insert(
        "actions".into(),
        serde_json::to_value(&f.actions).unwrap_or(Value::Array(vec![])),
    );
    Value::Object(m)
}

pub fn render(report: &Report, outputs: &[(String, String)]) -> Value {
    let phases: Vec<Value> = report
        .phases
        .iter()
        .map(|p| {
            json!({
                "id": p.phase.id(),
                "status": p.status.as_str(),
                "checks": p.checks.iter().map(|c| json!({"id": c.id, "title": c.title, "status": c.status.as_str(), "message": c.message})).collect::<Vec<_>>(),
                "findings": p.findings.iter().map(|f| finding(report, f)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut out_map = Map::new();
    for (k, v) in outputs {
        out_map.insert(k.clone(), json!(v));
    }
    json!({
        "version": 1,
        "source": {"kind": "files", "paths": report.sources},
        "inputs": {
            "files": report.files,
            "resources": report.resources,
            "notObjects": report.not_objects,
            "problems": report.inputs.iter().map(|f| finding(report, f)).collect::<Vec<_>>(),
        },
        "phases": phases,
        "outputs": Value::Object(out_map),
    })
}
