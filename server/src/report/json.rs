//! The JSON report, version 1 (contract §2).

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{json, Map, Value};

use super::place::Placer;
use super::Report;
use crate::finding::Finding;

/// What a finding is about: `resource` (then `resource` is set), `namespace` (then
/// `namespace` is set and `resource` is null), `file` (an input problem of a file) or `cluster`.
pub fn scope(f: &Finding) -> &'static str {
    if f.resource.is_some() {
        "resource"
    } else if f.namespace.is_some() {
        "namespace"
    } else if f.phase() == crate::finding::Phase::Input && f.location.is_some() {
        "file"
    } else {
        "cluster"
    }
}

fn location(report: &Report, placer: &Placer, f: &Finding) -> Value {
    let Some((loc, how)) = placer.place(f) else {
        return Value::Null;
    };
    let tmp = Finding {
        location: Some(loc),
        ..Finding::new(f.rule, "")
    };
    match report.position(&tmp) {
        Some((file, line, col, el, ec)) => {
            let mut l = if super::is_cluster_path(&file) {
                json!({"uri": file})
            } else {
                json!({"file": file, "line": line, "column": col, "endLine": el, "endColumn": ec})
            };
            if let Some(p) = how.as_str() {
                l["placed"] = json!(p);
            }
            l
        }
        None => Value::Null,
    }
}

pub fn finding(report: &Report, placer: &Placer, f: &Finding) -> Value {
    let mut m = Map::new();
    m.insert("rule".into(), json!(f.rule.id));
    m.insert("severity".into(), json!(f.severity().as_str()));
    m.insert("blocking".into(), json!(f.blocking()));
    m.insert("message".into(), json!(f.message));
    if !f.details.is_empty() {
        m.insert("details".into(), json!(f.details));
    }
    m.insert("scope".into(), json!(scope(f)));
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
    m.insert("location".into(), location(report, placer, f));
    if !f.related.is_empty() {
        let rel: Vec<Value> = f
            .related
            .iter()
            .filter_map(|r| {
                let tmp = Finding::new(f.rule, "").at(r.location.file, r.location.span);
                report.position(&tmp).map(|(file, line, col, _, _)| {
                    if super::is_cluster_path(&file) {
                        json!({"uri": file, "message": r.message})
                    } else {
                        json!({"file": file, "line": line, "column": col, "message": r.message})
                    }
                })
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

/// `{"kind": "files", "paths": […]}` or `{"kind": "cluster", "context": "…"}`.
pub fn source(report: &Report) -> Value {
    match &report.cluster {
        Some(c) => json!({"kind": "cluster", "context": c.context}),
        None => json!({"kind": "files", "paths": report.sources}),
    }
}

pub fn render(report: &Report, outputs: &[(String, String)]) -> Value {
    let placer = Placer::new(report.index);
    let phases: Vec<Value> = report
        .phases
        .iter()
        .map(|p| {
            json!({
                "id": p.phase.id(),
                "status": p.status.as_str(),
                "checks": p.checks.iter().map(|c| json!({"id": c.id, "title": c.title, "status": c.status.as_str(), "message": c.message})).collect::<Vec<_>>(),
                "findings": p.findings.iter().map(|f| finding(report, &placer, f)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut out_map = Map::new();
    for (k, v) in outputs {
        out_map.insert(k.clone(), json!(v));
    }
    json!({
        "version": 1,
        "source": source(report),
        "inputs": {
            "files": report.files,
            "resources": report.resources,
            "notObjects": report.not_objects,
            "problems": report.inputs.iter().map(|f| finding(report, &placer, f)).collect::<Vec<_>>(),
        },
        "phases": phases,
        "outputs": Value::Object(out_map),
    })
}

/// The findings of a phase (or the input problems), serialized one at a time.
struct Findings<'r, 'a> {
    report: &'r Report<'a>,
    placer: &'r Placer<'a>,
    list: &'r [&'a Finding],
}

impl Serialize for Findings<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.list.len()))?;
        for f in self.list {
            seq.serialize_element(&finding(self.report, self.placer, f))?;
        }
        seq.end()
    }
}

struct Phases<'r, 'a>(&'r Report<'a>, &'r Placer<'a>);

impl Serialize for Phases<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let report = self.0;
        let mut seq = s.serialize_seq(Some(report.phases.len()))?;
        for p in &report.phases {
            struct One<'r, 'a>(&'r Report<'a>, &'r Placer<'a>, &'r super::PhaseReport<'a>);
            impl Serialize for One<'_, '_> {
                fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    let p = self.2;
                    let mut m = s.serialize_map(Some(4))?;
                    m.serialize_entry("id", p.phase.id())?;
                    m.serialize_entry("status", p.status.as_str())?;
                    let checks: Vec<Value> = p.checks.iter().map(|c| json!({"id": c.id, "title": c.title, "status": c.status.as_str(), "message": c.message})).collect();
                    m.serialize_entry("checks", &checks)?;
                    m.serialize_entry(
                        "findings",
                        &Findings {
                            report: self.0,
                            placer: self.1,
                            list: &p.findings,
                        },
                    )?;
                    m.end()
                }
            }
            seq.serialize_element(&One(report, self.1, p))?;
        }
        seq.end()
    }
}

struct Whole<'r, 'a> {
    report: &'r Report<'a>,
    outputs: &'r [(String, String)],
}

impl Serialize for Whole<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.report;
        let placer = Placer::new(r.index);
        let mut m = s.serialize_map(Some(5))?;
        m.serialize_entry("version", &1)?;
        m.serialize_entry("source", &source(r))?;
        struct Inputs<'r, 'a>(&'r Report<'a>, &'r Placer<'a>);
        impl Serialize for Inputs<'_, '_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let r = self.0;
                let mut m = s.serialize_map(Some(4))?;
                m.serialize_entry("files", &r.files)?;
                m.serialize_entry("resources", &r.resources)?;
                m.serialize_entry("notObjects", &r.not_objects)?;
                m.serialize_entry(
                    "problems",
                    &Findings {
                        report: r,
                        placer: self.1,
                        list: &r.inputs,
                    },
                )?;
                m.end()
            }
        }
        m.serialize_entry("inputs", &Inputs(r, &placer))?;
        m.serialize_entry("phases", &Phases(r, &placer))?;
        let mut out_map = Map::new();
        for (k, v) in self.outputs {
            out_map.insert(k.clone(), json!(v));
        }
        m.serialize_entry("outputs", &out_map)?;
        m.end()
    }
}

/// Stream the report to `out` (pretty-printed), one finding at a time: the CLI's path, which
/// never holds the whole document in memory.
pub fn write(
    out: &mut dyn std::io::Write,
    report: &Report,
    outputs: &[(String, String)],
) -> std::io::Result<()> {
    let mut ser = serde_json::Serializer::pretty(&mut *out);
    Whole { report, outputs }
        .serialize(&mut ser)
        .map_err(std::io::Error::other)?;
    writeln!(out)
}
