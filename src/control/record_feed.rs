//! A tail running in the background for the console's records view: it reads the stream through
//! [`Tail`] (so within the read limits, following resharding) into a bounded ring, and the view asks
//! for what arrived after the last record it has. A request the console abandons never loses records,
//! because reading and asking are apart.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::task::JoinHandle;

use super::tail::{StartAt, Tail, TailRecord, resolve_stream};

/// Records the ring keeps; older ones are dropped (and counted) when a view falls this far behind.
pub const CAPACITY: usize = 2_000;

/// What arrived after a position, as the view takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub stream: String,
    /// Records after the asked position, oldest first, each with its position in the feed.
    pub records: Vec<(u64, TailRecord)>,
    /// Records the ring dropped before they were asked for.
    pub missed: u64,
    /// Every shard read was at its newest record at the last read.
    pub caught_up: bool,
    /// Why the tail stopped, when it did.
    pub error: Option<String>,
}

#[derive(Default)]
struct Ring {
    records: VecDeque<(u64, TailRecord)>,
    /// The position the next record gets.
    next: u64,
    caught_up: bool,
    error: Option<String>,
}

pub struct RecordFeed {
    stream: String,
    ring: Arc<Mutex<Ring>>,
    task: JoinHandle<()>,
}

impl RecordFeed {
    /// Opens the tail (listing the shards, positioning each) and starts reading in the background.
    pub async fn open(client: aws_sdk_kinesis::Client, stream: &str, start: StartAt) -> anyhow::Result<RecordFeed> {
        let mut tail = Tail::open(client, stream, start, None).await?;
        let ring = Arc::new(Mutex::new(Ring::default()));
        let writer = ring.clone();
        let task = tokio::spawn(async move {
            while !tail.is_done() {
                let polled = tail.poll().await;
                let Ok(mut ring) = writer.lock() else { return };
                match polled {
                    Ok(records) => {
                        for record in records {
                            let at = ring.next;
                            ring.next += 1;
                            ring.records.push_back((at, record));
                            if ring.records.len() > CAPACITY {
                                ring.records.pop_front();
                            }
                        }
                        ring.caught_up = tail.caught_up();
                    }
                    Err(e) => {
                        ring.error = Some(format!("{e:#}"));
                        return;
                    }
                }
            }
            if let Ok(mut ring) = writer.lock() {
                ring.error = Some("every shard of the stream was read to its end".into());
            }
        });
        Ok(RecordFeed { stream: stream.to_string(), ring, task })
    }

    /// The records after position `after` (`None`: from the oldest kept).
    pub fn since(&self, after: Option<u64>) -> Page {
        let Ok(ring) = self.ring.lock() else {
            return Page {
                stream: self.stream.clone(),
                records: Vec::new(),
                missed: 0,
                caught_up: false,
                error: Some("the record feed stopped".into()),
            };
        };
        let first_kept = ring.records.front().map_or(ring.next, |(at, _)| *at);
        let wanted = after.map_or(first_kept, |a| a + 1);
        Page {
            stream: self.stream.clone(),
            records: ring.records.iter().filter(|(at, _)| *at >= wanted).cloned().collect(),
            missed: first_kept.saturating_sub(wanted),
            caught_up: ring.caught_up,
            error: ring.error.clone(),
        }
    }
}

/// A feed nobody asked for this long is closed (its view went away).
pub const IDLE: Duration = Duration::from_secs(30);

/// The console's feeds, one per target (a stack or stream name as the user gave it).
#[derive(Default)]
pub struct Feeds {
    feeds: tokio::sync::Mutex<BTreeMap<String, (RecordFeed, Instant)>>,
}

impl Feeds {
    /// The records of `target`'s feed after `after`, opening the feed at `start` on first ask.
    pub async fn page(
        &self,
        sdk: &aws_config::SdkConfig,
        target: &str,
        after: Option<u64>,
        start: StartAt,
    ) -> anyhow::Result<Page> {
        let mut feeds = self.feeds.lock().await;
        feeds.retain(|name, (_, asked)| name == target || asked.elapsed() < IDLE);
        if !feeds.contains_key(target) {
            let kinesis = aws_sdk_kinesis::Client::new(sdk);
            let stream = resolve_stream(&kinesis, &super::stacks::client(sdk), target).await?.stream;
            feeds.insert(target.to_string(), (RecordFeed::open(kinesis, &stream, start).await?, Instant::now()));
        }
        let (feed, asked) = feeds.get_mut(target).context("a feed just opened")?;
        *asked = Instant::now();
        Ok(feed.since(after))
    }
}

impl Drop for RecordFeed {
    fn drop(&mut self) {
        self.task.abort();
    }
}
