//! The analysis worker: one thread that owns every update of the index. Handlers only record
//! the client's text (full sync, newest version wins) and send a message; the worker drains
//! whatever queued up, applies it as one batch, re-analyses what the batch can affect and
//! publishes the diagnostics of the files whose diagnostics changed (plus every open document
//! whose version moved), in order, through a single publisher task.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::time::Instant;

use tower_lsp_server::ls_types::{Diagnostic, Uri};

use super::convert::{diagnostic, key_to_uri};
use super::state::{Settings, Shared};
use crate::engine::{Session, UpdateStats};
use crate::finding::Finding;
use crate::model::FileId;

pub enum Msg {
    /// An open document changed: its text is in `Shared::docs`.
    Open(String),
    /// A document was closed: the file on disk applies again.
    Close(String),
    /// Files created or changed on disk (applied unless open in the editor).
    Disk(Vec<String>),
    /// Files deleted on disk.
    Deleted(Vec<String>),
    /// The workspace as read from disk (replaces the index); the sender is told when done.
    Load(
        Vec<(String, Arc<str>)>,
        Option<tokio::sync::oneshot::Sender<()>>,
    ),
    /// Settings changed.
    Settings,
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

pub struct Worker {
    shared: Arc<Shared>,
    publish: tokio::sync::mpsc::Sender<Outbox>,
    /// Last publication per index key: hash of the diagnostics and the version.
    published: HashMap<String, (u64, Option<i32>)>,
    max_bytes: u64,
}

fn read_disk(path: &str, max_bytes: u64) -> Option<Arc<str>> {
    let p = std::path::Path::new(path);
    if !p.is_file() {
        return None;
    }
    match crate::sources::read_manifest(p, max_bytes) {
        Ok(t) => Some(Arc::from(t)),
        Err(e) => {
            tracing::info!("not indexing {path}: {}", e.message());
            None
        }
    }
}

impl Worker {
    pub fn new(shared: Arc<Shared>, publish: tokio::sync::mpsc::Sender<Outbox>) -> Worker {
        Worker {
            shared,
            publish,
            published: HashMap::new(),
            max_bytes: 1024 * 1024,
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
                    self.shared.generation.send_modify(|g| *g += 1);
                }
            }
        }
        tracing::debug!("analysis worker stopped");
    }

    /// Apply one batch. Returns false on shutdown.
    fn batch(&mut self, batch: Vec<Msg>) -> bool {
        let started = Instant::now();
        let settings = self.shared.settings();
        self.max_bytes = settings.max_file_size_kb.saturating_mul(1024);
        let mut changes: BTreeMap<String, Option<Arc<str>>> = BTreeMap::new();
        let mut load: Option<Vec<(String, Arc<str>)>> = None;
        let mut acks = Vec::new();
        let mut settings_changed = false;
        let mut open_touched: BTreeSet<String> = BTreeSet::new();
        let mut shutdown = false;
        for m in batch {
            match m {
                Msg::Open(k) => {
                    if let Some(d) = self.shared.docs.get(&k) {
                        changes.insert(k.clone(), Some(d.text.clone()));
                        open_touched.insert(k);
                    }
                }
                Msg::Close(k) => {
                    if !self.shared.docs.contains_key(&k) {
                        let disk = if k.starts_with('/') {
                            read_disk(&k, self.max_bytes)
                        } else {
                            None
                        };
                        changes.insert(k.clone(), disk);
                        self.shared
                            .analysed
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .remove(&k);
                    }
                }
                Msg::Disk(paths) => {
                    for p in paths {
                        if !self.shared.docs.contains_key(&p) {
                            let t = read_disk(&p, self.max_bytes);
                            changes.insert(p, t);
                        }
                    }
                }
                Msg::Deleted(paths) => {
                    for p in paths {
                        if !self.shared.docs.contains_key(&p) {
                            changes.insert(p, None);
                        }
                    }
                }
                Msg::Load(files, ack) => {
                    load = Some(files);
                    acks.extend(ack);
                }
                Msg::Settings => settings_changed = true,
                Msg::Flush(ack) => acks.push(ack),
                Msg::Shutdown => shutdown = true,
            }
        }
        let opts = settings.options();
        let mut full = false;
        if let Some(files) = load {
            // the disk, with open documents on top
            let mut files: BTreeMap<String, Arc<str>> = files.into_iter().collect();
            for d in self.shared.docs.iter() {
                files.insert(d.key().clone(), d.value().text.clone());
                open_touched.insert(d.key().clone());
            }
            for (k, v) in std::mem::take(&mut changes) {
                match v {
                    Some(t) => files.insert(k, t),
                    None => files.remove(&k),
                };
            }
            let mut s = Session::new(opts.clone());
            s.load_arcs(files.into_iter().collect());
            *self
                .shared
                .session
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = s;
            full = true;
        }
        let mut stats = UpdateStats::default();
        {
            let mut session = self
                .shared
                .session
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if settings_changed && session.opts != opts {
                session.set_options(opts);
                full = true;
            }
            // unchanged texts (didOpen of a file as it is on disk) need no re-analysis
            changes.retain(|k, v| {
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
            if !changes.is_empty() {
                stats = session.update_arcs(
                    changes
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                );
            }
            // share the analysed text with the document store (one copy of each text)
            for k in &open_touched {
                if let Some(f) = session.index.id_of(k).and_then(|id| session.index.file(id)) {
                    if let Some(mut d) = self.shared.docs.get_mut(k) {
                        if *d.text == *f.text && !Arc::ptr_eq(&d.text, &f.text) {
                            d.text = f.text.clone();
                        }
                    }
                }
            }
        }
        // record the analysed versions
        {
            let mut analysed = self
                .shared
                .analysed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for k in &open_touched {
                if let Some(d) = self.shared.docs.get(k) {
                    analysed.insert(k.clone(), d.version);
                }
            }
        }
        let t_analysed = started.elapsed();
        let shared = self.shared.clone();
        let session = shared
            .session
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let changed_keys: Vec<String> = changes.keys().cloned().collect();
        if full || stats.all || settings_changed {
            self.publish_all(&session, &settings);
        } else {
            self.publish_incremental(&session, &settings, &stats, &changed_keys, &open_touched);
        }
        drop(session);
        self.shared.generation.send_modify(|g| *g += 1);
        tracing::debug!(
            elapsed = ?started.elapsed(),
            analysis = ?t_analysed,
            files = changed_keys.len(),
            namespaces = stats.namespaces,
            full,
            "analysed"
        );
        for a in acks {
            let _ = self.publish.blocking_send(Outbox::Ack(a));
        }
        !shutdown
    }

    fn file_diagnostics(
        &self,
        session: &Session,
        fid: FileId,
        settings: &Settings,
    ) -> (Vec<Diagnostic>, u64) {
        let index = &session.index;
        let Some(file) = index.file(fid) else {
            return (Vec::new(), 0);
        };
        let mut list: Vec<&Finding> = session.analysis.findings_in(file);
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
        let enc = self.shared.encoding();
        let diags = list
            .iter()
            .map(|f| diagnostic(index, file, f, enc))
            .collect();
        (diags, h.finish())
    }

    fn send(&mut self, key: &str, diagnostics: Vec<Diagnostic>, hash: u64, force: bool) {
        let version = self.shared.docs.get(key).map(|d| d.version);
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
        if let Some(uri) = key_to_uri(key) {
            // bounded: the worker waits for the client instead of piling up diagnostics
            let _ = self.publish.blocking_send(Outbox::Publish(Publish {
                uri,
                diagnostics,
                version,
            }));
        }
    }

    fn publish_all(&mut self, session: &Session, settings: &Settings) {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let files: Vec<(FileId, Arc<str>)> = session
            .index
            .files()
            .map(|f| (f.id, f.path.clone()))
            .collect();
        for (fid, path) in files {
            let (d, h) = self.file_diagnostics(session, fid, settings);
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
        }
    }

    fn publish_incremental(
        &mut self,
        session: &Session,
        settings: &Settings,
        stats: &UpdateStats,
        changed: &[String],
        open_touched: &BTreeSet<String>,
    ) {
        let index = &session.index;
        let mut affected: BTreeSet<FileId> = BTreeSet::new();
        for k in changed.iter().chain(open_touched.iter()) {
            if let Some(id) = index.id_of(k) {
                affected.insert(id);
            }
        }
        affected.extend(stats.files.iter().copied());
        for fid in affected {
            let Some(file) = index.file(fid) else {
                continue;
            };
            let path = file.path.clone();
            let (d, h) = self.file_diagnostics(session, fid, settings);
            self.send(&path, d, h, false);
        }
        // files that left the index
        for k in changed {
            if index.id_of(k).is_none_or(|id| index.file(id).is_none())
                && self.published.contains_key(k)
            {
                self.send(k, Vec::new(), 0, true);
                self.published.remove(k);
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
