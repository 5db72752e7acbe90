//! How the local cloud puts things on disk: private (directories 0700, files 0600, whatever the umask)
//! and durable (a replaced file is synced, then renamed, then its directory synced, so a crash leaves
//! either the old file or the new one, never an empty one or none).

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

pub const DIR_MODE: u32 = 0o700;
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` and any missing parents as 0700, syncing each new directory's parent so the new
/// entry survives a crash.
pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir_all(parent)?;
    }
    match DirBuilder::new().mode(DIR_MODE).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => return Ok(()),
        Err(e) => return Err(e),
    }
    match dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => sync_dir(parent),
        None => Ok(()),
    }
}

/// Open options for a new private file (0600); add `.read`, `.append`, … as needed.
pub fn private_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.mode(FILE_MODE);
    o
}

/// Makes sure `path` exists as a private file, for stores (redb) that would otherwise create it with
/// the umask's mode.
pub fn ensure_private_file(path: &Path) -> io::Result<()> {
    private_options().create(true).append(true).open(path).map(drop)
}

/// Flushes a directory's entries (new, renamed or removed files) to disk.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Replaces `path` with `bytes` durably: a private temp file beside it, synced, renamed over, and the
/// directory synced. On any error the old file is left as it was.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    create_private_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let written = (|| {
        let mut f = private_options().create(true).truncate(true).write(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir)
}

/// Says what is wrong when `dir` is readable or writable by others than its owner.
pub fn permission_warning(dir: &Path) -> Option<String> {
    let mode = fs::metadata(dir).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "the data dir {} has mode {mode:o}: other users can read it; run `chmod 700 {}`",
            dir.display(),
            dir.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn directories_and_files_are_private_whatever_the_umask() {
        let tmp = tempfile::tempdir().unwrap();
        let nested = tmp.path().join("a/b/c");
        create_private_dir_all(&nested).unwrap();
        assert_eq!(mode(&tmp.path().join("a")), 0o700);
        assert_eq!(mode(&nested), 0o700);
        let file = nested.join("f.json");
        write_atomic(&file, b"{}").unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(fs::read(&file).unwrap(), b"{}");
        let store = nested.join("meta.redb");
        ensure_private_file(&store).unwrap();
        assert_eq!(mode(&store), 0o600);
        assert_eq!(fs::read_dir(&nested).unwrap().count(), 2, "no temp file is left behind");
    }

    #[test]
    fn a_world_readable_data_dir_gets_a_warning() {
        let tmp = tempfile::tempdir().unwrap();
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
        assert!(permission_warning(tmp.path()).unwrap().contains("chmod 700"));
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(permission_warning(tmp.path()), None);
    }
}
