//! "Convert to HTTPRoute" and the translation hover, over stdio, on the example mesh: the routes
//! are inserted right after the VirtualService with every other byte kept, the deletion of the
//! VirtualService is offered only once its routes are in the workspace, and a VirtualService
//! that cannot be translated says why.

use e2e::example_copy;
use e2e::lsp::{pos, Client};
use serde_json::{json, Value};

fn titles(actions: &[Value]) -> Vec<String> {
    actions
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_string())
        .collect()
}

fn hover(c: &mut Client, u: &str, text: &str, at: usize) -> String {
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": u}, "position": pos(text, at, false)}),
    );
    h["result"]["contents"]["value"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn errors(diags: &[Value]) -> usize {
    diags.iter().filter(|d| d["severity"] == 1).count()
}

#[test]
fn convert_a_virtual_service_to_an_http_route() {
    let ws = example_copy();
    let f = ws.path().join("bookinfo/traffic.yaml");
    let original = std::fs::read_to_string(&f).unwrap();
    // the ratings VirtualService first, so that the routes go between two documents
    let at = original
        .find("# Testers (end-user: jason)")
        .expect("ratings VirtualService");
    let ratings = &original[at..];
    let rest = &original[..at];
    let text = format!("{ratings}---\n{rest}");
    std::fs::write(&f, &text).unwrap();

    let mut c = Client::start(ws.path(), json!({}));
    let u = c.open(&f);
    c.sync();
    let before = c.diagnostics_for(&u, Some(1), 0);

    // hover on the name: the translation
    let name_at = text.find("name: ratings").unwrap() + "name: ".len() + 1;
    let h = hover(&mut c, &u, &text, name_at);
    assert!(
        h.contains("**HTTPRoute translation** of VirtualService bookinfo/ratings"),
        "{h}"
    );
    assert!(
        h.contains("kind: HTTPRoute") && h.contains("end-user"),
        "{h}"
    );
    // the reviews VirtualService has retries, which the standard-channel HTTPRoute cannot carry
    let reviews_at = text.find("name: reviews").unwrap() + "name: ".len() + 1;
    let h = hover(&mut c, &u, &text, reviews_at);
    assert!(h.contains("Not translated"), "{h}");
    assert!(h.contains("retr"), "{h}");
    // reviews: no conversion offered
    let r = json!({"start": pos(&text, reviews_at, false), "end": pos(&text, reviews_at, false)});
    let acts = c.code_actions(&u, r, None);
    assert!(
        !titles(&acts)
            .iter()
            .any(|t| t.starts_with("Convert to HTTPRoute")),
        "{:?}",
        titles(&acts)
    );

    // ratings: convert (anywhere in the VirtualService), no deletion yet
    let inside = text.find("exact: jason").unwrap();
    let r = json!({"start": pos(&text, inside, false), "end": pos(&text, inside, false)});
    let acts = c.code_actions(&u, r.clone(), None);
    let t = titles(&acts);
    let convert = acts
        .iter()
        .find(|a| {
            a["title"]
                == "Convert to HTTPRoute: add bookinfo/ratings next to VirtualService bookinfo/ratings"
        })
        .unwrap_or_else(|| panic!("{t:?}"));
    assert_eq!(convert["kind"], "refactor.rewrite");
    assert!(
        !t.iter().any(|t| t.starts_with("Delete VirtualService")),
        "{t:?}"
    );
    c.apply(&convert["edit"]);
    let converted = c.text(&u);
    // one insertion right after the VirtualService; every other byte kept
    let (head, tail) = converted.split_at(ratings.len());
    assert_eq!(head, ratings);
    assert!(tail.ends_with(&format!("---\n{rest}")), "{tail}");
    let inserted = &tail[..tail.len() - rest.len() - 4];
    assert!(inserted.starts_with("---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: ratings\n  namespace: bookinfo\n"), "{inserted}");
    assert!(inserted.contains("request: \"2s\""), "{inserted}");
    c.sync();

    // the VirtualService does not conflict with its own translation (no RT-003), and the
    // hover says it is converted
    let v = c.docs.get(&u).unwrap().0;
    let d = c.diagnostics_for(&u, Some(v), 0);
    let rt003: Vec<&Value> = d
        .iter()
        .filter(|x| {
            x["code"] == "RT-003"
                && x["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("bookinfo/ratings")
        })
        .collect();
    assert!(rt003.is_empty(), "{rt003:#?}");
    let h = hover(&mut c, &u, &converted, name_at);
    assert!(
        h.contains("Converted:") && !h.contains("Not translated"),
        "{h}"
    );

    // now the routes are in the workspace: delete the VirtualService, not convert again
    let r = json!({"start": pos(&converted, inside, false), "end": pos(&converted, inside, false)});
    let acts = c.code_actions(&u, r, None);
    let t = titles(&acts);
    assert!(
        !t.iter().any(|t| t.starts_with("Convert to HTTPRoute")),
        "{t:?}"
    );
    let delete = acts
        .iter()
        .find(|a| {
            a["title"]
                == "Delete VirtualService bookinfo/ratings: HTTPRoute bookinfo/ratings replaces it"
        })
        .unwrap_or_else(|| panic!("{t:?}"));
    c.apply(&delete["edit"]);
    let after = c.text(&u);
    assert!(
        !after.contains("kind: VirtualService\nmetadata:\n  name: ratings"),
        "{after}"
    );
    assert!(after.contains("kind: HTTPRoute"), "{after}");
    assert!(after.ends_with(rest), "the other documents are kept");
    c.sync();
    let v = c.docs.get(&u).unwrap().0;
    let d = c.diagnostics_for(&u, Some(v), 0);
    assert!(
        errors(&d) <= errors(&before),
        "the conversion adds no error: {d:#?}"
    );
    assert_eq!(c.shutdown(), 0);
}
