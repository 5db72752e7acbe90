//! The asked rate, held in cloud time: the producer paced by the local cloud's virtual clock, which the
//! test moves in 50 ms steps, checking after each that exactly what was due has been made and
//! acknowledged, so every second of cloud time saw exactly the rate.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::types::ShardIteratorType;
use kinesis_console::cloud::context::CloudContext;
use kinesis_console::producer::engine::{Producer, Settings, TimeSource, Until};
use kinesis_console::producer::workloads::ticker::{Keys, Ticker};
use tokio::sync::watch;

use crate::support::{self, TestCloud};

struct CloudTime(Arc<CloudContext>);

impl TimeSource for CloudTime {
    fn now_ms(&self) -> i64 {
        self.0.clock.now_ms()
    }

    fn sleep_until(&self, deadline_ms: i64) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(self.0.clock.sleep_until(deadline_ms))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ticker_sends_100_records_a_second_of_cloud_time() {
    let cloud = TestCloud::start_virtual().await;
    let k = Client::new(&cloud.sdk_config().await);
    k.create_stream().stream_name("paced").shard_count(1).send().await.expect("CreateStream");
    cloud.until_stream_active("paced").await;

    let producer = Producer::connect(&cloud.sdk_config().await, "paced", Settings::default())
        .await
        .expect("connects")
        .with_clock(Arc::new(CloudTime(cloud.cloud.ctx.clone())));
    let counters = producer.counters();
    let (_stop_tx, stop) = watch::channel(false);
    let run = tokio::spawn(async move {
        let mut ticker = Ticker::new(9, Keys::ConstantWithHashKey, Box::new(kinesis_console::cloud::clock::wall_ms));
        producer.run(&mut ticker, Until { count: None, duration: Some(Duration::from_secs(10)) }, stop).await
    });
    // Default rate 100/s: five records leave every 50 ms of cloud time, the first five at once.
    for step in 0..200u64 {
        let due = 5 * (step + 1);
        support::eventually(Duration::from_secs(10), "the records due to be acknowledged", || {
            let acked = counters.snapshot().acknowledged;
            async move { (acked >= due).then_some(()) }
        })
        .await;
        assert_eq!(counters.snapshot().produced, due, "no more than the rate allows at step {step}");
        cloud.advance_settled(Duration::from_millis(50)).await;
    }
    let summary = run.await.expect("the run ends").expect("without an error");
    assert!(summary.delivered_all(), "{summary:?}");
    assert_eq!(summary.counters.acknowledged, 1_000, "100 records/s for 10 s");

    // And all of them are on the stream.
    let shard = k.list_shards().stream_name("paced").send().await.unwrap().shards()[0].shard_id().to_string();
    let it =
        k.get_shard_iterator().stream_name("paced").shard_id(shard).shard_iterator_type(ShardIteratorType::TrimHorizon);
    let mut it = it.send().await.unwrap().shard_iterator().map(str::to_string);
    let mut read = 0;
    while let Some(current) = it {
        cloud.advance_settled(Duration::from_secs(1)).await;
        let out = k.get_records().shard_iterator(current).send().await.expect("GetRecords");
        read += out.records().len();
        it = if out.records().is_empty() { None } else { out.next_shard_iterator().map(str::to_string) };
    }
    assert_eq!(read, 1_000);
}
