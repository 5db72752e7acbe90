//! The `:` command palette: a command word and, for some, a name, both completed from what the
//! console has loaded. The completion list has a selection: ↑/↓ pick, Tab completes the picked one.

use crossterm::event::{KeyCode, KeyEvent};

use super::view::Route;

/// Names seen in answers, for completion.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Names {
    pub dashboards: Vec<String>,
    pub streams: Vec<String>,
    pub alarms: Vec<String>,
    pub stacks: Vec<String>,
}

/// The palette's commands: word, takes a name, what it does.
pub const COMMANDS: [(&str, bool, &str); 13] = [
    ("home", false, "the deployments, streams, dashboards and alarms"),
    ("dashboard", true, "open a dashboard"),
    ("dashboards", false, "every dashboard"),
    ("stream", true, "open a stream"),
    ("streams", false, "every stream"),
    ("alarm", true, "open an alarm"),
    ("alarms", false, "every alarm"),
    ("produce", true, "produce onto a deployment's or a stream's stream"),
    ("records", true, "a deployment's or a stream's records as they arrive"),
    ("app", true, "a deployment's Managed Flink application: watch, start, stop"),
    ("log", false, "the console's log"),
    ("help", false, "keys and commands"),
    ("quit", false, "leave the console"),
];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Palette {
    pub input: String,
    /// The picked completion, an index into `completions`.
    pub selected: usize,
}

impl Palette {
    pub fn on_key(&mut self, key: &KeyEvent, names: &Names) {
        let count = self.completions(names).len();
        match key.code {
            KeyCode::Backspace => {
                self.input.pop();
                self.selected = 0;
            }
            KeyCode::Down => self.selected = if count == 0 { 0 } else { (self.selected + 1) % count },
            KeyCode::Up => self.selected = if count == 0 { 0 } else { (self.selected + count - 1) % count },
            KeyCode::Tab => {
                if let Some(pick) = self.completions(names).get(self.selected.min(count.saturating_sub(1))) {
                    self.input = pick.clone();
                    self.selected = 0;
                }
            }
            KeyCode::Char(c) => {
                self.input.push(c);
                self.selected = 0;
            }
            _ => {}
        }
    }

    /// The picked completion, if the list has one.
    pub fn picked(&self, names: &Names) -> Option<String> {
        let all = self.completions(names);
        all.get(self.selected.min(all.len().saturating_sub(1))).cloned()
    }

    /// What the input could become, in order: command words, then names for a command that takes one.
    pub fn completions(&self, names: &Names) -> Vec<String> {
        let input = self.input.trim_start();
        match input.split_once(' ') {
            None => COMMANDS
                .iter()
                .filter(|(word, _, _)| word.starts_with(input))
                .map(|(word, takes, _)| if *takes { format!("{word} ") } else { word.to_string() })
                .collect(),
            Some((word, partial)) => {
                let targets: Vec<String> = names.stacks.iter().chain(&names.streams).cloned().collect();
                let pool = match word {
                    "dashboard" => &names.dashboards,
                    "stream" => &names.streams,
                    "alarm" => &names.alarms,
                    "produce" | "records" => &targets,
                    "app" => &names.stacks,
                    _ => return Vec::new(),
                };
                let partial = partial.trim();
                let mut hits: Vec<&String> = pool.iter().filter(|n| n.starts_with(partial)).collect();
                if hits.is_empty() {
                    hits = pool.iter().filter(|n| n.contains(partial)).collect();
                }
                hits.into_iter().map(|n| format!("{word} {n}")).collect()
            }
        }
    }

    /// The view the command opens; None for `quit`; an error naming what is wrong. What was typed
    /// wins; when it names no command, the picked completion is run instead.
    pub fn command(&self, names: &Names) -> Result<Option<Route>, String> {
        Self::parse(&self.input, names).or_else(|typed| match self.picked(names) {
            Some(pick) if pick.trim() != self.input.trim() => Self::parse(&pick, names),
            _ => Err(typed),
        })
    }

    fn parse(input: &str, names: &Names) -> Result<Option<Route>, String> {
        let input = input.trim();
        let (word, arg) = input.split_once(' ').map_or((input, ""), |(w, a)| (w, a.trim()));
        let word = COMMANDS
            .iter()
            .map(|(w, _, _)| *w)
            .find(|w| *w == word)
            .or_else(|| {
                let mut hits = COMMANDS.iter().map(|(w, _, _)| *w).filter(|w| w.starts_with(word) && !word.is_empty());
                match (hits.next(), hits.next()) {
                    (Some(only), None) => Some(only),
                    _ => None,
                }
            })
            .ok_or_else(|| format!("unknown command '{input}': type : then Tab to see the commands"))?;
        let named = |pool: &Vec<String>, kind: &str| -> Result<String, String> {
            if arg.is_empty() {
                return Err(format!("{kind} needs a name: ':{kind} NAME' (Tab completes)"));
            }
            // A name not loaded yet may still exist: the view says so if it does not.
            Ok(pool.iter().find(|n| n.as_str() == arg).cloned().unwrap_or_else(|| arg.to_string()))
        };
        Ok(Some(match word {
            "home" => Route::Home,
            "dashboard" => Route::Dashboard(named(&names.dashboards, "dashboard")?),
            "dashboards" => Route::Home,
            "stream" => Route::Stream(named(&names.streams, "stream")?),
            "streams" => Route::Home,
            "alarm" => Route::Alarm(named(&names.alarms, "alarm")?),
            "alarms" => Route::Alarms,
            "produce" => Route::Producer(named(&names.stacks, "produce")?),
            "records" => Route::Records(named(&names.streams, "records")?),
            "app" => Route::App(named(&names.stacks, "app")?),
            "log" => Route::Log,
            "help" => Route::Help(Vec::new()),
            _ => return Ok(None),
        }))
    }
}
