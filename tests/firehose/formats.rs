//! Every compression format Firehose writes, opened by a decoder that is not the crate that wrote it:
//! `gzip -d`, `unzip` and Python's `gzip`/`zipfile` for GZIP and ZIP; for Snappy and HADOOP_SNAPPY a
//! reference decoder written here from the format specifications (snappy's format_description.txt and
//! framing_format.txt, Hadoop's BlockCompressorStream), checked first against hand-built vectors.

use std::path::Path;
use std::process::Command;

use kinesis_console::cloud::firehose::format::compression::Compression;

/// Newline-separated JSON records, about 1 KiB each, as a pipeline delivers them.
fn records(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 1024);
    for i in 0..n {
        let pad = "x".repeat(960 + i % 50);
        out.extend_from_slice(format!("{{\"id\":{i},\"user\":\"user-{}\",\"pad\":\"{pad}\"}}\n", i % 97).as_bytes());
    }
    out
}

fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("kinesis-console-formats-").tempdir().expect("temp dir")
}

/// Runs a tool; None (and a printed notice) when it is not installed.
fn run(tool: &str, args: &[&str], dir: &Path) -> Option<Vec<u8>> {
    let out = match Command::new(tool).args(args).current_dir(dir).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("skipped: `{tool}` is not installed");
            return None;
        }
        Err(e) => panic!("{tool}: {e}"),
    };
    assert!(out.status.success(), "{tool} {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    Some(out.stdout)
}

#[test]
fn gzip_opens_with_gzip_d_and_python() {
    let data = records(3000);
    let packed = Compression::Gzip.compress(&data, "unused").unwrap();
    assert!(packed.len() < data.len() / 4, "JSON compresses");
    let dir = scratch();
    std::fs::write(dir.path().join("obj.gz"), &packed).unwrap();
    if let Some(out) = run("gzip", &["-dc", "obj.gz"], dir.path()) {
        assert_eq!(out, data);
    }
    let py = "import gzip,sys; sys.stdout.buffer.write(gzip.open('obj.gz').read())";
    if let Some(out) = run("python3", &["-c", py], dir.path()) {
        assert_eq!(out, data);
    }
}

#[test]
fn zip_opens_with_unzip_and_python() {
    let data = records(3000);
    let name = "orders-1-2026-11-29-00-00-00-3f0c";
    let packed = Compression::Zip.compress(&data, name).unwrap();
    let dir = scratch();
    std::fs::write(dir.path().join("obj.zip"), &packed).unwrap();
    if let Some(listing) = run("unzip", &["-Z1", "obj.zip"], dir.path()) {
        assert_eq!(String::from_utf8_lossy(&listing).trim(), name);
    }
    if let Some(out) = run("unzip", &["-p", "obj.zip"], dir.path()) {
        assert_eq!(out, data);
    }
    let py = "import zipfile,sys; z=zipfile.ZipFile('obj.zip'); assert z.testzip() is None; \
              assert len(z.namelist())==1; sys.stdout.buffer.write(z.read(z.namelist()[0]))";
    if let Some(out) = run("python3", &["-c", py], dir.path()) {
        assert_eq!(out, data);
    }
}

#[test]
fn snappy_is_the_framing_format_a_reference_reader_opens() {
    let data = records(3000);
    let packed = Compression::Snappy.compress(&data, "unused").unwrap();
    assert!(packed.len() < data.len() / 2, "JSON compresses");
    assert_eq!(reference::framed(&packed).unwrap(), data);
}

#[test]
fn hadoop_snappy_is_hadoop_block_format_a_reference_reader_opens() {
    let data = records(3000); // about 3 MB: several Hadoop blocks
    let packed = Compression::HadoopSnappy.compress(&data, "unused").unwrap();
    let (out, blocks) = reference::hadoop(&packed).unwrap();
    assert_eq!(out, data);
    assert!(blocks > 1, "{blocks} blocks");
}

#[test]
fn uncompressed_is_the_bytes_themselves() {
    let data = records(10);
    assert_eq!(Compression::Uncompressed.compress(&data, "x").unwrap(), data);
}

#[test]
fn reference_decoders_pass_known_vectors() {
    // CRC-32C check value from RFC 3720 / the Castagnoli catalogue.
    assert_eq!(reference::crc32c(b"123456789"), 0xE306_9283);
    // "abcabcabcabc": preamble 12, a 3-byte literal, then a copy of 9 bytes at offset 3 (1-byte offset form).
    let raw = [0x0c, 0x08, b'a', b'b', b'c', 0x15, 0x03];
    assert_eq!(reference::raw(&raw).unwrap(), b"abcabcabcabc");
    // The same with a 2-byte-offset copy (tag 0b10): length 9 → (9-1)<<2 | 2.
    let raw = [0x0c, 0x08, b'a', b'b', b'c', (8 << 2) | 2, 0x03, 0x00];
    assert_eq!(reference::raw(&raw).unwrap(), b"abcabcabcabc");
    // A framed stream: identifier, then one uncompressed chunk (type 1) with the data's masked CRC.
    let mut framed = b"\xff\x06\x00\x00sNaPpY".to_vec();
    let body = b"hi";
    let crc = reference::mask(reference::crc32c(body)).to_le_bytes();
    framed.extend_from_slice(&[0x01, 6, 0, 0]);
    framed.extend_from_slice(&crc);
    framed.extend_from_slice(body);
    assert_eq!(reference::framed(&framed).unwrap(), b"hi");
    framed[14] ^= 1; // CRC byte
    assert!(reference::framed(&framed).is_err());
    // Hadoop: one block of 12 bytes holding the raw chunk above.
    let mut hadoop = 12u32.to_be_bytes().to_vec();
    hadoop.extend_from_slice(&(raw.len() as u32).to_be_bytes());
    hadoop.extend_from_slice(&raw);
    assert_eq!(reference::hadoop(&hadoop).unwrap().0, b"abcabcabcabc");
}

/// Decoders written from the specifications, sharing no code with the `snap` crate.
mod reference {
    pub fn crc32c(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0x82F6_3B78 } else { crc >> 1 };
            }
        }
        !crc
    }

    /// framing_format.txt: checksums are masked, `((crc >> 15) | (crc << 17)) + 0xa282ead8`.
    pub fn mask(crc: u32) -> u32 {
        crc.rotate_right(15).wrapping_add(0xa282_ead8)
    }

    fn varint(input: &mut &[u8]) -> Result<usize, String> {
        let mut v = 0usize;
        for shift in (0..35).step_by(7) {
            let (&b, rest) = input.split_first().ok_or("truncated varint")?;
            *input = rest;
            v |= usize::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("varint too long".into())
    }

    /// format_description.txt: a varint length, then literals (tag 00) and copies (01, 10, 11).
    pub fn raw(mut input: &[u8]) -> Result<Vec<u8>, String> {
        let len = varint(&mut input)?;
        let mut out: Vec<u8> = Vec::with_capacity(len);
        while let Some((&tag, rest)) = input.split_first() {
            input = rest;
            let mut take = |n: usize| -> Result<&[u8], String> {
                if n > input.len() {
                    return Err("truncated element".into());
                }
                let (h, t) = input.split_at(n);
                input = t;
                Ok(h)
            };
            let le = |b: &[u8]| b.iter().rev().fold(0usize, |a, &x| a << 8 | usize::from(x));
            let (length, offset) = match tag & 3 {
                0 => {
                    let mut n = usize::from(tag >> 2);
                    if n >= 60 {
                        n = le(take(n - 59)?);
                    }
                    out.extend_from_slice(take(n + 1)?);
                    continue;
                }
                1 => (usize::from((tag >> 2) & 7) + 4, usize::from(tag >> 5) << 8 | usize::from(take(1)?[0])),
                2 => (usize::from(tag >> 2) + 1, le(take(2)?)),
                _ => (usize::from(tag >> 2) + 1, le(take(4)?)),
            };
            if offset == 0 || offset > out.len() {
                return Err(format!("bad copy offset {offset}"));
            }
            for _ in 0..length {
                out.push(out[out.len() - offset]);
            }
        }
        if out.len() != len {
            return Err(format!("expected {len} bytes, got {}", out.len()));
        }
        Ok(out)
    }

    /// framing_format.txt: the stream identifier, then chunks of a type byte and a 3-byte LE length.
    pub fn framed(mut input: &[u8]) -> Result<Vec<u8>, String> {
        if !input.starts_with(b"\xff\x06\x00\x00sNaPpY") {
            return Err("no stream identifier".into());
        }
        let mut out = Vec::new();
        while input.len() >= 4 {
            let kind = input[0];
            let len = usize::from(input[1]) | usize::from(input[2]) << 8 | usize::from(input[3]) << 16;
            let body = input.get(4..4 + len).ok_or("truncated chunk")?;
            input = &input[4 + len..];
            let data = match kind {
                0x00 | 0x01 if len < 4 => return Err("chunk shorter than its checksum".into()),
                0x00 => raw(&body[4..])?,
                0x01 => body[4..].to_vec(),
                0xff => {
                    if body != b"sNaPpY" {
                        return Err("bad stream identifier".into());
                    }
                    continue;
                }
                0x80..=0xfe => continue,
                other => return Err(format!("reserved unskippable chunk {other:#x}")),
            };
            let want = u32::from_le_bytes([body[0], body[1], body[2], body[3]]);
            if mask(crc32c(&data)) != want {
                return Err("checksum mismatch".into());
            }
            out.extend_from_slice(&data);
        }
        if !input.is_empty() {
            return Err("trailing bytes".into());
        }
        Ok(out)
    }

    /// Hadoop's BlockCompressorStream: per block a BE u32 uncompressed length, then BE u32 compressed
    /// length + raw snappy chunks until the block's bytes are out. Returns the data and the block count.
    pub fn hadoop(mut input: &[u8]) -> Result<(Vec<u8>, usize), String> {
        let be = |input: &mut &[u8]| -> Result<usize, String> {
            let (h, t) = input.split_first_chunk::<4>().ok_or("truncated length")?;
            *input = t;
            Ok(u32::from_be_bytes(*h) as usize)
        };
        let (mut out, mut blocks) = (Vec::new(), 0);
        while !input.is_empty() {
            let block = be(&mut input)?;
            let end = out.len() + block;
            blocks += 1;
            while out.len() < end {
                let n = be(&mut input)?;
                let chunk = input.get(..n).ok_or("truncated chunk")?;
                input = &input[n..];
                out.extend_from_slice(&raw(chunk)?);
            }
            if out.len() != end {
                return Err("block length mismatch".into());
            }
        }
        Ok((out, blocks))
    }
}
