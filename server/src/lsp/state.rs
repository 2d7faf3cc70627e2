//! State shared by the protocol handlers and the analysis worker.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use dashmap::DashMap;
use serde::Deserialize;

use crate::engine::Session;
use crate::finding::Phase;
use crate::yaml::Encoding;

/// An open document: the client's text at its latest version.
#[derive(Clone, Debug)]
pub struct OpenDoc {
    pub version: i32,
    pub text: Arc<str>,
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
            max_file_size_kb: 1024,
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
        let mut s: Settings = serde_json::from_value(v.clone()).unwrap_or_else(|e| {
            tracing::warn!("ignoring invalid ambient settings: {e}");
            Settings::default()
        });
        if s.waypoint_name.trim().is_empty() {
            s.waypoint_name = "waypoint".to_string();
        }
        if s.max_file_size_kb == 0 {
            s.max_file_size_kb = Settings::default().max_file_size_kb;
        }
        s
    }

    pub fn phase_enabled(&self, p: Phase) -> bool {
        match &self.phases {
            None => true,
            Some(list) => p == Phase::Input || list.iter().any(|x| x == p.id()),
        }
    }

    pub fn options(&self) -> crate::analysis::Options {
        crate::analysis::Options {
            waypoint_name: self.waypoint_name.clone(),
            ..Default::default()
        }
    }
}

pub struct Shared {
    /// Open documents by index key (file path, or the URI for non-file documents).
    pub docs: DashMap<String, OpenDoc>,
    /// The index and its analysis. The worker holds the write lock only while applying a batch.
    pub session: RwLock<Session>,
    /// The version of each open document the current analysis is based on.
    pub analysed: Mutex<HashMap<String, i32>>,
    /// Bumped after every analysis batch; requests wait on it to see their version analysed.
    pub generation: tokio::sync::watch::Sender<u64>,
    encoding: AtomicU8,
    pub settings: RwLock<Settings>,
    pub roots: RwLock<Vec<PathBuf>>,
    /// Set once the workspace has been indexed.
    pub indexed: tokio::sync::watch::Sender<bool>,
}

impl Shared {
    pub fn new() -> Shared {
        Shared {
            docs: DashMap::new(),
            session: RwLock::new(Session::new(Default::default())),
            analysed: Mutex::new(HashMap::new()),
            generation: tokio::sync::watch::channel(0).0,
            encoding: AtomicU8::new(0),
            settings: RwLock::new(Settings::default()),
            roots: RwLock::new(Vec::new()),
            indexed: tokio::sync::watch::channel(false).0,
        }
    }

    pub fn encoding(&self) -> Encoding {
        match self.encoding.load(Ordering::Relaxed) {
            1 => Encoding::Utf8,
            _ => Encoding::Utf16,
        }
    }

    pub fn set_encoding(&self, e: Encoding) {
        self.encoding
            .store(if e == Encoding::Utf8 { 1 } else { 0 }, Ordering::Relaxed);
    }

    pub fn settings(&self) -> Settings {
        self.settings
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Whether the analysis has caught up with the open document `key`.
    pub fn is_current(&self, key: &str) -> bool {
        match self.docs.get(key) {
            None => true,
            Some(d) => self
                .analysed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(key)
                .is_some_and(|v| *v >= d.version),
        }
    }
}

impl Default for Shared {
    fn default() -> Self {
        Shared::new()
    }
}
