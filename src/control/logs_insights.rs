//! A dashboard log widget's Logs Insights query, run through the SDK: StartQuery over the widget's
//! log groups and the dashboard's range, then GetQueryResults until the query ends or the deadline
//! passes. The rows come back as text cells under the fields the results name.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context as _, bail};
use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use aws_sdk_cloudwatchlogs::types::QueryStatus;

use crate::control::dashboard::model::LogWidget;
use crate::control::dashboard::{Dashboard, TimeRange, WidgetKind};

/// How often a running query is asked for its results.
const POLL: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogResults {
    /// Field names in the order they first appear (`@ptr` left out: it is a handle, not data).
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Why a widget shows no rows: the target has no Logs Insights, or the query failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LogQueryError {
    #[error("Logs Insights is not available on this target")]
    NotAvailable,
    #[error("{0}")]
    Failed(String),
}

/// The query text without its `SOURCE '…'` clauses, which dashboards write in the query and
/// StartQuery takes as `logGroupNames`.
pub fn query_text(query: &str) -> String {
    query
        .split('|')
        .map(str::trim)
        .filter(|part| !part.is_empty() && !part.starts_with("SOURCE "))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Runs `widget`'s query over `[start_ms, end_ms)`, waiting at most `deadline` for it to end.
pub async fn run(
    client: &Client,
    widget: &LogWidget,
    start_ms: i64,
    end_ms: i64,
    deadline: Duration,
) -> Result<LogResults, LogQueryError> {
    let groups = widget.log_groups();
    if groups.is_empty() {
        return Err(LogQueryError::Failed("the query names no log group (SOURCE '…')".into()));
    }
    let started = client
        .start_query()
        .set_log_group_names(Some(groups.clone()))
        .start_time(start_ms.div_euclid(1000))
        .end_time(end_ms.div_euclid(1000))
        .query_string(query_text(&widget.query))
        .send()
        .await;
    let id = match started {
        Ok(out) => out.query_id().unwrap_or_default().to_string(),
        Err(e) if matches!(e.code(), Some("UnknownOperationException" | "InvalidAction")) => {
            return Err(LogQueryError::NotAvailable);
        }
        Err(e) => {
            let e = anyhow::Error::from(aws_sdk_cloudwatchlogs::Error::from(e));
            return Err(LogQueryError::Failed(format!("StartQuery on {}: {}", groups.join(", "), e)));
        }
    };
    wait(client, &id, deadline).await.map_err(|e| LogQueryError::Failed(format!("{e:#}")))
}

/// Every log widget's query of `dashboard` over `range`, run at once: each widget index gets its
/// rows or why it has none.
pub async fn dashboard(
    client: &Client,
    dashboard: &Dashboard,
    range: TimeRange,
    deadline: Duration,
) -> BTreeMap<usize, Result<LogResults, LogQueryError>> {
    let queries = dashboard.widgets.iter().enumerate().filter_map(|(i, w)| match &w.kind {
        WidgetKind::Log(l) => Some(async move { (i, run(client, l, range.start_ms, range.end_ms, deadline).await) }),
        _ => None,
    });
    futures_util::future::join_all(queries).await.into_iter().collect()
}

async fn wait(client: &Client, id: &str, deadline: Duration) -> anyhow::Result<LogResults> {
    let give_up = tokio::time::Instant::now() + deadline;
    loop {
        let out = client
            .get_query_results()
            .query_id(id)
            .send()
            .await
            .map_err(aws_sdk_cloudwatchlogs::Error::from)
            .with_context(|| format!("GetQueryResults {id}"))?;
        match out.status() {
            Some(QueryStatus::Complete) => return Ok(table(out.results())),
            Some(QueryStatus::Failed | QueryStatus::Cancelled | QueryStatus::Timeout) => {
                bail!("query {id} ended {}", out.status().map_or("?", |s| s.as_str()))
            }
            _ if tokio::time::Instant::now() >= give_up => {
                // A query left running costs by the data it scans: stop it rather than abandon it.
                let _ = client.stop_query().query_id(id).send().await;
                bail!("query {id} did not finish within {} s", deadline.as_secs())
            }
            _ => tokio::time::sleep(POLL).await,
        }
    }
}

fn table(results: &[Vec<aws_sdk_cloudwatchlogs::types::ResultField>]) -> LogResults {
    let mut columns: Vec<String> = Vec::new();
    for field in results.iter().flatten().filter_map(|f| f.field()) {
        if field != "@ptr" && !columns.iter().any(|c| c == field) {
            columns.push(field.to_string());
        }
    }
    let rows = results
        .iter()
        .map(|row| {
            columns
                .iter()
                .map(|c| row.iter().find(|f| f.field() == Some(c)).and_then(|f| f.value()).unwrap_or("").to_string())
                .collect()
        })
        .collect();
    LogResults { columns, rows }
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudwatchlogs::types::ResultField;

    use super::*;

    #[test]
    fn source_clauses_leave_the_query_text() {
        let q = "SOURCE '/aws/kinesis-analytics/app' | fields @timestamp, @message\n| sort @timestamp desc | limit 20";
        assert_eq!(query_text(q), "fields @timestamp, @message | sort @timestamp desc | limit 20");
    }

    #[test]
    fn rows_line_up_under_the_fields_they_name_without_the_pointer() {
        let f = |k: &str, v: &str| ResultField::builder().field(k).value(v).build();
        let results = vec![
            vec![f("@timestamp", "t1"), f("@message", "m1"), f("@ptr", "p")],
            vec![f("@message", "m2"), f("level", "WARN")],
        ];
        let t = table(&results);
        assert_eq!(t.columns, vec!["@timestamp", "@message", "level"]);
        assert_eq!(t.rows, vec![vec!["t1", "m1", ""], vec!["", "m2", "WARN"]]);
    }
}
