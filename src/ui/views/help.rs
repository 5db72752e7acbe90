//! Help: the keys of the view it was opened from and the shell's, as the live key map has them, and
//! the palette's commands. ↑/↓ scroll when it does not fit.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::ui::action::{Data, Request, Source};
use crate::ui::palette::COMMANDS;
use crate::ui::view::{DrawCtx, KeyHelp, Outcome, View};

pub struct HelpScreen {
    keys: Vec<KeyHelp>,
    scroll: u16,
}

impl HelpScreen {
    /// Help over `keys`: the shell passes the live key map (the view's keys and its own).
    pub fn new(keys: Vec<KeyHelp>) -> Self {
        HelpScreen { keys, scroll: 0 }
    }

    fn len(&self) -> usize {
        self.keys.len() + COMMANDS.len() + 3
    }
}

impl View for HelpScreen {
    fn crumb(&self) -> String {
        "help".into()
    }
    fn keys(&self) -> Vec<KeyHelp> {
        vec![KeyHelp::new("↑↓", "scroll")]
    }
    fn requests(&self) -> Vec<Request> {
        Vec::new()
    }
    fn on_key(&mut self, key: &KeyEvent) -> Outcome {
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => {
                self.scroll = (self.scroll + 1).min(self.len().saturating_sub(1) as u16);
            }
            KeyCode::Up | KeyCode::Char('k') => self.scroll = self.scroll.saturating_sub(1),
            _ => return Outcome::Ignored,
        }
        Outcome::Changed
    }
    fn on_data(&mut self, _source: &Source, _data: &Data) -> bool {
        false
    }
    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &DrawCtx<'_>) {
        let t = ctx.theme;
        let width = self.keys.iter().map(|k| k.keys.chars().count()).max().unwrap_or(4) + 2;
        let mut lines = vec![Line::from(Span::styled("Keys", t.title))];
        lines.extend(self.keys.iter().map(|k| {
            Line::from(vec![
                Span::styled(format!("  {:<width$}", k.keys), t.title),
                Span::styled(k.what.as_str(), t.text),
            ])
        }));
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled("Commands (type : then Tab completes, ↑↓ pick)", t.title)));
        lines.extend(COMMANDS.iter().map(|(word, takes, what)| {
            let word = if *takes { format!("{word} NAME") } else { word.to_string() };
            Line::from(vec![Span::styled(format!("  {word:<16}"), t.title), Span::styled(*what, t.text)])
        }));
        // Scrolled no further than keeps the last line at the bottom.
        let scroll = self.scroll.min(lines.len().saturating_sub(area.height as usize) as u16);
        frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), area);
    }
}
