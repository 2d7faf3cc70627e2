//! `ambient.cluster.*`: the live cluster in the editor. With `ambient.cluster.enabled` the
//! server reads the cluster of `ambient.cluster.context` (default: the kubeconfig's current
//! context) in the background — read-only, through `crate::cluster` exactly as
//! `ambient-lsp migrate` does — reporting `$/progress`, then watches every kind it read to keep
//! the view current. Requests never wait for it. The analysis worker compares the workspace with
//! the view after every batch (`phases::drift`: a pure function; DRIFT-* findings join the
//! diagnostics of the workspace files, cached per file text). `ambient.refreshCluster` reads
//! the cluster again and answers when the new diagnostics are published.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use serde_json::{json, Value};
use tower_lsp_server::ls_types::{MessageType, NumberOrString};
use tower_lsp_server::Client;

use super::state::{ClusterSettings, ServerState};
use super::worker::{Msg, WorkerHandle};
use crate::cluster::{self, Change, Cluster, Event, KindStatus, Outcome};
use crate::engine::Session;
use crate::finding::Finding;
use crate::index::Index;
use crate::phases::drift::{ClusterView, Lookup};

/// What was read of the cluster.
pub struct View {
    pub context: String,
    /// The context's namespace: that of manifests without one.
    pub namespace: String,
    pub server: String,
    /// One file per object (its YAML as text), kept current by the watches.
    pub objects: RwLock<Index>,
    /// The kinds read completely.
    pub read: BTreeSet<(String, String)>,
    pub kinds: Vec<KindStatus>,
    /// Bumped by every change the watches apply.
    pub version: std::sync::atomic::AtomicU64,
}

#[derive(Default)]
struct Inner {
    view: Option<Arc<View>>,
    /// Bumped by every load started: a load that is no longer the latest drops its result.
    generation: u64,
    /// The settings the view (or the load under way) is for.
    target: Option<ClusterSettings>,
    watches: Vec<tokio::task::JoinHandle<()>>,
    /// DRIFT-001/002 per workspace file path, for (file text, file id, view, view version).
    cache: HashMap<String, (usize, u32, usize, u64, Vec<Finding>)>,
    /// Every drift finding by workspace file path, as last computed.
    drift: HashMap<String, Vec<Finding>>,
    drift_hash: u64,
}

/// The cluster part of the server's state.
#[derive(Default)]
pub struct ClusterStore {
    inner: Mutex<Inner>,
}

impl ClusterStore {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The drift findings located in the workspace file `path`.
    pub fn drift_in(&self, path: &str) -> Vec<Finding> {
        self.lock().drift.get(path).cloned().unwrap_or_default()
    }

    pub fn view(&self) -> Option<Arc<View>> {
        self.lock().view.clone()
    }
}

/// For the analysis worker, after each batch: compare the workspace with the cluster view.
/// Returns whether any drift finding changed (then every file's diagnostics are re-sent).
pub fn recompute_drift(state: &ServerState, session: &Session) -> bool {
    let store = &state.cluster;
    let view = store.view();
    let mut inner_cache = std::mem::take(&mut store.lock().cache);
    let mut drift: HashMap<String, Vec<Finding>> = HashMap::new();
    if let Some(view) = &view {
        let objects = view.objects.read().unwrap_or_else(|e| e.into_inner());
        let vversion = view.version.load(std::sync::atomic::Ordering::SeqCst);
        let vid = Arc::as_ptr(view) as usize;
        let cv = ClusterView {
            context: &view.context,
            namespace: &view.namespace,
            objects: &objects,
            read: &view.read,
        };
        let lookup = Lookup::new(&cv);
        let mut seen = BTreeSet::new();
        for file in session.index.files() {
            if !Lookup::compares(file) {
                continue;
            }
            let key = (
                Arc::as_ptr(&file.text) as *const u8 as usize,
                file.id,
                vid,
                vversion,
            );
            let found = match inner_cache.get(&*file.path) {
                Some((t, id, v, vv, f)) if (*t, *id, *v, *vv) == key => f.clone(),
                _ => {
                    let f = lookup.file(file);
                    inner_cache.insert(
                        file.path.to_string(),
                        (key.0, key.1, key.2, key.3, f.clone()),
                    );
                    f
                }
            };
            seen.insert(file.path.to_string());
            if !found.is_empty() {
                drift
                    .entry(file.path.to_string())
                    .or_default()
                    .extend(found);
            }
        }
        inner_cache.retain(|k, _| seen.contains(k));
        for f in lookup.namespaces(&session.index) {
            if let Some(l) = f.location {
                drift
                    .entry(session.index.path(l.file).to_string())
                    .or_default()
                    .push(f);
            }
        }
    } else {
        inner_cache.clear();
    }
    let mut h = DefaultHasher::new();
    let mut keys: Vec<&String> = drift.keys().collect();
    keys.sort();
    for k in keys {
        k.hash(&mut h);
        for f in &drift[k] {
            f.fingerprint(&mut h);
            f.location.map(|l| (l.span.start, l.span.end)).hash(&mut h);
        }
    }
    let hash = h.finish();
    let mut inner = store.lock();
    inner.cache = inner_cache;
    let changed = hash != inner.drift_hash;
    inner.drift = drift;
    inner.drift_hash = hash;
    changed
}

/// Groups whose objects the workspace is authoritative for (policies and routing the user
/// edits): a cluster object of these that the workspace lacks is drift (DRIFT-003), not input.
fn authored(group: &str) -> bool {
    matches!(
        group,
        "networking.istio.io"
            | "security.istio.io"
            | "telemetry.istio.io"
            | "extensions.istio.io"
            | "gateway.networking.k8s.io"
    )
}

/// For the analysis worker, after each batch: the cluster-only facts that join the analysis, as
/// changes to the session (files at `cluster://` keys; `None` removes one). They are the
/// cluster's objects that the workspace does not have — running Pods with their sidecars, the
/// control plane's Deployments and DaemonSets with their versions and readiness, Nodes, webhooks,
/// CRDs, Namespaces — in the namespaces the workspace uses, `istio-system` and `kube-system`,
/// and cluster-scoped ones; not the policies and routes, which the workspace is authoritative
/// for. An object the workspace also has is the workspace's.
pub fn overlay_changes(state: &ServerState, session: &Session) -> Vec<(String, Option<Arc<str>>)> {
    use crate::analysis::drift::Identity;
    let current: HashMap<&str, &Arc<str>> = session
        .index
        .files()
        .filter(|f| cluster::objects::is_cluster_uri(&f.path))
        .map(|f| (&*f.path, &f.text))
        .collect();
    let mut desired: HashMap<String, Arc<str>> = HashMap::new();
    if let Some(view) = state.cluster.view() {
        let mut ids: std::collections::HashSet<Identity> = Default::default();
        let mut namespaces: BTreeSet<String> =
            ["istio-system", "kube-system"].map(String::from).into();
        for f in session.index.files() {
            if cluster::objects::is_cluster_uri(&f.path) {
                continue;
            }
            for r in &f.resources {
                let id = Identity::of_manifest(r, &view.namespace);
                if !id.namespace.is_empty() {
                    namespaces.insert(id.namespace.clone());
                }
                ids.insert(id);
                if r.group.is_empty() && r.kind == "Namespace" {
                    namespaces.insert(r.name.to_string());
                }
            }
        }
        let objects = view.objects.read().unwrap_or_else(|e| e.into_inner());
        for f in objects.files() {
            let Some(r) = f.resources.first() else {
                continue;
            };
            if f.text.is_empty()
                || authored(&r.group)
                || ids.contains(&Identity::of(r))
                || (!r.namespace.is_empty() && !namespaces.contains(r.namespace.as_str()))
            {
                continue;
            }
            desired.insert(f.path.to_string(), f.text.clone());
        }
    }
    let mut out: Vec<(String, Option<Arc<str>>)> = Vec::new();
    for (k, t) in &desired {
        if current.get(k.as_str()).is_none_or(|c| ***c != **t) {
            out.push((k.clone(), Some(t.clone())));
        }
    }
    for k in current.keys() {
        if !desired.contains_key(*k) {
            out.push((k.to_string(), None));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// What the refresh command and the load tell.
fn summary(view: &View) -> Value {
    let count = |f: fn(&Outcome) -> bool| view.kinds.iter().filter(|k| f(&k.outcome)).count();
    json!({
        "context": view.context,
        "server": view.server,
        "objects": view.objects.read().map(|i| i.file_count()).unwrap_or(0),
        "kindsRead": count(|o| matches!(o, Outcome::Read { .. })),
        "kindsNotInstalled": count(|o| matches!(o, Outcome::NotInstalled)),
        "problems": view.kinds.iter().filter_map(KindStatus::problem).collect::<Vec<_>>(),
    })
}

/// The settings changed: start (or stop) reading the cluster when its part changed.
pub fn settings_changed(
    client: &Client,
    state: &Arc<ServerState>,
    worker: &WorkerHandle,
    s: &ClusterSettings,
) {
    {
        let inner = state.cluster.lock();
        if inner.target.as_ref() == Some(s) || (inner.target.is_none() && !s.enabled) {
            return;
        }
    }
    let (client, state, worker, s) = (client.clone(), state.clone(), worker.clone(), s.clone());
    tokio::spawn(async move {
        if let Err(e) = load(&client, &state, &worker, &s).await {
            tracing::warn!("{e}");
        }
    });
}

/// `ambient.refreshCluster`: read the cluster again; answers with what was read once the
/// diagnostics are published.
pub async fn refresh(
    client: &Client,
    state: &Arc<ServerState>,
    worker: &WorkerHandle,
) -> Result<Value, String> {
    let s = state.client().settings.cluster.clone();
    if !s.enabled {
        return Err("ambient.cluster.enabled is false: there is no cluster to refresh".into());
    }
    load(client, state, worker, &s).await?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    worker.send(Msg::Flush(tx));
    let _ = rx.await;
    let view = state
        .cluster
        .view()
        .ok_or("the cluster view was replaced")?;
    Ok(summary(&view))
}

/// Read the cluster for settings `s` (or forget it when disabled), replace the view, start the
/// watches and have the worker compare.
async fn load(
    client: &Client,
    state: &Arc<ServerState>,
    worker: &WorkerHandle,
    s: &ClusterSettings,
) -> Result<(), String> {
    let generation = {
        let mut inner = state.cluster.lock();
        inner.generation += 1;
        inner.target = Some(s.clone());
        for w in inner.watches.drain(..) {
            w.abort();
        }
        if !s.enabled {
            inner.view = None;
            inner.target = None;
        }
        inner.generation
    };
    if !s.enabled {
        worker.send(Msg::SettingsChanged);
        return Ok(());
    }
    let progress_cap = state.client().caps.progress;
    let token = NumberOrString::String(format!("ambient/cluster/{generation}"));
    let progress = if progress_cap
        && client
            .create_work_done_progress(token.clone())
            .await
            .is_ok()
    {
        Some(
            client
                .progress(token, "Reading the cluster (read-only)")
                .with_message(match &s.context {
                    Some(c) => format!("context \"{c}\""),
                    None => "current context".to_string(),
                })
                .with_percentage(0)
                .begin()
                .await,
        )
    } else {
        None
    };
    let (ptx, mut prx) = tokio::sync::mpsc::unbounded_channel::<(String, u32)>();
    let total = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let cb: cluster::Progress = {
        let (total, done) = (total.clone(), done.clone());
        Arc::new(move |e: &Event| {
            use std::sync::atomic::Ordering::SeqCst;
            match e {
                Event::Discovered { served, .. } => total.store(served.len(), SeqCst),
                Event::KindDone(k) => {
                    let d = done.fetch_add(1, SeqCst) + 1;
                    let pct = (d * 100 / total.load(SeqCst).max(1)).min(99) as u32;
                    let what = match &k.outcome {
                        Outcome::Read { objects, .. } => format!("{}: {objects} objects", k.name()),
                        _ => k.problem().unwrap_or_else(|| k.name()),
                    };
                    let _ = ptx.send((what, pct));
                }
                Event::Page { .. } => {}
            }
        })
    };
    let forward = progress.as_ref().map(|_| ());
    let reader = async {
        let opts = cluster::Options {
            context: s.context.clone(),
            keep_text: true,
            ..cluster::Options::default()
        };
        let c = Cluster::connect(opts).await.map_err(|e| e.to_string())?;
        let snap = c.load(cb).await.map_err(|e| e.to_string())?;
        Ok::<_, String>((c, snap))
    };
    tokio::pin!(reader);
    let result = loop {
        tokio::select! {
            r = &mut reader => break r,
            Some((msg, pct)) = prx.recv(), if forward.is_some() => {
                if let Some(p) = &progress {
                    p.report_with_message(msg, pct).await;
                }
            }
        }
    };
    if state.cluster.lock().generation != generation {
        if let Some(p) = progress {
            p.finish_with_message("superseded").await;
        }
        return Err("superseded by a newer read of the cluster".into());
    }
    let (c, snap) = match result {
        Ok(x) => x,
        Err(e) => {
            {
                let mut inner = state.cluster.lock();
                inner.view = None;
            }
            worker.send(Msg::SettingsChanged);
            if let Some(p) = progress {
                p.finish_with_message("failed").await;
            }
            let msg = format!("ambient: cannot read the cluster: {e}");
            client.show_message(MessageType::ERROR, &msg).await;
            return Err(msg);
        }
    };
    let who = snap.who.clone();
    let (objects, kinds, _) = snap.into_index();
    let view = Arc::new(View {
        context: who.context.clone(),
        namespace: who.namespace.clone(),
        server: who.server.clone(),
        read: cluster::complete_kinds(&kinds),
        objects: RwLock::new(objects),
        kinds,
        version: Default::default(),
    });
    let problems: Vec<String> = view.kinds.iter().filter_map(KindStatus::problem).collect();
    let n = view.objects.read().map(|i| i.file_count()).unwrap_or(0);
    {
        let mut inner = state.cluster.lock();
        inner.view = Some(view.clone());
        inner.watches = start_watches(&c, &view, worker);
    }
    worker.send(Msg::SettingsChanged);
    if !problems.is_empty() {
        client
            .show_message(
                MessageType::WARNING,
                format!(
                    "ambient: some kinds of context \"{}\" could not be read, drift of those is not shown: {}",
                    who.context,
                    problems.join("; ")
                ),
            )
            .await;
    }
    tracing::info!(
        "read {n} objects from context \"{}\" ({})",
        who.context,
        who.server
    );
    if let Some(p) = progress {
        p.finish_with_message(format!("{n} objects from context \"{}\"", who.context))
            .await;
    }
    Ok(())
}

/// One watch per kind read, from the list's resourceVersion, kept going by
/// `Cluster::follow` (resumed when the server ends it, listed again after `410 Gone` or a
/// broken stream); changes go into the view and the worker compares again.
fn start_watches(
    c: &Cluster,
    view: &Arc<View>,
    worker: &WorkerHandle,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut out = Vec::new();
    for k in &view.kinds {
        let (
            Some(r),
            Outcome::Read {
                resource_version, ..
            },
        ) = (&k.resolved, &k.outcome)
        else {
            continue;
        };
        let (c, r, view, worker) = (c.clone(), r.clone(), view.clone(), worker.clone());
        let rv = resource_version.clone();
        // Pods do not take part in drift: their changes need no new comparison
        let notify = !(r.want.group.is_empty() && r.want.kind == "Pod");
        out.push(tokio::spawn(async move {
            c.follow(&r, rv, 290, |change: Change| {
                let changed = {
                    let mut idx = view.objects.write().unwrap_or_else(|e| e.into_inner());
                    cluster::apply_change(&mut idx, &r, change)
                };
                if changed {
                    view.version
                        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    if notify {
                        worker.send(Msg::SettingsChanged);
                    }
                }
            })
            .await
        }));
    }
    out
}
