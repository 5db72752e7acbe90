//! The shard log against a model: random sequences of appends, reads, retention trims, time lookups,
//! positioned reads at every iterator type, damaged index files and reopenings, with small segments so
//! rolls and trims happen often (and, in a second run, segments of several sparse index intervals).
//! After every step the log holds exactly the model's records from its first retained seq on, never
//! reuses a seq, and keeps every record retention has not reached.

use bytes::Bytes;
use kinesis_console::cloud::storage::{LogOptions, NewRecord, ShardLog, StoredRecord};
use proptest::prelude::*;
use proptest::test_runner::Config;

#[derive(Debug, Clone)]
enum Step {
    /// Records of these data sizes, arriving `gap_ms` after the previous append.
    Append {
        sizes: Vec<usize>,
        gap_ms: i64,
    },
    /// A read from `from` (scaled onto the log's seqs) with record and byte budgets.
    Read {
        from: u16,
        max_records: usize,
        max_bytes: usize,
    },
    /// Retention up to a moment near a retained record's arrival (picked, then moved by `offset` ms),
    /// so cut-offs land exactly on arrival times as often as between them.
    Trim {
        pick: u16,
        offset: i64,
    },
    SeqAtTime {
        pick: u16,
        offset: i64,
    },
    Reopen,
    /// A shard iterator of one kind (AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP,
    /// TRIM_HORIZON, LATEST) placed as the Kinesis service places it, then one read from it.
    Iterate {
        kind: Kind,
        pick: u16,
        offset: i64,
        max_records: usize,
    },
    /// A sealed segment's index file deleted, damaged or cut short, then the log reopened.
    DamageIndex {
        pick: u16,
        how: Damage,
    },
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    AtSequenceNumber,
    AfterSequenceNumber,
    AtTimestamp,
    TrimHorizon,
    Latest,
}

#[derive(Debug, Clone, Copy)]
enum Damage {
    Delete,
    FlipByte,
    CutShort,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        5 => (prop::collection::vec(0usize..700, 1..20), 0i64..4_000).prop_map(|(sizes, gap_ms)| Step::Append { sizes, gap_ms }),
        3 => (any::<u16>(), 1usize..60, 1usize..9_000).prop_map(|(from, max_records, max_bytes)| Step::Read { from, max_records, max_bytes }),
        1 => (any::<u16>(), -2i64..=2).prop_map(|(pick, offset)| Step::Trim { pick, offset }),
        1 => (any::<u16>(), -2i64..=2).prop_map(|(pick, offset)| Step::SeqAtTime { pick, offset }),
        1 => Just(Step::Reopen),
        3 => (kind(), any::<u16>(), -2i64..=2, 1usize..40).prop_map(|(kind, pick, offset, max_records)| Step::Iterate { kind, pick, offset, max_records }),
        1 => (any::<u16>(), prop_oneof![Just(Damage::Delete), Just(Damage::FlipByte), Just(Damage::CutShort)]).prop_map(|(pick, how)| Step::DamageIndex { pick, how }),
    ]
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::AtSequenceNumber),
        Just(Kind::AfterSequenceNumber),
        Just(Kind::AtTimestamp),
        Just(Kind::TrimHorizon),
        Just(Kind::Latest),
    ]
}

/// Every record ever appended, by seq.
#[derive(Default)]
struct Model {
    records: Vec<(i64, String, Vec<u8>)>,
    first: u64,
    clock: i64,
    segment_bytes: u64,
}

impl Model {
    fn len(&self) -> u64 {
        self.records.len() as u64
    }

    /// A moment near the arrival of a retained record (or the clock when none is retained).
    fn near(&self, pick: u16, offset: i64) -> i64 {
        let retained = self.len() - self.first;
        if retained == 0 {
            return self.clock + offset;
        }
        self.records[(self.first + u64::from(pick) % retained) as usize].0 + offset
    }

    fn first_at_or_after(&self, ms: i64) -> u64 {
        (self.first..self.len()).find(|s| self.records[*s as usize].0 >= ms).unwrap_or(self.len())
    }
}

fn opts(segment_bytes: u64) -> LogOptions {
    LogOptions { segment_bytes, sync: false, ..LogOptions::default() }
}

fn same(r: &StoredRecord, m: &Model) -> bool {
    let (arrival, key, data) = &m.records[r.seq as usize];
    r.arrival_ms == *arrival && &r.partition_key == key && r.data.as_ref() == data.as_slice()
}

fn check_invariants(log: &ShardLog, m: &mut Model) -> Result<(), TestCaseError> {
    prop_assert_eq!(log.next_seq(), m.len(), "seqs are never reused");
    let first = log.first_seq();
    prop_assert!(first >= m.first && first <= m.len(), "first retained seq {} after {}", first, m.first);
    m.first = first;
    let all = log.read(0, usize::MAX, usize::MAX).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(all.len() as u64, m.len() - first);
    for (k, r) in all.iter().enumerate() {
        prop_assert_eq!(r.seq, first + k as u64);
        prop_assert!(same(r, m), "record {} differs from what was appended", r.seq);
    }
    Ok(())
}

fn apply(
    rt: &tokio::runtime::Runtime,
    dir: &std::path::Path,
    log: &mut ShardLog,
    m: &mut Model,
    step: Step,
) -> Result<(), TestCaseError> {
    match step {
        Step::Append { sizes, gap_ms } => {
            m.clock += gap_ms;
            let records: Vec<(i64, String, Vec<u8>)> = sizes
                .iter()
                .enumerate()
                .map(|(k, size)| (m.clock, format!("pk{}-{k}", m.len()), vec![(m.len() + k as u64) as u8; *size]))
                .collect();
            let new = records
                .iter()
                .map(|(_, key, data)| NewRecord { partition_key: key.clone(), data: Bytes::from(data.clone()) })
                .collect();
            let seqs = rt.block_on(log.append(new, m.clock)).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(seqs, (m.len()..m.len() + sizes.len() as u64).collect::<Vec<_>>());
            m.records.extend(records);
        }
        Step::Read { from, max_records, max_bytes } => {
            let from = u64::from(from) % (m.len() + 3);
            let got = log.read(from, max_records, max_bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let start = from.max(m.first);
            let mut bytes = 0;
            for (k, r) in got.iter().enumerate() {
                prop_assert_eq!(r.seq, start + k as u64, "reads are contiguous from the asked position");
                prop_assert!(same(r, m));
                bytes += r.data.len();
            }
            prop_assert!(got.len() <= max_records);
            prop_assert!(bytes <= max_bytes || got.len() == 1, "{} bytes over a budget of {}", bytes, max_bytes);
            let next = start + got.len() as u64;
            if next < m.len() && got.len() < max_records {
                let size = m.records[next as usize].2.len();
                prop_assert!(
                    bytes + size > max_bytes && !got.is_empty(),
                    "record {} fitted the budgets but was left out",
                    next
                );
            }
        }
        Step::Trim { pick, offset } => {
            let cutoff = m.near(pick, offset);
            let kept = m.first_at_or_after(cutoff);
            log.trim_before(cutoff).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(
                log.first_seq() <= kept,
                "trimming before {} dropped seq {}, which arrived at or after it",
                cutoff,
                kept
            );
        }
        Step::SeqAtTime { pick, offset } => {
            let ms = m.near(pick, offset);
            prop_assert_eq!(log.seq_at_time(ms), m.first_at_or_after(ms));
        }
        Step::Reopen => {
            let before = (log.next_seq(), log.first_seq());
            *log = ShardLog::open(dir, opts(m.segment_bytes)).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!((log.next_seq(), log.first_seq()), before, "a reopened log resumes where it was");
        }
        Step::Iterate { kind, pick, offset, max_records } => iterate(log, m, kind, pick, offset, max_records)?,
        Step::DamageIndex { pick, how } => {
            let indexes = files_with(dir, "idx");
            let damaged = (!indexes.is_empty()).then(|| indexes[usize::from(pick) % indexes.len()].clone());
            if let Some(idx) = &damaged {
                let bytes = std::fs::read(idx).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let written = match how {
                    Damage::Delete => std::fs::remove_file(idx),
                    Damage::FlipByte => {
                        let mut bytes = bytes.clone();
                        let at = usize::from(pick) % bytes.len();
                        bytes[at] ^= 0x20;
                        std::fs::write(idx, bytes)
                    }
                    Damage::CutShort => std::fs::write(idx, &bytes[..bytes.len() / 2]),
                };
                written.map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
            *log = ShardLog::open(dir, opts(m.segment_bytes)).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let reported: Vec<_> = log.reindexed().iter().map(|p| p.with_extension("idx")).collect();
            prop_assert_eq!(
                reported,
                damaged.into_iter().collect::<Vec<_>>(),
                "the damaged index is rebuilt and reported"
            );
        }
    }
    check_invariants(log, m)
}

fn files_with(dir: &std::path::Path, ext: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()))
        .into_iter()
        .flatten()
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    files.sort();
    files
}

/// Places an iterator as GetShardIterator does and reads once from it, as GetRecords does.
fn iterate(
    log: &ShardLog,
    m: &Model,
    kind: Kind,
    pick: u16,
    offset: i64,
    max_records: usize,
) -> Result<(), TestCaseError> {
    let seq = u64::from(pick) % (m.len() + 2);
    let (start, expected_start) = match kind {
        Kind::AtSequenceNumber => (seq, seq.max(m.first)),
        Kind::AfterSequenceNumber => (seq + 1, (seq + 1).max(m.first)),
        Kind::AtTimestamp => {
            let ms = m.near(pick, offset);
            let at = log.seq_at_time(ms);
            prop_assert_eq!(at, m.first_at_or_after(ms), "AT_TIMESTAMP {}", ms);
            (at, at)
        }
        Kind::TrimHorizon => (log.first_seq(), m.first),
        Kind::Latest => (log.next_seq(), m.len()),
    };
    let got = log.read(start, max_records, usize::MAX).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let expected = (m.len().saturating_sub(expected_start)).min(max_records as u64);
    prop_assert_eq!(got.len() as u64, expected, "{:?} from {}", kind, start);
    for (k, r) in got.iter().enumerate() {
        prop_assert_eq!(r.seq, expected_start + k as u64);
        prop_assert!(same(r, m), "record {} differs from what was appended", r.seq);
    }
    Ok(())
}

fn run(segment_bytes: u64, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut log = ShardLog::open(dir.path(), opts(segment_bytes)).expect("a new log opens");
    let mut model = Model { clock: 1_000_000, segment_bytes, ..Model::default() };
    for step in steps {
        apply(&rt, dir.path(), &mut log, &mut model, step)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config { cases: 64, failure_persistence: None, ..Config::default() })]

    #[test]
    fn the_log_matches_its_model_through_any_sequence_of_steps(steps in prop::collection::vec(step(), 1..60)) {
        run(4096, steps)?;
    }

    /// Segments of several index intervals, so lookups land on entries inside a segment.
    #[test]
    fn positioned_reads_through_the_sparse_index_match_the_model(steps in prop::collection::vec(step(), 1..80)) {
        run(20 << 10, steps)?;
    }
}
