//! Errors a person understands: what failed, against which server, as which user, and what to
//! do. Never a stack trace.

use std::fmt;

/// Who we talk to, for messages.
#[derive(Clone, Debug, Default)]
pub struct Who {
    pub context: String,
    /// The context's namespace (`default` when it sets none; the service account's in a
    /// pod): kubectl's namespace for manifests without one, so also ours when comparing.
    pub namespace: String,
    pub server: String,
    pub user: String,
    /// `client certificate`, `bearer token`, `exec plugin "aws"`…
    pub auth: String,
}

#[derive(Debug)]
pub enum ClusterError {
    /// The kubeconfig is missing, unreadable or incomplete (message says which and why).
    Config(String),
    /// `--context` (or current-context) names a context the kubeconfig does not have.
    NoSuchContext {
        requested: String,
        available: Vec<String>,
        source: String,
    },
    Unreachable {
        who: Box<Who>,
        detail: String,
    },
    Tls {
        who: Box<Who>,
        detail: String,
    },
    /// 401, or the credential plugin/token could not be used.
    Credentials {
        who: Box<Who>,
        detail: String,
    },
    Timeout {
        who: Box<Who>,
        what: String,
        secs: u64,
    },
    /// 403 on something every run needs (API discovery).
    Forbidden {
        who: Box<Who>,
        what: String,
        detail: String,
    },
    /// Nothing could be read: every kind failed.
    NothingRead {
        who: Box<Who>,
        reasons: Vec<String>,
    },
    Other {
        who: Box<Who>,
        what: String,
        detail: String,
    },
}

impl fmt::Display for ClusterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClusterError::Config(m) => write!(f, "{m}"),
            ClusterError::NoSuchContext {
                requested,
                available,
                source,
            } => {
                write!(f, "context \"{requested}\" does not exist in {source}")?;
                if available.is_empty() {
                    write!(f, " (it defines no contexts)")
                } else {
                    write!(f, "; the contexts there are: {}", available.join(", "))
                }
            }
            ClusterError::Unreachable { who, detail } => write!(
                f,
                "cannot reach the API server {} of context \"{}\": {detail}. Is the cluster running and the address right (kubectl --context {} cluster-info)?",
                who.server, who.context, who.context
            ),
            ClusterError::Tls { who, detail } => write!(
                f,
                "TLS handshake with the API server {} of context \"{}\" failed: {detail}. Check certificate-authority(-data) and the server address in the kubeconfig.",
                who.server, who.context
            ),
            ClusterError::Credentials { who, detail } => write!(
                f,
                "cannot authenticate to the API server {} as kubeconfig user \"{}\" (auth method: {}): {detail}. The credentials are missing or expired: log in again (refresh the token, or re-run the cloud CLI's get-credentials) and retry.",
                who.server, who.user, who.auth
            ),
            ClusterError::Timeout { who, what, secs } => write!(
                f,
                "{what} on {} (context \"{}\") did not answer within {secs} s (raise --request-timeout, or check the network)",
                who.server, who.context
            ),
            ClusterError::Forbidden { who, what, detail } => write!(
                f,
                "kubeconfig user \"{}\" may not {what} on {}: {detail}. docs/cluster.md lists the read-only ClusterRole this command needs.",
                who.user, who.server
            ),
            ClusterError::NothingRead { who, reasons } => {
                write!(
                    f,
                    "nothing could be read from context \"{}\" ({}):",
                    who.context, who.server
                )?;
                for r in reasons {
                    write!(f, "\n  {r}")?;
                }
                Ok(())
            }
            ClusterError::Other { who, what, detail } => write!(
                f,
                "{what} on {} (context \"{}\") failed: {detail}",
                who.server, who.context
            ),
        }
    }
}

impl std::error::Error for ClusterError {}

/// What went wrong with one request, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Unreachable(String),
    Tls(String),
    Credentials(String),
    Timeout,
    /// HTTP status from the server with its message.
    Status(u16, String),
    Other(String),
}

fn chain(e: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut out = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push(s.to_string());
        cur = s.source();
    }
    out
}

fn find_io(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = cur {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if io.kind() != std::io::ErrorKind::Other {
                return Some(io.kind());
            }
        }
        cur = s.source();
    }
    None
}

fn is_tls(e: &(dyn std::error::Error + 'static)) -> bool {
    chain(e).iter().any(|m| {
        let m = m.to_ascii_lowercase();
        m.contains("certificate")
            || m.contains("tls")
            || m.contains("handshake")
            || m.contains("invalidcontenttype")
            || m.contains("corrupt message")
    })
}

/// The most telling line of an error chain (the innermost that says something).
fn detail(e: &(dyn std::error::Error + 'static)) -> String {
    let c = chain(e);
    c.iter()
        .rev()
        .find(|s| !s.trim().is_empty())
        .cloned()
        .unwrap_or_default()
}

pub fn classify(e: &kube::Error) -> Failure {
    match e {
        kube::Error::Api(status) => Failure::Status(status.code, status.message.clone()),
        kube::Error::Auth(a) => Failure::Credentials(detail(a)),
        kube::Error::InferConfig(c) => Failure::Credentials(detail(c)),
        kube::Error::RustlsTls(t) => Failure::Tls(detail(t)),
        kube::Error::TlsRequired => Failure::Tls("the server is https but no TLS stack".into()),
        _ => {
            let err: &(dyn std::error::Error + 'static) = e;
            let d = detail(err);
            if is_tls(err) {
                return Failure::Tls(d);
            }
            match find_io(err) {
                Some(std::io::ErrorKind::TimedOut) => Failure::Timeout,
                Some(
                    std::io::ErrorKind::ConnectionRefused
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::NotConnected
                    | std::io::ErrorKind::AddrNotAvailable
                    | std::io::ErrorKind::HostUnreachable
                    | std::io::ErrorKind::NetworkUnreachable,
                ) => Failure::Unreachable(d),
                _ => {
                    let all = chain(err).join(": ").to_ascii_lowercase();
                    if all.contains("timed out") || all.contains("timeout") {
                        Failure::Timeout
                    } else if all.contains("dns")
                        || all.contains("connect")
                        || all.contains("resolve")
                        || all.contains("no route")
                    {
                        Failure::Unreachable(d)
                    } else {
                        Failure::Other(d)
                    }
                }
            }
        }
    }
}

impl Failure {
    /// A request-level failure that stops the whole run (the server cannot be used at all).
    pub fn into_error(self, who: &Who, what: &str, secs: u64) -> ClusterError {
        let who = Box::new(who.clone());
        match self {
            Failure::Unreachable(detail) => ClusterError::Unreachable { who, detail },
            Failure::Tls(detail) => ClusterError::Tls { who, detail },
            Failure::Credentials(detail) => ClusterError::Credentials { who, detail },
            Failure::Status(401, m) => ClusterError::Credentials {
                who,
                detail: if m.is_empty() {
                    "401 Unauthorized".into()
                } else {
                    format!("401 Unauthorized ({m})")
                },
            },
            Failure::Status(403, m) => ClusterError::Forbidden {
                who,
                what: what.to_string(),
                detail: m,
            },
            Failure::Timeout => ClusterError::Timeout {
                who,
                what: what.to_string(),
                secs,
            },
            Failure::Status(code, m) => ClusterError::Other {
                who,
                what: what.to_string(),
                detail: format!("HTTP {code}: {m}"),
            },
            Failure::Other(detail) => ClusterError::Other {
                who,
                what: what.to_string(),
                detail,
            },
        }
    }

    /// Whether the failure concerns the connection or credentials (the same for every request)
    /// rather than one kind.
    pub fn is_global(&self) -> bool {
        matches!(
            self,
            Failure::Unreachable(_)
                | Failure::Tls(_)
                | Failure::Credentials(_)
                | Failure::Status(401, _)
        )
    }
}
