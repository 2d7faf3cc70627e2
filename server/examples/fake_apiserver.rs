//! The tests' loopback Kubernetes API server as a program, for benchmarks and for trying
//! `ambient-lsp migrate` or `kubectl` against a scenario:
//!
//! ```sh
//! cargo run --release --example fake_apiserver -- --port 18080 --pods 20000 examples/mesh
//! KUBECONFIG=/tmp/fake-apiserver/kubeconfig kubectl get pods -A
//! ```
//!
//! Options: `--port N` (default: any free port), `--pods N` (N synthetic sidecar pods spread over
//! `--pod-namespaces M` namespaces, default 1000), `--forbid GROUP/RESOURCE` (answer 403),
//! `--dir D` (where the kubeconfig is written, default /tmp/fake-apiserver), `--seconds S`
//! (stop after S seconds; default: run until killed). Paths: manifests to serve.

#[path = "../tests/common/apiserver.rs"]
mod apiserver;

const USAGE: &str = "usage: fake_apiserver [--port N] [--pods N] [--pod-namespaces M] \
[--forbid GROUP/RESOURCE]... [--dir D] [--seconds S] [PATH...]

Serves the Kubernetes objects of the manifests under PATH (and N synthetic sidecar pods spread
over M namespaces, default 1000) on loopback, like a Kubernetes API server; writes a kubeconfig
for it to D/kubeconfig (default /tmp/fake-apiserver) and prints its path.

  --port N                 listen on this port (default: any free port)
  --pods N                 serve N synthetic sidecar pods
  --pod-namespaces M       spread them over M namespaces (default 1000)
  --forbid GROUP/RESOURCE  answer 403 for that resource (core group: /pods)
  --dir D                  where the kubeconfig is written
  --seconds S              stop after S seconds (default: run until killed)
  -h, --help               this help";

/// A usage error: the message and the usage on stderr, exit status 2 (no panic).
fn usage_error(msg: &str) -> ! {
    eprintln!("fake_apiserver: {msg}\n\n{USAGE}");
    std::process::exit(2)
}

fn number<T: std::str::FromStr>(opt: &str, v: &str) -> T {
    v.parse()
        .unwrap_or_else(|_| usage_error(&format!("{opt} needs a number, not \"{v}\"")))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut port = 0u16;
    let mut pods = 0usize;
    let mut pod_ns = 1000usize;
    let mut forbid = Vec::new();
    let mut dir = std::path::PathBuf::from("/tmp/fake-apiserver");
    let mut seconds: Option<u64> = None;
    let mut paths = Vec::new();
    while let Some(a) = args.next() {
        let mut val = || {
            args.next()
                .unwrap_or_else(|| usage_error(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            "--port" => port = number(&a, &val()),
            "--pods" => pods = number(&a, &val()),
            "--pod-namespaces" => pod_ns = number(&a, &val()),
            "--forbid" => forbid.push(val()),
            "--dir" => dir = val().into(),
            "--seconds" => seconds = Some(number(&a, &val())),
            o if o.starts_with('-') => usage_error(&format!("unknown option {o}")),
            _ => {
                let p = std::path::PathBuf::from(&a);
                if !p.exists() {
                    usage_error(&format!("{a}: no such file or directory"));
                }
                paths.push(p)
            }
        }
    }
    let started = std::time::Instant::now();
    let mut objects = if paths.is_empty() {
        Vec::new()
    } else {
        apiserver::objects_of_paths(&paths)
    };
    objects.extend(apiserver::pods(pods, pod_ns));
    let n = objects.len();
    let server = apiserver::ApiServer::start_at(objects, port);
    for f in forbid {
        let (g, r) = f.split_once('/').unwrap_or(("", f.as_str()));
        server.forbid(g, r);
    }
    std::fs::create_dir_all(&dir).expect("--dir");
    let kc = server.kubeconfig(&dir);
    eprintln!(
        "serving {n} objects on {} (loaded in {:.1} s); kubeconfig: {}",
        server.url(),
        started.elapsed().as_secs_f64(),
        kc.display()
    );
    println!("{}", kc.display());
    match seconds {
        Some(s) => std::thread::sleep(std::time::Duration::from_secs(s)),
        None => loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        },
    }
}
