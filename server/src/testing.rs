//! Checks shared by the tests (`server/tests/`) and the fuzz targets (`fuzz/`): the oracle of
//! each invariant is written once, here. Not part of the crate's API (`#[doc(hidden)]`).
//!
//! - [`findings`]: what holds of any analysis (spans inside their file, on character
//!   boundaries; rules from the registry).
//! - [`incremental`]: a `Session` after edits equals an analysis from scratch of the same files.
//! - [`yaml`]: the fast YAML path agrees with the general parser; spans of a parse are sound.

/// Invariants of the findings of any analysis.
pub mod findings {
    use crate::engine::Analysis;
    use crate::finding::{Finding, Location};
    use crate::index::Index;
    use crate::rules::RULES;

    fn check_location(index: &Index, l: &Location, what: &str) -> Result<(), String> {
        let Some(file) = index.file(l.file) else {
            return Err(format!("{what}: file id {:?} is not in the index", l.file));
        };
        let (s, e) = (l.span.start as usize, l.span.end as usize);
        if s > e || e > file.text.len() {
            return Err(format!(
                "{what}: span {s}..{e} outside {} ({} bytes)",
                file.path,
                file.text.len()
            ));
        }
        if !file.text.is_char_boundary(s) || !file.text.is_char_boundary(e) {
            return Err(format!(
                "{what}: span {s}..{e} of {} not on character boundaries",
                file.path
            ));
        }
        Ok(())
    }

    /// One finding: its rule is one of the registry (`rules::RULES`, by identity and by id), its
    /// location and related locations are inside their file's text, on character boundaries.
    pub fn check_one(index: &Index, f: &Finding) -> Result<(), String> {
        let what = format!("{} {:?}", f.rule.id, f.message);
        if !RULES.iter().any(|r| std::ptr::eq(*r, f.rule)) {
            return Err(format!("{what}: rule not in the registry"));
        }
        if !RULES
            .iter()
            .any(|r| r.id == f.rule.id && r.severity == f.rule.severity)
        {
            return Err(format!("{what}: rule id/severity not in the registry"));
        }
        if let Some(l) = &f.location {
            check_location(index, l, &what)?;
        }
        for r in &f.related {
            check_location(index, &r.location, &format!("{what} (related)"))?;
        }
        Ok(())
    }

    /// [`check_one`] for every finding of `analysis`; the number of findings.
    pub fn check(index: &Index, analysis: &Analysis) -> Result<usize, String> {
        let all = analysis.findings(index);
        for f in &all {
            check_one(index, f)?;
        }
        Ok(all.len())
    }
}

/// The invariant of the incremental engine: after any sequence of edits, a `Session` reports
/// exactly what an analysis from scratch of the final files reports (`tests/incremental.rs`,
/// `fuzz/fuzz_targets/edits.rs`).
pub mod incremental {
    use std::collections::BTreeMap;

    use crate::analysis::{Aggregates, Options};
    use crate::engine::{Analysis, Session};
    use crate::finding::Finding;
    use crate::index::{FileData, Index};
    use crate::yaml::Limits;

    /// A finding as text, with paths instead of file ids (file ids differ between indexes).
    pub fn canon_one(index: &Index, f: &Finding) -> String {
        let loc = f
            .location
            .map(|l| format!("{}@{}-{}", index.path(l.file), l.span.start, l.span.end))
            .unwrap_or_default();
        let related: Vec<String> = f
            .related
            .iter()
            .map(|r| {
                format!(
                    "{}@{}:{}",
                    index.path(r.location.file),
                    r.location.span.start,
                    r.message
                )
            })
            .collect();
        format!(
            "{}|{:?}|{}|{}|{:?}|{:?}|{}|{:?}",
            f.rule,
            f.severity(),
            loc,
            f.message,
            f.details,
            related,
            serde_json::to_string(&f.actions).unwrap_or_default(),
            f.namespace
        )
    }

    /// Canonical text of every finding, sorted.
    pub fn canon(index: &Index, analysis: &Analysis) -> Vec<String> {
        let mut out = ordered(index, analysis);
        out.sort();
        out
    }

    /// `canon` of the findings with a location, gathered file by file (`Analysis::findings_in`):
    /// the per-file view the language server publishes must hold every located finding.
    pub fn canon_by_file(index: &Index, analysis: &Analysis) -> Vec<String> {
        let mut out: Vec<String> = index
            .files()
            .flat_map(|file| analysis.findings_in(file))
            .map(|f| canon_one(index, f))
            .collect();
        out.sort();
        out
    }

    /// `canon` of the findings with a location.
    pub fn located(index: &Index, analysis: &Analysis) -> Vec<String> {
        let mut out: Vec<String> = analysis
            .findings(index)
            .into_iter()
            .filter(|f| f.location.is_some())
            .map(|f| canon_one(index, f))
            .collect();
        out.sort();
        out
    }

    /// Every finding in report order (`canon` unsorted).
    pub fn ordered(index: &Index, analysis: &Analysis) -> Vec<String> {
        analysis
            .findings(index)
            .into_iter()
            .map(|f| canon_one(index, f))
            .collect()
    }

    /// The index of `files` (path → text), built from scratch.
    pub fn scratch_index(files: &BTreeMap<String, String>) -> Index {
        let mut index = Index::new();
        for (p, t) in files {
            let id = index.id_for(p);
            index.upsert(FileData::parse(
                id,
                p.as_str(),
                t.as_str(),
                &Limits::default(),
            ));
        }
        index
    }

    /// `ordered` of the analysis from scratch of `files`.
    pub fn scratch_ordered(files: &BTreeMap<String, String>) -> Vec<String> {
        let index = scratch_index(files);
        ordered(&index, &Analysis::run(&index, &Options::default()))
    }

    /// `canon` of the analysis from scratch of `files`.
    pub fn scratch(files: &BTreeMap<String, String>) -> Vec<String> {
        let index = scratch_index(files);
        canon(&index, &Analysis::run(&index, &Options::default()))
    }

    /// The whole invariant, after one step: `session` (default options) holds `files`, its
    /// per-file view holds every located finding, its aggregates are those of its results, and
    /// its findings are those of an analysis from scratch, in the same order.
    pub fn check(session: &Session, files: &BTreeMap<String, String>) -> Result<(), String> {
        let (index, analysis) = (&session.index, &session.analysis);
        let by_file = canon_by_file(index, analysis);
        let loc = located(index, analysis);
        if by_file != loc {
            return Err(format!(
                "the per-file view differs from the located findings:\nby file: {by_file:#?}\nlocated: {loc:#?}"
            ));
        }
        // the cluster-wide aggregates kept by delta are those of the results
        if analysis.agg != Aggregates::build(&analysis.ns) {
            return Err(format!(
                "aggregates kept by delta {:?} differ from those of the results {:?}",
                analysis.agg,
                Aggregates::build(&analysis.ns)
            ));
        }
        // one analysis from scratch, seen sorted and in report order
        let full_ordered = scratch_ordered(files);
        let mut full = full_ordered.clone();
        full.sort();
        let inc = canon(index, analysis);
        let only_inc: Vec<&String> = inc.iter().filter(|f| !full.contains(f)).collect();
        let only_full: Vec<&String> = full.iter().filter(|f| !inc.contains(f)).collect();
        if inc.len() != full.len() || !only_inc.is_empty() || !only_full.is_empty() {
            return Err(format!(
                "only incremental: {only_inc:#?}\nonly from scratch: {only_full:#?}"
            ));
        }
        // in the same order as from scratch (the cluster-wide findings are kept in parts)
        let (a, b) = (ordered(index, analysis), full_ordered);
        if a != b {
            return Err(format!(
                "same findings, other order:\nincremental: {a:#?}\nfrom scratch: {b:#?}"
            ));
        }
        Ok(())
    }
}

/// The YAML front end.
pub mod yaml {
    use crate::yaml::{Node, NodeKind, ParsedStream, Span};

    /// The fast path's result must be the general parser's: same documents, trees, spans and
    /// problems (`tests/yaml_fast.rs`, `fuzz/fuzz_targets/yaml.rs`).
    pub fn compare(name: &str, fast: &ParsedStream, general: &ParsedStream) -> Result<(), String> {
        if general.template.is_some() {
            return Err(format!("{name}: fast path accepted a template"));
        }
        if fast.docs.len() != general.docs.len() {
            return Err(format!(
                "{name}: {} docs vs {} docs",
                fast.docs.len(),
                general.docs.len()
            ));
        }
        for (a, b) in fast.docs.iter().zip(&general.docs) {
            if a.root != b.root {
                let d = match (&a.root, &b.root) {
                    (Some(x), Some(y)) => first_diff(x, y, "$"),
                    _ => format!("{:?} vs {:?}", a.root.is_some(), b.root.is_some()),
                };
                return Err(format!("{name}: doc {} differs at {d}", a.index));
            }
            let pa: Vec<_> = a
                .problems
                .iter()
                .map(|p| (p.kind, p.span, p.message.clone()))
                .collect();
            let pb: Vec<_> = b
                .problems
                .iter()
                .map(|p| (p.kind, p.span, p.message.clone()))
                .collect();
            if pa != pb {
                return Err(format!(
                    "{name}: doc {} problems differ: {pa:?} vs {pb:?}",
                    a.index
                ));
            }
            if a.span != b.span {
                return Err(format!(
                    "{name}: doc {} span {:?} vs {:?}",
                    a.index, a.span, b.span
                ));
            }
        }
        Ok(())
    }

    /// Where two trees first differ, as a path (`$.spec.rules[0]`).
    pub fn first_diff(a: &Node, b: &Node, path: &str) -> String {
        use NodeKind::*;
        if a.span != b.span || a.flow != b.flow {
            return format!(
                "{path}: span/flow {:?}/{} vs {:?}/{}",
                a.span, a.flow, b.span, b.flow
            );
        }
        match (&a.kind, &b.kind) {
            (
                Scalar {
                    value: va,
                    style: sa,
                },
                Scalar {
                    value: vb,
                    style: sb,
                },
            ) => format!("{path}: {va:?} {sa:?} vs {vb:?} {sb:?}"),
            (Seq(x), Seq(y)) => {
                if x.len() != y.len() {
                    return format!("{path}: {} items vs {}", x.len(), y.len());
                }
                for (i, (p, q)) in x.iter().zip(y).enumerate() {
                    if p != q {
                        return first_diff(p, q, &format!("{path}[{i}]"));
                    }
                }
                format!("{path}: ?")
            }
            (Map(x), Map(y)) => {
                if x.len() != y.len() {
                    return format!("{path}: {} entries vs {}", x.len(), y.len());
                }
                for (p, q) in x.iter().zip(y) {
                    if p.key != q.key {
                        return first_diff(&p.key, &q.key, &format!("{path}.<key>"));
                    }
                    if p.value != q.value {
                        return first_diff(
                            &p.value,
                            &q.value,
                            &format!("{path}.{}", p.key.as_str().unwrap_or("?")),
                        );
                    }
                }
                format!("{path}: ?")
            }
            _ => format!("{path}: kinds differ {:?} vs {:?}", a.kind, b.kind),
        }
    }

    fn check_span(text: &str, s: Span, what: &str) -> Result<(), String> {
        let (a, b) = (s.start as usize, s.end as usize);
        if a > b || b > text.len() {
            return Err(format!(
                "{what}: span {a}..{b} outside the text ({} bytes)",
                text.len()
            ));
        }
        if !text.is_char_boundary(a) || !text.is_char_boundary(b) {
            return Err(format!("{what}: span {a}..{b} not on character boundaries"));
        }
        Ok(())
    }

    fn check_node(text: &str, n: &Node, outer: Span, path: &str) -> Result<(), String> {
        check_span(text, n.span, path)?;
        // a node is inside its document (aliases keep the span of their anchor: same document)
        if n.span.start < outer.start || n.span.end > outer.end {
            return Err(format!(
                "{path}: span {:?} outside its document {:?}",
                n.span, outer
            ));
        }
        match &n.kind {
            NodeKind::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    check_node(text, item, outer, &format!("{path}[{i}]"))?;
                }
            }
            NodeKind::Map(entries) => {
                for e in entries {
                    let k = e.key.as_str().unwrap_or("?").to_string();
                    check_node(text, &e.key, outer, &format!("{path}.<key {k}>"))?;
                    check_node(text, &e.value, outer, &format!("{path}.{k}"))?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Every span of a parse (documents, nodes, problems, the template marker) is inside `text`
    /// and on character boundaries; documents are in order and do not overlap; nodes are inside
    /// their document.
    pub fn check_spans(text: &str, stream: &ParsedStream) -> Result<(), String> {
        if let Some(t) = &stream.template {
            check_span(text, t.span, "template")?;
        }
        let mut prev_end = 0u32;
        for (i, d) in stream.docs.iter().enumerate() {
            if d.index != i {
                return Err(format!("doc {i} has index {}", d.index));
            }
            check_span(text, d.span, &format!("doc {i}"))?;
            if d.span.start < prev_end {
                return Err(format!(
                    "doc {i} span {:?} overlaps the document before (ends at {prev_end})",
                    d.span
                ));
            }
            prev_end = d.span.end;
            for p in &d.problems {
                check_span(text, p.span, &format!("doc {i} problem {:?}", p.message))?;
            }
            if let Some(root) = &d.root {
                check_node(text, root, d.span, &format!("doc {i} $"))?;
            }
        }
        Ok(())
    }
}

/// The bodies of the fuzz targets (`fuzz/fuzz_targets/*.rs`), here so that the regression tests
/// (`tests/fuzz_regressions.rs`) run a saved input through exactly what the fuzzer ran. Each
/// returns `Err` when an invariant does not hold; a panic is a crash.
pub mod fuzz {
    use std::collections::BTreeMap;

    use crate::analysis::Options;
    use crate::engine::{Analysis, Session};
    use crate::index::{FileData, Index};
    use crate::report::{self, ReportOptions};
    use crate::yaml::{parse_stream, parse_stream_general, Limits};

    /// Target `yaml`: bytes (lossily UTF-8) → spanned documents, by the general parser and by
    /// the fast path. Spans are sound; where the fast path answers, it is the general parser's
    /// answer; `parse_stream` (what the index uses) is one of the two.
    pub fn yaml(data: &[u8]) -> Result<(), String> {
        let text = String::from_utf8_lossy(data);
        let limits = Limits::default();
        let general = parse_stream_general(&text, &limits);
        super::yaml::check_spans(&text, &general).map_err(|e| format!("general: {e}"))?;
        if let Some(fast) = crate::yaml::fast::parse_fast(&text, &limits) {
            super::yaml::check_spans(&text, &fast).map_err(|e| format!("fast: {e}"))?;
            super::yaml::compare("input", &fast, &general)?;
        }
        let used = parse_stream(&text, &limits);
        super::yaml::check_spans(&text, &used)?;
        Ok(())
    }

    /// The byte that separates the files of an `analysis` input (never in UTF-8 text).
    pub const FILE_SEPARATOR: u8 = 0xff;

    /// The files of an `analysis` input: split at [`FILE_SEPARATOR`], at most 8, named by
    /// position (`f0.yaml`, `f1.yaml`, `f2.json`, `f3.yml`, …).
    pub fn split_files(data: &[u8]) -> Vec<(String, &[u8])> {
        const EXT: [&str; 4] = ["yaml", "yaml", "json", "yml"];
        data.split(|b| *b == FILE_SEPARATOR)
            .take(8)
            .enumerate()
            .map(|(i, bytes)| (format!("f{i}.{}", EXT[i % EXT.len()]), bytes))
            .collect()
    }

    /// Target `analysis`: files (raw bytes, [`split_files`]) → index → the seven phases → the
    /// report in the three formats and the recommended files, as `ambient-lsp migrate
    /// --from-files … --ignore-failures` does it (`cli::load_walk`, `cli::migrate`), in memory.
    /// Findings are sound (`findings::check`); the JSON and SARIF reports are JSON; the
    /// recommended YAML files parse without a problem. Returns the number of findings.
    pub fn analysis(data: &[u8]) -> Result<usize, String> {
        let mut index = Index::new();
        let limits = Limits::default();
        for (path, bytes) in split_files(data) {
            let id = index.id_for(&path);
            index.upsert(match crate::sources::decode_manifest(bytes.to_vec()) {
                Ok(text) => FileData::parse(id, path, text, &limits),
                Err(e) => FileData::unreadable(id, path, e.rule(), e.message()),
            });
        }
        let opts = Options {
            strict_waypoints: data.first().is_some_and(|b| b & 1 == 1),
            ..Options::default()
        };
        let analysis = Analysis::run(&index, &opts);
        let n = super::findings::check(&index, &analysis)?;
        let ropts = ReportOptions {
            ignore_failures: true,
            up_to: None,
            sources: vec![".".to_string()],
        };
        let rep = report::build(&index, &analysis, &ropts);
        let outputs = rep.output_files();
        let mut out = Vec::new();
        report::text::write(
            &mut out,
            &rep,
            &report::text::ASCII,
            &report::text::Outputs::default(),
            true,
        )
        .map_err(|e| format!("text report: {e}"))?;
        out.clear();
        let written: Vec<(String, String)> = outputs
            .iter()
            .map(|o| (o.name.to_string(), format!("out/{}", o.name)))
            .collect();
        report::json::write(&mut out, &rep, &written).map_err(|e| format!("json report: {e}"))?;
        serde_json::from_slice::<serde_json::Value>(&out)
            .map_err(|e| format!("the JSON report is not JSON: {e}"))?;
        out.clear();
        report::sarif::write(&mut out, &rep).map_err(|e| format!("sarif report: {e}"))?;
        serde_json::from_slice::<serde_json::Value>(&out)
            .map_err(|e| format!("the SARIF report is not JSON: {e}"))?;
        for o in &outputs {
            if !o.name.ends_with(".yaml") {
                continue;
            }
            let parsed = parse_stream(&o.content, &limits);
            if let Some(p) = parsed.docs.iter().flat_map(|d| &d.problems).next() {
                return Err(format!(
                    "recommended file {} does not parse: {} at {:?}\n{}",
                    o.name, p.message, p.span, o.content
                ));
            }
        }
        Ok(n)
    }

    /// The manifests under `root` (path relative to it → text): the base of the `edits` target
    /// and of `tests/incremental.rs` (`examples/mesh`).
    pub fn load_dir(root: &std::path::Path) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let paths = crate::sources::expand(&[root.to_path_buf()]).unwrap_or_default();
        for p in paths {
            let rel = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .to_string_lossy()
                .to_string();
            if let Ok(text) = std::fs::read_to_string(&p) {
                out.insert(rel, text);
            }
        }
        out
    }

    /// Text the `edits` target may insert (besides bytes of the input): YAML structure and the
    /// keys and values the rules look at.
    pub const TOKENS: &[&str] = &[
        "\n---\n",
        "\n",
        "  ",
        "- ",
        ": ",
        "{",
        "}",
        "[",
        "]",
        ", ",
        "\"",
        "'",
        "# c\n",
        "&a ",
        "*a",
        "namespace: bookinfo",
        "namespace: payments",
        "namespace: istio-system",
        "istio.io/dataplane-mode: ambient",
        "istio-injection: enabled",
        "istio.io/use-waypoint: waypoint",
        "istio.io/rev: canary",
        "kind: AuthorizationPolicy",
        "kind: Gateway",
        "kind: VirtualService",
        "kind: Service",
        "kind: List\nitems:\n",
        "gatewayClassName: istio-waypoint",
        "action: DENY",
        "action: ALLOW",
        "methods: [GET]",
        "paths: [/x]",
        "selector: {matchLabels: {app: reviews}}",
        "app: reviews",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: extra\n  labels: {istio-injection: enabled}\n",
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: waypoint, namespace: bookinfo}\nspec:\n  gatewayClassName: istio-waypoint\n  listeners: [{name: mesh, port: 15008, protocol: HBONE}]\n",
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: bookinfo}\nspec:\n  rules:\n  - to: [{operation: {paths: [/health]}}]\n",
    ];

    /// Reads an `edits` input.
    struct Reader<'a>(&'a [u8]);

    impl Reader<'_> {
        fn byte(&mut self) -> Option<u8> {
            let (b, rest) = self.0.split_first()?;
            self.0 = rest;
            Some(*b)
        }
        fn u16(&mut self) -> Option<usize> {
            Some(((self.byte()? as usize) << 8) | self.byte()? as usize)
        }
        fn bytes(&mut self, n: usize) -> &[u8] {
            let (a, b) = self.0.split_at(n.min(self.0.len()));
            self.0 = b;
            a
        }
    }

    /// The char boundary at or before `at` (clamped to the text).
    fn boundary(text: &str, at: usize) -> usize {
        let mut i = at.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    }

    /// Target `edits`: a sequence of edits, read from the input, applied to `base` (the files of
    /// `examples/mesh`) through the incremental engine (`Session`, as the language server applies
    /// `didChange`s: one at a time, or in batches), must end with the findings of an analysis
    /// from scratch of the same files (`incremental::check`), and sound findings.
    ///
    /// Input: a first byte (odd: each edit applied alone; even: edits batched, a batch ends at
    /// an op 6), then up to 24 edits of an op byte (mod 7) and its operands: 0 insert input
    /// bytes (file, u16 position, length, bytes), 1 delete a range (file, u16 position, u16
    /// length), 2 insert a [`TOKENS`] entry (file, u16 position, token), 3 remove a file (file),
    /// 4 add a file (length, bytes), 5 replace a file by a token (file, token), 6 end of batch.
    /// Files are picked by index into the current sorted list; positions modulo the text.
    pub fn edits(base: &BTreeMap<String, String>, data: &[u8]) -> Result<(), String> {
        let mut r = Reader(data);
        let one_by_one = r.byte().is_none_or(|b| b & 1 == 1);
        let mut files = base.clone();
        let mut session = Session::new(Options::default());
        session.load(files.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
        let mut batch: Vec<(String, Option<String>)> = Vec::new();
        let mut new_files = 0;
        for _ in 0..24 {
            let Some(op) = r.byte() else { break };
            let keys: Vec<String> = files.keys().cloned().collect();
            let pick = |r: &mut Reader| -> Option<String> {
                let b = r.byte()? as usize;
                keys.get(b % keys.len().max(1)).cloned()
            };
            let change: Option<(String, Option<String>)> = match op % 7 {
                0 => (|| {
                    let k = pick(&mut r)?;
                    let t = &files[&k];
                    let at = boundary(t, r.u16()? % (t.len() + 1));
                    let n = r.byte()? as usize % 64;
                    let ins = String::from_utf8_lossy(r.bytes(n)).into_owned();
                    Some((k.clone(), Some(format!("{}{}{}", &t[..at], ins, &t[at..]))))
                })(),
                1 => (|| {
                    let k = pick(&mut r)?;
                    let t = &files[&k];
                    let a = boundary(t, r.u16()? % (t.len() + 1));
                    let b = boundary(t, a + r.u16()? % 512);
                    Some((k.clone(), Some(format!("{}{}", &t[..a], &t[b..]))))
                })(),
                2 => (|| {
                    let k = pick(&mut r)?;
                    let t = &files[&k];
                    let at = boundary(t, r.u16()? % (t.len() + 1));
                    let tok = TOKENS[r.byte()? as usize % TOKENS.len()];
                    Some((k.clone(), Some(format!("{}{}{}", &t[..at], tok, &t[at..]))))
                })(),
                3 => pick(&mut r).map(|k| (k, None)),
                4 => (|| {
                    let n = r.byte()? as usize;
                    let text = String::from_utf8_lossy(r.bytes(n)).into_owned();
                    new_files += 1;
                    Some((format!("new/f{new_files}.yaml"), Some(text)))
                })(),
                5 => (|| {
                    let k = pick(&mut r)?;
                    let tok = TOKENS[r.byte()? as usize % TOKENS.len()];
                    Some((k, Some(tok.to_string())))
                })(),
                _ => {
                    if !batch.is_empty() {
                        session.update(std::mem::take(&mut batch));
                    }
                    None
                }
            };
            let Some((path, text)) = change else { continue };
            match &text {
                Some(t) => files.insert(path.clone(), t.clone()),
                None => files.remove(&path),
            };
            if one_by_one {
                match text {
                    Some(t) => session.set_file(&path, &t),
                    None => session.remove_file(&path),
                };
            } else {
                batch.push((path, text));
            }
        }
        if !batch.is_empty() {
            session.update(batch);
        }
        super::findings::check(&session.index, &session.analysis)?;
        super::incremental::check(&session, &files)
    }
}
