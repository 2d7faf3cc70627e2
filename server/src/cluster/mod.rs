//! The live cluster as an input: a read-only snapshot of the kinds the analysis uses, turned
//! into the same indexed resources manifest files produce (one "file" per object, whose path is
//! its `cluster://<context>/<namespace>/<kind>/<name>` URI), so every rule runs unchanged.
//!
//! Only `get`, `list` and `watch` are ever sent. The flow of [`Cluster::load`]:
//! 1. discovery: `/api`, `/apis`, then the resource lists of the wanted groups only;
//! 2. every wanted kind the server serves is listed across all namespaces in pages
//!    (`limit`/`continue`), several kinds at a time; each page is converted as it arrives and
//!    only what the analysis reads is kept (Pods are pruned, Secrets are metadata-only);
//! 3. a kind that cannot be read (403, timeout…) is reported in its [`KindStatus`] and the
//!    checks that need it become "unverified"; the others go on.
//!
//! The language server can call the same API: [`Cluster::connect`], then [`Cluster::load`]
//! with a progress callback (one event per discovered set, page and finished kind), then
//! [`Snapshot::files`] into its index, and [`Cluster::watch`] from each kind's
//! `resource_version` to keep it current.

pub mod cli;
pub mod config;
pub mod discovery;
pub mod error;
pub mod kinds;
pub mod objects;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{APIGroupList, APIResourceList, APIVersions};
use kube::api::{ListParams, WatchEvent, WatchParams};

use crate::index::{FileData, Index};
use discovery::{GroupState, Resolved};
pub use error::{ClusterError, Failure, Who};
use kinds::{Want, WANTED};
use objects::JsonNode;

/// How to read the cluster.
#[derive(Clone, Debug)]
pub struct Options {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    /// Each request (a discovery document, one page of a list) must answer within this.
    pub request_timeout: Duration,
    /// Objects per page (`limit`).
    pub page_size: u32,
    /// Kinds listed at the same time.
    pub concurrency: usize,
    /// Write what was read as YAML here (one file per namespace and kind).
    pub dump_dir: Option<PathBuf>,
    /// Keep each object's YAML as the text of its `FileData` (the language server compares
    /// it with the workspace: drift). Pods and metadata-only kinds keep what is read of them.
    pub keep_text: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            kubeconfig: None,
            context: None,
            request_timeout: Duration::from_secs(30),
            page_size: 500,
            concurrency: 4,
            dump_dir: None,
            keep_text: false,
        }
    }
}

/// Pages of one list at most (5 million objects at the default page size): beyond, the server
/// is taken to be looping and the kind is reported as unreadable.
pub const MAX_PAGES: usize = 10_000;

/// What happened to one wanted kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Read {
        objects: usize,
        pages: usize,
        /// The list's resourceVersion: where a watch starts.
        resource_version: String,
    },
    /// The server does not serve the kind (its group or CRD is not installed).
    NotInstalled,
    /// 403: the kubeconfig user may not use `verb` on the kind.
    Forbidden {
        verb: &'static str,
        message: String,
    },
    Failed {
        message: String,
    },
}

#[derive(Clone, Debug)]
pub struct KindStatus {
    pub want: Want,
    pub resolved: Option<Resolved>,
    pub outcome: Outcome,
    pub elapsed: Duration,
}

impl KindStatus {
    /// `pods`, `authorizationpolicies.security.istio.io`, or `Kind.group` when not served.
    pub fn name(&self) -> String {
        match &self.resolved {
            Some(r) => r.resource(),
            None => self.want.display(),
        }
    }

    /// Why the kind is missing from the snapshot although the server may have it.
    pub fn problem(&self) -> Option<String> {
        match &self.outcome {
            Outcome::Forbidden { verb, message } => Some(format!(
                "{} {}: forbidden (403){}",
                verb,
                self.name(),
                if message.is_empty() {
                    String::new()
                } else {
                    format!(": {message}")
                }
            )),
            Outcome::Failed { message } => Some(format!("list {}: {message}", self.name())),
            _ => None,
        }
    }
}

/// Progress of a load, for a terminal line or an LSP `$/progress`.
#[derive(Debug)]
pub enum Event<'a> {
    Discovered {
        served: &'a [Resolved],
        not_installed: &'a [Want],
    },
    Page {
        kind: &'a Resolved,
        objects_so_far: usize,
    },
    KindDone(&'a KindStatus),
}

pub type Progress = Arc<dyn Fn(&Event) + Send + Sync>;

/// A snapshot of the cluster: one `FileData` per object (path = its `cluster://` URI, ids
/// provisional until [`Snapshot::into_index`] or [`Snapshot::add_to`]).
pub struct Snapshot {
    pub who: Who,
    pub files: Vec<FileData>,
    pub kinds: Vec<KindStatus>,
}

impl Snapshot {
    /// Add every object to `index` (in URI order, so ids and report order are deterministic).
    pub fn add_to(mut self, index: &mut Index) -> Vec<KindStatus> {
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
        for mut fd in self.files {
            let id = index.id_for(&fd.path);
            objects::reassign(&mut fd, id);
            index.upsert(fd);
        }
        self.kinds
    }

    pub fn into_index(self) -> (Index, Vec<KindStatus>, Who) {
        let who = self.who.clone();
        let mut index = Index::new();
        let kinds = self.add_to(&mut index);
        (index, kinds, who)
    }

    pub fn objects(&self) -> usize {
        self.files.len()
    }
}

/// `(group, kind)` of the kinds read completely: listed without error and without a label
/// selector (Secrets are read only when labelled as remote secrets). Only of these can a
/// workspace object be said to be absent from the cluster (drift).
pub fn complete_kinds(kinds: &[KindStatus]) -> std::collections::BTreeSet<(String, String)> {
    kinds
        .iter()
        .filter(|k| matches!(k.outcome, Outcome::Read { .. }) && k.want.label_selector.is_none())
        .map(|k| (k.want.group.to_string(), k.want.kind.to_string()))
        .collect()
}

/// Checks that could not be evaluated, with the reason (the kinds that could not be read).
pub fn unverified(kinds: &[KindStatus]) -> Vec<(String, String)> {
    let mut by_check: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for k in kinds {
        let why = match &k.outcome {
            Outcome::Forbidden { verb, .. } => format!("{verb} {} was forbidden (403)", k.name()),
            Outcome::Failed { message } => format!("list {} failed ({message})", k.name()),
            _ => continue,
        };
        for c in k.want.checks {
            by_check.entry(c).or_default().push(why.clone());
        }
    }
    by_check
        .into_iter()
        .map(|(c, v)| {
            (
                c.to_string(),
                format!("could not be verified: {}", v.join("; ")),
            )
        })
        .collect()
}

struct Inner {
    client: kube::Client,
    who: Who,
    source: String,
    opts: Options,
    /// Equal parts of the objects read (the pods of one ReplicaSet…) are kept once.
    sharer: std::sync::Mutex<crate::model::Sharer>,
}

/// A connection to one cluster (cheap to clone).
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

/// A change seen by [`Cluster::watch`].
pub enum Change {
    /// Added or modified: the object as the index holds it.
    Applied(FileData),
    Deleted {
        uri: String,
    },
    /// The server's position; resume a watch from here.
    Bookmark {
        resource_version: String,
    },
    /// The kind was listed again (its watch expired with `410 Gone` or broke): these are all
    /// its objects now; any other object of the kind is gone.
    Relisted {
        files: Vec<FileData>,
        resource_version: String,
    },
}

/// How long [`Cluster::follow`] waits before its `failures`-th retry: 250 ms doubling, at most
/// 30 s.
pub fn backoff(failures: u32) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    Duration::from_millis(250u64.saturating_mul(1 << (failures - 1).min(7)))
        .min(Duration::from_secs(30))
}

/// Apply a change of kind `r` seen by [`Cluster::follow`] to an index of cluster objects (ids
/// allocated by the index). Returns whether the index changed.
pub fn apply_change(index: &mut Index, r: &Resolved, change: Change) -> bool {
    match change {
        Change::Applied(mut fd) => {
            let id = index.id_for(&fd.path);
            objects::reassign(&mut fd, id);
            index.upsert(fd);
            true
        }
        Change::Deleted { uri } => match index.id_of(&uri).filter(|id| index.file(*id).is_some()) {
            Some(id) => {
                index.remove(id);
                true
            }
            None => false,
        },
        Change::Bookmark { .. } => false,
        Change::Relisted { mut files, .. } => {
            let kind = r.want.uri_kind();
            let fresh: std::collections::HashSet<&str> = files.iter().map(|f| &*f.path).collect();
            let stale: Vec<crate::model::FileId> = index
                .files()
                .filter(|f| {
                    objects::uri_kind(&f.path) == Some(kind.as_str()) && !fresh.contains(&*f.path)
                })
                .map(|f| f.id)
                .collect();
            for id in stale {
                index.remove(id);
            }
            files.sort_by(|a, b| a.path.cmp(&b.path));
            for mut fd in files {
                let id = index.id_for(&fd.path);
                objects::reassign(&mut fd, id);
                index.upsert(fd);
            }
            true
        }
    }
}

impl Cluster {
    /// Resolve the kubeconfig and build the client. Sends nothing.
    pub async fn connect(opts: Options) -> Result<Cluster, ClusterError> {
        let target = config::resolve(opts.kubeconfig.as_deref(), opts.context.as_deref()).await?;
        let mut cfg = target.config;
        cfg.connect_timeout = Some(opts.request_timeout);
        // whole-request timeouts are applied per request (see `text`); a read timeout on the
        // connection would also cut watches
        cfg.read_timeout = None;
        let who = target.who;
        let client = kube::Client::try_from(cfg).map_err(|e| {
            error::classify(&e).into_error(&who, "connecting", opts.request_timeout.as_secs())
        })?;
        Ok(Cluster {
            inner: Arc::new(Inner {
                client,
                who,
                source: target.source,
                opts,
                sharer: Default::default(),
            }),
        })
    }

    pub fn who(&self) -> &Who {
        &self.inner.who
    }

    /// Where the configuration came from (a kubeconfig path, `KUBECONFIG=…`, `in-cluster`).
    pub fn config_source(&self) -> &str {
        &self.inner.source
    }

    pub fn options(&self) -> &Options {
        &self.inner.opts
    }

    fn secs(&self) -> u64 {
        self.inner.opts.request_timeout.as_secs().max(1)
    }

    /// One request with the request timeout; the body as text.
    async fn text(&self, req: http::Request<Vec<u8>>) -> Result<String, Failure> {
        match tokio::time::timeout(
            self.inner.opts.request_timeout,
            self.inner.client.request_text(req),
        )
        .await
        {
            Err(_) => Err(Failure::Timeout),
            Ok(Err(e)) => Err(error::classify(&e)),
            Ok(Ok(t)) => Ok(t),
        }
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, Failure> {
        let req = http::Request::get(path)
            .body(Vec::new())
            .map_err(|e| Failure::Other(e.to_string()))?;
        let text = self.text(req).await?;
        serde_json::from_str(&text)
            .map_err(|e| Failure::Other(format!("{path}: not a discovery document: {e}")))
    }

    /// Discovery: the wanted kinds the server serves (and those it does not).
    pub async fn discover(&self) -> Result<(Vec<Resolved>, Vec<Want>), ClusterError> {
        let who = &self.inner.who;
        let core: APIVersions = self
            .get_json("/api")
            .await
            .map_err(|f| f.into_error(who, "API discovery (GET /api)", self.secs()))?;
        let groups: APIGroupList = self
            .get_json("/apis")
            .await
            .map_err(|f| f.into_error(who, "API discovery (GET /apis)", self.secs()))?;
        let states = discovery::wanted_groups(&core.versions, &groups);
        let mut served = Vec::new();
        let mut not_installed = Vec::new();
        let mut jobs = Vec::new();
        for (group, state) in &states {
            match state {
                GroupState::NotInstalled => {
                    not_installed.extend(WANTED.iter().filter(|w| w.group == group).copied())
                }
                GroupState::Served(versions) => jobs.push(self.group_resources(group, versions)),
            }
        }
        let results = futures::future::join_all(jobs).await;
        for r in results {
            let (group, resolved) = r.map_err(|(f, what)| f.into_error(who, &what, self.secs()))?;
            for w in WANTED.iter().filter(|w| w.group == group) {
                if !resolved.iter().any(|r| r.want == *w) {
                    not_installed.push(*w);
                }
            }
            served.extend(resolved);
        }
        // the table's order: progress and statuses read the same every run
        let pos = |w: &Want| WANTED.iter().position(|x| x == w).unwrap_or(usize::MAX);
        served.sort_by_key(|r| pos(&r.want));
        not_installed.sort_by_key(pos);
        Ok((served, not_installed))
    }

    /// Resource lists of one group's versions, preferred first, until every wanted kind of the
    /// group is found. A version that answers 404/503 (an aggregated API that is down, a CRD
    /// being removed) is skipped; 401/403/timeouts stop the run.
    async fn group_resources(
        &self,
        group: &str,
        versions: &[String],
    ) -> Result<(String, Vec<Resolved>), (Failure, String)> {
        let wanted = WANTED.iter().filter(|w| w.group == group).count();
        let mut lists: Vec<(String, APIResourceList)> = Vec::new();
        for v in versions {
            let path = if group.is_empty() {
                format!("/api/{v}")
            } else {
                format!("/apis/{group}/{v}")
            };
            match self.get_json::<APIResourceList>(&path).await {
                Ok(l) => lists.push((v.clone(), l)),
                Err(Failure::Status(404 | 503, _)) => continue,
                Err(f) => return Err((f, format!("API discovery (GET {path})"))),
            }
            if discovery::resolve_group(group, &lists).len() == wanted {
                break;
            }
        }
        Ok((group.to_string(), discovery::resolve_group(group, &lists)))
    }

    /// Read every wanted kind. `Err` only when the server cannot be used at all (unreachable,
    /// TLS, credentials, discovery forbidden or timed out) or when no kind could be read.
    pub async fn load(&self, progress: Progress) -> Result<Snapshot, ClusterError> {
        let (served, not_installed) = self.discover().await?;
        progress(&Event::Discovered {
            served: &served,
            not_installed: &not_installed,
        });
        let dump = self.inner.opts.dump_dir.clone().map(Arc::new);
        let sem = Arc::new(tokio::sync::Semaphore::new(
            self.inner.opts.concurrency.max(1),
        ));
        let mut set = tokio::task::JoinSet::new();
        for (i, r) in served.iter().cloned().enumerate() {
            let me = self.clone();
            let sem = sem.clone();
            let progress = progress.clone();
            let dump = dump.clone();
            set.spawn(async move {
                let _permit = sem.acquire_owned().await.expect("semaphore open");
                let (status, files) = me
                    .list_kind(r, dump.as_deref().map(PathBuf::as_path), &progress)
                    .await;
                progress(&Event::KindDone(&status));
                (i, status, files)
            });
        }
        let mut done: Vec<(usize, KindStatus, Vec<FileData>)> = Vec::new();
        while let Some(r) = set.join_next().await {
            match r {
                Ok(x) => done.push(x),
                Err(e) => {
                    return Err(ClusterError::Other {
                        who: Box::new(self.inner.who.clone()),
                        what: "reading the cluster".into(),
                        detail: format!("internal error: {e}"),
                    })
                }
            }
        }
        self.forget_shared();
        done.sort_by_key(|(i, ..)| *i);
        let mut kinds = Vec::new();
        let mut files = Vec::new();
        for (_, s, f) in done {
            kinds.push(s);
            files.extend(f);
        }
        for w in not_installed {
            kinds.push(KindStatus {
                want: w,
                resolved: None,
                outcome: Outcome::NotInstalled,
                elapsed: Duration::ZERO,
            });
        }
        let read_any = kinds
            .iter()
            .any(|k| matches!(k.outcome, Outcome::Read { .. }));
        if !read_any {
            return Err(ClusterError::NothingRead {
                who: Box::new(self.inner.who.clone()),
                reasons: kinds.iter().filter_map(|k| k.problem()).collect(),
            });
        }
        Ok(Snapshot {
            who: self.inner.who.clone(),
            files,
            kinds,
        })
    }

    fn list_request(
        &self,
        r: &Resolved,
        cont: Option<String>,
        metadata_only: bool,
    ) -> Result<http::Request<Vec<u8>>, Failure> {
        let lp = ListParams {
            label_selector: r.want.label_selector.map(str::to_string),
            limit: Some(self.inner.opts.page_size.max(1)),
            continue_token: cont,
            ..Default::default()
        };
        let req = kube::core::Request::new(r.url_path());
        let built = if metadata_only {
            req.list_metadata(&lp)
        } else {
            req.list(&lp)
        };
        built.map_err(|e| Failure::Other(e.to_string()))
    }

    /// Convert one object as read into the index's form (and the dump's).
    fn convert(
        &self,
        r: &Resolved,
        mut n: crate::yaml::Node,
        dump: Option<&mut BTreeMap<String, String>>,
    ) -> FileData {
        let api_version = r.api_version();
        if r.want.metadata_only {
            objects::set_type(&mut n, &api_version, r.want.kind);
            objects::metadata_only(&mut n);
        } else {
            objects::fill_type(&mut n, &api_version, r.want.kind);
        }
        let (name, ns) = objects::name_ns(&n);
        let ns = if r.namespaced { ns } else { String::new() };
        if let Some(d) = dump {
            let doc = crate::yaml::emit::to_yaml(&n.to_json());
            let out = d.entry(ns.clone()).or_default();
            out.push_str("---\n");
            out.push_str(&doc);
        }
        if r.want.prune_pod {
            objects::prune_pod(&mut n);
        }
        objects::drop_last_applied(&mut n);
        let uri = objects::cluster_uri(&self.inner.who.context, &ns, &r.want.uri_kind(), &name);
        if self.inner.opts.keep_text {
            objects::file_data_text(0, &uri, &n)
        } else {
            objects::file_data_shared(0, &uri, &n, Some(&self.inner.sharer))
        }
    }

    async fn list_kind(
        &self,
        r: Resolved,
        dump_dir: Option<&Path>,
        progress: &Progress,
    ) -> (KindStatus, Vec<FileData>) {
        let started = Instant::now();
        let mut files = Vec::new();
        let mut dump: Option<BTreeMap<String, String>> = dump_dir.map(|_| BTreeMap::new());
        let mut cont: Option<String> = None;
        let mut pages = 0;
        let mut restarted = false;
        // continue tokens already sent: a server that hands one back again would make the
        // list go round forever
        let mut seen: std::collections::HashSet<String> = Default::default();
        let mut metadata_list = r.want.metadata_only;
        let outcome = loop {
            let req = match self.list_request(&r, cont.clone(), metadata_list) {
                Ok(q) => q,
                Err(f) => break Err(f),
            };
            let text = match self.text(req).await {
                Ok(t) => t,
                Err(Failure::Status(406 | 415, _)) if metadata_list && cont.is_none() => {
                    // a server without metadata-only lists: a plain list, of which only the
                    // metadata is kept (the shape below)
                    metadata_list = false;
                    continue;
                }
                Err(Failure::Status(410, _)) if cont.is_some() && !restarted => {
                    // the continue token expired (the list took longer than etcd keeps
                    // history): start this kind again, once
                    restarted = true;
                    cont = None;
                    seen.clear();
                    pages = 0;
                    files.clear();
                    if let Some(d) = &mut dump {
                        d.clear();
                    }
                    continue;
                }
                Err(f) => break Err(f),
            };
            let keep: &'static objects::Keep = if dump.is_some() {
                &objects::Keep::All
            } else if r.want.prune_pod {
                &objects::POD_SHAPE
            } else if r.want.metadata_only {
                &objects::METADATA_SHAPE
            } else {
                &objects::Keep::All
            };
            let read = {
                let files = &mut files;
                let dump = &mut dump;
                objects::read_list(&text, keep, &mut |n| {
                    files.push(self.convert(&r, n, dump.as_mut()))
                })
            };
            let meta = match read {
                Ok(m) => m,
                Err(e) => {
                    break Err(Failure::Other(format!(
                        "the server's answer is not a list: {e}"
                    )))
                }
            };
            drop(text);
            pages += 1;
            progress(&Event::Page {
                kind: &r,
                objects_so_far: files.len(),
            });
            match meta.cont.filter(|c| !c.is_empty()) {
                Some(c) if !seen.insert(c.clone()) => {
                    break Err(Failure::Other(format!(
                        "the server sent the same continue token twice after {pages} pages \
                         (the list would never end)"
                    )));
                }
                Some(_) if pages >= MAX_PAGES => {
                    break Err(Failure::Other(format!(
                        "the list did not end after {pages} pages of {} objects",
                        self.inner.opts.page_size.max(1)
                    )));
                }
                Some(c) => cont = Some(c),
                None => {
                    break Ok(meta.resource_version.unwrap_or_default());
                }
            }
        };
        let outcome = match outcome {
            Ok(resource_version) => {
                if let (Some(dir), Some(d)) = (dump_dir, &dump) {
                    if let Err(e) = write_dump(dir, &r, d, &self.inner.who.context) {
                        tracing::warn!("--dump-dir: {e}");
                        eprintln!("warning: --dump-dir {}: {e}", dir.display());
                    }
                }
                Outcome::Read {
                    objects: files.len(),
                    pages,
                    resource_version,
                }
            }
            Err(f) => {
                files.clear();
                match f {
                    Failure::Status(403, m) => Outcome::Forbidden {
                        verb: "list",
                        message: m,
                    },
                    Failure::Status(404, _) => Outcome::NotInstalled,
                    Failure::Timeout => Outcome::Failed {
                        message: format!(
                            "no answer within {} s (raise --request-timeout)",
                            self.secs()
                        ),
                    },
                    Failure::Status(401, m) => Outcome::Failed {
                        message: format!(
                            "401 Unauthorized for kubeconfig user \"{}\" ({}){}",
                            self.inner.who.user,
                            self.inner.who.auth,
                            if m.is_empty() {
                                String::new()
                            } else {
                                format!(": {m}")
                            }
                        ),
                    },
                    Failure::Status(code, m) => Outcome::Failed {
                        message: format!("HTTP {code}: {m}"),
                    },
                    Failure::Unreachable(m) => Outcome::Failed {
                        message: format!("server unreachable: {m}"),
                    },
                    Failure::Tls(m) => Outcome::Failed {
                        message: format!("TLS failure: {m}"),
                    },
                    Failure::Credentials(m) => Outcome::Failed {
                        message: format!(
                            "credentials of kubeconfig user \"{}\" ({}) cannot be used: {m}",
                            self.inner.who.user, self.inner.who.auth
                        ),
                    },
                    Failure::Other(m) => Outcome::Failed { message: m },
                }
            }
        };
        (
            KindStatus {
                want: r.want,
                resolved: Some(r),
                outcome,
                elapsed: started.elapsed(),
            },
            files,
        )
    }

    /// List one kind again (what [`Cluster::follow`] does when a watch cannot resume).
    pub async fn relist(&self, r: &Resolved) -> (KindStatus, Vec<FileData>) {
        let quiet: Progress = Arc::new(|_: &Event| {});
        let out = self.list_kind(r.clone(), None, &quiet).await;
        self.forget_shared();
        out
    }

    /// Drop the sharer's table once a read is complete (what was shared stays shared).
    fn forget_shared(&self) {
        *self.inner.sharer.lock().unwrap_or_else(|e| e.into_inner()) = Default::default();
    }

    /// Keep kind `r` current from `resource_version` (its list's) for as long as the future
    /// runs, handing every change to `on`: each watch is resumed from the newest
    /// resourceVersion seen (objects and bookmarks) when it ends — the server closes it, or the
    /// connection breaks mid-stream (kube-rs ends the stream on an unexpected EOF); when a watch
    /// cannot resume — `410 Gone` (the history it would resume from is compacted), another
    /// error event or read error, a watch that cannot be started — the kind is listed again
    /// ([`Change::Relisted`]) and
    /// watched from that list, after a backoff that grows while failures repeat
    /// ([`backoff`]).
    pub async fn follow(
        &self,
        r: &Resolved,
        resource_version: String,
        timeout_secs: u32,
        mut on: impl FnMut(Change) + Send,
    ) {
        let mut rv = resource_version;
        let mut failures: u32 = 0;
        let mut relist = false;
        loop {
            if relist {
                tokio::time::sleep(backoff(failures)).await;
                let (status, files) = self.relist(r).await;
                match status.outcome {
                    Outcome::Read {
                        resource_version, ..
                    } => {
                        tracing::info!(
                            "listed {} again: {} objects at resourceVersion {resource_version}",
                            r.resource(),
                            files.len()
                        );
                        rv = resource_version.clone();
                        relist = false;
                        on(Change::Relisted {
                            files,
                            resource_version,
                        });
                    }
                    _ => {
                        failures = failures.saturating_add(1);
                        tracing::info!(
                            "list {} again: {}; retrying in {:?}",
                            r.resource(),
                            status.problem().unwrap_or_default(),
                            backoff(failures)
                        );
                        continue;
                    }
                }
            }
            let started = Instant::now();
            let stream = match self.watch_events(r, &rv, timeout_secs).await {
                Ok(s) => s,
                Err(e) => {
                    failures = failures.saturating_add(1);
                    tracing::info!(
                        "watch {}: {e:?}; listing it again in {:?}",
                        r.resource(),
                        backoff(failures)
                    );
                    relist = true;
                    continue;
                }
            };
            futures::pin_mut!(stream);
            let mut events = 0usize;
            while let Some(ev) = stream.next().await {
                match ev {
                    Ok((change, object_rv)) => {
                        match &change {
                            Change::Bookmark { resource_version } => rv = resource_version.clone(),
                            _ => {
                                if let Some(v) = object_rv.filter(|v| !v.is_empty()) {
                                    rv = v;
                                }
                            }
                        }
                        events += 1;
                        failures = 0;
                        on(change);
                    }
                    Err(e) => {
                        failures = failures.saturating_add(1);
                        tracing::info!(
                            "watch {}: {e:?}; listing it again in {:?}",
                            r.resource(),
                            backoff(failures)
                        );
                        relist = true;
                        break;
                    }
                }
            }
            if !relist && events == 0 && started.elapsed() < Duration::from_secs(1) {
                // closed at once without a word: do not spin
                failures = failures.saturating_add(1);
                tokio::time::sleep(backoff(failures)).await;
            }
        }
    }

    /// Watch one kind from `resource_version` (a list's, or a bookmark's). The stream ends when
    /// the server closes it (after `timeout_secs`); resume from the last bookmark, or use
    /// [`Cluster::follow`], which also lists again when the watch cannot resume.
    pub async fn watch(
        &self,
        r: &Resolved,
        resource_version: &str,
        timeout_secs: u32,
    ) -> Result<impl Stream<Item = Result<Change, Failure>> + use<>, Failure> {
        let events = self.watch_events(r, resource_version, timeout_secs).await?;
        Ok(StreamExt::map(events, |ev| ev.map(|(c, _)| c)))
    }

    /// The changes of a watch, each with its object's resourceVersion.
    async fn watch_events(
        &self,
        r: &Resolved,
        resource_version: &str,
        timeout_secs: u32,
    ) -> Result<impl Stream<Item = Result<(Change, Option<String>), Failure>> + use<>, Failure>
    {
        let wp = WatchParams {
            label_selector: r.want.label_selector.map(str::to_string),
            timeout: Some(timeout_secs),
            bookmarks: true,
            ..Default::default()
        };
        let req = kube::core::Request::new(r.url_path());
        let req = if r.want.metadata_only {
            req.watch_metadata(&wp, resource_version)
        } else {
            req.watch(&wp, resource_version)
        }
        .map_err(|e| Failure::Other(e.to_string()))?;
        let events = match tokio::time::timeout(
            self.inner.opts.request_timeout,
            self.inner.client.request_events::<JsonNode>(req),
        )
        .await
        {
            Err(_) => return Err(Failure::Timeout),
            Ok(Err(e)) => return Err(error::classify(&e)),
            Ok(Ok(s)) => s,
        };
        let me = self.clone();
        let r = r.clone();
        Ok(StreamExt::map(
            events,
            move |ev: Result<WatchEvent<JsonNode>, kube::Error>| {
                let ev = ev.map_err(|e| error::classify(&e))?;
                let rv = |n: &crate::yaml::Node| {
                    n.path(&["metadata", "resourceVersion"])
                        .and_then(|v| v.as_str())
                        .map(str::to_string)
                };
                Ok(match ev {
                    WatchEvent::Added(JsonNode(n)) | WatchEvent::Modified(JsonNode(n)) => {
                        let v = rv(&n);
                        (Change::Applied(me.convert(&r, n, None)), v)
                    }
                    WatchEvent::Deleted(JsonNode(n)) => {
                        let v = rv(&n);
                        let fd = me.convert(&r, n, None);
                        (
                            Change::Deleted {
                                uri: fd.path.to_string(),
                            },
                            v,
                        )
                    }
                    WatchEvent::Bookmark(b) => (
                        Change::Bookmark {
                            resource_version: b.metadata.resource_version,
                        },
                        None,
                    ),
                    WatchEvent::Error(s) => return Err(Failure::Status(s.code, s.message.clone())),
                })
            },
        ))
    }
}

/// `DIR/<namespace>/<resource>.yaml`, `DIR/_cluster/<resource>.yaml` for cluster-scoped kinds.
fn write_dump(
    dir: &Path,
    r: &Resolved,
    docs: &BTreeMap<String, String>,
    context: &str,
) -> std::io::Result<()> {
    for (ns, text) in docs {
        let sub = if ns.is_empty() {
            "_cluster".to_string()
        } else {
            objects::encode_segment(ns)
        };
        let d = dir.join(sub);
        std::fs::create_dir_all(&d)?;
        let name = format!("{}.yaml", objects::encode_segment(&r.resource()));
        let header = format!(
            "# {} read from context \"{}\" by ambient-lsp migrate --dump-dir{}\n",
            r.resource(),
            context,
            if r.want.metadata_only {
                " (metadata only)"
            } else {
                ""
            }
        );
        // temporary file + rename (no half-written file under its final name); no fsync per
        // file: a dump has thousands of them, and it can simply be taken again
        let tmp = d.join(format!(".{name}.tmp-{}", std::process::id()));
        std::fs::write(&tmp, format!("{header}{text}"))?;
        std::fs::rename(&tmp, d.join(&name))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_thirty_seconds() {
        assert_eq!(backoff(0), Duration::ZERO);
        assert_eq!(backoff(1), Duration::from_millis(250));
        assert_eq!(backoff(3), Duration::from_secs(1));
        assert_eq!(backoff(8), Duration::from_secs(30));
        assert_eq!(backoff(u32::MAX), Duration::from_secs(30));
    }
}
