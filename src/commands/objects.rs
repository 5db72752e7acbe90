//! `kinesis-console objects <stack> [--prefix P] [--since 1h] [--download DIR]`: what a pattern's
//! bucket received (key, size, records when known, age; newest last), and the objects copied out
//! decompressed on request. The SDK side is `control::objects`; this file decides and prints.

use std::io::Write as _;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use serde::Serialize;
use serde_json::json;

use super::output::emit;
use super::stack_view::table;
use crate::cli::{GlobalArgs, ObjectsArgs};
use crate::control::objects::{self, COUNT_LIMIT, Destination, ObjectInfo};
use crate::control::stacks;
use crate::paths::Paths;
use crate::target::{Target, connect};
use crate::text_format::age;

/// One object as listed.
#[derive(Debug, Serialize)]
struct Row {
    key: String,
    size: i64,
    /// Newline-delimited records after decompression; `None` for a large object not downloaded.
    records: Option<u64>,
    last_modified_ms: i64,
    age_ms: i64,
    /// Where `--download` wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    downloaded_to: Option<PathBuf>,
}

pub async fn run(args: ObjectsArgs, global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    let conn = connect(global.target(paths)).await?;
    let cfn = stacks::client(&conn.sdk);
    let firehose = aws_sdk_firehose::Client::new(&conn.sdk);
    // Path-style addressing off AWS: a local or compatible endpoint has no per-bucket host names.
    let path_style = !matches!(conn.target, Target::Aws { .. });
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conn.sdk).force_path_style(path_style).build(),
    );
    let result = async {
        let dest = objects::destination(&cfn, &firehose, &args.stack).await?;
        let listed = objects::list(&s3, &dest.bucket, args.prefix.as_deref()).await?;
        anyhow::Ok((dest, listed))
    }
    .await;
    let now = conn.now_ms().await;
    let result = match result {
        Ok((dest, listed)) => {
            let since = args.since.map(|d| now - d.as_millis() as i64);
            let listed: Vec<ObjectInfo> =
                listed.into_iter().filter(|o| since.is_none_or(|t| o.last_modified_ms >= t)).collect();
            let rows = rows(&s3, &dest, listed, args.download.as_deref(), now).await;
            rows.map(|rows| print(global, &args, &dest, &rows))
        }
        Err(e) => Err(e),
    };
    conn.close().await;
    result.map(|()| ExitCode::SUCCESS)
}

/// Reads what needs reading: every object when downloading, the small ones to count their records.
async fn rows(
    s3: &aws_sdk_s3::Client,
    dest: &Destination,
    listed: Vec<ObjectInfo>,
    download: Option<&Path>,
    now: i64,
) -> anyhow::Result<Vec<Row>> {
    if let Some(dir) = download {
        // Refuse before writing anything, so a clash leaves no half-done download behind.
        for o in &listed {
            let path = target_path(dir, objects::download_name(objects::compression_of(dest, &o.key), &o.key))?;
            if path.exists() {
                anyhow::bail!(
                    "refusing to overwrite {} (object {}); remove it or pick another --download directory",
                    path.display(),
                    o.key
                );
            }
        }
    }
    let mut rows = Vec::with_capacity(listed.len());
    for o in listed {
        let compression = objects::compression_of(dest, &o.key);
        let mut row = Row {
            key: o.key,
            size: o.size,
            records: None,
            last_modified_ms: o.last_modified_ms,
            age_ms: now - o.last_modified_ms,
            downloaded_to: None,
        };
        if download.is_none() && o.size > COUNT_LIMIT {
            rows.push(row);
            continue;
        }
        let data = objects::get(s3, &dest.bucket, &row.key).await?;
        match objects::decode(compression, &row.key, &data) {
            Ok(plain) => {
                row.records = Some(objects::count_records(&plain));
                if let Some(dir) = download {
                    let path = target_path(dir, objects::download_name(compression, &row.key))?;
                    write_new(&path, &plain)?;
                    row.downloaded_to = Some(path);
                }
            }
            Err(e) if download.is_some() => return Err(e.into()),
            Err(e) => tracing::warn!(error = %e, "counting the records of an object"),
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Where an object lands under `dir`: its key as a relative path. A key that would climb out of
/// `dir` (`..`, an absolute path) is refused: keys are whatever the bucket holds.
fn target_path(dir: &Path, key: &str) -> anyhow::Result<PathBuf> {
    let rel = Path::new(key);
    let safe = !key.is_empty() && rel.components().all(|c| matches!(c, Component::Normal(_)));
    if !safe {
        anyhow::bail!("object key {key:?} is not a safe file path; not downloading it");
    }
    Ok(dir.join(rel))
}

/// Writes a file that must not exist yet (create_new: no race with another writer either).
fn write_new(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!("refusing to overwrite {}", path.display())
        } else {
            anyhow::anyhow!("creating {}: {e}", path.display())
        }
    })?;
    file.write_all(data).with_context(|| format!("writing {}", path.display()))
}

fn print(global: &GlobalArgs, args: &ObjectsArgs, dest: &Destination, rows: &[Row]) {
    let doc = json!({
        "stack": dest.stack,
        "bucket": dest.bucket,
        "delivery_stream": dest.delivery_stream,
        "compression": dest.compression,
        "file_extension": dest.file_extension,
        "prefix": args.prefix,
        "objects": rows,
    });
    emit(global.output, &doc, || text(args, dest, rows));
}

fn text(args: &ObjectsArgs, dest: &Destination, rows: &[Row]) -> String {
    let mut head = format!("Bucket {}", dest.bucket);
    if let Some(stream) = &dest.delivery_stream {
        head.push_str(&format!(
            " (delivery stream {stream}, {})",
            dest.compression.as_deref().unwrap_or("compression unknown")
        ));
    }
    if rows.is_empty() {
        let mut what = String::from("no objects");
        if let Some(p) = &args.prefix {
            what.push_str(&format!(" under {p}"));
        }
        if let Some(since) = args.since {
            what.push_str(&format!(" in the last {}", crate::duration::describe(since)));
        }
        return format!("{head}: {what}.");
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![r.key.clone(), r.size.to_string(), r.records.map_or("-".into(), |n| n.to_string()), age(r.age_ms)]
        })
        .collect();
    let total: i64 = rows.iter().map(|r| r.size).sum();
    let mut out =
        format!("{head}\n{}\n{} objects, {total} bytes", table(&["KEY", "SIZE", "RECORDS", "AGE"], &cells), rows.len());
    if let Some(dir) = &args.download {
        out.push_str(&format!("\nDownloaded {} objects into {}, decompressed.", rows.len(), dir.display()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_climb_out_are_refused() {
        let dir = Path::new("/tmp/out");
        assert_eq!(target_path(dir, "data/year=2026/x.json").unwrap(), dir.join("data/year=2026/x.json"));
        for bad in ["../x", "/etc/passwd", "a/../../x", "", "./x"] {
            assert!(target_path(dir, bad).is_err(), "{bad}");
        }
    }
}
