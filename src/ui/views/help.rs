//! Help: the keys of the view it was opened from and the shell's, as the live key map has them, and
//! the palette's commands.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::ui::action::{Data, Request, Source};
use crate::ui::palette::COMMANDS;
use crate::ui::view::{DrawCtx, KeyHelp, Outcome, View};

pub struct HelpScreen {
    keys: Vec<KeyHelp>,
}

impl HelpScreen {
    pub fn new(keys: Vec<KeyHelp>) -> Self {
        let keys = if keys.is_empty() { crate::ui::app::shell_keys() } else { keys };
        HelpScreen { keys }
    }
}

impl View for HelpScreen {
    fn crumb(&self) -> String {
        "help".into()
    }
    fn keys(&self) -> Vec<KeyHelp> {
        Vec::new()
    }
    fn requests(&self) -> Vec<Request> {
        Vec::new()
    }
    fn on_key(&mut self, _key: &KeyEvent) -> Outcome {
        Outcome::Ignored
    }
    fn on_data(&mut self, _source: &Source, _data: &Data) -> bool {
        false
    }
    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &DrawCtx<'_>) {
        let width = self.keys.iter().map(|k| k.keys.chars().count()).max().unwrap_or(4) + 2;
        let mut lines = vec![Line::from(Span::styled("Keys", ctx.theme.title))];
        lines.extend(self.keys.iter().map(|k| {
            Line::from(vec![Span::styled(format!("  {:<width$}", k.keys), ctx.theme.title), Span::raw(k.what.clone())])
        }));
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled("Commands (after :)", ctx.theme.title)));
        lines.extend(COMMANDS.iter().map(|(word, takes, what)| {
            let word = if *takes { format!("{word} NAME") } else { word.to_string() };
            Line::from(vec![Span::styled(format!("  {word:<16}"), ctx.theme.title), Span::raw(*what)])
        }));
        frame.render_widget(Paragraph::new(lines), area);
    }
}
