//! The header: which target this is, unmistakably, and what the console is doing — the read-only
//! badge, a spinner while requests are in flight, the monitoring cost on AWS, the breadcrumbs.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use crate::target::Target;

const SPINNER: [&str; 4] = ["|", "/", "-", "\\"];

#[derive(Debug, Clone, PartialEq)]
pub struct HeaderInfo {
    pub target: Target,
    pub read_only: bool,
    /// The AWS account id, once STS answered.
    pub account: Option<String>,
}

impl HeaderInfo {
    pub fn is_local(&self) -> bool {
        matches!(self.target, Target::Local { .. })
    }

    pub fn is_aws(&self) -> bool {
        matches!(self.target, Target::Aws { .. })
    }

    /// The target badge's text.
    pub fn badge(&self) -> String {
        match &self.target {
            Target::Local { data_dir } => format!(" LOCAL {} ", data_dir.display()),
            Target::Aws { profile, region } => format!(
                " AWS {} profile {} region {} ",
                self.account.as_deref().unwrap_or("(account …)"),
                profile.as_deref().unwrap_or("default"),
                region.as_deref().unwrap_or("(from profile)")
            ),
            Target::Endpoint { url, .. } => format!(" ENDPOINT {url} "),
        }
    }
}

/// What the header draws this frame.
pub struct HeaderState<'a> {
    pub info: &'a HeaderInfo,
    pub crumbs: &'a [String],
    pub busy: bool,
    pub spinner: usize,
    /// Estimated monitoring cost of what is open, per hour (AWS only).
    pub cost_per_hour_usd: Option<f64>,
}

pub fn draw(frame: &mut Frame, area: Rect, state: &HeaderState<'_>, theme: &Theme) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let badge_style = match state.info.target {
        Target::Local { .. } => theme.local,
        _ => theme.warning,
    };
    let mut right: Vec<Span> = Vec::new();
    if let Some(cost) = state.cost_per_hour_usd.filter(|_| state.info.is_aws()) {
        right.push(Span::styled(format!(" ~${cost:.3}/h "), theme.warning));
    }
    if state.info.read_only {
        right.push(Span::styled(" READ-ONLY ", theme.warning));
    }
    right.push(Span::styled(
        if state.busy { format!(" {} ", SPINNER[state.spinner % 4]) } else { "   ".into() },
        theme.text,
    ));
    let right_width: usize = right.iter().map(|s| s.content.chars().count()).sum();
    let width = area.width as usize;
    let mut badge = state.info.badge();
    // The badge always shows: it shrinks before anything else is dropped beside it.
    let room = width.saturating_sub(right_width).max(width.min(7));
    if badge.chars().count() > room {
        badge = badge.chars().take(room.saturating_sub(1)).collect::<String>() + "…";
    }
    let mut spans = vec![Span::styled(badge.clone(), badge_style)];
    let crumbs = format!(" {}", state.crumbs.join(" › "));
    let left_room = width.saturating_sub(badge.chars().count() + right_width);
    spans.push(Span::styled(crumbs.chars().take(left_room).collect::<String>(), theme.title));
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    if used + right_width <= width {
        spans.push(Span::raw(" ".repeat(width - used - right_width)));
        spans.extend(right);
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
