//! The console's CPU while a dashboard is open and nothing changes (`--idle`); to be written.

pub fn run(_args: &[String]) {}
