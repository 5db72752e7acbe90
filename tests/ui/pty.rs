//! The real binary in a pseudo-terminal, driven like a person: keys in, the screen read back through
//! a terminal emulator (vt100), and the terminal checked after the console exits — the alternate
//! screen left, the cursor shown. Real time here only bounds the waits on what the screen shows.

use super::pty_console::Console;

fn data_dir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("kc-pty-").tempdir().expect("a data dir")
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
    assert!(console.alternate_screen(), "on the alternate screen");
    assert!(screen.contains(&dir.path().display().to_string()), "the header names the data dir:\n{screen}");

    // `?`: the help lists the live keys and the palette's commands; Esc goes back home.
    console.press("?");
    console.wait_for("Commands (");
    console.escape_from("Commands (");
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
        // Home lists it at its next refresh; then the palette opens its dashboard.
        console.wait_for("kinesis-console-sample");
        console.press(":dashboard kinesis-console-sample\r");
        console.wait_for("Incoming records");
        console.escape_from("Incoming records");
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

#[test]
fn ctrl_c_ends_the_console_with_the_terminal_restored() {
    let dir = data_dir();
    let mut console = Console::start(dir.path(), &[]);
    home(&console);
    // In raw mode Ctrl-C reaches the console as a key (byte 0x03), not as SIGINT.
    console.press("\x03");
    let (status, alternate, hidden) = console.wait_exit();
    assert!(status.success(), "Ctrl-C quits with status 0, not {status:?}");
    assert!(!alternate, "the alternate screen is left");
    assert!(!hidden, "the cursor is shown again");
}
