//! The local S3's state: bucket and object metadata in redb (`meta.rs`), bodies as plain files
//! (`layout.rs`). Every operation is synchronous (the service runs it on a blocking thread) and
//! follows one order: body to a temp file and synced, renamed into place and the directory synced,
//! then the metadata committed; when the commit fails the previous file is put back, so a failed
//! write changes nothing.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::errors;
use super::layout;
use super::meta::{self, Batch, BucketMeta, MetaError, MetaStore, ObjectMeta};
use crate::cloud::error::ApiError;
use crate::cloud::files;

pub struct Store {
    pub root: PathBuf,
    pub meta: Arc<MetaStore>,
    /// Serialises changes, so a check (bucket empty, bucket exists) holds until its change commits.
    writes: Mutex<()>,
}

/// What a new object is made of, besides its bytes.
#[derive(Debug, Clone, Default)]
pub struct NewObject {
    pub content_type: Option<String>,
    pub user_meta: Vec<(String, String)>,
    pub checksum: Option<(String, String)>,
}

pub fn meta_error(e: MetaError) -> ApiError {
    errors::internal(e)
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> ApiError {
    errors::internal(format!("{what} {}: {e}", path.display()))
}

impl Store {
    pub fn open(root: PathBuf) -> Result<Store, MetaError> {
        let meta = MetaStore::shared(&root)?;
        let store = Store { root, meta, writes: Mutex::new(()) };
        store.remove_temp_files();
        Ok(store)
    }

    /// Temp files a crash left behind (they were never acknowledged).
    fn remove_temp_files(&self) {
        fn walk(dir: &Path, depth: usize) {
            let Ok(entries) = fs::read_dir(dir) else { return };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = entry.path();
                if name.starts_with(".tmp-") {
                    let _ = fs::remove_file(&path);
                } else if path.is_dir() && depth < 64 {
                    walk(&path, depth + 1);
                }
            }
        }
        walk(&self.root, 0);
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.writes.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn bucket(&self, name: &str) -> Result<BucketMeta, ApiError> {
        self.meta.get(meta::BUCKETS, name).map_err(meta_error)?.ok_or_else(errors::no_such_bucket)
    }

    pub fn buckets(&self) -> Result<Vec<BucketMeta>, ApiError> {
        Ok(self
            .meta
            .scan(meta::BUCKETS, "", None, usize::MAX)
            .map_err(meta_error)?
            .into_iter()
            .map(|(_, b)| b)
            .collect())
    }

    /// Creates a bucket; `Ok(false)` when it already existed (the caller decides what S3 answers).
    pub fn create_bucket(&self, bucket: BucketMeta) -> Result<bool, ApiError> {
        super::names::validate_bucket(&bucket.name)?;
        let _w = self.lock();
        if self.meta.get::<BucketMeta>(meta::BUCKETS, &bucket.name).map_err(meta_error)?.is_some() {
            return Ok(false);
        }
        let dir = layout::bucket_dir(&self.root, &bucket.name);
        files::create_private_dir_all(&dir).map_err(|e| io_error("creating", &dir, e))?;
        let mut batch = Batch::default();
        batch.put(meta::BUCKETS, bucket.name.clone(), &bucket);
        self.meta.commit(batch).map_err(meta_error)?;
        Ok(true)
    }

    /// Changes a bucket's configuration with `change`, built on a copy and committed.
    pub fn update_bucket(
        &self,
        name: &str,
        change: impl FnOnce(&mut BucketMeta) -> Result<(), ApiError>,
    ) -> Result<BucketMeta, ApiError> {
        let _w = self.lock();
        let mut bucket = self.bucket(name)?;
        change(&mut bucket)?;
        let mut batch = Batch::default();
        batch.put(meta::BUCKETS, name.to_string(), &bucket);
        self.meta.commit(batch).map_err(meta_error)?;
        Ok(bucket)
    }

    pub fn is_empty(&self, bucket: &str) -> Result<bool, ApiError> {
        let prefix = meta::object_id(bucket, "");
        Ok(self.meta.scan::<ObjectMeta>(meta::OBJECTS, &prefix, None, 1).map_err(meta_error)?.is_empty())
    }

    /// Deletes an empty bucket (`BucketNotEmpty` otherwise) and any uploads left in it.
    pub fn delete_bucket(&self, name: &str) -> Result<(), ApiError> {
        let _w = self.lock();
        self.bucket(name)?;
        if !self.is_empty(name)? {
            return Err(errors::bucket_not_empty());
        }
        let uploads: Vec<(String, meta::UploadMeta)> =
            self.meta.scan(meta::UPLOADS, "", None, usize::MAX).map_err(meta_error)?;
        let mut batch = Batch::default();
        batch.remove(meta::BUCKETS, name.to_string());
        let mut dropped = Vec::new();
        for (id, _) in uploads.into_iter().filter(|(_, u)| u.bucket == name) {
            for (part, _) in self
                .meta
                .scan::<meta::PartMeta>(meta::PARTS, &format!("{id}/"), None, usize::MAX)
                .map_err(meta_error)?
            {
                batch.remove(meta::PARTS, part);
            }
            batch.remove(meta::UPLOADS, id.clone());
            dropped.push(id);
        }
        self.meta.commit(batch).map_err(meta_error)?;
        let _ = fs::remove_dir_all(layout::bucket_dir(&self.root, name));
        for id in dropped {
            let _ = fs::remove_dir_all(layout::upload_dir(&self.root, &id));
        }
        Ok(())
    }

    pub fn object(&self, bucket: &str, key: &str) -> Result<ObjectMeta, ApiError> {
        self.bucket(bucket)?;
        self.meta.get(meta::OBJECTS, &meta::object_id(bucket, key)).map_err(meta_error)?.ok_or_else(errors::no_such_key)
    }

    /// `len` bytes of the object's file from `start`; a file whose length disagrees with its
    /// metadata is an internal error naming it, never wrong bytes.
    pub fn read(
        &self,
        bucket: &str,
        key: &str,
        object: &ObjectMeta,
        start: u64,
        len: u64,
    ) -> Result<Vec<u8>, ApiError> {
        let path = layout::object_path(&self.root, bucket, key);
        let mut file = fs::File::open(&path).map_err(|e| io_error("opening", &path, e))?;
        let actual = file.metadata().map_err(|e| io_error("reading", &path, e))?.len();
        if actual != object.size {
            return Err(errors::internal(format!(
                "{} holds {actual} bytes where its metadata says {}",
                path.display(),
                object.size
            )));
        }
        file.seek(SeekFrom::Start(start)).map_err(|e| io_error("reading", &path, e))?;
        let mut out = vec![0; len as usize];
        file.read_exact(&mut out).map_err(|e| io_error("reading", &path, e))?;
        Ok(out)
    }

    /// Writes an object durably, then commits its metadata together with `extra` changes (an
    /// upload's removal). Returns the stored metadata.
    pub fn put_object(
        &self,
        bucket: &str,
        key: &str,
        data: &[u8],
        new: NewObject,
        now_ms: u64,
    ) -> Result<ObjectMeta, ApiError> {
        let object = ObjectMeta {
            size: data.len() as u64,
            etag: super::checksum::etag(data),
            content_type: new.content_type.unwrap_or_else(|| "binary/octet-stream".to_string()),
            last_modified_ms: now_ms,
            user_meta: new.user_meta,
            checksum: new.checksum,
            checksum_type: None,
            parts: None,
        };
        let object =
            ObjectMeta { checksum_type: object.checksum.as_ref().map(|_| "FULL_OBJECT".to_string()), ..object };
        self.install(bucket, key, object, Batch::default(), |f| f.write_all(data))
    }

    /// The one write path: `fill` writes the body to a temp file, which is synced, renamed over the
    /// object's file, the directory synced, and the metadata committed with `batch`. A failed
    /// commit restores the previous file.
    pub fn install(
        &self,
        bucket: &str,
        key: &str,
        object: ObjectMeta,
        mut batch: Batch,
        fill: impl FnOnce(&mut fs::File) -> std::io::Result<()>,
    ) -> Result<ObjectMeta, ApiError> {
        super::names::validate_key(key)?;
        let _w = self.lock();
        self.bucket(bucket)?;
        let path = layout::object_path(&self.root, bucket, key);
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_else(|| self.root.clone());
        files::create_private_dir_all(&dir).map_err(|e| io_error("creating", &dir, e))?;
        let id = uuid::Uuid::new_v4().simple().to_string();
        let tmp = dir.join(format!(".tmp-{id}"));
        let backup = dir.join(format!(".tmp-old-{id}"));
        let written = (|| {
            let mut f = files::private_options().create_new(true).write(true).open(&tmp)?;
            fill(&mut f)?;
            f.sync_all()?;
            if path.exists() {
                fs::hard_link(&path, &backup)?;
            }
            fs::rename(&tmp, &path)?;
            files::sync_dir(&dir)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            let _ = fs::remove_file(&backup);
            return Err(io_error("writing", &path, e));
        }
        batch.put(meta::OBJECTS, meta::object_id(bucket, key), &object);
        if let Err(e) = self.meta.commit(batch) {
            let restored = if backup.exists() { fs::rename(&backup, &path) } else { fs::remove_file(&path) };
            if let Err(r) = restored {
                tracing::error!(path = %path.display(), error = %r, "could not restore an object after a failed metadata write");
            }
            let _ = files::sync_dir(&dir);
            return Err(meta_error(e));
        }
        let _ = fs::remove_file(&backup);
        Ok(object)
    }

    /// Deletes an object (deleting a missing key succeeds, as in S3).
    pub fn delete_object(&self, bucket: &str, key: &str) -> Result<(), ApiError> {
        let _w = self.lock();
        self.bucket(bucket)?;
        let id = meta::object_id(bucket, key);
        if self.meta.get::<ObjectMeta>(meta::OBJECTS, &id).map_err(meta_error)?.is_none() {
            return Ok(());
        }
        let mut batch = Batch::default();
        batch.remove(meta::OBJECTS, id);
        self.meta.commit(batch).map_err(meta_error)?;
        let path = layout::object_path(&self.root, bucket, key);
        if let Err(e) = fs::remove_file(&path) {
            tracing::warn!(path = %path.display(), error = %e, "a deleted object's file could not be removed");
        }
        // Directories the key's prefixes made go when they empty (remove_dir refuses a full one).
        let top = layout::bucket_dir(&self.root, bucket);
        let mut dir = path.parent();
        while let Some(d) = dir.filter(|d| *d != top && d.starts_with(&top)) {
            if fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
        Ok(())
    }

    /// Objects of `bucket` whose keys start with `prefix`, after `after`, at most `limit`.
    pub fn list(
        &self,
        bucket: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, ObjectMeta)>, ApiError> {
        let id_prefix = meta::object_id(bucket, prefix);
        let after = after.map(|a| meta::object_id(bucket, a));
        let rows = self.meta.scan(meta::OBJECTS, &id_prefix, after.as_deref(), limit).map_err(meta_error)?;
        let strip = bucket.len() + 1;
        Ok(rows.into_iter().map(|(id, o)| (id[strip..].to_string(), o)).collect())
    }

    /// Drops everything (admin reset).
    pub fn clear(&self) -> Result<(), ApiError> {
        let _w = self.lock();
        self.meta.clear().map_err(meta_error)?;
        if let Ok(entries) = fs::read_dir(&self.root) {
            for entry in entries.flatten() {
                if entry.path().is_dir() {
                    let _ = fs::remove_dir_all(entry.path());
                }
            }
        }
        Ok(())
    }
}
