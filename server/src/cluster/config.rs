//! Which cluster, as whom: kubeconfig resolution the way kubectl does it.
//!
//! `--kubeconfig FILE`, else every file of `KUBECONFIG` (merged, first value wins, missing files
//! skipped), else `~/.kube/config`, else the in-cluster service account. The context is
//! `--context` or the kubeconfig's `current-context`.

use std::path::{Path, PathBuf};

use kube::config::{AuthInfo, KubeConfigOptions, Kubeconfig};

use super::error::{ClusterError, Who};

/// A resolved target: the client configuration plus names for messages.
pub struct Target {
    pub config: kube::Config,
    pub who: Who,
    /// Where the configuration came from (`KUBECONFIG=a:b`, a path, `in-cluster`).
    pub source: String,
}

/// How a kubeconfig user authenticates, in words.
pub fn auth_method(a: &AuthInfo) -> String {
    if let Some(e) = &a.exec {
        return format!(
            "exec plugin \"{}\"",
            e.command.as_deref().unwrap_or("(no command)")
        );
    }
    if let Some(p) = &a.auth_provider {
        return format!("auth-provider \"{}\"", p.name);
    }
    if a.token.is_some() {
        return "bearer token".into();
    }
    if let Some(f) = &a.token_file {
        return format!("token file {f}");
    }
    if a.client_certificate.is_some() || a.client_certificate_data.is_some() {
        return "client certificate".into();
    }
    if a.username.is_some() {
        return "username and password".into();
    }
    "none (the user has no credentials)".into()
}

fn home_config() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"))?;
    Some(PathBuf::from(home).join(".kube").join("config"))
}

fn read(path: &Path) -> Result<Kubeconfig, ClusterError> {
    Kubeconfig::read_from(path).map_err(|e| {
        let inner = std::error::Error::source(&e)
            .map(|s| s.to_string())
            .unwrap_or_else(|| e.to_string());
        ClusterError::Config(format!(
            "cannot read kubeconfig {}: {inner}",
            path.display()
        ))
    })
}

/// The kubeconfig kubectl would use, and a description of where it came from. `None`: no
/// kubeconfig anywhere.
pub fn load_kubeconfig(
    explicit: Option<&Path>,
) -> Result<Option<(Kubeconfig, String)>, ClusterError> {
    if let Some(p) = explicit {
        if !p.exists() {
            return Err(ClusterError::Config(format!(
                "kubeconfig {} does not exist",
                p.display()
            )));
        }
        return Ok(Some((read(p)?, p.display().to_string())));
    }
    if let Some(v) = std::env::var_os("KUBECONFIG") {
        let paths: Vec<PathBuf> = std::env::split_paths(&v)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !paths.is_empty() {
            let mut merged: Option<Kubeconfig> = None;
            for p in paths.iter().filter(|p| p.exists()) {
                let k = read(p)?;
                merged = Some(match merged {
                    None => k,
                    Some(m) => m.merge(k).map_err(|e| {
                        ClusterError::Config(format!(
                            "cannot merge kubeconfig {} into the files before it in KUBECONFIG: {e}",
                            p.display()
                        ))
                    })?,
                });
            }
            let desc = format!("KUBECONFIG={}", v.to_string_lossy());
            return match merged {
                Some(m) => Ok(Some((m, desc))),
                None => Err(ClusterError::Config(format!(
                    "none of the files in {desc} exists"
                ))),
            };
        }
    }
    if let Some(p) = home_config().filter(|p| p.exists()) {
        return Ok(Some((read(&p)?, p.display().to_string())));
    }
    Ok(None)
}

fn server_of(k: &Kubeconfig, cluster: &str) -> String {
    k.clusters
        .iter()
        .find(|c| c.name == cluster)
        .and_then(|c| c.cluster.as_ref())
        .and_then(|c| c.server.clone())
        .unwrap_or_else(|| "(no server)".into())
}

/// Resolve the target: kubeconfig + context (or in-cluster).
pub async fn resolve(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
) -> Result<Target, ClusterError> {
    let Some((kc, source)) = load_kubeconfig(kubeconfig)? else {
        if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
            if let Some(c) = context {
                return Err(ClusterError::Config(format!(
                    "--context {c}: there is no kubeconfig (running in a pod, only the in-cluster service account is available)"
                )));
            }
            let config = kube::Config::incluster().map_err(|e| {
                ClusterError::Config(format!(
                    "no kubeconfig, and the in-cluster service account cannot be used: {e}"
                ))
            })?;
            let server = config.cluster_url.to_string();
            let namespace = config.default_namespace.clone();
            return Ok(Target {
                config,
                who: Who {
                    context: "in-cluster".into(),
                    namespace,
                    server,
                    user: "the pod's service account".into(),
                    auth: "service account token".into(),
                },
                source: "in-cluster".into(),
            });
        }
        return Err(ClusterError::Config(
            "no kubeconfig found: set KUBECONFIG, pass --kubeconfig FILE, create ~/.kube/config, or read manifests with --from-files PATH".into(),
        ));
    };
    let names: Vec<String> = kc.contexts.iter().map(|c| c.name.clone()).collect();
    let name = match context.map(str::to_string).or(kc.current_context.clone()) {
        Some(n) if !n.is_empty() => n,
        _ => {
            return Err(ClusterError::Config(format!(
                "{source} has no current-context: pass --context NAME ({})",
                if names.is_empty() {
                    "it defines no contexts".to_string()
                } else {
                    format!("contexts: {}", names.join(", "))
                }
            )))
        }
    };
    let Some(ctx) = kc
        .contexts
        .iter()
        .find(|c| c.name == name)
        .and_then(|c| c.context.clone())
    else {
        return Err(ClusterError::NoSuchContext {
            requested: name,
            available: names,
            source,
        });
    };
    let user = ctx.user.clone().unwrap_or_default();
    let auth = kc
        .auth_infos
        .iter()
        .find(|a| a.name == user)
        .and_then(|a| a.auth_info.as_ref())
        .map(auth_method)
        .unwrap_or_else(|| "none (the user is not defined in the kubeconfig)".into());
    let mut who = Who {
        context: name.clone(),
        namespace: String::new(),
        server: server_of(&kc, &ctx.cluster),
        user: if user.is_empty() {
            "(none)".into()
        } else {
            user
        },
        auth,
    };
    let opts = KubeConfigOptions {
        context: Some(name.clone()),
        ..Default::default()
    };
    let config = kube::Config::from_custom_kubeconfig(kc, &opts)
        .await
        .map_err(|e| {
            let inner = std::error::Error::source(&e)
                .map(|s| format!(": {s}"))
                .unwrap_or_default();
            ClusterError::Config(format!(
                "context \"{name}\" of {source} cannot be used: {e}{inner}"
            ))
        })?;
    // kube-rs: the context's `namespace`, else `default`
    who.namespace = config.default_namespace.clone();
    Ok(Target {
        config,
        who,
        source,
    })
}
