//! Tailing a stream: reading every shard from a starting position, following splits and merges in the
//! order the KCL reads them (a child only after all of its parents are read to their end), and within
//! Kinesis's read limits, so tailing a production stream takes nothing from its consumers' share: at most
//! five GetRecords a second per shard, a second's rest on a shard that has nothing new, and exponential
//! backoff when the stream throttles anyway. The CLI's `tail` and the console's records view share it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::Context as _;
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::error::ProvideErrorMetadata;
use aws_sdk_kinesis::primitives::DateTime;
use aws_sdk_kinesis::types::{Shard, ShardIteratorType};
use tokio::time::Instant;

use crate::kpl;
use crate::producer::pacing::Backoff;

/// Five GetRecords per second per shard is Kinesis's limit; one every 200 ms keeps within it.
const READ_INTERVAL: Duration = Duration::from_millis(200);
/// A shard that answered nothing new and is not behind is asked again after this rest.
const IDLE_INTERVAL: Duration = Duration::from_secs(1);
const MAX_RECORDS_PER_CALL: i32 = 10_000;

/// Where a tail starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartAt {
    /// Only what arrives from now on, on the open shards.
    Latest,
    /// Everything retained, oldest first.
    TrimHorizon,
    /// What arrived at or after this instant (milliseconds since the epoch).
    Timestamp(i64),
    /// From this record on, in the shard that holds it.
    Sequence(String),
}

impl StartAt {
    /// `latest`, `trim-horizon`, an RFC 3339 instant, or a sequence number (decimal digits).
    pub fn parse(text: &str) -> anyhow::Result<StartAt> {
        match text {
            "latest" => Ok(StartAt::Latest),
            "trim-horizon" => Ok(StartAt::TrimHorizon),
            t if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => Ok(StartAt::Sequence(t.to_string())),
            t => {
                let at = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).with_context(
                    || format!("--from {t:?} is neither latest, trim-horizon, an RFC 3339 time nor a sequence number"),
                )?;
                Ok(StartAt::Timestamp((at.unix_timestamp_nanos() / 1_000_000) as i64))
            }
        }
    }
}

/// One record as the tail shows it. Records a KPL producer aggregated are shown one per user record,
/// with their sub-sequence number, as the KCL hands them to a consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailRecord {
    pub shard_id: String,
    pub sequence_number: String,
    pub sub_sequence: Option<u64>,
    pub arrival_ms: Option<i64>,
    pub partition_key: String,
    pub data: Vec<u8>,
}

#[derive(Debug)]
struct Cursor {
    iterator: Option<String>,
    /// The last record read, to resume after an expired iterator.
    last_sequence: Option<String>,
    due: Instant,
    throttled: u32,
    /// Opened at the tail's start (rather than a child's beginning), to reopen it the same way.
    first: bool,
    /// The last read reached the shard's newest record.
    caught_up: bool,
}

/// A tail of one stream (or of one shard of it, `only_shard`).
pub struct Tail {
    client: Client,
    stream: String,
    start: StartAt,
    only_shard: Option<String>,
    reading: BTreeMap<String, Cursor>,
    finished: BTreeSet<String>,
    /// Children seen at their parents' end, with the parents they wait for.
    waiting: BTreeMap<String, Vec<String>>,
    backoff: Backoff,
}

impl Tail {
    /// Lists the stream's shards and positions a cursor on each shard the start reads first.
    pub async fn open(
        client: Client,
        stream: &str,
        start: StartAt,
        only_shard: Option<String>,
    ) -> anyhow::Result<Tail> {
        let shards = list_shards(&client, stream).await?;
        let mut tail = Tail {
            client,
            stream: stream.to_string(),
            start,
            only_shard,
            reading: BTreeMap::new(),
            finished: BTreeSet::new(),
            waiting: BTreeMap::new(),
            backoff: Backoff::default(),
        };
        let first = tail.first_shards(&shards)?;
        for shard in first {
            tail.begin(&shard, true).await?;
        }
        Ok(tail)
    }

    /// The shards read first: the one asked for, the open ones for `latest`, the one holding the sequence
    /// number, or every shard none of whose parents is still listed (the oldest generation retained).
    fn first_shards(&self, shards: &[Shard]) -> anyhow::Result<Vec<String>> {
        let ids: BTreeSet<&str> = shards.iter().map(|s| s.shard_id()).collect();
        if let Some(only) = &self.only_shard {
            anyhow::ensure!(ids.contains(only.as_str()), "stream {} has no shard {only}", self.stream);
            return Ok(vec![only.clone()]);
        }
        let chosen: Vec<String> = match &self.start {
            StartAt::Latest => shards
                .iter()
                .filter(|s| s.sequence_number_range().is_some_and(|r| r.ending_sequence_number().is_none()))
                .map(|s| s.shard_id().to_string())
                .collect(),
            StartAt::Sequence(seq) => shards
                .iter()
                .filter(|s| {
                    s.sequence_number_range()
                        .is_some_and(|r| holds(r.starting_sequence_number(), r.ending_sequence_number(), seq))
                })
                .map(|s| s.shard_id().to_string())
                .take(1)
                .collect(),
            StartAt::TrimHorizon | StartAt::Timestamp(_) => shards
                .iter()
                .filter(|s| {
                    let parents = [s.parent_shard_id(), s.adjacent_parent_shard_id()];
                    !parents.into_iter().flatten().any(|p| ids.contains(p))
                })
                .map(|s| s.shard_id().to_string())
                .collect(),
        };
        if let (StartAt::Sequence(seq), true) = (&self.start, chosen.is_empty()) {
            anyhow::bail!("no shard of stream {} holds sequence number {seq}", self.stream);
        }
        Ok(chosen)
    }

    /// Opens a cursor on `shard`: at the tail's start for a first shard, from its beginning for a child.
    async fn begin(&mut self, shard: &str, first: bool) -> anyhow::Result<()> {
        let (kind, seq, at) = match (&self.start, first) {
            (StartAt::Latest, true) => (ShardIteratorType::Latest, None, None),
            (StartAt::Sequence(s), true) => (ShardIteratorType::AtSequenceNumber, Some(s.clone()), None),
            (StartAt::Timestamp(ms), _) => (ShardIteratorType::AtTimestamp, None, Some(*ms)),
            _ => (ShardIteratorType::TrimHorizon, None, None),
        };
        let iterator = self.iterator(shard, kind, seq, at).await?;
        self.reading.insert(
            shard.to_string(),
            Cursor {
                iterator: Some(iterator),
                last_sequence: None,
                due: Instant::now(),
                throttled: 0,
                first,
                caught_up: false,
            },
        );
        Ok(())
    }

    async fn iterator(
        &self,
        shard: &str,
        kind: ShardIteratorType,
        seq: Option<String>,
        at_ms: Option<i64>,
    ) -> anyhow::Result<String> {
        let out = self
            .client
            .get_shard_iterator()
            .stream_name(&self.stream)
            .shard_id(shard)
            .shard_iterator_type(kind)
            .set_starting_sequence_number(seq)
            .set_timestamp(at_ms.map(DateTime::from_millis))
            .send()
            .await
            .with_context(|| format!("GetShardIterator on {} {shard}", self.stream))?;
        out.shard_iterator.with_context(|| format!("GetShardIterator on {} {shard} gave no iterator", self.stream))
    }

    /// Whether every shard the tail follows has been read to its end (the stream was resharded away
    /// under a `--shard` tail, or every shard closed with no child to follow).
    pub fn is_done(&self) -> bool {
        self.reading.is_empty() && self.waiting.is_empty()
    }

    /// Whether the last read of every shard followed reached its newest record (and no child waits).
    pub fn caught_up(&self) -> bool {
        self.waiting.is_empty() && self.reading.values().all(|c| c.caught_up)
    }

    /// Waits until the shard due first may be read within the limits, reads it once, and returns what it
    /// held (possibly nothing).
    pub async fn poll(&mut self) -> anyhow::Result<Vec<TailRecord>> {
        let Some((shard, due)) = self.reading.iter().map(|(id, c)| (id.clone(), c.due)).min_by_key(|(_, due)| *due)
        else {
            return Ok(Vec::new());
        };
        tokio::time::sleep_until(due).await;
        self.read(&shard).await
    }

    async fn read(&mut self, shard: &str) -> anyhow::Result<Vec<TailRecord>> {
        let Some(cursor) = self.reading.get(shard) else { return Ok(Vec::new()) };
        let Some(iterator) = cursor.iterator.clone() else { return Ok(Vec::new()) };
        let answer = self.client.get_records().shard_iterator(iterator).limit(MAX_RECORDS_PER_CALL).send().await;
        let out = match answer {
            Ok(out) => out,
            Err(e) => return self.read_failed(shard, e).await,
        };
        let mut records = Vec::new();
        for r in out.records() {
            records.extend(tail_records(shard, r));
        }
        let behind = out.millis_behind_latest().unwrap_or(0);
        let cursor = self.reading.get_mut(shard).context("the shard being read has a cursor")?;
        cursor.throttled = 0;
        cursor.caught_up = behind == 0 && out.next_shard_iterator().is_some();
        if let Some(last) = out.records().last() {
            cursor.last_sequence = Some(last.sequence_number().to_string());
        }
        cursor.due =
            Instant::now() + if out.records().is_empty() && behind == 0 { IDLE_INTERVAL } else { READ_INTERVAL };
        cursor.iterator = out.next_shard_iterator().map(str::to_string);
        if cursor.iterator.is_none() {
            let children: Vec<(String, Vec<String>)> =
                out.child_shards().iter().map(|c| (c.shard_id().to_string(), c.parent_shards().to_vec())).collect();
            self.shard_ended(shard, children).await?;
        }
        Ok(records)
    }

    /// Throttling and expired iterators are part of reading; anything else ends the tail with context.
    async fn read_failed<E, R>(
        &mut self,
        shard: &str,
        e: aws_sdk_kinesis::error::SdkError<E, R>,
    ) -> anyhow::Result<Vec<TailRecord>>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        match e.code() {
            Some("ProvisionedThroughputExceededException" | "LimitExceededException") => {
                let backoff = self.backoff;
                let cursor = self.reading.get_mut(shard).context("the shard being read has a cursor")?;
                cursor.due = Instant::now() + READ_INTERVAL + backoff.delay(cursor.throttled, fastrand::f64());
                cursor.throttled = cursor.throttled.saturating_add(1);
                Ok(Vec::new())
            }
            Some("ExpiredIteratorException") => {
                let Some(cursor) = self.reading.get(shard) else { return Ok(Vec::new()) };
                let iterator = match cursor.last_sequence.clone() {
                    Some(seq) => self.iterator(shard, ShardIteratorType::AfterSequenceNumber, Some(seq), None).await?,
                    None => {
                        let first = cursor.first;
                        return self.begin(shard, first).await.map(|()| Vec::new());
                    }
                };
                if let Some(c) = self.reading.get_mut(shard) {
                    c.iterator = Some(iterator);
                }
                Ok(Vec::new())
            }
            _ => Err(anyhow::Error::new(e).context(format!("GetRecords on {} {shard}", self.stream))),
        }
    }

    /// A shard read to its end: its children start once all of their parents have ended (a merge's child
    /// waits for both parents; a parent the tail never read does not hold it back).
    async fn shard_ended(&mut self, shard: &str, children: Vec<(String, Vec<String>)>) -> anyhow::Result<()> {
        self.reading.remove(shard);
        self.finished.insert(shard.to_string());
        if self.only_shard.is_some() {
            return Ok(());
        }
        for (child, parents) in children {
            if !self.reading.contains_key(&child) && !self.finished.contains(&child) {
                self.waiting.insert(child, parents);
            }
        }
        let ready: Vec<String> = self
            .waiting
            .iter()
            .filter(|(_, parents)| parents.iter().all(|p| self.finished.contains(p) || !self.reading.contains_key(p)))
            .map(|(child, _)| child.clone())
            .collect();
        for child in ready {
            self.waiting.remove(&child);
            self.begin(&child, false).await?;
        }
        Ok(())
    }
}

/// A stream to read or write, and the pattern of the stack that deployed it when it was named by its stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedStream {
    pub stream: String,
    pub pattern: Option<String>,
    /// The invoke URL of the API in front of the stream (pattern 1's `ProxyApiEndpoint` output), as the
    /// stack gives it.
    pub api_url: Option<String>,
}

/// The stream `name` means: a stream of that name, else the stream a stack of that name deployed (its
/// `DataStreamName` output).
pub async fn resolve_stream(
    kinesis: &Client,
    cfn: &aws_sdk_cloudformation::Client,
    name: &str,
) -> anyhow::Result<NamedStream> {
    match kinesis.describe_stream_summary().stream_name(name).send().await {
        Ok(_) => return Ok(NamedStream { stream: name.to_string(), pattern: None, api_url: None }),
        Err(e) if e.code() == Some("ResourceNotFoundException") => {}
        Err(e) => return Err(anyhow::Error::new(e).context(format!("DescribeStreamSummary on {name}"))),
    }
    let stack = super::stacks::inspect::stack(cfn, name)
        .await
        .map_err(|_| anyhow::anyhow!("there is no stream and no stack named {name}"))?;
    let stream = stack
        .outputs
        .iter()
        .find(|o| o.key == "DataStreamName")
        .map(|o| o.value.clone())
        .with_context(|| format!("stack {name} has no DataStreamName output"))?;
    let api_url = stack.outputs.iter().find(|o| o.key == "ProxyApiEndpoint").map(|o| o.value.clone());
    Ok(NamedStream { stream, pattern: stack.pattern, api_url })
}

/// Whether a shard whose numbers run from `start` to `end` (open when `None`) holds `seq`. Sequence
/// numbers are decimals of up to 128 digits: compared by length, then digit by digit.
fn holds(start: &str, end: Option<&str>, seq: &str) -> bool {
    let key = |s: &str| (s.len(), s.to_string());
    key(start) <= key(seq) && end.is_none_or(|e| key(seq) <= key(e))
}

fn tail_records(shard: &str, r: &aws_sdk_kinesis::types::Record) -> Vec<TailRecord> {
    let base = TailRecord {
        shard_id: shard.to_string(),
        sequence_number: r.sequence_number().to_string(),
        sub_sequence: None,
        arrival_ms: r.approximate_arrival_timestamp().and_then(|t| t.to_millis().ok()),
        partition_key: r.partition_key().unwrap_or_default().to_string(),
        data: r.data().as_ref().to_vec(),
    };
    match kpl::deaggregate(&base.data) {
        Some(users) => users
            .into_iter()
            .enumerate()
            .map(|(i, u)| TailRecord {
                sub_sequence: Some(i as u64),
                partition_key: u.partition_key,
                data: u.data,
                ..base.clone()
            })
            .collect(),
        None => vec![base],
    }
}

async fn list_shards(client: &Client, stream: &str) -> anyhow::Result<Vec<Shard>> {
    let mut shards = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let request = match &token {
            Some(t) => client.list_shards().next_token(t),
            None => client.list_shards().stream_name(stream),
        };
        let out = request.send().await.with_context(|| format!("ListShards on stream {stream}"))?;
        shards.extend(out.shards().iter().cloned());
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(shards);
        }
    }
}

/// How a record's data is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    /// JSON pretty-printed, else UTF-8 text, else hex.
    Pretty,
    /// JSON on one line, else UTF-8 text, else hex.
    Compact,
    Hex,
}

/// `data` as text in `format`: JSON documents re-printed, readable text as it is, anything else (and text
/// with control characters that would move a terminal's cursor) as hex.
pub fn show_data(data: &[u8], format: DataFormat) -> String {
    if format != DataFormat::Hex {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data)
            && (v.is_object() || v.is_array())
        {
            let shown =
                if format == DataFormat::Pretty { serde_json::to_string_pretty(&v) } else { serde_json::to_string(&v) };
            if let Ok(s) = shown {
                return s;
            }
        }
        if let Ok(text) = std::str::from_utf8(data)
            && !text.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return text.to_string();
        }
    }
    data.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_parse_from_their_words_times_and_numbers() {
        assert_eq!(StartAt::parse("latest").unwrap(), StartAt::Latest);
        assert_eq!(StartAt::parse("trim-horizon").unwrap(), StartAt::TrimHorizon);
        assert_eq!(StartAt::parse("2026-11-29T06:00:00Z").unwrap(), StartAt::Timestamp(1_795_932_000_000));
        assert_eq!(StartAt::parse("4959").unwrap(), StartAt::Sequence("4959".into()));
        let err = StartAt::parse("yesterday").unwrap_err().to_string();
        assert!(err.contains("\"yesterday\"") && err.contains("trim-horizon"), "{err}");
    }

    #[test]
    fn sequence_numbers_compare_as_numbers() {
        assert!(holds("100", Some("999"), "250"));
        assert!(!holds("100", Some("999"), "1000"), "longer is larger");
        assert!(holds("100", None, "123456789"), "an open shard holds everything after its start");
        assert!(!holds("200", None, "199"));
    }

    #[test]
    fn data_is_shown_as_json_text_or_hex() {
        let json = br#"{"TICKER":"AMZN","PRICE":12.5}"#;
        assert_eq!(show_data(json, DataFormat::Compact), r#"{"PRICE":12.5,"TICKER":"AMZN"}"#);
        assert!(show_data(json, DataFormat::Pretty).contains("\n  \"TICKER\": \"AMZN\""));
        assert_eq!(show_data(b"plain words", DataFormat::Pretty), "plain words");
        assert_eq!(show_data(b"12", DataFormat::Pretty), "12", "a bare JSON number reads as text");
        assert_eq!(show_data(&[0xff, 0x00], DataFormat::Pretty), "ff00");
        assert_eq!(show_data(b"\x1b[2Jclear", DataFormat::Compact), "1b5b324a636c656172", "no terminal escapes");
        assert_eq!(show_data(b"ab", DataFormat::Hex), "6162");
    }
}
