//! Hover and go-to-definition: what a flagged node means for the migration, and what a
//! reference (`targetRefs`, `parentRefs`, `backendRefs`, hosts, `istio.io/use-waypoint`)
//! resolves to.

use std::sync::Arc;

use tower_lsp_server::ls_types::{Hover, HoverContents, Location, MarkupContent, MarkupKind};

use super::convert::{key_to_uri, range};
use crate::analysis::mesh::{host_matches, normalize_host, waypoint_for};
use crate::engine::Session;
use crate::index::FileData;
use crate::model::{Body, Resource};
use crate::yaml::{parse_stream, Encoding, Limits, Node, NodeKind, Span};

/// A step of the path from a document's root to a node.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// The chain of nodes from the document root to the innermost node containing `offset`.
fn node_path(root: &Node, offset: usize) -> Vec<(Step, &Node)> {
    let mut out: Vec<(Step, &Node)> = Vec::new();
    let mut cur = root;
    loop {
        let next = match &cur.kind {
            NodeKind::Map(entries) => entries.iter().find_map(|e| {
                let k = e.key.as_str().unwrap_or_default().to_string();
                if e.value.span.contains(offset) && !e.value.span.is_empty() {
                    Some((Step::Key(k), &e.value))
                } else if e.key.span.contains(offset) {
                    // on the key: the entry's value is what it is about
                    Some((Step::Key(k), &e.value))
                } else {
                    None
                }
            }),
            NodeKind::Seq(items) => items
                .iter()
                .enumerate()
                .find(|(_, n)| n.span.contains(offset))
                .map(|(i, n)| (Step::Index(i), n)),
            NodeKind::Scalar { .. } => None,
        };
        match next {
            Some((s, n)) => {
                out.push((s, n));
                cur = n;
            }
            None => return out,
        }
    }
}

fn keys(path: &[(Step, &Node)]) -> Vec<String> {
    path.iter()
        .map(|(s, _)| match s {
            Step::Key(k) => k.clone(),
            Step::Index(_) => "[]".to_string(),
        })
        .collect()
}

/// What a node refers to.
pub struct Target {
    pub what: String,
    pub resource: Option<Arc<Resource>>,
    pub origin: Span,
}

fn describe(r: &Resource, session: &Session) -> String {
    let loc = session
        .index
        .file(r.file)
        .map(|f| {
            let (l, c) = f
                .lines
                .position(&f.text, r.name_span.start as usize, Encoding::Chars);
            format!("{}:{}:{}", f.path, l + 1, c + 1)
        })
        .unwrap_or_default();
    format!("{} `{}` ({loc})", r.kind, r.ns_name())
}

fn resolve_host(session: &Session, host: &str, ns: &str) -> Option<Arc<Resource>> {
    let domain = &session.analysis.facts.dns_domain;
    let fqdn = normalize_host(host, ns, domain);
    let suffix = format!(".svc.{domain}");
    if let Some((name, sns)) = fqdn.strip_suffix(&suffix).and_then(|s| s.split_once('.')) {
        if let Some(r) = session.index.find("", "Service", sns, name) {
            return Some(r.clone());
        }
    }
    // a ServiceEntry host
    session
        .index
        .all()
        .find(|r| match &r.body {
            Body::ServiceEntry(se) => se
                .hosts
                .iter()
                .any(|h| host_matches(&h.value.to_ascii_lowercase(), &fqdn)),
            _ => false,
        })
        .cloned()
}

/// The reference under `offset` in `file`, resolved: a waypoint label, a `targetRefs` /
/// `parentRefs` / `backendRefs` item, or a host.
pub fn target_at(session: &Session, file: &FileData, offset: usize) -> Option<Target> {
    let stream = parse_stream(&file.text, &Limits::default());
    let (doc_idx, doc) = stream
        .docs
        .iter()
        .enumerate()
        .find(|(_, d)| d.span.contains(offset))?;
    let root = doc.root.as_ref()?;
    let res = file
        .resources
        .iter()
        .find(|r| r.doc as usize == doc_idx && r.span.contains(offset))
        .or_else(|| file.resources.iter().find(|r| r.doc as usize == doc_idx))?
        .clone();
    let path = node_path(root, offset);
    let k = keys(&path);
    let (_, node) = path.last()?;
    let ks: Vec<&str> = k.iter().map(String::as_str).collect();
    if ks.len() >= 3 && ks[ks.len() - 3..] == ["metadata", "labels", "istio.io/use-waypoint"] {
        return waypoint_label(session, &res, node);
    }
    let ref_pos = ks.iter().rposition(|s| {
        matches!(
            *s,
            "targetRefs" | "targetRef" | "parentRefs" | "backendRefs"
        )
    });
    if let Some(i) = ref_pos {
        let item: &Node = if ks[i] == "targetRef" {
            path[i].1
        } else {
            path.get(i + 1).map(|(_, n)| *n)?
        };
        return reference(session, &res, item, ks[i]);
    }
    let last = ks.last().copied().unwrap_or("");
    let is_host = (ks.len() >= 2 && ks[ks.len() - 2] == "hosts" && ks.first() == Some(&"spec"))
        || last == "host";
    if is_host {
        return host(session, &res, node);
    }
    None
}

/// `istio.io/use-waypoint: <name>`: the waypoint it binds to.
fn waypoint_label(session: &Session, res: &Resource, node: &Node) -> Option<Target> {
    let name = node.as_str()?.to_string();
    let ns = res
        .labels
        .get("istio.io/use-waypoint-namespace")
        .map(str::to_string)
        .unwrap_or_else(|| {
            if res.kind == "Namespace" {
                res.name.to_string()
            } else {
                res.namespace.to_string()
            }
        });
    if name == "none" {
        return Some(Target {
            what: "`none`: opts out of the namespace's waypoint.".to_string(),
            resource: None,
            origin: node.span,
        });
    }
    let gw = session
        .index
        .find("gateway.networking.k8s.io", "Gateway", &ns, &name)
        .cloned();
    let what = match &gw {
        Some(g) => format!(
            "Waypoint {} — handles `{}` traffic.",
            describe(g, session),
            waypoint_for(&session.analysis.facts, g)
        ),
        None => format!("No Gateway `{ns}/{name}` in the workspace: the object gets **no** waypoint (no fallback to the namespace label)."),
    };
    Some(Target {
        what,
        resource: gw,
        origin: node.span,
    })
}

/// An item of `targetRefs`, `targetRef`, `parentRefs` or `backendRefs` (`field`).
fn reference(session: &Session, res: &Resource, item: &Node, field: &str) -> Option<Target> {
    let kind = item
        .get("kind")
        .and_then(Node::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| {
            if field == "parentRefs" {
                "Gateway".to_string()
            } else {
                "Service".to_string()
            }
        });
    let name = item.get("name").and_then(Node::as_str)?.to_string();
    let ns = item
        .get("namespace")
        .and_then(Node::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| res.namespace.to_string());
    let group = match kind.as_str() {
        "Service" => "",
        "ServiceEntry" => "networking.istio.io",
        _ => "gateway.networking.k8s.io",
    };
    let ns_for = if kind == "GatewayClass" {
        ""
    } else {
        ns.as_str()
    };
    let r = session.index.find(group, &kind, ns_for, &name).cloned();
    let what = match &r {
        Some(r) => format!("→ {}", describe(r, session)),
        None => format!("→ {kind} `{ns}/{name}` is not in the workspace."),
    };
    Some(Target {
        what,
        resource: r,
        origin: item.span,
    })
}

/// A host: its FQDN and the Service or ServiceEntry it names.
fn host(session: &Session, res: &Resource, node: &Node) -> Option<Target> {
    let host = node.as_str()?.to_string();
    let r = resolve_host(session, &host, &res.namespace);
    let fqdn = normalize_host(&host, &res.namespace, &session.analysis.facts.dns_domain);
    let what = match &r {
        Some(r) => format!("`{host}` → `{fqdn}` → {}", describe(r, session)),
        None => format!("`{host}` → `{fqdn}`: no Service or ServiceEntry in the workspace."),
    };
    Some(Target {
        what,
        resource: r,
        origin: node.span,
    })
}

/// Markdown for the findings at `offset` and the reference there, if any.
pub fn hover(session: &Session, file: &FileData, offset: usize, enc: Encoding) -> Option<Hover> {
    let mut parts: Vec<String> = Vec::new();
    let mut span: Option<Span> = None;
    let findings = super::actions::findings_at(session, file, offset, offset);
    for f in &findings {
        let info = f.rule;
        let step = info
            .phase()
            .position()
            .map(|p| format!("step {p} of 7, "))
            .unwrap_or_default();
        let mut text = format!(
            "**{}** · {} — {}\n\n{}",
            info.id,
            info.phase().id(),
            info.title,
            f.message
        );
        for d in &f.details {
            text.push_str(&format!("\n- {d}"));
        }
        let fixes: Vec<String> = f
            .actions
            .iter()
            .map(|a| match a {
                crate::finding::Action::Label { command, .. }
                | crate::finding::Action::Delete { command, .. }
                | crate::finding::Action::Restart { command, .. } => format!("`{command}`"),
                crate::finding::Action::LabelTemplate { commands, .. } if commands.is_empty() => {
                    "edit the pod template (code action)".to_string()
                }
                crate::finding::Action::LabelTemplate { commands, .. } => commands
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                crate::finding::Action::Manual { step, .. } => format!("by hand: {step}"),
                crate::finding::Action::Apply { resource, .. } => {
                    format!("apply `{}` (code action)", resource.key())
                }
                crate::finding::Action::DeployWaypoint { resource, .. } => {
                    format!("deploy waypoint `{}` (code action)", resource.key())
                }
            })
            .collect();
        if !fixes.is_empty() {
            text.push_str(&format!(
                "\n\nMigration ({step}{}): {}",
                info.phase().id(),
                fixes.join("; ")
            ));
        }
        if let Some(u) = super::convert::docs_link(f.rule) {
            text.push_str(&format!(
                "\n\n[{} in docs/rules.md]({})",
                f.rule.id,
                u.as_str()
            ));
        }
        parts.push(text);
        span = f.location.map(|l| match span {
            Some(s) => s.cover(l.span),
            None => l.span,
        });
    }
    if let Some(t) = target_at(session, file, offset) {
        parts.push(t.what);
        span.get_or_insert(t.origin);
    }
    if parts.is_empty() {
        return None;
    }
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: parts.join("\n\n---\n\n"),
        }),
        range: span.map(|s| range(file, s, enc)),
    })
}

pub fn definition(
    session: &Session,
    file: &FileData,
    offset: usize,
    enc: Encoding,
) -> Option<Location> {
    let t = target_at(session, file, offset)?;
    let r = t.resource?;
    let f = session.index.file(r.file)?;
    Some(Location {
        uri: key_to_uri(&f.path)?,
        range: range(f, r.name_span, enc),
    })
}
