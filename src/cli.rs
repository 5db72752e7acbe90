//! The command line: global flags choose the target; subcommands are the headless operations.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use crate::commands::output::OutputFormat;
use crate::duration;
use crate::paths::Paths;
use crate::producer::workloads::WorkloadKind;
use crate::target::Target;
pub use crate::target::TargetKind;

#[derive(Debug, Parser)]
#[command(
    name = "kinesis-console",
    version,
    about = "A terminal control plane for streaming pipelines on Amazon Kinesis",
    long_about = "A terminal control plane for streaming pipelines on Amazon Kinesis.\n\n\
        By default it talks to its embedded local cloud (no AWS account needed); \
        --target aws uses your AWS credentials, --endpoint-url any AWS-compatible endpoint."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Where to talk to: the embedded local cloud, or real AWS [default: the config file's
    /// default-target, else local].
    #[arg(long, global = true, value_enum, env = "KINESIS_CONSOLE_TARGET")]
    pub target: Option<TargetKind>,
    /// The target when neither --target nor KINESIS_CONSOLE_TARGET names one (the config file's).
    #[arg(skip)]
    pub default_target: Option<TargetKind>,
    /// AWS profile (target aws).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS region (target aws or endpoint).
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// Any AWS-compatible endpoint (LocalStack, another `local serve`); overrides --target.
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// The local cloud's data directory [default: the XDG data dir].
    #[arg(long, global = true, value_name = "DIR", env = "KINESIS_CONSOLE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Output format for headless commands.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Refuse every action that changes anything.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Draw charts with blocks and ASCII instead of braille (terminals or fonts without braille).
    #[arg(long, global = true)]
    pub ascii: bool,
    /// The settings file [default: config.yaml in the XDG config dir, e.g. ~/.config/kinesis-console/].
    #[arg(long, global = true, value_name = "FILE", env = "KINESIS_CONSOLE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log level for the log file (error, warn, info, debug, trace).
    #[arg(long, global = true, default_value = "info", value_name = "LEVEL")]
    pub log_level: String,
}

impl GlobalArgs {
    /// The target these flags and the environment choose: `--endpoint-url` wins over `--target`,
    /// which wins over the config file's default target; local when nothing names one.
    pub fn target(&self, paths: &Paths) -> Target {
        Target::choose(
            self.target.or(self.default_target).unwrap_or(TargetKind::Local),
            self.endpoint_url.as_deref(),
            self.profile.as_deref(),
            self.region.as_deref(),
            paths,
        )
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run and manage the embedded local cloud.
    #[command(subcommand)]
    Local(LocalCommand),
    /// Version, every path used, and the target the console would talk to.
    Info,
    /// CloudWatch metric alarms: state, since when, and why.
    Alarms(AlarmsArgs),
    /// A stream's key CloudWatch figures per period (AWS/Kinesis).
    Metrics(MetricsArgs),
    /// The pipeline patterns the console deploys; `patterns show <id>` for one in full.
    Patterns(PatternsArgs),
    /// Print a pattern's CloudFormation template exactly as bundled.
    Template {
        /// Pattern id or number (see `patterns`).
        pattern: String,
    },
    /// Check parameter values against a pattern's template without deploying (exit 1 when invalid).
    Validate(ValidateArgs),
    /// Read CloudWatch dashboards: list them, or show one's widgets with their latest values.
    #[command(subcommand)]
    Dashboard(DashboardCommand),
    /// One-screen health of a dashboard; exit 0 when no alarm is in ALARM, 3 when one is, 1 on error.
    Health(HealthArgs),
    /// Deploy a pattern's template as a stack, printing each event as it happens (exit 1 on rollback).
    Deploy(DeployArgs),
    /// The console's deployments: pattern, status, age, alarms in ALARM.
    Stacks,
    /// A stack's resources with their physical ids, its outputs and its last events.
    Status {
        /// Stack name or id.
        stack: String,
    },
    /// A stack's events, oldest first; --follow prints new ones until the current operation ends.
    Events(EventsArgs),
    /// Change a stack's parameters through a change set: shows what changes and what is replaced, then asks.
    Update(UpdateArgs),
    /// Delete a stack, saying what it retains; asks for the stack name to be typed.
    Delete(DeleteArgs),
    /// What a stack's output bucket received: key, size, records, age (newest last); --download copies them out decompressed.
    Objects(ObjectsArgs),
    /// Put records on a stream at a steady rate, retrying each until it is acknowledged; exit 0 only when
    /// every record was (a live progress line on stderr, a summary at the end).
    Produce(ProduceArgs),
    /// Print a stream's records as they arrive, or from a starting point, following splits and merges
    /// within the read limits (five reads a second per shard), so it is safe on a production stream.
    Tail(TailArgs),
    /// A stack's dead-letter queue: depth and failure records decoded to the stream positions they name
    /// (left in the queue); --purge empties it after asking.
    Dlq(DlqArgs),
    /// Invoke a stack's Lambda function once (by logical id or name) and print its status, error, log
    /// tail and payload; exit 1 when the function failed.
    Invoke(InvokeArgs),
    /// Start a stack's Managed Flink application and wait until it runs (exit 1 when the start failed).
    StartApp(StartAppArgs),
    /// Stop a stack's Managed Flink application and wait until it is READY.
    StopApp(StopAppArgs),
    /// A stack's Managed Flink application snapshots; --create or --delete one.
    Snapshots(SnapshotsArgs),
    /// A stack's Managed Flink application: status, version, running time, last operation, last log lines.
    App {
        /// Stack name or id.
        stack: String,
    },
    /// Print a shell completion script.
    Completion {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Clone, Args)]
pub struct PatternsArgs {
    #[command(subcommand)]
    pub command: Option<PatternsCommand>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum PatternsCommand {
    /// A pattern's diagram, resources, parameters, outputs, alarms and dashboard.
    Show {
        /// Pattern id or number (see `patterns`).
        pattern: String,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// Pattern id or number (see `patterns`).
    pub pattern: String,
    /// A parameter value (repeatable); parameters not given take the template's defaults.
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
}

#[derive(Debug, Clone, Args)]
pub struct DeployArgs {
    /// Pattern id or number (see `patterns`).
    pub pattern: String,
    /// The stack's name [default: the pattern id].
    #[arg(long, value_name = "NAME")]
    pub stack_name: Option<String>,
    /// A parameter value (repeatable); parameters not given take the template's defaults.
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
    /// Return once CloudFormation accepted the stack, without following its events.
    #[arg(long)]
    pub no_wait: bool,
    /// Deploy this template instead of the pattern's bundled one (the stack still carries the pattern's tags).
    #[arg(long, value_name = "FILE")]
    pub template_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct EventsArgs {
    /// Stack name or id.
    pub stack: String,
    /// Keep printing new events until the stack's current operation ends.
    #[arg(long, short = 'f')]
    pub follow: bool,
}

#[derive(Debug, Clone, Args)]
pub struct UpdateArgs {
    /// Stack name or id.
    pub stack: String,
    /// A new parameter value (repeatable); the others keep their current values.
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
    /// Execute the change set without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DeleteArgs {
    /// Stack name or id.
    pub stack: String,
    /// Delete without asking for the stack name to be typed.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

fn parse_param(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => Ok((name.trim().to_string(), value.to_string())),
        _ => Err(format!("expected NAME=VALUE, got {s:?}")),
    }
}

#[derive(Debug, Subcommand)]
pub enum LocalCommand {
    /// Serve the local cloud in the foreground (for the aws CLI, boto3 or any SDK).
    Serve(ServeArgs),
    /// Whether a local cloud serves this data dir, and where.
    Status,
    /// Stop the local cloud serving this data dir.
    Stop,
    /// Delete everything the local cloud holds in this data dir (asks first).
    Reset {
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = crate::cloud::context::DEFAULT_PORT)]
    pub port: u16,
    /// Address to bind; anything but loopback exposes the cloud to the network.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Do not verify request signatures.
    #[arg(long)]
    pub no_auth: bool,
    /// Do not enforce service limits (Kinesis shard throughput) — for bulk tests.
    #[arg(long)]
    pub no_limits: bool,
    /// Inject faults: [SERVICE:]throttle=0.2,error=0.01,latency=20ms,reset=0.005 (repeatable).
    #[arg(long, value_name = "SPEC")]
    pub faults: Vec<String>,
    /// Start with the clock in virtual mode (time moves only through the admin API).
    #[arg(long)]
    pub virtual_clock: bool,
    /// Serve requests from this web origin (e.g. http://localhost:3000); any other Origin is refused (repeatable).
    #[arg(long, value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum DashboardCommand {
    /// Every dashboard of the target.
    List,
    /// Each widget's title, its series' latest value, unit and a sparkline; alarms with their state.
    Show(ShowArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    /// The dashboard's name.
    pub name: String,
    /// How far back to look: a number with a unit (s, m, h, d or w: 90s, 15m, 3h, 1d); a bare number is refused.
    #[arg(long, default_value = "1h", value_parser = duration::parse)]
    pub since: Duration,
    /// The period in seconds, instead of the dashboard's (AWS) or one chosen from --since (local).
    #[arg(long, value_name = "SECONDS")]
    pub period: Option<i64>,
}

#[derive(Debug, Clone, Args)]
pub struct HealthArgs {
    /// The dashboard's name.
    pub name: String,
    /// How far back the latest values look: a number with a unit (s, m, h, d or w: 90s, 15m, 3h, 1d); a bare number is refused.
    #[arg(long, default_value = "15m", value_parser = duration::parse)]
    pub since: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlarmState {
    #[value(name = "ALARM")]
    Alarm,
    #[value(name = "OK")]
    Ok,
    #[value(name = "INSUFFICIENT_DATA")]
    InsufficientData,
}

#[derive(Debug, Clone, Args)]
pub struct AlarmsArgs {
    /// Only alarms in this state.
    #[arg(long, value_enum)]
    pub state: Option<AlarmState>,
    /// Only alarms whose name starts with this.
    #[arg(long, value_name = "P")]
    pub prefix: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ObjectsArgs {
    /// Stack name or id; its output ending in BucketName names the bucket.
    pub stack: String,
    /// Only keys starting with this.
    #[arg(long, value_name = "P")]
    pub prefix: Option<String>,
    /// Only objects written within this span of the target's clock: a number with a unit (s, m, h, d or w: 90s, 15m, 3h, 2d); a bare number is refused.
    #[arg(long, value_parser = duration::parse)]
    pub since: Option<Duration>,
    /// Copy the objects listed into DIR (under their keys, decompressed); an existing file is never overwritten.
    #[arg(long, value_name = "DIR")]
    pub download: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
#[command(group = clap::ArgGroup::new("destination").required(true).args(["stack", "stream"]))]
pub struct ProduceArgs {
    /// A stack whose DataStreamName output names the stream (or a stream of that name).
    pub stack: Option<String>,
    /// The stream, by name.
    #[arg(long, value_name = "NAME")]
    pub stream: Option<String>,
    /// What to send: ticker events (pattern 2's producer), a taxi-trip replay (pattern 4's), or ticker events
    /// through pattern 1's REST API (rest). By default the one of the stack's pattern, else ticker.
    #[arg(long, value_enum)]
    pub workload: Option<WorkloadKind>,
    /// Records per second: the ticker's rate (100 when not given), a cap on the replay's pace.
    #[arg(long, value_parser = produce_rate)]
    pub rate: Option<f64>,
    /// How much faster than the trips happened the taxi replay runs (the replay tool's 6480 by default).
    #[arg(long, value_parser = produce_rate)]
    pub speedup: Option<f64>,
    /// Stop after this long (90s, 15m); with neither this nor --count, run until Ctrl-C.
    #[arg(long, value_parser = duration::parse, conflicts_with = "count")]
    pub duration: Option<Duration>,
    /// Stop after this many records.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// KPL aggregation: many records per Kinesis record, which KPL-aware consumers read.
    #[arg(long)]
    pub aggregate: bool,
    /// Seed of the workload's random draws, to repeat a run exactly.
    #[arg(long)]
    pub seed: Option<u64>,
    /// constant: one partition key and a random explicit hash key per record (the reference's way);
    /// random: a random partition key per record.
    #[arg(long, value_enum, default_value = "constant")]
    pub partition_key: PartitionKeys,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PartitionKeys {
    Constant,
    Random,
}

/// `produce --rate`: a positive number of records per second, at most a million.
pub fn produce_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 && r <= 1_000_000.0 => Ok(r),
        _ => Err(format!("{text:?} is not a rate: give records per second, more than 0 and at most 1000000")),
    }
}

#[derive(Debug, Clone, Args)]
#[command(group = clap::ArgGroup::new("dlq_source").required(true).args(["stack", "queue"]))]
pub struct DlqArgs {
    /// Stack name or id; its AWS::SQS::Queue named DeadLetterQueue (or its only queue) is read.
    pub stack: Option<String>,
    /// The queue, by URL, instead of a stack's.
    #[arg(long, value_name = "URL", conflicts_with = "stack")]
    pub queue: Option<String>,
    /// Show up to N messages (1 to 100), leaving them in the queue.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub peek: u16,
    /// Delete every message of the queue; asks first (refused without a terminal unless --yes).
    #[arg(long)]
    pub purge: bool,
    /// Purge without asking.
    #[arg(long, short = 'y', requires = "purge")]
    pub yes: bool,
}

#[derive(Debug, Clone, Args)]
pub struct InvokeArgs {
    /// The stack holding the function.
    #[arg(required_unless_present = "function_name")]
    pub stack: Option<String>,
    /// The function's logical id in the stack, or its physical name.
    #[arg(required_unless_present = "function_name")]
    pub function: Option<String>,
    /// A function name or ARN, without a stack.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["stack", "function"])]
    pub function_name: Option<String>,
    /// The event: a JSON document, or @file to read one; `{}` when not given.
    #[arg(long, value_name = "JSON|@FILE")]
    pub payload: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct StartAppArgs {
    /// Stack name or id.
    pub stack: String,
    /// What the job restores: latest-snapshot, a snapshot's name, or none.
    #[arg(long, default_value = "latest-snapshot", value_name = "latest-snapshot|SNAPSHOT|none")]
    pub from: String,
}

#[derive(Debug, Clone, Args)]
pub struct StopAppArgs {
    /// Stack name or id.
    pub stack: String,
    /// Require the stop to take a snapshot (fails when the application's snapshots are off).
    #[arg(long, conflicts_with = "force")]
    pub snapshot: bool,
    /// Stop at once, without a snapshot (also a starting or updating application).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct SnapshotsArgs {
    /// Stack name or id.
    pub stack: String,
    /// Take a snapshot of the running application, named NAME (or `<application>-<ms>`).
    #[arg(long, value_name = "NAME", num_args = 0..=1, default_missing_value = "", conflicts_with = "delete")]
    pub create: Option<String>,
    /// Delete the snapshot NAME.
    #[arg(long, value_name = "NAME")]
    pub delete: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct TailArgs {
    /// The stream, or a stack whose DataStreamName output names one.
    pub stream: String,
    /// Where to start: latest, trim-horizon, an RFC 3339 time (2026-11-29T06:00:00Z) or a sequence number.
    #[arg(long, default_value = "latest", value_name = "FROM")]
    pub from: String,
    /// Only this shard (shardId-000000000000); otherwise every shard, children after their parents.
    #[arg(long, value_name = "SHARD")]
    pub shard: Option<String>,
    /// Stop after this many records (`--max N` says the same).
    #[arg(long, visible_alias = "max", value_name = "N")]
    pub count: Option<u64>,
    /// Stop once every shard is read up to its newest record, instead of waiting for more.
    #[arg(long, conflicts_with = "follow")]
    pub no_follow: bool,
    /// Keep waiting for new records once every shard is read up to its newest (the default; for scripts
    /// that say so).
    #[arg(long)]
    pub follow: bool,
    /// How record data is shown: JSON pretty or compact (text as it is, else hex), or always hex.
    #[arg(long, value_enum, default_value = "pretty")]
    pub data: DataShown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DataShown {
    Pretty,
    Compact,
    Hex,
}

#[derive(Debug, Clone, Args)]
pub struct MetricsArgs {
    /// The Kinesis stream.
    #[arg(long, value_name = "NAME")]
    pub stream: String,
    /// How far back, at most 15 days: a number with a unit (s, m, h, d or w: 90s, 15m, 3h, 2d); a bare number is refused.
    #[arg(long, default_value = "15m", value_parser = metrics_range)]
    pub since: Duration,
}

/// The longest `metrics --since`: CloudWatch keeps one-minute data points for 15 days.
pub const METRICS_MAX_RANGE: Duration = Duration::from_secs(15 * 86_400);

/// `metrics --since`: the crate's one duration rule, bounded by [`METRICS_MAX_RANGE`].
pub fn metrics_range(text: &str) -> Result<Duration, String> {
    duration::parse_at_most(text, METRICS_MAX_RANGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn since_of(args: &[&str]) -> Result<Duration, String> {
        let cli = Cli::try_parse_from(args).map_err(|e| e.to_string())?;
        match cli.command {
            Some(Command::Metrics(m)) => Ok(m.since),
            Some(Command::Dashboard(DashboardCommand::Show(s))) => Ok(s.since),
            Some(Command::Health(h)) => Ok(h.since),
            other => Err(format!("unexpected command {other:?}")),
        }
    }

    #[test]
    fn every_since_flag_reads_a_duration_the_same_way() {
        for text in ["90s", "15m", "3h", "2d", "15", "0m", "15x"] {
            let metrics = since_of(&["kc", "metrics", "--stream", "s", "--since", text]);
            let show = since_of(&["kc", "dashboard", "show", "d", "--since", text]);
            let health = since_of(&["kc", "health", "d", "--since", text]);
            assert_eq!(metrics.is_ok(), show.is_ok(), "{text}: {metrics:?} vs {show:?}");
            assert_eq!(show.is_ok(), health.is_ok(), "{text}: {show:?} vs {health:?}");
            if let (Ok(m), Ok(s), Ok(h)) = (&metrics, &show, &health) {
                assert!(m == s && s == h, "{text}: {m:?} {s:?} {h:?}");
            }
        }
        assert!(
            since_of(&["kc", "metrics", "--stream", "s", "--since", "15"]).is_err_and(|e| e.contains("needs a unit"))
        );
    }

    #[test]
    fn metrics_keeps_its_fifteen_day_bound_and_the_dashboard_reaches_further() {
        assert!(since_of(&["kc", "metrics", "--stream", "s", "--since", "16d"]).is_err());
        assert_eq!(since_of(&["kc", "dashboard", "show", "d", "--since", "2w"]), Ok(Duration::from_secs(14 * 86_400)));
    }

    #[test]
    fn objects_since_reads_durations_like_the_others_and_says_so() {
        use clap::CommandFactory;
        let since = |text: &str| match Cli::try_parse_from(["kc", "objects", "s", "--since", text]) {
            Ok(Cli { command: Some(Command::Objects(o)), .. }) => Ok(o.since),
            other => Err(format!("{other:?}")),
        };
        assert_eq!(since("15m"), Ok(Some(Duration::from_secs(900))));
        assert!(since("15").is_err_and(|e| e.contains("needs a unit")));
        let mut cmd = Cli::command();
        let help = cmd.find_subcommand_mut("objects").expect("objects").render_long_help().to_string();
        assert!(help.split_whitespace().collect::<Vec<_>>().join(" ").contains("a bare number is refused"), "{help}");
    }

    #[test]
    fn metrics_durations_parse_with_units() {
        // `--since` goes through the crate's one duration rule, bounded to 15 days.
        let parse_since = metrics_range;
        assert_eq!(parse_since("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_since("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_since("3h"), Ok(Duration::from_secs(10_800)));
        assert!(parse_since("15x").is_err());
        assert!(parse_since("0m").is_err());
        assert!(parse_since("16d").is_err());
    }

    #[test]
    fn help_states_the_duration_rule() {
        use clap::CommandFactory;
        let mut cmd = Cli::command();
        for path in [&["metrics"][..], &["dashboard", "show"], &["health"]] {
            let sub = path.iter().fold(&mut cmd, |c, name| c.find_subcommand_mut(name).expect("subcommand"));
            let help = sub.render_long_help().to_string().split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(help.contains("a bare number is refused"), "{path:?}: {help}");
        }
    }
}
