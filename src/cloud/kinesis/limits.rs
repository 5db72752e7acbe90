//! Per-shard throughput limits on the cloud clock, shared by every writer and reader of a shard:
//! 1,000 records and 1 MiB written per second; 5 GetRecords calls and 2 MiB read per second.
//!
//! A record larger than a second's write allowance (a stream may take records up to 10 MiB) is taken
//! by a second that has written nothing else, and borrows the seconds after it: the shard takes no more
//! bytes until 1 MiB/s has paid it back, as AWS's burst capacity for large records does.

pub const WRITE_RECORDS_PER_SEC: u32 = 1_000;
pub const WRITE_BYTES_PER_SEC: u64 = 1024 * 1024;
pub const READ_CALLS_PER_SEC: u32 = 5;
pub const READ_BYTES_PER_SEC: f64 = 2.0 * 1024.0 * 1024.0;

#[derive(Debug, Default)]
pub struct ShardLimits {
    write_second: i64,
    written_records: u32,
    written_bytes: u64,
    /// Set by a large record: no bytes are taken before this second.
    write_paid_from: i64,
    read_second: i64,
    read_calls: u32,
    /// Read allowance in bytes; refills at 2 MiB/s up to 2 MiB and may go negative after a large read,
    /// so one 10 MiB read blocks the shard's readers for about five seconds, as on AWS.
    read_level: f64,
    read_level_ms: Option<i64>,
}

impl ShardLimits {
    /// Takes room for one record of `bytes` in the current second, if there is room.
    pub fn try_write(&mut self, now_ms: i64, bytes: u64) -> bool {
        let second = now_ms.div_euclid(1000);
        if second != self.write_second {
            self.write_second = second;
            self.written_records = 0;
            self.written_bytes = 0;
        }
        if second < self.write_paid_from || self.written_records >= WRITE_RECORDS_PER_SEC {
            return false;
        }
        if bytes > WRITE_BYTES_PER_SEC {
            if self.written_bytes > 0 {
                return false;
            }
            self.written_records += 1;
            self.written_bytes = WRITE_BYTES_PER_SEC;
            self.write_paid_from = second + bytes.div_ceil(WRITE_BYTES_PER_SEC) as i64;
            return true;
        }
        if self.written_bytes + bytes <= WRITE_BYTES_PER_SEC {
            self.written_records += 1;
            self.written_bytes += bytes;
            true
        } else {
            false
        }
    }

    fn refill(&mut self, now_ms: i64) {
        let last = self.read_level_ms.unwrap_or(now_ms - 1000);
        let elapsed = (now_ms - last).max(0) as f64 / 1000.0;
        self.read_level = (self.read_level + elapsed * READ_BYTES_PER_SEC).min(READ_BYTES_PER_SEC);
        self.read_level_ms = Some(now_ms);
    }

    /// Admits one GetRecords call, or refuses it when the shard's call or byte allowance is spent.
    pub fn try_read(&mut self, now_ms: i64) -> bool {
        let second = now_ms.div_euclid(1000);
        if second != self.read_second {
            self.read_second = second;
            self.read_calls = 0;
        }
        self.refill(now_ms);
        if self.read_calls >= READ_CALLS_PER_SEC || self.read_level <= 0.0 {
            return false;
        }
        self.read_calls += 1;
        true
    }

    pub fn charge_read(&mut self, now_ms: i64, bytes: u64) {
        self.refill(now_ms);
        self.read_level -= bytes as f64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_stop_at_a_thousand_records_per_second() {
        let mut l = ShardLimits::default();
        assert!((0..1000).all(|_| l.try_write(5_000, 10)));
        assert!(!l.try_write(5_999, 10));
        assert!(l.try_write(6_000, 10));
    }

    #[test]
    fn writes_stop_at_one_mebibyte_per_second() {
        let mut l = ShardLimits::default();
        assert!(l.try_write(0, WRITE_BYTES_PER_SEC - 1));
        assert!(!l.try_write(1, 2));
        assert!(l.try_write(1, 1));
    }

    #[test]
    fn a_large_record_takes_an_idle_second_and_blocks_writes_until_paid_back() {
        let mut l = ShardLimits::default();
        let ten_mib = 10 * WRITE_BYTES_PER_SEC;
        assert!(l.try_write(3_000, 10));
        assert!(!l.try_write(3_500, ten_mib), "a second that wrote something has no room for it");
        assert!(l.try_write(4_000, ten_mib));
        assert!(!l.try_write(4_001, 1));
        assert!(!l.try_write(13_999, 1), "ten seconds of allowance are spent");
        assert!(l.try_write(14_000, WRITE_BYTES_PER_SEC));
    }

    #[test]
    fn a_large_read_blocks_readers_until_refilled() {
        let mut l = ShardLimits::default();
        assert!(l.try_read(0));
        l.charge_read(0, 10 * 1024 * 1024);
        assert!(!l.try_read(1_000));
        assert!(!l.try_read(4_000));
        assert!(l.try_read(4_100));
    }

    #[test]
    fn five_calls_per_second() {
        let mut l = ShardLimits::default();
        assert!((0..5).all(|_| l.try_read(0)));
        assert!(!l.try_read(999));
        assert!(l.try_read(1_000));
    }
}
