//! Drawing an `App` or a single view into text, for snapshots.

use std::path::PathBuf;

use kinesis_console::target::Target;
use kinesis_console::ui::app::App;
use kinesis_console::ui::config::Config;
use kinesis_console::ui::header::HeaderInfo;
use kinesis_console::ui::screen;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

/// A fixed instant for every drawn age and axis: 2026-11-29 12:00:00 UTC.
pub const NOW_MS: i64 = 1_795_953_600_000;

pub fn local_target() -> Target {
    Target::Local { data_dir: PathBuf::from("/home/you/.local/share/kinesis-console") }
}

/// An app on `target` with colour or not, at `NOW_MS`.
pub fn app(target: Target, color: bool) -> App {
    let header = HeaderInfo { target, read_only: false, account: None };
    App::new(header, Config::default(), color, false, NOW_MS)
}

/// The buffer's text, one line per row, trailing spaces kept so widths show.
pub fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        for x in 0..area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// The whole screen of `app` at `width`×`height`.
pub fn screen(app: &mut App, width: u16, height: u16) -> String {
    app.size = (width, height);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    let frame = terminal.draw(|f| screen::draw(f, app)).expect("a frame");
    text(frame.buffer)
}
