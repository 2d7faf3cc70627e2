//! `migrate` without `--from-files`: read the cluster on a tokio runtime, show a progress line
//! per kind on stderr, and hand the CLI an index like the one files give.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::{Event, KindStatus, Options, Outcome, Who};
use crate::index::Index;

pub struct Request {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub request_timeout: Duration,
    pub dump_dir: Option<PathBuf>,
    /// No progress lines (warnings are still printed).
    pub quiet: bool,
    /// Keep each object's YAML (what the drift comparison needs; `--compare-cluster`).
    pub keep_text: bool,
}

pub struct Loaded {
    pub index: Index,
    pub kinds: Vec<KindStatus>,
    pub who: Who,
}

/// Parse kubectl-style durations: `30s`, `1m`, `1m30s`, `500ms`, or plain seconds (`30`).
/// `0` means no timeout (as in kubectl), which we map to a day.
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let bad = || format!("invalid --request-timeout {s:?}: use e.g. 30s, 2m, 1m30s or 45");
    if s.is_empty() {
        return Err(bad());
    }
    if let Ok(n) = s.parse::<u64>() {
        return Ok(if n == 0 {
            Duration::from_secs(86_400)
        } else {
            Duration::from_secs(n)
        });
    }
    let mut total = Duration::ZERO;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        if c == 'm' && chars.peek() == Some(&'s') {
            unit.push(chars.next().unwrap());
        }
        let v: f64 = num.parse().map_err(|_| bad())?;
        num.clear();
        let secs = match unit.as_str() {
            "h" => v * 3600.0,
            "m" => v * 60.0,
            "s" => v,
            "ms" => v / 1000.0,
            _ => return Err(bad()),
        };
        total += Duration::from_secs_f64(secs);
    }
    if !num.is_empty() {
        return Err(bad());
    }
    if total.is_zero() {
        return Ok(Duration::from_secs(86_400));
    }
    Ok(total)
}

fn line(k: &KindStatus) -> String {
    let secs = k.elapsed.as_secs_f64();
    match &k.outcome {
        Outcome::Read { objects, pages, .. } => format!(
            "  {:<58} {objects:>7} object{}{} {secs:.1} s",
            k.name(),
            if *objects == 1 { "" } else { "s" },
            if *pages > 1 {
                format!(" ({pages} pages)")
            } else {
                String::new()
            }
        ),
        Outcome::NotInstalled => format!("  {:<58} not installed", k.name()),
        Outcome::Forbidden { .. } | Outcome::Failed { .. } => {
            format!("  {}", k.problem().unwrap_or_default())
        }
    }
}

/// Read the cluster. `Err` is the message to print (exit status 2).
pub fn load(req: Request) -> Result<Loaded, String> {
    let show = !req.quiet && std::io::stderr().is_terminal();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let opts = Options {
        kubeconfig: req.kubeconfig,
        context: req.context,
        request_timeout: req.request_timeout,
        dump_dir: req.dump_dir.clone(),
        keep_text: req.keep_text,
        ..Options::default()
    };
    if let Some(d) = &opts.dump_dir {
        std::fs::create_dir_all(d).map_err(|e| format!("--dump-dir {}: {e}", d.display()))?;
    }
    let snapshot = rt.block_on(async move {
        let cluster = super::Cluster::connect(opts)
            .await
            .map_err(|e| e.to_string())?;
        if show {
            let w = cluster.who();
            eprintln!(
                "Reading context \"{}\" ({}) as user \"{}\" (read-only)…",
                w.context, w.server, w.user
            );
        }
        let progress: super::Progress = Arc::new(move |e: &Event| {
            if let Event::KindDone(k) = e {
                if show && !matches!(k.outcome, Outcome::NotInstalled) {
                    let _ = writeln!(std::io::stderr(), "{}", line(k));
                }
            }
        });
        cluster.load(progress).await.map_err(|e| e.to_string())
    })?;
    let objects = snapshot.objects();
    let (index, kinds, who) = snapshot.into_index();
    let missing: Vec<String> = kinds
        .iter()
        .filter(|k| k.outcome == Outcome::NotInstalled)
        .map(|k| k.name())
        .collect();
    if show {
        if !missing.is_empty() {
            eprintln!("  not installed: {}", missing.join(", "));
        }
        eprintln!("  {objects} objects read");
    }
    for k in &kinds {
        if let Some(p) = k.problem() {
            // the server's message may end its own sentence
            let p = crate::report::text::clean(&p);
            let p = p.trim_end_matches(['.', ' ']);
            if req.keep_text {
                eprintln!("warning: {p}. Continuing without it; no drift is reported for it.");
            } else {
                eprintln!(
                    "warning: {p}. Continuing without it; the checks that need it are marked unverified."
                );
            }
        }
    }
    if let Some(d) = &req.dump_dir {
        if !req.quiet {
            eprintln!(
                "Wrote what was read to {} (rerun offline with --from-files {})",
                d.display(),
                d.display()
            );
        }
    }
    Ok(Loaded { index, kinds, who })
}

/// `migrate --from-files … --compare-cluster`: read the cluster (as [`load`] does, keeping
/// each object's YAML) and compare the workspace with it — DRIFT-001…003, the findings the
/// editor shows with `ambient.cluster.enabled`. Kinds that could not be read are named in a
/// warning; no drift is claimed for them. `Err`: the cluster could not be read at all.
pub fn drift(req: Request, workspace: &Index) -> Result<Vec<crate::finding::Finding>, String> {
    let quiet = req.quiet;
    let l = load(Request {
        keep_text: true,
        dump_dir: None,
        ..req
    })?;
    let read = super::complete_kinds(&l.kinds);
    let view = crate::phases::drift::ClusterView {
        context: &l.who.context,
        namespace: &l.who.namespace,
        objects: &l.index,
        read: &read,
    };
    let found = crate::phases::drift::findings(workspace, &view);
    if !quiet {
        eprintln!(
            "Compared the workspace with context \"{}\" ({} objects, {} kinds read completely): {} drift finding{}",
            l.who.context,
            l.index.file_count(),
            read.len(),
            found.len(),
            if found.len() == 1 { "" } else { "s" }
        );
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_like_kubectl() {
        assert_eq!(parse_timeout("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_timeout("45").unwrap(), Duration::from_secs(45));
        assert_eq!(parse_timeout("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_timeout("500ms").unwrap(), Duration::from_millis(500));
        assert!(parse_timeout("abc").is_err());
        assert!(parse_timeout("5x").is_err());
    }
}
