// Shared by every test binary of this folder; each uses a part of it, so unused items in one
// binary are expected (the test-support idiom).
#![allow(dead_code)]
pub mod commands_check;
pub mod fixture;
use std::path::PathBuf;

pub mod report_check;

/// The shared corpus of real manifests (`../shared/corpus` beside the checkout). Override with
/// `AMBIENT_CORPUS`. Tests that need it fail with a clear message when it is missing.
pub fn corpus() -> PathBuf {
    if let Ok(p) = std::env::var("AMBIENT_CORPUS") {
        return PathBuf::from(p);
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    assert!(
        p.is_dir(),
        "corpus not found at {} (set AMBIENT_CORPUS to ../shared/corpus)",
        p.display()
    );
    p.canonicalize().unwrap()
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

use ambient_lsp::analysis::Options;
use ambient_lsp::engine::Analysis;
use ambient_lsp::finding::Finding;
use ambient_lsp::index::{FileData, Index};
use ambient_lsp::yaml::Limits;

pub const CONTROL_PLANE: &str = include_str!("../fixtures/control-plane.yaml");

/// An analysed set of files.
pub struct Run {
    pub index: Index,
    pub analysis: Analysis,
}

impl Run {
    pub fn new(files: &[(&str, &str)]) -> Run {
        Run::with(files, Options::default())
    }

    pub fn with(files: &[(&str, &str)], opts: Options) -> Run {
        record_scenario(files);
        let mut index = Index::new();
        for (path, text) in files {
            let id = index.id_for(path);
            index.upsert(FileData::parse(id, *path, *text, &Limits::default()));
        }
        let analysis = Analysis::run(&index, &opts);
        let run = Run { index, analysis };
        report_check::check(&run);
        run
    }

    pub fn from_index(index: Index) -> Run {
        let analysis = Analysis::run(&index, &Options::default());
        let run = Run { index, analysis };
        report_check::check(&run);
        run
    }

    /// The control plane fixture plus one file of application manifests.
    pub fn app(yaml: &str) -> Run {
        Run::new(&[("control-plane.yaml", CONTROL_PLANE), ("app.yaml", yaml)])
    }

    pub fn findings(&self) -> Vec<&Finding> {
        self.analysis.findings(&self.index)
    }

    pub fn of(&self, rule: &str) -> Vec<&Finding> {
        self.findings()
            .into_iter()
            .filter(|f| f.rule.id == rule)
            .collect()
    }

    /// The text at a finding's location.
    pub fn text_at(&self, f: &Finding) -> String {
        let l = f.location.expect("finding has a location");
        let file = self.index.file(l.file).unwrap();
        file.text[l.span.start as usize..l.span.end as usize].to_string()
    }

    /// Objects recommended by a rule (apply / deploy-waypoint actions).
    pub fn objects(&self, rule: &str) -> Vec<serde_json::Value> {
        use ambient_lsp::finding::Action;
        let mut out = Vec::new();
        for f in self.of(rule) {
            for a in &f.actions {
                match a {
                    Action::Apply { resource, .. } | Action::DeployWaypoint { resource, .. } => {
                        out.push(resource.value())
                    }
                    _ => {}
                }
            }
        }
        out
    }

    pub fn dump(&self) -> String {
        self.findings()
            .iter()
            .map(|f| format!("{} {}", f.rule.id, f.message))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The rule fires (at least once); returns its findings.
#[track_caller]
pub fn assert_fires<'a>(run: &'a Run, rule: &str) -> Vec<&'a Finding> {
    let fs = run.of(rule);
    assert!(
        !fs.is_empty(),
        "expected {rule} to fire; findings:\n{}",
        run.dump()
    );
    fs
}

/// The rule does not fire.
#[track_caller]
pub fn assert_not_fires(run: &Run, rule: &str) {
    let fs = run.of(rule);
    assert!(
        fs.is_empty(),
        "expected no {rule}; got:\n{}",
        fs.iter()
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// With `AMBIENT_RECORD_SCENARIOS=DIR`, every run whose files include a control plane (an
/// istiod) is written to `DIR/<hash>/`, for the cluster differential test
/// (`tests/cluster_diff.rs`), which serves each one from the test API server and compares.
fn record_scenario(files: &[(&str, &str)]) {
    let Some(dir) = std::env::var_os("AMBIENT_RECORD_SCENARIOS") else {
        return;
    };
    if !files.iter().any(|(_, t)| t.contains("name: istiod")) {
        return;
    }
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    files.hash(&mut h);
    let d = PathBuf::from(dir).join(format!("{:016x}", h.finish()));
    let _ = std::fs::create_dir_all(&d);
    for (i, (path, text)) in files.iter().enumerate() {
        let name: String = path
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let ext = if ambient_lsp::sources::is_manifest(std::path::Path::new(&name)) {
            ""
        } else {
            ".yaml"
        };
        let _ = std::fs::write(d.join(format!("{i:02}-{name}{ext}")), text);
    }
}
