//! `commands.sh` is safe to run top to bottom. Every script the suite can produce — the one of
//! every rule fixture case (run with `--ignore-failures`, so failed phases are written too) and
//! of the example — goes through `sh -n` and the checker of kubectl forms
//! (`common/commands_check.rs`); the controller trees and a failed phase are checked line by
//! line.

mod common;
use common::commands_check;
use common::fixture;

use ambient_lsp::report::{self, ReportOptions};

fn script(case: &fixture::Case) -> String {
    let opts = ReportOptions {
        ignore_failures: true,
        ..ReportOptions::default()
    };
    report::build(&case.index, &case.analysis, &opts).commands()
}

/// The index of the first runnable command starting with `p` (the test fails without one).
fn first(s: &commands_check::Script, text: &str, p: &str) -> usize {
    s.commands
        .iter()
        .position(|l| l.starts_with(p))
        .unwrap_or_else(|| panic!("{p} missing:\n{text}"))
}

#[test]
fn every_fixture_case_gives_a_valid_script() {
    let mut problems = Vec::new();
    let mut cases = 0;
    let mut commands = 0;
    for dir in fixture::all_cases() {
        let case = fixture::load(&dir).unwrap();
        cases += 1;
        match commands_check::check(&script(&case)) {
            Ok(s) => commands += s.commands.len() + s.disabled.len(),
            Err(e) => problems.push(format!("{}:\n{e}", case.name)),
        }
    }
    assert!(cases > 200, "only {cases} cases");
    assert!(commands > 100, "only {commands} commands");
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn controller_trees_restart_what_can_be_restarted_and_say_what_to_do_for_the_rest() {
    let case = fixture::case("R004/controller-trees");
    let text = script(&case);
    let s = commands_check::check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(s.disabled.is_empty(), "{text}");
    let at = |c: &str| s.commands.iter().position(|l| l == c);
    let switch = at("kubectl label ns shop istio-injection- istio.io/dataplane-mode=ambient")
        .unwrap_or_else(|| panic!("{text}"));
    for c in [
        "kubectl rollout restart deployment/web -n shop",
        "kubectl rollout restart statefulset/db -n shop",
        "kubectl rollout restart daemonset/log-agent -n shop",
    ] {
        let i = at(c).unwrap_or_else(|| panic!("{c} missing:\n{text}"));
        assert!(i > switch, "{c} before the namespace switch:\n{text}");
        assert_eq!(
            s.commands.iter().filter(|l| *l == c).count(),
            1,
            "{c} twice:\n{text}"
        );
    }
    assert_eq!(s.commands.len(), 4, "{text}");
    // pods are deleted by hand only (a by-hand step may say to), never by a command
    assert!(
        !s.commands
            .iter()
            .chain(&s.disabled)
            .any(|c| c.contains("delete pod")),
        "{text}"
    );
    // api's ReplicaSet and Deployment are not in the input: a guessed restart could fail
    // (NotFound) and stop the script
    assert!(
        !text.contains("rollout restart deployment/api -n shop\n"),
        "{text}"
    );
    let manual = s.manual.join("\n");
    for m in [
        "ReplicaSet shop/api-6f7c9d5b8 is not owned by a Deployment of the input",
        "Pod shop/debug has no controller",
        "CronJob shop/nightly: its next scheduled run",
        "Job shop/migrate: its pod template cannot be changed",
    ] {
        assert!(manual.contains(m), "{m} missing:\n{text}");
    }
}

#[test]
fn a_paused_deployment_and_on_delete_controllers_are_restarted_by_hand() {
    // `kubectl rollout restart` fails on a paused Deployment (set -e would stop the script) and
    // replaces no pod of an OnDelete StatefulSet or DaemonSet
    let case = fixture::case("R004/paused-and-on-delete");
    let text = script(&case);
    let s = commands_check::check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let restarts: Vec<_> = s
        .commands
        .iter()
        .filter(|c| c.contains("rollout restart"))
        .collect();
    assert_eq!(
        restarts,
        ["kubectl rollout restart daemonset/node-exporter -n shop"],
        "{text}"
    );
    let manual = s.manual.join("\n");
    for m in [
        "Deployment shop/web is paused (spec.paused: true)",
        "StatefulSet shop/db uses updateStrategy OnDelete",
        "DaemonSet shop/log-agent uses updateStrategy OnDelete",
    ] {
        assert!(manual.contains(m), "{m} missing:\n{text}");
    }
}

#[test]
fn security_controls_that_stop_applying_are_named_before_the_namespace_switch() {
    // R011 and P021 stay non-blocking warnings, but the script must not switch the namespace
    // with nothing said
    for (case, rule) in [
        ("R011/mesh-wide-registry-only", "R011"),
        ("P021/e27-export-to-own-namespace", "P021"),
    ] {
        let text = script(&fixture::case(case));
        commands_check::check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let lines: Vec<&str> = text.lines().collect();
        let switch = lines
            .iter()
            .position(|l| l.trim_start_matches("# ").starts_with("kubectl label ns "))
            .unwrap_or_else(|| panic!("{case}: no namespace switch:\n{text}"));
        let warning = lines
            .iter()
            .position(|l| l.starts_with("# WARNING: "))
            .unwrap_or_else(|| panic!("{case}: no warning:\n{text}"));
        assert!(warning < switch, "{case}:\n{text}");
        assert!(
            lines[warning..switch]
                .iter()
                .any(|l| l.starts_with(&format!("#   [{rule}] "))),
            "{case}:\n{text}"
        );
    }
    // nothing to say: no block
    let text = script(&fixture::case("R004/controller-trees"));
    assert!(!text.contains("# WARNING"), "{text}");
}

#[test]
fn a_failed_phase_writes_its_steps_and_the_later_ones_commented_out_with_the_reason() {
    // R009 (blocking) fails remove-sidecars: the namespace switch and the restarts would
    // make ztunnel deny traffic
    let case = fixture::case("R009/l7-allow-without-compensation");
    let text = script(&case);
    let s = commands_check::check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(
        !s.commands
            .iter()
            .any(|c| c.starts_with("kubectl label ns") || c.contains("rollout restart")),
        "{text}"
    );
    assert!(
        s.disabled
            .iter()
            .any(|c| c.starts_with("kubectl label ns shop")),
        "{text}"
    );
    assert!(
        text.contains("# STOP: phase remove-sidecars failed"),
        "{text}"
    );
    assert!(text.contains("#   [R009] "), "{text}");
}

#[test]
fn a_workload_injected_by_its_own_label_is_restarted_by_its_template_change_only() {
    let case = fixture::case("R003/label-injected-in-plain-namespace");
    let text = script(&case);
    let s = commands_check::check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(
        s.commands,
        [
            "kubectl patch statefulset ledger -n payments --type=merge -p '{\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"istio.io/dataplane-mode\":\"ambient\",\"sidecar.istio.io/inject\":null}}}}}'",
            "kubectl rollout status statefulset/ledger -n payments --timeout=10m",
        ],
        "{text}"
    );
}

#[test]
fn opt_outs_come_before_the_namespace_switch() {
    let case = fixture::case("R013/opted-out-deployment-and-cronjob");
    let text = script(&case);
    let s = commands_check::check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let at = |p: &str| first(&s, &text, p);
    let switch = at("kubectl label ns shop ");
    assert!(at("kubectl patch deployment exporter ") < switch, "{text}");
    assert!(
        at("kubectl rollout status deployment/exporter ") < switch,
        "{text}"
    );
    assert!(at("kubectl patch cronjob report ") < switch, "{text}");
}

#[test]
fn the_checker_refuses_what_is_unsafe_or_invalid() {
    for bad in [
        "kubectl delete pod -n shop debug",
        "kubectl rollout restart job/migrate -n shop",
        "kubectl rollout restart cronjob/nightly -n shop",
        "kubectl rollout restart deployment/web",
        "kubectl label ns shop bad key=x",
        "kubectl label service -n shop echo istio.io/use-waypoint=way point",
        "kubectl patch deployment web -n shop --type=merge -p '{\"spec\":{\"replicas\":0}}'",
        "kubectl apply -f /etc/passwd",
        "kubectl delete authorizationpolicy -n shop x",
        "kubectl label ns shop a=b; rm -rf /",
        "kubectl wait --for=condition=Programmed gateway/waypoint -n shop --timeout=5m",
        "kubectl wait --for=condition=Programmed gateways.gateway.networking.k8s.io/waypoint --timeout=5m",
        "kubectl wait --for=delete gateways.gateway.networking.k8s.io/waypoint -n shop --timeout=5m",
    ] {
        assert!(commands_check::kubectl_form(bad).is_err(), "{bad}");
    }
    for good in [
        "kubectl label ns shop istio-injection- istio.io/dataplane-mode=ambient",
        "kubectl label ns shop istio-injection=disabled istio.io/dataplane-mode=ambient --overwrite",
        "kubectl rollout restart statefulset/db -n shop",
        "kubectl delete authorizationpolicies.security.istio.io -n shop viewer",
        "kubectl wait --for=condition=Programmed gateways.gateway.networking.k8s.io/waypoint -n shop --timeout=5m",
    ] {
        assert!(commands_check::kubectl_form(good).is_ok(), "{good}");
    }
    assert!(commands_check::check("#!/bin/sh\nkubectl label ns shop 'a=b\n").is_err());
}

#[test]
fn the_kubectl_check_refuses_unknown_verbs_and_flags() {
    use std::collections::{BTreeMap, BTreeSet};
    let form = |verb: &[&str], flags: &[&str]| {
        let mut m = BTreeMap::new();
        m.insert(
            verb.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            flags.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>(),
        );
        commands_check::against_kubectl(&m)
    };
    assert!(form(&["rollout", "status"], &["--timeout", "--namespace"]).is_ok());
    assert!(form(&["patch"], &["--type", "--patch"]).is_ok());
    if std::process::Command::new(
        std::env::var("AMBIENT_KUBECTL")
            .unwrap_or("kubectl".into())
            .split(':')
            .next()
            .unwrap(),
    )
    .arg("version")
    .arg("--client")
    .output()
    .is_ok_and(|o| o.status.success())
    {
        assert!(form(&["rollout", "restart"], &["--no-such-flag"]).is_err());
        assert!(form(&["rollout", "bounce"], &[]).is_err());
    }
}

#[test]
fn a_waypoint_that_labels_already_name_is_created_after_its_policies_and_waited_for() {
    // creating it enables it: the copy and the allow-from-waypoint policy must be in place
    // first, and nothing runs on before it is programmed
    for (name, ns, wp) in [
        (
            "U008/shared-waypoint-labelled-before-it-exists",
            "shared",
            "mesh-wp",
        ),
        (
            "U008/labelled-to-a-waypoint-the-plan-creates",
            "shop",
            "waypoint",
        ),
    ] {
        let case = fixture::case(name);
        let text = script(&case);
        let s = commands_check::check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let at = |c: &str| {
            s.commands
                .iter()
                .position(|l| l == c)
                .unwrap_or_else(|| panic!("{c} missing:\n{text}"))
        };
        let policies = at("kubectl apply -f recommended-policies.yaml");
        let waypoints = at("kubectl apply -f recommended-waypoints.yaml");
        let wait = at(&format!(
            "kubectl wait --for=condition=Programmed gateways.gateway.networking.k8s.io/{wp} -n {ns} --timeout=5m"
        ));
        assert!(policies < waypoints && waypoints < wait, "{name}:\n{text}");
        assert_eq!(
            s.commands
                .iter()
                .filter(|c| c.contains("recommended-waypoints.yaml"))
                .count(),
            1,
            "{text}"
        );
        let deploy = text.find("# --- deploy-waypoints").unwrap();
        let use_ = text.find("# --- use-waypoints").unwrap();
        let apply = text
            .find("\nkubectl apply -f recommended-waypoints.yaml")
            .unwrap();
        assert!(deploy < use_ && use_ < apply, "{text}");
    }
}

#[test]
fn generated_waypoints_are_waited_for_before_labels_enroll_traffic() {
    let case = fixture::case("U008/recommended-enrollment");
    let text = script(&case);
    let s = commands_check::check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let at = |p: &str| first(&s, &text, p);
    let apply = at("kubectl apply -f recommended-waypoints.yaml");
    let wait = at("kubectl wait --for=condition=Programmed gateways.gateway.networking.k8s.io/");
    let label = at("kubectl label ");
    assert!(apply < wait && wait < label, "{text}");
    assert!(
        at("kubectl apply -f recommended-policies.yaml") < label,
        "{text}"
    );
}

#[test]
fn a_template_patch_that_rolls_nothing_out_is_followed_by_a_step_by_hand_not_a_rollout_wait() {
    // `kubectl rollout status` on a paused Deployment or an OnDelete StatefulSet/DaemonSet
    // waits until its timeout and stops the script (set -e)
    let case = fixture::case("R013/paused-and-on-delete-opt-outs");
    let text = script(&case);
    let s = commands_check::check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(
        !s.commands
            .iter()
            .chain(&s.disabled)
            .any(|c| c.contains("rollout status")),
        "{text}"
    );
    let lines: Vec<&str> = text.lines().collect();
    for (patch, step) in [
        (
            "kubectl patch deployment exporter ",
            "# by hand: Deployment shop/exporter is paused",
        ),
        (
            "kubectl patch statefulset cache ",
            "# by hand: StatefulSet shop/cache uses updateStrategy OnDelete",
        ),
        (
            "kubectl patch daemonset node-agent ",
            "# by hand: DaemonSet shop/node-agent uses updateStrategy OnDelete",
        ),
    ] {
        let i = lines
            .iter()
            .position(|l| l.starts_with(patch))
            .unwrap_or_else(|| panic!("{patch} missing:\n{text}"));
        assert!(lines[i + 1].starts_with(step), "{patch}:\n{text}");
    }
    let switch = lines
        .iter()
        .position(|l| l.starts_with("kubectl label ns shop "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        lines
            .iter()
            .position(|l| l.starts_with("# by hand: DaemonSet shop/node-agent"))
            .unwrap()
            < switch,
        "{text}"
    );
}

/// Names and label values come from files nothing has validated yet (a pull request): one that
/// would make a shell line do something else is never written runnable (issue 7 review: a
/// Deployment named `web;touch …;#` became `kubectl rollout restart deployment/web;touch …`).
#[test]
fn a_hostile_name_never_reaches_a_runnable_line() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rules/R004/controller-trees");
    let dir = tempfile::TempDir::new().unwrap();
    for e in std::fs::read_dir(&src).unwrap().flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap();
        let text = text
            .replace(
                "{name: web, namespace: shop",
                "{name: \"web;touch /tmp/ambient-pwned;#\", namespace: shop",
            )
            .replace(
                "kind: Deployment, name: web,",
                "kind: Deployment, name: \"web;touch /tmp/ambient-pwned;#\",",
            )
            .replace(
                "kind: Namespace\nmetadata:\n  name: shop\n  labels:\n",
                "kind: Namespace\nmetadata:\n  name: shop\n  labels:\n    istio.io/use-waypoint: \"w$(touch /tmp/ambient-pwned)\"\n",
            );
        std::fs::write(dir.path().join(e.file_name()), text).unwrap();
    }
    let case = fixture::load(dir.path()).unwrap();
    let text = script(&case);
    assert!(
        text.contains("ambient-pwned"),
        "the hostile names are not in the input:\n{text}"
    );
    for l in text.lines() {
        assert!(
            l.starts_with('#') || !l.contains("ambient-pwned"),
            "runnable: {l}\n{text}"
        );
    }
    assert!(
        text.contains("# refused, not run:"),
        "the refused step is not named:\n{text}"
    );
    commands_check::check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
}
