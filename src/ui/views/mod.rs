//! The views, and the one place that knows how to open each from a route (the palette, drill-down
//! and help all open views through here).

pub mod alarms;
pub mod app;
pub mod dashboard;
pub mod help;
pub mod home;
pub mod log;
pub mod producer;
pub mod records;
pub mod stream;

pub use super::view::Route;
use super::view::View;

pub fn open(route: Route) -> Box<dyn View> {
    match route {
        Route::Home => Box::new(home::Home::default()),
        Route::Dashboard(name) => Box::new(dashboard::DashboardScreen::new(name)),
        Route::Stream(name) => Box::new(stream::StreamScreen::new(name)),
        Route::Alarms => Box::new(alarms::AlarmsScreen::new(None)),
        Route::Alarm(name) => Box::new(alarms::AlarmsScreen::new(Some(name))),
        Route::Producer(target) => Box::new(producer::ProducerScreen::new(target)),
        Route::Records(target) => Box::new(records::RecordsScreen::new(target)),
        Route::App(stack) => Box::new(app::AppScreen::new(stack)),
        Route::Log => Box::new(log::LogScreen::default()),
        Route::Help(keys) => Box::new(help::HelpScreen::new(keys)),
    }
}
