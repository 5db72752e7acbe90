//! Setting a damaged file aside: it is renamed beside itself (`alarms.json.damaged-<ms>`), so the
//! service starts without it and an operator can still inspect or repair it.

use std::io;
use std::path::{Path, PathBuf};

use crate::cloud::clock::wall_ms;
use crate::cloud::files::sync_dir;

/// Renames `path` to `<path>.damaged-<wall ms>` and returns the new path.
pub fn set_aside(path: &Path) -> io::Result<PathBuf> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".damaged-{}", wall_ms()));
    let aside = path.with_file_name(name);
    std::fs::rename(path, &aside)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        sync_dir(dir)?;
    }
    Ok(aside)
}

/// What to tell an operator about a file that could not be read.
pub fn reason(problem: &str, aside: io::Result<PathBuf>) -> String {
    match aside {
        Ok(p) => format!("{problem}; moved aside to {}, started without it", p.display()),
        Err(e) => format!("{problem}; could not move it aside ({e}), started without it"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_aside_file_keeps_its_bytes_beside_the_original_name() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("alarms.json");
        std::fs::write(&path, b"not json").unwrap();
        let aside = set_aside(&path).unwrap();
        assert!(!path.exists());
        assert!(aside.file_name().unwrap().to_string_lossy().starts_with("alarms.json.damaged-"));
        assert_eq!(std::fs::read(&aside).unwrap(), b"not json");
        assert!(reason("not JSON", Ok(aside)).contains("moved aside"));
    }
}
