//! A text widget's markdown as terminal lines: headings as section headers, emphasis as bold or
//! italic, links and buttons as their text, list bullets kept. Parsed once when the dashboard
//! loads; drawing only styles the pieces.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::ui::theme::Theme;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    Plain,
    Heading,
    Bold,
    Italic,
    Link,
    Code,
}

/// One line: its pieces in order.
pub type MdLine = Vec<(String, Piece)>;

pub fn parse(markdown: &str) -> Vec<MdLine> {
    markdown
        .lines()
        .map(|raw| {
            let line = raw.trim_end();
            let hashes = line.chars().take_while(|c| *c == '#').count();
            if hashes > 0 && line[hashes..].starts_with(' ') {
                // A heading's own emphasis and links read as plain heading text.
                let text: String = inline(line[hashes..].trim()).into_iter().map(|(t, _)| t).collect();
                return vec![(text, Piece::Heading)];
            }
            inline(line)
        })
        .collect()
}

/// Emphasis (`**b**`, `__b__`, `*i*`, `_i_`), code, and links/buttons (`[text](url)`,
/// `[button:text](url)`) shown as their text.
fn inline(line: &str) -> MdLine {
    let mut out: MdLine = Vec::new();
    let mut plain = String::new();
    let mut rest = line;
    let flush = |plain: &mut String, out: &mut MdLine| {
        if !plain.is_empty() {
            out.push((std::mem::take(plain), Piece::Plain));
        }
    };
    while let Some(c) = rest.chars().next() {
        let found = match c {
            '*' | '_' if rest.starts_with("**") || rest.starts_with("__") => {
                closed(&rest[2..], &rest[..2]).map(|(t, n)| (t.to_string(), Piece::Bold, n + 4))
            }
            // A lone `*` at the start of a line is a list bullet, not emphasis.
            '*' | '_' if !(c == '*' && plain.trim().is_empty() && out.is_empty() && rest[1..].starts_with(' ')) => {
                closed(&rest[1..], &rest[..1]).map(|(t, n)| (t.to_string(), Piece::Italic, n + 2))
            }
            '`' => closed(&rest[1..], "`").map(|(t, n)| (t.to_string(), Piece::Code, n + 2)),
            '[' => link(rest),
            _ => None,
        };
        match found {
            Some((text, piece, used)) => {
                flush(&mut plain, &mut out);
                out.push((text, piece));
                rest = &rest[used..];
            }
            None => {
                plain.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    flush(&mut plain, &mut out);
    out
}

/// The text up to `mark`, and its length, when `mark` closes it on this line.
fn closed<'a>(s: &'a str, mark: &str) -> Option<(&'a str, usize)> {
    let end = s.find(mark)?;
    (end > 0).then(|| (&s[..end], end))
}

fn link(s: &str) -> Option<(String, Piece, usize)> {
    let close = s.find("](")?;
    let end = s[close..].find(')')? + close;
    let text = &s[1..close];
    let text = text.strip_prefix("button:primary:").or_else(|| text.strip_prefix("button:")).unwrap_or(text);
    Some((text.to_string(), Piece::Link, end + 1))
}

pub fn draw(lines: &[MdLine], area: Rect, buf: &mut Buffer, theme: &Theme) {
    let style = |p: Piece| match p {
        Piece::Plain => theme.text,
        Piece::Heading => theme.title.add_modifier(Modifier::BOLD),
        Piece::Bold => theme.text.add_modifier(Modifier::BOLD),
        Piece::Italic => theme.text.add_modifier(Modifier::ITALIC),
        Piece::Link => theme.text.add_modifier(Modifier::UNDERLINED),
        Piece::Code => theme.dim,
    };
    let text: Vec<Line> = lines
        .iter()
        .map(|l| Line::from(l.iter().map(|(t, p)| Span::styled(t.as_str(), style(*p))).collect::<Vec<_>>()))
        .collect();
    Paragraph::new(text).style(Style::default()).wrap(Wrap { trim: false }).render(area, buf);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(md: &str) -> Vec<Vec<(&'static str, Piece)>> {
        parse(md)
            .into_iter()
            .map(|l| l.into_iter().map(|(t, p)| (&*Box::leak(t.into_boxed_str()), p)).collect())
            .collect()
    }

    #[test]
    fn headings_emphasis_and_links_become_styled_text() {
        let got = flat("## Ingest **now**\nRecords are *late*, see [the runbook](https://x) or `code`\n* item");
        assert_eq!(got[0], vec![("Ingest now", Piece::Heading)]);
        assert_eq!(
            got[1],
            vec![
                ("Records are ", Piece::Plain),
                ("late", Piece::Italic),
                (", see ", Piece::Plain),
                ("the runbook", Piece::Link),
                (" or ", Piece::Plain),
                ("code", Piece::Code)
            ]
        );
        assert_eq!(got[2], vec![("* item", Piece::Plain)]);
        assert_eq!(flat("[button:Open](https://x)")[0], vec![("Open", Piece::Link)]);
        assert_eq!(flat("snake_case word")[0], vec![("snake_case word", Piece::Plain)]);
    }
}
