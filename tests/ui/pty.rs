//! The real binary in a pseudo-terminal, driven like a person: keys in, the screen read back through
//! a terminal emulator (vt100), and the terminal checked after the console exits — the alternate
//! screen left, the cursor shown. Real time here only bounds the waits on what the screen shows.

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::Path;
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
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
        let (done, drained) = mpsc::channel();
        let parser = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            // EOF, or EIO on Linux once the child's side closed: the output has ended.
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                parser.lock().unwrap_or_else(|p| p.into_inner()).process(&buf[..n]);
            }
            let _ = done.send(());
        });
        Console { child, writer, screen, drained, _master: pair.master }
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
        loop {
            let now = self.contents();
            if check(&now) {
                return now;
            }
            if Instant::now() > deadline {
                panic!("the screen did not show {what} within {WAIT:?}; it shows:\n{now}");
            }
            std::thread::sleep(Duration::from_millis(20));
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
        let deadline = Instant::now() + WAIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("the console's status") {
                break status;
            }
            assert!(Instant::now() < deadline, "the console did not exit within {WAIT:?}:\n{}", self.contents());
            std::thread::sleep(Duration::from_millis(20));
        };
        self.drained.recv_timeout(WAIT).expect("the console's output ends after it exits");
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

fn data_dir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("wt-firstrun-pty-").tempdir().expect("a data dir")
}

/// The home view, once it has loaded its lists.
fn home(console: &Console) -> String {
    console.wait_until("the home view's lists", |s| {
        s.contains("LOCAL") && s.contains("Dashboards (") && s.contains("Streams (") && !s.contains("loading…")
    })
}

#[test]
fn a_person_opens_the_console_looks_around_and_quits_with_the_terminal_restored() {
    let dir = data_dir();
    let mut console = Console::start(dir.path(), &[]);
    let screen = home(&console);
    assert!(console.screen.lock().map(|p| p.screen().alternate_screen()).unwrap_or(false), "on the alternate screen");
    assert!(screen.contains(&dir.path().display().to_string()), "the header names the data dir:\n{screen}");

    // `?`: the help lists the live keys and the palette's commands; Esc goes back home.
    console.press("?");
    console.wait_for("Commands (after :)");
    console.escape_from("Commands (after :)");
    home(&console);

    // `:` and a prefix, Tab completes the command word.
    console.press(":dash\t");
    console.wait_for(":dashboard");
    console.escape_from(":dashboard");

    // `/` filters the lists as it is typed.
    console.press("/zzz");
    console.wait_for("none match the filter");
    console.escape_from("none match the filter");

    // `s` starts the sample when the home view offers it.
    if home(&console).to_lowercase().contains("sample") {
        console.press("s");
        console.wait_for("kinesis-console-sample");
    } else {
        eprintln!("the home view does not offer the sample (`s`) in this build: that step is skipped");
    }

    console.press("q");
    let (status, alternate, hidden) = console.wait_exit();
    assert!(status.success(), "q exits with status 0, not {status:?}");
    assert!(!alternate, "the alternate screen is left");
    assert!(!hidden, "the cursor is shown again");
}

#[test]
fn sigterm_ends_the_console_with_the_terminal_restored() {
    let dir = data_dir();
    let mut console = Console::start(dir.path(), &[]);
    home(&console);
    // SAFETY: kill(2) on the pid of a child this test started and has not reaped.
    let sent = unsafe { libc::kill(console.pid(), libc::SIGTERM) };
    assert_eq!(sent, 0, "SIGTERM is delivered");
    let (status, alternate, hidden) = console.wait_exit();
    assert!(status.success(), "SIGTERM ends the console like q, with status 0, not {status:?}");
    assert!(!alternate, "the alternate screen is left");
    assert!(!hidden, "the cursor is shown again");
}
