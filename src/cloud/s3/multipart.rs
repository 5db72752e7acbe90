//! Multipart upload: CreateMultipartUpload, UploadPart, ListParts, AbortMultipartUpload and
//! CompleteMultipartUpload (every part but the last at least 5 MiB; the ETag is the MD5 of the
//! parts' binary MD5s plus `-<parts>`; a checksum is COMPOSITE, or FULL_OBJECT for CRC64NVME).

use std::fs;
use std::io::Write;

use http::StatusCode;

use super::meta::{self, Batch, ObjectMeta, PartMeta, UploadMeta};
use super::reply::{self, Reply};
use super::request::S3Request;
use super::store::{Store, meta_error};
use super::{checksum, errors, layout, xml_in};
use crate::cloud::error::ApiError;
use crate::cloud::files;

/// Every part but the last must be at least this large.
pub const MIN_PART_BYTES: u64 = 5 * 1024 * 1024;
const MAX_PART_NUMBER: u32 = 10_000;

fn upload(store: &Store, req: &S3Request) -> Result<(String, UploadMeta), ApiError> {
    let id = req.param("uploadId").unwrap_or("").to_string();
    let found: Option<UploadMeta> = store.meta.get(meta::UPLOADS, &id).map_err(meta_error)?;
    match found {
        Some(u) if Some(u.bucket.as_str()) == req.bucket.as_deref() && Some(u.key.as_str()) == req.key.as_deref() => {
            Ok((id, u))
        }
        _ => {
            store.bucket(req.bucket()?)?;
            Err(errors::no_such_upload())
        }
    }
}

fn parts(store: &Store, id: &str) -> Result<Vec<PartMeta>, ApiError> {
    Ok(store
        .meta
        .scan(meta::PARTS, &format!("{id}/"), None, usize::MAX)
        .map_err(meta_error)?
        .into_iter()
        .map(|(_, p)| p)
        .collect())
}

pub fn create(store: &Store, req: &S3Request, now_ms: u64) -> Result<Reply, ApiError> {
    let (bucket, key) = (req.bucket()?, req.key()?);
    super::names::validate_key(key)?;
    store.bucket(bucket)?;
    let algorithm = req.header("x-amz-checksum-algorithm").map(checksum::normalize).transpose()?;
    let id = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let upload = UploadMeta {
        bucket: bucket.to_string(),
        key: key.to_string(),
        initiated_ms: now_ms,
        content_type: req.header("content-type").unwrap_or("binary/octet-stream").to_string(),
        user_meta: req.user_meta(),
        checksum_algorithm: algorithm.clone(),
    };
    let dir = layout::upload_dir(&store.root, &id);
    files::create_private_dir_all(&dir).map_err(|e| errors::internal(format!("creating {}: {e}", dir.display())))?;
    let mut batch = Batch::default();
    batch.put(meta::UPLOADS, id.clone(), &upload);
    store.meta.commit(batch).map_err(meta_error)?;
    let mut r = reply::xml("InitiateMultipartUploadResult", |w| {
        w.elem("Bucket", bucket).elem("Key", key).elem("UploadId", &id);
    });
    if let Some(alg) = algorithm {
        reply::set(&mut r, "x-amz-checksum-algorithm", &alg);
        reply::set(&mut r, "x-amz-checksum-type", if alg == "CRC64NVME" { "FULL_OBJECT" } else { "COMPOSITE" });
    }
    Ok(r)
}

fn part_number(req: &S3Request) -> Result<u32, ApiError> {
    req.param("partNumber")
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| (1..=MAX_PART_NUMBER).contains(n))
        .ok_or_else(|| errors::invalid_argument("Part number must be an integer between 1 and 10000, inclusive"))
}

pub fn upload_part(store: &Store, req: &S3Request, now_ms: u64) -> Result<Reply, ApiError> {
    let number = part_number(req)?;
    let (id, upload) = upload(store, req)?;
    let mut payload = req.payload()?;
    if payload.checksum.is_none()
        && let Some(alg) = &upload.checksum_algorithm
    {
        payload.checksum = Some((alg.clone(), checksum::base64(&checksum::digest(alg, &[&payload.data]))));
    }
    let part = PartMeta {
        number,
        size: payload.data.len() as u64,
        etag: checksum::etag(&payload.data),
        last_modified_ms: now_ms,
        checksum: payload.checksum,
    };
    let path = layout::part_path(&store.root, &id, number);
    files::write_atomic(&path, &payload.data)
        .map_err(|e| errors::internal(format!("writing {}: {e}", path.display())))?;
    let mut batch = Batch::default();
    batch.put(meta::PARTS, meta::part_id(&id, number), &part);
    store.meta.commit(batch).map_err(meta_error)?;
    let mut r = reply::empty(StatusCode::OK);
    reply::set(&mut r, "etag", &part.etag);
    if let Some((alg, value)) = &part.checksum {
        reply::set(&mut r, &checksum::header_name(alg), value);
    }
    Ok(r)
}

pub fn list_parts(store: &Store, req: &S3Request) -> Result<Reply, ApiError> {
    let (id, upload) = upload(store, req)?;
    let marker: u32 = req.param("part-number-marker").and_then(|m| m.parse().ok()).unwrap_or(0);
    let max: usize = req.param("max-parts").and_then(|m| m.parse().ok()).unwrap_or(1000).min(1000);
    let all: Vec<PartMeta> = parts(store, &id)?.into_iter().filter(|p| p.number > marker).collect();
    let truncated = all.len() > max;
    let page = &all[..all.len().min(max)];
    Ok(reply::xml("ListPartsResult", |w| {
        w.elem("Bucket", &upload.bucket).elem("Key", &upload.key).elem("UploadId", &id);
        w.elem("PartNumberMarker", marker);
        if let Some(last) = page.last() {
            w.elem("NextPartNumberMarker", last.number);
        }
        w.elem("MaxParts", max).elem("IsTruncated", truncated);
        w.opt("ChecksumAlgorithm", upload.checksum_algorithm.as_ref());
        for p in page {
            w.nest("Part", |w| {
                w.elem("PartNumber", p.number)
                    .elem("LastModified", reply::iso(p.last_modified_ms))
                    .elem("ETag", &p.etag);
                if let Some((alg, value)) = &p.checksum {
                    w.elem(&format!("Checksum{alg}"), value);
                }
                w.elem("Size", p.size);
            });
        }
        w.elem("StorageClass", "STANDARD");
    }))
}

fn forget(batch: &mut Batch, id: &str, parts: &[PartMeta]) {
    for p in parts {
        batch.remove(meta::PARTS, meta::part_id(id, p.number));
    }
    batch.remove(meta::UPLOADS, id.to_string());
}

pub fn abort(store: &Store, req: &S3Request) -> Result<Reply, ApiError> {
    let (id, _) = upload(store, req)?;
    let mut batch = Batch::default();
    forget(&mut batch, &id, &parts(store, &id)?);
    store.meta.commit(batch).map_err(meta_error)?;
    let _ = fs::remove_dir_all(layout::upload_dir(&store.root, &id));
    Ok(reply::empty(StatusCode::NO_CONTENT))
}

/// The parts a CompleteMultipartUpload names, checked against those uploaded.
fn chosen_parts(req: &S3Request, uploaded: &[PartMeta]) -> Result<Vec<PartMeta>, ApiError> {
    let payload = req.payload()?;
    let doc = xml_in::parse(&payload.data)?;
    if doc.name != "CompleteMultipartUpload" {
        return Err(errors::malformed_xml());
    }
    let mut chosen: Vec<PartMeta> = Vec::new();
    for p in doc.all("Part") {
        let number: u32 = p.text_of("PartNumber").and_then(|n| n.parse().ok()).ok_or_else(errors::malformed_xml)?;
        if chosen.last().is_some_and(|last| last.number >= number) {
            return Err(errors::invalid_part_order());
        }
        let etag = p.text_of("ETag").unwrap_or("");
        let part = uploaded.iter().find(|u| u.number == number).ok_or_else(errors::invalid_part)?;
        if part.etag.trim_matches('"') != etag.trim_matches('"') {
            return Err(errors::invalid_part());
        }
        chosen.push(part.clone());
    }
    if chosen.is_empty() {
        return Err(errors::malformed_xml());
    }
    if chosen[..chosen.len() - 1].iter().any(|p| p.size < MIN_PART_BYTES) {
        return Err(errors::entity_too_small());
    }
    Ok(chosen)
}

pub fn complete(store: &Store, req: &S3Request, endpoint: &str, now_ms: u64) -> Result<Reply, ApiError> {
    let (id, upload) = upload(store, req)?;
    let uploaded = parts(store, &id)?;
    let chosen = chosen_parts(req, &uploaded)?;
    let etags: Vec<String> = chosen.iter().map(|p| p.etag.clone()).collect();
    let paths: Vec<_> = chosen.iter().map(|p| layout::part_path(&store.root, &id, p.number)).collect();
    let (checksum, checksum_type) = match &upload.checksum_algorithm {
        Some(alg) if alg == "CRC64NVME" => {
            let mut datas = Vec::new();
            for path in &paths {
                datas.push(fs::read(path).map_err(|e| errors::internal(format!("reading {}: {e}", path.display())))?);
            }
            let refs: Vec<&[u8]> = datas.iter().map(Vec::as_slice).collect();
            (Some((alg.clone(), checksum::base64(&checksum::digest(alg, &refs)))), Some("FULL_OBJECT".to_string()))
        }
        Some(alg) => {
            use base64::Engine as _;
            let raw: Vec<Vec<u8>> = chosen
                .iter()
                .filter_map(|p| p.checksum.as_ref())
                .filter_map(|(_, v)| base64::engine::general_purpose::STANDARD.decode(v).ok())
                .collect();
            let refs: Vec<&[u8]> = raw.iter().map(Vec::as_slice).collect();
            let value = format!("{}-{}", checksum::base64(&checksum::digest(alg, &refs)), chosen.len());
            (Some((alg.clone(), value)), Some("COMPOSITE".to_string()))
        }
        None => (None, None),
    };
    let object = ObjectMeta {
        size: chosen.iter().map(|p| p.size).sum(),
        etag: checksum::multipart_etag(&etags),
        content_type: upload.content_type.clone(),
        last_modified_ms: now_ms,
        user_meta: upload.user_meta.clone(),
        checksum,
        checksum_type,
        parts: Some(chosen.len() as u32),
    };
    let mut batch = Batch::default();
    forget(&mut batch, &id, &uploaded);
    let stored = store.install(&upload.bucket, &upload.key, object, batch, |out| {
        for path in &paths {
            let mut part = fs::File::open(path)?;
            std::io::copy(&mut part, out)?;
        }
        out.flush()
    })?;
    let _ = fs::remove_dir_all(layout::upload_dir(&store.root, &id));
    Ok(reply::xml("CompleteMultipartUploadResult", |w| {
        w.elem("Location", format!("{endpoint}/{}/{}", upload.bucket, upload.key))
            .elem("Bucket", &upload.bucket)
            .elem("Key", &upload.key)
            .elem("ETag", &stored.etag);
        if let Some((alg, value)) = &stored.checksum {
            w.elem(&format!("Checksum{alg}"), value);
        }
        w.opt("ChecksumType", stored.checksum_type.as_ref());
    }))
}
