//! Writing the recommended files of a report to a directory, each atomically (a temporary
//! file in the same directory, then a rename): the CLI's `--output-dir` and the language
//! server's `ambient.writeRecommendations`.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::report::Report;

/// Write `content` to `dir/name` atomically (temporary file + rename in the same directory).
pub fn write_atomic(dir: &Path, name: &str, content: &str) -> std::io::Result<PathBuf> {
    debug_assert!(!name.contains('/') && !name.contains(".."));
    let target = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(content.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &target)?;
    Ok(target)
}

/// Write every output file of the report to `dir` (which must exist). Returns (name, path) of
/// each; the error names the file that could not be written.
pub fn write_outputs(dir: &Path, report: &Report) -> Result<Vec<(String, String)>, String> {
    let mut written = Vec::new();
    for f in report.output_files() {
        match write_atomic(dir, f.name, &f.content) {
            Ok(p) => written.push((f.name.to_string(), p.display().to_string())),
            Err(e) => return Err(format!("{}: {e}", dir.join(f.name).display())),
        }
    }
    Ok(written)
}
