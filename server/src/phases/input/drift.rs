//! DRIFT-001…003: the workspace against the live cluster (the language server with
//! `ambient.cluster.enabled`). Pure: the workspace index, the cluster's objects (an index whose
//! files hold each object's YAML, as `cluster::Options::keep_text` reads them) and the kinds
//! the cluster source could read in, findings out. Field comparison is `analysis::drift`.
//!
//! - DRIFT-001: a workspace resource of a kind that was read is not in the cluster.
//! - DRIFT-002: it is, and its labels, annotations or spec differ (server-set fields and
//!   defaults ignored); located on the first differing field of the manifest, the other fields
//!   as related locations.
//! - DRIFT-003: a namespace the workspace migrates (its Namespace manifest is labelled
//!   `istio.io/dataplane-mode: ambient`) holds objects in the cluster that the workspace does
//!   not have (objects created by controllers — with `ownerReferences`, Pods, ReplicaSets — and
//!   the certificates ConfigMaps every namespace gets are not counted).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::Value;

use crate::analysis::drift::{compare, show, Diff, Identity, Step};
use crate::finding::Finding;
use crate::index::{FileData, Index};
use crate::model::{FileId, Resource};
use crate::rules;
use crate::yaml::{parse_stream, Limits, Node, Span};

/// What the cluster view holds.
pub struct ClusterView<'a> {
    /// The kubeconfig context, as messages name the cluster.
    pub context: &'a str,
    /// The context's namespace: where a manifest without `metadata.namespace` is applied.
    pub namespace: &'a str,
    /// The cluster's objects, one file each (their YAML as text).
    pub objects: &'a Index,
    /// `(group, kind)` of every kind that was read completely: only for these can a workspace
    /// resource be said to be missing from the cluster.
    pub read: &'a BTreeSet<(String, String)>,
}

/// Kinds never compared: Pods are read cut down to what the analysis needs.
fn skipped(group: &str, kind: &str) -> bool {
    group.is_empty() && kind == "Pod"
}

/// Kinds read as metadata only: only labels and annotations are compared.
fn metadata_only(group: &str, kind: &str) -> bool {
    group.is_empty() && kind == "Secret"
}

/// The node of a resource in its file (the document root, or an item of a `List`).
fn object_node<'n>(docs: &'n [Node], r: &Resource) -> Option<&'n Node> {
    let root = docs.get(r.doc as usize)?;
    if root.span == r.span {
        return Some(root);
    }
    root.get("items")?
        .as_seq()?
        .iter()
        .find(|n| n.span == r.span)
}

/// The parsed documents of a file (empty when it cannot be parsed).
fn parsed(file: &FileData) -> Vec<Node> {
    if file.text.is_empty() {
        return Vec::new();
    }
    let stream = parse_stream(&file.text, &Limits::default());
    stream
        .docs
        .into_iter()
        .map(|d| {
            d.root.unwrap_or(Node {
                span: Span::default(),
                flow: false,
                kind: crate::yaml::NodeKind::Map(Vec::new()),
            })
        })
        .collect()
}

/// Where a difference is in the manifest: the key (or list item) of the deepest part of its
/// path the manifest has.
fn locate(obj: &Node, path: &[Step]) -> Span {
    let mut cur = obj;
    let mut at = obj.get("metadata").map(|_| {
        obj.entry("metadata")
            .map(|e| e.key.span)
            .unwrap_or(obj.span)
    });
    for s in path {
        let next = match s {
            Step::Key(k) => cur.entry(k).map(|e| (&e.value, e.key.span)),
            Step::Index(i) => cur.as_seq().and_then(|v| v.get(*i)).map(|n| (n, n.span)),
            Step::Item { key, value } => cur
                .as_seq()
                .and_then(|v| {
                    v.iter().find(|n| {
                        n.get(key).map(|k| k.to_json()).is_some_and(|j| match j {
                            Value::String(s) => &s == value,
                            other => &other.to_string() == value,
                        })
                    })
                })
                .map(|n| (n, n.get(key).map(|k| k.span).unwrap_or(n.span))),
        };
        match next {
            Some((n, span)) => {
                cur = n;
                at = Some(span);
            }
            None => break,
        }
    }
    at.unwrap_or(obj.span)
}

fn describe(d: &Diff) -> String {
    format!(
        "{}: {} in the workspace, {} in the cluster",
        d.path_text(),
        show(&d.workspace),
        show(&d.cluster)
    )
}

fn strip_to_metadata(v: &Value) -> Value {
    let mut out = serde_json::Map::new();
    if let Some(m) = v.get("metadata") {
        out.insert("metadata".into(), m.clone());
    }
    Value::Object(out)
}

/// Ambient namespaces of the workspace: those whose Namespace manifest says
/// `istio.io/dataplane-mode: ambient`.
fn migrated_namespaces(workspace: &Index) -> BTreeMap<String, Arc<Resource>> {
    workspace
        .all()
        .filter(|r| r.group.is_empty() && r.kind == "Namespace")
        .filter(|r| {
            workspace
                .file(r.file)
                .is_some_and(|f| !f.path.starts_with("cluster://"))
        })
        .filter(|r| r.labels.get("istio.io/dataplane-mode") == Some("ambient"))
        .map(|r| (r.name.to_string(), r.clone()))
        .collect()
}

/// Objects of a namespace that the workspace is not expected to hold.
fn generated(r: &Resource) -> bool {
    !r.owner_refs.is_empty()
        || (r.group.is_empty() && matches!(r.kind.as_str(), "Pod" | "Secret" | "Namespace"))
        || (r.group == "apps" && r.kind == "ReplicaSet")
        || (r.group.is_empty()
            && r.kind == "ConfigMap"
            && matches!(r.name.as_str(), "kube-root-ca.crt" | "istio-ca-root-cert"))
}

/// The cluster's objects by identity, for the comparisons of one view.
pub struct Lookup<'a> {
    view: &'a ClusterView<'a>,
    by_id: HashMap<Identity, (FileId, &'a Arc<Resource>)>,
}

impl<'a> Lookup<'a> {
    pub fn new(view: &'a ClusterView<'a>) -> Lookup<'a> {
        let mut by_id = HashMap::new();
        for f in view.objects.files() {
            for r in &f.resources {
                by_id.insert(Identity::of(r), (f.id, r));
            }
        }
        Lookup { view, by_id }
    }

    /// Whether the drift rules look at this workspace file at all.
    pub fn compares(file: &FileData) -> bool {
        !file.template && !file.path.starts_with("cluster://")
    }

    /// DRIFT-001 and DRIFT-002 of one workspace file.
    pub fn file(&self, file: &FileData) -> Vec<Finding> {
        let mut out = Vec::new();
        if !Self::compares(file) {
            return out;
        }
        let cluster = self.view;
        let docs = parsed(file);
        for r in &file.resources {
            if skipped(&r.group, &r.kind)
                || !cluster
                    .read
                    .contains(&(r.group.to_string(), r.kind.to_string()))
            {
                continue;
            }
            let id = Identity::of_manifest(r, cluster.namespace);
            // as messages name it: in the context's namespace when the manifest has none
            let quoted = if id.namespace == r.namespace.as_str() {
                r.quoted()
            } else {
                format!("{} \"{}/{}\"", r.kind, id.namespace, r.name)
            };
            let Some((cfile, cres)) = self.by_id.get(&id) else {
                out.push(
                    Finding::new(
                        &rules::DRIFT_001,
                        format!(
                            "{} is not in the cluster (context \"{}\"): it has not been applied, or was deleted there",
                            quoted,
                            cluster.context
                        ),
                    )
                    .on_node(r, r.name_span),
                );
                continue;
            };
            let Some(obj) = object_node(&docs, r) else {
                continue;
            };
            let cdocs = cluster
                .objects
                .file(*cfile)
                .map(|f| parsed(f))
                .unwrap_or_default();
            let Some(cobj) = object_node(&cdocs, cres) else {
                continue;
            };
            let (mut w, mut c) = (obj.to_json(), cobj.to_json());
            if metadata_only(&r.group, &r.kind) {
                w = strip_to_metadata(&w);
                c = strip_to_metadata(&c);
            }
            let diffs = compare(&r.group, &r.kind, &w, &c);
            if diffs.is_empty() {
                continue;
            }
            let fields: Vec<String> = diffs.iter().map(Diff::path_text).collect();
            let mut f = Finding::new(
                &rules::DRIFT_002,
                format!(
                    "{} differs from the cluster (context \"{}\"): {}",
                    quoted,
                    cluster.context,
                    crate::finding::quoted_list(&fields, 4)
                ),
            )
            .on_node(r, locate(obj, &diffs[0].path))
            .details(diffs.iter().map(describe));
            for d in &diffs[1..] {
                let span = locate(obj, &d.path);
                f = f.related(r, span, describe(d));
            }
            out.push(f);
        }
        out
    }

    /// DRIFT-003: objects of the workspace's ambient namespaces that only the cluster has.
    pub fn namespaces(&self, workspace: &Index) -> Vec<Finding> {
        let mut out = Vec::new();
        let in_workspace: std::collections::HashSet<Identity> = workspace
            .files()
            .filter(|f| !f.path.starts_with("cluster://"))
            .flat_map(|f| {
                f.resources
                    .iter()
                    .map(|r| Identity::of_manifest(r, self.view.namespace))
            })
            .collect();
        for (ns, manifest) in migrated_namespaces(workspace) {
            let mut missing: Vec<&Arc<Resource>> = self
                .by_id
                .iter()
                .filter(|(id, (_, r))| {
                    id.namespace == ns && !in_workspace.contains(*id) && !generated(r)
                })
                .map(|(_, (_, r))| *r)
                .collect();
            if missing.is_empty() {
                continue;
            }
            missing.sort_by(|a, b| {
                (a.group.as_str(), a.kind.as_str(), a.name.as_str()).cmp(&(
                    b.group.as_str(),
                    b.kind.as_str(),
                    b.name.as_str(),
                ))
            });
            let names: Vec<String> = missing
                .iter()
                .map(|r| format!("{} {}", r.kind, r.name))
                .collect();
            out.push(
                Finding::new(
                    &rules::DRIFT_003,
                    format!(
                        "Namespace \"{ns}\" has {} object{} in the cluster (context \"{}\") that the workspace does not have: {}. The migration plan does not account for {}",
                        missing.len(),
                        if missing.len() == 1 { "" } else { "s" },
                        self.view.context,
                        crate::finding::quoted_list(&names, 4),
                        if missing.len() == 1 { "it" } else { "them" }
                    ),
                )
                .on_node(&manifest, manifest.name_span)
                .details(
                    missing
                        .iter()
                        .map(|r| format!("{} {} ({})", r.kind, r.name, r.api_version)),
                ),
            );
        }
        out
    }
}

/// The drift findings of `workspace` against the cluster view, in workspace file order.
pub fn findings(workspace: &Index, cluster: &ClusterView) -> Vec<Finding> {
    let lookup = Lookup::new(cluster);
    let mut files: Vec<&Arc<FileData>> = workspace.files().collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let mut out: Vec<Finding> = files.iter().flat_map(|f| lookup.file(f)).collect();
    out.extend(lookup.namespaces(workspace));
    out
}
