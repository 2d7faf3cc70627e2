//! W020: the waypoint to deploy for the namespace, with the services that need it and why
//! (the findings that state those needs are then summarised by this one in the text report);
//! and every waypoint of the namespace that `istio.io/use-waypoint` labels name but that does
//! not exist, generated under that name (with the traffic type its users need and a listener
//! that admits the namespaces they are in), so that no label is left pointing nowhere.

use std::collections::BTreeSet;

use crate::analysis::mesh::{missing_waypoint_requests, Injection, WaypointRequest};
use crate::analysis::{NsCtx, Target};
use crate::finding::{Action, Finding, Object};
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let requests = missing_waypoint_requests(ctx.index, ctx.facts, ctx.ns());
    let done = needed(ctx, &requests);
    requested(ctx, &requests, done.as_deref());
}

/// The missing waypoints that labels name, for a namespace whose own services are not planned
/// (the control-plane namespaces, where shared waypoints often live).
pub fn requested_only(ctx: &mut NsCtx) {
    let requests = missing_waypoint_requests(ctx.index, ctx.facts, ctx.ns());
    requested(ctx, &requests, None);
}

fn revision(ctx: &NsCtx) -> Option<String> {
    match &ctx.view.mode.injection {
        Injection::Rev(r) => Some(r.clone()),
        _ => None,
    }
}

/// `istio.io/waypoint-for` serving service traffic (`svc`) and/or workload traffic (`wl`).
fn traffic_label(svc: bool, wl: bool) -> Option<&'static str> {
    match (svc, wl) {
        (true, true) => Some("all"),
        (false, true) => Some("workload"),
        _ => None,
    }
}

/// Said of a generated waypoint that labels already name (`Action::DeployWaypoint::active_on_creation`).
const ACTIVE_ON_CREATION: &str = "The labels already send traffic to it as soon as it exists, so commands.sh creates it only in use-waypoints, after recommended-policies.yaml (its policy copies and the allow-from-waypoint policies), and waits until it is Programmed";

fn requested(ctx: &mut NsCtx, requests: &[WaypointRequest], done: Option<&str>) {
    let ns = ctx.ns().to_string();
    for r in requests {
        if Some(r.name.as_str()) == done {
            continue;
        }
        let from: Vec<String> = r.from.iter().cloned().collect();
        let object = crate::fixes::waypoint_gateway_from(
            &ns,
            &r.name,
            revision(ctx).as_deref(),
            r.waypoint_for(),
            &from,
        );
        let users: Vec<String> = r.services.iter().chain(&r.workloads).cloned().collect();
        let f = ctx
            .at_anchor(Finding::new(
                &rules::W020,
                format!(
                    "Waypoint \"{ns}/{}\" is named by istio.io/use-waypoint labels but does not exist: recommended-waypoints.yaml creates it{}{} (or relabel them to an existing waypoint). {ACTIVE_ON_CREATION}:",
                    r.name,
                    match r.waypoint_for() {
                        Some(f) => format!(" with istio.io/waypoint-for: {f}"),
                        None => String::new(),
                    },
                    if from.is_empty() {
                        String::new()
                    } else {
                        format!(", admitting namespace(s) {}", from.join(", "))
                    }
                ),
            ))
            .ns(ns.clone())
            .details(users.iter().map(|u| format!("{u} is labeled to use it")))
            .action(Action::DeployWaypoint {
                namespace: ns.clone(),
                waypoint: r.name.clone(),
                // the contract's `services`: names of the services that use it (`ns/name`
                // from another namespace)
                services: r
                    .services
                    .iter()
                    .filter_map(|u| {
                        let (_, nsn) = u.split_once(' ')?;
                        let (sns, name) = nsn.split_once('/')?;
                        Some(if sns == ns { name.to_string() } else { nsn.to_string() })
                    })
                    .collect(),
                reasons: users.iter().map(|u| format!("{u} (istio.io/use-waypoint)")).collect(),
                resource: Object::new(&object),
                active_on_creation: true,
            });
        ctx.emit(f);
    }
}

/// The namespace's waypoint when services need a new one; returns its name when generated.
fn needed(ctx: &mut NsCtx, requests: &[WaypointRequest]) -> Option<String> {
    let wp = ctx.ns_waypoint.clone()?;
    let served: Vec<Target> = ctx
        .planned
        .iter()
        .filter(|(t, p)| **p == wp && ctx.needs(t))
        .map(|(t, _)| t.clone())
        .collect();
    if wp.exists || served.is_empty() {
        return None;
    }
    let ns = ctx.ns().to_string();
    // labels may already name it: it must serve them too
    let req = requests.iter().find(|r| r.name == wp.name);
    let workload_traffic = !super::plan::headless_needing(ctx).is_empty()
        || req.is_some_and(|r| !r.workloads.is_empty());
    let from: Vec<String> = req
        .map(|r| r.from.iter().cloned().collect())
        .unwrap_or_default();
    let object = crate::fixes::waypoint_gateway_from(
        &ns,
        &wp.name,
        revision(ctx).as_deref(),
        traffic_label(true, workload_traffic),
        &from,
    );
    let mut details = Vec::new();
    let mut reasons_flat = Vec::new();
    for t in &served {
        let rs: Vec<String> = ctx.reasons[t]
            .iter()
            .filter(|r| !r.rule.advisory || ctx.opts.strict_waypoints)
            .map(|r| r.what.clone())
            .collect();
        details.push(format!(
            "{} \"{}/{}\" depends on {}",
            t.kind_str(),
            ns,
            t.name,
            rs.join(", ")
        ));
        reasons_flat.extend(rs);
    }
    reasons_flat.sort();
    reasons_flat.dedup();
    if req.is_some() {
        details.push(ACTIVE_ON_CREATION.to_string());
    }
    let f = ctx
        .at_anchor(Finding::new(
            &rules::W020,
            format!("Namespace \"{ns}\" may require a waypoint for the following services:"),
        ))
        .ns(ns.clone())
        .details(details)
        .action(Action::DeployWaypoint {
            namespace: ns.clone(),
            waypoint: wp.name.clone(),
            services: served.iter().map(|t| t.name.clone()).collect(),
            reasons: reasons_flat,
            resource: Object::new(&object),
            active_on_creation: req.is_some(),
        });
    ctx.emit(f);
    // the findings that state these needs are listed by the block
    let served: BTreeSet<Target> = served.into_iter().collect();
    for (i, ts) in ctx.need_findings.clone() {
        if !ts.is_empty() && ts.iter().all(|t| served.contains(t)) {
            ctx.out[i].summarized = true;
        }
    }
    Some(wp.name)
}
