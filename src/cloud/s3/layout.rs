//! Where object bodies live: `<data dir>/s3/<bucket>/<key as a path>`, plain files an operator can
//! open.
//!
//! A key is split at `/`. Each segment is escaped: bytes outside `A-Z a-z 0-9 . _ -` become `%XX`, a
//! leading `.` becomes `%2E` (no `.`, `..` or hidden names), an empty segment is a lone `%`, and a
//! segment longer than 200 bytes once escaped keeps 150 bytes plus `~` and a hash of the whole
//! (`~` is always escaped, so this cannot clash). The last segment is the object's file; every
//! segment before it is a directory named `<segment>%2F` ("segment/"), so keys `a` and `a/b` live
//! side by side as the file `a` and the file `a%2F/b`. Temporary files start with `.`, which no
//! escaped name does.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

const LONG: usize = 200;
const KEEP: usize = 150;

fn escape_segment(segment: &str) -> String {
    if segment.is_empty() {
        return "%".to_string();
    }
    let mut out = String::with_capacity(segment.len());
    for (i, b) in segment.bytes().enumerate() {
        let plain = b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || (b == b'.' && i > 0);
        if plain {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.len() > LONG {
        let hash = hex::encode(&Sha256::digest(segment.as_bytes())[..8]);
        out.truncate(KEEP);
        // Never cut an escape in half.
        while out.ends_with('%') || out[..out.len().saturating_sub(1)].ends_with('%') {
            out.pop();
        }
        out.push('~');
        out.push_str(&hash);
    }
    out
}

/// The object's file relative to its bucket's directory.
pub fn relative_path(key: &str) -> PathBuf {
    let segments: Vec<&str> = key.split('/').collect();
    let mut path = PathBuf::new();
    let last = segments.len() - 1;
    for (i, segment) in segments.iter().enumerate() {
        let name = escape_segment(segment);
        if i == last {
            path.push(name);
        } else {
            path.push(format!("{name}%2F"));
        }
    }
    path
}

pub fn bucket_dir(root: &Path, bucket: &str) -> PathBuf {
    root.join(bucket)
}

pub fn object_path(root: &Path, bucket: &str, key: &str) -> PathBuf {
    bucket_dir(root, bucket).join(relative_path(key))
}

/// Where a multipart upload keeps its parts until it completes or is aborted.
pub fn upload_dir(root: &Path, upload_id: &str) -> PathBuf {
    root.join(".uploads").join(upload_id)
}

pub fn part_path(root: &Path, upload_id: &str, number: u32) -> PathBuf {
    upload_dir(root, upload_id).join(format!("{number:05}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_and_a_key_below_it_do_not_collide() {
        assert_eq!(relative_path("a"), PathBuf::from("a"));
        assert_eq!(relative_path("a/b"), PathBuf::from("a%2F/b"));
        assert_eq!(relative_path("logs/2024/x.json.gz"), PathBuf::from("logs%2F/2024%2F/x.json.gz"));
    }

    #[test]
    fn names_that_are_not_file_names_are_escaped() {
        assert_eq!(relative_path(".."), PathBuf::from("%2E."));
        assert_eq!(relative_path("./x"), PathBuf::from("%2E%2F/x"));
        assert_eq!(relative_path("a//b"), PathBuf::from("a%2F/%%2F/b"));
        assert_eq!(relative_path("dir/"), PathBuf::from("dir%2F/%"));
        assert_eq!(relative_path("é ~%"), PathBuf::from("%C3%A9%20%7E%25"));
        let long = "x".repeat(1000);
        let p = relative_path(&long);
        let name = p.to_str().unwrap();
        assert!(name.len() < 255 && name.contains('~'), "{name}");
        assert_ne!(relative_path(&"x".repeat(999)), p);
    }
}
