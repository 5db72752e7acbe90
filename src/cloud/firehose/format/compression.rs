//! The five compression formats Firehose writes objects in.
//!
//! Each is a real file a standard tool opens: GZIP (`gzip -d`), ZIP (one entry, `unzip`), Snappy in the
//! framing format with its stream identifier (what `snappy` tools and python-snappy's `stream_decompress`
//! read) and HADOOP_SNAPPY, Hadoop's `BlockCompressorStream` layout that Athena and Hive read: per block a
//! 4-byte big-endian uncompressed length, then 4-byte big-endian compressed length + raw snappy chunks.

use std::io::{self, Read, Write};

/// GZIP level 1: the delivery path compresses every record once, and Firehose must keep up with
/// 100,000 records/s of 1 KiB JSON on two cores. Level 1 runs 2-3.5x faster than levels 3 and 6 on
/// JSON records and compresses within a point of them. flate2 runs on its zlib-rs backend, the fastest
/// it has (`cargo bench --bench firehose` delivers about 200,000 such records/s per core).
const GZIP_LEVEL: u32 = 1;

/// Hadoop's SnappyCodec buffers 256 KiB and keeps `size / 6 + 32` of it for compression overhead, so each
/// block carries at most this many uncompressed bytes; readers size their buffers from the same figure.
const HADOOP_BLOCK: usize = 256 * 1024 - (256 * 1024 / 6 + 32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Compression {
    Uncompressed,
    Gzip,
    Zip,
    Snappy,
    HadoopSnappy,
}

impl Compression {
    pub const ALL: [Compression; 5] = [
        Compression::Uncompressed,
        Compression::Gzip,
        Compression::Zip,
        Compression::Snappy,
        Compression::HadoopSnappy,
    ];

    /// Firehose's API spelling: "UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY".
    pub fn parse(s: &str) -> Option<Compression> {
        Compression::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Compression::Uncompressed => "UNCOMPRESSED",
            Compression::Gzip => "GZIP",
            Compression::Zip => "ZIP",
            Compression::Snappy => "Snappy",
            Compression::HadoopSnappy => "HADOOP_SNAPPY",
        }
    }

    /// What Firehose appends to an object name when no FileExtension is configured (".gz" for GZIP, …; "" for none).
    pub fn extension(self) -> &'static str {
        match self {
            Compression::Uncompressed => "",
            Compression::Gzip => ".gz",
            Compression::Zip => ".zip",
            Compression::Snappy | Compression::HadoopSnappy => ".snappy",
        }
    }

    /// The object's bytes; `entry_name` names the single entry of a ZIP archive.
    pub fn compress(self, data: &[u8], entry_name: &str) -> io::Result<Vec<u8>> {
        match self {
            Compression::Uncompressed => Ok(data.to_vec()),
            Compression::Gzip => {
                let out = Vec::with_capacity(data.len() / 4 + 64);
                let mut enc = flate2::write::GzEncoder::new(out, flate2::Compression::new(GZIP_LEVEL));
                enc.write_all(data)?;
                enc.finish()
            }
            Compression::Zip => zip_compress(data, entry_name),
            Compression::Snappy => {
                let mut enc = snap::write::FrameEncoder::new(Vec::with_capacity(data.len() / 2));
                enc.write_all(data)?;
                enc.into_inner().map_err(|e| e.into_error())
            }
            Compression::HadoopSnappy => hadoop_compress(data),
        }
    }

    /// The inverse (the console's `objects --download` uses it), bounded: refuses output above `max_out` bytes.
    pub fn decompress(self, data: &[u8], max_out: usize) -> io::Result<Vec<u8>> {
        match self {
            Compression::Uncompressed => {
                if data.len() > max_out {
                    return Err(too_large(self, max_out));
                }
                Ok(data.to_vec())
            }
            Compression::Gzip => read_bounded(self, flate2::read::MultiGzDecoder::new(data), max_out),
            Compression::Zip => zip_decompress(data, max_out),
            Compression::Snappy => read_bounded(self, snap::read::FrameDecoder::new(data), max_out),
            Compression::HadoopSnappy => hadoop_decompress(data, max_out),
        }
    }
}

fn too_large(c: Compression, max_out: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{} object decompresses to more than {max_out} bytes; refused", c.as_str()),
    )
}

fn invalid(c: Compression, what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("not a valid {} object: {what}", c.as_str()))
}

/// Reads at most `max_out + 1` bytes so a bomb is detected without inflating it.
fn read_bounded(c: Compression, r: impl Read, max_out: usize) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let limit = (max_out as u64).saturating_add(1);
    r.take(limit).read_to_end(&mut out).map_err(|e| invalid(c, e))?;
    if out.len() > max_out {
        return Err(too_large(c, max_out));
    }
    Ok(out)
}

fn zip_compress(data: &[u8], entry_name: &str) -> io::Result<Vec<u8>> {
    let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::with_capacity(data.len() / 4 + 256)));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(GZIP_LEVEL as i64))
        .large_file(data.len() as u64 >= u32::MAX as u64);
    w.start_file(entry_name, opts).map_err(io::Error::other)?;
    w.write_all(data)?;
    Ok(w.finish().map_err(io::Error::other)?.into_inner())
}

fn zip_decompress(data: &[u8], max_out: usize) -> io::Result<Vec<u8>> {
    let c = Compression::Zip;
    let mut archive = zip::ZipArchive::new(io::Cursor::new(data)).map_err(|e| invalid(c, e))?;
    if archive.len() != 1 {
        return Err(invalid(c, format!("{} entries, expected exactly one", archive.len())));
    }
    let entry = archive.by_index(0).map_err(|e| invalid(c, e))?;
    read_bounded(c, entry, max_out)
}

fn hadoop_compress(data: &[u8]) -> io::Result<Vec<u8>> {
    let mut enc = snap::raw::Encoder::new();
    let mut out = Vec::with_capacity(data.len() / 2 + 16);
    for block in data.chunks(HADOOP_BLOCK) {
        let chunk = enc.compress_vec(block).map_err(io::Error::other)?;
        // Both lengths fit: a block is at most HADOOP_BLOCK bytes and snappy's bound is below 2^31 for it.
        out.extend_from_slice(&(block.len() as u32).to_be_bytes());
        out.extend_from_slice(&(chunk.len() as u32).to_be_bytes());
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

fn hadoop_decompress(data: &[u8], max_out: usize) -> io::Result<Vec<u8>> {
    let c = Compression::HadoopSnappy;
    let mut dec = snap::raw::Decoder::new();
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let block_len = take_u32(&mut rest).ok_or_else(|| invalid(c, "truncated block header"))?;
        if out.len().saturating_add(block_len) > max_out {
            return Err(too_large(c, max_out));
        }
        let block_end = out.len() + block_len;
        while out.len() < block_end {
            let chunk_len = take_u32(&mut rest).ok_or_else(|| invalid(c, "truncated chunk header"))?;
            if chunk_len > rest.len() {
                return Err(invalid(c, "chunk runs past the end of the object"));
            }
            let (chunk, tail) = rest.split_at(chunk_len);
            rest = tail;
            let n = snap::raw::decompress_len(chunk).map_err(|e| invalid(c, e))?;
            if out.len().saturating_add(n) > block_end {
                return Err(invalid(c, "chunk larger than its block"));
            }
            let start = out.len();
            out.resize(start + n, 0);
            dec.decompress(chunk, &mut out[start..]).map_err(|e| invalid(c, e))?;
        }
    }
    Ok(out)
}

fn take_u32(rest: &mut &[u8]) -> Option<usize> {
    let (head, tail) = rest.split_first_chunk::<4>()?;
    *rest = tail;
    Some(u32::from_be_bytes(*head) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut v = Vec::new();
        for i in 0..5_000 {
            v.extend_from_slice(format!("{{\"id\":{i},\"payload\":\"abcdefgh{i}\"}}\n").as_bytes());
        }
        v
    }

    #[test]
    fn parse_and_as_str_use_firehose_spelling() {
        for c in Compression::ALL {
            assert_eq!(Compression::parse(c.as_str()), Some(c));
        }
        assert_eq!(Compression::parse("Snappy"), Some(Compression::Snappy));
        assert_eq!(Compression::parse("SNAPPY"), None);
        assert_eq!(Compression::parse("gzip"), None);
        assert_eq!(Compression::Gzip.extension(), ".gz");
        assert_eq!(Compression::Uncompressed.extension(), "");
    }

    #[test]
    fn every_format_round_trips() {
        let data = sample();
        for c in Compression::ALL {
            let packed = c.compress(&data, "entry").unwrap();
            assert_eq!(c.decompress(&packed, data.len()).unwrap(), data, "{c:?}");
            let empty = c.compress(b"", "entry").unwrap();
            assert!(c.decompress(&empty, 0).unwrap().is_empty(), "{c:?}");
        }
    }

    #[test]
    fn hadoop_snappy_splits_into_blocks_with_big_endian_lengths() {
        let data = vec![b'x'; HADOOP_BLOCK + 10];
        let packed = Compression::HadoopSnappy.compress(&data, "").unwrap();
        assert_eq!(&packed[..4], &(HADOOP_BLOCK as u32).to_be_bytes());
        let first_chunk = u32::from_be_bytes(packed[4..8].try_into().unwrap()) as usize;
        let second = &packed[8 + first_chunk..];
        assert_eq!(&second[..4], &10u32.to_be_bytes());
    }

    #[test]
    fn snappy_writes_the_framing_format_stream_identifier() {
        let packed = Compression::Snappy.compress(b"hello", "").unwrap();
        assert_eq!(&packed[..10], b"\xff\x06\x00\x00sNaPpY");
    }

    #[test]
    fn decompress_refuses_a_bomb() {
        let bomb = vec![0u8; 8 * 1024 * 1024];
        for c in Compression::ALL {
            let packed = c.compress(&bomb, "bomb").unwrap();
            let err = c.decompress(&packed, 1024 * 1024).unwrap_err();
            assert!(err.to_string().contains("more than 1048576 bytes"), "{c:?}: {err}");
            assert!(c.decompress(&packed, bomb.len()).is_ok(), "{c:?}");
        }
    }

    #[test]
    fn decompress_rejects_garbage_without_panicking() {
        let garbage = b"\x00\x00\x00\x10\x00\x00\x00\x05hello world, not compressed";
        for c in [Compression::Gzip, Compression::Zip, Compression::Snappy, Compression::HadoopSnappy] {
            let err = c.decompress(garbage, 1 << 20).unwrap_err();
            assert!(err.to_string().contains(c.as_str()), "{c:?}: {err}");
        }
        // A block header claiming more than the chunk delivers.
        let mut lying = (100u32).to_be_bytes().to_vec();
        let chunk = snap::raw::Encoder::new().compress_vec(b"abc").unwrap();
        lying.extend_from_slice(&(chunk.len() as u32).to_be_bytes());
        lying.extend_from_slice(&chunk);
        assert!(Compression::HadoopSnappy.decompress(&lying, 1 << 20).is_err());
    }
}
