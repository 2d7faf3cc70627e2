//! Rule fixtures: a case is a folder `tests/fixtures/rules/<RULE-ID>/<case>/` holding the
//! manifests it analyses (every file but `case.yaml` and `*.snap`, read like the CLI reads
//! files) and `case.yaml`, which says what must hold:
//!
//! ```yaml
//! about: HTTP routing (a timeout) needs a waypoint   # what the case shows
//! control-plane: control-plane.yaml   # optional: add tests/fixtures/control-plane.yaml as this file
//! options: {waypoint-name: mesh-proxy, strict-waypoints: true}   # optional analysis options
//! fires: [W001, W020]                 # each fires at least once
//! silent: [W002]                      # none of these fires
//! expect:                             # optional: some finding of `rule` has all of these
//!   - rule: W001
//!     message-contains: [timeout]
//!     at: http                        # the text at its location
//! ```
//!
//! An `expect` entry may also say `count` (the number of findings of the rule), `message`,
//! `message-starts-with`, `message-lacks`, `at-starts-with`, `at-contains`, `severity`,
//! `blocking`, `details`, `details-contain`, `actions-contain`, `actions-lack` (substrings of
//! the actions as JSON, recommended objects included), `objects-at` (values at JSON pointers
//! into the list of the objects the finding's `apply` actions recommend; `null` where nothing
//! is), `objects-count-at` (lengths of the arrays there), `related-contain`, and, about every
//! finding of the rule, `none-message-contains` and `none-actions-contain`. A case may also say
//! `no-blocking: true` (no finding blocks), `namespaces: [a]` (their Namespace manifests are
//! read), `max-seconds: 5` and `max-file-size-kb: 1`.
//!
//! A case may also have a folder `cluster/`: the objects of a live cluster (context `fixture`,
//! every kind the cluster source reads served without a label selector), compared with the
//! manifests by the drift rules (`phases::drift`, DRIFT-*), whose findings join the case's.
//!
//! The findings of the rules the case names are kept as an insta snapshot (`findings.snap`)
//! beside it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ambient_lsp::analysis::Options;
use ambient_lsp::engine::Analysis;
use ambient_lsp::finding::Finding;
use ambient_lsp::index::{FileData, Index};
use ambient_lsp::sources::read_manifest;
use ambient_lsp::yaml::{Encoding, Limits};
use serde::Deserialize;

/// The folder of every rule's cases.
pub fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CaseOptions {
    pub waypoint_name: Option<String>,
    #[serde(default)]
    pub strict_waypoints: bool,
}

/// An expectation on the findings of one rule: some finding of it (of any variant) has every
/// property given.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Expect {
    pub rule: String,
    /// The number of findings of the rule.
    pub count: Option<usize>,
    pub message: Option<String>,
    #[serde(default)]
    pub message_contains: Vec<String>,
    #[serde(default)]
    pub message_lacks: Vec<String>,
    pub message_starts_with: Option<String>,
    /// The source text at the finding's location.
    pub at: Option<String>,
    pub at_starts_with: Option<String>,
    pub at_contains: Option<String>,
    /// `error`, `warning` or `info`.
    pub severity: Option<String>,
    pub blocking: Option<bool>,
    pub details: Option<Vec<String>>,
    #[serde(default)]
    pub details_contain: Vec<String>,
    /// Substrings of the finding's actions as JSON (recommended objects included).
    #[serde(default)]
    pub actions_contain: Vec<String>,
    #[serde(default)]
    pub actions_lack: Vec<String>,
    /// Values at JSON pointers into the list of the objects of the finding's `apply` actions
    /// (`/0/kind`); `null` where there is nothing.
    #[serde(default)]
    pub objects_at: std::collections::BTreeMap<String, serde_json::Value>,
    /// Lengths of the arrays at JSON pointers into that list (`""` is the list itself).
    #[serde(default)]
    pub objects_count_at: std::collections::BTreeMap<String, usize>,
    /// Substrings of the messages of the finding's related locations.
    #[serde(default)]
    pub related_contain: Vec<String>,
    /// No finding of the rule has a message containing any of these.
    #[serde(default)]
    pub none_message_contains: Vec<String>,
    /// No finding of the rule has actions (as JSON) containing any of these.
    #[serde(default)]
    pub none_actions_contain: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CaseFile {
    pub about: String,
    pub control_plane: Option<String>,
    #[serde(default)]
    pub options: CaseOptions,
    #[serde(default)]
    pub fires: Vec<String>,
    #[serde(default)]
    pub silent: Vec<String>,
    #[serde(default)]
    pub expect: Vec<Expect>,
    /// No finding of any rule blocks.
    #[serde(default)]
    pub no_blocking: bool,
    /// Namespaces whose Namespace manifest is read from the input.
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// The analysis takes less than this.
    pub max_seconds: Option<u64>,
    /// Files over this size are not read (`--max-file-size-kb`; default 1024).
    pub max_file_size_kb: Option<u64>,
}

/// A case, analysed.
pub struct Case {
    pub dir: PathBuf,
    /// `W001/http-routing`.
    pub name: String,
    /// The rule whose folder it is in.
    pub rule: String,
    pub spec: CaseFile,
    pub index: Index,
    pub analysis: Analysis,
    /// How long reading and analysing took.
    pub elapsed: std::time::Duration,
}

fn read_spec(dir: &Path) -> Result<CaseFile, String> {
    let path = dir.join("case.yaml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let stream = ambient_lsp::yaml::parse_stream(&text, &Limits::default());
    let doc = stream
        .docs
        .first()
        .and_then(|d| d.root.as_ref())
        .ok_or_else(|| format!("{}: empty", path.display()))?;
    serde_json::from_value(doc.to_json()).map_err(|e| format!("{}: {e}", path.display()))
}

/// The input files of a case: every file but `case.yaml` and snapshots, sorted.
pub fn input_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name != "case.yaml"
                && !name.starts_with('_')
                && !name.ends_with(".snap")
                && !name.ends_with(".snap.new")
        })
        .collect();
    files.sort();
    files
}

/// Load and analyse the case in `dir`.
pub fn load(dir: &Path) -> Result<Case, String> {
    let spec = read_spec(dir)?;
    let started = std::time::Instant::now();
    let mut index = Index::new();
    let limits = Limits::default();
    if let Some(name) = &spec.control_plane {
        let id = index.id_for(name);
        index.upsert(FileData::parse(
            id,
            name.as_str(),
            super::CONTROL_PLANE,
            &limits,
        ));
    }
    for p in input_files(dir) {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let id = index.id_for(&name);
        let max_kb = spec.max_file_size_kb.unwrap_or(1024);
        let fd = match read_manifest(&p, max_kb * 1024) {
            Ok(text) => FileData::parse(id, name, text, &limits),
            Err(e) => FileData::unreadable(id, name, e.rule(), e.message()),
        };
        index.upsert(fd);
    }
    let mut opts = Options::default();
    if let Some(n) = &spec.options.waypoint_name {
        opts.waypoint_name = n.clone();
    }
    opts.strict_waypoints = spec.options.strict_waypoints;
    let mut analysis = Analysis::run(&index, &opts);
    let cluster_dir = dir.join("cluster");
    if cluster_dir.is_dir() {
        let mut objects = Index::new();
        for p in input_files(&cluster_dir) {
            let uri = format!(
                "cluster://fixture/{}",
                p.file_name().unwrap().to_string_lossy()
            );
            let id = objects.id_for(&uri);
            let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            objects.upsert(FileData::parse(id, uri, text, &limits));
        }
        let read: BTreeSet<(String, String)> = ambient_lsp::cluster::kinds::WANTED
            .iter()
            .filter(|w| w.label_selector.is_none())
            .map(|w| (w.group.to_string(), w.kind.to_string()))
            .collect();
        let view = ambient_lsp::phases::drift::ClusterView {
            context: "fixture",
            namespace: "default",
            objects: &objects,
            read: &read,
        };
        analysis
            .global
            .extend(ambient_lsp::phases::drift::findings(&index, &view));
    }
    let elapsed = started.elapsed();
    let rule = dir
        .parent()
        .and_then(|p| p.file_name())
        .unwrap()
        .to_string_lossy()
        .to_string();
    let name = format!("{rule}/{}", dir.file_name().unwrap().to_string_lossy());
    Ok(Case {
        dir: dir.to_path_buf(),
        name,
        rule,
        spec,
        index,
        analysis,
        elapsed,
    })
}

/// The case `RULE/case` of `tests/fixtures/rules`.
pub fn case(name: &str) -> Case {
    load(&rules_dir().join(name)).unwrap_or_else(|e| panic!("{e}"))
}

/// Every case folder, sorted.
pub fn all_cases() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for rule in std::fs::read_dir(rules_dir()).unwrap().flatten() {
        if !rule.path().is_dir() {
            continue;
        }
        for case in std::fs::read_dir(rule.path()).unwrap().flatten() {
            if case.path().join("case.yaml").is_file() {
                out.push(case.path());
            }
        }
    }
    out.sort();
    out
}

impl Case {
    /// The findings of a rule (every variant), in report order.
    pub fn of(&self, rule: &str) -> Vec<&Finding> {
        let mut out: Vec<&Finding> = self
            .analysis
            .findings(&self.index)
            .into_iter()
            .filter(|f| f.rule.id == rule)
            .collect();
        out.sort_by_key(|f| {
            f.location.map(|l| {
                (
                    self.index.path(l.file).to_string(),
                    l.span.start,
                    l.span.end,
                )
            })
        });
        out
    }

    /// The source text at a finding's location.
    pub fn text_at(&self, f: &Finding) -> String {
        let Some(l) = f.location else {
            return String::new();
        };
        let file = self.index.file(l.file).unwrap();
        file.text[l.span.start as usize..l.span.end as usize].to_string()
    }

    /// `file:line:column` of a location.
    fn place(&self, l: ambient_lsp::finding::Location) -> String {
        let file = self.index.file(l.file).unwrap();
        let (line, col) = file
            .lines
            .position(&file.text, l.span.start as usize, Encoding::Chars);
        format!("{}:{}:{}", file.path, line + 1, col + 1)
    }

    /// The rules the case is about: its folder's, and those it expects to fire.
    pub fn rules(&self) -> BTreeSet<String> {
        let mut rules: BTreeSet<String> = self.spec.fires.iter().cloned().collect();
        rules.insert(self.rule.clone());
        rules.extend(self.spec.expect.iter().map(|e| e.rule.clone()));
        rules
    }

    /// The findings of the case's rules as the snapshot shows them.
    pub fn render(&self) -> String {
        let rules = self.rules();
        let mut list: Vec<&Finding> = self
            .analysis
            .findings(&self.index)
            .into_iter()
            .filter(|f| rules.contains(f.rule.id))
            .collect();
        list.sort_by(|a, b| {
            let key = |f: &Finding| {
                (
                    f.rule.position(),
                    f.location
                        .map(|l| (self.index.path(l.file).to_string(), l.span.start)),
                    f.message.clone(),
                )
            };
            key(a).cmp(&key(b))
        });
        let mut out = String::new();
        for f in list {
            self.render_one(f, &mut out);
        }
        if out.is_empty() {
            out.push_str("(no findings)\n");
        }
        out
    }

    fn render_one(&self, f: &Finding, out: &mut String) {
        use std::fmt::Write;
        let blocking = if f.blocking() { " blocking" } else { "" };
        let _ = write!(out, "{} {}{blocking}", f.rule.id, f.severity().as_str());
        if let Some(l) = f.location {
            let text = self.text_at(f);
            let first = text.lines().next().unwrap_or("");
            let shown: String = first.chars().take(60).collect();
            let _ = write!(out, " at {} `{shown}`", self.place(l));
        }
        out.push('\n');
        if let Some(r) = &f.resource {
            let _ = writeln!(out, "  resource: {}", r.display());
        }
        if let Some(ns) = &f.namespace {
            let _ = writeln!(out, "  namespace: {ns}");
        }
        let _ = writeln!(out, "  message: {}", f.message);
        for d in &f.details {
            let _ = writeln!(out, "  detail: {d}");
        }
        for r in &f.related {
            let _ = writeln!(out, "  related: {} {}", self.place(r.location), r.message);
        }
        for a in &f.actions {
            let _ = writeln!(out, "  action: {}", serde_json::to_string(a).unwrap());
        }
        if f.summarized {
            let _ = writeln!(out, "  summarized: true");
        }
    }

    /// What does not hold of `case.yaml`, one line each.
    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let known = |id: &str| ambient_lsp::rules::by_id(id).is_some();
        for r in self.spec.fires.iter().chain(&self.spec.silent) {
            if !known(r) {
                problems.push(format!("unknown rule {r}"));
            }
        }
        for r in &self.spec.fires {
            if self.of(r).is_empty() {
                problems.push(format!("expected {r} to fire"));
            }
        }
        for r in &self.spec.silent {
            for f in self.of(r) {
                problems.push(format!("expected no {r}; got: {}", f.message));
            }
        }
        for e in &self.spec.expect {
            problems.extend(self.check_expect(e));
        }
        if self.spec.no_blocking {
            for f in self.analysis.findings(&self.index) {
                if f.blocking() {
                    problems.push(format!("{} blocks: {}", f.rule.id, f.message));
                }
            }
        }
        for ns in &self.spec.namespaces {
            if self.index.namespace_object(ns).is_none() {
                problems.push(format!("Namespace {ns} was not read"));
            }
        }
        if let Some(max) = self.spec.max_seconds {
            if self.elapsed.as_secs() >= max {
                problems.push(format!("took {:?}, over {max}s", self.elapsed));
            }
        }
        problems
    }

    fn check_expect(&self, e: &Expect) -> Vec<String> {
        let found = self.of(&e.rule);
        let mut problems = Vec::new();
        for f in &found {
            let actions = serde_json::to_string(&f.actions).unwrap();
            for s in &e.none_message_contains {
                if f.message.contains(s) {
                    problems.push(format!("{}: message contains {s:?}: {}", e.rule, f.message));
                }
            }
            for s in &e.none_actions_contain {
                if actions.contains(s) {
                    problems.push(format!("{}: actions contain {s:?}: {actions}", e.rule));
                }
            }
        }
        if let Some(n) = e.count {
            if found.len() != n {
                problems.push(format!(
                    "{}: {} findings, expected {n}",
                    e.rule,
                    found.len()
                ));
            }
        }
        let props_given = e.message.is_some()
            || !e.message_contains.is_empty()
            || !e.message_lacks.is_empty()
            || e.message_starts_with.is_some()
            || e.at.is_some()
            || e.at_starts_with.is_some()
            || e.at_contains.is_some()
            || e.severity.is_some()
            || e.blocking.is_some()
            || e.details.is_some()
            || !e.details_contain.is_empty()
            || !e.actions_contain.is_empty()
            || !e.actions_lack.is_empty()
            || !e.objects_at.is_empty()
            || !e.objects_count_at.is_empty()
            || !e.related_contain.is_empty();
        if props_given && !found.iter().any(|f| self.matches(f, e)) {
            problems.push(format!(
                "no finding of {} matches {e:?}; found:\n{}",
                e.rule,
                found
                    .iter()
                    .map(|f| {
                        let mut s = String::new();
                        self.render_one(f, &mut s);
                        s
                    })
                    .collect::<String>()
            ));
        }
        problems
    }

    fn matches(&self, f: &Finding, e: &Expect) -> bool {
        let actions = serde_json::to_string(&f.actions).unwrap();
        let objects = serde_json::Value::Array(
            f.actions
                .iter()
                .filter_map(|a| match a {
                    ambient_lsp::finding::Action::Apply { resource, .. } => Some(resource.value()),
                    _ => None,
                })
                .collect(),
        );
        let null = serde_json::Value::Null;
        let objects_ok = e
            .objects_at
            .iter()
            .all(|(p, v)| objects.pointer(p).unwrap_or(&null) == v)
            && e.objects_count_at.iter().all(|(p, n)| {
                objects
                    .pointer(p)
                    .and_then(|v| v.as_array())
                    .is_some_and(|a| a.len() == *n)
            });
        let at = self.text_at(f);
        e.message.as_ref().is_none_or(|m| f.message == *m)
            && e.message_contains.iter().all(|s| f.message.contains(s))
            && e.message_lacks.iter().all(|s| !f.message.contains(s))
            && e.message_starts_with
                .as_ref()
                .is_none_or(|s| f.message.starts_with(s))
            && e.at.as_ref().is_none_or(|s| at == *s)
            && e.at_starts_with.as_ref().is_none_or(|s| at.starts_with(s))
            && e.at_contains.as_ref().is_none_or(|s| at.contains(s))
            && e.severity
                .as_ref()
                .is_none_or(|s| f.severity().as_str() == s)
            && e.blocking.is_none_or(|b| f.blocking() == b)
            && e.details.as_ref().is_none_or(|d| f.details == *d)
            && e.details_contain
                .iter()
                .all(|s| f.details.iter().any(|d| d.contains(s)))
            && e.actions_contain.iter().all(|s| actions.contains(s))
            && e.actions_lack.iter().all(|s| !actions.contains(s))
            && objects_ok
            && e.related_contain
                .iter()
                .all(|s| f.related.iter().any(|r| r.message.contains(s)))
    }
}
