//! The invariant of the incremental analysis: after any sequence of file edits, additions and
//! removals, `Session` (which re-analyses only what an edit can affect) reports exactly the
//! findings that an analysis from scratch of the final files reports.

mod common;
use common::*;

use ambient_lsp::analysis::Options;
use ambient_lsp::engine::Session;
use ambient_lsp::testing::incremental::{canon, check, scratch};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn example_files() -> BTreeMap<String, String> {
    let files = ambient_lsp::testing::fuzz::load_dir(&repo_root().join("examples/mesh"));
    assert!(files.len() > 10, "examples/mesh: {files:?}");
    files
}

/// Documents that an edit may add: each changes what other namespaces or the cluster-wide
/// facts see (a waypoint, a root policy, a cross-namespace route, an istiod, a namespace
/// label…).
const SNIPPETS: &[&str] = &[
    "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: waypoint, namespace: bookinfo}\nspec:\n  gatewayClassName: istio-waypoint\n  listeners: [{name: mesh, port: 15008, protocol: HBONE}]\n",
    "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: root-l7, namespace: istio-system}\nspec:\n  selector: {matchLabels: {app: ratings}}\n  rules:\n  - to: [{operation: {paths: [/health]}}]\n",
    "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: cross, namespace: payments}\nspec:\n  hosts: [reviews.bookinfo.svc.cluster.local]\n  http:\n  - route: [{destination: {host: reviews.bookinfo.svc.cluster.local}}]\n    timeout: 1s\n",
    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bookinfo\n  labels: {istio.io/dataplane-mode: ambient}\n",
    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: extra\n  labels: {istio-injection: enabled}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: extra}\nspec:\n  selector: {app: api}\n  ports: [{name: http, port: 80}]\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: api-get, namespace: extra}\nspec:\n  selector: {matchLabels: {app: api}}\n  rules:\n  - to: [{operation: {methods: [GET]}}]\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: istiod-canary, namespace: istio-system, labels: {app: istiod, istio.io/rev: canary}}\nspec:\n  selector: {matchLabels: {app: istiod}}\n  template:\n    metadata: {labels: {app: istiod, istio.io/rev: canary}}\n    spec:\n      containers: [{name: discovery, image: docker.io/istio/pilot:1.24.2}]\n",
    "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: default, namespace: istio-system}\nspec:\n  outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n",
    "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: deny-all-delete, namespace: bookinfo}\nspec:\n  action: DENY\n  rules:\n  - to: [{operation: {methods: [DELETE], ports: [\"9080\"]}}]\n",
    "this: [is broken\n",
    "apiVersion: v1\nkind: Service\nmetadata: {name: reviews, namespace: bookinfo, labels: {istio.io/use-waypoint: waypoint}}\nspec:\n  selector: {app: reviews}\n  ports: [{name: http, port: 9080}]\n",
];

#[derive(Clone, Debug)]
enum Edit {
    /// Append snippet `s` to file `f` (by position in the sorted file list).
    Append(usize, usize),
    /// Delete document `d` of file `f`.
    DeleteDoc(usize, usize),
    /// Replace the first occurrence of a token in file `f` (methods ↔ paths, labels, ports…).
    Mutate(usize, usize),
    /// Remove file `f`.
    RemoveFile(usize),
    /// Add a new file holding snippet `s`.
    NewFile(usize),
}

const MUTATIONS: &[(&str, &str)] = &[
    ("methods:", "ports:"),
    (
        "istio-injection: enabled",
        "istio.io/dataplane-mode: ambient",
    ),
    ("value: \"true\"", "value: \"false\""),
    ("action: DENY", "action: ALLOW"),
    ("timeout:", "retries: {attempts: 2}\n    timeout:"),
    ("namespace: bookinfo", "namespace: payments"),
    ("app: reviews", "app: reviewz"),
];

fn edit_strategy() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0..64usize, 0..SNIPPETS.len()).prop_map(|(f, s)| Edit::Append(f, s)),
        (0..64usize, 0..16usize).prop_map(|(f, d)| Edit::DeleteDoc(f, d)),
        (0..64usize, 0..MUTATIONS.len()).prop_map(|(f, m)| Edit::Mutate(f, m)),
        (0..64usize).prop_map(Edit::RemoveFile),
        (0..SNIPPETS.len()).prop_map(Edit::NewFile),
    ]
}

fn apply(
    files: &mut BTreeMap<String, String>,
    e: &Edit,
    n: usize,
) -> Option<(String, Option<String>)> {
    let keys: Vec<String> = files.keys().cloned().collect();
    let pick = |i: usize| keys.get(i % keys.len().max(1)).cloned();
    match e {
        Edit::Append(f, s) => {
            let k = pick(*f)?;
            let t = format!("{}\n---\n{}", files[&k].trim_end(), SNIPPETS[*s]);
            Some((k, Some(t)))
        }
        Edit::DeleteDoc(f, d) => {
            let k = pick(*f)?;
            let docs: Vec<&str> = files[&k].split("\n---\n").collect();
            if docs.len() < 2 {
                return None;
            }
            let keep: Vec<&str> = docs
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != d % docs.len())
                .map(|(_, t)| *t)
                .collect();
            Some((k, Some(keep.join("\n---\n"))))
        }
        Edit::Mutate(f, m) => {
            let k = pick(*f)?;
            let (from, to) = MUTATIONS[*m];
            let t = &files[&k];
            if !t.contains(from) {
                return None;
            }
            Some((k, Some(t.replacen(from, to, 1))))
        }
        Edit::RemoveFile(f) => Some((pick(*f)?, None)),
        Edit::NewFile(s) => Some((format!("new/file-{n}.yaml"), Some(SNIPPETS[*s].to_string()))),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn incremental_equals_from_scratch(edits in prop::collection::vec(edit_strategy(), 1..12)) {
        let mut files = example_files();
        let mut session = Session::new(Options::default());
        session.load(files.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
        for (n, e) in edits.iter().enumerate() {
            let Some((path, text)) = apply(&mut files, e, n) else { continue };
            match text {
                Some(t) => {
                    session.set_file(&path, &t);
                    files.insert(path, t);
                }
                None => {
                    session.remove_file(&path);
                    files.remove(&path);
                }
            }
            // after every step, not only at the end
            let r = check(&session, &files);
            prop_assert!(r.is_ok(), "after {:?}:\n{}", &edits[..=n], r.unwrap_err());
        }
    }
}

#[test]
fn batched_updates_equal_from_scratch() {
    // the language server applies queued edits as one batch
    let mut files = example_files();
    let mut session = Session::new(Options::default());
    session.load(files.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
    let mut batch = Vec::new();
    for (n, e) in [
        Edit::Append(3, 0),
        Edit::Mutate(5, 1),
        Edit::NewFile(4),
        Edit::RemoveFile(1),
        Edit::Append(0, 1),
    ]
    .iter()
    .enumerate()
    {
        if let Some((p, t)) = apply(&mut files, e, n) {
            match &t {
                Some(t) => files.insert(p.clone(), t.clone()),
                None => files.remove(&p),
            };
            batch.push((p, t));
        }
    }
    session.update(batch);
    assert_eq!(canon(&session.index, &session.analysis), scratch(&files));
}

/// `n` namespaces unrelated to the example mesh (and to each other), each a sidecar-injected
/// service behind an L7 policy (it needs a waypoint: R008 lists it, R001 proposes switching).
fn unrelated_namespaces(n: usize) -> impl Iterator<Item = (String, String)> {
    (0..n).map(|i| {
        let ns = format!("aa-team-{i:04}");
        let text = format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels: {{istio-injection: enabled}}\n---\n\
apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: api, namespace: {ns}}}\nspec:\n  selector: {{matchLabels: {{app: api}}}}\n  template:\n    metadata: {{labels: {{app: api}}}}\n    spec:\n      serviceAccountName: api\n      containers: [{{name: api, image: example/api:1}}]\n---\n\
apiVersion: v1\nkind: Service\nmetadata: {{name: api, namespace: {ns}}}\nspec:\n  selector: {{app: api}}\n  ports: [{{name: http, port: 80}}]\n---\n\
apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: api-get, namespace: {ns}}}\nspec:\n  selector: {{matchLabels: {{app: api}}}}\n  rules:\n  - to: [{{operation: {{methods: [GET], paths: [/api]}}}}]\n"
        );
        (format!("{ns}/app.yaml"), text)
    })
}

/// Issue 11: the work of an edit in one namespace does not grow with the number of unrelated
/// namespaces — neither the namespaces re-analysed, nor the cluster-wide step's visits of
/// namespace results, nor the files whose findings may change. (Counts, not timings.)
#[test]
fn edit_work_does_not_grow_with_unrelated_namespaces() {
    let edited = "payments/policies.yaml";
    let work = |n: usize| {
        let mut files = example_files();
        files.extend(unrelated_namespaces(n));
        let mut session = Session::new(Options::default());
        session.load(files.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
        let rules = |s: &Session| -> BTreeMap<&str, usize> {
            let mut m = BTreeMap::new();
            for f in s.analysis.findings(&s.index) {
                *m.entry(f.rule.id).or_default() += 1;
            }
            m
        };
        let before = rules(&session);
        // the cluster-wide per-namespace rule is there, in every unrelated namespace
        assert!(before.get("R008").copied().unwrap_or(0) >= n, "{before:?}");
        let original = files[edited].clone();
        assert!(original.contains("methods:"));
        let mut stats = Vec::new();
        for text in [original.replacen("methods:", "ports:", 1), original.clone()] {
            let st = session.set_file(edited, &text);
            files.insert(edited.to_string(), text);
            assert!(!st.all, "a policy edit is not cluster-wide");
            stats.push((st.namespaces, st.cluster_visits, st.files.len()));
        }
        // and the result is the analysis from scratch
        assert_eq!(canon(&session.index, &session.analysis), scratch(&files));
        stats
    };
    let small = work(8);
    let large = work(96);
    assert_eq!(small, large, "(namespaces, cluster visits, files) per edit");
    for (namespaces, visits, _) in &small {
        assert!(*namespaces <= 3 && *visits <= 2 * namespaces, "{small:?}");
    }
}
