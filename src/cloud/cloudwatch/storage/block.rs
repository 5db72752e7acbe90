//! One series' data for one minute: the 1-second buckets of high-resolution datums and one bucket
//! for standard-resolution datums (stored at the minute start, as CloudWatch stores them).
//!
//! A minute still being written is kept decoded; once closed it is sealed into a compact byte form
//! (about 10 bytes for a second holding one value), which is what keeps three hours of 1-second
//! data for hundreds of metrics within the memory budget. The same bytes are what goes to disk.

use super::agg::Agg;

#[derive(Debug, Clone)]
pub struct Block {
    pub std: Option<Box<Agg>>,
    secs: Secs,
}

#[derive(Debug, Clone)]
enum Secs {
    /// `(second within the minute, bucket)`, sorted by second.
    Open(Vec<(u8, Agg)>),
    Sealed(Box<[u8]>),
}

#[derive(Debug, thiserror::Error)]
#[error("corrupt metric block: {0}")]
pub struct CorruptBlock(&'static str);

const SINGLE: u8 = 1;
const SKETCHED: u8 = 2;
const PARTIAL: u8 = 4;

impl Default for Block {
    fn default() -> Self {
        Block { std: None, secs: Secs::Open(Vec::new()) }
    }
}

impl Block {
    pub fn add_std(&mut self, agg: &Agg) {
        match &mut self.std {
            Some(s) => s.merge(agg, true),
            None => self.std = Some(Box::new(agg.clone())),
        }
    }

    pub fn add_second(&mut self, second: u8, agg: &Agg) {
        let secs = self.open();
        match secs.binary_search_by_key(&second, |(s, _)| *s) {
            Ok(i) => secs[i].1.merge(agg, true),
            Err(i) => secs.insert(i, (second, agg.clone())),
        }
    }

    fn open(&mut self) -> &mut Vec<(u8, Agg)> {
        if let Secs::Sealed(bytes) = &self.secs {
            let decoded = decode_secs(&mut Reader(bytes)).unwrap_or_default();
            self.secs = Secs::Open(decoded);
        }
        match &mut self.secs {
            Secs::Open(v) => v,
            Secs::Sealed(_) => unreachable!("opened above"),
        }
    }

    pub fn seal(&mut self) {
        if let Secs::Open(v) = &self.secs {
            let mut out = Vec::with_capacity(v.len() * 10 + 1);
            encode_secs(v, &mut out);
            self.secs = Secs::Sealed(out.into_boxed_slice());
        }
    }

    pub fn has_seconds(&self) -> bool {
        match &self.secs {
            Secs::Open(v) => !v.is_empty(),
            Secs::Sealed(b) => b.first().is_some_and(|n| *n > 0),
        }
    }

    /// Calls `f(second offset, bucket)` for every bucket; the standard-resolution one at offset 0.
    /// Without `with_values` sealed buckets are read without their distributions (no allocation).
    pub fn for_each(&self, with_values: bool, mut f: impl FnMut(u8, &Agg)) {
        if let Some(s) = &self.std {
            f(0, s);
        }
        match &self.secs {
            Secs::Open(v) => v.iter().for_each(|(s, a)| f(*s, a)),
            Secs::Sealed(bytes) => {
                let mut r = Reader(bytes);
                let Ok(n) = r.u8() else { return };
                for _ in 0..n {
                    let Ok(s) = r.u8() else { return };
                    let Ok(a) = decode_agg_with(&mut r, with_values) else { return };
                    f(s, &a);
                }
            }
        }
    }

    /// The whole minute as one bucket: what is kept once 1-second data has aged out.
    pub fn rolled_up(&self) -> Block {
        let mut all = Agg::empty();
        self.for_each(true, |_, a| all.merge(a, true));
        let std = (!all.is_empty()).then(|| Box::new(all));
        Block { std, secs: Secs::Open(Vec::new()) }
    }

    /// Approximate heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        let std = self.std.as_ref().map_or(0, |a| 72 + a.dist.capacity() * 16);
        std + match &self.secs {
            Secs::Open(v) => v.capacity() * 80 + v.iter().map(|(_, a)| a.dist.capacity() * 16).sum::<usize>(),
            Secs::Sealed(b) => b.len(),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match &self.std {
            Some(a) => {
                out.push(1);
                encode_agg(a, &mut out);
            }
            None => out.push(0),
        }
        match &self.secs {
            Secs::Open(v) => encode_secs(v, &mut out),
            Secs::Sealed(b) => out.extend_from_slice(b),
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Block, CorruptBlock> {
        let mut r = Reader(bytes);
        let std = match r.u8()? {
            0 => None,
            _ => Some(Box::new(decode_agg(&mut r)?)),
        };
        let secs = decode_secs(&mut r)?;
        let mut block = Block { std, secs: Secs::Open(secs) };
        block.seal();
        Ok(block)
    }
}

fn encode_secs(v: &[(u8, Agg)], out: &mut Vec<u8>) {
    out.push(v.len() as u8);
    for (s, a) in v {
        out.push(*s);
        encode_agg(a, out);
    }
}

fn decode_secs(r: &mut Reader) -> Result<Vec<(u8, Agg)>, CorruptBlock> {
    let n = r.u8()? as usize;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let s = r.u8()?;
        v.push((s, decode_agg(r)?));
    }
    Ok(v)
}

fn encode_agg(a: &Agg, out: &mut Vec<u8>) {
    let single = a.count == 1.0 && !a.partial && !a.sketched && a.dist.len() == 1 && a.dist[0] == (a.sum, 1.0);
    if single {
        out.push(SINGLE);
        out.extend_from_slice(&a.sum.to_le_bytes());
        return;
    }
    let flags = if a.sketched { SKETCHED } else { 0 } | if a.partial { PARTIAL } else { 0 };
    out.push(flags);
    for x in [a.count, a.sum, a.min, a.max] {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.extend_from_slice(&(a.dist.len() as u32).to_le_bytes());
    for (v, c) in &a.dist {
        out.extend_from_slice(&v.to_le_bytes());
        out.extend_from_slice(&c.to_le_bytes());
    }
}

fn decode_agg(r: &mut Reader) -> Result<Agg, CorruptBlock> {
    decode_agg_with(r, true)
}

fn decode_agg_with(r: &mut Reader, with_values: bool) -> Result<Agg, CorruptBlock> {
    let flags = r.u8()?;
    if flags & SINGLE != 0 {
        let v = r.f64()?;
        return Ok(if with_values { Agg::value(v) } else { Agg { dist: Vec::new(), ..Agg::stats(1.0, v, v, v) } });
    }
    let (count, sum, min, max) = (r.f64()?, r.f64()?, r.f64()?, r.f64()?);
    let n = r.u32()? as usize;
    if n > r.0.len() / 16 {
        return Err(CorruptBlock("distribution longer than the block"));
    }
    if !with_values {
        r.0 = &r.0[n * 16..];
        let (sketched, partial) = (flags & SKETCHED != 0, flags & PARTIAL != 0);
        return Ok(Agg { count, sum, min, max, dist: Vec::new(), sketched, partial });
    }
    let mut dist = Vec::with_capacity(n);
    for _ in 0..n {
        dist.push((r.f64()?, r.f64()?));
    }
    Ok(Agg { count, sum, min, max, dist, sketched: flags & SKETCHED != 0, partial: flags & PARTIAL != 0 })
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], CorruptBlock> {
        if self.0.len() < N {
            return Err(CorruptBlock("truncated"));
        }
        let (head, rest) = self.0.split_at(N);
        self.0 = rest;
        head.try_into().map_err(|_| CorruptBlock("truncated"))
    }
    fn u8(&mut self) -> Result<u8, CorruptBlock> {
        Ok(self.take::<1>()?[0])
    }
    fn u32(&mut self) -> Result<u32, CorruptBlock> {
        Ok(u32::from_le_bytes(self.take()?))
    }
    fn f64(&mut self) -> Result<f64, CorruptBlock> {
        Ok(f64::from_le_bytes(self.take()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_blocks_round_trip() {
        let mut b = Block::default();
        b.add_second(5, &Agg::value(2.0));
        b.add_second(1, &Agg::values(&[(1.0, 2.0), (3.0, 1.0)]));
        b.add_std(&Agg::stats(2.0, 10.0, 4.0, 6.0));
        b.seal();
        let decoded = Block::decode(&b.encode()).unwrap();
        let mut seen = Vec::new();
        decoded.for_each(true, |s, a| seen.push((s, a.count, a.sum)));
        assert_eq!(seen, vec![(0, 2.0, 10.0), (1, 3.0, 5.0), (5, 1.0, 2.0)]);
        let up = decoded.rolled_up();
        assert_eq!(up.std.as_ref().map(|a| (a.count, a.sum, a.min, a.max)), Some((6.0, 17.0, 1.0, 6.0)));
        assert!(Block::decode(&[1, 0]).is_err());
    }
}
