//! Translating mesh VirtualServices into Gateway API HTTPRoutes (GAMMA: `parentRefs` to the
//! Service) with the same routing behaviour.
//!
//! `translate` is a pure function from one VirtualService (its spec node) and a read-only view
//! of the workspace (`World`) to the objects to apply (HTTPRoutes, per-subset Services and
//! their DestinationRules) or the reasons it cannot (`Problem`, each naming a field and its
//! span). The rule file `phases/migrate_policies/route_translation.rs` turns the result into
//! findings; the language server can call the same function for a code action or a hover
//! (`world::IndexWorld` over its index).
//!
//! What "same behaviour" means and how each field maps is in `docs/routes.md`; the proof is
//! `server/tests/routes_equivalence.rs` (an evaluator of both routing models).

pub mod build;
pub mod order;
pub mod policy;
pub mod vs;
pub mod world;

use serde_json::Value;

use crate::yaml::Span;
pub use world::{IndexWorld, PortInfo, SubsetInfo, SvcInfo, WithoutRoutes, World};

/// Which rule reports a problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProblemKind {
    /// A field without an HTTPRoute form (RT-002).
    Field,
    /// Gateway API precedence would change which rule wins (RT-003).
    Order,
    /// `retries` with a standard-channel HTTPRoute CRD (RT-004).
    Retries,
    /// The route would exceed a Gateway API limit (RT-005).
    Limits,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    /// `http[0].fault` (when the problem is one field).
    pub field: Option<String>,
    pub span: Span,
    pub message: String,
    /// Other places involved (the second rule of an order conflict).
    pub related: Vec<(Span, String)>,
}

/// The result for one VirtualService.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Translation {
    /// `ns/name` of the Services the VirtualService routes (its hosts).
    pub targets: Vec<String>,
    /// HTTPRoutes, then per-subset Services, then their DestinationRules. Empty when
    /// `problems` is not.
    pub objects: Vec<Value>,
    pub problems: Vec<Problem>,
    /// Facts the user must know about an otherwise exact translation.
    pub notes: Vec<String>,
    /// Every target got a route that equals "no VirtualService" (a single catch-all route to
    /// the service itself): nothing to translate.
    pub noop: bool,
    /// Every object of the translation is already in the workspace, and the HTTPRoutes attached
    /// to its Services are exactly its own: the VirtualService has been converted (and can be
    /// deleted). `objects` are then the objects found there.
    pub converted: bool,
}

impl Translation {
    pub fn routes(&self) -> impl Iterator<Item = &Value> {
        self.objects.iter().filter(|o| o["kind"] == "HTTPRoute")
    }
}

/// The VirtualService being translated.
pub struct VsRef<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    /// `spec.hosts` with their spans.
    pub hosts: Vec<(String, Span)>,
    /// Where to report problems about the whole object.
    pub span: Span,
}

/// Translates one mesh-bound VirtualService. `spec` is its `spec` node.
pub fn translate(world: &dyn World, vs: &VsRef, spec: &crate::yaml::Node) -> Translation {
    build::translate(world, vs, spec)
}

/// The (API group, kind, namespace, name) of an object of a translation.
pub fn object_key(o: &Value) -> (String, String, String, String) {
    let s = |p: &str| {
        o.pointer(p)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let api = s("/apiVersion");
    let group = api
        .rsplit_once('/')
        .map(|(g, _)| g)
        .unwrap_or("")
        .to_string();
    (
        group,
        s("/kind"),
        s("/metadata/namespace"),
        s("/metadata/name"),
    )
}

/// Translates one VirtualService of the workspace, recognising its own translation: when the
/// plain translation is refused and, recomputed without the workspace's HTTPRoutes, it is exact,
/// every one of its objects is in the workspace and no other HTTPRoute is attached to its
/// Services, that translation is returned with `converted` set (the VirtualService does not
/// conflict with the routes written from it; docs/routes.md, "In the editor").
pub fn translate_in_workspace(
    world: &IndexWorld,
    vs: &VsRef,
    spec: &crate::yaml::Node,
) -> Translation {
    let t = translate(world, vs, spec);
    if t.problems.is_empty() || t.noop {
        return t;
    }
    let mut t2 = translate(&WithoutRoutes(world), vs, spec);
    if t2.noop || !t2.problems.is_empty() || t2.objects.is_empty() {
        return t;
    }
    let all_there = t2.objects.iter().all(|o| {
        let (g, k, ns, n) = object_key(o);
        world.exists(&g, &k, &ns, &n)
    });
    let own: Vec<String> = t2
        .routes()
        .map(|r| {
            let (_, _, ns, n) = object_key(r);
            format!("HTTPRoute {ns}/{n}")
        })
        .collect();
    let only_own = t2.targets.iter().all(|target| {
        let (ns, name) = target.split_once('/').unwrap_or(("", target));
        world.service_named(ns, name).is_none_or(|s| {
            world
                .competing(&s, vs.namespace, vs.name)
                .iter()
                .filter(|c| c.starts_with("HTTPRoute "))
                .all(|c| own.contains(c))
        })
    });
    if all_there && only_own {
        t2.converted = true;
        t2
    } else {
        t
    }
}
