//! Issue 11: work that must stay linear in the number of policies. N AuthorizationPolicies
//! selecting the same workload once made the policy phases compare every policy with every
//! other (the name of each copy checked against every object, each waypoint reason against
//! every earlier one, each copy against every existing object). A generous-bound check, not a
//! benchmark: the analysis of one namespace with `n` such policies must cost about what 8
//! analyses of `n / 8` cost (linear: ≈1×; quadratic: 8×; the bound is 2× + 0.25 s). Thread CPU time, so that other
//! processes on the machine do not count.

use ambient_lsp::analysis::Options;
use ambient_lsp::engine::Analysis;
use ambient_lsp::index::{FileData, Index};
use ambient_lsp::yaml::Limits;
use std::time::Duration;

/// CPU time of this thread so far (utime + stime of /proc/thread-self/stat, clock ticks of 10 ms).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("procfs");
    // fields after the command name (which may contain spaces) in parentheses
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // state is field 3: rest[0]; utime is field 14, stime field 15
    Duration::from_millis((f[11] + f[12]) * 10)
}

fn workspace(policies: usize) -> Index {
    let app = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {istio-injection: enabled}\n---\n\
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: reviews, namespace: shop}\nspec:\n  selector: {matchLabels: {app: reviews}}\n  template:\n    metadata: {labels: {app: reviews}}\n    spec:\n      containers: [{name: reviews, image: example/reviews:1}]\n---\n\
apiVersion: v1\nkind: Service\nmetadata: {name: reviews, namespace: shop}\nspec:\n  selector: {app: reviews}\n  ports: [{name: http, port: 9080}]\n";
    let mut text = String::new();
    for i in 0..policies {
        text.push_str(&format!(
            "---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: p{i}, namespace: shop}}\nspec:\n  selector: {{matchLabels: {{app: reviews}}}}\n  action: ALLOW\n  rules:\n  - from: [{{source: {{principals: [cluster.local/ns/c{i}/sa/client]}}}}]\n    to: [{{operation: {{paths: [/p{i}]}}}}]\n"
        ));
    }
    let mut index = Index::new();
    for (p, t) in [
        ("shop/app.yaml", app.to_string()),
        ("shop/policies.yaml", text),
    ] {
        let id = index.id_for(p);
        index.upsert(FileData::parse(id, p, t.as_str(), &Limits::default()));
    }
    index
}

/// CPU time to analyse `runs` workspaces of `policies` policies, and the findings of one.
fn cost(policies: usize, runs: usize) -> (Duration, usize) {
    let indexes: Vec<Index> = (0..runs).map(|_| workspace(policies)).collect();
    let start = thread_cpu();
    let mut findings = 0;
    for index in &indexes {
        let a = Analysis::run(index, &Options::default());
        findings = a.findings(index).len();
    }
    (thread_cpu() - start, findings)
}

#[test]
fn policies_on_the_same_workload_cost_linear_time() {
    let n = 3200;
    let (small, small_findings) = cost(n / 8, 8);
    let (large, large_findings) = cost(n, 1);
    eprintln!("{n} policies: {large:?}; 8 × {}: {small:?}", n / 8);
    // the policies were analysed (each one copied to the waypoint, at least)
    assert!(
        small_findings >= n / 8 && large_findings >= n,
        "{small_findings} {large_findings}"
    );
    assert!(
        large < small * 2 + Duration::from_millis(250),
        "{n} policies on one workload: {large:?} of CPU, 8 × {} policies: {small:?} (quadratic?)",
        n / 8
    );
}
