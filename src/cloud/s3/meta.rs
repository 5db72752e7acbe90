//! S3 metadata in redb under `<data dir>/s3/meta.redb`: buckets, objects (ETag, checksums, content
//! type, user metadata, size), multipart uploads and their parts, one JSON document each, with the
//! on-disk format version beside them. Object bodies are plain files (`layout.rs`).
//!
//! redb refuses every operation after an I/O error, so a failed write closes the database and the
//! next operation reopens it: a full disk refuses what is written while it is full, nothing more.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use redb::{Database, ReadableTable, TableDefinition};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::cloud::files;

/// Version of the S3 on-disk layout (metadata documents and object file names).
pub const FORMAT_VERSION: u64 = 1;

const FORMAT: TableDefinition<&str, u64> = TableDefinition::new("format");
pub const BUCKETS: TableDefinition<&str, &[u8]> = TableDefinition::new("buckets");
/// Keyed `<bucket>/<key>`: a bucket name holds no `/`, so one bucket's objects are one key range.
pub const OBJECTS: TableDefinition<&str, &[u8]> = TableDefinition::new("objects");
pub const UPLOADS: TableDefinition<&str, &[u8]> = TableDefinition::new("uploads");
/// Keyed `<upload id>/<part number, 5 digits>`, so an upload's parts are one range in order.
pub const PARTS: TableDefinition<&str, &[u8]> = TableDefinition::new("parts");

#[derive(Debug, thiserror::Error)]
#[error("s3 metadata in {path}: {detail}")]
pub struct MetaError {
    pub path: String,
    pub detail: String,
}

/// A bucket's stored configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct BucketMeta {
    pub name: String,
    pub region: String,
    pub created_ms: u64,
    #[serde(default)]
    pub policy: Option<String>,
    /// The `ServerSideEncryptionConfiguration` XML; `None` is S3's default (SSE-S3, AES256).
    #[serde(default)]
    pub encryption: Option<Encryption>,
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    /// Configurations CloudFormation sets that the local S3 stores but does not act on
    /// (versioning, public access block, lifecycle, ownership controls, logging), as given.
    #[serde(default)]
    pub stored: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Encryption {
    pub algorithm: String,
    pub kms_key_id: Option<String>,
    pub bucket_key_enabled: bool,
}

/// One object's metadata; its body is the file `layout::object_path` names.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ObjectMeta {
    pub size: u64,
    /// With its quotes, as S3 returns it.
    pub etag: String,
    pub content_type: String,
    pub last_modified_ms: u64,
    #[serde(default)]
    pub user_meta: Vec<(String, String)>,
    /// Algorithm (`CRC32`, …) and base64 value; a multipart object's is `<value>-<parts>`.
    #[serde(default)]
    pub checksum: Option<(String, String)>,
    /// `FULL_OBJECT` or `COMPOSITE`.
    #[serde(default)]
    pub checksum_type: Option<String>,
    #[serde(default)]
    pub parts: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UploadMeta {
    pub bucket: String,
    pub key: String,
    pub initiated_ms: u64,
    pub content_type: String,
    pub user_meta: Vec<(String, String)>,
    pub checksum_algorithm: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PartMeta {
    pub number: u32,
    pub size: u64,
    pub etag: String,
    pub last_modified_ms: u64,
    pub checksum: Option<(String, String)>,
}

pub struct MetaStore {
    path: PathBuf,
    db: Mutex<Option<Database>>,
}

/// Stores open in this process: a cloud restarted in-process reuses the database its stopped
/// predecessor may still hold (redb allows one open handle per file).
static OPEN: Mutex<Option<HashMap<PathBuf, Weak<MetaStore>>>> = Mutex::new(None);

pub fn object_id(bucket: &str, key: &str) -> String {
    format!("{bucket}/{key}")
}

pub fn part_id(upload: &str, number: u32) -> String {
    format!("{upload}/{number:05}")
}

/// A table of JSON documents keyed by text.
pub type Table = TableDefinition<'static, &'static str, &'static [u8]>;

/// One write transaction's changes, applied together or not at all.
#[derive(Default)]
pub struct Batch {
    puts: Vec<(Table, String, Vec<u8>)>,
    removes: Vec<(Table, String)>,
}

impl Batch {
    pub fn put<T: Serialize>(&mut self, table: Table, key: String, doc: &T) {
        let bytes = serde_json::to_vec(doc).unwrap_or_default();
        self.puts.push((table, key, bytes));
    }

    pub fn remove(&mut self, table: Table, key: String) {
        self.removes.push((table, key));
    }
}

impl MetaStore {
    pub fn shared(dir: &Path) -> Result<Arc<MetaStore>, MetaError> {
        let mut open = OPEN.lock().unwrap_or_else(|p| p.into_inner());
        let map = open.get_or_insert_with(HashMap::new);
        map.retain(|_, w| w.strong_count() > 0);
        if let Some(store) = map.get(dir).and_then(Weak::upgrade) {
            return Ok(store);
        }
        let store = Arc::new(MetaStore::open(dir)?);
        map.insert(dir.to_path_buf(), Arc::downgrade(&store));
        Ok(store)
    }

    fn open(dir: &Path) -> Result<MetaStore, MetaError> {
        let store = MetaStore { path: dir.join("meta.redb"), db: Mutex::new(None) };
        files::create_private_dir_all(dir).map_err(|e| store.err(format!("creating {}: {e}", dir.display())))?;
        files::ensure_private_file(&store.path).map_err(|e| store.err(e))?;
        store.check_version()?;
        Ok(store)
    }

    fn err(&self, detail: impl std::fmt::Display) -> MetaError {
        MetaError { path: self.path.display().to_string(), detail: detail.to_string() }
    }

    fn with_db<T>(&self, f: impl FnOnce(&Database) -> Result<T, MetaError>) -> Result<T, MetaError> {
        let mut guard = self.db.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            let mut builder = Database::builder();
            builder.set_cache_size(4 * 1024 * 1024);
            *guard = Some(builder.create(&self.path).map_err(|e| self.err(e))?);
        }
        let Some(db) = guard.as_ref() else { return Err(self.err("the database is not open")) };
        let out = f(db);
        if out.is_err() {
            *guard = None;
        }
        out
    }

    fn check_version(&self) -> Result<(), MetaError> {
        self.with_db(|db| {
            let tx = db.begin_write().map_err(|e| self.err(e))?;
            {
                let mut t = tx.open_table(FORMAT).map_err(|e| self.err(e))?;
                let found = t.get("version").map_err(|e| self.err(e))?.map(|v| v.value());
                match found {
                    Some(v) if v != FORMAT_VERSION => {
                        return Err(self.err(format!("format version {v}; this build reads version {FORMAT_VERSION}")));
                    }
                    Some(_) => {}
                    None => {
                        t.insert("version", FORMAT_VERSION).map_err(|e| self.err(e))?;
                    }
                }
                for table in [BUCKETS, OBJECTS, UPLOADS, PARTS] {
                    tx.open_table(table).map_err(|e| self.err(e))?;
                }
            }
            tx.commit().map_err(|e| self.err(e))
        })
    }

    pub fn get<T: DeserializeOwned>(&self, table: Table, key: &str) -> Result<Option<T>, MetaError> {
        self.with_db(|db| {
            let tx = db.begin_read().map_err(|e| self.err(e))?;
            let t = tx.open_table(table).map_err(|e| self.err(e))?;
            let Some(v) = t.get(key).map_err(|e| self.err(e))? else { return Ok(None) };
            serde_json::from_slice(v.value()).map(Some).map_err(|e| self.err(format!("{key}: {e}")))
        })
    }

    /// Up to `limit` documents whose keys start with `prefix`, from the first key after `after`.
    pub fn scan<T: DeserializeOwned>(
        &self,
        table: Table,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, T)>, MetaError> {
        self.with_db(|db| {
            let tx = db.begin_read().map_err(|e| self.err(e))?;
            let t = tx.open_table(table).map_err(|e| self.err(e))?;
            let start = match after {
                Some(a) if a >= prefix => a,
                _ => prefix,
            };
            let mut out = Vec::new();
            for row in t.range(start..).map_err(|e| self.err(e))? {
                let (k, v) = row.map_err(|e| self.err(e))?;
                let key = k.value();
                if !key.starts_with(prefix) || out.len() >= limit {
                    break;
                }
                if after == Some(key) {
                    continue;
                }
                let doc = serde_json::from_slice(v.value()).map_err(|e| self.err(format!("{key}: {e}")))?;
                out.push((key.to_string(), doc));
            }
            Ok(out)
        })
    }

    pub fn commit(&self, batch: Batch) -> Result<(), MetaError> {
        self.with_db(|db| {
            let tx = db.begin_write().map_err(|e| self.err(e))?;
            for (table, key, doc) in &batch.puts {
                let mut t = tx.open_table(*table).map_err(|e| self.err(e))?;
                t.insert(key.as_str(), doc.as_slice()).map_err(|e| self.err(format!("writing {key}: {e}")))?;
            }
            for (table, key) in &batch.removes {
                let mut t = tx.open_table(*table).map_err(|e| self.err(e))?;
                t.remove(key.as_str()).map_err(|e| self.err(format!("removing {key}: {e}")))?;
            }
            tx.commit().map_err(|e| self.err(format!("committing: {e}")))
        })
    }

    /// Drops every table's contents (admin reset).
    pub fn clear(&self) -> Result<(), MetaError> {
        self.with_db(|db| {
            let tx = db.begin_write().map_err(|e| self.err(e))?;
            for table in [BUCKETS, OBJECTS, UPLOADS, PARTS] {
                tx.delete_table(table).map_err(|e| self.err(e))?;
                tx.open_table(table).map_err(|e| self.err(e))?;
            }
            tx.commit().map_err(|e| self.err(e))
        })
    }
}
