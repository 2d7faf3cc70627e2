//! SARIF 2.1.0 for code-scanning tools, shaped for GitHub code scanning:
//! - artifact URIs relative to the source root (`uriBaseId: "%SRCROOT%"`, declared in
//!   `originalUriBaseIds`), percent-encoded; columns in UTF-16 code units (`columnKind`);
//! - every result located (see `place`), with `relatedLocations` and `partialFingerprints`
//!   from the rule and the resource identity (see `identity`); no duplicate results;
//! - rules with `name`, `fullDescription`, `help` (from `docs/rules.md`), tags, `precision`,
//!   `problem.severity` and `security-severity` (see `rule_meta`);
//! - at most `max_results` results per run: above that, repetitive findings are grouped (one
//!   result per rule and namespace, then per rule, lower severities first) and the run's
//!   `properties.grouping` says what was grouped. Results are ordered most severe first, so
//!   that a tool that keeps only the first N keeps the useful ones.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{json, Map, Value};

use super::place::{Placement, Placer};
use super::uri::FileUri;
use super::{identity, rule_meta, Report};
use crate::finding::{Finding, Location, Severity};
use crate::model::FileId;
use crate::rules::{self, ApplyFile, Rule};
use crate::yaml::Encoding;

/// GitHub code scanning shows at most 5,000 results of a run (and rejects runs of more than
/// 25,000): the default budget.
pub const DEFAULT_MAX_RESULTS: usize = 5000;
/// Related locations kept on one result (GitHub's limit is 1,000).
pub const MAX_RELATED: usize = 1000;
/// The key of our fingerprints in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "ambientFinding/v1";

#[derive(Clone, Debug)]
pub struct SarifOptions {
    /// `file:` URI (ending in `/`) of the source root, declared as `%SRCROOT%`.
    pub root_uri: Option<String>,
    /// URIs of the report's files. A file not listed is named by its display path.
    pub uris: HashMap<FileId, FileUri>,
    /// Results per run; above this, findings are grouped.
    pub max_results: usize,
}

impl Default for SarifOptions {
    fn default() -> Self {
        SarifOptions {
            root_uri: None,
            uris: HashMap::new(),
            max_results: DEFAULT_MAX_RESULTS,
        }
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn sev_rank(s: Severity) -> u8 {
    match s {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    }
}

fn rule_json(r: &Rule) -> Value {
    let md = rule_meta::doc_section(r.id).unwrap_or(r.title);
    let mut props = Map::new();
    props.insert("tags".into(), json!(rule_meta::tags(r)));
    props.insert("precision".into(), json!(r.precision.as_str()));
    props.insert(
        "problem.severity".into(),
        json!(rule_meta::problem_severity(r.severity)),
    );
    if let Some(s) = &r.security {
        props.insert("security-severity".into(), json!(s.severity));
    }
    props.insert("phase".into(), json!(r.phase().id()));
    props.insert("check".into(), json!(r.check.id));
    props.insert("blocking".into(), json!(r.blocking));
    json!({
        "id": r.id,
        "name": rule_meta::name(r),
        "shortDescription": {"text": r.title},
        "fullDescription": {"text": rule_meta::full_description(r)},
        "help": {"text": rule_meta::plain(md), "markdown": md},
        "helpUri": r.docs_url(),
        "defaultConfiguration": {"level": level(r.severity)},
        "properties": Value::Object(props),
    })
}

/// A 1-based region in UTF-16 code units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Region {
    sl: u32,
    sc: u32,
    el: u32,
    ec: u32,
}

/// One finding, placed and named.
struct Item<'a> {
    f: &'a Finding,
    file: FileId,
    region: Region,
    placement: Placement,
    /// Namespace key for grouping (`""` for cluster-level and input findings).
    ns: &'a str,
    fingerprint: String,
}

/// One result of the run: a finding, or a group of findings of one rule.
enum Out {
    Single(usize),
    Group {
        rule: &'static Rule,
        namespace: Option<String>,
        members: Vec<usize>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    None,
    Namespace,
    Rule,
}

/// The run, computed before anything is written.
struct Plan<'r, 'a> {
    report: &'r Report<'a>,
    opts: &'r SarifOptions,
    items: Vec<Item<'a>>,
    outs: Vec<Out>,
    /// The rules the results use (registry positions), and each rule's position in the run.
    rules: Vec<usize>,
    rule_index: HashMap<&'static str, usize>,
    properties: Value,
}

impl<'r, 'a> Plan<'r, 'a> {
    fn uri(&self, file: FileId) -> FileUri {
        if let Some(u) = self.opts.uris.get(&file) {
            return u.clone();
        }
        let p = self.report.index.path(file);
        if super::is_cluster_path(p) {
            return FileUri::Absolute(p.to_string());
        }
        let path = std::path::Path::new(p);
        if path.is_absolute() {
            FileUri::Absolute(super::uri::file_uri(path, false))
        } else {
            FileUri::Relative(super::uri::encode_relative(path))
        }
    }

    fn artifact(&self, file: FileId) -> Value {
        match self.uri(file) {
            FileUri::Relative(u) if self.opts.root_uri.is_some() => {
                json!({"uri": u, "uriBaseId": "%SRCROOT%"})
            }
            FileUri::Relative(u) | FileUri::Absolute(u) => json!({"uri": u}),
        }
    }

    fn physical(&self, file: FileId, r: Region) -> Value {
        if super::is_cluster_path(self.report.index.path(file)) {
            // an object of a live cluster: no text, no region
            return json!({"artifactLocation": self.artifact(file)});
        }
        json!({
            "artifactLocation": self.artifact(file),
            "region": {"startLine": r.sl, "startColumn": r.sc, "endLine": r.el, "endColumn": r.ec},
        })
    }
}

fn region(report: &Report, l: Location) -> Region {
    let Some(file) = report.index.file(l.file) else {
        return Region {
            sl: 1,
            sc: 1,
            el: 1,
            ec: 1,
        };
    };
    let len = file.text.len();
    let (sl, sc) = file.lines.position(
        &file.text,
        (l.span.start as usize).min(len),
        Encoding::Utf16,
    );
    let (el, ec) = file
        .lines
        .position(&file.text, (l.span.end as usize).min(len), Encoding::Utf16);
    Region {
        sl: sl + 1,
        sc: sc + 1,
        el: el + 1,
        ec: ec + 1,
    }
}

/// A plain-text SARIF message: `[` and `]` escaped (SARIF 2.1.0 §3.11.6), so that text from
/// the manifests (`claims[see](1)`) is never rendered as an embedded link.
fn plain_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '[' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn message_of(f: &Finding, placement: Placement) -> String {
    let mut m = f.message.clone();
    if !f.details.is_empty() {
        m.push(' ');
        m.push_str(&f.details.join("; "));
    }
    if let Some(n) = placement.note(f) {
        m.push(' ');
        m.push_str(&n);
    }
    m
}

fn plan<'r, 'a>(report: &'r Report<'a>, opts: &'r SarifOptions) -> Plan<'r, 'a> {
    let mut plan = Plan {
        report,
        opts,
        items: Vec::new(),
        outs: Vec::new(),
        rules: Vec::new(),
        rule_index: HashMap::new(),
        properties: Value::Null,
    };
    let (duplicates, unplaced) = place(&mut plan);
    let max = opts.max_results.max(1);
    let mut by_rule: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, it) in plan.items.iter().enumerate() {
        by_rule.entry(it.f.rule.position()).or_default().push(i);
    }
    let levels = grouping_levels(&by_rule, &plan.items, max);
    let grouped = results(&mut plan, &by_rule, &levels);
    let truncated = order_and_truncate(&mut plan, max);
    index_rules(&mut plan);
    let findings = plan.items.len() + duplicates + unplaced;
    plan.properties = json!({
        "grouping": {
            "maxResults": max,
            "findings": findings,
            "results": plan.outs.len(),
            "duplicatesRemoved": duplicates,
            "grouped": grouped,
            "truncated": truncated,
            "unlocated": unplaced,
        }
    });
    plan
}

/// The innermost object of the file whose document contains `l`.
fn enclosing<'a>(report: &'a Report, l: Location) -> Option<&'a crate::model::Resource> {
    report
        .index
        .file(l.file)?
        .resources
        .iter()
        .filter(|r| r.span.start <= l.span.start && l.span.end <= r.span.end)
        .min_by_key(|r| r.span.end - r.span.start)
        .map(|r| &**r)
}

/// The text of the line `l` starts on, trimmed.
fn line_text(report: &Report, l: Location) -> String {
    let Some(file) = report.index.file(l.file) else {
        return String::new();
    };
    let line = file.lines.line_of(l.span.start as usize);
    let (s, e) = file.lines.line_range(&file.text, line);
    file.text.get(s..e).unwrap_or("").trim().to_string()
}

/// 1. Place, name and deduplicate the findings (the items of the plan). Returns the number of
///    duplicates removed and of findings without a place.
fn place(plan: &mut Plan) -> (usize, usize) {
    let report = plan.report;
    let placer = Placer::new(report.index);
    let mut seen: HashSet<(&str, FileId, Region, String)> = HashSet::new();
    let mut duplicates = 0usize;
    let mut unplaced = 0usize;
    let mut fp_count: HashMap<String, u32> = HashMap::new();
    for f in report.inputs.iter().chain(report.ran_findings()).copied() {
        let Some((loc, placement)) = placer.place(f) else {
            unplaced += 1;
            continue;
        };
        let region = region(report, loc);
        if !seen.insert((f.rule.id, loc.file, region, message_of(f, placement))) {
            duplicates += 1;
            continue;
        }
        let uri = match plan.uri(loc.file) {
            FileUri::Relative(u) | FileUri::Absolute(u) => u,
        };
        // an input problem inside an object (a duplicate key…) is about that object
        let subject = match (&f.resource, &f.namespace, f.location) {
            (None, None, Some(l)) => enclosing(report, l)
                .map(|r| format!("res:{}/{}/{}/{}", r.group, r.kind, r.namespace, r.name))
                .unwrap_or_else(|| identity::subject(f, Some(&uri))),
            _ => identity::subject(f, Some(&uri)),
        };
        let mut fp = identity::fingerprint(f.rule.id, &subject, &f.message);
        // the same identity twice: tell them apart by the text of their line (not by their
        // order, which an edit elsewhere changes), numbered only when that is the same too
        let n = fp_count.entry(fp.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            let line = line_text(report, loc);
            fp = identity::fingerprint(f.rule.id, &format!("{subject}\n{line}"), &f.message);
            let m = fp_count.entry(fp.clone()).or_insert(0);
            *m += 1;
            if *m > 1 {
                fp = format!("{fp}:{m}");
            }
        }
        plan.items.push(Item {
            f,
            file: loc.file,
            region,
            placement,
            ns: f.namespace.as_deref().unwrap_or(""),
            fingerprint: fp,
        });
    }
    (duplicates, unplaced)
}

/// The number of results of a rule's findings at a grouping level.
fn count_at(members: &[usize], lvl: Level, items: &[Item]) -> usize {
    match lvl {
        Level::None => members.len(),
        Level::Namespace => members
            .iter()
            .map(|i| items[*i].ns)
            .collect::<BTreeSet<_>>()
            .len(),
        Level::Rule => 1,
    }
}

/// 2. The grouping level of each rule (by registry position), within the budget: lower
///    severities and the most repetitive rules are grouped first.
fn grouping_levels(
    by_rule: &BTreeMap<usize, Vec<usize>>,
    items: &[Item],
    max: usize,
) -> BTreeMap<usize, Level> {
    let mut levels: BTreeMap<usize, Level> = by_rule.keys().map(|k| (*k, Level::None)).collect();
    let mut total = items.len();
    let steps = [
        (Severity::Info, Level::Namespace),
        (Severity::Warning, Level::Namespace),
        (Severity::Info, Level::Rule),
        (Severity::Error, Level::Namespace),
        (Severity::Warning, Level::Rule),
        (Severity::Error, Level::Rule),
    ];
    let severity_of = |pos: usize| rules::at(pos).map(|r| r.severity).unwrap_or(Severity::Info);
    for (sev, lvl) in steps {
        if total <= max {
            break;
        }
        let mut cands: Vec<(usize, usize, usize)> = by_rule
            .iter()
            .filter(|(pos, _)| severity_of(**pos) == sev && levels[pos] < lvl)
            .map(|(pos, m)| {
                let now = count_at(m, levels[pos], items);
                let then = count_at(m, lvl, items);
                (*pos, now, then)
            })
            .filter(|(_, now, then)| then < now)
            .collect();
        // the most repetitive rules first
        cands.sort_by_key(|(pos, now, then)| (std::cmp::Reverse(now - then), *pos));
        for (pos, now, then) in cands {
            if total <= max {
                break;
            }
            total -= now - then;
            levels.insert(pos, lvl);
        }
    }
    levels
}

/// 3. The results: single findings and groups. Returns what was grouped.
fn results(
    plan: &mut Plan,
    by_rule: &BTreeMap<usize, Vec<usize>>,
    levels: &BTreeMap<usize, Level>,
) -> Vec<Value> {
    let mut grouped = Vec::new();
    for (pos, members) in by_rule {
        let Some(rule) = rules::at(*pos) else {
            continue;
        };
        match levels[pos] {
            Level::None => plan.outs.extend(members.iter().map(|i| Out::Single(*i))),
            Level::Namespace => {
                let mut by_ns: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
                for i in members {
                    by_ns.entry(plan.items[*i].ns).or_default().push(*i);
                }
                let results = by_ns.len();
                for (ns, m) in by_ns {
                    if m.len() == 1 {
                        plan.outs.push(Out::Single(m[0]));
                    } else {
                        plan.outs.push(Out::Group {
                            rule,
                            namespace: Some(ns.to_string()),
                            members: m,
                        });
                    }
                }
                grouped.push(json!({"rule": rule.id, "by": "namespace", "findings": members.len(), "results": results}));
            }
            Level::Rule => {
                if members.len() == 1 {
                    plan.outs.push(Out::Single(members[0]));
                } else {
                    plan.outs.push(Out::Group {
                        rule,
                        namespace: None,
                        members: members.clone(),
                    });
                }
                grouped.push(
                    json!({"rule": rule.id, "by": "rule", "findings": members.len(), "results": 1}),
                );
            }
        }
    }
    grouped
}

/// Most severe first (blocking errors, errors, warnings, notes), then report order; at most
/// `max`. Returns the number of results cut.
fn order_and_truncate(plan: &mut Plan, max: usize) -> usize {
    let key = |o: &Out, items: &[Item]| -> (bool, u8, usize) {
        let ms: &[usize] = match o {
            Out::Single(i) => std::slice::from_ref(i),
            Out::Group { members, .. } => members,
        };
        let blocking = ms.iter().any(|i| items[*i].f.blocking());
        let sev = ms
            .iter()
            .map(|i| sev_rank(items[*i].f.severity()))
            .min()
            .unwrap_or(2);
        (!blocking, sev, ms[0])
    };
    let items = &plan.items;
    plan.outs.sort_by_key(|o| key(o, items));
    let truncated = plan.outs.len().saturating_sub(max);
    plan.outs.truncate(max);
    truncated
}

/// 4. The rules the results use, in registry order, and each one's index in the run.
fn index_rules(plan: &mut Plan) {
    let used: BTreeSet<usize> = plan
        .outs
        .iter()
        .map(|o| match o {
            Out::Single(i) => plan.items[*i].f.rule.position(),
            Out::Group { rule, .. } => rule.position(),
        })
        .filter(|p| rules::at(*p).is_some())
        .collect();
    plan.rules = used.into_iter().collect();
    plan.rule_index = plan
        .rules
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some((rules::at(*p)?.id, i)))
        .collect();
}

fn result_single(plan: &Plan, i: usize) -> Value {
    let it = &plan.items[i];
    let f = it.f;
    let mut props = Map::new();
    props.insert("phase".into(), json!(f.phase().id()));
    props.insert("blocking".into(), json!(f.blocking()));
    if let Some(p) = it.placement.as_str() {
        props.insert("placement".into(), json!(p));
    }
    if let Some(ns) = &f.namespace {
        props.insert("namespace".into(), json!(ns));
    }
    // the HTTPRoute translations (RT-001) carry their objects, as in the JSON report
    if f.rule.apply_file == ApplyFile::Routes && !f.actions.is_empty() {
        props.insert(
            "actions".into(),
            serde_json::to_value(&f.actions).unwrap_or(Value::Null),
        );
    }
    let mut res = json!({
        "ruleId": f.rule.id,
        "ruleIndex": plan.rule_index.get(f.rule.id).copied().unwrap_or(0),
        "level": level(f.severity()),
        "message": {"text": plain_text(&message_of(f, it.placement))},
        "locations": [{"physicalLocation": plan.physical(it.file, it.region)}],
        "partialFingerprints": {FINGERPRINT_KEY: it.fingerprint},
        "properties": Value::Object(props),
    });
    let related: Vec<Value> = f
        .related
        .iter()
        .filter(|r| plan.report.index.file(r.location.file).is_some())
        .take(MAX_RELATED)
        .enumerate()
        .map(|(n, r)| {
            json!({
                "id": n + 1,
                "physicalLocation": plan.physical(r.location.file, region(plan.report, r.location)),
                "message": {"text": plain_text(&r.message)},
            })
        })
        .collect();
    if !related.is_empty() {
        res["relatedLocations"] = Value::Array(related);
    }
    res
}

fn result_group(plan: &Plan, info: &Rule, namespace: Option<&str>, members: &[usize]) -> Value {
    let rule = info.id;
    let first = &plan.items[members[0]];
    let sev = members
        .iter()
        .map(|i| plan.items[*i].f.severity())
        .min_by_key(|s| sev_rank(*s))
        .unwrap_or(info.severity);
    let blocking = members.iter().any(|i| plan.items[*i].f.blocking());
    let subjects: Vec<String> = members
        .iter()
        .filter_map(|i| plan.items[*i].f.resource.as_ref().map(|r| r.display()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut names = subjects
        .iter()
        .take(10)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if subjects.len() > 10 {
        names.push_str(&format!(" and {} more", subjects.len() - 10));
    }
    let scope = match namespace {
        Some("") => "outside any namespace".to_string(),
        Some(ns) => format!("in namespace \"{ns}\""),
        None => "across the mesh".to_string(),
    };
    let mut text = format!(
        "{} findings of {rule} {scope}: {}. Grouped into one result to keep the run within {} results; every finding is a related location.",
        members.len(),
        info.title,
        plan.opts.max_results.max(1),
    );
    if !names.is_empty() {
        text.push_str(&format!(" Affected: {names}."));
    }
    text.push_str(&format!(" First: {}", message_of(first.f, first.placement)));
    let related: Vec<Value> = members
        .iter()
        .take(MAX_RELATED)
        .enumerate()
        .map(|(n, i)| {
            let it = &plan.items[*i];
            json!({
                "id": n + 1,
                "physicalLocation": plan.physical(it.file, it.region),
                "message": {"text": plain_text(&message_of(it.f, it.placement))},
            })
        })
        .collect();
    let subject = match namespace {
        Some(ns) => format!("group:ns:{ns}"),
        None => "group:rule".to_string(),
    };
    let mut grouped = json!({
        "by": if namespace.is_some() { "namespace" } else { "rule" },
        "findings": members.len(),
    });
    if let Some(ns) = namespace {
        grouped["namespace"] = json!(ns);
    }
    if members.len() > MAX_RELATED {
        grouped["relatedLocationsOmitted"] = json!(members.len() - MAX_RELATED);
    }
    json!({
        "ruleId": rule,
        "ruleIndex": plan.rule_index.get(rule).copied().unwrap_or(0),
        "level": level(sev),
        "message": {"text": plain_text(&text)},
        "locations": [{"physicalLocation": plan.physical(first.file, first.region)}],
        "relatedLocations": related,
        "partialFingerprints": {FINGERPRINT_KEY: identity::fingerprint(rule, &subject, "")},
        "properties": {"phase": info.phase().id(), "blocking": blocking, "grouped": grouped},
    })
}

fn tool(plan: &Plan) -> Value {
    let rules: Vec<Value> = plan
        .rules
        .iter()
        .filter_map(|p| rules::at(*p))
        .map(rule_json)
        .collect();
    json!({"driver": {
        "name": "ambient-lsp",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "informationUri": rules::docs_url(),
        "rules": rules,
    }})
}

struct Results<'p, 'r, 'a>(&'p Plan<'r, 'a>);

impl Serialize for Results<'_, '_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let plan = self.0;
        let mut seq = s.serialize_seq(Some(plan.outs.len()))?;
        for o in &plan.outs {
            let v = match o {
                Out::Single(i) => result_single(plan, *i),
                Out::Group {
                    rule,
                    namespace,
                    members,
                } => result_group(plan, rule, namespace.as_deref(), members),
            };
            seq.serialize_element(&v)?;
        }
        seq.end()
    }
}

/// Checks that could not be evaluated (cluster input without permission to read a kind), as
/// tool execution notifications of the run's invocation.
fn invocations(report: &Report) -> Option<Value> {
    let unverified: Vec<Value> = report
        .phases
        .iter()
        .flat_map(|p| p.checks.iter().map(move |c| (p, c)))
        .filter(|(_, c)| c.status == super::CheckStatus::Unverified)
        .map(|(p, c)| {
            json!({
                "level": "warning",
                "message": {"text": plain_text(&format!("{}: {}", c.title, c.message))},
                "descriptor": {"id": c.id},
                "properties": {"phase": p.phase.id(), "status": "unverified"},
            })
        })
        .collect();
    if report.cluster.is_none() && unverified.is_empty() {
        return None;
    }
    Some(json!([{
        "executionSuccessful": true,
        "toolExecutionNotifications": unverified,
    }]))
}

struct RunOf<'p, 'r, 'a>(&'p Plan<'r, 'a>);

impl Serialize for RunOf<'_, '_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let plan = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("tool", &tool(plan))?;
        if let Some(inv) = invocations(plan.report) {
            m.serialize_entry("invocations", &inv)?;
        }
        if let Some(root) = &plan.opts.root_uri {
            m.serialize_entry(
                "originalUriBaseIds",
                &json!({"%SRCROOT%": {
                    "uri": root,
                    "description": {"text": "The source root: the git top level of the inputs, or --source-root."}
                }}),
            )?;
        }
        m.serialize_entry("columnKind", "utf16CodeUnits")?;
        m.serialize_entry("properties", &plan.properties)?;
        m.serialize_entry("results", &Results(plan))?;
        m.end()
    }
}

struct Log<'p, 'r, 'a>(&'p Plan<'r, 'a>);

impl Serialize for Log<'_, '_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("$schema", "https://json.schemastore.org/sarif-2.1.0.json")?;
        m.serialize_entry("version", "2.1.0")?;
        m.serialize_entry("runs", &[RunOf(self.0)])?;
        m.end()
    }
}

/// Stream the SARIF log to `out`, one result at a time.
pub fn write_with(
    out: &mut dyn std::io::Write,
    report: &Report,
    opts: &SarifOptions,
) -> std::io::Result<()> {
    let plan = plan(report, opts);
    let mut ser = serde_json::Serializer::pretty(&mut *out);
    Log(&plan)
        .serialize(&mut ser)
        .map_err(std::io::Error::other)?;
    writeln!(out)
}

/// [`write_with`] with default options (display paths, the default budget).
pub fn write(out: &mut dyn std::io::Write, report: &Report) -> std::io::Result<()> {
    write_with(out, report, &SarifOptions::default())
}

/// The SARIF log as a value.
pub fn render_with(report: &Report, opts: &SarifOptions) -> Value {
    let plan = plan(report, opts);
    serde_json::to_value(Log(&plan)).unwrap_or(Value::Null)
}

pub fn render(report: &Report) -> Value {
    render_with(report, &SarifOptions::default())
}

#[cfg(test)]
mod tests {
    #[test]
    fn brackets_from_manifests_are_not_links() {
        assert_eq!(
            super::plain_text("claims[see](1) stays text"),
            "claims\\[see\\](1) stays text"
        );
        assert_eq!(super::plain_text("no brackets"), "no brackets");
    }
}
