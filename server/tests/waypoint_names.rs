//! Never promise a waypoint that will not exist: every waypoint that an action of the report
//! (and so `commands.sh`) enrolls something in — `istio.io/use-waypoint` set on a Namespace,
//! Service, ServiceEntry or pod template, with `istio.io/use-waypoint-namespace` when it is set
//! or already there — is a Gateway of the input or an object of `recommended-waypoints.yaml`.
//! Checked over every rule fixture case and its `commands.sh`.

mod common;
use common::fixture;

use std::collections::{BTreeMap, BTreeSet};

use ambient_lsp::finding::Action;
use ambient_lsp::index::Index;
use ambient_lsp::model::Labels;
use ambient_lsp::report::{self, ReportOptions};

/// The labels an object of the input has (`None` when it is not in the input).
fn labels_of(index: &Index, kind: &str, ns: &str, name: &str) -> Option<Labels> {
    if kind == "Namespace" {
        return index.namespace_object(name).map(|n| n.labels.clone());
    }
    index
        .ns(ns)
        .find(|r| r.kind == kind && r.name == name)
        .map(|r| match &r.body {
            ambient_lsp::model::Body::Workload(w) => w.pod_labels.clone(),
            _ => r.labels.clone(),
        })
}

/// `(waypoint namespace, waypoint name)` an enrollment label set points at.
fn promised(
    index: &Index,
    kind: &str,
    ns: &str,
    name: &str,
    set: &BTreeMap<String, String>,
) -> Option<(String, String)> {
    let wp = set.get("istio.io/use-waypoint")?;
    if wp == "none" {
        return None;
    }
    let wp_ns = set
        .get("istio.io/use-waypoint-namespace")
        .cloned()
        .or_else(|| {
            labels_of(index, kind, ns, name)
                .and_then(|l| l.get("istio.io/use-waypoint-namespace").map(str::to_string))
        })
        .unwrap_or_else(|| ns.to_string());
    Some((wp_ns, wp.clone()))
}

#[test]
fn every_waypoint_the_advice_enrolls_in_exists_or_is_recommended() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for dir in fixture::all_cases() {
        let case = fixture::load(&dir).unwrap();
        let opts = ReportOptions {
            ignore_failures: true,
            ..ReportOptions::default()
        };
        let rep = report::build(&case.index, &case.analysis, &opts);
        let recommended: BTreeSet<(String, String)> = rep
            .waypoints
            .iter()
            .map(|o| {
                let v = o.value();
                let s = |p: &str| {
                    v.pointer(p)
                        .and_then(|x| x.as_str())
                        .unwrap_or("")
                        .to_string()
                };
                (s("/metadata/namespace"), s("/metadata/name"))
            })
            .collect();
        let script = rep.commands();
        for p in &rep.phases {
            for f in &p.findings {
                for a in &f.actions {
                    let want = match a {
                        Action::Label { target, set, .. } => {
                            let ns = target
                                .namespace
                                .clone()
                                .unwrap_or_else(|| target.name.clone());
                            promised(&case.index, &target.kind, &ns, &target.name, set)
                        }
                        Action::LabelTemplate { workload, set, .. } => promised(
                            &case.index,
                            &workload.kind,
                            &workload.namespace,
                            &workload.name,
                            set,
                        ),
                        _ => None,
                    };
                    let Some((wns, wname)) = want else { continue };
                    checked += 1;
                    let exists = case
                        .index
                        .find("gateway.networking.k8s.io", "Gateway", &wns, &wname)
                        .is_some();
                    if !exists && !recommended.contains(&(wns.clone(), wname.clone())) {
                        problems.push(format!(
                            "{}: {} enrolls in waypoint {wns}/{wname}, which is neither in the input nor in recommended-waypoints.yaml",
                            case.name, f.rule.id
                        ));
                    }
                }
            }
        }
        // and the script never names a waypoint the actions did not
        for line in script.lines().filter(|l| !l.trim_start().starts_with('#')) {
            if let Some(i) = line.find("istio.io/use-waypoint=") {
                let v: String = line[i + "istio.io/use-waypoint=".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
                    .collect();
                if v != "none" && !v.is_empty() {
                    let known = case.index.all().any(|r| r.kind == "Gateway" && r.name == v)
                        || recommended.iter().any(|(_, n)| *n == v);
                    if !known {
                        problems.push(format!(
                            "{}: commands.sh enrolls in waypoint {v}, which is neither in the input nor recommended:\n{line}",
                            case.name
                        ));
                    }
                }
            }
        }
    }
    assert!(checked > 20, "only {checked} enrollments checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
