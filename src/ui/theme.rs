//! Colours: a dark and a light theme, and none at all when `NO_COLOR` is set (emphasis stays, so
//! states remain readable as text).

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ThemeName {
    Dark,
    Light,
}

#[derive(Debug, Clone)]
pub struct Theme {
    pub name: ThemeName,
    pub color: bool,
    pub text: Style,
    pub dim: Style,
    pub title: Style,
    pub selected: Style,
    pub border: Style,
    /// The header when the target is real AWS: never to be mistaken for local.
    pub warning: Style,
    pub local: Style,
    pub error: Style,
    pub ok: Style,
    pub alarm: Style,
    pub insufficient: Style,
    /// Series colours in order, CloudWatch's palette where a terminal has it.
    pub series: Vec<Color>,
}

impl Theme {
    pub fn new(name: ThemeName, color: bool) -> Theme {
        if !color {
            let plain = Style::default();
            return Theme {
                name,
                color,
                text: plain,
                dim: plain,
                title: plain.add_modifier(Modifier::BOLD),
                selected: plain.add_modifier(Modifier::REVERSED),
                border: plain,
                warning: plain.add_modifier(Modifier::BOLD | Modifier::REVERSED),
                local: plain.add_modifier(Modifier::BOLD),
                error: plain.add_modifier(Modifier::BOLD),
                ok: plain,
                alarm: plain.add_modifier(Modifier::BOLD | Modifier::REVERSED),
                insufficient: plain.add_modifier(Modifier::DIM),
                series: vec![Color::Reset],
            };
        }
        let (fg, dim, border) = match name {
            ThemeName::Dark => (Color::Gray, Color::DarkGray, Color::DarkGray),
            ThemeName::Light => (Color::Black, Color::DarkGray, Color::Gray),
        };
        Theme {
            name,
            color,
            text: Style::default().fg(fg),
            dim: Style::default().fg(dim),
            title: Style::default().fg(fg).add_modifier(Modifier::BOLD),
            selected: Style::default().add_modifier(Modifier::REVERSED),
            border: Style::default().fg(border),
            warning: Style::default().fg(Color::Black).bg(Color::Yellow).add_modifier(Modifier::BOLD),
            local: Style::default().fg(Color::Black).bg(Color::Green).add_modifier(Modifier::BOLD),
            error: Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            ok: Style::default().fg(Color::Green),
            alarm: Style::default().fg(Color::White).bg(Color::Red).add_modifier(Modifier::BOLD),
            insufficient: Style::default().fg(Color::Yellow),
            series: vec![
                Color::Rgb(0x1f, 0x77, 0xb4),
                Color::Rgb(0xff, 0x7f, 0x0e),
                Color::Rgb(0x2c, 0xa0, 0x2c),
                Color::Rgb(0xd6, 0x27, 0x28),
                Color::Rgb(0x94, 0x67, 0xbd),
                Color::Rgb(0x8c, 0x56, 0x4b),
                Color::Rgb(0xe3, 0x77, 0xc2),
                Color::Rgb(0x7f, 0x7f, 0x7f),
            ],
        }
    }

    /// The style of an alarm state.
    pub fn state(&self, state: &str) -> Style {
        match state {
            "OK" => self.ok,
            "ALARM" => self.alarm,
            _ => self.insufficient,
        }
    }

    pub fn series_color(&self, i: usize) -> Color {
        self.series[i % self.series.len()]
    }
}
