//! The console in a pseudo-terminal: the real binary on a 120×40 terminal, keys typed as bytes, the
//! screen read back through a terminal emulator (vt100), the bytes the console wrote counted. Shared
//! by the PTY tests and the idle-CPU benchmark (`benches/render/idle.rs`).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

const ROWS: u16 = 40;
const COLS: u16 = 120;
/// Bounds every wait: a debug build hosting a fresh local cloud opens well within it.
const WAIT: Duration = Duration::from_secs(60);

/// One console in a pseudo-terminal of 120×40 on a data dir of its own.
pub struct Console {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    screen: Arc<Mutex<vt100::Parser>>,
    /// Notified each time the screen took new output, so waits wake on change, not on a timer.
    changed: Arc<Condvar>,
    /// Bytes the console has written to the terminal so far.
    written: Arc<AtomicU64>,
    /// Signalled when the terminal's output ended (every end of the pseudo-terminal closed).
    drained: Receiver<()>,
    _master: Box<dyn MasterPty + Send>,
}

impl Console {
    /// Starts `kinesis-console` with no subcommand (the console) and `args`.
    pub fn start(data_dir: &Path, args: &[&str]) -> Console {
        let pair = native_pty_system()
            .openpty(PtySize { rows: ROWS, cols: COLS, pixel_width: 0, pixel_height: 0 })
            .expect("a pseudo-terminal");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_kinesis-console"));
        cmd.arg("--data-dir");
        cmd.arg(data_dir);
        for a in args {
            cmd.arg(a);
        }
        cmd.env("TERM", "xterm-256color");
        cmd.env("AWS_EC2_METADATA_DISABLED", "true");
        cmd.env("AWS_CONFIG_FILE", "/dev/null");
        cmd.env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        cmd.env("XDG_CONFIG_HOME", data_dir.join("config"));
        cmd.env_remove("NO_COLOR");
        let child = pair.slave.spawn_command(cmd).expect("the console starts in the pseudo-terminal");
        // Only the child keeps the terminal's side open, so its exit ends our reads.
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("the terminal's output");
        let writer = pair.master.take_writer().expect("the terminal's input");
        let rows = NonZeroU16::new(ROWS).unwrap_or(NonZeroU16::MIN);
        let cols = NonZeroU16::new(COLS).unwrap_or(NonZeroU16::MIN);
        let screen = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let written = Arc::new(AtomicU64::new(0));
        let (done, drained) = mpsc::channel();
        let changed = Arc::new(Condvar::new());
        let (parser, count, notify) = (screen.clone(), written.clone(), changed.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            // EOF, or EIO on Linux once the child's side closed: the output has ended.
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                count.fetch_add(n as u64, Ordering::Relaxed);
                parser.lock().unwrap_or_else(|p| p.into_inner()).process(&buf[..n]);
                notify.notify_all();
            }
            let _ = done.send(());
            notify.notify_all();
        });
        Console { child, writer, screen, changed, written, drained, _master: pair.master }
    }

    /// Bytes the console has written to the terminal so far.
    pub fn bytes_written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Whether the terminal is on the alternate screen now.
    pub fn alternate_screen(&self) -> bool {
        self.screen.lock().unwrap_or_else(|p| p.into_inner()).screen().alternate_screen()
    }

    /// The screen's text now.
    pub fn contents(&self) -> String {
        self.screen.lock().unwrap_or_else(|p| p.into_inner()).screen().contents()
    }

    /// Waits until the screen shows `what` (polling the parsed screen), failing after `WAIT`.
    pub fn wait_for(&self, what: &str) -> String {
        self.wait_until(what, |s| s.contains(what))
    }

    pub fn wait_until(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        let mut parser = self.screen.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let now = parser.screen().contents();
            if check(&now) {
                return now;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                panic!("the screen did not show {what} within {WAIT:?}; it shows:\n{now}");
            }
            parser = self.changed.wait_timeout(parser, left).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// Types `keys` as bytes a terminal sends (ESC is "\x1b", Tab "\t").
    pub fn press(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).expect("keys reach the console");
        self.writer.flush().expect("keys reach the console");
    }

    /// Sends Escape alone, then waits until the screen no longer shows `gone`: a lone ESC followed
    /// at once by another key could be read as an Alt chord.
    pub fn escape_from(&mut self, gone: &str) {
        self.press("\x1b");
        self.wait_until(&format!("{gone:?} gone"), |s| !s.contains(gone));
    }

    pub fn pid(&self) -> i32 {
        self.child.process_id().and_then(|p| i32::try_from(p).ok()).expect("the console's pid")
    }

    /// Waits for the console to exit and its output to end; the exit status and the terminal's
    /// final state (alternate screen on, cursor hidden).
    pub fn wait_exit(&mut self) -> (portable_pty::ExitStatus, bool, bool) {
        // The output ends when the console's side of the terminal closes, that is when it exits.
        self.drained
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("the console did not exit within {WAIT:?}:\n{}", self.contents()));
        let status = self.child.wait().expect("the console's status");
        let parser = self.screen.lock().unwrap_or_else(|p| p.into_inner());
        (status, parser.screen().alternate_screen(), parser.screen().hide_cursor())
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        // A failed test must not leave a console running.
        let _ = self.child.kill();
    }
}
