//! The analysis worker: one thread that owns every update of the session. Handlers record the
//! client's text and send a message; the worker drains whatever queued up, applies it as one
//! batch, re-analyses what the batch can affect and publishes the diagnostics of the files
//! whose diagnostics changed (plus every open document whose version moved), in order, through
//! a single publisher task.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::time::Instant;

use tower_lsp_server::ls_types::{Diagnostic, Uri};

use super::convert::{diagnostic, key_to_uri};
use super::state::{ServerState, Settings};
use super::workspace::{Disk, Unreadable};
use crate::engine::{Session, UpdateStats};
use crate::finding::Finding;
use crate::model::FileId;
use crate::yaml::Encoding;

pub enum Msg {
    /// An open document was opened or edited: its text is in the client state.
    DocumentChanged(String),
    /// A document was closed: the file on disk applies again.
    DocumentClosed(String),
    /// Files created or changed on disk (applied unless open in the editor).
    DiskChanged(Vec<String>),
    /// Files deleted on disk.
    DiskDeleted(Vec<String>),
    /// The workspace as read from disk (replaces the index); the sender is told when done.
    Load(
        Vec<(String, Arc<str>)>,
        Vec<Unreadable>,
        Option<tokio::sync::oneshot::Sender<()>>,
    ),
    SettingsChanged,
    /// Tell the sender once everything before this message is analysed and published.
    Flush(tokio::sync::oneshot::Sender<()>),
    Shutdown,
}

/// What the publisher task sends to the client.
pub struct Publish {
    pub uri: Uri,
    pub diagnostics: Vec<Diagnostic>,
    pub version: Option<i32>,
}

/// The publisher's queue: diagnostics, and acknowledgements that are sent once everything
/// queued before them has reached the client.
pub enum Outbox {
    Publish(Publish),
    Ack(tokio::sync::oneshot::Sender<()>),
}

/// The workspace as read from disk: texts, and the files the input policy could not read.
type Loaded = (Vec<(String, Arc<str>)>, Vec<Unreadable>);

/// The messages of one batch, sorted out.
#[derive(Default)]
struct Batch {
    /// New text per index key (`None`: the file is gone).
    changes: BTreeMap<String, Option<Arc<str>>>,
    load: Option<Loaded>,
    /// Files on disk the input policy cannot read, with their problem (not in `changes`).
    unreadable: BTreeMap<String, Unreadable>,
    acks: Vec<tokio::sync::oneshot::Sender<()>>,
    settings_changed: bool,
    /// Open documents whose text this batch applies, with the version of that text (read with
    /// the text, under the same lock: the client may be at a newer version by the time the
    /// batch is published, and diagnostics must carry the version they were computed from).
    open_touched: BTreeMap<String, i32>,
    shutdown: bool,
}

impl Batch {
    /// A file read from disk: its new text, or the problem reading it.
    fn disk(&mut self, key: String, read: Result<Option<Arc<str>>, Unreadable>) {
        match read {
            Ok(t) => {
                self.unreadable.remove(&key);
                self.changes.insert(key, t);
            }
            Err(p) => {
                self.changes.remove(&key);
                self.unreadable.insert(key, p);
            }
        }
    }
}

pub struct Worker {
    state: Arc<ServerState>,
    publish: tokio::sync::mpsc::Sender<Outbox>,
    /// Last publication per index key: hash of the diagnostics and the version.
    published: HashMap<String, (u64, Option<i32>)>,
    /// The URI each key's diagnostics were last published under: one file has one identity,
    /// so when the client names it under another spelling (`+` / `%2B`) the old one is cleared.
    published_uri: HashMap<String, Uri>,
}

/// A file's content on disk, for a batch: its text (`None`: gone or not ours), or a problem.
fn read_disk(path: &str, max_bytes: u64) -> Result<Option<Arc<str>>, Unreadable> {
    let p = std::path::Path::new(path);
    if p.is_dir() {
        return Ok(None);
    }
    match super::workspace::read_disk(p, max_bytes) {
        Disk::Text(t) => Ok(Some(t)),
        Disk::Skip => Ok(None),
        Disk::Problem(rule, m) => Err((path.to_string(), rule, m)),
    }
}

impl Worker {
    pub fn new(state: Arc<ServerState>, publish: tokio::sync::mpsc::Sender<Outbox>) -> Worker {
        Worker {
            state,
            publish,
            published: HashMap::new(),
            published_uri: HashMap::new(),
        }
    }

    pub fn spawn(self, rx: Receiver<Msg>) -> std::thread::JoinHandle<()> {
        std::thread::Builder::new()
            .name("ambient-analysis".into())
            .spawn(move || self.run(rx))
            .expect("spawn the analysis thread")
    }

    fn run(mut self, rx: Receiver<Msg>) {
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            while let Ok(m) = rx.try_recv() {
                batch.push(m);
            }
            // a bug in one analysis must not stop the server: log it and keep serving
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.batch(batch))) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let msg = e
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    tracing::error!("analysis failed (please report this): {msg}");
                    self.state.analysed();
                }
            }
        }
        tracing::debug!("analysis worker stopped");
    }

    /// The indexed files under the folders among `paths` (a path is a folder when files are
    /// indexed under it; it need not exist any more).
    fn indexed_under(&self, paths: &[String]) -> Vec<String> {
        let prefixes: Vec<String> = paths
            .iter()
            .map(|p| format!("{}{}", p.trim_end_matches('/'), std::path::MAIN_SEPARATOR))
            .collect();
        let session = self.state.session();
        session
            .index
            .files()
            .map(|f| f.path.to_string())
            .filter(|k| prefixes.iter().any(|p| k.starts_with(p.as_str())))
            .collect()
    }

    /// Sort the messages of a batch out: the text each changed file now has.
    fn collect(&self, msgs: Vec<Msg>, max_bytes: u64) -> Batch {
        let client = self.state.client();
        let mut b = Batch::default();
        for m in msgs {
            match m {
                Msg::DocumentChanged(k) => {
                    if let Some(d) = client.docs.get(&k) {
                        b.changes.insert(k.clone(), Some(d.text.clone()));
                        b.open_touched.insert(k, d.version);
                    }
                }
                Msg::DocumentClosed(k) if !client.docs.contains_key(&k) => {
                    let disk = if k.starts_with('/') {
                        read_disk(&k, max_bytes)
                    } else {
                        Ok(None)
                    };
                    b.disk(k, disk);
                }
                Msg::DocumentClosed(_) => {}
                Msg::DiskChanged(paths) => {
                    for p in paths.into_iter().filter(|p| !client.docs.contains_key(p)) {
                        let t = read_disk(&p, max_bytes);
                        b.disk(p, t);
                    }
                }
                Msg::DiskDeleted(paths) => {
                    // a deleted folder takes every indexed file under it along
                    let under = self.indexed_under(&paths);
                    for p in paths
                        .into_iter()
                        .chain(under)
                        .filter(|p| !client.docs.contains_key(p))
                    {
                        b.unreadable.remove(&p);
                        b.changes.insert(p, None);
                    }
                }
                Msg::Load(files, problems, ack) => {
                    b.load = Some((files, problems));
                    b.unreadable.clear();
                    b.acks.extend(ack);
                }
                Msg::SettingsChanged => b.settings_changed = true,
                Msg::Flush(ack) => b.acks.push(ack),
                Msg::Shutdown => b.shutdown = true,
            }
        }
        if b.load.is_some() {
            // a full load puts every open document on top of the disk
            for (k, d) in client.docs.iter() {
                b.changes.insert(k.clone(), Some(d.text.clone()));
                b.open_touched.insert(k.clone(), d.version);
            }
        }
        b
    }

    /// Apply one batch. Returns false on shutdown.
    fn batch(&mut self, msgs: Vec<Msg>) -> bool {
        let started = Instant::now();
        let settings = self.state.client().settings.clone();
        let mut b = self.collect(msgs, settings.max_bytes());
        let (stats, mut full) = self.apply(&mut b, &settings);
        let overlay = super::cluster::overlay_changes(&self.state, &self.state.session());
        if !overlay.is_empty() {
            // cluster-only facts joined or left the analysis: every file may be affected
            self.state.session_mut().update_arcs(overlay);
            full = true;
        }
        let drift_changed = super::cluster::recompute_drift(&self.state, &self.state.session());
        self.record_analysed(&b.open_touched);
        let t_analysed = started.elapsed();
        let changed_keys: Vec<String> = b.changes.keys().cloned().collect();
        {
            let state = self.state.clone();
            let session = state.session();
            if full || stats.all || b.settings_changed || drift_changed {
                self.publish_all(&session, &settings);
            } else {
                self.publish_incremental(
                    &session,
                    &settings,
                    &stats,
                    &changed_keys,
                    &b.open_touched,
                );
            }
        }
        self.state.analysed();
        tracing::debug!(
            elapsed = ?started.elapsed(),
            analysis = ?t_analysed,
            files = changed_keys.len(),
            namespaces = stats.namespaces,
            full,
            "analysed"
        );
        for a in b.acks {
            let _ = self.publish.blocking_send(Outbox::Ack(a));
        }
        !b.shutdown
    }

    /// Apply the batch to the session. Returns what was re-analysed and whether everything was.
    fn apply(&self, b: &mut Batch, settings: &Settings) -> (UpdateStats, bool) {
        let opts = settings.options();
        let mut full = false;
        if let Some((files, problems)) = b.load.take() {
            self.load(
                files,
                problems,
                std::mem::take(&mut b.changes),
                opts.clone(),
            );
            full = true;
        }
        let mut session = self.state.session_mut();
        if b.settings_changed && session.opts != opts {
            session.set_options(opts);
            full = true;
        }
        // unchanged texts (didOpen of a file as it is on disk) need no re-analysis
        b.changes.retain(|k, v| {
            let current = session
                .index
                .id_of(k)
                .and_then(|id| session.index.file(id))
                .map(|f| f.text.clone());
            match (v, current) {
                (Some(new), Some(cur)) => *new != cur,
                (None, None) => false,
                _ => true,
            }
        });
        let mut stats = UpdateStats::default();
        if !b.changes.is_empty() {
            stats = session.update_arcs(
                b.changes
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            );
        }
        if !b.unreadable.is_empty() {
            let more = session.set_unreadable(b.unreadable.values().cloned().collect());
            stats.all |= more.all;
            stats.files.extend(more.files);
            stats.namespaces += more.namespaces;
            // published like the changed files
            for k in b.unreadable.keys() {
                b.changes.entry(k.clone()).or_insert(None);
            }
        }
        (stats, full)
    }

    /// Replace the session with the workspace read from disk, the open documents on top.
    fn load(
        &self,
        files: Vec<(String, Arc<str>)>,
        problems: Vec<Unreadable>,
        changes: BTreeMap<String, Option<Arc<str>>>,
        opts: crate::analysis::Options,
    ) {
        let problems: Vec<Unreadable> = problems
            .into_iter()
            .filter(|(k, ..)| !changes.contains_key(k))
            .collect();
        let mut files: BTreeMap<String, Arc<str>> = files.into_iter().collect();
        for (k, v) in changes {
            match v {
                Some(t) => files.insert(k, t),
                None => files.remove(&k),
            };
        }
        let mut s = Session::new(opts);
        s.load_arcs(files.into_iter().collect());
        if !problems.is_empty() {
            s.set_unreadable(problems);
        }
        *self.state.session_mut() = s;
    }

    /// Record which version of each open document the analysis now covers, and share the
    /// analysed text with the document (one copy of each text).
    fn record_analysed(&self, keys: &BTreeMap<String, i32>) {
        let session = self.state.session();
        let mut client = self.state.client();
        for (k, v) in keys {
            let Some(d) = client.docs.get_mut(k) else {
                continue;
            };
            if d.analysed.is_some_and(|a| a > *v) {
                continue;
            }
            d.analysed = Some(*v);
            if d.version != *v {
                continue;
            }
            if let Some(f) = session.index.id_of(k).and_then(|id| session.index.file(id)) {
                if *d.text == *f.text && !Arc::ptr_eq(&d.text, &f.text) {
                    d.text = f.text.clone();
                }
            }
        }
    }

    fn file_diagnostics(
        &self,
        session: &Session,
        fid: FileId,
        settings: &Settings,
        enc: Encoding,
    ) -> (Vec<Diagnostic>, u64) {
        let index = &session.index;
        let Some(file) = index.file(fid) else {
            return (Vec::new(), 0);
        };
        let drift = self.state.cluster.drift_in(&file.path);
        let mut list: Vec<&Finding> = session.analysis.findings_in(file);
        list.extend(drift.iter());
        list.retain(|f| settings.phase_enabled(f.phase()));
        list.sort_by_key(|f| {
            (
                f.location.map(|l| (l.span.start, l.span.end)),
                f.rule.position(),
            )
        });
        let mut h = DefaultHasher::new();
        for f in &list {
            f.fingerprint(&mut h);
        }
        (
            file.text.len(),
            Arc::as_ptr(&file.text) as *const u8 as usize,
        )
            .hash(&mut h);
        let diags = list
            .iter()
            .map(|f| diagnostic(index, file, f, enc))
            .collect();
        (diags, h.finish())
    }

    fn send(&mut self, key: &str, diagnostics: Vec<Diagnostic>, hash: u64, force: bool) {
        if crate::cluster::objects::is_cluster_uri(key) {
            // a live cluster object (`ambient.cluster.enabled`): in the report, not a document
            return;
        }
        // the version the analysed text had (never a newer one the analysis has not seen), and
        // the client's own URI for the file when it named it
        let (version, uri) = {
            let client = self.state.client();
            (
                client.docs.get(key).and_then(|d| d.analysed),
                client.uris.get(key).cloned().or_else(|| key_to_uri(key)),
            )
        };
        let Some(uri) = uri else { return };
        if let Some(old) = self.published_uri.get(key).filter(|old| **old != uri) {
            // the client now spells this file differently: the diagnostics move to the new URI
            let _ = self.publish.blocking_send(Outbox::Publish(Publish {
                uri: old.clone(),
                diagnostics: Vec::new(),
                version: None,
            }));
            self.published_uri.remove(key);
            self.published.remove(key);
        }
        let prev = self.published.get(key);
        if !force && prev.is_some_and(|(h, v)| *h == hash && *v == version) {
            return;
        }
        if !force && prev.is_none() && diagnostics.is_empty() && version.is_none() {
            // never published and nothing to say
            self.published.insert(key.to_string(), (hash, version));
            return;
        }
        self.published.insert(key.to_string(), (hash, version));
        self.published_uri.insert(key.to_string(), uri.clone());
        // bounded: the worker waits for the client instead of piling up diagnostics
        let _ = self.publish.blocking_send(Outbox::Publish(Publish {
            uri,
            diagnostics,
            version,
        }));
    }

    fn publish_all(&mut self, session: &Session, settings: &Settings) {
        let enc = self.state.client().encoding;
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let files: Vec<(FileId, Arc<str>)> = session
            .index
            .files()
            .map(|f| (f.id, f.path.clone()))
            .collect();
        for (fid, path) in files {
            let (d, h) = self.file_diagnostics(session, fid, settings, enc);
            self.send(&path, d, h, false);
            seen.insert(path.to_string());
        }
        let gone: Vec<String> = self
            .published
            .keys()
            .filter(|k| !seen.contains(*k))
            .cloned()
            .collect();
        for k in gone {
            self.send(&k, Vec::new(), 0, false);
            self.published.remove(&k);
            self.published_uri.remove(&k);
        }
    }

    fn publish_incremental(
        &mut self,
        session: &Session,
        settings: &Settings,
        stats: &UpdateStats,
        changed: &[String],
        open_touched: &BTreeMap<String, i32>,
    ) {
        let enc = self.state.client().encoding;
        let index = &session.index;
        let mut affected: BTreeSet<FileId> = stats.files.clone();
        for k in changed.iter().chain(open_touched.keys()) {
            if let Some(id) = index.id_of(k) {
                affected.insert(id);
            }
        }
        for fid in affected {
            let Some(file) = index.file(fid) else {
                continue;
            };
            let path = file.path.clone();
            let (d, h) = self.file_diagnostics(session, fid, settings, enc);
            self.send(&path, d, h, false);
        }
        // files that left the index
        for k in changed {
            if index.id_of(k).is_none_or(|id| index.file(id).is_none())
                && self.published.contains_key(k)
            {
                self.send(k, Vec::new(), 0, true);
                self.published.remove(k);
                self.published_uri.remove(k);
            }
        }
    }
}

/// Send messages to the worker, logging (not panicking) if it has stopped.
#[derive(Clone)]
pub struct WorkerHandle(pub Sender<Msg>);

impl WorkerHandle {
    pub fn send(&self, m: Msg) {
        if self.0.send(m).is_err() {
            tracing::warn!("the analysis worker has stopped");
        }
    }
}
