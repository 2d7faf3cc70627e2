//! API objects as the core reads them: JSON from the API server becomes the same spanned YAML
//! tree (`yaml::Node`) a manifest file produces, then the same `model::extract` runs on it.
//! Pure: no I/O, no async.
//!
//! JSON strings become double-quoted scalars (always strings, as in YAML), numbers, booleans
//! and null plain scalars (which YAML resolves to the same types), so every rule sees the same
//! values as for the object written to a file. Nodes carry empty spans: a finding on a cluster
//! object is located by its `cluster://` URI, not by line and column.

use std::sync::Arc;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::index::FileData;
use crate::model::{extract, FileId, Sharer};
use crate::yaml::{Entry, LineIndex, Node, NodeKind, ScalarStyle, Span};

/// A JSON value read straight into a `Node` (no `serde_json::Value` in between).
#[derive(Clone, Debug)]
pub struct JsonNode(pub Node);

fn scalar(v: impl Into<compact_str::CompactString>, style: ScalarStyle) -> Node {
    Node::scalar(v, style, Span::default())
}

/// A map key, read without an intermediate `String` when it fits inline.
struct Key(compact_str::CompactString);

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string key")
            }
            fn visit_str<E>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.into()))
            }
        }
        d.deserialize_str(V)
    }
}

/// Which parts of an object to keep while it is read (`All`: everything). Where the JSON has
/// another type than the shape expects (a list where a map is expected…), the whole value is
/// kept, so the model reports the same type problems as for the complete object.
#[derive(Debug)]
pub enum Keep {
    All,
    /// A map: only these keys, each with its own shape.
    Fields(&'static [(&'static str, Keep)]),
    /// A list: every item with this shape.
    Items(&'static Keep),
}

struct NodeVisitor(&'static Keep);

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(scalar(if v { "true" } else { "false" }, ScalarStyle::Plain))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(scalar(v.to_string(), ScalarStyle::Plain))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(scalar(v.to_string(), ScalarStyle::Plain))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        let s = if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
            format!("{v:.1}")
        } else {
            v.to_string()
        };
        Ok(scalar(s, ScalarStyle::Plain))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(scalar(v, ScalarStyle::DoubleQuoted))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(scalar(v, ScalarStyle::DoubleQuoted))
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(scalar("null", ScalarStyle::Plain))
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(scalar("null", ScalarStyle::Plain))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let item: &'static Keep = match self.0 {
            Keep::Items(k) => k,
            _ => &Keep::All,
        };
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(n) = seq.next_element_seed(NodeSeed(item))? {
            items.push(n);
        }
        items.shrink_to_fit();
        Ok(Node {
            span: Span::default(),
            flow: false,
            kind: NodeKind::Seq(items),
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(k) = map.next_key::<Key>()?.map(|k| k.0) {
            let shape: &'static Keep = match self.0 {
                Keep::Fields(fields) => match fields.iter().find(|(f, _)| *f == k) {
                    Some((_, s)) => s,
                    None => {
                        map.next_value::<serde::de::IgnoredAny>()?;
                        continue;
                    }
                },
                _ => &Keep::All,
            };
            if k == "managedFields" {
                // server-side apply bookkeeping: large and never read
                map.next_value::<serde::de::IgnoredAny>()?;
                continue;
            }
            let value = map.next_value_seed(NodeSeed(shape))?;
            entries.push(Entry {
                key: scalar(k, ScalarStyle::DoubleQuoted),
                value,
            });
        }
        entries.shrink_to_fit();
        Ok(Node {
            span: Span::default(),
            flow: false,
            kind: NodeKind::Map(entries),
        })
    }
}

impl<'de> serde::Deserialize<'de> for JsonNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<JsonNode, D::Error> {
        d.deserialize_any(NodeVisitor(&Keep::All)).map(JsonNode)
    }
}

/// Read a value keeping only the parts of a shape.
pub struct NodeSeed(pub &'static Keep);
impl<'de> DeserializeSeed<'de> for NodeSeed {
    type Value = Node;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor(self.0))
    }
}

/// The items of a list answer, each read with a shape and handed to `on_item` as soon as it is
/// read (a page of objects is never held as a whole); returns the list's metadata.
pub fn read_list(
    json: &str,
    keep: &'static Keep,
    on_item: &mut dyn FnMut(Node),
) -> Result<ListMeta, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    let meta = serde::Deserializer::deserialize_map(&mut de, PageVisitor { keep, on_item })?;
    de.end()?;
    Ok(meta)
}

/// `metadata` of a list answer.
#[derive(serde::Deserialize, Default, Debug)]
pub struct ListMeta {
    #[serde(rename = "continue", default)]
    pub cont: Option<String>,
    #[serde(rename = "resourceVersion", default)]
    pub resource_version: Option<String>,
}

struct PageVisitor<'f> {
    keep: &'static Keep,
    on_item: &'f mut dyn FnMut(Node),
}

impl<'de> Visitor<'de> for PageVisitor<'_> {
    type Value = ListMeta;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a Kubernetes list")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ListMeta, A::Error> {
        let mut meta = ListMeta::default();
        while let Some(k) = map.next_key::<Key>()?.map(|k| k.0) {
            match k.as_str() {
                "metadata" => meta = map.next_value()?,
                "items" => map.next_value_seed(ItemsSeed {
                    keep: self.keep,
                    on_item: &mut *self.on_item,
                })?,
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(meta)
    }
}

struct ItemsSeed<'f> {
    keep: &'static Keep,
    on_item: &'f mut dyn FnMut(Node),
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of objects")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(n) = seq.next_element_seed(NodeSeed(self.keep))? {
            (self.on_item)(n);
        }
        Ok(())
    }
}

fn map_mut(n: &mut Node) -> Option<&mut Vec<Entry>> {
    match &mut n.kind {
        NodeKind::Map(m) => Some(m),
        _ => None,
    }
}

fn get_mut<'a>(n: &'a mut Node, key: &str) -> Option<&'a mut Node> {
    map_mut(n)?
        .iter_mut()
        .rev()
        .find(|e| e.key.as_str() == Some(key))
        .map(|e| &mut e.value)
}

/// Keep only the entries of a map whose key is in `keep`.
fn retain(n: &mut Node, keep: &[&str]) {
    if let Some(m) = map_mut(n) {
        m.retain(|e| e.key.as_str().is_some_and(|k| keep.contains(&k)));
    }
}

fn retain_items(n: Option<&mut Node>, keep: &[&str]) {
    if let Some(NodeKind::Seq(items)) = n.map(|n| &mut n.kind) {
        for it in items {
            retain(it, keep);
        }
    }
}

/// Fields of a Pod the analysis reads (`model::Workload::extract_pod` and `extract`). A test
/// (`server/tests/cluster_objects.rs`) checks on every Pod of the corpus that the pruned object
/// yields the same resource as the whole one.
const POD_TOP: &[&str] = &["apiVersion", "kind", "metadata", "spec"];
const POD_META: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "labels",
    "annotations",
    "ownerReferences",
];
const POD_SPEC: &[&str] = &[
    "containers",
    "initContainers",
    "volumes",
    "hostNetwork",
    "serviceAccountName",
    "serviceAccount",
    "priorityClassName",
];
const CONTAINER: &[&str] = &["name", "image", "env", "envFrom", "args"];
const ENV: &[&str] = &["name", "value"];
const VOLUME: &[&str] = &["name", "csi", "hostPath", "configMap"];

const ALL: Keep = Keep::All;
const CONTAINER_SHAPE: Keep = Keep::Items(&Keep::Fields(&[
    ("name", ALL),
    ("image", ALL),
    (
        "env",
        Keep::Items(&Keep::Fields(&[("name", ALL), ("value", ALL)])),
    ),
    ("envFrom", ALL),
    ("args", ALL),
]));

/// The shape of a Pod the analysis reads (the same fields as `prune_pod`), applied while the
/// JSON is read: status, probes, resources… are never built.
pub const POD_SHAPE: Keep = Keep::Fields(&[
    ("apiVersion", ALL),
    ("kind", ALL),
    (
        "metadata",
        Keep::Fields(&[
            ("name", ALL),
            ("generateName", ALL),
            ("namespace", ALL),
            ("labels", ALL),
            ("annotations", ALL),
            ("ownerReferences", ALL),
        ]),
    ),
    (
        "spec",
        Keep::Fields(&[
            ("containers", CONTAINER_SHAPE),
            ("initContainers", CONTAINER_SHAPE),
            (
                "volumes",
                Keep::Items(&Keep::Fields(&[
                    ("name", ALL),
                    ("csi", ALL),
                    ("hostPath", ALL),
                    ("configMap", ALL),
                ])),
            ),
            ("hostNetwork", ALL),
            ("serviceAccountName", ALL),
            ("serviceAccount", ALL),
            ("priorityClassName", ALL),
        ]),
    ),
]);

/// Secrets: `metadata` only.
pub const METADATA_SHAPE: Keep =
    Keep::Fields(&[("apiVersion", ALL), ("kind", ALL), ("metadata", ALL)]);

/// Drop what the analysis never reads from a Pod (status, probes, resources, mounts…): a
/// cluster's pods are most of its objects, and most of each pod is status.
pub fn prune_pod(n: &mut Node) {
    retain(n, POD_TOP);
    if let Some(m) = get_mut(n, "metadata") {
        retain(m, POD_META);
    }
    if let Some(spec) = get_mut(n, "spec") {
        retain(spec, POD_SPEC);
        for key in ["containers", "initContainers"] {
            if let Some(NodeKind::Seq(items)) = get_mut(spec, key).map(|n| &mut n.kind) {
                for c in items {
                    retain(c, CONTAINER);
                    retain_items(get_mut(c, "env"), ENV);
                }
            }
        }
        retain_items(get_mut(spec, "volumes"), VOLUME);
    }
}

/// `kubectl apply` keeps a whole copy of each object it applied in this annotation; no rule
/// reads it, and on a real cluster it doubles the size of most objects.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

pub fn drop_last_applied(n: &mut Node) {
    if let Some(a) = get_mut(n, "metadata").and_then(|m| get_mut(m, "annotations")) {
        if let Some(m) = map_mut(a) {
            m.retain(|e| e.key.as_str() != Some(LAST_APPLIED));
        }
    }
}

/// Set `apiVersion` and `kind` when the server left them out (list items of built-in kinds
/// carry neither); keep them when present.
pub fn fill_type(n: &mut Node, api_version: &str, kind: &str) {
    let Some(m) = map_mut(n) else { return };
    for (key, value) in [("kind", kind), ("apiVersion", api_version)] {
        let present = m.iter().any(|e| {
            e.key.as_str() == Some(key) && e.value.as_str().is_some_and(|v| !v.is_empty())
        });
        if !present {
            m.retain(|e| e.key.as_str() != Some(key));
            m.insert(
                0,
                Entry {
                    key: scalar(key, ScalarStyle::DoubleQuoted),
                    value: scalar(value, ScalarStyle::DoubleQuoted),
                },
            );
        }
    }
}

/// Replace a metadata-only object's type (`meta.k8s.io/v1 PartialObjectMetadata`) with the
/// kind it describes.
pub fn set_type(n: &mut Node, api_version: &str, kind: &str) {
    if let Some(m) = map_mut(n) {
        m.retain(|e| !matches!(e.key.as_str(), Some("apiVersion" | "kind")));
        m.insert(
            0,
            Entry {
                key: scalar("kind", ScalarStyle::DoubleQuoted),
                value: scalar(kind, ScalarStyle::DoubleQuoted),
            },
        );
        m.insert(
            0,
            Entry {
                key: scalar("apiVersion", ScalarStyle::DoubleQuoted),
                value: scalar(api_version, ScalarStyle::DoubleQuoted),
            },
        );
    }
}

/// Keep only `apiVersion`, `kind` and `metadata` (Secrets are never read beyond metadata).
pub fn metadata_only(n: &mut Node) {
    retain(n, &["apiVersion", "kind", "metadata"]);
}

/// `metadata.name` and `metadata.namespace` of an object.
pub fn name_ns(n: &Node) -> (String, String) {
    let s = |k: &str| {
        n.path(&["metadata", k])
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    (s("name"), s("namespace"))
}

fn empty_text() -> Arc<str> {
    static EMPTY: std::sync::OnceLock<Arc<str>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(|| Arc::from("")).clone()
}

/// One cluster object as an indexed "file" whose path is its `cluster://` URI. The rules see
/// exactly what `FileData::parse` would give for the object written as YAML.
pub fn file_data(id: FileId, uri: &str, root: &Node) -> FileData {
    file_data_shared(id, uri, root, None)
}

/// [`file_data`], with the parts of the resource equal to those of objects read before (the
/// pods of one ReplicaSet…) shared through `sharer`.
pub fn file_data_shared(
    id: FileId,
    uri: &str,
    root: &Node,
    sharer: Option<&std::sync::Mutex<Sharer>>,
) -> FileData {
    if matches!(
        root.get("kind").and_then(Node::as_str),
        Some("VirtualService" | "DestinationRule")
    ) {
        // The HTTPRoute translation (`crate::routes`) reads the YAML tree of VirtualServices
        // and DestinationRules, re-parsed from the text: give them the text a file would hold.
        let text = crate::yaml::emit::to_yaml(&root.to_json());
        return FileData::parse(id, uri, text, &crate::yaml::Limits::default());
    }
    let text = empty_text();
    let mut fd = FileData {
        id,
        path: Arc::from(uri),
        lines: LineIndex::new(&text),
        text,
        resources: Vec::new(),
        problems: Vec::new(),
        docs: vec![Span::default()],
        not_objects: 0,
        template: false,
    };
    let ex = extract(root, id, 0);
    fd.not_objects = ex.not_objects;
    for p in ex.problems {
        fd.problems.push(
            crate::finding::Finding::new(&crate::rules::SCHEMA_001, p.message).at(id, p.span),
        );
    }
    let mut resources = ex.resources;
    if let Some(sharer) = sharer {
        let mut sharer = sharer.lock().unwrap_or_else(|e| e.into_inner());
        for r in &mut resources {
            sharer.share(r);
        }
    }
    // not `collect()`: it would reuse the buffer of the `Resource`s (four of them) for the
    // pointers, keeping ≈1 KB per object alive
    fd.resources = Vec::with_capacity(resources.len());
    fd.resources.extend(resources.into_iter().map(Arc::new));
    fd
}

/// [`file_data`] keeping the object's YAML as the file's text, with spans into it (what the
/// language server compares with the workspace).
pub fn file_data_text(id: FileId, uri: &str, root: &Node) -> FileData {
    let text = crate::yaml::emit::to_yaml(&root.to_json());
    FileData::parse(id, uri, text, &crate::yaml::Limits::default())
}

/// Give a file built with a provisional id the id its index allocated.
pub fn reassign(fd: &mut FileData, id: FileId) {
    if fd.id == id {
        return;
    }
    fd.id = id;
    for r in &mut fd.resources {
        Arc::make_mut(r).file = id;
    }
    for p in &mut fd.problems {
        if let Some(l) = &mut p.location {
            l.file = id;
        }
    }
}

/// Percent-encode a URI segment (everything but RFC 3986 unreserved characters).
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `cluster://<context>/<namespace>/<kind>/<name>`; cluster-scoped objects have no namespace
/// segment (`cluster://<context>/<kind>/<name>`). `kind` is the segment of
/// `kinds::Want::uri_kind` (`Gateway.networking.istio.io` where two groups share a kind).
pub fn cluster_uri(context: &str, namespace: &str, kind: &str, name: &str) -> String {
    if namespace.is_empty() {
        format!(
            "cluster://{}/{kind}/{}",
            encode_segment(context),
            encode_segment(name)
        )
    } else {
        format!(
            "cluster://{}/{}/{kind}/{}",
            encode_segment(context),
            encode_segment(namespace),
            encode_segment(name)
        )
    }
}

/// The kind segment of a `cluster://` URI (`Pod`, `Gateway.networking.istio.io`).
pub fn uri_kind(uri: &str) -> Option<&str> {
    let rest = uri.strip_prefix("cluster://")?;
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.len() {
        3 => Some(parts[1]),
        4 => Some(parts[2]),
        _ => None,
    }
}

/// Whether a display path is a cluster object's URI.
pub fn is_cluster_uri(path: &str) -> bool {
    path.starts_with("cluster://")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(json: &str) -> Node {
        serde_json::from_str::<JsonNode>(json).unwrap().0
    }

    #[test]
    fn json_types_survive_as_yaml_types() {
        let n = node(
            r#"{"a":"8080","b":8080,"c":true,"d":"true","e":null,"f":[1,"x"],"g":1.5,"h":2.0,"managedFields":[{"x":1}]}"#,
        );
        assert_eq!(n.get("a").unwrap().as_i64(), None);
        assert_eq!(n.get("a").unwrap().as_string_strict(), Some("8080"));
        assert_eq!(n.get("b").unwrap().as_i64(), Some(8080));
        assert_eq!(n.get("c").unwrap().as_bool(), Some(true));
        assert_eq!(n.get("d").unwrap().as_bool(), None);
        assert!(n.get("e").unwrap().is_null());
        assert_eq!(n.get("f").unwrap().as_seq().unwrap().len(), 2);
        assert!(n.get("managedFields").is_none());
        assert_eq!(
            n.to_json(),
            serde_json::json!({"a":"8080","b":8080,"c":true,"d":"true","e":null,"f":[1,"x"],"g":1.5,"h":2.0})
        );
    }

    #[test]
    fn uri_encodes_segments() {
        assert_eq!(
            cluster_uri("arn:aws:eks:x/prod", "ns", "Pod", "p"),
            "cluster://arn%3Aaws%3Aeks%3Ax%2Fprod/ns/Pod/p"
        );
        assert_eq!(
            cluster_uri("kind-a", "", "Namespace", "ns"),
            "cluster://kind-a/Namespace/ns"
        );
    }

    #[test]
    fn kind_of_a_uri() {
        assert_eq!(
            uri_kind(&cluster_uri("a/b", "ns", "Pod", "p/q")),
            Some("Pod")
        );
        assert_eq!(
            uri_kind(&cluster_uri("c", "", "Gateway.networking.istio.io", "g")),
            Some("Gateway.networking.istio.io")
        );
        assert_eq!(uri_kind("file:///x.yaml"), None);
    }

    #[test]
    fn fill_type_keeps_existing() {
        let mut n = node(r#"{"apiVersion":"v1beta1","metadata":{"name":"x"}}"#);
        fill_type(&mut n, "g/v1", "K");
        assert_eq!(n.get("apiVersion").unwrap().as_str(), Some("v1beta1"));
        assert_eq!(n.get("kind").unwrap().as_str(), Some("K"));
    }
}
