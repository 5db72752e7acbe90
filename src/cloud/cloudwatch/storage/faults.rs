//! A switch that makes CloudWatch's writes under one data dir fail, as a full or broken disk would.
//! Tests flip it to prove that a failed write changes nothing a client can see and that the next
//! write after the fault clears catches up; nothing else sets it.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

/// Set while any data dir's writes fail, so the common case never takes the lock.
static ANY: AtomicBool = AtomicBool::new(false);

fn failing() -> &'static Mutex<HashSet<PathBuf>> {
    static FAILING: OnceLock<Mutex<HashSet<PathBuf>>> = OnceLock::new();
    FAILING.get_or_init(Default::default)
}

/// Makes every CloudWatch write under `data_dir` fail (`true`) or succeed again (`false`).
pub fn fail_writes(data_dir: &Path, fail: bool) {
    let mut set = failing().lock().unwrap_or_else(|p| p.into_inner());
    if fail {
        set.insert(data_dir.to_path_buf());
    } else {
        set.remove(data_dir);
    }
    ANY.store(!set.is_empty(), Ordering::SeqCst);
}

/// An error when writes to `file` were made to fail.
pub fn check(file: &Path) -> io::Result<()> {
    if !ANY.load(Ordering::SeqCst) {
        return Ok(());
    }
    let set = failing().lock().unwrap_or_else(|p| p.into_inner());
    if set.iter().any(|dir| file.starts_with(dir)) {
        return Err(io::Error::new(io::ErrorKind::StorageFull, format!("writing {}: injected fault", file.display())));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_under_a_failing_dir_fail() {
        let dir = Path::new("/tmp/kc-faults-test-a");
        fail_writes(dir, true);
        assert_eq!(check(&dir.join("cloudwatch/alarms.json")).unwrap_err().kind(), io::ErrorKind::StorageFull);
        assert!(check(Path::new("/tmp/kc-faults-test-b/cloudwatch/alarms.json")).is_ok());
        fail_writes(dir, false);
        assert!(check(&dir.join("cloudwatch/alarms.json")).is_ok());
    }
}
