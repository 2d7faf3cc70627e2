//! The workspace index: parsed files, their resources by namespace, and per-file replacement.
//!
//! Updating one file replaces that file's resources only; the change set says which namespaces
//! were touched so the analysis can re-run just those (see `analysis::Session`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::finding::{Finding, Location};
use crate::model::refs::{refs_of, RefKey};
use crate::model::{extract, Body, FileId, Resource};
use crate::rules::{self, Rule};
use crate::yaml::{parse_stream, Limits, LineIndex, ProblemKind, Span};

/// One parsed file.
#[derive(Debug)]
pub struct FileData {
    pub id: FileId,
    /// Display path (relative to the working directory for the CLI; a file path for the LSP).
    pub path: Arc<str>,
    pub text: Arc<str>,
    pub lines: LineIndex,
    pub resources: Vec<Arc<Resource>>,
    /// Problems reading the file (YAML-*, SCHEMA-*), as findings located in this file.
    pub problems: Vec<Finding>,
    /// Spans of the documents of the file.
    pub docs: Vec<Span>,
    /// Documents that are YAML but not Kubernetes objects.
    pub not_objects: usize,
    pub template: bool,
}

impl FileData {
    /// Parse `text` into resources. Pure; never panics on any input.
    pub fn parse(
        id: FileId,
        path: impl Into<Arc<str>>,
        text: impl Into<Arc<str>>,
        limits: &Limits,
    ) -> FileData {
        let text: Arc<str> = text.into();
        let path = path.into();
        let lines = LineIndex::new(&text);
        let mut fd = FileData {
            id,
            path,
            text: text.clone(),
            lines,
            resources: Vec::new(),
            problems: Vec::new(),
            docs: Vec::new(),
            not_objects: 0,
            template: false,
        };
        let stream = parse_stream(&text, limits);
        if let Some(t) = &stream.template {
            fd.template = true;
            fd.problems.push(
                Finding::new(
                    &rules::YAML_002,
                    "Helm/Go template ({{ … }}): this file is not analysed",
                )
                .at(id, t.span),
            );
        }
        for doc in &stream.docs {
            fd.docs.push(doc.span);
            for p in &doc.problems {
                let rule = match p.kind {
                    ProblemKind::Syntax => &rules::YAML_001,
                    ProblemKind::Template => &rules::YAML_002,
                    ProblemKind::Limit => &rules::YAML_003,
                    ProblemKind::DuplicateKey => &rules::YAML_004,
                };
                let msg = if p.kind == ProblemKind::Syntax {
                    format!(
                        "{} (document {} of the file is not analysed)",
                        p.message,
                        doc.index + 1
                    )
                } else {
                    p.message.clone()
                };
                fd.problems.push(Finding::new(rule, msg).at(id, p.span));
            }
            let Some(root) = &doc.root else { continue };
            let ex = extract(root, id, doc.index as u32);
            fd.not_objects += ex.not_objects;
            for p in ex.problems {
                fd.problems
                    .push(Finding::new(&rules::SCHEMA_001, p.message).at(id, p.span));
            }
            for r in ex.resources {
                fd.resources.push(Arc::new(r));
            }
        }
        let json = fd.path.to_ascii_lowercase().ends_with(".json");
        // (YAML typed into a `.json` file that reads as objects is a manifest too)
        if json && fd.resources.is_empty() && !json_is_manifest(&text) {
            // another tool's JSON (tsconfig.json, package.json, .vscode/settings.json,
            // devcontainer.json — JSONC with comments and trailing commas): not Kubernetes, so
            // not reported, like other tools' YAML (Chart.yaml); decided by content
            fd.problems.retain(|p| {
                ![rules::YAML_001.id, rules::YAML_002.id, rules::YAML_004.id].contains(&p.rule.id)
            });
            fd.template = false;
            fd.not_objects = fd.not_objects.max(1);
        } else if json && !fd.problems.iter().any(|p| p.rule.id == rules::YAML_001.id) {
            if let Some((msg, at)) = json_problem(&text) {
                fd.problems.push(
                    Finding::new(
                        &rules::YAML_001,
                        format!("not valid JSON: {msg} (a .json manifest must stay JSON: kubectl and other tools read it as JSON)"),
                    )
                    .at(id, Span::empty(at)),
                );
            }
        }
        fd
    }

    /// A file that could not be read (binary, not UTF-8, too large): one problem, no resources.
    pub fn unreadable(
        id: FileId,
        path: impl Into<Arc<str>>,
        rule: &'static Rule,
        message: String,
    ) -> FileData {
        let mut fd = FileData::parse(id, path, "", &Limits::default());
        fd.problems
            .push(Finding::new(rule, message).at(id, Span::default()));
        fd
    }

    pub fn location(&self, span: Span) -> Location {
        Location {
            file: self.id,
            span,
        }
    }
}

/// Resources of a namespace are ordered by kind and name first, then by where they are written:
/// the analysis sees the same order whatever the file layout (or a cluster's `cluster://` URIs).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResKey {
    pub kind: crate::model::InlineStr,
    pub name: crate::model::InlineStr,
    pub group: crate::model::InlineStr,
    pub path: Arc<str>,
    pub doc: u32,
    pub idx: u32,
}

impl ResKey {
    /// The key of resource `r`, the `idx`-th of the file `path`.
    pub fn of(r: &Resource, path: &Arc<str>, idx: u32) -> ResKey {
        ResKey {
            kind: r.kind.clone(),
            name: r.name.clone(),
            group: r.group.clone(),
            path: path.clone(),
            doc: r.doc,
            idx,
        }
    }
}

/// What an update touched.
#[derive(Debug, Default, Clone)]
pub struct ChangeSet {
    /// Namespaces whose analysis may change: the namespaces of the old and new resources, the
    /// namespaces they reference and the namespaces that reference them.
    pub namespaces: BTreeSet<String>,
    /// A wildcard reference changed: every namespace may change.
    pub all: bool,
    pub removed: Vec<Arc<Resource>>,
    pub added: Vec<Arc<Resource>>,
}

impl ChangeSet {
    pub fn merge(&mut self, other: ChangeSet) {
        self.namespaces.extend(other.namespaces);
        self.all |= other.all;
        self.removed.extend(other.removed);
        self.added.extend(other.added);
    }
}

/// The namespace a resource belongs to for analysis (a Namespace object belongs to the
/// namespace it names).
pub fn owner_ns(r: &Resource) -> &str {
    if matches!(r.body, Body::Namespace) {
        &r.name
    } else {
        &r.namespace
    }
}

type Counts = BTreeMap<String, u32>;

#[derive(Clone, Default)]
pub struct Index {
    files: BTreeMap<FileId, Arc<FileData>>,
    by_ns: HashMap<String, BTreeMap<ResKey, Arc<Resource>>>,
    /// Namespace objects by the namespace they name.
    ns_objects: HashMap<String, BTreeMap<ResKey, Arc<Resource>>>,
    /// For each key, the namespaces (with counts) whose resources use / provide it.
    users_of: HashMap<RefKey, Counts>,
    providers_of: HashMap<RefKey, Counts>,
    /// Resources per API group (for "are there any Gateway API objects").
    group_counts: HashMap<String, usize>,
    next_id: FileId,
    ids: HashMap<Arc<str>, FileId>,
}

fn bump(map: &mut HashMap<RefKey, Counts>, key: &RefKey, ns: &str, delta: i32) {
    let entry = map.entry(key.clone()).or_default();
    let c = entry.entry(ns.to_string()).or_insert(0);
    if delta > 0 {
        *c += delta as u32;
    } else {
        *c = c.saturating_sub((-delta) as u32);
        if *c == 0 {
            entry.remove(ns);
        }
    }
    if entry.is_empty() {
        map.remove(key);
    }
}

impl Index {
    pub fn new() -> Index {
        Index::default()
    }

    /// The id for a path (allocated on first use).
    pub fn id_for(&mut self, path: &str) -> FileId {
        if let Some(id) = self.ids.get(path) {
            return *id;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.ids.insert(Arc::from(path), id);
        id
    }

    pub fn id_of(&self, path: &str) -> Option<FileId> {
        self.ids.get(path).copied()
    }

    /// Namespaces affected by a change of `r` (before its refs are added/removed).
    fn touch(&self, r: &Resource, cs: &mut ChangeSet) {
        let own = owner_ns(r).to_string();
        let refs = refs_of(r);
        for k in &refs.uses {
            match k {
                RefKey::Ns(n) => {
                    cs.namespaces.insert(n.clone());
                }
                RefKey::Host(_) => {
                    if let Some(p) = self.providers_of.get(k) {
                        cs.namespaces.extend(p.keys().cloned());
                    }
                }
                RefKey::All => cs.all = true,
            }
        }
        for k in &refs.provides {
            if let Some(u) = self.users_of.get(k) {
                cs.namespaces.extend(u.keys().cloned());
            }
        }
        if let Some(u) = self.users_of.get(&RefKey::Ns(own.clone())) {
            cs.namespaces.extend(u.keys().cloned());
        }
        if self.users_of.contains_key(&RefKey::All) {
            // wildcard users read every namespace
            if let Some(u) = self.users_of.get(&RefKey::All) {
                cs.namespaces.extend(u.keys().cloned());
            }
        }
        cs.namespaces.insert(own);
        if !r.namespace.is_empty() {
            cs.namespaces.insert(r.namespace.to_string());
        }
    }

    fn account(&mut self, r: &Resource, delta: i32) {
        let own = owner_ns(r).to_string();
        let refs = refs_of(r);
        for k in &refs.uses {
            bump(&mut self.users_of, k, &own, delta);
        }
        for k in &refs.provides {
            bump(&mut self.providers_of, k, &own, delta);
        }
    }

    /// Insert or replace a file.
    pub fn upsert(&mut self, file: FileData) -> ChangeSet {
        let mut cs = self.remove(file.id);
        let file = Arc::new(file);
        for (i, r) in file.resources.iter().enumerate() {
            self.add_resource(ResKey::of(r, &file.path, i as u32), r, &mut cs);
        }
        self.ids.entry(file.path.clone()).or_insert(file.id);
        self.files.insert(file.id, file);
        cs
    }

    pub fn remove(&mut self, id: FileId) -> ChangeSet {
        let mut cs = ChangeSet::default();
        if let Some(old) = self.files.remove(&id) {
            for (i, r) in old.resources.iter().enumerate() {
                self.remove_resource(&ResKey::of(r, &old.path, i as u32), r, &mut cs);
            }
        }
        cs
    }

    /// Replace some resources of the index by others, the files left as they are: what a fix
    /// simulation does with the documents a fix edits (`engine::Session::splice`). The keys
    /// are those `ResKey::of` gives (the resources of a file are keyed by their index in it);
    /// splicing `add` out and `remove` back in restores the index exactly.
    pub fn splice(
        &mut self,
        remove: &[(ResKey, Arc<Resource>)],
        add: &[(ResKey, Arc<Resource>)],
    ) -> ChangeSet {
        let mut cs = ChangeSet::default();
        for (k, r) in remove {
            self.remove_resource(k, r, &mut cs);
        }
        for (k, r) in add {
            self.add_resource(k.clone(), r, &mut cs);
        }
        cs
    }

    fn add_resource(&mut self, key: ResKey, r: &Arc<Resource>, cs: &mut ChangeSet) {
        self.account(r, 1);
        *self.group_counts.entry(r.group.to_string()).or_insert(0) += 1;
        self.touch(r, cs);
        cs.added.push(r.clone());
        if matches!(r.body, Body::Namespace) {
            self.ns_objects
                .entry(r.name.to_string())
                .or_default()
                .insert(key.clone(), r.clone());
        }
        self.by_ns
            .entry(r.namespace.to_string())
            .or_default()
            .insert(key, r.clone());
    }

    fn remove_resource(&mut self, key: &ResKey, r: &Arc<Resource>, cs: &mut ChangeSet) {
        self.touch(r, cs);
        self.account(r, -1);
        if let Some(c) = self.group_counts.get_mut(r.group.as_str()) {
            *c = c.saturating_sub(1);
        }
        if let Some(b) = self.by_ns.get_mut(r.namespace.as_str()) {
            b.remove(key);
            if b.is_empty() {
                self.by_ns.remove(r.namespace.as_str());
            }
        }
        if matches!(r.body, Body::Namespace) {
            if let Some(b) = self.ns_objects.get_mut(r.name.as_str()) {
                b.remove(key);
                if b.is_empty() {
                    self.ns_objects.remove(r.name.as_str());
                }
            }
        }
        cs.removed.push(r.clone());
    }

    /// Number of resources of an API group.
    pub fn group_count(&self, group: &str) -> usize {
        self.group_counts.get(group).copied().unwrap_or(0)
    }

    /// The Namespace object named `ns` (first in path order).
    pub fn namespace_object(&self, ns: &str) -> Option<&Arc<Resource>> {
        self.ns_objects.get(ns).and_then(|b| b.values().next())
    }

    /// Namespaces whose resources reference `key` (e.g. VirtualServices in other namespaces
    /// naming a service of `ns`).
    pub fn users_of(&self, key: &RefKey) -> impl Iterator<Item = &str> {
        self.users_of
            .get(key)
            .into_iter()
            .flat_map(|m| m.keys().map(|s| s.as_str()))
    }

    /// Namespaces that read every namespace (wildcard hosts).
    pub fn wildcard_users(&self) -> impl Iterator<Item = &str> {
        self.users_of(&RefKey::All)
    }

    pub fn providers_of(&self, key: &RefKey) -> impl Iterator<Item = &str> {
        self.providers_of
            .get(key)
            .into_iter()
            .flat_map(|m| m.keys().map(|s| s.as_str()))
    }

    pub fn file(&self, id: FileId) -> Option<&Arc<FileData>> {
        self.files.get(&id)
    }

    pub fn files(&self) -> impl Iterator<Item = &Arc<FileData>> {
        self.files.values()
    }

    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// Resources of a namespace (`""` = cluster-scoped), by kind and name, then file path.
    pub fn ns(&self, ns: &str) -> impl Iterator<Item = &Arc<Resource>> {
        self.by_ns.get(ns).into_iter().flat_map(|b| b.values())
    }

    pub fn has_ns(&self, ns: &str) -> bool {
        self.by_ns.contains_key(ns)
    }

    /// Whether `ns` is one of `namespaces()` (without building the list).
    pub fn is_namespace(&self, ns: &str) -> bool {
        !ns.is_empty() && (self.by_ns.contains_key(ns) || self.ns_objects.contains_key(ns))
    }

    /// Namespaces that hold at least one resource or have a Namespace object (sorted).
    pub fn namespaces(&self) -> Vec<String> {
        let mut v: BTreeSet<String> = self
            .by_ns
            .keys()
            .filter(|k| !k.is_empty())
            .cloned()
            .collect();
        v.extend(self.ns_objects.keys().cloned());
        v.into_iter().collect()
    }

    /// Every resource, namespace by namespace (sorted).
    pub fn all(&self) -> impl Iterator<Item = &Arc<Resource>> {
        let mut keys: Vec<&String> = self.by_ns.keys().collect();
        keys.sort();
        keys.into_iter().flat_map(move |k| self.by_ns[k].values())
    }

    pub fn resource_count(&self) -> usize {
        self.by_ns.values().map(|b| b.len()).sum()
    }

    /// Find by kind/namespace/name (first in path order).
    pub fn find(&self, group: &str, kind: &str, ns: &str, name: &str) -> Option<&Arc<Resource>> {
        // the resources of a namespace are ordered by kind and name first: a range, not a scan
        // of the namespace (every Namespace object is in the cluster scope)
        let from = ResKey {
            kind: kind.into(),
            name: name.into(),
            group: group.into(),
            path: Arc::from(""),
            doc: 0,
            idx: 0,
        };
        self.by_ns
            .get(ns)?
            .range(from..)
            .take_while(|(k, _)| k.kind == kind && k.name == name && k.group == group)
            .map(|(_, r)| r)
            .next()
    }

    pub fn path(&self, id: FileId) -> &str {
        self.files.get(&id).map(|f| &*f.path).unwrap_or("")
    }
}

/// Why `text` is not JSON (one or more JSON values, whitespace between) and where (a byte
/// offset), or `None` when it is.
/// Whether a `.json` file is meant as a Kubernetes manifest: its top-level value (read
/// leniently, as JSONC: comments and trailing commas allowed) is an object with `apiVersion` or
/// `kind` (or an array holding one). When even that does not parse, a file that names both
/// `"apiVersion"` and `"kind"` is taken for a broken manifest (and reported); anything else —
/// tsconfig.json, package.json, .vscode/settings.json, devcontainer.json — is another tool's.
pub fn json_is_manifest(text: &str) -> bool {
    let is_object = |v: &serde_json::Value| {
        v.as_object()
            .is_some_and(|o| o.contains_key("apiVersion") || o.contains_key("kind"))
    };
    match serde_json::from_str::<serde_json::Value>(&jsonc_to_json(text)) {
        Ok(v) => is_object(&v) || v.as_array().is_some_and(|a| a.iter().any(is_object)),
        Err(_) => text.contains("\"apiVersion\"") && text.contains("\"kind\""),
    }
}

/// JSONC as JSON: `//` and `/* */` comments and trailing commas (before `}` or `]`) replaced
/// by spaces, strings untouched. Only used to decide what a file is.
fn jsonc_to_json(text: &str) -> String {
    // a string from `i` (at its quote): its end
    fn string_end(b: &[u8], mut i: usize) -> usize {
        i += 1;
        while i < b.len() && b[i] != b'"' {
            i += if b[i] == b'\\' { 2 } else { 1 };
        }
        (i + 1).min(b.len())
    }
    // comments out
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1)) {
            (b'"', _) => {
                let end = string_end(b, i);
                out.extend_from_slice(&b[i..end]);
                i = end;
            }
            (b'/', Some(b'/')) => {
                while i < b.len() && b[i] != b'\n' {
                    out.push(b' ');
                    i += 1;
                }
            }
            (b'/', Some(b'*')) => {
                let end = text[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
                out.extend(
                    b[i..end]
                        .iter()
                        .map(|c| if *c == b'\n' { b'\n' } else { b' ' }),
                );
                i = end;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    // trailing commas out
    let mut i = 0;
    while i < out.len() {
        match out[i] {
            b'"' => i = string_end(&out, i),
            b',' => {
                let next = out[i + 1..].iter().find(|c| !c.is_ascii_whitespace());
                if matches!(next, Some(b'}' | b']')) {
                    out[i] = b' ';
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

pub fn json_problem(text: &str) -> Option<(String, usize)> {
    let mut it = serde_json::Deserializer::from_str(text).into_iter::<serde::de::IgnoredAny>();
    loop {
        match it.next() {
            None => return None,
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                // line and column (1-based, the column in bytes) to an offset
                let line_start: usize = text
                    .split_inclusive('\n')
                    .take(e.line().saturating_sub(1))
                    .map(str::len)
                    .sum();
                let at = (line_start + e.column().saturating_sub(1)).min(text.len());
                let at = (0..=at)
                    .rev()
                    .find(|i| text.is_char_boundary(*i))
                    .unwrap_or(0);
                let msg = e.to_string();
                let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                return Some((msg, at));
            }
        }
    }
}

#[cfg(test)]
mod json_tests {
    use super::json_is_manifest;

    #[test]
    fn json_manifests_are_told_from_other_tools_json() {
        // other tools' JSON, JSONC included
        for t in [
            "{\n  // comment\n  \"compilerOptions\": {\"strict\": true,},\n  /* a\n block */ \"include\": [\"src\",],\n}\n",
            r#"{"name":"x","version":"1.0.0","scripts":{"test":"jest"}}"#,
            "{ \"editor.tabSize\": 2, // \"kind\": \"x\"\n }",
            "{\"image\": \"mcr.microsoft.com/devcontainers/rust\", \"features\": {},}",
            "[1, 2]",
            "{ \"url\": \"http://a/b\", }",
        ] {
            assert!(!json_is_manifest(t), "{t}");
        }
        // manifests, valid or not
        for t in [
            r#"{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}"#,
            "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\",}",
            "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\" \"metadata\": {}}",
            "[{\"kind\": \"Service\"}]",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: \"kind\", x: \"apiVersion\"}\n",
        ] {
            assert!(json_is_manifest(t), "{t}");
        }
    }
}
