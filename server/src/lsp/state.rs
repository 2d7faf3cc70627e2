//! The server's state, in one place, with one owner for each part:
//!
//! - `client`: what the client told us — its capabilities, the position encoding, the settings,
//!   the workspace folders and the text of its open documents. Changed only by the protocol
//!   handlers, under one lock held for a moment. Text is synced in full only: a change replaces
//!   the document when its version is newer, so changes applied out of order cannot corrupt it.
//! - `session`: the index and its analysis, written only by the analysis worker (one thread),
//!   read by the request handlers.
//! - `progress`: how far the worker has got (a generation counter, whether the workspace is
//!   indexed); requests wait on it until the analysis covers their document.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::Deserialize;

use crate::analysis::Options;
use crate::engine::Session;
use crate::finding::Phase;
use crate::yaml::Encoding;

/// An open document: the client's text at its latest version.
#[derive(Clone, Debug)]
pub struct OpenDoc {
    pub version: i32,
    pub text: Arc<str>,
    /// The version the current analysis is based on.
    pub analysed: Option<i32>,
}

/// Settings of section `ambient` (contract §3).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Phases whose findings are shown (all when absent).
    pub phases: Option<Vec<String>>,
    pub cluster: ClusterSettings,
    pub max_file_size_kb: u64,
    pub waypoint_name: String,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ClusterSettings {
    pub enabled: bool,
    pub context: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            phases: None,
            cluster: ClusterSettings::default(),
            max_file_size_kb: crate::sources::DEFAULT_MAX_FILE_SIZE_KB,
            waypoint_name: "waypoint".to_string(),
        }
    }
}

impl Settings {
    /// Read from a `workspace/configuration` answer or `didChangeConfiguration` payload (either
    /// the section itself or an object holding `ambient`). Unknown or wrong fields keep their
    /// defaults.
    pub fn from_json(v: &serde_json::Value) -> Settings {
        let v = v.get("ambient").unwrap_or(v);
        if v.is_null() {
            return Settings::default();
        }
        let mut s: Settings = match serde_json::from_value(v.clone()) {
            Ok(s) => s,
            // one wrong field must not cost the others: read them one by one
            Err(_) => Settings::field_by_field(v),
        };
        if let Some(why) = crate::analysis::waypoint_name_error(&s.waypoint_name) {
            let default = Settings::default().waypoint_name;
            tracing::warn!("setting ambient.waypointName: {why}; using {default:?}");
            s.waypoint_name = default;
        }
        // an empty context (VS Code's default "") is the kubeconfig's current context
        if s.cluster
            .context
            .as_deref()
            .is_some_and(|c| c.trim().is_empty())
        {
            s.cluster.context = None;
        }
        if let Some(list) = &mut s.phases {
            list.retain(|p| {
                let known = Phase::from_id(p).is_some();
                if !known {
                    tracing::warn!(
                        "setting ambient.phases: {p} is not a phase (one of {}); ignored",
                        Phase::ALL.map(|p| p.id()).join(", ")
                    );
                }
                known
            });
        }
        if s.max_file_size_kb == 0 {
            s.max_file_size_kb = Settings::default().max_file_size_kb;
        }
        s
    }

    /// Each field that has the right type, the default for the others (each wrong one
    /// logged as a warning, which the client shows in its log).
    fn field_by_field(v: &serde_json::Value) -> Settings {
        // `name` is the setting's full name under `ambient.` (for the log)
        fn field<T: serde::de::DeserializeOwned>(
            v: &serde_json::Value,
            key: &str,
            name: &str,
            into: &mut T,
        ) {
            let Some(x) = v.get(key) else { return };
            match serde_json::from_value::<T>(x.clone()) {
                Ok(t) => *into = t,
                Err(e) => tracing::warn!("setting ambient.{name}: {e}; using the default"),
            }
        }
        let mut s = Settings::default();
        if !v.is_object() {
            tracing::warn!("ambient settings must be an object, not {v}; using the defaults");
            return s;
        }
        match v.get("phases") {
            // one bad element costs that element only (dropped by `from_json`'s check)
            Some(serde_json::Value::Array(items)) => {
                s.phases = Some(
                    items
                        .iter()
                        .map(|x| {
                            x.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| x.to_string())
                        })
                        .collect(),
                )
            }
            _ => field(v, "phases", "phases", &mut s.phases),
        }
        match v.get("maxFileSizeKb") {
            // a JSON number written as a float (2048.0, what some clients send) that is whole
            Some(x)
                if x.as_f64()
                    .is_some_and(|f| f >= 0.0 && f.fract() == 0.0 && f <= u64::MAX as f64) =>
            {
                s.max_file_size_kb = x.as_f64().unwrap_or_default() as u64
            }
            _ => field(v, "maxFileSizeKb", "maxFileSizeKb", &mut s.max_file_size_kb),
        }
        field(v, "waypointName", "waypointName", &mut s.waypoint_name);
        if let Some(c) = v.get("cluster") {
            if c.is_object() {
                field(c, "enabled", "cluster.enabled", &mut s.cluster.enabled);
                field(c, "context", "cluster.context", &mut s.cluster.context);
            } else {
                tracing::warn!("setting ambient.cluster must be an object; using the default");
            }
        }
        s
    }

    pub fn phase_enabled(&self, p: Phase) -> bool {
        match &self.phases {
            None => true,
            Some(list) => p == Phase::Input || list.iter().any(|x| x == p.id()),
        }
    }

    pub fn options(&self) -> Options {
        Options {
            waypoint_name: self.waypoint_name.clone(),
            ..Default::default()
        }
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_file_size_kb.saturating_mul(1024)
    }
}

/// What the client can do.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientCaps {
    /// `workspace/configuration`.
    pub configuration: bool,
    /// Dynamic registration of file watchers.
    pub watch_dynamic: bool,
    /// `window/workDoneProgress`.
    pub progress: bool,
    pub edits: ClientEdits,
    /// `textDocument.codeAction.disabledSupport`: code actions may be sent disabled, with why.
    pub disabled_actions: bool,
}

/// What edits the client can apply.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientEdits {
    pub document_changes: bool,
    pub create_files: bool,
}

/// What the client told us.
#[derive(Default)]
pub struct ClientState {
    pub caps: ClientCaps,
    pub encoding: Encoding,
    pub settings: Settings,
    /// Workspace folders.
    pub roots: Vec<PathBuf>,
    /// Open documents by index key (file path, or the URI for non-file documents).
    pub docs: HashMap<String, OpenDoc>,
    /// The URI the client itself used for an index key (its case, `+`, percent-encoding, UNC
    /// host): diagnostics are published under it, unchanged.
    pub uris: HashMap<String, tower_lsp_server::ls_types::Uri>,
}

impl ClientState {
    /// The URI of index key `key` as the client spells it: the URI it used for that file, else
    /// (a file it has not named yet: a file a fix creates, a definition's target) its spelling
    /// of a file in the same folder with this file's name (its host, case and escapes kept),
    /// else the URI built from the path.
    pub fn uri_for(&self, key: &str) -> Option<tower_lsp_server::ls_types::Uri> {
        if let Some(u) = self.uris.get(key) {
            return Some(u.clone());
        }
        let path = std::path::Path::new(key);
        if let (Some(dir), Some(_)) = (path.parent(), path.file_name()) {
            let sibling = self
                .uris
                .iter()
                .filter(|(k, _)| std::path::Path::new(k.as_str()).parent() == Some(dir))
                .min_by(|a, b| a.0.cmp(b.0));
            if let Some((_, u)) = sibling {
                let s = u.as_str();
                if let Some(slash) = s.rfind('/') {
                    let built = super::convert::key_to_uri(key)?;
                    // the escaped name, as the path-built URI spells it
                    let escaped = built.as_str().rsplit('/').next().unwrap_or_default();
                    let candidate = format!("{}/{escaped}", &s[..slash]);
                    if let Ok(u) = candidate.parse::<tower_lsp_server::ls_types::Uri>() {
                        // only when it names the same file
                        if super::convert::uri_to_key(&u).as_str() == key {
                            return Some(u);
                        }
                    }
                }
            }
        }
        super::convert::key_to_uri(key)
    }

    /// Whether the analysis has caught up with the open document `key`.
    pub fn is_current(&self, key: &str) -> bool {
        self.docs
            .get(key)
            .is_none_or(|d| d.analysed.is_some_and(|v| v >= d.version))
    }

    /// Whether `path` is under a workspace folder (any path when there is none).
    pub fn in_workspace(&self, path: &str) -> bool {
        self.roots.is_empty()
            || self
                .roots
                .iter()
                .any(|r| std::path::Path::new(path).starts_with(r))
    }

    /// The innermost workspace folder holding `path`.
    pub fn root_of(&self, path: &std::path::Path) -> Option<PathBuf> {
        self.roots
            .iter()
            .filter(|r| path.starts_with(r))
            .max_by_key(|r| r.components().count())
            .cloned()
    }

    /// Whether the workspace walk leaves `path` out (`.gitignore`, `.git`, `node_modules`).
    pub fn ignores(&self, path: &std::path::Path, is_dir: bool) -> bool {
        self.root_of(path)
            .is_some_and(|r| crate::sources::is_ignored(&r, path, is_dir))
    }
}

/// How far the analysis worker has got.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bumped after every batch the worker applied.
    pub generation: u64,
    /// The workspace folders have been read.
    pub indexed: bool,
    /// Readings of the workspace started and not yet applied (folders added or removed, a new
    /// size limit): requests that depend on the whole index wait for them.
    pub pending: u32,
}

impl Progress {
    /// The index holds every workspace folder the client told us about.
    pub fn settled(&self) -> bool {
        self.indexed && self.pending == 0
    }
}

/// A reading of the workspace in progress ([`ServerState::begin_indexing`]); counted as done
/// when dropped (finished, cancelled or failed).
pub struct Indexing(Arc<ServerState>);

impl Drop for Indexing {
    fn drop(&mut self) {
        self.0
            .progress
            .send_modify(|p| p.pending = p.pending.saturating_sub(1));
    }
}

pub struct ServerState {
    client: Mutex<ClientState>,
    session: RwLock<Session>,
    progress: tokio::sync::watch::Sender<Progress>,
    /// The live cluster (`ambient.cluster.*`) and the drift findings against it.
    pub cluster: super::cluster::ClusterStore,
    /// Safe-fix verdicts of the current analysis generation (`lsp::safety`).
    pub verdicts: super::safety::SharedVerdicts,
}

impl ServerState {
    pub fn new() -> ServerState {
        ServerState {
            client: Mutex::new(ClientState::default()),
            session: RwLock::new(Session::new(Default::default())),
            progress: tokio::sync::watch::channel(Progress::default()).0,
            cluster: Default::default(),
            verdicts: Default::default(),
        }
    }

    /// The client state (a poisoned lock is still usable: a handler panicked, the data is
    /// whole).
    pub fn client(&self) -> MutexGuard<'_, ClientState> {
        self.client
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn session(&self) -> RwLockReadGuard<'_, Session> {
        self.session
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// For the analysis worker only.
    pub fn session_mut(&self) -> RwLockWriteGuard<'_, Session> {
        self.session
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn progress(&self) -> Progress {
        *self.progress.borrow()
    }

    pub fn watch_progress(&self) -> tokio::sync::watch::Receiver<Progress> {
        self.progress.subscribe()
    }

    /// For the analysis worker only: a batch was applied.
    pub fn analysed(&self) {
        self.progress.send_modify(|p| p.generation += 1);
    }

    /// A reading of the workspace starts (call it in the synchronous part of the notification
    /// that asks for it, so a request that follows the notification waits for it).
    pub fn begin_indexing(self: &Arc<Self>) -> Indexing {
        self.progress.send_modify(|p| p.pending += 1);
        Indexing(self.clone())
    }

    /// The workspace has been read.
    pub fn indexed(&self) {
        self.progress.send_modify(|p| p.indexed = true);
    }
}

impl Default for ServerState {
    fn default() -> Self {
        ServerState::new()
    }
}

#[cfg(test)]
mod tests {
    use super::Settings;

    #[test]
    fn an_invalid_waypoint_name_falls_back_to_the_default() {
        for bad in [
            "Bad_Name!",
            "",
            "  ",
            "-waypoint",
            "Waypoint",
            &"w".repeat(64),
        ] {
            let s = Settings::from_json(&serde_json::json!({ "ambient": { "waypointName": bad } }));
            assert_eq!(s.waypoint_name, "waypoint", "{bad:?}");
        }
        let s = Settings::from_json(&serde_json::json!({ "waypointName": "mesh-gw-1" }));
        assert_eq!(s.waypoint_name, "mesh-gw-1");
    }

    #[test]
    fn a_wrong_field_keeps_the_others() {
        let s = Settings::from_json(&serde_json::json!({ "ambient": {
            "maxFileSizeKb": "lots",
            "waypointName": "mesh-gw",
            "phases": ["pre-reqs"],
            "cluster": {"enabled": "yes", "context": "kind-a"},
        }}));
        assert_eq!(s.max_file_size_kb, crate::sources::DEFAULT_MAX_FILE_SIZE_KB);
        assert_eq!(s.waypoint_name, "mesh-gw");
        assert_eq!(s.phases, Some(vec!["pre-reqs".to_string()]));
        assert!(!s.cluster.enabled);
        assert_eq!(s.cluster.context.as_deref(), Some("kind-a"));
        let s = Settings::from_json(&serde_json::json!({ "phases": 3, "maxFileSizeKb": 64 }));
        assert_eq!((s.phases, s.max_file_size_kb), (None, 64));
        // a whole float is a number of KB; a bad phase costs that element only
        let s = Settings::from_json(&serde_json::json!({
            "maxFileSizeKb": 2048.0,
            "phases": ["pre-reqs", 3, "no-such-phase", "use-waypoints"],
        }));
        assert_eq!(s.max_file_size_kb, 2048);
        assert_eq!(
            s.phases,
            Some(vec!["pre-reqs".to_string(), "use-waypoints".to_string()])
        );
        for bad in [serde_json::json!(2048.5), serde_json::json!(-1.0)] {
            let s = Settings::from_json(&serde_json::json!({ "maxFileSizeKb": bad }));
            assert_eq!(s.max_file_size_kb, crate::sources::DEFAULT_MAX_FILE_SIZE_KB);
        }
    }
}
