//! One frame of the pattern 2 dashboard (`kpl-kds-kda`) at 200×60 with 3 hours of 1-second data
//! per series, drawn by the console's dashboard view into ratatui's `TestBackend`.
//!
//! Method: the dashboard's answer is synthesized (`ui::views::dashboard::synth`: the plan a real
//! refresh makes at a fixed 1-second period, 10,800 points for every returned query, the alarm
//! graphs watching metrics of their own) and handed to the view once, which downsamples each
//! series to its drawn width (that preparation is timed on its own, as it happens once per
//! answer or resize). Then `FRAMES` frames are drawn after `WARMUP` unmeasured ones, each timed
//! alone; the mean and the 99th percentile are reported, next to two baselines measured in the
//! same run the same way: the frame of an empty dashboard (the shell and the grid alone), and the
//! same dashboard with every raw point kept (prepared for a width at which nothing is dropped),
//! which is what drawing without downsampling costs. Target: ≤ 2 ms a frame.
//!
//! Run: `cargo bench --bench render`; `cargo bench --bench render -- --idle` measures the
//! console's CPU while a dashboard is open and nothing changes (`idle.rs`).

#[path = "../../tests/dashboard/templates.rs"]
#[allow(dead_code)]
mod templates;

mod idle;

use std::time::{Duration, Instant};

use jiff::tz::TimeZone;
use kinesis_console::control::dashboard::alarms::{AlarmBook, AlarmInfo, AlarmWatches};
use kinesis_console::control::dashboard::metric::MetricSpec;
use kinesis_console::control::dashboard::{Dashboard, PeriodRule};
use kinesis_console::ui::action::{Data, Source};
use kinesis_console::ui::theme::{Theme, ThemeName};
use kinesis_console::ui::view::{DrawCtx, View};
use kinesis_console::ui::views::dashboard::DashboardScreen;
use kinesis_console::ui::views::dashboard::synth::synthesize;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const PATTERN: &str = "kpl-kds-kda";
const SECS: i64 = 3 * 3600;
const END_MS: i64 = 1_795_953_600_000;
const SIZE: (u16, u16) = (200, 60);
const WARMUP: usize = 50;
const FRAMES: usize = 2000;
const TARGET: Duration = Duration::from_millis(2);

/// The pattern's alarms, each watching a metric of its own.
fn alarms() -> AlarmBook {
    templates::alarm_logical_ids(PATTERN)
        .into_iter()
        .map(|logical| {
            let name = templates::alarm_name(&logical);
            let info = AlarmInfo {
                name: name.clone(),
                arn: format!("arn:aws:cloudwatch:{}:{}:alarm:{name}", templates::REGION, templates::ACCOUNT),
                state: "OK".to_string(),
                reason: None,
                threshold: Some(100.0),
                comparison: Some("GreaterThanThreshold".to_string()),
                watches: AlarmWatches::Metric(MetricSpec {
                    namespace: "AWS/KinesisAnalytics".to_string(),
                    metric_name: format!("{logical}Metric"),
                    dimensions: Vec::new(),
                    stat: "Average".to_string(),
                    period: 60,
                }),
            };
            (name, info)
        })
        .collect()
}

/// A view holding `body`'s answer, prepared for a terminal of `prepared_for` columns.
fn view(body: &str, prepared_for: u16) -> (DashboardScreen, Duration, usize) {
    let dashboard = Dashboard::parse(body).expect("the pattern's dashboard parses");
    let data = synthesize(dashboard, &alarms(), SECS, END_MS, PeriodRule::Fixed(1));
    let points: usize = data.view.widgets.iter().flat_map(|w| &w.series).map(|s| s.values.len()).sum();
    let mut v = DashboardScreen::new("bench".into()).with_time_zone(TimeZone::UTC);
    v.on_resize(prepared_for, SIZE.1);
    let started = Instant::now();
    v.on_data(&Source::Dashboard("bench".into()), &Data::Dashboard(Box::new(data)));
    (v, started.elapsed(), points)
}

struct Timing {
    mean: Duration,
    p99: Duration,
}

fn frames(v: &DashboardScreen) -> Timing {
    let theme = Theme::new(ThemeName::Dark, true);
    let ctx = DrawCtx { theme: &theme, now_ms: END_MS, ascii: false };
    let mut terminal = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).expect("a test terminal");
    let mut one = || {
        let started = Instant::now();
        terminal.draw(|f| v.draw(f, f.area(), &ctx)).expect("a frame");
        started.elapsed()
    };
    for _ in 0..WARMUP {
        one();
    }
    let mut times: Vec<Duration> = (0..FRAMES).map(|_| one()).collect();
    times.sort();
    let mean = times.iter().sum::<Duration>() / FRAMES as u32;
    let p99 = times[(FRAMES * 99).div_ceil(100) - 1];
    Timing { mean, p99 }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--idle") {
        if let Err(e) = idle::run(&args) {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
        return;
    }
    let body = templates::body(PATTERN);
    let (dashboard, prepare, points) = view(&body, SIZE.0);
    let (raw, _, _) = view(&body, u16::MAX);
    let (empty, _, _) = view(r#"{"widgets": []}"#, SIZE.0);
    let widgets = dashboard.prepared().len();

    let measured = frames(&dashboard);
    let empty_t = frames(&empty);
    let raw_t = frames(&raw);

    println!(
        "render: {PATTERN} at {}x{}, {widgets} widgets, {points} points (3 h of 1 s data a series)",
        SIZE.0, SIZE.1
    );
    println!("  prepare (downsample once per answer): {}", ms(prepare));
    println!("  {:<44} {:>12} {:>12}", "frame", "mean", "p99");
    println!(
        "  {:<44} {:>12} {:>12}",
        "dashboard, downsampled to the drawn width",
        ms(measured.mean),
        ms(measured.p99)
    );
    println!("  {:<44} {:>12} {:>12}", "baseline: empty dashboard", ms(empty_t.mean), ms(empty_t.p99));
    println!("  {:<44} {:>12} {:>12}", "baseline: every raw point drawn", ms(raw_t.mean), ms(raw_t.p99));
    let verdict = if measured.p99 <= TARGET { "within" } else { "OVER" };
    println!("  target ≤ {} a frame: p99 {verdict} target", ms(TARGET));
}
