//! The console's state and its one `update`: every action goes through it, and it answers with the
//! requests to start. Nothing else changes state; drawing only reads it.

use std::collections::{BTreeSet, HashMap};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, Data, Loaded, Request, Source};
use super::config::{ChartStyle, Config};
use super::header::HeaderInfo;
use super::keymap::{KeyMap, ShellAction};
pub use super::palette::Names;
use super::palette::Palette;
use super::theme::Theme;
use super::view::{KeyHelp, Outcome, View};
use super::views::{self, Route};

/// A request to start, with the generation its answer must carry to be taken.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub source: Source,
    pub generation: u64,
    pub request: Request,
}

/// What the keyboard is typing into.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    /// `/`: the filter being typed (applied as it is typed).
    Filter(String),
    /// `:`: a command being typed.
    Palette(Palette),
}

pub struct App {
    pub header: HeaderInfo,
    pub theme: Theme,
    pub ascii: bool,
    pub config: Config,
    pub keymap: KeyMap,
    /// The views, home first: the breadcrumbs. Never empty.
    pub views: Vec<Box<dyn View>>,
    pub mode: Mode,
    generations: HashMap<Source, u64>,
    pub in_flight: BTreeSet<Source>,
    /// The last error and when it came (wall ms); cleared by the next key.
    pub last_error: Option<String>,
    pub size: (u16, u16),
    pub now_ms: i64,
    last_refresh_ms: i64,
    pub spinner: usize,
    /// Names seen in answers, for the palette's completion.
    pub names: Names,
    pub quit: bool,
    /// Something drawn changed since the last frame.
    pub dirty: bool,
}

/// The keys the shell answers in every view, with the default bindings.
pub fn shell_keys() -> Vec<KeyHelp> {
    keys_of(&KeyMap::default())
}

fn keys_of(map: &KeyMap) -> Vec<KeyHelp> {
    map.help().into_iter().map(|(key, what)| KeyHelp::new(&key, what)).collect()
}

impl App {
    /// The app with the config's key overrides, which `KeyMap::new` has validated (an invalid
    /// override falls back to the defaults here; the config loader reports it first).
    pub fn new(header: HeaderInfo, config: Config, color: bool, ascii: bool, now_ms: i64) -> App {
        let theme = Theme::new(config.theme, color);
        let keymap = KeyMap::new(&config.keys).unwrap_or_default();
        let ascii = ascii || config.chart_style == ChartStyle::Ascii;
        let home: Box<dyn View> = Box::new(views::home::Home::new(header.is_local()));
        App {
            header,
            theme,
            ascii,
            config,
            keymap,
            views: vec![home],
            mode: Mode::Normal,
            generations: HashMap::new(),
            in_flight: BTreeSet::new(),
            last_error: None,
            size: (80, 24),
            now_ms,
            last_refresh_ms: now_ms,
            spinner: 0,
            names: Names::default(),
            quit: false,
            dirty: true,
        }
    }

    /// The jobs to start when the console opens: the header's identity and the home view's data.
    pub fn start(&mut self) -> Vec<Job> {
        let mut requests = self.top().requests();
        if self.header.is_aws() {
            requests.push(Request::Identity);
        }
        self.jobs(requests)
    }

    pub fn top(&self) -> &dyn View {
        self.views.last().map(|v| v.as_ref()).unwrap_or_else(|| unreachable!("the home view is never popped"))
    }

    fn top_mut(&mut self) -> &mut Box<dyn View> {
        self.views.last_mut().unwrap_or_else(|| unreachable!("the home view is never popped"))
    }

    pub fn update(&mut self, action: Action) -> Vec<Job> {
        match action {
            Action::Key(key) => {
                self.dirty = true;
                self.last_error = None;
                self.on_key(key)
            }
            Action::Resize(w, h) => {
                self.size = (w, h);
                self.dirty = true;
                for view in self.views.iter_mut() {
                    view.on_resize(w, h);
                }
                Vec::new()
            }
            Action::Tick(now) => self.on_tick(now),
            Action::Loaded(loaded) => self.on_loaded(loaded),
            Action::Quit => {
                self.quit = true;
                Vec::new()
            }
        }
    }

    /// Turns requests into jobs, each the newest of its source.
    pub fn jobs(&mut self, requests: Vec<Request>) -> Vec<Job> {
        requests
            .into_iter()
            .map(|request| {
                let source = request.source();
                let generation = self.generations.entry(source.clone()).or_default();
                *generation += 1;
                self.in_flight.insert(source.clone());
                Job { source, generation: *generation, request }
            })
            .collect()
    }

    fn on_loaded(&mut self, loaded: Loaded) -> Vec<Job> {
        if self.generations.get(&loaded.source) != Some(&loaded.generation) {
            // A newer request for this source is in flight, or its view has gone: this answer is stale.
            return Vec::new();
        }
        self.in_flight.remove(&loaded.source);
        self.dirty = true;
        match loaded.result {
            Ok(data) => {
                self.learn(&data);
                for view in self.views.iter_mut() {
                    view.on_data(&loaded.source, &data);
                }
                if matches!(data, Data::Changed(_)) {
                    // Something was created or changed: the lists (home's, and the open view's) reload.
                    let mut requests = self.views[0].requests();
                    for r in self.top().requests() {
                        if !requests.contains(&r) {
                            requests.push(r);
                        }
                    }
                    return self.jobs(requests);
                }
            }
            Err(message) => {
                for view in self.views.iter_mut() {
                    view.on_error(&loaded.source, &message);
                }
                self.last_error = Some(message);
            }
        }
        Vec::new()
    }

    fn learn(&mut self, data: &Data) {
        match data {
            Data::Identity { account } => self.header.account = Some(account.clone()),
            Data::Dashboards(d) => self.names.dashboards = d.iter().map(|e| e.name.clone()).collect(),
            Data::Streams(s) => self.names.streams = s.iter().map(|e| e.name.clone()).collect(),
            Data::Alarms(a) => self.names.alarms = a.iter().map(|e| e.name.clone()).collect(),
            Data::Stacks(s) => self.names.stacks = s.iter().map(|e| e.name.clone()).collect(),
            _ => {}
        }
    }

    fn on_tick(&mut self, now: i64) -> Vec<Job> {
        self.now_ms = now;
        if !self.in_flight.is_empty() {
            self.spinner = self.spinner.wrapping_add(1);
            self.dirty = true;
        }
        // The configured interval replaces a view's own, but a view that is not refreshing (a
        // paused dashboard, a view loaded by hand) stays so.
        let every = self.top().refresh_every_ms().map(|own| self.config.refresh_secs.map_or(own, |s| s as i64 * 1000));
        match every {
            Some(every) if now - self.last_refresh_ms >= every => self.refresh(),
            _ => Vec::new(),
        }
    }

    fn refresh(&mut self) -> Vec<Job> {
        self.last_refresh_ms = self.now_ms;
        let requests = self.top().requests();
        // A source already loading keeps its request: refreshing must not starve a slow answer.
        let requests = requests.into_iter().filter(|r| !self.in_flight.contains(&r.source())).collect();
        self.jobs(requests)
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Job> {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return Vec::new();
        }
        match std::mem::replace(&mut self.mode, Mode::Normal) {
            Mode::Filter(text) => self.on_filter_key(text, key),
            Mode::Palette(palette) => self.on_palette_key(palette, key),
            Mode::Normal => self.on_normal_key(key),
        }
    }

    fn on_normal_key(&mut self, key: KeyEvent) -> Vec<Job> {
        match self.top_mut().on_key(&key) {
            Outcome::Changed => return Vec::new(),
            Outcome::Requests(r) => return self.jobs(r),
            Outcome::Push(view) => return self.push(view),
            Outcome::Open(route) => return self.push(views::open(route)),
            Outcome::Back => return self.back(),
            Outcome::Ignored => {}
        }
        match self.keymap.action(&key) {
            Some(ShellAction::Quit) => self.quit = true,
            Some(ShellAction::Back) => return self.back(),
            Some(ShellAction::Palette) => self.mode = Mode::Palette(Palette::default()),
            Some(ShellAction::Filter) => self.mode = Mode::Filter(String::new()),
            Some(ShellAction::Help) => {
                let keys = [self.top().keys(), self.shell_keys()].concat();
                return self.push(views::open(Route::Help(keys)));
            }
            Some(ShellAction::Refresh) => return self.refresh(),
            None => {}
        }
        Vec::new()
    }

    fn on_filter_key(&mut self, mut text: String, key: KeyEvent) -> Vec<Job> {
        match key.code {
            KeyCode::Esc => {
                self.top_mut().set_filter("");
                return Vec::new();
            }
            KeyCode::Enter => return Vec::new(),
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(c) => text.push(c),
            _ => {}
        }
        self.top_mut().set_filter(&text);
        self.mode = Mode::Filter(text);
        Vec::new()
    }

    fn on_palette_key(&mut self, mut palette: Palette, key: KeyEvent) -> Vec<Job> {
        match key.code {
            KeyCode::Esc => Vec::new(),
            KeyCode::Enter => match palette.command(&self.names) {
                // Home is never opened twice: `:home` goes back to it.
                Ok(Some(Route::Home)) => {
                    while self.views.len() > 1 {
                        self.back();
                    }
                    Vec::new()
                }
                // `:help`, like `?`, lists the keys of the view it was typed over.
                Ok(Some(Route::Help(_))) => {
                    let keys = [self.top().keys(), self.shell_keys()].concat();
                    self.push(views::open(Route::Help(keys)))
                }
                Ok(Some(route)) => self.push(views::open(route)),
                Ok(None) => {
                    self.quit = true;
                    Vec::new()
                }
                Err(message) => {
                    self.last_error = Some(message);
                    Vec::new()
                }
            },
            _ => {
                palette.on_key(&key, &self.names);
                self.mode = Mode::Palette(palette);
                Vec::new()
            }
        }
    }

    fn push(&mut self, mut view: Box<dyn View>) -> Vec<Job> {
        view.on_resize(self.size.0, self.size.1);
        let requests = view.requests();
        self.views.push(view);
        self.last_refresh_ms = self.now_ms;
        self.jobs(requests)
    }

    fn back(&mut self) -> Vec<Job> {
        if self.views.len() > 1
            && let Some(gone) = self.views.pop()
        {
            // Answers for the view that went are no longer wanted: its sources are forgotten, so a
            // late answer is dropped rather than shown.
            let keep: BTreeSet<Source> = self.views.iter().flat_map(|v| v.requests()).map(|r| r.source()).collect();
            for source in gone.requests().iter().map(Request::source).filter(|s| !keep.contains(s)) {
                self.in_flight.remove(&source);
                self.generations.remove(&source);
            }
        }
        Vec::new()
    }

    /// The shell's keys as this session binds them.
    pub fn shell_keys(&self) -> Vec<KeyHelp> {
        keys_of(&self.keymap)
    }

    /// The breadcrumbs, home first.
    pub fn crumbs(&self) -> Vec<String> {
        self.views.iter().map(|v| v.crumb()).collect()
    }
}
